//! `/portfolios/{id}`: the roll-up view a CPO reads, and its children table as CSV.
//!
//! Every figure comes from `db::rollup::rollup`, the one roll-up the JSON API also answers with;
//! this module only arranges those figures and links each count to the initiatives behind it.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::{Html, Response};
use chrono::{NaiveDate, Utc};
use uuid::Uuid;

use super::Layout;
use super::capacity::CapacityPanel;
use super::form::FormState;
use super::initiative_list::{ListRow, list_url};
use super::kpis::{self, KpiCard};
use crate::db;
use crate::db::baselines::BaselineSummary;
use crate::db::initiative_lists::ListedInitiative;
use crate::db::pages::rollup::{PageParts, RollupPageData, owners_shown};
use crate::db::portfolios::Portfolio;
use crate::db::rollup::GroupFigures;
use crate::db::status_updates::SubtreeChange;
use crate::db::users::Caller;
use crate::domain::currency::{format_money, format_quantity, group_thousands, major_units};
use crate::domain::initiative::InitiativeFilter;
use crate::domain::period::Period;
use crate::domain::permissions::may_edit_portfolio;
use crate::domain::rollup::{Figures, KpiCounts, ThemeShare};
use crate::domain::{Health, RollupDimension, Status, WorkScope};
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::csv_export;
use crate::http::extract::{PageCaller, StampedPageCaller};

/// How many of the initiatives attached to the portfolio itself the page lists, like the
/// watchlists: the first few, soonest due, and a link to the full list.
const ATTACHED_SHOWN: usize = 10;

/// One portfolio's figures as the page shows them, each count with its link.
pub struct FiguresView {
    pub health: Option<Health>,
    /// 0–100, one decimal; `None` when there is nothing but cancelled work.
    pub progress: Option<f64>,
    pub total: i64,
    pub total_url: String,
    pub late: i64,
    pub late_url: String,
    /// Initiatives with a blocker in conflict, and optimistic work (SPEC §10).
    pub conflicts: i64,
    pub conflicts_url: String,
    pub optimistic: i64,
    pub optimistic_url: String,
    /// The counts grouped by thousands, as shown.
    pub total_label: String,
    pub late_label: String,
    pub conflicts_label: String,
    pub optimistic_label: String,
    pub effort: String,
    pub budget: String,
    /// Counts by status, in order, as segments of one bar.
    pub statuses: Vec<StatusSegment>,
    /// Counts by health over active work.
    pub healths: Vec<HealthCount>,
    /// OKR progress of the subtree for the page's period, and the OKR view behind it.
    pub okr_progress: Option<f64>,
    pub okr_url: String,
    /// The subtree's KPIs by status (SPEC §11), "3 of 4 on target", and where they are shown.
    pub kpis: KpiCounts,
    pub kpis_label: String,
    pub kpis_url: String,
}

pub struct StatusSegment {
    pub status: Status,
    pub count: i64,
    pub label: String,
    /// Percent of the total, for the bar's width.
    pub width: String,
    pub url: String,
}

pub struct HealthCount {
    pub health: Health,
    pub count: i64,
    pub label: String,
    pub url: String,
}

impl FiguresView {
    /// The counts of active work that is not on track, each with its link.
    fn at_risk_counts(&self) -> Vec<HealthCount> {
        self.healths
            .iter()
            .filter(|h| h.health != Health::OnTrack)
            .map(|h| HealthCount {
                health: h.health,
                count: h.count,
                label: h.label.clone(),
                url: h.url.clone(),
            })
            .collect()
    }

    pub(super) fn new(portfolio_id: Uuid, figures: &Figures, currency: &str, period: Period) -> FiguresView {
        let subtree = InitiativeFilter {
            portfolio_id: Some(portfolio_id),
            ..InitiativeFilter::default()
        };
        FiguresView::of(subtree, figures, currency, period)
    }

