//! One request → one response: routing, the endpoints, their limits, errors as JSON.
//!
//! Every answer is computed from the `Served` artifact the request took at its start. Single
//! lookups run on the event loop (microseconds); batches, exports and the map run on tokio's
//! blocking threads, at most one per worker thread at once (`State::heavy`), so that they cannot
//! starve the lookups. The whole request, body included, runs under `State::request_timeout`.

use super::metrics::{ArtifactGauges, Route};
use super::page::{self, Lang, PageRequest};
use super::{Served, State};
use crate::cli::Escaping;
use crate::cli::export::{self as cli_export, Format as ExportFormat};
use crate::cli::query::{Format as QueryFormat, Querier};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};
use numplan::date::Date;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// The response body: always whole (answers are computed before they are sent).
pub(super) type Body = Full<Bytes>;

/// The largest request body (`POST /v1/numbers`); larger gets 413.
pub(super) const MAX_BODY_BYTES: usize = 1 << 20;
/// The most numbers in one `POST /v1/numbers` answered in TSV; more gets 413.
pub(super) const MAX_BATCH_NUMBERS: usize = 10_000;
/// The most answered in JSON (an answer is 1 to 8 KB: a batch's answer stays under 8 MB).
pub(super) const MAX_BATCH_NUMBERS_JSON: usize = 1_000;
/// The most numbers in one `callkit` export (about 13 bytes each); more gets 400.
pub(super) const MAX_CALLKIT_NUMBERS: u128 = 2_000_000;
/// Exports and maps kept per artifact: at most this many…
const CACHE_ENTRIES: usize = 16;
/// …of at most this many bytes in all…
const CACHE_BYTES: usize = 64 << 20;
/// …none larger than this (a larger one is computed for each request that asks it).
const CACHE_ENTRY_BYTES: usize = 8 << 20;

/// Responses computed once per artifact (exports and maps are deterministic).
#[derive(Default)]
pub(super) struct Cache {
    entries: Mutex<VecDeque<(String, Cached)>>,
}

/// A cached response body.
#[derive(Clone)]
struct Cached {
    body: Bytes,
    content_type: &'static str,
    etag: String,
}

impl Cache {
    fn get(&self, key: &str) -> Option<Cached> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let i = entries.iter().position(|(k, _)| k == key)?;
        let hit = entries.remove(i)?;
        let cached = hit.1.clone();
        entries.push_front(hit);
        Some(cached)
    }

    fn put(&self, key: String, cached: Cached) {
        if cached.body.len() > CACHE_ENTRY_BYTES {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|(k, _)| *k != key);
        entries.push_front((key, cached));
        entries.truncate(CACHE_ENTRIES);
        while entries.iter().map(|(_, c)| c.body.len()).sum::<usize>() > CACHE_BYTES {
            entries.pop_back();
        }
    }
}

/// Answers one request, and counts it.
pub(super) async fn handle(state: Arc<State>, req: Request<Incoming>) -> Response<Body> {
    let start = Instant::now();
    let route = route_of(req.uri().path());
    let timeout = state.request_timeout;
    let response = match tokio::time::timeout(timeout, dispatch(&state, route, req)).await {
        Ok(response) => response,
        Err(_) => error(
            StatusCode::REQUEST_TIMEOUT,
            &format!(
                "the request took more than {} s (the server's --request-timeout)",
                timeout.as_secs()
            ),
        ),
    };
    state
        .metrics
        .record(route, response.status().as_u16(), start.elapsed());
    response
}

/// The route of a path.
fn route_of(path: &str) -> Route {
    match path {
        "/" => Route::Page,
        "/answer" => Route::Answer,
        "/map.svg" => Route::Map,
        "/v1/numbers" => Route::Numbers,
        "/v1/export" => Route::Export,
        "/v1/plan" => Route::Plan,
        "/healthz" => Route::Health,
        "/metrics" => Route::Metrics,
        p if p.starts_with("/v1/numbers/") => Route::Number,
        _ => Route::Other,
    }
}

