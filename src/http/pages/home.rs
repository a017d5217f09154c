//! `/`: the sign-in page for visitors; for members, their home. Leaders (an admin, or whoever owns
//! a portfolio) land on the roll-up of the highest portfolio they own (an admin who owns none: the
//! first top-level portfolio). Everyone else sees the organization's home page.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use super::Layout;
use super::auth::login_page;
use crate::db;
use crate::db::portfolios::Portfolio;
use crate::db::users::Caller;
use crate::domain::Role;
use crate::domain::permissions;
use crate::error::PageResult;
use crate::http::AppState;
use crate::http::extract::OptionalPageCaller;

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    layout: Layout,
    org_name: String,
    /// The organization has no portfolio yet.
    empty: bool,
    can_create: bool,
    /// Whether the visitor may own and update work (viewers do not).
    can_update: bool,
}

pub async fn home(
    State(state): State<AppState>,
    OptionalPageCaller(caller): OptionalPageCaller,
) -> PageResult<Response> {
    let Some(caller) = caller else {
        return Ok(login_page(String::new(), String::new(), None).into_response());
    };
    let pool = &state.tenant(&caller);
    if let Some(owned) = db::portfolio_views::highest_owned(pool, caller.user_id).await? {
        return Ok(Redirect::to(&format!("/portfolios/{owned}")).into_response());
    }
    let top = db::portfolio_views::first_top_level(pool).await?;
    // Admins and viewers (the board) read the whole organization: its top portfolio is home.
    if let (Some(top), Role::Admin | Role::Viewer) = (top, caller.role) {
        return Ok(Redirect::to(&format!("/portfolios/{top}")).into_response());
    }
    Ok(HomePage {
        layout: Layout::new(caller.org_name.clone(), Some(&caller)).in_section("home"),
        can_create: permissions::may_administer(&caller),
        can_update: permissions::may_write(&caller),
        org_name: caller.org_name,
        empty: top.is_none(),
    }
    .into_response())
}

/// Whether `/` leads the caller to the portfolio at the end of `path` (its ancestors from the top,
/// itself last), so that its page marks Home in the navigation: the highest portfolio they own, or,
/// for those who read the whole organization and own none of the path, a top-level portfolio.
pub fn leads_home(caller: &Caller, path: &[Portfolio]) -> bool {
    let owns = |p: &Portfolio| p.owner_id == Some(caller.user_id);
    match path.split_last() {
        Some((portfolio, above)) if owns(portfolio) => !above.iter().any(owns),
        Some((portfolio, [])) => {
            matches!(caller.role, Role::Admin | Role::Viewer) && portfolio.parent_id.is_none()
        }
        _ => false,
    }
}
