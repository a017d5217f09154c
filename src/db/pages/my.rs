//! What `/my` shows: the initiatives the caller owns, the ones most in need of a check-in first,
//! each with its newest history record.

use std::collections::HashMap;

use uuid::Uuid;

use crate::db::initiatives::Initiative;
use crate::db::orgs::Calendar;
use crate::db::status_updates::Newest;
use crate::db::users::Caller;
use crate::db::{self, TenantPool};
use crate::error::AppError;

pub struct MyPageData {
    /// At most `shown` of the caller's initiatives, and whether they own more.
    pub owned: Vec<Initiative>,
    pub more: bool,
    /// The newest history record of each.
    pub newest: HashMap<Uuid, Newest>,
    /// Today and the optimism threshold, for each one's pace.
    pub calendar: Calendar,
}

pub async fn read(pool: &TenantPool, caller: &Caller, shown: i64) -> Result<MyPageData, AppError> {
    let mut owned = db::initiatives::owned_by(pool, caller.user_id, shown + 1).await?;
    let more = owned.len() as i64 > shown;
    owned.truncate(shown as usize);
    let ids: Vec<Uuid> = owned.iter().map(|i| i.id).collect();
    let (newest, calendar) = tokio::try_join!(
        db::status_updates::newest_of(pool, &ids),
        db::orgs::calendar(pool)
    )?;
    Ok(MyPageData {
        owned,
        more,
        newest,
        calendar,
    })
}