async fn dispatch(state: &Arc<State>, route: Route, req: Request<Incoming>) -> Response<Body> {
    let allowed = match route {
        Route::Other => {
            return error(
                StatusCode::NOT_FOUND,
                "no such endpoint: see /v1/plan, /v1/numbers/{number}, /v1/numbers, /v1/export, /healthz, /metrics, /",
            );
        }
        Route::Numbers => "POST",
        _ => "GET, HEAD",
    };
    if !allowed.split(", ").any(|m| m == req.method().as_str()) {
        let mut r = error(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!("{} takes {allowed}", req.uri().path()),
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allowed));
        return r;
    }
    let served = state.served();
    let params = Params::parse(req.uri().query());
    let expired = expired_on(served.owned.artifact(), crate::cli::today_utc());
    match route {
        Route::Health => return health(&served, expired),
        Route::Metrics => return metrics(state, &served),
        Route::Plan => return plan(&served, expired),
        _ => {}
    }
    if let Some(e) = expired {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!(
                "the served artifact expired on {e}; the server answers again once a newer one is published"
            ),
        );
    }
    let result = match route {
        Route::Number => number(&served, req.uri().path(), &params),
        Route::Numbers => numbers(state, served, req, &params).await,
        Route::Export => export(state, served, &req, &params).await,
        Route::Page | Route::Answer => page(state, served, &req, &params, route == Route::Answer).await,
        Route::Map => map(state, served, &req, &params).await,
        Route::Health | Route::Metrics | Route::Plan | Route::Other => {
            Err(fail(StatusCode::INTERNAL_SERVER_ERROR, "unrouted request"))
        }
    };
    result.unwrap_or_else(|f| error(f.status, &f.message))
}

/// The expiry date of an artifact that has expired by `today` (as `verify` judges it: on its
/// expiry date it is expired).
fn expired_on(a: &numplan::artifact::Artifact<'_>, today: Date) -> Option<Date> {
    a.expires().filter(|&e| today >= e)
}

/// A query string's parameters, percent-decoded (`+` is a space, as forms send it).
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(query: Option<&str>) -> Params {
        Params(
            form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `key`.
    fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, in order.
    fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// A date parameter (`at`, `changes-after`): absent, or a date, or a 400.
    fn date(&self, key: &str) -> Result<Option<Date>, Fail> {
        match self.get(key).filter(|v| !v.trim().is_empty()) {
            None => Ok(None),
            Some(v) => Date::parse(v.trim()).map(Some).map_err(|e| {
                fail(
                    StatusCode::BAD_REQUEST,
                    &format!("{key}={}: {e}", crate::cli::escape_controls(v)),
                )
            }),
        }
    }
}

/// Why a request fails: its status and message (made a JSON error by [`error`]).
struct Fail {
    status: StatusCode,
    message: String,
}

fn fail(status: StatusCode, message: &str) -> Fail {
    Fail {
        status,
        message: message.to_string(),
    }
}

/// An error response: `{"error": "…"}`.
pub(super) fn error(status: StatusCode, message: &str) -> Response<Body> {
    #[derive(Serialize)]
    struct E<'x> {
        error: &'x str,
    }
    // Escaped as every JSON output is: a message may quote what the client sent.
    let mut body = Vec::with_capacity(message.len() + 16);
    let _ = serde_json::to_writer(Escaping::json(&mut body), &E { error: message });
    body.push(b'\n');
    respond(status, "application/json", body)
}

fn respond(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

fn json<T: Serialize>(value: &T) -> Response<Body> {
    let mut body = Vec::with_capacity(1024);
    match serde_json::to_writer(Escaping::json(&mut body), value) {
        Ok(()) => {
            body.push(b'\n');
            respond(StatusCode::OK, "application/json", body)
        }
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("cannot write JSON: {e}"),
        ),
    }
}