    /// The figures of the initiatives `subtree` selects (a portfolio's, or a group's of it), each
    /// count linking to the list of the initiatives it counts.
    fn of(subtree: InitiativeFilter, figures: &Figures, currency: &str, period: Period) -> FiguresView {
        let portfolio_id = subtree.portfolio_id.unwrap_or_default();
        let total = figures.counts.total;
        let statuses = figures
            .counts
            .by_status
            .iter()
            .map(|(&status, &count)| StatusSegment {
                status,
                count,
                label: count_label(count),
                width: share_of(count, total),
                url: list_url(&InitiativeFilter {
                    status: Some(status),
                    ..subtree
                }),
            })
            .collect();
        let healths = figures
            .counts
            .by_health
            .iter()
            .map(|(&health, &count)| HealthCount {
                health,
                count,
                label: count_label(count),
                // by_health counts active work only, so the list behind it does too.
                url: list_url(&InitiativeFilter {
                    health: Some(health),
                    scope: Some(WorkScope::Active),
                    ..subtree
                }),
            })
            .collect();
        FiguresView {
            health: figures.health,
            progress: figures.progress,
            total,
            total_label: count_label(total),
            late_label: count_label(figures.late),
            total_url: list_url(&subtree),
            late: figures.late,
            late_url: list_url(&InitiativeFilter {
                late: true,
                ..subtree
            }),
            conflicts: figures.dependency_conflicts,
            conflicts_label: count_label(figures.dependency_conflicts),
            conflicts_url: list_url(&InitiativeFilter {
                dependency_conflict: true,
                ..subtree
            }),
            optimistic: figures.optimistic,
            optimistic_label: count_label(figures.optimistic),
            optimistic_url: list_url(&InitiativeFilter {
                optimistic: true,
                ..subtree
            }),
            effort: format_quantity(figures.effort),
            budget: format_money(figures.budget, currency),
            statuses,
            healths,
            okr_progress: figures.okr_progress,
            okr_url: format!("/objectives?portfolio_id={portfolio_id}&period={period}"),
            kpis: figures.kpis,
            kpis_label: kpis::counts_label(&figures.kpis),
            kpis_url: format!("/portfolios/{portfolio_id}#kpis"),
        }
    }

    pub fn okr_label(&self) -> String {
        self.okr_progress
            .map(|p| format!("{p:.1}%"))
            .unwrap_or_else(|| "–".to_owned())
    }

    /// The progress bar's colour follows rolled health; grey when nothing is active.
    pub fn health_class(&self) -> &'static str {
        self.health.map(Health::as_str).unwrap_or("none")
    }

    pub fn progress_label(&self) -> String {
        self.progress
            .map(|p| format!("{p:.1}%"))
            .unwrap_or_else(|| "–".to_owned())
    }
}

pub(super) fn count_label(count: i64) -> String {
    group_thousands(count.unsigned_abs())
}

/// `count` of `total` as a CSS percentage.
fn share_of(count: i64, total: i64) -> String {
    if total == 0 {
        return "0".to_owned();
    }
    format!("{:.3}", count as f64 * 100.0 / total as f64)
}

/// A child portfolio's row.
pub struct ChildRow {
    pub portfolio: Portfolio,
    pub owner: String,
    pub figures: FiguresView,
}

/// A group's row when the page groups the subtree's work by another dimension (SPEC §13).
pub struct GroupRow {
    pub label: String,
    /// Where the group's name leads: its initiatives.
    pub href: Option<String>,
    pub figures: FiguresView,
    /// Whether the initiative list can show the group's initiatives, so that its counts link
    /// to them; else they are shown as plain numbers.
    pub listed: bool,
}

impl GroupRow {
    fn new(
        portfolio_id: Uuid,
        by: RollupDimension,
        group: &GroupFigures,
        currency: &str,
        period: Period,
    ) -> GroupRow {
        let subtree = InitiativeFilter {
            portfolio_id: Some(portfolio_id),
            ..InitiativeFilter::default()
        };
        let key = group.key.as_deref();
        let id = key.and_then(|k| k.parse::<Uuid>().ok());
        // The group as the initiative list's filter, where the list has one.
        let filter = match by {
            RollupDimension::Theme => Some(InitiativeFilter {
                theme_id: id,
                unthemed: id.is_none(),
                ..subtree
            }),
            RollupDimension::Owner => Some(InitiativeFilter {
                owner_id: id,
                unowned: id.is_none(),
                ..subtree
            }),
            RollupDimension::Status => key.and_then(|k| k.parse().ok()).map(|status| InitiativeFilter {
                status: Some(status),
                ..subtree
            }),
            RollupDimension::Health => key.and_then(|k| k.parse().ok()).map(|health| InitiativeFilter {
                health: Some(health),
                ..subtree
            }),
            RollupDimension::Objective => Some(InitiativeFilter {
                objective_id: id,
                no_objective: id.is_none(),
                objective_period: id.is_none().then_some(period),
                ..subtree
            }),
            RollupDimension::Lifecycle => {
                let stage = key.and_then(|k| k.parse().ok());
                Some(InitiativeFilter {
                    lifecycle: stage,
                    unstaged: stage.is_none(),
                    ..subtree
                })
            }
            RollupDimension::Level => key.and_then(|k| k.parse().ok()).map(|level| InitiativeFilter {
                level: Some(level),
                ..subtree
            }),
        };
        let href = filter.as_ref().map(list_url);
        GroupRow {
            label: group.label.clone(),
            href,
            figures: FiguresView::of(filter.unwrap_or(subtree), &group.figures, currency, period),
            listed: filter.is_some(),
        }
    }
}

