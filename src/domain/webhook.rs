//! Webhooks (SPEC §12): which events there are, what an endpoint's URL and secret may be, which
//! addresses a delivery may reach, and how long it waits before trying again.

use std::net::IpAddr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::RngCore;
use serde::Deserialize;

use super::{FieldErrors, WebhookEvent};

/// The names of the events a webhook may subscribe to, in `WebhookEvent`'s order.
pub fn event_names() -> Vec<&'static str> {
    WebhookEvent::ALL.iter().map(|e| e.as_str()).collect()
}

/// The event "send test event" sends, to one endpoint, whatever it subscribes to.
pub const TEST_EVENT: &str = "webhook.test";

/// The prefix of a secret, as the Standard Webhooks libraries take it.
pub const SECRET_PREFIX: &str = "whsec_";

/// How long a receiver may take to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// How long an event is retried, and how long an endpoint may fail before it is disabled.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(24 * 3600);

/// The wait before each retry, as the Standard Webhooks specification suggests: the first within
/// seconds, then growing; after the last, every further retry waits as long, until
/// `GIVE_UP_AFTER` (the worker tries once more at that moment).
const RETRY_DELAYS: [Duration; 7] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];

/// The wait after the `failed`-th failed attempt (1 for the first).
pub fn retry_delay(failed: u32) -> Duration {
    let index = (failed.max(1) as usize - 1).min(RETRY_DELAYS.len() - 1);
    RETRY_DELAYS[index]
}

/// An endpoint as a client sends it (create or PATCH); nothing is checked yet.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookChanges {
    /// Where events are POSTed: http(s), resolving to a public address.
    #[schema(max_length = 2000)]
    pub url: Option<String>,
    /// The events to send, at least one.
    #[schema(value_type = Option<Vec<WebhookEvent>>, min_items = 1)]
    pub events: Option<Vec<String>>,
    /// `whsec_` + base64 of 24 to 64 bytes; made at random when left out (create only).
    #[schema(pattern = "^whsec_[A-Za-z0-9+/]+={0,2}$")]
    pub secret: Option<String>,
    /// False pauses deliveries; true enables an endpoint again (after it was disabled for failing).
    pub enabled: Option<bool>,
}

/// A new endpoint as a client sends it: its URL and events are required.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    #[schema(max_length = 2000)]
    pub url: String,
    #[schema(value_type = Vec<WebhookEvent>, min_items = 1)]
    pub events: Vec<String>,
    #[schema(pattern = "^whsec_[A-Za-z0-9+/]+={0,2}$")]
    pub secret: Option<String>,
}

impl From<NewWebhook> for WebhookChanges {
    fn from(new: NewWebhook) -> WebhookChanges {
        WebhookChanges {
            url: Some(new.url),
            events: Some(new.events),
            secret: new.secret,
            enabled: None,
        }
    }
}

/// An endpoint's values, checked (the URL's address is checked by the caller, who can resolve it).
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookValues {
    pub url: reqwest::Url,
    pub events: Vec<String>,
    pub enabled: bool,
}

impl WebhookChanges {
    /// The endpoint these changes make of `current` (`None`: a new one), every bad field named.
    /// The secret is not among them: `secret` answers it.
    pub fn apply(&self, current: Option<&WebhookValues>) -> Result<WebhookValues, FieldErrors> {
        let mut errors = FieldErrors::new();
        let url = match (&self.url, current) {
            (Some(url), _) => parse_url(url).map_err(|m| errors.add("url", m)).ok(),
            (None, Some(current)) => Some(current.url.clone()),
            (None, None) => {
                errors.add("url", "is required");
                None
            }
        };
        let events = match (&self.events, current) {
            (Some(events), _) => events_of(&mut errors, events),
            (None, Some(current)) => current.events.clone(),
            (None, None) => {
                errors.add("events", "choose at least one event");
                Vec::new()
            }
        };
        let enabled = self.enabled.or(current.map(|c| c.enabled)).unwrap_or(true);
        if current.is_some() && self.secret.is_some() {
            errors.add(
                "secret",
                "cannot be changed: delete the webhook and register it again",
            );
        }
        errors.into_result()?;
        Ok(WebhookValues {
            url: url.expect("no URL error, so a URL"),
            events,
            enabled,
        })
    }

    /// The secret of a new endpoint: the one given, checked, or a new one.
    pub fn secret(&self) -> Result<String, FieldErrors> {
        match &self.secret {
            None => Ok(new_secret()),
            Some(secret) => {
                let key = secret
                    .strip_prefix(SECRET_PREFIX)
                    .and_then(|key| BASE64.decode(key).ok());
                match key {
                    Some(key) if (24..=64).contains(&key.len()) => Ok(secret.clone()),
                    _ => Err(FieldErrors::single(
                        "secret",
                        "must be whsec_ followed by the base64 of 24 to 64 bytes",
                    )),
                }
            }
        }
    }
}

/// `whsec_` + base64 of 32 random bytes.
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    format!("{SECRET_PREFIX}{}", BASE64.encode(key))
}

/// An endpoint's URL: absolute http(s) with a host, no credentials in it.
pub fn parse_url(text: &str) -> Result<reqwest::Url, &'static str> {
    let text = text.trim();
    if text.is_empty() {
        return Err("is required");
    }
    if text.len() > 2000 {
        return Err("must be at most 2000 characters");
    }
    let url =
        reqwest::Url::parse(text).map_err(|_| "must be an absolute URL like https://example.com/hooks")?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must start with http:// or https://");
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("must name a host");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not hold a user name or password; sign requests with the secret instead");
    }
    Ok(url)
}

