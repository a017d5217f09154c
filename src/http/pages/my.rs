//! `/my`: a PM's home. The initiatives they own, the ones most in need of a check-in first, each
//! with a quick update form, and a badge on open work nobody has updated for a while.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use chrono::Utc;
use uuid::Uuid;

use super::Layout;
use super::initiatives::pace_inputs;
use super::quick_update::{Origin, QuickUpdate, saved_message};
use crate::db;
use crate::db::initiatives::Initiative;
use crate::db::pages::my::MyPageData;
use crate::db::users::Caller;
use crate::domain::pace::Pace;
use crate::domain::status_update::{STALE_AFTER_DAYS, is_stale, last_updated};
use crate::error::PageResult;
use crate::http::AppState;
use crate::http::extract::PageCaller;

/// More than anyone keeps current by hand; the page stays light for an owner of imported work.
const SHOWN: i64 = 200;

pub struct MyItem {
    pub initiative: Initiative,
    pub stale: bool,
    /// When it was last updated, as people say it ("3 days ago").
    pub updated: String,
    pub quick: QuickUpdate,
    /// Why it is optimistic, when it is: declared on track, behind its time (SPEC §10).
    pub optimistic: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "my.html")]
pub struct MyPage {
    layout: Layout,
    items: Vec<MyItem>,
    /// Whether the caller owns more initiatives than the page shows.
    more: bool,
    shown: i64,
    stale_days: i64,
}

/// The page, with `replace`'s form (a refused submit, the user's input kept) in place of the
/// fresh one of its initiative.
pub async fn page(
    state: &AppState,
    caller: &Caller,
    replace: Option<(Uuid, QuickUpdate)>,
) -> PageResult<MyPage> {
    let MyPageData {
        owned,
        more,
        newest,
        calendar,
    } = db::pages::my::read(&state.tenant(caller), caller, SHOWN).await?;
    let now = Utc::now();
    let mut replace = replace;
    let items = owned
        .into_iter()
        .map(|initiative| {
            let newest = newest.get(&initiative.id);
            let quick = match replace.take_if(|(id, _)| *id == initiative.id) {
                Some((_, quick)) => quick,
                None => QuickUpdate::fresh(&initiative, newest.map(|n| n.id), Origin::My),
            };
            let updated_at = last_updated(newest.map(|n| n.created_at), initiative.created_at);
            let pace = Pace::of(
                pace_inputs(&initiative),
                calendar.today,
                calendar.optimism_threshold,
            );
            MyItem {
                optimistic: pace
                    .filter(|pace| pace.optimistic)
                    .map(|pace| pace.explanation(initiative.progress)),
                stale: is_stale(initiative.status, updated_at, now),
                updated: days_ago((now - updated_at).num_days()),
                quick,
                initiative,
            }
        })
        .collect();
    Ok(MyPage {
        layout: Layout::new("My initiatives", Some(caller)).in_section("my"),
        items,
        more,
        shown: SHOWN,
        stale_days: STALE_AFTER_DAYS,
    })
}

fn days_ago(days: i64) -> String {
    match days {
        ..=0 => "today".to_owned(),
        1 => "yesterday".to_owned(),
        n => format!("{n} days ago"),
    }
}

/// `?saved=<key>`: the initiative whose update was just saved (the redirect after a quick update).
#[derive(serde::Deserialize)]
pub struct MyQuery {
    saved: Option<String>,
    /// Set when what someone else saved meanwhile was merged with the update.
    merged: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn show(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<MyQuery>,
) -> PageResult<MyPage> {
    let mut page = page(&state, &caller, None).await?;
    if let Some(item) = page
        .items
        .iter_mut()
        .find(|item| Some(&item.initiative.key) == query.saved.as_ref())
    {
        item.quick.saved = Some(saved_message(query.merged.is_some()));
    }
    Ok(page)
}
