//! A private PostgreSQL cluster that Cairn runs itself when `DATABASE_URL` is unset.
//!
//! The cluster lives in `<data-dir>/pgdata`, listens only on a Unix socket (no TCP port), and is a
//! child of this process: it is stopped with a fast shutdown when Cairn exits, and the kernel stops
//! it (parent-death signal) if Cairn dies without cleaning up, so no orphaned server is left behind.
//! PostgreSQL refuses to run as root, so under root the server binaries run as an unprivileged
//! system user (`postgres`, else `nobody`) that owns the cluster folder.

use std::ffi::CString;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sqlx::postgres::PgConnectOptions;

const SUPERUSER: &str = "cairn";
const PORT: u16 = 5432;
/// Unix socket paths are limited to 107 bytes; leave room for `/.s.PGSQL.5432`.
const MAX_SOCKET_DIR_LEN: usize = 90;

pub struct Cluster {
    data_dir: PathBuf,
    socket_dir: PathBuf,
    keeper: Option<Keeper>,
}

/// The thread that spawned the server and owns it. The parent-death signal fires when the
/// *thread* that forked the server exits, so that thread must live exactly as long as the cluster.
struct Keeper {
    thread: std::thread::JoinHandle<()>,
    stop: mpsc::Sender<()>,
    exited: Arc<Mutex<Option<ExitStatus>>>,
}

/// The account the server binaries run as.
#[derive(Clone, Copy)]
struct RunAs {
    uid: u32,
    gid: u32,
}

impl Cluster {
    /// Starts the cluster in `folder`, creating it on first use. A second start reuses its data.
    pub fn start(folder: &Path) -> anyhow::Result<Cluster> {
        let bin = find_server_binaries()?;
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create the data folder {}", folder.display()))?;
        let folder = folder.canonicalize()?;
        let data_dir = folder.join("pgdata");
        let run_as = unprivileged_account()?;
        let socket_dir = socket_dir_for(&folder)?;
        if let Some(account) = run_as {
            check_reachable(&folder, account)?;
            chown(&socket_dir, account)?;
        }

        if !data_dir.join("PG_VERSION").exists() {
            std::fs::create_dir_all(&data_dir)?;
            if let Some(account) = run_as {
                chown(&data_dir, account)?;
            }
            std::fs::set_permissions(&data_dir, std::fs::Permissions::from_mode(0o700))?;
            tracing::info!(path = %data_dir.display(), "creating the embedded PostgreSQL cluster");
            let output = server_command(&bin.join("initdb"), run_as)
                .arg("--pgdata")
                .arg(&data_dir)
                .args(["--username", SUPERUSER, "--auth", "trust", "--encoding", "UTF8"])
                .args(["--no-locale", "--no-instructions"])
                .output()
                .context("cannot run initdb")?;
            if !output.status.success() {
                bail!(
                    "initdb failed for {}:\n{}",
                    data_dir.display(),
                    String::from_utf8_lossy(&output.stderr)
                );
            }
        }

        let log_path = folder.join("postgres.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)?;
        let mut server = server_command(&bin.join("postgres"), run_as);
        server
            .arg("-D")
            .arg(&data_dir)
            .arg("-k")
            .arg(&socket_dir)
            .args(["-p", &PORT.to_string(), "-c", "listen_addresses="])
            // Bench and test runs open many connections; the default of 100 is tight for both.
            .args(["-c", "max_connections=200", "-c", "shared_buffers=128MB"])
            .stdout(log.try_clone()?)
            .stderr(log);
        let keeper = Keeper::spawn(server)?;
        let mut cluster = Cluster {
            data_dir,
            socket_dir,
            keeper: Some(keeper),
        };
        cluster.wait_until_ready(&log_path)?;
        tracing::info!(socket = %cluster.socket_dir.display(), "embedded PostgreSQL is ready");
        Ok(cluster)
    }

    /// Connection options for `database` on this cluster.
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .port(PORT)
            .username(SUPERUSER)
            .database(database)
    }

