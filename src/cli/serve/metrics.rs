//! `GET /metrics`: counters kept with atomics on the request path, written in Prometheus's text
//! exposition format (version 0.0.4) on demand.
//!
//! Routes and statuses are small fixed sets, so every counter is a slot of an array: recording a
//! request is three relaxed atomic additions, no lock and no allocation.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The routes, as the `route` label says them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Route {
    Page,
    Answer,
    Map,
    Number,
    Numbers,
    Export,
    Plan,
    Health,
    Metrics,
    /// Anything else (404, 405).
    Other,
}

impl Route {
    const ALL: [Route; 10] = [
        Route::Page,
        Route::Answer,
        Route::Map,
        Route::Number,
        Route::Numbers,
        Route::Export,
        Route::Plan,
        Route::Health,
        Route::Metrics,
        Route::Other,
    ];

    fn label(self) -> &'static str {
        match self {
            Route::Page => "/",
            Route::Answer => "/answer",
            Route::Map => "/map.svg",
            Route::Number => "/v1/numbers/{number}",
            Route::Numbers => "/v1/numbers",
            Route::Export => "/v1/export",
            Route::Plan => "/v1/plan",
            Route::Health => "/healthz",
            Route::Metrics => "/metrics",
            Route::Other => "other",
        }
    }
}

/// The statuses counted one by one; any other is counted as `other`.
const STATUSES: [u16; 12] = [200, 304, 400, 404, 405, 408, 413, 414, 415, 429, 500, 503];

/// The latency histogram's upper bounds, in seconds.
const BUCKETS: [f64; 14] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0,
];

/// Why a reload was refused, as the `reason` label says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    /// Unreadable, missing, or over the size limit.
    Io,
    /// Not an intact artifact.
    Corrupt,
    /// The signature does not verify.
    Signature,
    /// Expired.
    Expired,
    /// An older sequence than the one served.
    Rollback,
    /// Another plan's artifact.
    WrongPlan,
}

impl Refusal {
    const ALL: [Refusal; 6] = [
        Refusal::Io,
        Refusal::Corrupt,
        Refusal::Signature,
        Refusal::Expired,
        Refusal::Rollback,
        Refusal::WrongPlan,
    ];

    /// The reason of a refusal with this exit code (the CLI's table).
    pub(super) fn of_exit_code(code: u8) -> Refusal {
        match code {
            super::super::EXIT_CORRUPT => Refusal::Corrupt,
            super::super::EXIT_SIGNATURE => Refusal::Signature,
            super::super::EXIT_EXPIRED => Refusal::Expired,
            super::super::EXIT_ROLLBACK => Refusal::Rollback,
            super::super::EXIT_WRONG_PLAN => Refusal::WrongPlan,
            _ => Refusal::Io,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Refusal::Io => "io",
            Refusal::Corrupt => "corrupt",
            Refusal::Signature => "signature",
            Refusal::Expired => "expired",
            Refusal::Rollback => "rollback",
            Refusal::WrongPlan => "wrong_plan",
        }
    }
}

/// Every counter of the service.
pub(super) struct Metrics {
    /// Requests by route and status (the last status slot: any other).
    requests: [[AtomicU64; STATUSES.len() + 1]; Route::ALL.len()],
    /// Latency by route: bucket counts (cumulated when written; the last slot: over the last
    /// bound), and the sum in nanoseconds.
    buckets: [[AtomicU64; BUCKETS.len() + 1]; Route::ALL.len()],
    latency_sum_ns: [AtomicU64; Route::ALL.len()],
    /// Numbers answered by `POST /v1/numbers`.
    pub(super) batch_numbers: AtomicU64,
    /// Artifacts swapped in after the first.
    pub(super) reloads: AtomicU64,
    /// Reloads refused, by reason.
    refused: [AtomicU64; Refusal::ALL.len()],
    /// Connections open now.
    pub(super) connections: AtomicU64,
}

