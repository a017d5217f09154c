//! How many failed sign-ins an account and a client address may have before they must wait.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};

/// Failures counted over this sliding window.
pub const WINDOW: Duration = Duration::minutes(15);
/// Failed sign-ins per account (by email) in the window: enough for typos, too few to guess.
pub const PER_ACCOUNT: usize = 5;
/// Failed sign-ins per client address in the window: one address trying many accounts.
pub const PER_ADDRESS: usize = 20;

/// What a client address is counted under: IPv6 clients get a whole /64 each, so that rotating
/// through the addresses of one network does not reset the count.
pub fn address_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                format!("{}/64", std::net::Ipv6Addr::from(bits))
            }
        },
    }
}

/// The account a sign-in counts against: the email as typed, normalised as stored.
pub fn account_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Whether one more attempt goes over `limit`: `attempts` are the times of the failed or ongoing
/// attempts in the window, this one included. When it does, the whole seconds until enough of
/// them have aged out of the window for the next attempt to be allowed.
pub fn retry_after(mut attempts: Vec<DateTime<Utc>>, limit: usize, now: DateTime<Utc>) -> Option<u64> {
    if attempts.len() <= limit {
        return None;
    }
    attempts.sort();
    // This attempt is not kept when refused, so `len - limit` older ones must expire first.
    let must_expire = attempts[attempts.len() - limit - 1];
    let wait = (must_expire + WINDOW - now).num_milliseconds();
    Some(((wait + 999) / 1000).max(1) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_reached_then_eases_as_failures_age() {
        let now = Utc::now();
        let minutes_ago = |m: i64| now - Duration::minutes(m);
        let five: Vec<_> = (1..=5).rev().map(minutes_ago).collect();
        assert_eq!(retry_after(five.clone(), 5, now), None);
        let mut six = five;
        six.push(now);
        // The oldest, five minutes old, leaves the 15-minute window in ten minutes.
        assert_eq!(retry_after(six, 5, now), Some(600));
    }

    #[test]
    fn addresses_are_grouped_by_network_for_ipv6() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_eq!(address_key("203.0.113.7".parse().unwrap()), "203.0.113.7");
        assert_eq!(address_key("::ffff:203.0.113.7".parse().unwrap()), "203.0.113.7");
        assert_eq!(account_key(" Ada@Example.test "), "ada@example.test");
    }
}