    /// A `DATABASE_URL` for `database` on this cluster, for tools and child processes.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}@localhost:{PORT}/{database}?host={}",
            self.socket_dir.display()
        )
    }

    fn wait_until_ready(&mut self, log_path: &Path) -> anyhow::Result<()> {
        let socket = self.socket_dir.join(format!(".s.PGSQL.{PORT}"));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let exited = self
                .keeper
                .as_ref()
                .and_then(|k| *k.exited.lock().expect("not poisoned"));
            if let Some(status) = exited {
                let log = std::fs::read_to_string(log_path).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(15).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                bail!(
                    "postgres exited ({status}) while starting the cluster in {}. \
                     Is another Cairn using this data folder? Its log says:\n{}",
                    self.data_dir.display(),
                    tail.join("\n")
                );
            }
            // The postmaster creates the socket once it listens; the pool retries while it recovers.
            if std::os::unix::net::UnixStream::connect(&socket).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "the embedded PostgreSQL did not become ready within 60 s; see {}",
                    log_path.display()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Fast shutdown: disconnects clients, checkpoints, and waits for the server to exit.
    pub fn stop(&mut self) {
        if let Some(keeper) = self.keeper.take() {
            let _ = keeper.stop.send(());
            let _ = keeper.thread.join();
        }
    }
}

