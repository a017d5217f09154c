//! Share links: capability URLs to one roadmap (W3C TAG, "Good Practices for Capability URLs").
//! The token is 256 random bits in base64url (`credentials::new_secret`), shown once; only its
//! SHA-256 is stored. A link expires (by default after 90 days, or never) and can be revoked.
//! The public path is rate-limited per client address, so that tokens cannot be guessed by volume.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::FieldErrors;
use super::patch::nullable;
use super::throttle::address_key;

/// How long a link lives when its creator does not say.
pub const DEFAULT_EXPIRY_DAYS: i64 = 90;

/// The body of `POST /roadmaps/{id}/shares`: `expires_at` left out is the default expiry, `null`
/// is never.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ShareLinkInput {
    #[serde(default, deserialize_with = "nullable")]
    pub expires_at: Option<Option<DateTime<Utc>>>,
}

impl ShareLinkInput {
    /// When the link expires (`None`: never); a time already past is refused.
    pub fn expiry(&self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, FieldErrors> {
        match self.expires_at {
            None => Ok(Some(now + chrono::Duration::days(DEFAULT_EXPIRY_DAYS))),
            Some(None) => Ok(None),
            Some(Some(at)) if at <= now => Err(FieldErrors::single("expires_at", "must be in the future")),
            Some(Some(at)) => Ok(Some(at)),
        }
    }
}

/// Where a link stands, as its roadmap's editors see it. Decided in SQL, on the database's clock,
/// by `share_link_state` (migrations/0017_status_rules.sql): the same rule and clock that decide
/// whether the link still opens (`share_link_target`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, sqlx::Type, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum ShareLinkState {
    Active,
    Expired,
    Revoked,
}

impl ShareLinkState {
    pub fn as_str(self) -> &'static str {
        match self {
            ShareLinkState::Active => "active",
            ShareLinkState::Expired => "expired",
            ShareLinkState::Revoked => "revoked",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ShareLinkState::Active => "Active",
            ShareLinkState::Expired => "Expired",
            ShareLinkState::Revoked => "Revoked",
        }
    }
}

/// A token bucket per client address, in process memory: each address may make `burst` requests
/// at once, and one more every `refill`. Limits are per server process (README).
pub struct AddressLimiter {
    burst: f64,
    refill: Duration,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Above this many addresses, buckets that have filled up again are forgotten.
const PRUNE_ABOVE: usize = 10_000;

impl AddressLimiter {
    pub fn new(burst: u32, refill: Duration) -> AddressLimiter {
        AddressLimiter {
            burst: f64::from(burst),
            refill,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from the address's bucket; when it is empty, the whole seconds to wait.
    pub fn check(&self, address: IpAddr, now: Instant) -> Result<(), u64> {
        let per_second = 1.0 / self.refill.as_secs_f64();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() > PRUNE_ABOVE {
            let burst = self.burst;
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * per_second < burst);
        }
        let bucket = buckets.entry(address_key(address)).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let earned = now.saturating_duration_since(bucket.at).as_secs_f64() * per_second;
        bucket.tokens = (bucket.tokens + earned).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / per_second).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_defaults_to_ninety_days_and_may_be_never() {
        let now = Utc::now();
        let parse = |json: &str| serde_json::from_str::<ShareLinkInput>(json).unwrap().expiry(now);
        assert_eq!(parse("{}").unwrap(), Some(now + chrono::Duration::days(90)));
        assert_eq!(parse(r#"{"expires_at": null}"#).unwrap(), None);
        let errors = parse(r#"{"expires_at": "2001-01-01T00:00:00Z"}"#).unwrap_err();
        assert!(errors.get("expires_at").is_some());
    }

    #[test]
    fn an_address_gets_its_burst_then_one_per_refill() {
        let limiter = AddressLimiter::new(3, Duration::from_secs(2));
        let a: IpAddr = "203.0.113.7".parse().unwrap();
        let b: IpAddr = "203.0.113.8".parse().unwrap();
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check(a, start), Ok(()));
        }
        assert_eq!(limiter.check(a, start), Err(2));
        assert_eq!(
            limiter.check(b, start),
            Ok(()),
            "another address has its own bucket"
        );
        assert_eq!(limiter.check(a, start + Duration::from_secs(2)), Ok(()));
        assert_eq!(limiter.check(a, start + Duration::from_secs(2)), Err(2));
    }
}