/// A choice of the "Group by" switch.
pub struct GroupingLink {
    pub label: &'static str,
    pub url: String,
    pub current: bool,
}

/// The "Group by" switch: the portfolio tree, then each dimension, keeping the period.
fn grouping_links(portfolio_id: Uuid, current: Option<RollupDimension>, period: Period) -> Vec<GroupingLink> {
    let tree = GroupingLink {
        label: "Portfolios",
        url: format!("/portfolios/{portfolio_id}?period={period}"),
        current: current.is_none(),
    };
    let labels = [
        (RollupDimension::Theme, "Theme"),
        (RollupDimension::Owner, "Owner"),
        (RollupDimension::Objective, "Objective"),
        (RollupDimension::Status, "Status"),
        (RollupDimension::Health, "Health"),
        (RollupDimension::Lifecycle, "Stage"),
        (RollupDimension::Level, "Level"),
    ];
    std::iter::once(tree)
        .chain(labels.into_iter().map(|(by, label)| GroupingLink {
            label,
            url: format!("/portfolios/{portfolio_id}?by={by}&period={period}"),
            current: current == Some(by),
        }))
        .collect()
}

/// One theme of the investment mix, with its bar's geometry on the chart's scale.
pub struct ThemeRow {
    pub name: String,
    pub colour: String,
    pub url: String,
    pub share: Option<f64>,
    pub target: Option<f64>,
    /// The bar's length and the target marker's position, percent of the chart's width.
    pub bar: f64,
    pub marker: Option<f64>,
}

impl ThemeRow {
    pub fn share_label(&self) -> String {
        self.share
            .map(|s| format!("{s:.1}%"))
            .unwrap_or_else(|| "–".to_owned())
    }

    pub fn target_label(&self) -> String {
        self.target
            .map(|t| format!("{t:.0}%"))
            .unwrap_or_else(|| "–".to_owned())
    }

    /// How far the share is from target, in points, when both exist.
    pub fn gap(&self) -> Option<f64> {
        Some(self.share? - self.target?)
    }
}

/// The investment mix's rows, scaled so the largest share or target fills most of the width.
fn theme_rows(portfolio_id: Uuid, shares: &[ThemeShare]) -> (Vec<ThemeRow>, f64) {
    let largest = shares
        .iter()
        .flat_map(|t| [t.share.unwrap_or(0.0), t.target_share.unwrap_or(0.0)])
        .fold(0.0_f64, f64::max);
    // The scale ends at the next multiple of 10 strictly above the largest value, so a target
    // marker never sits on the chart's edge.
    let scale = ((largest / 10.0).floor() * 10.0 + 10.0).min(100.0);
    let rows = shares
        .iter()
        .map(|theme| ThemeRow {
            name: theme.name.clone(),
            colour: theme.colour.clone().unwrap_or_else(|| "#8a93a0".to_owned()),
            url: list_url(&InitiativeFilter {
                portfolio_id: Some(portfolio_id),
                theme_id: theme.theme_id,
                unthemed: theme.theme_id.is_none(),
                // Shares are of effort over everything but cancelled work.
                scope: Some(WorkScope::NotCancelled),
                ..InitiativeFilter::default()
            }),
            share: theme.share,
            target: theme.target_share,
            bar: theme.share.unwrap_or(0.0) * 100.0 / scale,
            marker: theme.target_share.map(|t| t * 100.0 / scale),
        })
        .collect();
    (rows, scale)
}

