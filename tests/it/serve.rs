//! `numplan serve` through the real binary on an ephemeral port: every endpoint, reloads under a
//! stream of requests, refused files, limits, shutdown.
//!
//! Expected answers come from the plans' sources (`tests/data/valid/mini`, `plan-sources/fr`) or
//! from `numplan query` / `numplan export`, which the API promises to match byte for byte.

use super::util::{code, copy_dir, numplan, repo, root, scratch};
use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `numplan serve`, stopped (SIGTERM) when dropped.
pub struct Server {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// Its stderr lines so far.
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `numplan serve --listen 127.0.0.1:0 ARGS…` and waits until it listens.
    pub fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_numplan"))
            .current_dir(root())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("numplan serve starts");
        let stderr = child.stderr.take().expect("stderr piped");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let lines = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.find("listening on http://") {
                    let _ = tx.send(line[at + "listening on http://".len()..].trim().to_string());
                }
                lines.lock().unwrap().push(line);
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                panic!("the server did not start: {:?}", log.lock().unwrap());
            }
        };
        Server { child, addr, log }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The stderr lines so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Sends a signal (`kill -SIG`).
    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "kill -{sig}");
    }

    /// Waits (up to `within`) for a log line containing `text`.
    fn wait_log(&self, text: &str, within: Duration) -> String {
        let start = Instant::now();
        loop {
            if let Some(line) = self.log().into_iter().find(|l| l.contains(text)) {
                return line;
            }
            assert!(
                start.elapsed() < within,
                "no log line with {text:?} within {within:?}: {:?}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .stderr(Stdio::null())
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(15) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that returns every status as a response.
pub fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build(),
    )
}

/// A response's status, content type and body.
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub etag: Option<String>,
    pub body: String,
}

fn reply(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut r = r.expect("the request gets a response");
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header("content-type").unwrap_or_default();
    let etag = header("etag");
    let status = r.status().as_u16();
    let body = r
        .body_mut()
        .with_config()
        .limit(256 << 20)
        .read_to_string()
        .expect("the body reads");
    Reply {
        status,
        content_type,
        etag,
        body,
    }
}

pub fn get(agent: &ureq::Agent, url: &str) -> Reply {
    reply(agent.get(url).call())
}