fn events_of(errors: &mut FieldErrors, events: &[String]) -> Vec<String> {
    let mut chosen: Vec<String> = Vec::new();
    for event in events {
        let event = event.trim();
        if event.parse::<WebhookEvent>().is_err() {
            errors.add(
                "events",
                format!(
                    "“{event}” is not an event; choose from {}",
                    event_names().join(", ")
                ),
            );
        } else if !chosen.iter().any(|e| e == event) {
            chosen.push(event.to_owned());
        }
    }
    if events.is_empty() {
        errors.add("events", "choose at least one event");
    }
    // In `WebhookEvent`'s order, so that a listing reads the same whatever order they were sent in.
    chosen.sort_by_key(|e| WebhookEvent::ALL.iter().position(|known| known.as_str() == e));
    chosen
}

/// Which addresses deliveries may reach. Public addresses always; loopback and private ranges only
/// when the installation allows them (`--webhook-allow-private`, for self-hosted receivers and
/// tests); link-local and cloud metadata addresses never, so that a webhook cannot read the
/// server's own cloud credentials.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    pub allow_private: bool,
}

impl AddressPolicy {
    /// Why `address` may not be reached, or `None` when it may.
    pub fn refusal(self, address: IpAddr) -> Option<&'static str> {
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        match address {
            IpAddr::V4(v4) => {
                let [a, b, ..] = v4.octets();
                if v4.is_link_local() {
                    Some("a link-local or cloud metadata address")
                } else if v4.is_unspecified() || v4.is_broadcast() || v4.is_multicast() || a == 0 || a >= 240
                {
                    Some("not an address a server answers on")
                } else if v4.is_loopback()
                    || v4.is_private()
                    || (a == 100 && (64..128).contains(&b))
                    || (a == 192 && b == 0 && v4.octets()[2] == 0)
                    || (a == 198 && (18..20).contains(&b))
                {
                    (!self.allow_private).then_some("a loopback or private address")
                } else {
                    None
                }
            }
            IpAddr::V6(v6) => {
                let metadata = std::net::Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);
                if v6 == metadata || v6.is_unicast_link_local() {
                    Some("a link-local or cloud metadata address")
                } else if v6.is_unspecified() || v6.is_multicast() {
                    Some("not an address a server answers on")
                } else if v6.is_loopback() || v6.is_unique_local() {
                    (!self.allow_private).then_some("a loopback or private address")
                } else {
                    None
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(policy: AddressPolicy, address: &str) -> bool {
        policy.refusal(address.parse().unwrap()).is_some()
    }

    #[test]
    fn public_addresses_pass_and_private_ones_only_when_allowed() {
        let strict = AddressPolicy::default();
        let open = AddressPolicy { allow_private: true };
        for public in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(!refused(strict, public), "{public}");
        }
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "::1",
            "fd12::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(refused(strict, private), "{private}");
            assert!(!refused(open, private), "{private}");
        }
        for never in [
            "169.254.169.254",
            "169.254.0.1",
            "fd00:ec2::254",
            "fe80::1",
            "0.0.0.0",
            "::",
            "224.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(refused(strict, never), "{never}");
            assert!(refused(open, never), "{never}");
        }
    }

    #[test]
    fn urls_must_be_http_with_a_host_and_no_credentials() {
        assert!(parse_url("https://hooks.example.com/cairn?x=1").is_ok());
        assert!(parse_url("http://127.0.0.1:9000/").is_ok());
        assert!(parse_url("ftp://example.com/").is_err());
        assert!(parse_url("file:///etc/passwd").is_err());
        assert!(parse_url("example.com/hooks").is_err());
        assert!(parse_url("https://user:pw@example.com/").is_err());
        assert!(parse_url("").is_err());
    }

    #[test]
    fn events_are_checked_deduplicated_and_ordered() {
        let changes = WebhookChanges {
            url: Some("https://example.com".into()),
            events: Some(vec![
                "scenario.applied".into(),
                "initiative.created".into(),
                "scenario.applied".into(),
            ]),
            ..Default::default()
        };
        assert_eq!(
            changes.apply(None).unwrap().events,
            ["initiative.created", "scenario.applied"]
        );
        let bad = WebhookChanges {
            events: Some(vec!["initiative.deleted".into()]),
            ..changes.clone()
        };
        let errors = bad.apply(None).unwrap_err();
        assert!(
            errors.get("events").unwrap().contains("initiative.deleted"),
            "{errors:?}"
        );
    }

    #[test]
    fn secrets_are_made_or_checked() {
        let made = WebhookChanges::default().secret().unwrap();
        assert!(made.starts_with(SECRET_PREFIX));
        assert_eq!(BASE64.decode(&made[SECRET_PREFIX.len()..]).unwrap().len(), 32);
        assert!(standardwebhooks::Webhook::new(&made).is_ok());
        let short = WebhookChanges {
            secret: Some(format!("{SECRET_PREFIX}{}", BASE64.encode([1u8; 8]))),
            ..Default::default()
        };
        assert!(short.secret().is_err());
        let unprefixed = WebhookChanges {
            secret: Some(BASE64.encode([1u8; 32])),
            ..Default::default()
        };
        assert!(unprefixed.secret().is_err());
    }

    #[test]
    fn retries_start_within_seconds_and_grow() {
        assert!(retry_delay(1) <= Duration::from_secs(10));
        assert!(retry_delay(2) > retry_delay(1));
        assert_eq!(retry_delay(7), retry_delay(100));
        let total: Duration = (1..=7).map(retry_delay).sum();
        assert!(total > GIVE_UP_AFTER, "the retries reach the 24 hours");
    }
}
