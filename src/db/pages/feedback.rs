//! Everything the feedback inbox (`/feedback`) shows, on one snapshot: a page of feedback,
//! unlinked first, with the initiatives each is linked to; how much is unlinked; and the
//! initiatives the link picker offers (SPEC §11). The count and the picker are the same for every
//! page of the inbox a person reads, so they are read once per data stamp (`crate::read_cache`).

use std::collections::HashMap;
use std::sync::Arc;

use uuid::Uuid;

use crate::db::feedback::{Feedback, FeedbackFilter};
use crate::db::{self, TenantPool};
use crate::domain::page::{Page, PageRequest};
use crate::error::AppError;
use crate::read_cache::ReadCache;

/// How many initiatives the picker offers: the caller's open work first, then the most recently
/// updated open work; any other is linked by typing its key.
pub const PICKER_SIZE: i64 = 200;

pub struct InboxData {
    pub items: Page<Feedback>,
    /// The key and title of every initiative the page's items are linked to.
    pub linked: HashMap<Uuid, (String, String)>,
    /// The unlinked count, the picker and the currency: the same on every page of the inbox.
    pub around: Arc<InboxAround>,
}

/// What the inbox shows around its page of items.
pub struct InboxAround {
    pub unlinked: i64,
    /// Keys and titles the picker suggests.
    pub picker: Vec<(String, String)>,
    pub currency: String,
}

impl InboxAround {
    /// About how much memory it holds, for the cache's bound.
    pub fn bytes(&self) -> usize {
        64 + self
            .picker
            .iter()
            .map(|(k, t)| k.len() + t.len() + 48)
            .sum::<usize>()
    }
}

/// Whose inbox: the organization and the reader (the picker offers the reader's own work first).
pub type InboxKey = (Uuid, Uuid);

pub async fn read(
    pool: &TenantPool,
    cache: &ReadCache<InboxKey, InboxAround>,
    caller_id: Uuid,
    filter: &FeedbackFilter,
    page: &PageRequest,
) -> Result<InboxData, AppError> {
    let org_id = pool.org_id();
    let mut tx = pool.begin_snapshot().await?;
    let stamp = db::DataStamp::read(&mut *tx, org_id).await?;
    let items = db::feedback::list_in(&mut *tx, org_id, filter, page).await?;
    let ids: Vec<Uuid> = items
        .items
        .iter()
        .flat_map(|f| f.initiative_ids.iter().copied())
        .collect();
    let linked = sqlx::query!(
        "SELECT id, key, title FROM initiatives WHERE org_id = $1 AND id = ANY($2)",
        org_id,
        &ids
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| (r.id, (r.key, r.title)))
    .collect();
    let key = (org_id, caller_id);
    let around = match cache.get(&key, stamp) {
        Some(kept) => kept,
        None => {
            let around = Arc::new(around_in(&mut tx, org_id, caller_id).await?);
            cache.put(key, stamp, around.clone(), around.bytes());
            around
        }
    };
    tx.commit().await?;
    Ok(InboxData {
        items,
        linked,
        around,
    })
}

/// The unlinked count, the picker and the currency, as `tx`'s snapshot has them.
async fn around_in(
    tx: &mut sqlx::PgConnection,
    org_id: Uuid,
    caller_id: Uuid,
) -> Result<InboxAround, AppError> {
    let head = sqlx::query!(
        r#"SELECT (SELECT count(*) FROM feedback WHERE org_id = $1 AND NOT (initiatives > 0)) AS "unlinked!",
                  currency FROM organizations WHERE id = $1"#,
        org_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let picker = sqlx::query!(
        r#"(SELECT key AS "key!", title AS "title!", 0 AS "mine!", updated_at FROM initiatives
            WHERE org_id = $1 AND owner_id = $2 AND initiative_is_open(status)
            ORDER BY updated_at DESC LIMIT $3)
           UNION
           (SELECT key, title, 1, updated_at FROM initiatives
            WHERE org_id = $1 AND initiative_is_open(status)
            ORDER BY updated_at DESC LIMIT $3)
           ORDER BY 3, 4 DESC"#,
        org_id,
        caller_id,
        PICKER_SIZE / 2
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut seen = std::collections::HashSet::new();
    let picker = picker
        .into_iter()
        .filter(|r| seen.insert(r.key.clone()))
        .map(|r| (r.key, r.title))
        .collect();
    Ok(InboxAround {
        unlinked: head.unlinked,
        picker,
        currency: head.currency,
    })
}
