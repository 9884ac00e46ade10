//! `numplan serve`: the artifact over HTTP (JSON API, lists, metrics) and a web page, reloaded
//! without downtime when a new signed file is published.
//!
//! - `mod.rs` (here): options, the served artifact and its reload (SIGHUP, or the file replaced,
//!   seen by polling its and its signature's file identity), the accept loop with its bounds
//!   (connections, header size and read time), signals and graceful shutdown.
//! - `routes.rs`: one request → one response: routing, limits, errors as JSON.
//! - `page.rs`: the HTML page, its answer fragment and the SVG map (pure functions).
//! - `metrics.rs`: counters and the Prometheus text.
//!
//! The artifact served is an `Arc<Served>` behind a lock held only to clone or replace it: a
//! request takes its own reference at its start and answers from it to the end, while a reload
//! swaps in a new one for the requests after; the old one is freed when its last request ends.
//! Only this subcommand starts a tokio runtime: the one-shot commands do not pay for it.

mod metrics;
mod page;
mod routes;

use super::{CliError, EXIT_OK, Pinning, print_stderr};
use metrics::{Metrics, Refusal};
use numplan::artifact::{OwnedArtifact, SignatureCheck, VerifyOptions};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

/// Serve the artifact over HTTP: a JSON API (`/v1/numbers/{number}`, `/v1/numbers`,
/// `/v1/export`, `/v1/plan`), `/healthz`, `/metrics` (Prometheus) and a web page at `/`
/// (docs/http-api.md).
///
/// With `--plan`, the file is watched: when it is replaced (renamed into place, as `compile`
/// and `sign` do) or on SIGHUP, the new file is read, verified (digest, signature with `--pub`,
/// expiry, a sequence not lower than the one served, the same plan) and swapped in without
/// dropping a request; a file that fails a check is refused, logged, counted in `/metrics`, and
/// the old one stays served. SIGTERM or SIGINT stop accepting and let requests in flight finish.
///
/// Exit status: 0 after a shutdown by signal; 2 usage or I/O error (the address cannot be
/// bound); 3 to 7 the artifact is refused at start, as in `verify`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    source: super::ArtifactSource,
    /// The address and port to listen on (port 0: any free port, printed at start).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// How often to look whether the artifact or its signature was replaced, in milliseconds
    /// (at least 10; 0: only on SIGHUP).
    #[arg(long, value_name = "MS", default_value_t = 1000, value_parser = parse_interval)]
    watch_interval: u64,
    /// The longest a request may take, body included, in seconds (then 408); a client that takes
    /// longer to send a request's head, or leaves an answer unread that long, has its connection
    /// closed.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    request_timeout: u64,
    /// The most connections open at once; more wait in the listen backlog.
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: Option<u32>,
    #[command(flatten)]
    pinning: Pinning,
}

/// The largest request head (request line and headers); larger gets 431.
pub(super) const MAX_HEADER_BYTES: usize = 16 << 10;
/// How long shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Where the artifact comes from, and how it must be signed.
struct Source {
    /// `None`: the built-in plan (nothing to reload).
    path: Option<PathBuf>,
    public_key: Option<PathBuf>,
    key: Option<numplan::minisign::PublicKey>,
    sig: Option<PathBuf>,
}

impl Source {
    fn name(&self) -> String {
        self.path
            .as_deref()
            .map_or_else(|| "the built-in plan".to_string(), super::escape_path)
    }

    fn signature_path(&self) -> Option<PathBuf> {
        let path = self.path.as_deref()?;
        self.public_key.as_ref()?;
        Some(self.sig.clone().unwrap_or_else(|| super::signature_path(path)))
    }

    /// The identity of the artifact file and of its signature now: a rename into place, or a
    /// rewrite, changes it.
    fn stamp(&self) -> Option<Stamp> {
        let path = self.path.as_deref()?;
        Some(Stamp {
            artifact: FileId::of(path),
            signature: self.signature_path().and_then(|p| FileId::of(&p)),
        })
    }
}

/// A file's identity: device, inode, size, modification time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
    len: u64,
    mtime_ns: i128,
}

impl FileId {
    fn of(path: &Path) -> Option<FileId> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        Some(FileId {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        })
    }
}

/// The identities of the artifact and its signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    artifact: Option<FileId>,
    signature: Option<FileId>,
}

/// An artifact being served, and what is computed from it once.
pub(super) struct Served {
    owned: OwnedArtifact,
    /// When it was loaded (Unix seconds).
    loaded_unix: u64,
    /// Exports and maps already made from it (they are deterministic).
    cache: routes::Cache,
    /// The JSON tails of its answers (see `query::Querier::write_json`).
    tails: super::query::SharedTails,
}

impl Served {
    fn new(owned: OwnedArtifact) -> Served {
        Served {
            owned,
            loaded_unix: jiff::Timestamp::now().as_second().max(0) as u64,
            cache: routes::Cache::default(),
            tails: super::query::SharedTails::default(),
        }
    }

