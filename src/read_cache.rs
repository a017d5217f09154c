//! Parts of pages read once and shown again while the organization's data is unchanged.
//!
//! Every committed write to the data pages show changes the organization's data version
//! (migrations/0014_data_versions.sql), and every read that may be served from here reads that
//! version in the same snapshot as its data (`db::DataStamp`). An entry is served only to a request
//! whose stamp — version and the organization's date, since "late" and "now" move at midnight — is
//! the entry's: so it is exactly what reading again would give. Nothing expires by time and nothing
//! is invalidated by hand; a stale entry is merely never matched again, and is overwritten or
//! evicted. Each process keeps its own, bounded in bytes.

use std::hash::Hash;
use std::sync::Arc;

use chrono::NaiveDate;
use quick_cache::Weighter;
use quick_cache::sync::Cache;

use uuid::Uuid;

use crate::db::DataStamp;

/// Which roll-up page's parts (`db::pages::rollup::PageParts`). The organization is part of the key,
/// as of every key of `http::Caches`, so no organization's entry can answer another's request.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PortfolioPageKey {
    pub org_id: Uuid,
    pub portfolio_id: Uuid,
    /// The first day "What changed" shows.
    pub since: NaiveDate,
}

/// A bounded map from what was read to what it gave, at one data stamp.
pub struct ReadCache<K, V> {
    entries: Cache<K, Entry<V>, ByBytes>,
}

struct Entry<V> {
    stamp: DataStamp,
    bytes: u64,
    value: Arc<V>,
}

impl<V> Clone for Entry<V> {
    fn clone(&self) -> Self {
        Entry {
            stamp: self.stamp,
            bytes: self.bytes,
            value: self.value.clone(),
        }
    }
}

/// An entry weighs the bytes its writer said it holds.
#[derive(Clone)]
struct ByBytes;

impl<K, V> Weighter<K, Entry<V>> for ByBytes {
    fn weight(&self, _key: &K, entry: &Entry<V>) -> u64 {
        entry.bytes
    }
}

impl<K: Eq + Hash + Clone, V> ReadCache<K, V> {
    /// A cache holding about `capacity_bytes` of entries, `typical_bytes` each.
    pub fn new(capacity_bytes: u64, typical_bytes: u64) -> Self {
        let items = (capacity_bytes / typical_bytes.max(1)).max(1) as usize;
        ReadCache {
            entries: Cache::with_weighter(items, capacity_bytes, ByBytes),
        }
    }

    /// What `key` read at `stamp`, if it is here.
    pub fn get(&self, key: &K, stamp: DataStamp) -> Option<Arc<V>> {
        self.entries
            .get(key)
            .filter(|entry| entry.stamp == stamp)
            .map(|entry| entry.value)
    }

    /// Keeps what `key` read at `stamp` (about `bytes` large) in place of whatever it read before.
    pub fn put(&self, key: K, stamp: DataStamp, value: Arc<V>, bytes: usize) {
        let bytes = bytes as u64;
        self.entries.insert(key, Entry { stamp, bytes, value });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn stamp(version: i64, day: u32) -> DataStamp {
        DataStamp {
            version,
            today: NaiveDate::from_ymd_opt(2026, 12, day).unwrap(),
        }
    }

    #[test]
    fn an_entry_answers_only_its_own_stamp() {
        let cache = ReadCache::new(1_000, 10);
        cache.put("roadmap", stamp(7, 1), Arc::new("read at 7"), 10);
        assert_eq!(cache.get(&"roadmap", stamp(7, 1)).as_deref(), Some(&"read at 7"));
        assert_eq!(cache.get(&"roadmap", stamp(8, 1)), None, "a later version");
        assert_eq!(cache.get(&"roadmap", stamp(7, 2)), None, "the next day");
        assert_eq!(cache.get(&"other", stamp(7, 1)), None);
        cache.put("roadmap", stamp(8, 1), Arc::new("read at 8"), 10);
        assert_eq!(cache.get(&"roadmap", stamp(7, 1)), None, "replaced");
        assert_eq!(cache.get(&"roadmap", stamp(8, 1)).as_deref(), Some(&"read at 8"));
    }

    #[test]
    fn it_holds_no_more_than_its_bytes() {
        let cache = ReadCache::new(1_000, 100);
        for page in 0..100 {
            cache.put(page, stamp(1, 1), Arc::new(page), 100);
        }
        let kept = (0..100)
            .filter(|page| cache.get(page, stamp(1, 1)).is_some())
            .count();
        assert!(
            (1..=10).contains(&kept),
            "{kept} entries of 100 bytes kept in 1,000"
        );
    }
}