impl Keeper {
    fn spawn(mut command: Command) -> anyhow::Result<Keeper> {
        let (stop, stop_requested) = mpsc::channel::<()>();
        let (started_tx, started) = mpsc::channel::<std::io::Result<()>>();
        let exited = Arc::new(Mutex::new(None));
        let exit_slot = exited.clone();
        let thread = std::thread::Builder::new()
            .name("postgres-keeper".into())
            .spawn(move || {
                let mut server = match command.spawn() {
                    Ok(server) => server,
                    Err(error) => {
                        let _ = started_tx.send(Err(error));
                        return;
                    }
                };
                let _ = started_tx.send(Ok(()));
                // Until asked to stop (or the cluster is dropped), watch for the server exiting by itself.
                while let Err(RecvTimeoutError::Timeout) =
                    stop_requested.recv_timeout(Duration::from_millis(100))
                {
                    if let Ok(Some(status)) = server.try_wait() {
                        *exit_slot.lock().expect("not poisoned") = Some(status);
                        return;
                    }
                }
                // SAFETY: kill(2) on the pid of a child this thread owns and has not reaped.
                unsafe { libc::kill(server.id() as libc::pid_t, libc::SIGINT) };
                let deadline = Instant::now() + Duration::from_secs(30);
                while Instant::now() < deadline {
                    if let Ok(Some(_)) = server.try_wait() {
                        tracing::info!("embedded PostgreSQL stopped");
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                let _ = server.kill();
                let _ = server.wait();
            })?;
        started
            .recv()
            .context("the postgres keeper thread died")?
            .context("cannot start postgres")?;
        Ok(Keeper { thread, stop, exited })
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A command for a server binary: as `run_as` when given, and ended by the kernel with a fast
/// shutdown signal if this process dies first.
fn server_command(program: &Path, run_as: Option<RunAs>) -> Command {
    let mut command = Command::new(program);
    command
        .env("LC_ALL", "C")
        .env_remove("PGDATA")
        .stdin(Stdio::null());
    if let Some(account) = run_as {
        command.uid(account.uid).gid(account.gid);
        // Without this the child keeps root's supplementary groups.
        command.env("HOME", "/");
    }
    // SAFETY: prctl and getppid are async-signal-safe. std applies uid/gid before this closure, and
    // the parent-death signal must be set after them because changing credentials clears it.
    unsafe {
        let parent = libc::getpid();
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
    command
}

/// Where the server binaries are: `PATH` first, then the usual install folders.
fn find_server_binaries() -> anyhow::Result<PathBuf> {
    let has_server = |dir: &Path| dir.join("postgres").is_file() && dir.join("initdb").is_file();
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    for pattern_dir in [
        "/usr/lib/postgresql",
        "/usr/local/opt",
        "/opt/homebrew/opt",
        "/usr",
    ] {
        let Ok(entries) = std::fs::read_dir(pattern_dir) else {
            continue;
        };
        let mut versions: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                pattern_dir == "/usr/lib/postgresql"
                    || name.starts_with("postgresql")
                    || name.starts_with("pgsql")
            })
            .map(|p| p.join("bin"))
            .collect();
        // Newest major version first.
        versions.sort_by_key(|p| std::cmp::Reverse(version_of(p)));
        candidates.extend(versions);
    }
    candidates.extend(["/usr/local/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin"].map(PathBuf::from));
    candidates.into_iter().find(|dir| has_server(dir)).ok_or_else(|| {
        anyhow::anyhow!(
            "no PostgreSQL server binaries (postgres, initdb) were found on PATH or in the usual folders.\n\
             Install them (Debian/Ubuntu: `apt-get install postgresql`; macOS: `brew install postgresql@16`),\n\
             or point Cairn at a running server with DATABASE_URL=postgres://user@host/cairn\n\
             (`docker compose up -d db` starts one: DATABASE_URL=postgres://cairn:cairn@127.0.0.1:5433/cairn)."
        )
    })
}

fn version_of(bin: &Path) -> u32 {
    let name = bin
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("");
    name.chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit())
        .collect::<String>()
        .parse()
        .unwrap_or(0)
}

/// `None` when this process may run PostgreSQL itself; otherwise the account to run it as.
fn unprivileged_account() -> anyhow::Result<Option<RunAs>> {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    for name in ["postgres", "nobody"] {
        let cname = CString::new(name).expect("no NUL in a literal");
        // SAFETY: getpwnam returns a pointer into static storage, read at once before any other call.
        let entry = unsafe { libc::getpwnam(cname.as_ptr()) };
        if !entry.is_null() {
            let (uid, gid) = unsafe { ((*entry).pw_uid, (*entry).pw_gid) };
            if uid != 0 {
                return Ok(Some(RunAs { uid, gid }));
            }
        }
    }
    bail!("running as root, and neither a `postgres` nor a `nobody` account exists to run PostgreSQL as")
}

/// The folder for the server's socket: inside the data folder unless that path is too long.
fn socket_dir_for(folder: &Path) -> anyhow::Result<PathBuf> {
    let inside = folder.join("run");
    let dir = if inside.as_os_str().len() <= MAX_SOCKET_DIR_LEN {
        inside
    } else {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(folder.as_os_str().as_encoded_bytes());
        std::env::temp_dir().join(format!("cairn-pg-{}", hex_prefix(&digest)))
    };
    std::fs::create_dir_all(&dir)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    Ok(dir)
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn chown(path: &Path, account: RunAs) -> anyhow::Result<()> {
    std::os::unix::fs::chown(path, Some(account.uid), Some(account.gid))
        .with_context(|| format!("cannot hand {} to the PostgreSQL account", path.display()))
}

/// Under root, the server account must be able to reach the data folder through every parent.
fn check_reachable(folder: &Path, account: RunAs) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    for dir in folder.ancestors().skip(1) {
        let meta = std::fs::metadata(dir)?;
        let mode = meta.mode();
        let reachable = mode & 0o001 != 0
            || (meta.uid() == account.uid && mode & 0o100 != 0)
            || (meta.gid() == account.gid && mode & 0o010 != 0);
        if !reachable {
            bail!(
                "PostgreSQL runs as an unprivileged account under root, and that account cannot enter {}. \
                 Choose a data folder it can reach, for example --data-dir /var/lib/cairn",
                dir.display()
            );
        }
    }
    Ok(())
}