    fn sha256(&self) -> &str {
        &self.owned.trust().sha256
    }
}

/// Everything the requests share.
pub(super) struct State {
    current: RwLock<Arc<Served>>,
    metrics: Metrics,
    source: Source,
    /// Serialises reloads (SIGHUP and the watcher).
    reloading: Mutex<Option<Stamp>>,
    /// Bounds the CPU-heavy work (batches, exports, maps) run off the event loop.
    heavy: Arc<tokio::sync::Semaphore>,
    request_timeout: Duration,
}

impl State {
    /// The artifact served now; a request keeps it to its end.
    fn served(&self) -> Arc<Served> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Reads, verifies and swaps in the artifact file if it changed (`force`: even if its
    /// identity did not, as on SIGHUP). Blocking: file reads and signature checks.
    fn reload(&self, force: bool) {
        let Some(_) = &self.source.path else {
            if force {
                log("SIGHUP: serving the built-in plan, nothing to reload");
            }
            return;
        };
        let mut seen = self.reloading.lock().unwrap_or_else(PoisonError::into_inner);
        let stamp = self.source.stamp();
        if !force && *seen == stamp {
            return;
        }
        *seen = stamp;
        let old = self.served();
        let old_a = old.owned.artifact();
        let pinning = Pinning {
            expect_plan: Some(old_a.plan_id().to_string()),
            last_seen_sequence: Some(old_a.sequence()),
        };
        match load(&self.source, &pinning) {
            Ok(new) if new.trust().sha256 == old.sha256() => {
                if force {
                    log(&format!("reload: {} is unchanged", self.source.name()));
                }
            }
            Ok(new) => {
                let served = Arc::new(Served::new(new));
                let a = served.owned.artifact();
                log(&format!(
                    "reloaded {}: plan {} version {} sequence {} sha256 {} (was sequence {} sha256 {})",
                    self.source.name(),
                    a.plan_id(),
                    a.plan_version(),
                    a.sequence(),
                    served.sha256(),
                    old_a.sequence(),
                    old.sha256()
                ));
                *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::clone(&served);
                self.metrics.reloads.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                self.metrics.refused(Refusal::of_exit_code(e.code));
                log(&format!(
                    "reload refused: {}; still serving sequence {} sha256 {}",
                    e.message,
                    old_a.sequence(),
                    old.sha256()
                ));
            }
        }
    }
}

/// One line on stderr, with the time.
fn log(message: &str) {
    let now = jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .unwrap_or_else(|_| jiff::Timestamp::now());
    print_stderr(&format!(
        "numplan serve: {now} {}\n",
        super::escape_controls(message)
    ));
}

/// Reads and verifies the artifact (under the shared lock of its directory with a key, so that
/// a pair being replaced is never seen halfway), as `query` trusts one.
fn load(source: &Source, pinning: &Pinning) -> Result<OwnedArtifact, CliError> {
    let name = source.name();
    let (bytes, minisig) = match &source.path {
        Some(path) => super::read_artifact_signed(path, source.public_key.as_deref(), source.sig.as_deref())?,
        None => (numplan::embedded::FR.to_vec(), None),
    };
    let options = VerifyOptions {
        signature: source
            .key
            .as_ref()
            .zip(minisig.as_deref())
            .map(|(key, minisig)| SignatureCheck { key, minisig }),
        today: Some(super::today_utc()),
        last_seen_sequence: pinning.last_seen_sequence,
    };
    let owned = OwnedArtifact::open_verified(bytes, &options).map_err(|e| CliError::artifact(&name, &e))?;
    pinning.check_plan(&name, owned.artifact())?;
    Ok(owned)
}

/// `--watch-interval`: 0, or at least 10 ms.
fn parse_interval(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(ms) if ms == 0 || ms >= 10 => Ok(ms),
        Ok(_) => Err("at least 10 ms, or 0 for SIGHUP only".to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// Runs `serve`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let key = match &args.source.public_key {
        Some(path) => Some(super::read_public_key(path)?),
        None => None,
    };
    let super::ArtifactSource {
        plan,
        public_key,
        sig,
    } = args.source;
    let source = Source {
        path: plan,
        public_key,
        key,
        sig,
    };
    let stamp = source.stamp();
    let first = load(&source, &args.pinning)?;
    let listener = std::net::TcpListener::bind(args.listen)
        .map_err(|e| CliError::usage(format!("cannot listen on {}: {e}", args.listen)))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| CliError::usage(format!("cannot listen on {}: {e}", args.listen)))?;
    let local = listener
        .local_addr()
        .map_err(|e| CliError::usage(format!("cannot listen on {}: {e}", args.listen)))?;
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(2, usize::from),
        |n| n as usize,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(|e| CliError::usage(format!("cannot start the server's threads: {e}")))?;
    let a = first.artifact();
    log(&format!(
        "serving {}: plan {} version {} sequence {} sha256 {}",
        source.name(),
        a.plan_id(),
        a.plan_version(),
        a.sequence(),
        first.trust().sha256
    ));
    let state = Arc::new(State {
        current: RwLock::new(Arc::new(Served::new(first))),
        metrics: Metrics::new(),
        source,
        reloading: Mutex::new(stamp),
        heavy: Arc::new(tokio::sync::Semaphore::new(threads)),
        request_timeout: Duration::from_secs(args.request_timeout),
    });
    let result = runtime.block_on(serve(
        state,
        listener,
        local,
        args.max_connections as usize,
        args.watch_interval,
    ));
    // Blocking tasks (a reload reading a file) are not waited for.
    runtime.shutdown_timeout(Duration::from_secs(1));
    result.map(|()| ExitCode::from(EXIT_OK))
}