fn post(agent: &ureq::Agent, url: &str, content_type: &str, body: &[u8]) -> Reply {
    reply(agent.post(url).header("content-type", content_type).send(body))
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_number_answers_as_query_json_does_and_malformed_numbers_are_answers() {
    let server = Server::start(&[]);
    let agent = agent();
    for (path, typed) in [
        (
            "/v1/numbers/01%2062%2012%2034%2056?at=2026-01-01",
            "01 62 12 34 56",
        ),
        ("/v1/numbers/+33162123456?at=2026-01-01", "+33162123456"),
        ("/v1/numbers/0140000000?at=2026-01-01", "0140000000"),
        ("/v1/numbers/%3Cscript%3E?at=2026-01-01", "<script>"),
    ] {
        let r = get(&agent, &server.url(path));
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert_eq!(r.content_type, "application/json");
        let expected = numplan(&["query", "--format", "json", "--at", "2026-01-01", typed]);
        assert_eq!(r.body, stdout(&expected), "{path}");
    }
    // The facts, from plan-sources/fr: 0162 is a verified multi-use number (NPV) since
    // 2023-01-01, which automated systems may present (ranges.yaml, categories.yaml; 2022-1583).
    let v = json(&get(&agent, &server.url("/v1/numbers/0162123456?at=2026-01-01")).body);
    assert_eq!(v["category"], "polyvalent-verifie");
    assert_eq!(v["verdicts"]["automated-voice"]["verdict"], "allowed");
    let v = json(&get(&agent, &server.url("/v1/numbers/0162123456?at=2022-12-31")).body);
    assert_ne!(v["category"], "polyvalent-verifie", "not before 2023-01-01");
    // A malformed number is an answer, not a server error.
    let v = json(&get(&agent, &server.url("/v1/numbers/12ab")).body);
    assert_eq!(v["valid"], false);
    // Bad parameters are 400 with a JSON error.
    let r = get(&agent, &server.url("/v1/numbers/0162123456?at=2026-13-01"));
    assert_eq!(r.status, 400);
    assert!(
        json(&r.body)["error"]
            .as_str()
            .unwrap()
            .starts_with("at=2026-13-01"),
        "{}",
        r.body
    );
    let r = get(&agent, &server.url("/v1/numbers/0162123456?context=nonsense"));
    assert_eq!(r.status, 400, "{}", r.body);
    let r = get(&agent, &server.url("/v1/numbers/"));
    assert_eq!(r.status, 400, "{}", r.body);
}

#[test]
fn a_batch_answers_in_order_in_json_jsonl_and_tsv() {
    let server = Server::start(&[]);
    let agent = agent();
    let numbers = ["0162123456", "garbage", "+590 590 12 34 56", "15", ""];
    let body = serde_json::to_vec(&numbers).unwrap();
    let r = post(
        &agent,
        &server.url("/v1/numbers?at=2026-01-01"),
        "application/json",
        &body,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let answers = json(&r.body);
    let answers = answers.as_array().expect("an array");
    assert_eq!(
        answers.len(),
        numbers.len(),
        "every element answered, the empty one too"
    );
    for (n, a) in numbers.iter().zip(answers) {
        assert_eq!(a["input"], *n);
        let one = numplan(&["query", "--format", "json", "--at", "2026-01-01", n]);
        if !n.is_empty() {
            assert_eq!(*a, json(&stdout(&one)), "{n}");
        }
    }
    // Text: one number a line, blank lines skipped (as `query -` does).
    let text = "0162123456\n\ngarbage\r\n15\n";
    let r = post(
        &agent,
        &server.url("/v1/numbers?format=jsonl&at=2026-01-01"),
        "text/plain",
        text.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.content_type, "application/x-ndjson");
    let inputs: Vec<String> = r
        .body
        .lines()
        .map(|l| json(l)["input"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(inputs, ["0162123456", "garbage", "15"]);
    // TSV is `query --format tsv` of the same numbers.
    let r = post(
        &agent,
        &server.url("/v1/numbers?format=tsv&at=2026-01-01"),
        "text/plain",
        text.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let expected = numplan(&[
        "query",
        "--format",
        "tsv",
        "--at",
        "2026-01-01",
        "0162123456",
        "garbage",
        "15",
    ]);
    assert_eq!(r.body, stdout(&expected));
    // Wrong bodies and types.
    let r = post(
        &agent,
        &server.url("/v1/numbers"),
        "application/json",
        b"{\"a\": 1}",
    );
    assert_eq!(r.status, 400, "{}", r.body);
    let r = post(&agent, &server.url("/v1/numbers"), "application/xml", b"<a/>");
    assert_eq!(r.status, 415, "{}", r.body);
    let r = post(&agent, &server.url("/v1/numbers?format=xml"), "text/plain", b"15");
    assert_eq!(r.status, 400, "{}", r.body);
    let r = get(&agent, &server.url("/v1/numbers"));
    assert_eq!(r.status, 405, "{}", r.body);
}

#[test]
fn export_is_what_numplan_export_writes_with_an_etag() {
    // A debug build computing `changes-after` while the other tests run can take longer than
    // the default 10 s.
    let server = Server::start(&["--request-timeout", "300"]);
    let agent = agent();
    for (query, args) in [
        (
            "format=tsv&where=automated-voice=allowed&at=2026-01-01",
            vec![
                "--format",
                "tsv",
                "--where",
                "automated-voice=allowed",
                "--at",
                "2026-01-01",
            ],
        ),
        (
            "format=asterisk&where=category=polyvalent-verifie&where=territory=metropole&at=2026-01-01",
            vec![
                "--format",
                "asterisk",
                "--where",
                "category=polyvalent-verifie",
                "--where",
                "territory=metropole",
                "--at",
                "2026-01-01",
            ],
        ),
        (
            "format=json&where=category=polyvalent-verifie&changes-after=2022-06-01",
            vec![
                "--format",
                "json",
                "--where",
                "category=polyvalent-verifie",
                "--changes-after",
                "2022-06-01",
            ],
        ),
    ] {
        let r = get(&agent, &server.url(&format!("/v1/export?{query}")));
        assert_eq!(r.status, 200, "{query}: {}", r.body);
        let mut cli = vec!["export"];
        cli.extend(args);
        let expected = numplan(&cli);
        assert_eq!(code(&expected), 0);
        assert_eq!(r.body, stdout(&expected), "{query}");
        // The same request again: the same tag; with If-None-Match, 304 and no body.
        let etag = r.etag.expect("an ETag");
        let again = reply(
            agent
                .get(&server.url(&format!("/v1/export?{query}")))
                .header("if-none-match", &etag)
                .call(),
        );
        assert_eq!(again.status, 304);
        assert!(again.body.is_empty());
    }
    let r = get(
        &agent,
        &server.url("/v1/export?where=category=polyvalent-verifie"),
    );
    assert_eq!(r.status, 400, "format is required");
    assert!(r.body.contains("kamailio-mtree"), "{}", r.body);
    let r = get(&agent, &server.url("/v1/export?format=tsv&where=categroy=x"));
    assert_eq!(r.status, 400);
    // A CallKit list over the server's bound is refused, with the count.
    let r = get(
        &agent,
        &server.url("/v1/export?format=callkit&where=automated-voice=allowed"),
    );
    assert_eq!(r.status, 400, "{}", &r.body[..r.body.len().min(200)]);
    assert!(r.body.contains("more than"), "{}", r.body);
}

#[test]
fn plan_health_and_metrics() {
    let server = Server::start(&[]);
    let agent = agent();
    let plan = json(&get(&agent, &server.url("/v1/plan")).body);
    // The SHA-256 of the served file's payload: everything before its 32-byte trailer.
    let bytes = std::fs::read(repo("generated/fr.npa")).unwrap();
    let digest = <sha2::Sha256 as sha2::Digest>::digest(&bytes[..bytes.len() - 32]);
    let sha: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(plan["plan"], "fr");
    assert_eq!(plan["sha256"], sha);
    // From plan-sources/fr/plan.yaml: its version and sequence, and the register's date.
    let yaml = std::fs::read_to_string(repo("plan-sources/fr/plan.yaml")).unwrap();
    let field = |k: &str| {
        yaml.lines()
            .find_map(|l| l.strip_prefix(k))
            .map(|v| v.split('#').next().unwrap().trim().trim_matches('"').to_string())
            .unwrap()
    };
    assert_eq!(plan["version"], field("version:"));
    assert_eq!(plan["sequence"].to_string(), field("sequence:"));
    assert_eq!(
        plan["register"],
        field("version:"),
        "the plan's version is its register's date"
    );
    let uses: Vec<&str> = plan["uses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(uses, ["voice", "sms", "automated-voice", "automated-sms"]);
    let categories = plan["categories"].as_array().unwrap();
    let npv = categories
        .iter()
        .find(|c| c["id"] == "polyvalent-verifie")
        .expect("NPV listed");
    assert_eq!(npv["lengths"], serde_json::json!([10]));
    let health = get(&agent, &server.url("/healthz"));
    assert_eq!(health.status, 200);
    assert_eq!(json(&health.body)["status"], "ok");
    get(&agent, &server.url("/v1/numbers/0162123456"));
    get(&agent, &server.url("/nowhere"));
    let metrics = get(&agent, &server.url("/metrics"));
    assert!(
        metrics.content_type.starts_with("text/plain; version=0.0.4"),
        "{}",
        metrics.content_type
    );
    let m = metrics.body;
    for line in [
        "numplan_http_requests_total{route=\"/v1/numbers/{number}\",status=\"200\"} 1",
        "numplan_http_requests_total{route=\"other\",status=\"404\"} 1",
        "numplan_http_request_duration_seconds_count{route=\"/v1/numbers/{number}\"} 1",
        "numplan_artifact_sequence 1",
        "numplan_reloads_total 0",
    ] {
        assert!(m.lines().any(|l| l == line), "no {line} in\n{m}");
    }
    assert!(m.contains(&format!("sha256=\"{}\"", plan["sha256"].as_str().unwrap())));
}

/// A scratch copy of the mini plan, and a key pair to sign it.
struct Publisher {
    dir: PathBuf,
    plan: PathBuf,
    key: PathBuf,
    artifact: PathBuf,
}

impl Publisher {
    fn new(name: &str) -> Publisher {
        let dir = scratch(name);
        let plan = dir.join("plan");
        copy_dir(&repo("tests/data/valid/mini"), &plan);
        assert_eq!(code(&numplan(&["keygen", "-o", s(&dir.join("k"))])), 0);
        assert_eq!(code(&numplan(&["keygen", "-o", s(&dir.join("other"))])), 0);
        let key = dir.join("k");
        let artifact = dir.join("served").join("mini.npa");
        std::fs::create_dir_all(artifact.parent().unwrap()).unwrap();
        Publisher {
            dir,
            plan,
            key,
            artifact,
        }
    }

    /// Compiles the plan into the served path (a rename into place), signed with `key`.
    fn publish(&self, sequence: u64, key: &str, extra: &[&str]) {
        let mut args = vec!["compile", s(&self.plan), "-o", s(&self.artifact), "--sequence"];
        let seq = sequence.to_string();
        args.push(&seq);
        let key = self.dir.join(format!("{key}.key"));
        args.extend(["--sign", s(&key)]);
        args.extend(extra);
        let out = numplan(&args);
        assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    }

    fn pub_key(&self) -> String {
        format!("{}.pub", s(&self.key))
    }
}

/// The category the mini plan gives 0162123456 (tests/data/valid/mini/ranges.yaml): the verified
/// multi-use category from 2023-01-01 over the plain one of 01-02.
const MINI_NUMBER: &str = "/v1/numbers/0162123456?at=2024-01-01";
/// An export of the mini plan.
const EXPORT: &str = "/v1/export?format=tsv&at=2024-01-01";

#[test]
fn a_new_artifact_is_swapped_in_under_a_stream_of_requests_with_none_failing() {
    let p = Publisher::new("serve-swap");
    p.publish(1, "k", &[]);
    let key = p.pub_key();
    let server = Server::start(&["--plan", s(&p.artifact), "--pub", &key, "--watch-interval", "50"]);
    let agent = agent();
    assert_eq!(
        json(&get(&agent, &server.url(MINI_NUMBER)).body)["category"],
        "polyvalent-verifie"
    );
    let before = get(&agent, &server.url(EXPORT)).etag.expect("an ETag");
    let other = get(
        &agent,
        &server.url(&format!("{EXPORT}&where=territory=metropole")),
    );
    assert_ne!(
        other.etag.as_deref(),
        Some(before.as_str()),
        "other parameters, another tag"
    );
    // The new version: 0162 leaves the verified category (its line of ranges.yaml edited), so
    // it falls back to `01-02`'s polyvalent.
    let ranges = p.plan.join("ranges.yaml");
    let text = std::fs::read_to_string(&ranges).unwrap();
    assert!(text.contains("numbers: 0162, 0270-0271"));
    std::fs::write(
        &ranges,
        text.replace("numbers: 0162, 0270-0271", "numbers: 0270-0271"),
    )
    .unwrap();

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (stop, url, plan_url) = (Arc::clone(&stop), server.url(MINI_NUMBER), server.url("/v1/plan"));
        clients.push(std::thread::spawn(move || {
            let agent = self::agent();
            let mut seen = Vec::new();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) || n < 50 {
                let r = get(&agent, if n % 5 == 4 { &plan_url } else { &url });
                assert_eq!(r.status, 200, "request {n} failed during the swap: {}", r.body);
                let v = json(&r.body);
                if let Some(c) = v["category"].as_str() {
                    seen.push(c.to_string());
                }
                n += 1;
            }
            (n, seen)
        }));
    }
    std::thread::sleep(Duration::from_millis(300));
    p.publish(2, "k", &[]);
    server.wait_log("reloaded", Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut total = 0;
    for c in clients {
        let (n, seen) = c.join().expect("no request failed");
        total += n;
        // Each answer is the old or the new one, and once a client sees the new one it never
        // sees the old one again.
        let first_new = seen
            .iter()
            .position(|c| c == "polyvalent")
            .expect("the new answer seen");
        assert!(
            seen[..first_new].iter().all(|c| c == "polyvalent-verifie"),
            "{seen:?}"
        );
        assert!(seen[first_new..].iter().all(|c| c == "polyvalent"), "{seen:?}");
    }
    assert!(total >= 200, "{total} requests");
    let plan = json(&get(&agent, &server.url("/v1/plan")).body);
    assert_eq!(plan["sequence"], 2);
    // An export's tag names the artifact: it changed with the swap.
    let after = get(&agent, &server.url(EXPORT)).etag.expect("an ETag");
    assert_ne!(before, after, "the new artifact's export has a new tag");
    let metrics = get(&agent, &server.url("/metrics")).body;
    assert!(
        metrics.lines().any(|l| l == "numplan_reloads_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.lines().any(|l| l == "numplan_artifact_sequence 2"),
        "{metrics}"
    );
}

#[test]
fn corrupt_wrongly_signed_expired_and_older_files_are_refused_and_the_old_one_kept() {
    let p = Publisher::new("serve-refuse");
    p.publish(5, "k", &[]);
    let key = p.pub_key();
    let server = Server::start(&["--plan", s(&p.artifact), "--pub", &key, "--watch-interval", "50"]);
    let agent = agent();
    let first = json(&get(&agent, &server.url("/v1/plan")).body);
    let refused = |reason: &str| -> u64 {
        let m = get(&agent, &server.url("/metrics")).body;
        let prefix = format!("numplan_reloads_refused_total{{reason=\"{reason}\"}} ");
        m.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {m}"))
            .parse()
            .unwrap()
    };
    let still_serving = |why: &str| {
        let r = get(&agent, &server.url(MINI_NUMBER));
        assert_eq!(r.status, 200, "{why}");
        assert_eq!(json(&r.body)["category"], "polyvalent-verifie", "{why}");
        let plan = json(&get(&agent, &server.url("/v1/plan")).body);
        assert_eq!(
            plan["sha256"], first["sha256"],
            "{why}: the old artifact is still served"
        );
    };
    let wait_refused = |reason: &str, n: u64| {
        let start = Instant::now();
        while refused(reason) < n {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "{reason} not refused: {:?}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    };

    // An older sequence: a rollback.
    p.publish(4, "k", &[]);
    wait_refused("rollback", 1);
    still_serving("rollback");
    assert!(
        server
            .wait_log("reload refused", Duration::from_secs(5))
            .contains("sequence 5")
    );

    // Signed with another key.
    p.publish(6, "other", &[]);
    wait_refused("signature", 1);
    still_serving("wrong key");

    // Expired (the compiler allows it on request).
    p.publish(7, "k", &["--expires", "2020-01-01", "--allow-expired"]);
    wait_refused("expired", 1);
    still_serving("expired");

    // Damaged after signing: one byte flipped, renamed into place.
    p.publish(8, "k", &[]);
    let mut bytes = std::fs::read(&p.artifact).unwrap();
    let n = bytes.len();
    bytes[n - 40] ^= 0x55;
    let tmp = p.dir.join("served").join("tmp");
    std::fs::write(&tmp, &bytes).unwrap();
    std::fs::rename(&tmp, &p.artifact).unwrap();
    // The good sequence-8 file may have been swapped in before the damage: what matters is that
    // the damaged file is refused (its structure, or else its signature, fails) and a verified
    // one keeps answering.
    let start = Instant::now();
    while refused("signature") + refused("corrupt") < 2 {
        assert!(start.elapsed() < Duration::from_secs(20), "{:?}", server.log());
        std::thread::sleep(Duration::from_millis(30));
    }
    let r = get(&agent, &server.url(MINI_NUMBER));
    assert_eq!(r.status, 200);

    // A file that is not an artifact at all, with no signature change: refused too. (Counted
    // before the rename: the watcher may refuse it before this thread reads the metrics.)
    let before = refused("signature") + refused("corrupt");
    std::fs::write(&tmp, b"not an artifact").unwrap();
    std::fs::rename(&tmp, &p.artifact).unwrap();
    let start = Instant::now();
    while refused("signature") + refused("corrupt") == before {
        assert!(start.elapsed() < Duration::from_secs(20), "{:?}", server.log());
        std::thread::sleep(Duration::from_millis(30));
    }
    assert_eq!(get(&agent, &server.url(MINI_NUMBER)).status, 200);

    // SIGHUP with a good file: swapped in at once.
    p.publish(9, "k", &[]);
    server.signal("HUP");
    let start = Instant::now();
    while json(&get(&agent, &server.url("/v1/plan")).body)["sequence"] != 9 {
        assert!(start.elapsed() < Duration::from_secs(20), "{:?}", server.log());
        std::thread::sleep(Duration::from_millis(30));
    }
}

/// Sends raw bytes and reads what comes back until the server closes or `wait` passes.
fn raw(addr: &str, bytes: &[u8], wait: Duration) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(wait)).unwrap();
    stream.write_all(bytes).unwrap();
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn limits_are_answered_with_413_431_and_408() {
    let server = Server::start(&["--request-timeout", "1"]);
    let agent = agent();
    // A body over 1 MiB: 413, from its Content-Length, before it is read (none is sent).
    let answer = raw(
        &server.addr,
        b"POST /v1/numbers HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1048577\r\n\r\n",
        Duration::from_secs(5),
    );
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer:.200}");
    // A chunked body (no length said) that grows over 1 MiB: 413 as soon as the byte over the
    // limit is read. (The body ends there, unterminated: every byte sent is read, so the
    // server's close cannot reset the connection before the answer is read.)
    let mut chunked = b"POST /v1/numbers HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..16 {
        chunked.extend_from_slice(b"10000\r\n");
        chunked.extend(std::iter::repeat_n(b'1', 0x10000));
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"1\r\n1\r\n");
    let answer = raw(&server.addr, &chunked, Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer:.200}");
    // More than 10,000 numbers: 413.
    let many = "15\n".repeat(10_001);
    let r = post(&agent, &server.url("/v1/numbers"), "text/plain", many.as_bytes());
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(r.body.contains("10001 numbers"), "{}", r.body);
    // Exactly 10,000 is fine.
    let r = post(
        &agent,
        &server.url("/v1/numbers?format=tsv"),
        "text/plain",
        "15\n".repeat(10_000).as_bytes(),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body.lines().count(), 10_001);
    // Headers over 16 KiB: 431.
    let head = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(20 << 10)
    );
    let answer = raw(&server.addr, head.as_bytes(), Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:.200}");
    // A body that never comes: 408 after the request timeout.
    let start = Instant::now();
    let answer = raw(
        &server.addr,
        b"POST /v1/numbers HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n0162",
        Duration::from_secs(10),
    );
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:.200}");
    assert!(start.elapsed() < Duration::from_secs(5));
    // A head that never ends: the connection is closed after the timeout.
    let start = Instant::now();
    let answer = raw(
        &server.addr,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
        Duration::from_secs(10),
    );
    assert!(!answer.contains("200 OK"), "{answer}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "closed after {:?}",
        start.elapsed()
    );
    // The server is still up.
    assert_eq!(get(&agent, &server.url("/healthz")).status, 200);
}

#[test]
fn connections_are_bounded_and_shutdown_is_graceful() {
    let server = Server::start(&["--max-connections", "2", "--request-timeout", "3"]);
    // Two idle connections hold both slots.
    let a = TcpStream::connect(&server.addr).unwrap();
    let b = TcpStream::connect(&server.addr).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let quick = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_millis(500)))
            .build(),
    );
    assert!(
        quick.get(&server.url("/healthz")).call().is_err(),
        "a third connection waits while two are open"
    );
    drop(a);
    drop(b);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(get(&agent(), &server.url("/healthz")).status, 200);
    // SIGTERM while a request is in flight (its head sent, its body not yet): the request is
    // answered, then the server stops, with status 0.
    let mut inflight = TcpStream::connect(&server.addr).unwrap();
    inflight
        .write_all(b"POST /v1/numbers?format=tsv HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let mut server = server;
    server.signal("TERM");
    server.wait_log("shutting down", Duration::from_secs(5));
    assert!(
        TcpStream::connect(&server.addr).is_err(),
        "no new connections after SIGTERM"
    );
    inflight.write_all(b"0162123456\n").unwrap();
    inflight.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut answer = String::new();
    let _ = inflight.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("0162123456\ttrue"), "{answer}");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "still running");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    assert!(
        server.log().iter().any(|l| l.contains("stopped")),
        "{:?}",
        server.log()
    );
}