/// Percent-decodes a path segment (`+` stays a plus: `/v1/numbers/+33162123456`).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|&c| hex(c)),
                b.get(i + 2).and_then(|&c| hex(c)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The context of `context=KEY=VALUE` parameters, or a 400.
fn context(a: &numplan::artifact::Artifact<'_>, params: &Params) -> Result<numplan::artifact::Context, Fail> {
    crate::cli::query::parse_context(a, &params.all("context"))
        .map_err(|e| fail(StatusCode::BAD_REQUEST, &e.replacen("--context", "context", 1)))
}

fn health(served: &Served, expired: Option<Date>) -> Response<Body> {
    #[derive(Serialize)]
    struct Health<'x> {
        status: &'static str,
        plan: &'x str,
        version: &'x str,
        sequence: u64,
        sha256: &'x str,
        #[serde(skip_serializing_if = "Option::is_none")]
        expired: Option<String>,
    }
    let a = served.owned.artifact();
    let mut r = json(&Health {
        status: if expired.is_some() { "expired" } else { "ok" },
        plan: a.plan_id(),
        version: a.plan_version(),
        sequence: a.sequence(),
        sha256: served.sha256(),
        expired: expired.map(|d| d.to_string()),
    });
    if expired.is_some() {
        *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    }
    r
}

fn metrics(state: &State, served: &Served) -> Response<Body> {
    let a = served.owned.artifact();
    let register = a.register_date().map(|d| d.to_string()).unwrap_or_default();
    let text = state.metrics.render(&ArtifactGauges {
        plan: a.plan_id(),
        version: a.plan_version(),
        register: &register,
        sha256: served.sha256(),
        sequence: a.sequence(),
        loaded_unix: served.loaded_unix,
    });
    respond(StatusCode::OK, "text/plain; version=0.0.4; charset=utf-8", text)
}

fn plan(served: &Served, expired: Option<Date>) -> Response<Body> {
    #[derive(Serialize)]
    struct Plan<'x> {
        plan: &'x str,
        name: &'x str,
        authority: &'x str,
        version: &'x str,
        sequence: u64,
        sha256: &'x str,
        register: Option<String>,
        registers: Vec<String>,
        expires: Option<String>,
        expired: bool,
        time_zone: &'x str,
        loaded_at: String,
        uses: Vec<Use<'x>>,
        categories: Vec<Category<'x>>,
        territories: Vec<Territory<'x>>,
    }
    #[derive(Serialize)]
    struct Use<'x> {
        id: &'x str,
        name: &'x str,
        description: Option<&'x str>,
    }
    #[derive(Serialize)]
    struct Category<'x> {
        id: &'x str,
        name: &'x str,
        lengths: Vec<usize>,
    }
    #[derive(Serialize)]
    struct Territory<'x> {
        id: &'x str,
        name: &'x str,
        country_code: Option<u32>,
        time_zone: &'x str,
        foreign: bool,
    }
    let a = served.owned.artifact();
    let loaded_at = jiff::Timestamp::from_second(served.loaded_unix as i64)
        .map(|t| t.to_string())
        .unwrap_or_default();
    json(&Plan {
        plan: a.plan_id(),
        name: a.plan_name(),
        authority: a.authority(),
        version: a.plan_version(),
        sequence: a.sequence(),
        sha256: served.sha256(),
        register: a.register_date().map(|d| d.to_string()),
        registers: a.register_dates().map(|d| d.to_string()).collect(),
        expires: a.expires().map(|d| d.to_string()),
        expired: expired.is_some(),
        time_zone: a.time_zone(),
        loaded_at,
        uses: a
            .uses()
            .map(|u| Use {
                id: u.id,
                name: u.name,
                description: u.description,
            })
            .collect(),
        categories: a
            .categories()
            .map(|c| Category {
                id: c.id,
                name: c.name,
                lengths: (0..32).filter(|&n| c.allows_length(n)).collect(),
            })
            .collect(),
        territories: a
            .territories()
            .map(|t| Territory {
                id: t.id,
                name: t.name,
                country_code: t.country_code,
                time_zone: t.time_zone,
                foreign: t.foreign,
            })
            .collect(),
    })
}

