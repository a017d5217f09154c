//! Parts of pages read once and shown again while the organization's data is unchanged.
//!
//! Every committed write to the data pages show changes the organization's data version
//! (migrations/0014_data_versions.sql), and every read that may be served from here reads that
//! version in the same snapshot as its data (`db::DataStamp`). An entry is served only to a request
//! whose stamp — version and the organization's date, since "late" and "now" move at midnight — is
//! the entry's: so it is exactly what reading again would give. Nothing expires by time and nothing
//! is invalidated by hand; a stale entry is merely never matched again, and is overwritten or
//! evicted. Each process keeps its own, bounded in bytes.
//!
//! Two kinds are kept: parts a page reads (whose reads take the stamp in their own snapshot), and
//! whole answers (`Answers`), checked against the stamp read by the statement that authenticates
//! the request, before any transaction is begun.

use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;

use axum::body::Bytes;
use chrono::NaiveDate;
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use uuid::Uuid;

use crate::db::DataStamp;
use crate::db::users::Caller;
use crate::domain::Role;

/// Which roll-up page's parts (`db::pages::rollup::PageParts`). The organization is part of the key,
/// as of every key of `http::Caches`, so no organization's entry can answer another's request.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PortfolioPageKey {
    pub org_id: Uuid,
    pub portfolio_id: Uuid,
    /// The first day "What changed" shows.
    pub since: NaiveDate,
}

/// Who a page was rendered for: everything of the caller a page may show or decide by (their
/// name in the header, their role in what forms show). A change to any of it is a new key, so a
/// page is never shown with someone else's name or rights.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Reader {
    pub org_id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    pub name: String,
    pub email: String,
    pub org_name: String,
}

impl From<&Caller> for Reader {
    fn from(caller: &Caller) -> Reader {
        Reader {
            org_id: caller.org_id,
            user_id: caller.user_id,
            role: caller.role,
            name: caller.name.clone(),
            email: caller.email.clone(),
            org_name: caller.org_name.clone(),
        }
    }
}

/// A page as one reader was sent it: by the request's path and query and whatever the page takes
/// from the clock besides the stamp's date (`since`: the UTC date a default of the page starts from).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub reader: Reader,
    pub request: String,
    pub since: Option<NaiveDate>,
}

/// An API answer as sent: the same for every member of the organization, so by organization and
/// the request's path and query.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AnswerKey {
    pub org_id: Uuid,
    pub request: String,
}

/// Answers kept whole, as they were sent: rendered pages and serialized JSON. While the
/// organization's data and date are unchanged, a request finds its answer here right after the
/// statement that authenticated it, which read the stamp (migrations/0036): the whole request is
/// that one round trip and the bytes.
pub type Answers<K> = ReadCache<K, Bytes>;

impl<K: Eq + Hash + Clone> ReadCache<K, Bytes> {
    /// The answer to `key` for a request authenticated at `stamp`: kept, else made by `make` and
    /// kept under that stamp. `make` reads a snapshot at least as new as `stamp`, which may hold a
    /// write committed since; keeping it under `stamp` is still exact for every request that finds
    /// it: such a request was authenticated before that write committed, so it runs alongside it
    /// and may be answered either way; every request after the write reads a newer stamp and does
    /// not find it.
    pub async fn answer<E, Made>(
        &self,
        key: K,
        stamp: DataStamp,
        make: impl FnOnce() -> Made,
    ) -> Result<Bytes, E>
    where
        Made: Future<Output = Result<Bytes, E>>,
    {
        if let Some(kept) = self.get(&key, stamp) {
            return Ok((*kept).clone());
        }
        let made = make().await?;
        let bytes = made.len();
        self.put(key, stamp, Arc::new(made.clone()), bytes);
        Ok(made)
    }
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

    #[tokio::test]
    async fn an_answer_is_made_once_per_stamp() {
        let answers: Answers<&str> = ReadCache::new(1_000, 10);
        let made = std::sync::atomic::AtomicUsize::new(0);
        let make = |text: &'static str| {
            made.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async move { Ok::<_, ()>(Bytes::from(text)) }
        };
        assert_eq!(
            answers.answer("page", stamp(7, 1), || make("at 7")).await,
            Ok(Bytes::from("at 7"))
        );
        assert_eq!(
            answers.answer("page", stamp(7, 1), || make("again")).await,
            Ok(Bytes::from("at 7"))
        );
        assert_eq!(
            answers.answer("page", stamp(8, 1), || make("at 8")).await,
            Ok(Bytes::from("at 8"))
        );
        assert_eq!(made.load(std::sync::atomic::Ordering::SeqCst), 2);
        let failed = answers
            .answer("other", stamp(8, 1), || async { Err::<Bytes, _>("refused") })
            .await;
        assert_eq!(failed, Err("refused"));
        assert_eq!(answers.get(&"other", stamp(8, 1)), None, "a failure is not kept");
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