impl Metrics {
    pub(super) fn new() -> Metrics {
        Metrics {
            requests: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
            buckets: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
            latency_sum_ns: std::array::from_fn(|_| AtomicU64::new(0)),
            batch_numbers: AtomicU64::new(0),
            reloads: AtomicU64::new(0),
            refused: std::array::from_fn(|_| AtomicU64::new(0)),
            connections: AtomicU64::new(0),
        }
    }

    /// Counts a request answered with `status` after `took`.
    pub(super) fn record(&self, route: Route, status: u16, took: Duration) {
        let r = route as usize;
        let s = STATUSES
            .iter()
            .position(|&x| x == status)
            .unwrap_or(STATUSES.len());
        self.requests[r][s].fetch_add(1, Ordering::Relaxed);
        let secs = took.as_secs_f64();
        let b = BUCKETS.iter().position(|&le| secs <= le).unwrap_or(BUCKETS.len());
        self.buckets[r][b].fetch_add(1, Ordering::Relaxed);
        let ns = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.latency_sum_ns[r].fetch_add(ns, Ordering::Relaxed);
    }

    /// Counts a refused reload.
    pub(super) fn refused(&self, why: Refusal) {
        self.refused[why as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text; `artifact` is the served artifact's labels and numbers.
    pub(super) fn render(&self, artifact: &ArtifactGauges<'_>) -> String {
        let mut out = String::with_capacity(8 << 10);
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        out.push_str("# HELP numplan_http_requests_total HTTP requests answered, by route and status.\n");
        out.push_str("# TYPE numplan_http_requests_total counter\n");
        for route in Route::ALL {
            for (s, slot) in self.requests[route as usize].iter().enumerate() {
                let n = get(slot);
                if n == 0 {
                    continue;
                }
                let status = STATUSES
                    .get(s)
                    .map_or_else(|| "other".to_string(), u16::to_string);
                let _ = writeln!(
                    out,
                    "numplan_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                    route.label()
                );
            }
        }
        out.push_str("# HELP numplan_http_request_duration_seconds Time from a request's head to its response, by route.\n");
        out.push_str("# TYPE numplan_http_request_duration_seconds histogram\n");
        for route in Route::ALL {
            let r = route as usize;
            // One reading of the slots, so that the buckets, `+Inf` and `_count` agree even
            // while requests are counted.
            let slots: Vec<u64> = self.buckets[r].iter().map(get).collect();
            let count: u64 = slots.iter().sum();
            if count == 0 {
                continue;
            }
            let mut cumulated = 0;
            for (b, le) in BUCKETS.iter().enumerate() {
                cumulated += slots[b];
                let _ = writeln!(
                    out,
                    "numplan_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{le}\"}} {cumulated}",
                    route.label()
                );
            }
            let _ = writeln!(
                out,
                "numplan_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {count}",
                route.label()
            );
            let _ = writeln!(
                out,
                "numplan_http_request_duration_seconds_sum{{route=\"{}\"}} {}",
                route.label(),
                get(&self.latency_sum_ns[r]) as f64 / 1e9
            );
            let _ = writeln!(
                out,
                "numplan_http_request_duration_seconds_count{{route=\"{}\"}} {count}",
                route.label()
            );
        }
        out.push_str("# HELP numplan_batch_numbers_total Numbers answered by POST /v1/numbers.\n");
        out.push_str("# TYPE numplan_batch_numbers_total counter\n");
        let _ = writeln!(out, "numplan_batch_numbers_total {}", get(&self.batch_numbers));
        out.push_str("# HELP numplan_reloads_total Artifacts swapped in after the first one.\n");
        out.push_str("# TYPE numplan_reloads_total counter\n");
        let _ = writeln!(out, "numplan_reloads_total {}", get(&self.reloads));
        out.push_str("# HELP numplan_reloads_refused_total New artifact files refused (the old one stays served), by reason.\n");
        out.push_str("# TYPE numplan_reloads_refused_total counter\n");
        for why in Refusal::ALL {
            let _ = writeln!(
                out,
                "numplan_reloads_refused_total{{reason=\"{}\"}} {}",
                why.label(),
                get(&self.refused[why as usize])
            );
        }
        out.push_str("# HELP numplan_connections_open HTTP connections open.\n");
        out.push_str("# TYPE numplan_connections_open gauge\n");
        let _ = writeln!(out, "numplan_connections_open {}", get(&self.connections));
        out.push_str("# HELP numplan_artifact_info The artifact served (always 1).\n");
        out.push_str("# TYPE numplan_artifact_info gauge\n");
        let _ = writeln!(
            out,
            "numplan_artifact_info{{plan=\"{}\",version=\"{}\",register=\"{}\",sha256=\"{}\"}} 1",
            label_value(artifact.plan),
            label_value(artifact.version),
            label_value(artifact.register),
            label_value(artifact.sha256)
        );
        out.push_str("# HELP numplan_artifact_sequence The served artifact's sequence number.\n");
        out.push_str("# TYPE numplan_artifact_sequence gauge\n");
        let _ = writeln!(out, "numplan_artifact_sequence {}", artifact.sequence);
        out.push_str("# HELP numplan_artifact_loaded_timestamp_seconds When the served artifact was loaded (Unix time).\n");
        out.push_str("# TYPE numplan_artifact_loaded_timestamp_seconds gauge\n");
        let _ = writeln!(
            out,
            "numplan_artifact_loaded_timestamp_seconds {}",
            artifact.loaded_unix
        );
        out
    }
}

/// What `/metrics` says of the served artifact.
pub(super) struct ArtifactGauges<'x> {
    pub plan: &'x str,
    pub version: &'x str,
    pub register: &'x str,
    pub sha256: &'x str,
    pub sequence: u64,
    pub loaded_unix: u64,
}

/// A label value escaped as the exposition format asks (`\\`, `\"`, `\n`).
fn label_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_counts_by_status() {
        let m = Metrics::new();
        m.record(Route::Number, 200, Duration::from_micros(30));
        m.record(Route::Number, 200, Duration::from_micros(700));
        m.record(Route::Number, 400, Duration::from_secs(9));
        m.refused(Refusal::Rollback);
        let gauges = ArtifactGauges {
            plan: "fr",
            version: "v\"1",
            register: "2026-04-17",
            sha256: "ab",
            sequence: 7,
            loaded_unix: 1,
        };
        let text = m.render(&gauges);
        let line = |prefix: &str| {
            text.lines()
                .find(|l| l.starts_with(prefix))
                .unwrap_or_else(|| panic!("no line {prefix} in\n{text}"))
                .rsplit(' ')
                .next()
                .unwrap()
                .to_string()
        };
        let number = "route=\"/v1/numbers/{number}\"";
        assert_eq!(
            line(&format!("numplan_http_requests_total{{{number},status=\"200\"}}")),
            "2"
        );
        assert_eq!(
            line(&format!("numplan_http_requests_total{{{number},status=\"400\"}}")),
            "1"
        );
        assert_eq!(
            line(&format!(
                "numplan_http_request_duration_seconds_bucket{{{number},le=\"0.00005\"}}"
            )),
            "1"
        );
        assert_eq!(
            line(&format!(
                "numplan_http_request_duration_seconds_bucket{{{number},le=\"0.001\"}}"
            )),
            "2"
        );
        // 9 s is over the last bound: only in +Inf.
        assert_eq!(
            line(&format!(
                "numplan_http_request_duration_seconds_bucket{{{number},le=\"5\"}}"
            )),
            "2"
        );
        assert_eq!(
            line(&format!(
                "numplan_http_request_duration_seconds_bucket{{{number},le=\"+Inf\"}}"
            )),
            "3"
        );
        assert_eq!(
            line(&format!(
                "numplan_http_request_duration_seconds_count{{{number}}}"
            )),
            "3"
        );
        assert_eq!(line("numplan_reloads_refused_total{reason=\"rollback\"}"), "1");
        assert_eq!(line("numplan_artifact_sequence"), "7");
        assert!(text.contains("version=\"v\\\"1\""), "{text}");
    }
}