/// `GET /v1/numbers/{number}`: the line `numplan query --format json` writes.
fn number(served: &Served, path: &str, params: &Params) -> Result<Response<Body>, Fail> {
    let raw = percent_decode(path.strip_prefix("/v1/numbers/").unwrap_or(""));
    if raw.trim().is_empty() {
        return Err(fail(StatusCode::BAD_REQUEST, "no number after /v1/numbers/"));
    }
    let at = params.date("at")?;
    let a = served.owned.artifact();
    let ctx = context(a, params)?;
    let mut q = Querier::new(a, QueryFormat::Json, at, ctx).with_shared_tails(&served.tails);
    // Answers are 1 to 8 KB: one allocation.
    let mut body = Vec::with_capacity(16 << 10);
    q.answer(&mut Escaping::json(&mut body), &raw, &raw)
        .map_err(|e| {
            fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("cannot write the answer: {e}"),
            )
        })?;
    Ok(respond(StatusCode::OK, "application/json", body))
}

/// The batch formats.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BatchFormat {
    /// A JSON array of `query --format json` objects.
    Json,
    /// One such object a line.
    Jsonl,
    /// `query --format tsv`, header included.
    Tsv,
}

/// `POST /v1/numbers`: a JSON array of strings, or text with one number a line; the answers
/// in order.
async fn numbers(
    state: &Arc<State>,
    served: Arc<Served>,
    req: Request<Incoming>,
    params: &Params,
) -> Result<Response<Body>, Fail> {
    let format = match params.get("format").unwrap_or("json") {
        "json" => BatchFormat::Json,
        "jsonl" => BatchFormat::Jsonl,
        "tsv" => BatchFormat::Tsv,
        other => {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                &format!(
                    "format={}: expected json, jsonl or tsv",
                    crate::cli::escape_controls(other)
                ),
            ));
        }
    };
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    let is_json = match content_type.as_deref() {
        Some("application/json") => true,
        None | Some("text/plain") => false,
        Some(other) => {
            return Err(fail(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &format!(
                    "Content-Type {}: send application/json (an array of strings) or text/plain (one number a line)",
                    crate::cli::escape_controls(other)
                ),
            ));
        }
    };
    let too_large = || {
        fail(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "the body is larger than {MAX_BODY_BYTES} bytes; send at most {MAX_BATCH_NUMBERS} numbers a request"
            ),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let at = params.date("at")?;
    let ctx = context(served.owned.artifact(), params)?;
    let body = match Limited::new(req.into_body(), MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => return Err(too_large()),
        Err(e) => {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                &format!("cannot read the body: {e}"),
            ));
        }
    };
    let inputs: Vec<String> = if is_json {
        serde_json::from_slice(&body).map_err(|e| {
            fail(
                StatusCode::BAD_REQUEST,
                &format!("the body is not a JSON array of strings: {e}"),
            )
        })?
    } else {
        String::from_utf8_lossy(&body)
            .lines()
            .map(|l| l.trim_end_matches('\r'))
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect()
    };
    let (most, answered) = match format {
        BatchFormat::Tsv => (MAX_BATCH_NUMBERS, "in tsv"),
        BatchFormat::Json | BatchFormat::Jsonl => (MAX_BATCH_NUMBERS_JSON, "in json or jsonl (10000 in tsv)"),
    };
    if inputs.len() > most {
        return Err(fail(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "{} numbers: at most {most} a request answered {answered}",
                inputs.len()
            ),
        ));
    }
    // The permit goes with the work: a request that times out does not free it while its work
    // still runs.
    let permit = Arc::clone(&state.heavy).acquire_owned().await.map_err(|_| {
        fail(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server cannot start the work",
        )
    })?;
    let count = inputs.len() as u64;
    let work = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
        let _permit = permit;
        let a = served.owned.artifact();
        let query_format = if format == BatchFormat::Tsv {
            QueryFormat::Tsv
        } else {
            QueryFormat::Json
        };
        let mut q = Querier::new(a, query_format, at, ctx).with_shared_tails(&served.tails);
        let mut out = Vec::with_capacity(inputs.len() * if format == BatchFormat::Tsv { 128 } else { 2048 });
        match format {
            BatchFormat::Tsv => {
                let columns: Vec<&str> = a.uses().map(|u| u.id).collect();
                let mut w = Escaping::text(&mut out);
                q.header(&mut w, &columns)?;
                for n in &inputs {
                    q.answer(&mut w, n, n)?;
                }
            }
            BatchFormat::Jsonl => {
                let mut w = Escaping::json(&mut out);
                for n in &inputs {
                    q.answer(&mut w, n, n)?;
                }
            }
            BatchFormat::Json => {
                out.push(b'[');
                for (i, n) in inputs.iter().enumerate() {
                    out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
                    q.answer(&mut Escaping::json(&mut out), n, n)?;
                    // Each answer ends its line: the separator goes before the next.
                    if out.last() == Some(&b'\n') {
                        out.pop();
                    }
                }
                out.extend_from_slice(b"\n]\n");
            }
        }
        Ok(out)
    });
    let out = match work.await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => {
            return Err(fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("cannot write the answers: {e}"),
            ));
        }
        Err(e) => {
            return Err(fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("the batch failed: {e}"),
            ));
        }
    };
    state
        .metrics
        .batch_numbers
        .fetch_add(count, std::sync::atomic::Ordering::Relaxed);
    let content_type = match format {
        BatchFormat::Json => "application/json",
        BatchFormat::Jsonl => "application/x-ndjson",
        BatchFormat::Tsv => "text/tab-separated-values; charset=utf-8",
    };
    Ok(respond(StatusCode::OK, content_type, out))
}

