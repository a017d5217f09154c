//! A PostgreSQL wire-protocol proxy for fault injection: it sits between Cairn and the test's
//! PostgreSQL, forwards every byte both ways, counts the sessions opened through it, and on request
//! holds back the server's answer to one chosen client message until the test releases it, or cuts
//! the session that sends it. That makes the cancellation of a request inside a database round
//! trip deterministic: hold the answer, drop the request, release.
//!
//! It listens on a Unix socket (`options`), whatever the upstream is: the embedded cluster's
//! socket, or the host and port of `DATABASE_URL`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgSslMode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixListener, UnixStream};
use tokio::sync::{Notify, watch};

/// What the proxy does to the next client message it names, on whichever session sends it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fault {
    /// Holds back the answer to a simple query whose text begins with `BEGIN` (the answer that
    /// makes sqlx count a transaction as begun) until `release`.
    HoldBegin,
    /// Holds back the answer to the next message of any kind, such as the ping the pool sends
    /// before it hands out an idle connection, until `release`.
    HoldNextMessage,
    /// Closes the session that sends a message holding this text (a statement the first time a
    /// connection prepares it), as a database that goes away mid-request would.
    Cut(&'static str),
}

pub struct PgProxy {
    folder: PathBuf,
    port: u16,
    shared: Arc<Shared>,
    accept: tokio::task::JoinHandle<()>,
}

struct Shared {
    upstream: PgConnectOptions,
    opened: AtomicUsize,
    armed: Mutex<Option<Fault>>,
    /// Told when a hold begins.
    holding: Notify,
    /// Counts releases; a held connection waits for it to change.
    released: watch::Sender<u64>,
}

impl PgProxy {
    /// A proxy in front of the server `upstream` names.
    pub async fn start(upstream: PgConnectOptions) -> PgProxy {
        let folder = std::env::temp_dir().join(format!("cairn-pg-proxy-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&folder).unwrap();
        let port = 5432;
        let listener = UnixListener::bind(folder.join(format!(".s.PGSQL.{port}"))).unwrap();
        let shared = Arc::new(Shared {
            upstream,
            opened: AtomicUsize::new(0),
            armed: Mutex::new(None),
            holding: Notify::new(),
            released: watch::channel(0).0,
        });
        let accepting = shared.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                accepting.opened.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(relay(client, accepting.clone()));
            }
        });
        PgProxy {
            folder,
            port,
            shared,
            accept,
        }
    }

    /// Options that connect through the proxy to `database`, as the same user.
    pub fn options(&self, database: &str) -> PgConnectOptions {
        self.shared
            .upstream
            .clone()
            .socket(&self.folder)
            .port(self.port)
            .database(database)
            // The proxy reads the messages, so they go in the clear (on a local socket).
            .ssl_mode(PgSslMode::Disable)
    }

    /// Sessions opened through the proxy so far.
    pub fn sessions_opened(&self) -> usize {
        self.shared.opened.load(Ordering::SeqCst)
    }

    /// Applies `fault` to the next message it names.
    pub fn arm(&self, fault: Fault) {
        *self.shared.armed.lock().unwrap() = Some(fault);
    }

    /// Waits (at most 30 s) until the armed fault has caught its message.
    pub async fn caught(&self) {
        let caught = async {
            while self.shared.armed.lock().unwrap().is_some() {
                // Notify keeps a permit when told before anyone waits, so no wake-up is lost.
                tokio::time::timeout(Duration::from_millis(100), self.shared.holding.notified())
                    .await
                    .ok();
            }
        };
        tokio::time::timeout(Duration::from_secs(30), caught)
            .await
            .expect("the proxy caught the armed message");
    }

    /// Lets every held answer through.
    pub fn release(&self) {
        self.shared.released.send_modify(|n| *n += 1);
    }
}

impl Drop for PgProxy {
    fn drop(&mut self) {
        self.accept.abort();
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

/// One session: the client's messages are read one by one (to see what they are) and forwarded;
/// the server's bytes are forwarded as they come, except while this session is holding.
async fn relay(client: UnixStream, shared: Arc<Shared>) {
    let upstream = &shared.upstream;
    let server: Box<dyn Duplex> = match upstream.get_socket() {
        Some(folder) => Box::new(
            UnixStream::connect(folder.join(format!(".s.PGSQL.{}", upstream.get_port())))
                .await
                .expect("the proxy reaches PostgreSQL"),
        ),
        None => Box::new(
            TcpStream::connect((upstream.get_host(), upstream.get_port()))
                .await
                .expect("the proxy reaches PostgreSQL"),
        ),
    };
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = tokio::io::split(server);
    let held = Arc::new(AtomicU64::new(0));
    let requests = tokio::spawn(forward_messages(
        client_read,
        server_write,
        shared.clone(),
        held.clone(),
    ));
    let answers = forward_answers(server_read, client_write, shared.released.subscribe(), held);
    // Either side closing ends the session, as a real connection's close would.
    tokio::select! {
        _ = answers => {}
        _ = requests => {}
    }
}

trait Duplex: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Duplex for T {}

/// The client's side: a startup message (its length first, no type byte), then typed messages: a
/// type byte, a length that counts itself, the body.
async fn forward_messages(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    shared: Arc<Shared>,
    held: Arc<AtomicU64>,
) -> std::io::Result<()> {
    let length = from.read_i32().await?;
    let mut startup = vec![0; length as usize - 4];
    from.read_exact(&mut startup).await?;
    to.write_i32(length).await?;
    to.write_all(&startup).await?;
    to.flush().await?;
    loop {
        let kind = from.read_u8().await?;
        let length = from.read_i32().await?;
        let mut body = vec![0; length as usize - 4];
        from.read_exact(&mut body).await?;
        let caught = {
            let mut armed = shared.armed.lock().unwrap();
            let caught = armed.filter(|fault| match fault {
                Fault::HoldNextMessage => true,
                Fault::HoldBegin => kind == b'Q' && body.starts_with(b"BEGIN"),
                Fault::Cut(text) => body.windows(text.len()).any(|w| w == text.as_bytes()),
            });
            if caught.is_some() {
                *armed = None;
            }
            caught
        };
        if let Some(Fault::Cut(_)) = caught {
            shared.holding.notify_one();
            return Ok(());
        }
        if caught.is_some() {
            // Before the message goes out, so that no part of its answer can slip through: held
            // until the release after this one.
            held.store(*shared.released.borrow() + 1, Ordering::SeqCst);
            shared.holding.notify_one();
        }
        to.write_u8(kind).await?;
        to.write_i32(length).await?;
        to.write_all(&body).await?;
        to.flush().await?;
    }
}

/// The server's side, forwarded as it comes; a holding session waits for a release first.
async fn forward_answers(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    mut released: watch::Receiver<u64>,
    held: Arc<AtomicU64>,
) -> std::io::Result<()> {
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = from.read(&mut buffer).await?;
        if read == 0 {
            return Ok(());
        }
        let until = held.load(Ordering::SeqCst);
        if until > 0 {
            if released.wait_for(|n| *n >= until).await.is_err() {
                return Ok(());
            }
            let _ = held.compare_exchange(until, 0, Ordering::SeqCst, Ordering::SeqCst);
        }
        to.write_all(&buffer[..read]).await?;
        to.flush().await?;
    }
}