/// The accept loop, until SIGTERM or SIGINT; then the connections are let finish.
async fn serve(
    state: Arc<State>,
    listener: std::net::TcpListener,
    local: SocketAddr,
    max_connections: usize,
    watch_interval: u64,
) -> Result<(), CliError> {
    use tokio::signal::unix::{SignalKind, signal};
    let listener = tokio::net::TcpListener::from_std(listener)
        .map_err(|e| CliError::usage(format!("cannot listen on {local}: {e}")))?;
    let signals = |kind: SignalKind| {
        signal(kind).map_err(|e| CliError::usage(format!("cannot install a signal handler: {e}")))
    };
    let (mut term, mut int, mut hup) = (
        signals(SignalKind::terminate())?,
        signals(SignalKind::interrupt())?,
        signals(SignalKind::hangup())?,
    );
    log(&format!("listening on http://{local}"));
    tokio::spawn(watch(Arc::clone(&state), watch_interval));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(state.request_timeout)
        .max_header_size(MAX_HEADER_BYTES)
        .max_buf_size(MAX_HEADER_BYTES.max(8192));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(max_connections));
    loop {
        let accepted = async {
            let permit = Arc::clone(&permits).acquire_owned().await;
            (permit, listener.accept().await)
        };
        tokio::select! {
            (permit, accepted) = accepted => {
                let (Ok(permit), Ok((stream, _peer))) = (permit, accepted) else {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let conn_state = Arc::clone(&state);
                let service = hyper::service::service_fn(move |req| {
                    let state = Arc::clone(&conn_state);
                    async move { Ok::<_, std::convert::Infallible>(routes::handle(state, req).await) }
                });
                let io = WriteDeadline::new(stream, state.request_timeout);
                let conn = http.serve_connection(hyper_util::rt::TokioIo::new(io), service);
                let conn = graceful.watch(conn);
                let state = Arc::clone(&state);
                state.metrics.connections.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(async move {
                    let _ = conn.await;
                    state.metrics.connections.fetch_sub(1, Ordering::Relaxed);
                    drop(permit);
                });
            }
            _ = hup.recv() => {
                let state = Arc::clone(&state);
                tokio::task::spawn_blocking(move || state.reload(true));
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    drop(listener);
    log("shutting down: no new connections; letting requests in flight finish");
    tokio::select! {
        () = graceful.shutdown() => log("stopped"),
        () = tokio::time::sleep(SHUTDOWN_GRACE) => log("stopped, some connections cut after the grace period"),
    }
    Ok(())
}

/// Every `interval` ms: a reload when the artifact file or its signature was replaced.
async fn watch(state: Arc<State>, interval: u64) {
    if interval == 0 || state.source.path.is_none() {
        return;
    }
    let period = Duration::from_millis(interval);
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let state = Arc::clone(&state);
        let _ = tokio::task::spawn_blocking(move || state.reload(false)).await;
    }
}

/// A connection whose writes must make progress: a write (or flush) that stays blocked for
/// `timeout` (a client that does not read its answer) fails, and hyper closes the connection,
/// so a slow reader cannot hold a connection slot and its answer's memory for ever.
struct WriteDeadline<S> {
    inner: S,
    timeout: Duration,
    /// Running while a write is blocked.
    blocked: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl<S> WriteDeadline<S> {
    fn new(inner: S, timeout: Duration) -> WriteDeadline<S> {
        WriteDeadline {
            inner,
            timeout,
            blocked: None,
        }
    }

    /// `poll` of a write: progress clears the deadline; blocked past it is an error.
    fn guard<T>(
        &mut self,
        cx: &mut std::task::Context<'_>,
        poll: std::task::Poll<std::io::Result<T>>,
    ) -> std::task::Poll<std::io::Result<T>> {
        use std::future::Future;
        use std::task::Poll;
        match poll {
            Poll::Ready(result) => {
                self.blocked = None;
                Poll::Ready(result)
            }
            Poll::Pending => {
                let timeout = self.timeout;
                let sleep = self
                    .blocked
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the client did not read its answer in time",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for WriteDeadline<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for WriteDeadline<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let poll = std::pin::Pin::new(&mut self.inner).poll_write(cx, buf);
        self.guard(cx, poll)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let poll = std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.guard(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let poll = std::pin::Pin::new(&mut self.inner).poll_flush(cx);
        self.guard(cx, poll)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