/// The HTTP content type of an export format.
fn export_content_type(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Tsv => "text/tab-separated-values; charset=utf-8",
        ExportFormat::Json | ExportFormat::Patterns => "application/json",
        ExportFormat::KamailioMtree | ExportFormat::KamailioBlocklist => "application/sql; charset=utf-8",
        ExportFormat::Callkit | ExportFormat::Asterisk | ExportFormat::Regex => "text/plain; charset=utf-8",
    }
}

/// Serves a cached body, or `304 Not Modified` when the client has it.
fn cached_response(req: &Request<Incoming>, cached: &Cached) -> Response<Body> {
    let etag = HeaderValue::from_str(&cached.etag).unwrap_or_else(|_| HeaderValue::from_static("\"\""));
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == cached.etag || t.trim() == "*"));
    let mut r = if matches {
        let mut r = Response::new(Full::new(Bytes::new()));
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        respond(StatusCode::OK, cached.content_type, cached.body.clone())
    };
    r.headers_mut().insert(header::ETAG, etag);
    r
}

/// A strong entity tag for a cache key (which names the artifact by its digest).
fn etag_of(key: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(key.as_bytes());
    format!("\"{}\"", &numplan::artifact::hex(&digest)[..32])
}

/// `GET /v1/export?format=…&where=…&at=…|changes-after=…`: what `numplan export` writes.
async fn export(
    state: &Arc<State>,
    served: Arc<Served>,
    req: &Request<Incoming>,
    params: &Params,
) -> Result<Response<Body>, Fail> {
    use clap::ValueEnum;
    let names: Vec<String> = ExportFormat::value_variants()
        .iter()
        .filter_map(|f| f.to_possible_value().map(|v| v.get_name().to_string()))
        .collect();
    let format = match params.get("format") {
        None => {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                &format!("format is required: one of {}", names.join(", ")),
            ));
        }
        Some(f) => ExportFormat::from_str(f, false).map_err(|_| {
            fail(
                StatusCode::BAD_REQUEST,
                &format!(
                    "format={}: expected one of {}",
                    crate::cli::escape_controls(f),
                    names.join(", ")
                ),
            )
        })?,
    };
    let at = params.date("at")?;
    let changes_after = params.date("changes-after")?;
    if at.is_some() && changes_after.is_some() {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "at and changes-after exclude each other",
        ));
    }
    let max = match params.get("max") {
        None => MAX_CALLKIT_NUMBERS,
        Some(m) => m
            .parse::<u128>()
            .map_err(|_| fail(StatusCode::BAD_REQUEST, "max: expected a number"))?
            .min(MAX_CALLKIT_NUMBERS),
    };
    let conditions = params.all("where");
    let a = served.owned.artifact();
    let day = at.unwrap_or_else(|| crate::cli::today_in(a.time_zone()));
    let key = format!(
        "export\0{}\0{}\0{}\0{}\0{max}\0{}",
        served.sha256(),
        names[ExportFormat::value_variants()
            .iter()
            .position(|f| *f == format)
            .unwrap_or(0)],
        changes_after.map_or_else(|| day.to_string(), |d| format!("after {d}")),
        conditions.len(),
        conditions.join("\0")
    );
    if let Some(cached) = served.cache.get(&key) {
        return Ok(cached_response(req, &cached));
    }
    // The permit goes with the work: a request that times out does not free it while its work
    // still runs.
    let permit = Arc::clone(&state.heavy).acquire_owned().await.map_err(|_| {
        fail(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server cannot start the work",
        )
    })?;
    let for_work = Arc::clone(&served);
    let work = tokio::task::spawn_blocking(move || -> Result<Cached, (StatusCode, String)> {
        let _permit = permit;
        let a = for_work.owned.artifact();
        let request = cli_export::Request {
            format,
            at: Some(day),
            changes_after,
            conditions: &conditions,
            max: Some(max),
        };
        let prepared = cli_export::prepare(a, &request).map_err(|e| {
            let message = e
                .message
                .replace("--changes-after", "changes-after")
                .replace("--where", "where")
                .replace("--at", "at")
                .replace("--max", "max");
            (StatusCode::BAD_REQUEST, message)
        })?;
        let mut out = Vec::new();
        prepared.write(&mut Escaping::text(&mut out)).map_err(|e| {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot write the export: {e}"),
            )
        })?;
        // Kept by the work itself: an export that outlasts its request's timeout still serves
        // the next one.
        let cached = Cached {
            body: Bytes::from(out),
            content_type: export_content_type(format),
            etag: etag_of(&key),
        };
        for_work.cache.put(key, cached.clone());
        Ok(cached)
    });
    let cached = match work.await {
        Ok(Ok(cached)) => cached,
        Ok(Err((status, message))) => return Err(fail(status, &message)),
        Err(e) => {
            return Err(fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("the export failed: {e}"),
            ));
        }
    };
    Ok(cached_response(req, &cached))
}

