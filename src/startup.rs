//! Binding and running the server; tests start it on port 0 and read back the port.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::db::sessions::PgSessionStore;
use anyhow::Context;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tower_sessions::ExpiredDeletion;

use crate::config::Config;
use crate::db::share_links::{VIEWS_WRITTEN_EVERY, ViewTally};
use crate::http::{self, AppState};

pub struct Server {
    listener: TcpListener,
    router: axum::Router,
    pool: PgPool,
    share_views: Arc<ViewTally>,
    webhook_policy: crate::domain::webhook::AddressPolicy,
}

impl Server {
    /// Binds the configured address (port 0 picks a free port) and builds the application, served
    /// from a pool of its own as `cairn_app` whatever user `owner` connects as (`db::serving_pool`).
    pub async fn bind(config: &Config, owner: PgPool) -> anyhow::Result<Server> {
        let pool = crate::db::serving_pool(&owner, config.pool_size).await?;
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let local = listener.local_addr()?;
        let public_url = match &config.public_url {
            Some(_) => config.public_url(),
            None => format!("http://{local}"),
        };
        let client_ip_header = config
            .client_ip_header
            .as_deref()
            .map(axum::http::HeaderName::try_from)
            .transpose()
            .context("--client-ip-header is not a header name")?;
        let share_views = Arc::new(ViewTally::default());
        let state = AppState {
            share_views: share_views.clone(),
            caches: Default::default(),
            pool: pool.clone(),
            public_url: public_url.into(),
            client_ip_header,
            share_limiter: Arc::new(crate::domain::share_link::AddressLimiter::new(
                config.share_burst,
                http::share::REFILL,
            )),
            webhook_policy: config.webhook_policy(),
        };
        let router = http::app(state, config.secure_cookies());
        Ok(Server {
            listener,
            router,
            pool,
            share_views,
            webhook_policy: config.webhook_policy(),
        })
    }

    /// The pool requests are served from (as `cairn_app`).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let store = PgSessionStore::new(self.pool.clone());
        let pool = self.pool.clone();
        let sweeper = tokio::spawn(async move {
            let mut hourly = tokio::time::interval(Duration::from_secs(3600));
            loop {
                hourly.tick().await;
                if let Err(error) = store.delete_expired().await {
                    tracing::warn!(%error, "cannot delete expired sessions");
                }
                if let Err(error) = crate::db::sign_in::delete_expired(&pool).await {
                    tracing::warn!(%error, "cannot delete old sign-in attempts");
                }
                // The first look in a new fiscal quarter takes the baselines organizations ask for.
                match crate::db::baselines::take_quarter_baselines(&pool).await {
                    Ok(0) => {}
                    Ok(taken) => tracing::info!(taken, "took the baselines of a new quarter"),
                    Err(error) => tracing::warn!(%error, "cannot take the baselines of a new quarter"),
                }
            }
        });
        let (views, pool) = (self.share_views.clone(), self.pool.clone());
        let view_writer = tokio::spawn(async move {
            let mut every = tokio::time::interval(VIEWS_WRITTEN_EVERY);
            loop {
                every.tick().await;
                views.write(&pool).await;
            }
        });
        let webhooks = tokio::spawn(crate::webhook_delivery::run(
            self.pool.clone(),
            self.webhook_policy,
        ));
        tracing::info!(address = %self.local_addr(), "Cairn is listening");
        let served = axum::serve(
            self.listener,
            // The peer address is the client's, for sign-in throttling.
            self.router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        sweeper.abort();
        view_writer.abort();
        webhooks.abort();
        // The views counted since the last write, so that a restart loses none.
        self.share_views.write(&self.pool).await;
        served
    }
}

/// Completes on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