#[derive(Template, WebTemplate)]
#[template(path = "portfolios/rollup.html")]
pub struct RollupPage {
    layout: Layout,
    portfolio: Portfolio,
    owner: String,
    /// From the top down to the parent: the breadcrumb.
    ancestors: Vec<Portfolio>,
    totals: FiguresView,
    children: Vec<ChildRow>,
    /// The dimension the subtree's work is grouped by instead of the tree, and its groups.
    grouping: Option<RollupDimension>,
    groups: Vec<GroupRow>,
    grouping_links: Vec<GroupingLink>,
    themes: Vec<ThemeRow>,
    /// The investment chart's full width, in percent of effort.
    scale: f64,
    at_risk: Vec<ListRow>,
    /// Links to every at-risk and off-track initiative, with their counts.
    at_risk_all: Vec<HealthCount>,
    late: Vec<ListRow>,
    in_conflict: Vec<ListRow>,
    optimistic: Vec<ListRow>,
    /// The baselines taken of it, newest first, the "what changed since" each links to.
    baselines: Vec<BaselineSummary>,
    /// The take-a-baseline form: errors of a refused submit, and the name typed.
    baseline_form: FormState,
    baseline_name: String,
    attached: Vec<ListRow>,
    /// More initiatives are attached than the page shows.
    attached_more: bool,
    children_csv: String,
    /// "What changed since …": status and health changes in the subtree, newest first.
    changes: Vec<SubtreeChange>,
    /// How many changes there are since then; the panel shows the latest few.
    changes_total: i64,
    /// Every change since then, a page at a time.
    changes_url: String,
    since: NaiveDate,
    /// Why the `since` the visitor typed was not used, if it was not.
    since_error: Option<&'static str>,
    /// Whether the visitor may edit it and add portfolios and initiatives inside it.
    can_edit: bool,
    /// Whether its level leaves room for portfolios below it.
    can_hold_portfolios: bool,
    /// The period of the OKR figures, with its neighbours to step through.
    period: Period,
    /// Capacity against demand over the next four quarters, for it and each child, and for whoever
    /// may edit it the forms that set its own.
    pub(super) capacity: CapacityPanel,
    /// The portfolio's own KPIs (SPEC §11).
    kpi_cards: Vec<KpiCard>,
}

/// How far back "What changed" looks unless the visitor says otherwise.
const CHANGES_DAYS: i64 = 7;

/// The day "What changed" starts from: the visitor's `since`, else a week ago; and why the
/// visitor's was not used, if it was not.
pub(super) fn parse_since(since: Option<&str>) -> (NaiveDate, Option<&'static str>) {
    let default_since = Utc::now().date_naive() - chrono::Duration::days(CHANGES_DAYS);
    match since.filter(|s| !s.is_empty()) {
        None => (default_since, None),
        Some(text) => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(date) => (date, None),
            Err(_) => (default_since, Some("is not a date like 2026-11-15")),
        },
    }
}

#[derive(serde::Deserialize)]
pub struct RollupQuery {
    since: Option<String>,
    period: Option<String>,
    by: Option<String>,
    /// The quarter whose capacity the panel's form just saved.
    capacity_saved: Option<String>,
}

impl RollupQuery {
    /// A period that does not parse falls back to the current quarter, as a stale link should.
    fn period(&self) -> Option<Period> {
        self.period.as_deref().and_then(|p| p.parse::<Period>().ok())
    }

    /// The dimension to group by; one that does not parse is the tree, as a stale link should.
    fn grouping(&self) -> Option<RollupDimension> {
        self.by.as_deref().and_then(|by| by.parse().ok())
    }
}

/// The roll-up page of `id` with the take-a-baseline form refused: its errors and what was typed.
pub(super) async fn page_with_baseline_form(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    form: FormState,
    typed: String,
) -> PageResult<RollupPage> {
    let mut page = page_for_refused_form(state, caller, id).await?;
    page.baseline_form = form;
    page.baseline_name = typed;
    Ok(page)
}