#[test]
fn a_refused_artifact_at_start_exits_as_verify_does() {
    let p = Publisher::new("serve-start");
    p.publish(3, "other", &[]);
    let out = numplan(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--plan",
        s(&p.artifact),
        "--pub",
        &p.pub_key(),
    ]);
    assert_eq!(code(&out), 4, "{}", String::from_utf8_lossy(&out.stderr));
    let out = numplan(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--plan",
        s(&p.artifact),
        "--expect-plan",
        "fr",
    ]);
    assert_eq!(code(&out), 7, "{}", String::from_utf8_lossy(&out.stderr));
    let serve = |extra: &[&str]| {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--plan", s(&p.artifact)];
        args.extend(extra);
        numplan(&args)
    };
    let out = serve(&["--last-seen-sequence", "4"]);
    assert_eq!(code(&out), 6, "{}", String::from_utf8_lossy(&out.stderr));
    p.publish(3, "k", &["--expires", "2020-01-01", "--allow-expired"]);
    let key = p.pub_key();
    let out = serve(&["--pub", &key]);
    assert_eq!(code(&out), 5, "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(&p.artifact, b"NUMPLAN\0 but not one").unwrap();
    let out = serve(&[]);
    assert_eq!(code(&out), 3, "{}", String::from_utf8_lossy(&out.stderr));
    // A port already taken: a usage error.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = numplan(&["serve", "--listen", &addr]);
    assert_eq!(code(&out), 2, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen"));
}

#[test]
fn random_requests_get_answers_and_the_server_stays_up() {
    let server = Server::start(&["--request-timeout", "2"]);
    let agent = agent();
    // The same requests on every run.
    let mut next = super::util::xorshift(0x9e37_79b9_7f4a_7c15);
    let pieces: [&[u8]; 16] = [
        b"/v1/numbers/",
        b"/v1/export?format=",
        b"/?number=",
        b"/answer?number=",
        b"/map.svg?at=",
        b"/v1/plan",
        b"%",
        b"%ff%fe",
        b"+33",
        b"0162",
        b"&where=",
        b"&at=",
        b"\xc3\xa9",
        b"%E2%80%AE",
        b"<script>",
        b"9999-99-99",
    ];
    for n in 0..300 {
        let mut path = Vec::new();
        for _ in 0..(next() % 6 + 1) {
            if next().is_multiple_of(3) {
                path.push((next() % 94 + 33) as u8);
            } else {
                path.extend_from_slice(pieces[(next() % pieces.len() as u64) as usize]);
            }
        }
        // Raw bytes that are not valid in a request target make a 400 from the HTTP layer;
        // the rest reach the routes.
        let method: &[u8] = [b"GET".as_slice(), b"POST", b"HEAD", b"PUT"][(next() % 4) as usize];
        let body: Vec<u8> = (0..next() % 64).map(|_| (next() % 256) as u8).collect();
        let mut req = Vec::new();
        req.extend_from_slice(method);
        req.push(b' ');
        if path.first() != Some(&b'/') {
            req.push(b'/');
        }
        req.extend_from_slice(&path);
        req.extend_from_slice(b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
        req.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
        req.extend_from_slice(&body);
        let answer = raw(&server.addr, &req, Duration::from_secs(10));
        let status: u16 = answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or_else(|| {
            panic!(
                "request {n} ({:?}) got no status: {answer:.200}",
                String::from_utf8_lossy(&req)
            )
        });
        assert!(
            status < 500,
            "request {n} ({:?}): {answer:.300}",
            String::from_utf8_lossy(&req)
        );
    }
    assert_eq!(get(&agent, &server.url("/healthz")).status, 200);
    assert!(
        !server.log().iter().any(|l| l.contains("panicked")),
        "{:?}",
        server.log()
    );
}

#[test]
fn a_client_that_does_not_read_its_answer_loses_its_connection() {
    let server = Server::start(&["--max-connections", "2", "--request-timeout", "3"]);
    // Two clients each ask for a large answer (1,000 JSON answers, about 6 MB: more than the
    // sockets' buffers hold) and never read it: they hold both connection slots…
    let body = "0162123456\n".repeat(1000);
    let head = format!(
        "POST /v1/numbers?format=json HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut idle = Vec::new();
    for _ in 0..2 {
        let mut c = TcpStream::connect(&server.addr).unwrap();
        c.write_all(head.as_bytes()).unwrap();
        c.write_all(body.as_bytes()).unwrap();
        idle.push(c);
    }
    // …until their writes have been blocked for the request timeout: then the server drops
    // them, and the next client gets in.
    let patient = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build(),
    );
    let start = Instant::now();
    let r = reply(patient.get(&server.url("/healthz")).call());
    assert_eq!(r.status, 200);
    assert!(start.elapsed() < Duration::from_secs(25), "{:?}", start.elapsed());
    drop(idle);
}

#[test]
fn the_page_says_a_day_is_not_one_rather_than_answer_for_today() {
    let server = Server::start(&[]);
    let agent = agent();
    let r = get(&agent, &server.url("/?number=0162123456&at=2026-13-01&lang=en"));
    assert_eq!(r.status, 200);
    assert!(r.body.contains("id=\"at-error\""), "{:.300}", r.body);
    assert!(!r.body.contains("id=\"answer\""), "no answer for another day");
    let r = get(&agent, &server.url("/answer?number=0162123456&at=2026-13-01"));
    assert_eq!(r.status, 400);
    // Error messages are escaped as every JSON output is: a bidirectional control sent in a
    // parameter comes back as `\u202e`, never raw.
    let r = get(
        &agent,
        &server.url("/v1/numbers/0162123456?at=2026-01-0%E2%80%AE1"),
    );
    assert_eq!(r.status, 400);
    assert!(
        !r.body.contains('\u{202e}') && r.body.contains("\\u202e"),
        "{}",
        r.body
    );
    let r = get(&agent, &server.url("/v1/export?format=tsv&where=nope=1"));
    assert!(!r.body.contains("--where"), "the API's own words: {}", r.body);
}
