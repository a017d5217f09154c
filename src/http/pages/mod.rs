//! Server-rendered pages (askama): one template struct per page.

pub mod api_reference;
pub mod auth;
pub mod baselines;
pub mod capacity;
pub mod changes;
pub mod digest;
pub mod feedback;
mod form;
pub mod home;
pub mod imports;
pub mod initiative_form;
pub mod initiative_list;
pub mod initiatives;
pub mod kpis;
pub mod lifecycle;
pub mod members;
pub mod my;
pub mod objective_form;
pub mod objectives;
pub mod organization;
pub mod portfolio_form;
pub mod portfolios;
pub mod priorities;
mod quick_update;
pub mod rollup;
mod scenario_figures;
pub mod scenario_forms;
pub mod scenarios;
pub mod scorecard_settings;
pub mod settings_rows;
pub mod status_updates;
pub mod theme_settings;
mod versioned_form;
pub mod webhook_settings;
// Roadmaps and their share links.
pub mod roadmap_view;
pub mod roadmaps;

use std::future::Future;

use askama::Template;
use axum::body::Bytes;
use axum::http::Uri;
use axum::response::Html;
use chrono::NaiveDate;

use crate::db::DataStamp;
use crate::db::users::Caller;
use crate::domain::Role;
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::static_files;
use crate::read_cache::PageKey;

/// The page `render` makes for the request `uri`, kept whole as rendered for this caller per data
/// stamp (`crate::read_cache::Answers`): for pages that show only the organization's data and date,
/// the caller and the request — and `since`, the date a default of theirs counts from, if any.
pub async fn kept<T: Template, Render>(
    state: &AppState,
    caller: &Caller,
    stamp: DataStamp,
    uri: &Uri,
    since: Option<NaiveDate>,
    render: impl FnOnce() -> Render,
) -> PageResult<Html<Bytes>>
where
    Render: Future<Output = PageResult<T>>,
{
    let key = PageKey {
        reader: caller.into(),
        request: uri.to_string(),
        since,
    };
    let html = state
        .caches
        .pages
        .answer(key, stamp, || async {
            let page = render().await?;
            let html = page.render().map_err(|error| AppError::Internal(error.into()))?;
            Ok::<_, AppError>(Bytes::from(html))
        })
        .await?;
    Ok(Html(html))
}

/// What the base layout needs on every page.
pub struct Layout {
    pub title: String,
    /// Which top-bar link is the current section ("home", "portfolios", …); "" for none.
    pub section: &'static str,
    pub user: Option<LayoutUser>,
    pub css_url: String,
    pub js_url: String,
    pub icon_url: String,
}

/// The signed-in person as the navigation shows them.
pub struct LayoutUser {
    pub name: String,
    pub org_name: String,
    pub role: Role,
}

impl Layout {
    pub fn new(title: impl Into<String>, caller: Option<&Caller>) -> Layout {
        Layout {
            title: title.into(),
            section: "",
            user: caller.map(|c| LayoutUser {
                name: c.name.clone(),
                org_name: c.org_name.clone(),
                role: c.role,
            }),
            css_url: static_files::url("app.css"),
            js_url: static_files::url("app.js"),
            icon_url: static_files::url("favicon.svg"),
        }
    }
}

impl Layout {
    /// Marks the top-bar link of the section this page belongs to.
    pub fn in_section(self, section: &'static str) -> Layout {
        Layout { section, ..self }
    }
}
