//! `/portfolios/{id}/lifecycle`: the subtree's products in columns by lifecycle stage, concept to
//! retirement (SPEC §11), each with its §3 figures and its KPIs; products without a stage in a
//! column of their own.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::Html;
use uuid::Uuid;

use super::Layout;
use super::kpis::{KpiCard, counts_label};
use super::rollup::FiguresView;
use crate::db;
use crate::db::pages::lifecycle::LifecycleData;
use crate::db::portfolios::Portfolio;
use crate::db::users::Caller;
use crate::domain::Lifecycle;
use crate::error::PageResult;
use crate::http::AppState;
use crate::http::extract::StampedPageCaller;

pub struct ProductCard {
    pub portfolio: Portfolio,
    pub figures: FiguresView,
    /// "3 of 4 on target" over the product's subtree.
    pub kpis_label: String,
    pub kpis: Vec<KpiCard>,
}

pub struct StageColumn {
    pub key: &'static str,
    pub title: String,
    pub products: Vec<ProductCard>,
}

#[derive(Template, WebTemplate)]
#[template(path = "portfolios/lifecycle.html")]
pub struct LifecyclePage {
    layout: Layout,
    portfolio: Portfolio,
    ancestors: Vec<Portfolio>,
    columns: Vec<StageColumn>,
    products: usize,
}

#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn show(
    State(state): State<AppState>,
    StampedPageCaller(caller, stamp): StampedPageCaller,
    uri: Uri,
    Path(id): Path<Uuid>,
) -> PageResult<Html<Bytes>> {
    super::kept(&state, &caller, stamp, &uri, None, || board(&state, &caller, id)).await
}

/// The board of portfolio `id`.
async fn board(state: &AppState, caller: &Caller, id: Uuid) -> PageResult<LifecyclePage> {
    let board = db::pages::lifecycle::read(&state.tenant(caller), &state.caches.lifecycle_boards, id).await?;
    let LifecycleData {
        ancestors,
        products,
        kpis,
        period,
    } = &*board;
    let period = *period;
    let mut ancestors = ancestors.clone();
    let portfolio = ancestors.pop().expect("read checks it exists");
    let count = products.len();
    let stages = Lifecycle::ALL.iter().map(|&stage| Some(stage)).chain([None]);
    let mut columns: Vec<StageColumn> = stages
        .map(|stage| StageColumn {
            key: stage.map_or("none", Lifecycle::as_str),
            title: stage.map_or_else(|| "No stage".to_owned(), Lifecycle::label),
            products: Vec::new(),
        })
        .collect();
    for (product, figures, currency) in products {
        let (product, figures) = (product.clone(), figures.clone());
        let own: Vec<_> = kpis
            .iter()
            .filter(|k| k.portfolio_id == product.id)
            .cloned()
            .collect();
        let card = ProductCard {
            figures: FiguresView::new(product.id, &figures, currency, period),
            kpis_label: counts_label(&figures.kpis),
            kpis: KpiCard::all(&own, &Default::default()),
            portfolio: product,
        };
        let column = card
            .portfolio
            .lifecycle
            .and_then(|stage| Lifecycle::ALL.iter().position(|&s| s == stage))
            .unwrap_or(Lifecycle::ALL.len());
        columns[column].products.push(card);
    }
    // "No stage" only when some product has none.
    columns.retain(|c| c.key != "none" || !c.products.is_empty());
    Ok(LifecyclePage {
        layout: Layout::new(format!("Lifecycle of {}", portfolio.name), Some(caller))
            .in_section("portfolios"),
        portfolio,
        ancestors,
        columns,
        products: count,
    })
}
