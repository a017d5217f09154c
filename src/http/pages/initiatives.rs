//! An initiative's page: its details and where it sits in the hierarchy.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use uuid::Uuid;

use super::Layout;
use crate::db;
use crate::db::initiatives::Initiative;
use crate::db::portfolios::Portfolio;
use crate::error::PageResult;
use crate::http::AppState;
use crate::http::extract::PageCaller;

#[derive(Template, WebTemplate)]
#[template(path = "initiatives/show.html")]
pub struct InitiativePage {
    layout: Layout,
    initiative: Initiative,
    /// The portfolio path from the top down to the initiative's own portfolio.
    portfolios: Vec<Portfolio>,
    owner: String,
    theme: Option<String>,
    /// Whether the visitor may edit it.
    can_edit: bool,
}

#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn show(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
) -> PageResult<InitiativePage> {
    let initiative = db::initiatives::get(&state.pool, caller.org_id, id).await?;
    let portfolios = db::portfolios::ancestors(&state.pool, caller.org_id, initiative.portfolio_id).await?;
    let names =
        db::portfolio_views::names_of(&state.pool, caller.org_id, &Vec::from_iter(initiative.owner_id))
            .await?;
    let theme = match initiative.theme_id {
        Some(theme_id) => Some(db::themes::get(&state.pool, caller.org_id, theme_id).await?.name),
        None => None,
    };
    let can_edit = db::permissions::can_edit_initiative(
        &state.pool,
        &caller,
        initiative.owner_id,
        initiative.portfolio_id,
    )
    .await?;
    Ok(InitiativePage {
        can_edit,
        layout: Layout::new(format!("{} {}", initiative.key, initiative.title), Some(&caller))
            .in_section("portfolios"),
        owner: initiative
            .owner_id
            .and_then(|owner| names.get(&owner).cloned())
            .unwrap_or_else(|| "No owner".to_owned()),
        initiative,
        portfolios,
        theme,
    })
}
