//! The webhook delivery worker (SPEC §12), one in each `cairn serve` process. It claims due
//! deliveries from the outbox (several servers claim different ones: `db::webhooks::claim`), signs
//! each per the Standard Webhooks specification, POSTs it, logs the attempt and schedules the next.
//! A delivery interrupted by a crash is claimed again when its lease runs out: events are delivered
//! at least once, under the same `webhook-id`, so receivers can drop repeats.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use sqlx::PgPool;

use crate::db::webhooks::{Job, Outcome};
use crate::domain::FieldErrors;
use crate::domain::webhook::{AddressPolicy, TIMEOUT};
use crate::error::AppError;

/// How often an idle worker looks for due deliveries.
const POLL_EVERY: Duration = Duration::from_secs(1);
/// Deliveries claimed at once, and sent at once.
const BATCH: i32 = 16;
/// How long a claim holds: well past the receiver's timeout, so only a dead worker loses one.
const LEASE: Duration = Duration::from_secs(120);
/// How much of a receiver's answer the log keeps.
const RESPONSE_EXCERPT: usize = 500;
/// Events are kept this long for the delivery log.
const KEEP_EVENTS: Duration = Duration::from_secs(30 * 24 * 3600);

/// Runs the worker until aborted.
pub async fn run(pool: PgPool, policy: AddressPolicy) {
    let client = client(policy);
    let mut last_forget = Instant::now() - Duration::from_secs(3600);
    loop {
        // First, so that a worker that never runs out of deliveries still forgets old events.
        if last_forget.elapsed() >= Duration::from_secs(3600) {
            last_forget = Instant::now();
            if let Err(error) = crate::db::webhooks::forget_old(&pool, KEEP_EVENTS).await {
                tracing::warn!(%error, "cannot forget old webhook events");
            }
        }
        match crate::db::webhooks::claim(&pool, BATCH, LEASE).await {
            Ok(claimed) if !claimed.is_empty() => {
                futures_util::stream::iter(claimed)
                    .for_each_concurrent(BATCH as usize, |(org_id, delivery_id)| {
                        let (pool, client) = (&pool, &client);
                        async move {
                            if let Err(error) = deliver(pool, client, policy, org_id, delivery_id).await {
                                tracing::warn!(%error, %delivery_id, "cannot deliver a webhook event; it is retried");
                            }
                        }
                    })
                    .await;
                continue;
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "cannot claim webhook deliveries"),
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

async fn deliver(
    pool: &PgPool,
    client: &reqwest::Client,
    policy: AddressPolicy,
    org_id: uuid::Uuid,
    delivery_id: uuid::Uuid,
) -> Result<(), AppError> {
    let Some(job) = crate::db::webhooks::job(pool, org_id, delivery_id).await? else {
        return Ok(());
    };
    let outcome = attempt(client, policy, &job).await;
    crate::db::webhooks::record(pool, &job, &outcome).await
}

/// One signed POST of the job's event.
async fn attempt(client: &reqwest::Client, policy: AddressPolicy, job: &Job) -> Outcome {
    let started = Instant::now();
    let failed = |error: String| Outcome {
        status: None,
        latency: started.elapsed(),
        error: Some(error),
        response: String::new(),
    };
    let Ok(url) = reqwest::Url::parse(&job.url) else {
        return failed("the URL cannot be read".to_owned());
    };
    // Checked again at each delivery: a name can change what it resolves to. The client's resolver
    // (`PublicResolver`) refuses too, between this check and the connection.
    if let Err(refusal) = refusal_of(&url, policy).await {
        return failed(refusal);
    }
    let event_id = job.event_id.to_string();
    let timestamp = chrono::Utc::now().timestamp();
    let signature = match standardwebhooks::Webhook::new(&job.secret)
        .and_then(|signer| signer.sign(&event_id, timestamp, job.body.as_bytes()))
    {
        Ok(signature) => signature,
        Err(error) => return failed(format!("cannot sign: {error}")),
    };
    let sent = client
        .post(url)
        .header(standardwebhooks::HEADER_WEBHOOK_ID, &event_id)
        .header(standardwebhooks::HEADER_WEBHOOK_TIMESTAMP, timestamp.to_string())
        .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signature)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(job.body.clone())
        .send()
        .await;
    let mut response = match sent {
        Ok(response) => response,
        Err(error) => return failed(describe(&error)),
    };
    let status = response.status();
    let mut excerpt = Vec::new();
    while excerpt.len() < RESPONSE_EXCERPT {
        match response.chunk().await {
            Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let response: String = String::from_utf8_lossy(&excerpt)
        .chars()
        .take(RESPONSE_EXCERPT)
        .collect();
    Outcome {
        status: Some(status.as_u16()),
        latency: started.elapsed(),
        error: (!status.is_success()).then(|| format!("HTTP {}", status.as_u16())),
        response,
    }
}

/// What went wrong with a request that got no answer, in a line.
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        format!("no answer within {} s", TIMEOUT.as_secs())
    } else if error.is_connect() {
        let mut source: Option<&dyn std::error::Error> = Some(error);
        let mut deepest = error.to_string();
        while let Some(inner) = source {
            deepest = inner.to_string();
            source = inner.source();
        }
        format!("cannot connect: {deepest}")
    } else {
        error.to_string()
    }
}

/// The client deliveries go out on: the receiver's timeout, no redirects (a redirect could lead to
/// an address the policy refuses), no proxy from the environment, and names resolved only to
/// addresses the policy allows.
fn client(policy: AddressPolicy) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("Cairn-Webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(PublicResolver { policy }))
        .build()
        .expect("a client with a resolver and timeouts builds")
}

/// Registration's check of a URL's address: a field error on `url` when it cannot be reached.
pub async fn check_address(url: &reqwest::Url, policy: AddressPolicy) -> Result<(), AppError> {
    refusal_of(url, policy)
        .await
        .map_err(|refusal| AppError::Validation(FieldErrors::single("url", refusal)))
}

/// Why the URL's host may not be reached, or `Ok` when it may.
async fn refusal_of(url: &reqwest::Url, policy: AddressPolicy) -> Result<(), String> {
    let host = url.host_str().ok_or("the URL names no host")?;
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(address) = literal.parse::<IpAddr>() {
        return match policy.refusal(address) {
            Some(why) => Err(format!("{address} is {why}, which webhooks may not reach")),
            None => Ok(()),
        };
    }
    allowed_addresses(host, policy).await.map(|_| ())
}

/// The addresses `host` resolves to that the policy allows; an error when there are none.
async fn allowed_addresses(host: &str, policy: AddressPolicy) -> Result<Vec<SocketAddr>, String> {
    let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|_| format!("{host} does not resolve to an address"))?
        .collect();
    let allowed: Vec<SocketAddr> = resolved
        .iter()
        .copied()
        .filter(|address| policy.refusal(address.ip()).is_none())
        .collect();
    match (allowed.is_empty(), resolved.first()) {
        (false, _) => Ok(allowed),
        (true, Some(first)) => Err(format!(
            "{host} resolves to {}, {}, which webhooks may not reach",
            first.ip(),
            policy.refusal(first.ip()).unwrap_or("refused")
        )),
        (true, None) => Err(format!("{host} does not resolve to an address")),
    }
}

/// Resolves names for the delivery client, keeping only the addresses the policy allows.
struct PublicResolver {
    policy: AddressPolicy,
}

impl reqwest::dns::Resolve for PublicResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy;
        Box::pin(async move {
            let allowed = allowed_addresses(name.as_str(), policy).await?;
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}