/// The page's language from `?lang=` and `Accept-Language`.
fn lang_of(req: &Request<Incoming>, params: &Params) -> Lang {
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::choose(params.get("lang"), accept)
}

/// The map of the plan on `day`, made once per artifact, day and language.
async fn map_svg(state: &Arc<State>, served: &Arc<Served>, day: Date, lang: Lang) -> Result<Cached, Fail> {
    let key = format!("map\0{}\0{day}\0{lang:?}", served.sha256());
    if let Some(cached) = served.cache.get(&key) {
        return Ok(cached);
    }
    // The permit goes with the work: a request that times out does not free it while its work
    // still runs.
    let permit = Arc::clone(&state.heavy).acquire_owned().await.map_err(|_| {
        fail(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server cannot start the work",
        )
    })?;
    let for_work = Arc::clone(served);
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let cached = Cached {
            body: Bytes::from(page::render_map(for_work.owned.artifact(), day, lang)),
            content_type: "image/svg+xml",
            etag: etag_of(&key),
        };
        // Kept by the work itself, as exports are.
        for_work.cache.put(key, cached.clone());
        cached
    })
    .await
    .map_err(|e| fail(StatusCode::INTERNAL_SERVER_ERROR, &format!("the map failed: {e}")))
}

/// `GET /map.svg?at=…&lang=…`.
async fn map(
    state: &Arc<State>,
    served: Arc<Served>,
    req: &Request<Incoming>,
    params: &Params,
) -> Result<Response<Body>, Fail> {
    let day = params
        .date("at")?
        .unwrap_or_else(|| crate::cli::today_in(served.owned.artifact().time_zone()));
    let cached = map_svg(state, &served, day, lang_of(req, params)).await?;
    let mut r = cached_response(req, &cached);
    r.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    Ok(r)
}