/// The roll-up page of `id` as it opens, for a form on it that was refused: the form's errors and
/// what was typed are the caller's to set.
pub(super) async fn page_for_refused_form(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> PageResult<RollupPage> {
    let (since, since_error) = parse_since(None);
    let attached = ATTACHED_SHOWN as i64 + 1;
    let cache = &state.caches.portfolio_pages;
    let data = db::pages::rollup::read(&state.tenant(caller), cache, id, None, attached, since).await?;
    Ok(RollupPage::new(caller, data, since, since_error))
}

/// The page, kept as rendered for its reader while the organization's data and date stay the same.
#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn show(
    State(state): State<AppState>,
    StampedPageCaller(caller, stamp): StampedPageCaller,
    uri: Uri,
    Path(id): Path<Uuid>,
    Query(query): Query<RollupQuery>,
) -> PageResult<Html<Bytes>> {
    let (since, since_error) = parse_since(query.since.as_deref());
    super::kept(&state, &caller, stamp, &uri, Some(since), || async {
        let cache = &state.caches.portfolio_pages;
        // One more attached initiative than it shows, to know whether to link to the rest.
        let attached = ATTACHED_SHOWN as i64 + 1;
        let pool = state.tenant(&caller);
        let data = db::pages::rollup::read(&pool, cache, id, query.period(), attached, since).await?;
        let mut page = RollupPage::new(&caller, data, since, since_error);
        page.capacity.saved = query.capacity_saved.as_deref().and_then(|p| p.parse().ok());
        if let Some(by) = query.grouping() {
            let grouped = db::rollup::grouped(&pool, id, by, Some(page.period)).await?;
            page.groups = grouped
                .groups
                .iter()
                .map(|group| GroupRow::new(id, by, group, &grouped.currency, page.period))
                .collect();
            page.grouping = Some(by);
            page.grouping_links = grouping_links(id, Some(by), page.period);
        }
        Ok(page)
    })
    .await
}

impl RollupPage {
    fn new(
        caller: &Caller,
        RollupPageData { rollup, parts }: RollupPageData,
        since: NaiveDate,
        since_error: Option<&'static str>,
    ) -> RollupPage {
        let id = rollup.portfolio.id;
        let period = rollup.period;
        let PageParts {
            ancestors,
            names,
            watchlists,
            changes,
            changes_total,
            capacity,
            own_capacity,
            baselines,
            kpis,
            kpi_values,
        } = &*parts;
        let can_edit = may_edit_portfolio(caller, ancestors.iter().map(|p| p.owner_id));
        let section = if super::home::leads_home(caller, ancestors) {
            "home"
        } else {
            "portfolios"
        };
        let owner_of = |owner_id: Option<Uuid>| {
            owner_id
                .and_then(|owner| names.get(&owner).cloned())
                .unwrap_or_else(|| "No owner".to_owned())
        };
        let totals = FiguresView::new(id, &rollup.totals, &rollup.currency, period);
        let children = rollup
            .children
            .into_iter()
            .map(|child| ChildRow {
                owner: owner_of(child.portfolio.owner_id),
                figures: FiguresView::new(child.portfolio.id, &child.figures, &rollup.currency, period),
                portfolio: child.portfolio,
            })
            .collect();
        let (themes, scale) = theme_rows(id, &rollup.themes);
        let at_risk_all = totals.at_risk_counts();
        let portfolio_name = rollup.portfolio.name.clone();
        let today = rollup.stamp.today;
        // A PM's area can hold hundreds of initiatives: the page shows the first few, the list all.
        let attached_more = rollup.initiatives.len() > ATTACHED_SHOWN;
        let attached = rollup
            .initiatives
            .into_iter()
            .take(ATTACHED_SHOWN)
            .map(|i| ListRow::from_initiative(i.initiative, &portfolio_name, names, today))
            .collect();
        let listed = |rows: &[ListedInitiative]| rows.iter().cloned().map(ListRow::from).collect();
        RollupPage {
            // Whether the forms show is this visitor's: the parts are every reader's.
            capacity: CapacityPanel::new(capacity, can_edit.then_some(own_capacity.as_slice())),
            kpi_cards: KpiCard::all(kpis, kpi_values),
            layout: Layout::new(rollup.portfolio.name.clone(), Some(caller)).in_section(section),
            owner: owner_of(rollup.portfolio.owner_id),
            children_csv: format!("/portfolios/{id}/children.csv"),
            can_edit,
            can_hold_portfolios: rollup.portfolio.level.below().is_some(),
            period,
            changes: changes.clone(),
            changes_total: *changes_total,
            changes_url: format!("/portfolios/{id}/changes?since={since}"),
            since,
            since_error,
            portfolio: rollup.portfolio,
            ancestors: ancestors.iter().filter(|p| p.id != id).cloned().collect(),
            totals,
            children,
            grouping: None,
            groups: Vec::new(),
            grouping_links: grouping_links(id, None, period),
            themes,
            scale,
            at_risk: listed(&watchlists.at_risk),
            at_risk_all,
            late: listed(&watchlists.late),
            in_conflict: listed(&watchlists.in_conflict),
            optimistic: listed(&watchlists.optimistic),
            baselines: baselines.clone(),
            baseline_form: FormState::default(),
            baseline_name: String::new(),
            attached,
            attached_more,
        }
    }
}

