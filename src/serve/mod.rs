//! `jit serve`: the live web console. An HTTP/1.1 server (hyper on tokio) over the same store
//! and the same locked operations as the CLI, serving the one web front-end (the script of
//! `jit export web`, live and writable here) and a JSON API under `/api/` whose replies are the
//! CLI's `--json` shapes.
//!
//! - `http`: the response body (whole or streamed), replies and errors as JSON, request parsing.
//! - `auth`: the per-run token (header or cookie), the `Host` and `Origin` checks, `If-Match`.
//! - `api`: the routes; every write calls the core function the CLI calls.
//! - `stream`: `GET /api/events` as Server-Sent Events, fed by one follower of `events.jsonl`.
//!
//! Invariants: it listens on 127.0.0.1 unless another address is given explicitly; every write
//! needs the token, a same-origin (or absent) `Origin`, a JSON body and `If-Match` with the
//! issue's version (`*` opts out), and is refused whole under `--read-only`; the store is only
//! ever changed through the core's operations, on a blocking thread, never on the event loop.
//! This module never prints: the CLI prints where it listens and then calls [`Server::run`].

// Handlers return `Result<Response, Response>`: the error is the HTTP reply itself, built once
// where the request is refused and sent as is; boxing it would buy nothing on this path.
#![allow(clippy::result_large_err)]

mod api;
mod auth;
mod http;
mod stream;

use crate::error::{Error, Result};
use crate::model::Actor;
use crate::store::Store;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How `jit serve` was asked to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The address to listen on (127.0.0.1 unless `--bind` says otherwise).
    pub bind: IpAddr,
    /// The port; 0 picks a free one.
    pub port: u16,
    /// Refuse every write.
    pub read_only: bool,
    /// Serve only public issues, as `jit export web --public` does.
    pub public: bool,
    /// Who the console acts as.
    pub actor: Actor,
    /// How often an open event stream gets a keep-alive comment.
    pub keep_alive: Duration,
    /// How often the event log is polled for lines other processes appended.
    pub poll: Duration,
}

impl Config {
    /// The defaults: loopback, a free port, writable, every issue.
    pub fn new(actor: Actor) -> Self {
        Config {
            bind: IpAddr::from([127, 0, 0, 1]),
            port: 0,
            read_only: false,
            public: false,
            actor,
            keep_alive: Duration::from_secs(15),
            poll: Duration::from_millis(200),
        }
    }
}

/// What every request handler shares.
pub(crate) struct Shared {
    pub store: Store,
    pub actor: Actor,
    pub token: String,
    pub read_only: bool,
    pub public: bool,
    pub port: u16,
    /// `Host` header values this server answers to.
    pub hosts: Vec<String>,
    /// Bound to a loopback address: reads need no token.
    pub loopback: bool,
    pub keep_alive: Duration,
    pub events: tokio::sync::broadcast::Sender<stream::Frame>,
    pub stopping: AtomicBool,
}

impl Shared {
    /// The cookie the tokenized URL sets; named by port, since cookies ignore ports.
    pub fn cookie_name(&self) -> String {
        format!("jit_token_{}", self.port)
    }
}

/// A bound server, not yet answering.
pub struct Server {
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    addr: SocketAddr,
    poll: Duration,
}

/// What `jit serve --json` prints first.
#[derive(Debug, serde::Serialize)]
pub struct Started {
    /// The console's address, carrying the token (opening it sets the cookie).
    pub url: String,
    /// The per-run token writes need (`Authorization: Bearer TOKEN`).
    pub token: String,
}

/// A fresh token: 128 random bits, hex.
fn new_token() -> String {
    format!("{:032x}", crate::random::u128())
}

/// Binds the listening socket. Nothing is served until [`Server::run`].
pub fn bind(store: Store, cfg: Config) -> Result<Server> {
    store.config()?;
    let listener = std::net::TcpListener::bind((cfg.bind, cfg.port)).map_err(|e| {
        Error::io(
            format!("listening on {}", SocketAddr::new(cfg.bind, cfg.port)),
            e,
        )
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::io("reading the listening address", e))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::io("configuring the listening socket", e))?;
    let port = addr.port();
    let mut hosts = vec![
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ];
    let shown = match cfg.bind {
        IpAddr::V6(a) => format!("[{a}]:{port}"),
        IpAddr::V4(a) => format!("{a}:{port}"),
    };
    if !hosts.contains(&shown) && !cfg.bind.is_unspecified() {
        hosts.push(shown);
    }
    if cfg.bind.is_unspecified() {
        // Any name may reach an unspecified address; the token guards reads too then.
        hosts.clear();
    }
    let (tx, _) = tokio::sync::broadcast::channel(1024);
    let shared = Arc::new(Shared {
        store,
        actor: cfg.actor,
        token: new_token(),
        read_only: cfg.read_only,
        public: cfg.public,
        port,
        hosts,
        loopback: cfg.bind.is_loopback(),
        keep_alive: cfg.keep_alive,
        events: tx,
        stopping: AtomicBool::new(false),
    });
    Ok(Server {
        listener,
        shared,
        addr,
        poll: cfg.poll,
    })
}

impl Server {
    /// Where it listens and the token, as `--json` prints them.
    pub fn started(&self) -> Started {
        let host = match self.addr.ip() {
            ip if ip.is_unspecified() => "127.0.0.1".to_string(),
            IpAddr::V6(a) => format!("[{a}]"),
            IpAddr::V4(a) => a.to_string(),
        };
        Started {
            url: format!(
                "http://{host}:{}/?token={}",
                self.addr.port(),
                self.shared.token
            ),
            token: self.shared.token.clone(),
        }
    }

    /// Serves until Ctrl-C (SIGINT) or SIGTERM. Requests in flight finish first. `ready` runs
    /// once the signals are caught (so a signal sent as soon as the address is announced stops
    /// the server cleanly instead of killing it) and before the first request is served.
    pub fn run(self, ready: impl FnOnce()) -> Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io("starting the server runtime", e))?;
        let shared = self.shared.clone();
        let follower = stream::spawn_follower(shared.clone(), self.poll)?;
        let result = runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(self.listener)
                .map_err(|e| Error::io("registering the listening socket", e))?;
            let stop = shutdown_signal()?;
            tokio::pin!(stop);
            ready();
            loop {
                tokio::select! {
                    _ = &mut stop => break,
                    accepted = listener.accept() => {
                        let Ok((conn, _)) = accepted else { continue };
                        let shared = shared.clone();
                        tokio::spawn(async move {
                            let io = hyper_util::rt::TokioIo::new(conn);
                            let service = hyper::service::service_fn(move |req| {
                                api::handle(req, shared.clone())
                            });
                            let _ = hyper::server::conn::http1::Builder::new()
                                .keep_alive(true)
                                .serve_connection(io, service)
                                .await;
                        });
                    }
                }
            }
            Ok::<(), Error>(())
        });
        self.shared.stopping.store(true, Ordering::SeqCst);
        runtime.shutdown_timeout(Duration::from_secs(5));
        let _ = follower.join();
        result
    }
}

/// Resolves when the process is asked to stop.
/// Catches SIGINT and SIGTERM now (the handlers are installed before this returns) and gives
/// the future that resolves when one arrives.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let catch =
            |k: SignalKind| signal(k).map_err(|e| Error::io("installing the signal handlers", e));
        let mut int = catch(SignalKind::interrupt())?;
        let mut term = catch(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