/// `GET /` (the page) and `GET /answer` (its answer section alone).
async fn page(
    state: &Arc<State>,
    served: Arc<Served>,
    req: &Request<Incoming>,
    params: &Params,
    fragment: bool,
) -> Result<Response<Body>, Fail> {
    let lang = lang_of(req, params);
    let (at, at_error) = match params.date("at") {
        Ok(at) => (at, None),
        // A bad date typed in the form: the page says so (and answers nothing) rather than
        // a JSON error.
        Err(e) if !fragment => (None, Some(e.message)),
        Err(e) => return Err(e),
    };
    let number = params.get("number").filter(|n| !n.trim().is_empty());
    let request = PageRequest {
        number,
        at,
        lang,
        at_error: at_error.as_deref(),
    };
    let a = served.owned.artifact();
    let html = if fragment {
        page::render_answer(a, &request, &crate::cli::today_in)
    } else {
        let day = at.unwrap_or_else(|| crate::cli::today_in(a.time_zone()));
        let map = map_svg(state, &served, day, lang).await?;
        let svg = String::from_utf8_lossy(&map.body);
        page::render_page(a, served.sha256(), &request, &crate::cli::today_in, &svg)
    };
    let mut r = respond(StatusCode::OK, "text/html; charset=utf-8", html);
    r.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_artifact_is_expired_from_its_expiry_date_as_verify_says() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/valid/mini");
        let plan = numplan::validate::validate(numplan::load::load_dir(&dir))
            .plan
            .expect("mini is valid");
        let expires = Date::new(2030, 6, 1).unwrap();
        let options = numplan::artifact::CompileOptions {
            sequence: None,
            expires: Some(expires),
        };
        let bytes = numplan::artifact::compile(&plan, &options).expect("compiles");
        let a = numplan::artifact::Artifact::open(&bytes).unwrap();
        for (today, expired) in [((2030, 5, 31), false), ((2030, 6, 1), true), ((2031, 1, 1), true)] {
            let today = Date::new(today.0, today.1, today.2).unwrap();
            assert_eq!(expired_on(&a, today), expired.then_some(expires), "{today}");
            let verified = a.verify(&numplan::artifact::VerifyOptions {
                today: Some(today),
                ..Default::default()
            });
            assert_eq!(verified.is_err(), expired, "verify agrees on {today}");
        }
    }

    #[test]
    fn paths_are_percent_decoded_and_plus_kept() {
        assert_eq!(percent_decode("%2B33%201%2062"), "+33 1 62");
        assert_eq!(percent_decode("+33162123456"), "+33162123456");
        assert_eq!(percent_decode("01%2"), "01%2");
        assert_eq!(percent_decode("%ff"), "\u{fffd}");
    }

    #[test]
    fn routes_of_paths() {
        assert_eq!(route_of("/v1/numbers/0162"), Route::Number);
        assert_eq!(route_of("/v1/numbers"), Route::Numbers);
        assert_eq!(route_of("/v1/numbersx"), Route::Other);
        assert_eq!(route_of("/"), Route::Page);
    }

    #[test]
    fn the_cache_keeps_the_most_recent_entries() {
        let cache = Cache::default();
        let entry = |n: u8| Cached {
            body: Bytes::from(vec![n]),
            content_type: "x",
            etag: String::new(),
        };
        for n in 0..=CACHE_ENTRIES as u8 {
            cache.put(n.to_string(), entry(n));
        }
        assert!(cache.get("0").is_none(), "the oldest entry is dropped");
        assert_eq!(cache.get("1").map(|c| c.body), Some(Bytes::from(vec![1])));
        // Bounded in bytes too: a body over the entry bound is not kept, and large ones push
        // the oldest out.
        let big = |n: usize| Cached {
            body: Bytes::from(vec![0; n]),
            content_type: "x",
            etag: String::new(),
        };
        cache.put("huge".into(), big(CACHE_ENTRY_BYTES + 1));
        assert!(cache.get("huge").is_none());
        for k in 0..CACHE_BYTES / CACHE_ENTRY_BYTES + 1 {
            cache.put(format!("big{k}"), big(CACHE_ENTRY_BYTES));
        }
        let kept = cache.entries.lock().unwrap();
        assert!(kept.iter().map(|(_, c)| c.body.len()).sum::<usize>() <= CACHE_BYTES);
        assert!(
            !kept.iter().any(|(k, _)| k == "big0"),
            "the oldest big one went first"
        );
    }
}
