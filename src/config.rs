//! Configuration: command-line flags, each with an environment fallback (SPEC §7).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

#[derive(Args, Clone, Debug)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "CAIRN_BIND", default_value = "127.0.0.1:8080", global = true)]
    pub bind: SocketAddr,

    /// Folder of the embedded PostgreSQL cluster, used when DATABASE_URL is unset.
    #[arg(long, env = "CAIRN_DATA_DIR", default_value = ".cairn", global = true)]
    pub data_dir: PathBuf,

    /// PostgreSQL to use instead of the embedded cluster; the database is created if missing.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<String>,

    /// Public base URL, used to build share and invite links (default: http://<bind>).
    #[arg(long, env = "CAIRN_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Header a trusted reverse proxy puts the client's address in (e.g. X-Forwarded-For; its
    /// last entry is used). Unset: the TCP peer is the client, and such headers are ignored, since
    /// anyone can send them.
    #[arg(long, env = "CAIRN_CLIENT_IP_HEADER", global = true)]
    pub client_ip_header: Option<String>,

    /// Database connections per process; by default twice this machine's CPUs.
    #[arg(long, env = "CAIRN_POOL_SIZE", default_value_t = default_pool_size(), global = true)]
    pub pool_size: u32,

    /// Requests to shared roadmap links (`/s/…`) one client address may make at once; after
    /// that, one every two seconds. Counted per server process.
    #[arg(long, env = "CAIRN_SHARE_BURST", default_value_t = 30, global = true)]
    pub share_burst: u32,

    /// Let webhooks reach loopback and private addresses (10/8, 172.16/12, 192.168/16, ::1, fc00::/7):
    /// for self-hosted receivers on the same network. Link-local and cloud metadata addresses stay
    /// refused.
    #[arg(long, env = "CAIRN_WEBHOOK_ALLOW_PRIVATE", global = true)]
    pub webhook_allow_private: bool,
}

/// Twice the CPUs: enough to keep PostgreSQL's cores busy while others wait on the network. More
/// connections than that only queue in the operating system instead of in the pool: at 100k
/// initiatives on 2 cores, 16 connections served the same requests per second as 4 with a p99
/// half again as long (shared roadmap 56 → 38 ms, roll-up JSON 29 → 19 ms). Where PostgreSQL runs
/// on a larger machine, set it to about twice that machine's cores.
fn default_pool_size() -> u32 {
    std::thread::available_parallelism().map_or(4, |cpus| 2 * cpus.get() as u32)
}

impl Config {
    /// The base URL links are built from, without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.bind),
        }
    }

    /// The addresses webhooks may reach.
    pub fn webhook_policy(&self) -> crate::domain::webhook::AddressPolicy {
        crate::domain::webhook::AddressPolicy {
            allow_private: self.webhook_allow_private,
        }
    }

    /// Session cookies are marked Secure when the service is reached over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url().starts_with("https://")
    }
}
