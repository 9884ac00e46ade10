//! The web page of `numplan serve` in a real browser: Debian's chromium, driven through
//! chromedriver's WebDriver protocol (W3C), a dozen JSON calls made with the test's HTTP client.
//!
//! A person types a number in the form, submits, and reads the verdicts; the SVG map is drawn.
//! The page is used with JavaScript (the answer fetched and swapped in) and without (the form's
//! GET renders it). A screenshot of each is kept in `target/browser/` (a CI artefact).
//!
//! Expected verdicts come from the French plan's sources: 0162 numbers are "numéros polyvalents
//! vérifiés" since 2023-01-01, which automated systems may present (Arcep 2022-1583, annex 1
//! §2.3.7; plan-sources/fr/categories.yaml); 01 40 numbers are territorialised "numéros
//! polyvalents", which a person may present and automated systems may not since 2023-01-01
//! (2022-1583 annex 1 §2.3.2 f; the same file).

use super::serve::{Server, agent, get};
use super::util::root;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The W3C key of an element reference in WebDriver replies.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A running chromedriver, killed when dropped.
struct Driver {
    child: Child,
    base: String,
    agent: ureq::Agent,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// chromedriver, or `None` outside CI when chromium is not installed (CI installs it).
fn driver() -> Option<Driver> {
    let found = Command::new("chromedriver").arg("--version").output().is_ok()
        && std::path::Path::new("/usr/bin/chromium").exists();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "install chromium and chromedriver (apt-get install -y chromium chromium-driver)"
        );
        eprintln!("chromium or chromedriver is not installed: skipping the browser test");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let d = Driver {
        child,
        base: format!("http://127.0.0.1:{port}"),
        agent: agent(),
    };
    let start = Instant::now();
    loop {
        if let Ok(mut r) = d.agent.get(&format!("{}/status", d.base)).call()
            && r.body_mut()
                .read_to_string()
                .is_ok_and(|b| b.contains("\"ready\":true"))
        {
            return Some(d);
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One browser session.
struct Session<'d> {
    d: &'d Driver,
    id: String,
}

impl Driver {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let result = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, body) => self
                .agent
                .post(&url)
                .header("content-type", "application/json")
                .send(serde_json::to_vec(&body.unwrap_or(json!({}))).unwrap().as_slice()),
        };
        let mut r = result.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = r.status().as_u16();
        let text = r
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .unwrap();
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}"));
        assert_eq!(status, 200, "{method} {path}: {text:.500}");
        v["value"].clone()
    }

    /// A headless chromium session; `javascript: false` turns scripts off.
    fn session(&self, javascript: bool) -> Session<'_> {
        let profile = tempdir("chromium-profile");
        let mut args = vec![
            "--headless".to_string(),
            "--no-sandbox".to_string(),
            "--disable-gpu".to_string(),
            "--disable-dev-shm-usage".to_string(),
            "--disable-quic".to_string(),
            "--no-first-run".to_string(),
            "--disable-background-networking".to_string(),
            "--disable-component-update".to_string(),
            "--disable-sync".to_string(),
            "--window-size=1280,1800".to_string(),
            format!("--user-data-dir={}", profile.display()),
        ];
        if !javascript {
            args.push("--blink-settings=scriptEnabled=false".to_string());
        }
        let v = self.call(
            "POST",
            "/session",
            Some(json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}
            }}})),
        );
        Session {
            d: self,
            id: v["sessionId"].as_str().expect("a session id").to_string(),
        }
    }
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Session<'_> {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.d.call(method, &format!("/session/{}{path}", self.id), body)
    }

    fn go(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    /// The elements matching a CSS selector now.
    fn find_all(&self, css: &str) -> Vec<String> {
        let v = self.call(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        );
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| e[ELEMENT].as_str().unwrap().to_string())
            .collect()
    }

    /// The first element matching `css`, waiting up to 10 s for it.
    fn find(&self, css: &str) -> String {
        let start = Instant::now();
        loop {
            if let Some(e) = self.find_all(css).into_iter().next() {
                return e;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "no element {css} on the page"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn text(&self, element: &str) -> String {
        self.call("GET", &format!("/element/{element}/text"), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn attribute(&self, element: &str, name: &str) -> Option<String> {
        self.call("GET", &format!("/element/{element}/attribute/{name}"), None)
            .as_str()
            .map(str::to_string)
    }

    fn type_into(&self, element: &str, text: &str) {
        self.call("POST", &format!("/element/{element}/clear"), Some(json!({})));
        self.call(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        );
    }

    fn click(&self, element: &str) {
        self.call("POST", &format!("/element/{element}/click"), Some(json!({})));
    }

    fn script(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// Saves a screenshot as `target/browser/NAME.png`.
    fn screenshot(&self, name: &str) {
        use base64::Engine;
        let png = self.call("GET", "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "a PNG");
        let dir = root().join("target").join("browser");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), bytes).unwrap();
    }

    /// Runs `script` (which returns a value or `null`) until it returns a value, up to 10 s.
    /// Reading through one script is atomic: the page's JavaScript may swap the answer between
    /// two WebDriver calls, which would make an element reference stale.
    fn wait_for(&self, script: &str, what: &str) -> Value {
        let start = Instant::now();
        loop {
            let v = self.script(script);
            if !v.is_null() {
                return v;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{what}: not on the page"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The verdict the page shows for `use_id` (the `data-verdict` of its row), and the row's
    /// text.
    fn verdict(&self, use_id: &str) -> (String, String) {
        let v = self.wait_for(
            &format!(
                "const c = document.querySelector('#answer tr.use[data-use=\"{use_id}\"] .verdict'); \
                 return c ? [c.dataset.verdict, c.closest('tr').innerText] : null;"
            ),
            &format!("the verdict of {use_id}"),
        );
        (
            v[0].as_str().unwrap_or_default().to_string(),
            v[1].as_str().unwrap_or_default().to_string(),
        )
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        let _ = self
            .d
            .agent
            .delete(&format!("{}/session/{}", self.d.base, self.id))
            .call();
    }
}

/// Types `number` in the page's form and submits it.
fn ask(s: &Session<'_>, number: &str) {
    let input = s.find("form input[name=\"number\"]");
    s.type_into(&input, number);
    let submit = s.find("form [type=\"submit\"]");
    s.click(&submit);
}

/// Waits until the answer on the page is for the number of E.164 form `e164` (shown in it).
fn wait_answer_for(s: &Session<'_>, e164: &str) {
    s.wait_for(
        &format!(
            "const a = document.querySelector('#answer'); \
             return a && a.innerText.includes('{e164}') ? true : null;"
        ),
        &format!("an answer for {e164}"),
    );
}

#[test]
fn a_person_types_a_number_and_reads_the_verdicts_and_the_map() {
    let Some(driver) = driver() else { return };
    let server = Server::start(&[]);
    assert_eq!(get(&agent(), &server.url("/healthz")).status, 200);

    // With JavaScript: the answer is fetched and swapped in.
    let s = driver.session(true);
    s.go(&server.url("/?lang=en"));
    let map = s.find("svg#map");
    let cells = s.find_all("svg#map .cell");
    assert!(cells.len() >= 100, "{} cells in the map", cells.len());
    let width = s.script(
        "const b = document.querySelector('svg#map').getBoundingClientRect(); return b.width * b.height;",
    );
    assert!(
        width.as_f64().unwrap_or(0.0) > 10_000.0,
        "the map is drawn: {width}"
    );
    assert!(s.attribute(&map, "id").is_some());
    // The map has the 0162 cell, linked.
    assert!(
        !s.find_all("svg#map .cell[data-prefix=\"0162\"]").is_empty(),
        "a cell for 0162"
    );

    // A mark on the window: it survives only if the answer is swapped in by the page's script,
    // not loaded as a new page.
    s.script("window.numplanMark = 1; return null;");
    let history = s.script("return history.length;");
    ask(&s, "01 62 12 34 56");
    wait_answer_for(&s, "+33162123456");
    assert_eq!(
        s.script("return window.numplanMark === 1;"),
        json!(true),
        "the answer came without a page load"
    );
    assert!(
        s.script("return history.length;").as_u64() > history.as_u64(),
        "the URL was pushed to the history"
    );
    let (verdict, text) = s.verdict("automated-voice");
    assert_eq!(verdict, "allowed", "{text}");
    assert!(text.contains("2022-1583"), "the legal basis is shown: {text}");
    let answer = s.find("#answer");
    assert_eq!(s.attribute(&answer, "data-valid").as_deref(), Some("true"));
    let all = s.text(&answer);
    assert!(
        all.contains("Numéros polyvalents vérifiés"),
        "the category's name: {all}"
    );
    assert!(
        !all.to_lowercase().contains("current operator"),
        "block holder, never current operator"
    );
    // The URL follows the answer (history.pushState), so it can be shared.
    let url = s.call("GET", "/url", None);
    assert!(url.as_str().unwrap().contains("number="), "{url}");
    s.screenshot("page-js-0162");

    // A geographic number: automated systems may not present it.
    ask(&s, "+33 1 40 12 34 56");
    wait_answer_for(&s, "+33140123456");
    let (verdict, text) = s.verdict("automated-voice");
    assert_eq!(verdict, "forbidden", "{text}");
    let (verdict, _) = s.verdict("voice");
    assert_eq!(verdict, "allowed");

    // Garbage is an answer, escaped.
    ask(&s, "<b>12ab</b>");
    let markup = s.wait_for(
        "const a = document.querySelector('#answer[data-valid=\"false\"]'); \
         return a ? a.querySelectorAll('b').length : null;",
        "the answer for garbage",
    );
    assert_eq!(markup, 0, "the input is not markup");
    drop(s);

    // Without JavaScript: the form's GET renders the answer in the page (a new page: the
    // script that would have set a mark cannot run, so there is none to check).
    let s = driver.session(false);
    s.go(&server.url("/?lang=fr"));
    ask(&s, "0162123456");
    wait_answer_for(&s, "+33162123456");
    let (verdict, _) = s.verdict("automated-voice");
    assert_eq!(verdict, "allowed");
    let url = s.call("GET", "/url", None);
    assert!(url.as_str().unwrap().contains("number=0162123456"), "{url}");
    assert!(
        !s.find_all("svg#map .cell").is_empty(),
        "the map without JavaScript"
    );
    s.screenshot("page-nojs-0162");
}
