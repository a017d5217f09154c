//! The portfolio tree page. (One portfolio's page is its roll-up: `rollup.rs`.)

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use uuid::Uuid;

use super::Layout;
use crate::db;
use crate::db::portfolio_views::InitiativeSummary;
use crate::db::portfolios::Portfolio;
use crate::domain::{Health, Status};
use crate::error::PageResult;
use crate::http::AppState;
use crate::http::extract::PageCaller;

/// An initiative as the portfolio pages list it.
pub struct InitiativeRow {
    pub id: Uuid,
    pub key: String,
    pub title: String,
    pub status: Status,
    pub health: Health,
    pub progress: i16,
    pub owner: String,
}

impl InitiativeRow {
    fn new(summary: InitiativeSummary, names: &HashMap<Uuid, String>) -> InitiativeRow {
        InitiativeRow {
            owner: owner_name(summary.owner_id, names),
            id: summary.id,
            key: summary.key,
            title: summary.title,
            status: summary.status,
            health: summary.health,
            progress: summary.progress,
        }
    }
}

/// A portfolio in a list: its own fields, its owner's name and how deep it sits.
pub struct PortfolioRow {
    pub portfolio: Portfolio,
    pub owner: String,
    pub depth: i32,
    pub initiatives: Vec<InitiativeRow>,
}

fn owner_name(owner_id: Option<Uuid>, names: &HashMap<Uuid, String>) -> String {
    owner_id
        .and_then(|id| names.get(&id).cloned())
        .unwrap_or_else(|| "No owner".to_owned())
}

/// Groups initiative summaries by their portfolio, as rows.
fn rows_by_portfolio(
    summaries: Vec<InitiativeSummary>,
    names: &HashMap<Uuid, String>,
) -> HashMap<Uuid, Vec<InitiativeRow>> {
    let mut by_portfolio: HashMap<Uuid, Vec<InitiativeRow>> = HashMap::new();
    for summary in summaries {
        by_portfolio
            .entry(summary.portfolio_id)
            .or_default()
            .push(InitiativeRow::new(summary, names));
    }
    by_portfolio
}

#[derive(Template, WebTemplate)]
#[template(path = "portfolios/tree.html")]
pub struct TreePage {
    layout: Layout,
    nodes: Vec<PortfolioRow>,
    /// Whether the visitor may start a new top-level portfolio.
    can_create: bool,
}

#[tracing::instrument(skip_all)]
pub async fn tree(State(state): State<AppState>, PageCaller(caller): PageCaller) -> PageResult<TreePage> {
    let tree = db::portfolios::list_tree(&state.tenant(&caller)).await?;
    let names = db::portfolio_views::member_names(&state.tenant(&caller)).await?;
    let summaries = db::portfolio_views::initiative_summaries(&state.tenant(&caller), None).await?;
    let mut initiatives = rows_by_portfolio(summaries, &names);
    let nodes = tree
        .into_iter()
        .map(|node| PortfolioRow {
            owner: owner_name(node.portfolio.owner_id, &names),
            initiatives: initiatives.remove(&node.portfolio.id).unwrap_or_default(),
            depth: node.depth,
            portfolio: node.portfolio,
        })
        .collect();
    Ok(TreePage {
        layout: Layout::new("Portfolios", Some(&caller)).in_section("portfolios"),
        nodes,
        can_create: crate::domain::permissions::may_create_portfolio(&caller, None),
    })
}