/// The figure columns of the children's and the groups' CSV, after the columns that name a row.
const FIGURE_COLUMNS: [&str; 13] = [
    "health",
    "progress_percent",
    "initiatives",
    "late",
    "effort_person_weeks",
    "budget",
    "currency",
    "okr_progress_percent",
    "dependency_conflicts",
    "optimistic",
    "kpis_on_target",
    "kpis_off_target",
    "kpis_no_data",
];

/// `/portfolios/{id}/children.csv`: the children table as the page shows it, figures unformatted;
/// with `by=`, the groups table of that grouping.
#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn children_csv(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Query(query): Query<RollupQuery>,
) -> PageResult<Response> {
    let pool = state.tenant(&caller);
    let (file_name, document) = match query.grouping() {
        None => {
            let rollup = db::rollup::rollup(&pool, id, query.period(), 0).await?;
            let names = db::portfolio_views::names_of(&pool, pool.org_id(), &owners_shown(&rollup)).await?;
            let header: Vec<&str> = ["portfolio", "level", "owner"]
                .into_iter()
                .chain(FIGURE_COLUMNS)
                .collect();
            let records = rollup.children.iter().map(|child| {
                let owner = child
                    .portfolio
                    .owner_id
                    .and_then(|owner| names.get(&owner))
                    .map(String::as_str)
                    .unwrap_or("");
                [
                    csv_export::text_cell(&child.portfolio.name).into_owned(),
                    child.portfolio.level.as_str().to_owned(),
                    csv_export::text_cell(owner).into_owned(),
                ]
                .into_iter()
                .chain(figure_cells(&child.figures, &rollup.currency))
                .collect::<Vec<_>>()
            });
            let file_name = format!("{}-children.csv", file_stem(&rollup.portfolio.name));
            (file_name, csv_export::document(&header, records))
        }
        Some(by) => {
            let grouped = db::rollup::grouped(&pool, id, by, query.period()).await?;
            let header: Vec<&str> = ["group", "key"].into_iter().chain(FIGURE_COLUMNS).collect();
            let records = grouped.groups.iter().map(|group| {
                [
                    csv_export::text_cell(&group.label).into_owned(),
                    group.key.clone().unwrap_or_default(),
                ]
                .into_iter()
                .chain(figure_cells(&group.figures, &grouped.currency))
                .collect::<Vec<_>>()
            });
            let file_name = format!("{}-by-{by}.csv", file_stem(&grouped.portfolio.name));
            (file_name, csv_export::document(&header, records))
        }
    };
    let document = document.map_err(|e| AppError::Internal(e.into()))?;
    Ok(csv_export::download(&file_name, Body::from(document)))
}

/// A figure set's cells, in `FIGURE_COLUMNS`' order, unformatted.
fn figure_cells(figures: &Figures, currency: &str) -> [String; 13] {
    [
        figures.health.map(Health::as_str).unwrap_or("").to_owned(),
        figures.progress.map(|p| format!("{p:.1}")).unwrap_or_default(),
        figures.counts.total.to_string(),
        figures.late.to_string(),
        figures.effort.to_string(),
        major_units(figures.budget, currency),
        currency.to_owned(),
        figures
            .okr_progress
            .map(|p| format!("{p:.1}"))
            .unwrap_or_default(),
        figures.dependency_conflicts.to_string(),
        figures.optimistic.to_string(),
        figures.kpis.on_target.to_string(),
        figures.kpis.off_target.to_string(),
        figures.kpis.no_data.to_string(),
    ]
}

/// A portfolio's name as a safe file name: letters and digits, dashes between words.
fn file_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let words: Vec<&str> = stem.split('-').filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        "portfolio".to_owned()
    } else {
        words.join("-")
    }
}
