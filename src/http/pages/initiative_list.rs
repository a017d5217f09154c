//! `/initiatives`: every initiative of the organization, filtered (a portfolio's whole subtree,
//! status, health, theme, owner, late), sorted, a page at a time; and `/initiatives.csv`, the same
//! list as a spreadsheet. The roll-up page's counts link here.
//!
//! Pages are numbered (offset pagination): the list sorts by columns with ties and gaps (target
//! date, RICE), people jump between pages, and the roll-up's counts bound how far anyone pages.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::{Html, Response};
use chrono::NaiveDate;
use futures_util::StreamExt;
use rust_decimal::prelude::ToPrimitive;
use uuid::Uuid;

use super::Layout;
use crate::db;
use crate::db::initiative_lists::ListedInitiative;
use crate::db::initiatives::Initiative;
use crate::db::pages::initiative_list::InitiativeListData;
use crate::db::portfolios::TreeNode;
use crate::db::themes::Theme;
use crate::db::users::Caller;
use crate::domain::currency::{format_quantity, major_units};
use crate::domain::feedback::Demand;
use crate::domain::initiative::{InitiativeFilter, InitiativeQuery, ListRequest, NO_THEME};
use crate::domain::{Health, InitiativeSort, Role, Status, WorkScope};
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::csv_export;
use crate::http::extract::{PageCaller, StampedPageCaller};

/// Rows per page.
pub const PAGE_SIZE: i64 = 50;

/// An initiative as a list row shows it.
pub struct ListRow {
    pub id: Uuid,
    pub key: String,
    pub title: String,
    pub portfolio_id: Uuid,
    pub portfolio: String,
    pub owner: String,
    pub status: Status,
    pub health: Health,
    pub progress: i16,
    pub target_date: Option<NaiveDate>,
    pub rice: Option<f64>,
    /// With a quarter filter: the initiative's demand in that quarter, in person-weeks.
    pub share: Option<String>,
    /// Declared on track though behind its time; a blocker in conflict (SPEC §10).
    pub optimistic: bool,
    pub dependency_conflict: bool,
    /// The customer feedback linked to it, summed (SPEC §11).
    pub demand: Demand,
}

impl From<ListedInitiative> for ListRow {
    fn from(row: ListedInitiative) -> ListRow {
        ListRow {
            demand: row.demand(),
            rice: row.scores("").rice.value.and_then(|r| r.to_f64()),
            id: row.id,
            key: row.key,
            title: row.title,
            portfolio_id: row.portfolio_id,
            portfolio: row.portfolio_name,
            owner: row.owner_name.unwrap_or_else(|| "No owner".to_owned()),
            status: row.status,
            health: row.health,
            progress: row.progress,
            target_date: row.target_date,
            share: None,
            optimistic: row.optimistic,
            dependency_conflict: row.dependency_conflict,
        }
    }
}

impl ListRow {
    /// An initiative of a portfolio whose name is known, its owner named from `names`, its pace
    /// as of `today`.
    pub fn from_initiative(
        initiative: Initiative,
        portfolio: &str,
        names: &HashMap<Uuid, String>,
        today: NaiveDate,
    ) -> ListRow {
        ListRow {
            optimistic: initiative.optimistic_on(today),
            dependency_conflict: initiative.dependency_conflict,
            rice: initiative.scores().rice.value.and_then(|r| r.to_f64()),
            owner: initiative
                .owner_id
                .and_then(|owner| names.get(&owner).cloned())
                .unwrap_or_else(|| "No owner".to_owned()),
            id: initiative.id,
            key: initiative.key,
            title: initiative.values.title,
            portfolio_id: initiative.values.portfolio_id,
            portfolio: portfolio.to_owned(),
            status: initiative.values.status,
            health: initiative.values.health,
            progress: initiative.values.progress,
            target_date: initiative.values.target_date,
            share: None,
            demand: initiative.demand,
        }
    }

    pub fn rice_label(&self) -> String {
        self.rice.map(format_quantity).unwrap_or_default()
    }

    /// Its demand's importance, empty without feedback.
    pub fn demand_label(&self) -> String {
        match self.demand.requests {
            0 => String::new(),
            _ => self.demand.importance.to_string(),
        }
    }
}

/// A choice in one of the filter form's menus.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    fn new(value: impl Into<String>, label: impl Into<String>, current: &str) -> Choice {
        let value = value.into();
        Choice {
            selected: value == current,
            label: label.into(),
            value,
        }
    }

    /// "Any" first, then the options.
    fn menu(current: &str, options: impl IntoIterator<Item = (String, String)>) -> Vec<Choice> {
        std::iter::once(Choice::new("", "Any", current))
            .chain(options.into_iter().map(|(v, l)| Choice::new(v, l, current)))
            .collect()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "initiatives/list.html")]
pub struct ListPage {
    layout: Layout,
    rows: Vec<ListRow>,
    /// The portfolio the list is scoped to, for the heading.
    scope_name: Option<String>,
    portfolios: Vec<Choice>,
    statuses: Vec<Choice>,
    healths: Vec<Choice>,
    themes: Vec<Choice>,
    owners: OwnerFilter,
    scopes: Vec<Choice>,
    late: bool,
    /// The fiscal quarter filter (empty: none); rows then show their share of it.
    quarter: String,
    /// The current order, kept when the filters change.
    sort: InitiativeSort,
    sorts: Vec<SortLink>,
    page: i64,
    previous_url: Option<String>,
    next_url: Option<String>,
    csv_url: String,
    /// Where the exported CSV, edited, imports back; none for viewers, who write nothing.
    import_url: Option<String>,
    /// The roll-up group the list is narrowed to (SPEC §13), said in words, and kept by the
    /// filter form as hidden fields.
    group_note: Option<String>,
    group_params: Vec<(&'static str, String)>,
    first_row: i64,
}

/// A sort order as a link that keeps the filters.
pub struct SortLink {
    pub label: &'static str,
    pub url: String,
    pub current: bool,
}

/// The list's URL for a request: its filters, then sort and page when not the defaults.
fn page_url(request: &ListRequest, page: i64) -> String {
    let mut url = list_url(&request.filter);
    if request.sort != InitiativeSort::Target {
        url.push_str(&format!("&sort={}", request.sort));
    }
    if page > 1 {
        url.push_str(&format!("&page={page}"));
    }
    url
}

#[tracing::instrument(skip_all)]
pub async fn index(
    State(state): State<AppState>,
    StampedPageCaller(caller, stamp): StampedPageCaller,
    uri: Uri,
    Query(mut query): Query<InitiativeQuery>,
    Query(search): Query<OwnerSearch>,
) -> PageResult<Html<Bytes>> {
    search
        .resolve(&state.tenant(&caller), &mut query.owner_id)
        .await?;
    let request = query.parse_list()?;
    let offset = (request.page - 1).saturating_mul(PAGE_SIZE);
    super::kept(&state, &caller, stamp, &uri, None, || async {
        let data = db::pages::initiative_list::read(
            &state.tenant(&caller),
            &request.filter,
            request.sort,
            offset,
            PAGE_SIZE,
        )
        .await?;
        Ok(ListPage::new(&caller, request, offset, data))
    })
    .await
}

impl ListPage {
    fn new(caller: &Caller, request: ListRequest, offset: i64, data: InitiativeListData) -> ListPage {
        let filter = &request.filter;
        let scope_name = filter.portfolio_id.and_then(|id| {
            data.tree
                .iter()
                .find(|node| node.portfolio.id == id)
                .map(|node| node.portfolio.name.clone())
        });
        ListPage {
            layout: Layout::new("Initiatives", Some(caller)).in_section("initiatives"),
            rows: data
                .rows
                .into_iter()
                .map(|row| {
                    let share = data.shares.get(&row.id).map(|pw| format!("{} pw", pw_label(*pw)));
                    ListRow {
                        share: filter
                            .quarter
                            .map(|_| share.unwrap_or_else(|| "0.0 pw".to_owned())),
                        ..ListRow::from(row)
                    }
                })
                .collect(),
            quarter: filter.quarter.map(|q| q.to_string()).unwrap_or_default(),
            scope_name,
            portfolios: portfolio_choices(&data.tree, filter.portfolio_id),
            statuses: enum_choices(Status::ALL, filter.status),
            healths: enum_choices(Health::ALL, filter.health),
            themes: theme_choices(&data.themes, filter),
            owners: OwnerFilter::new(&data.names, filter.owner_id),
            scopes: enum_choices(WorkScope::ALL, filter.scope),
            late: filter.late,
            sort: request.sort,
            sorts: sort_links(&request),
            page: request.page,
            previous_url: (request.page > 1).then(|| page_url(&request, request.page - 1)),
            next_url: data.more.then(|| page_url(&request, request.page + 1)),
            csv_url: format!("/initiatives.csv?{}&sort={}", filter.query_string(), request.sort),
            group_note: group_note(filter),
            group_params: [
                filter.objective_id.map(|id| ("objective_id", id.to_string())),
                filter
                    .lifecycle
                    .map(|stage| ("lifecycle", stage.as_str().to_owned())),
                filter.level.map(|level| ("level", level.as_str().to_owned())),
                filter.unstaged.then(|| ("lifecycle", "none".to_owned())),
                filter.no_objective.then(|| ("objective_id", "none".to_owned())),
                filter
                    .objective_period
                    .map(|period| ("objective_period", period.to_string())),
            ]
            .into_iter()
            .flatten()
            .collect(),
            import_url: (caller.role != Role::Viewer).then(|| match filter.portfolio_id {
                Some(id) => format!("/imports/new?source=cairn&portfolio_id={id}"),
                None => "/imports/new?source=cairn".to_owned(),
            }),
            first_row: offset + 1,
        }
    }
}

/// The list in each order it can be sorted by, as links.
fn sort_links(request: &ListRequest) -> Vec<SortLink> {
    [
        ("Target date", InitiativeSort::Target),
        ("RICE score", InitiativeSort::Rice),
        ("Last updated", InitiativeSort::Updated),
        ("Customer demand", InitiativeSort::Demand),
    ]
    .into_iter()
    .map(|(label, sort)| SortLink {
        label,
        url: page_url(&ListRequest { sort, ..*request }, 1),
        current: sort == request.sort,
    })
    .collect()
}

/// The portfolio menu indents each portfolio under its parent.
fn portfolio_choices(tree: &[TreeNode], current: Option<Uuid>) -> Vec<Choice> {
    let current = current.map(|id| id.to_string()).unwrap_or_default();
    Choice::menu(
        &current,
        tree.iter().map(|node| {
            let indent = "\u{2003}".repeat(node.depth as usize);
            (
                node.portfolio.id.to_string(),
                format!("{indent}{}", node.portfolio.name),
            )
        }),
    )
}

pub(super) fn enum_choices<T: Copy + std::fmt::Display + EnumLabel>(
    all: &[T],
    current: Option<T>,
) -> Vec<Choice> {
    let current = current.map(|c| c.to_string()).unwrap_or_default();
    Choice::menu(&current, all.iter().map(|v| (v.to_string(), v.label())))
}

/// The label `text_enum!` gives every closed set of words.
pub(super) trait EnumLabel {
    fn label(&self) -> String;
}

macro_rules! enum_label {
    ($($t:ty),*) => {
        $(impl EnumLabel for $t {
            fn label(&self) -> String {
                <$t>::label(*self)
            }
        })*
    };
}
enum_label!(Status, Health, WorkScope);

pub(super) fn theme_choices(themes: &[Theme], filter: &InitiativeFilter) -> Vec<Choice> {
    let current = match (filter.theme_id, filter.unthemed) {
        (Some(id), _) => id.to_string(),
        (None, true) => NO_THEME.to_owned(),
        (None, false) => String::new(),
    };
    Choice::menu(
        &current,
        themes
            .iter()
            .map(|t| (t.id.to_string(), t.name.clone()))
            .chain([(NO_THEME.to_owned(), "Unassigned".to_owned())]),
    )
}

/// Above this many members the owner filter is a field for a name or email rather than a menu: a
/// menu of a thousand names was most of the list's and the priorities page's bytes (77 KB of 172
/// at 100k) and nobody scrolls it.
pub const OWNER_MENU_MAX: usize = 300;

/// The filter form's owner: a menu of every member, or in a large organization a field for a
/// member's name or email (`owner=`, found by `db::members::named`).
pub struct OwnerFilter {
    /// The menu's choices; empty when the filter is a field.
    pub menu: Vec<Choice>,
    /// The field's text (the filtered owner's name), when the filter is a field.
    pub search: Option<String>,
}

impl OwnerFilter {
    /// A name typed into the field was resolved to `current` before the page is read
    /// (`OwnerSearch::resolve`), so the field shows the owner's name whichever way they were named.
    pub(super) fn new(names: &HashMap<Uuid, String>, current: Option<Uuid>) -> OwnerFilter {
        if names.len() > OWNER_MENU_MAX {
            let shown = current.and_then(|id| names.get(&id).cloned());
            return OwnerFilter {
                menu: Vec::new(),
                search: Some(shown.unwrap_or_default()),
            };
        }
        let mut owners: Vec<(&Uuid, &String)> = names.iter().collect();
        owners.sort_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(b.0)));
        let current = current.map(|id| id.to_string()).unwrap_or_default();
        let menu = Choice::menu(
            &current,
            owners
                .into_iter()
                .map(|(id, name)| (id.to_string(), name.clone())),
        );
        OwnerFilter { menu, search: None }
    }
}

/// The owner filter's field, `owner=`: a member's name or email.
#[derive(serde::Deserialize)]
pub struct OwnerSearch {
    owner: Option<String>,
}

impl OwnerSearch {
    /// The member the field names, as `owner_id` of `query`; an unknown or ambiguous name answers
    /// 422 on `owner`. Nothing typed: `owner_id` as it was.
    pub(super) async fn resolve(
        &self,
        pool: &db::TenantPool,
        owner_id: &mut Option<String>,
    ) -> Result<(), AppError> {
        let Some(text) = self.owner.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(());
        };
        let found = db::members::named(pool, text).await?;
        *owner_id = Some(found.to_string());
        Ok(())
    }
}

const LIST_HEADER: &[&str] = &[
    "key",
    "title",
    "portfolio",
    "owner",
    "theme",
    "status",
    "health",
    "progress_percent",
    "effort_person_weeks",
    "budget",
    "currency",
    "start_date",
    "target_date",
    "rice_score",
    "wsjf_score",
    "moar_score",
    "scorecard_score",
    "updated_at",
    "demand_requests",
    "demand_customers",
    "demand_customer_value",
    "demand_importance",
];

/// `/initiatives.csv`: every initiative the list's filters select, in its order, streamed from
/// the database as it reads them.
#[tracing::instrument(skip_all)]
pub async fn export(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<InitiativeQuery>,
) -> PageResult<Response> {
    let ListRequest { filter, sort, .. } = query.parse_list()?;
    let currency = db::orgs::get(&state.tenant(&caller)).await?.currency;
    let (mut sink, body) = csv_export::channel(LIST_HEADER);
    let pool = state.tenant(&caller);
    tokio::spawn(async move {
        let mut tx = match pool.begin().await {
            Ok(tx) => tx,
            Err(error) => return sink.fail(error).await,
        };
        let mut rows = std::pin::pin!(db::initiative_lists::search_all(
            &mut tx,
            caller.org_id,
            &filter,
            sort
        ));
        while let Some(row) = rows.next().await {
            let written = match row {
                Ok(row) => sink.write(csv_record(&row, &currency)).await,
                Err(error) => return sink.fail(error).await,
            };
            if written.is_err() {
                return; // The client went away.
            }
        }
        sink.finish().await;
    });
    Ok(csv_export::download("initiatives.csv", body))
}

/// One initiative as a CSV record, in `LIST_HEADER`'s order.
fn csv_record(row: &ListedInitiative, currency: &str) -> Vec<String> {
    let text = |value: &str| csv_export::text_cell(value).into_owned();
    [
        row.key.clone(),
        text(&row.title),
        text(&row.portfolio_name),
        text(row.owner_name.as_deref().unwrap_or("")),
        text(row.theme_name.as_deref().unwrap_or("")),
        row.status.to_string(),
        row.health.to_string(),
        row.progress.to_string(),
        row.effort.to_string(),
        row.budget.map(|b| major_units(b, currency)).unwrap_or_default(),
        currency.to_owned(),
        row.start_date.map(|d| d.to_string()).unwrap_or_default(),
        row.target_date.map(|d| d.to_string()).unwrap_or_default(),
    ]
    .into_iter()
    .chain(
        row.scores("")
            .named()
            .map(|(_, score)| score.value.map(|s| s.to_string()).unwrap_or_default()),
    )
    .chain([row.updated_at.to_rfc3339()])
    .chain([
        row.demand_requests.to_string(),
        row.demand_customers.to_string(),
        major_units(row.demand_customer_value, currency),
        row.demand_importance.to_string(),
    ])
    .collect()
}

/// Person-weeks as the pages show them: one decimal, half away from zero (4.6875 → 4.7).
pub fn pw_label(value: rust_decimal::Decimal) -> String {
    format!("{:.1}", crate::domain::capacity::one_decimal(value))
}

/// The roll-up group a filter narrows the list to, in words: "moving one objective", "in products
/// at the growth stage", "attached to area portfolios".
fn group_note(filter: &InitiativeFilter) -> Option<String> {
    let parts: Vec<String> = [
        filter.objective_id.map(|_| "moving one objective".to_owned()),
        filter
            .lifecycle
            .map(|stage| format!("in products at the {} stage", stage.label().to_lowercase())),
        filter
            .level
            .map(|level| format!("attached to {} portfolios", level.label().to_lowercase())),
        filter.unstaged.then(|| "in no product stage".to_owned()),
        filter.unowned.then(|| "without an owner".to_owned()),
        match (filter.no_objective, filter.objective_period) {
            (true, Some(period)) => Some(format!("moving no objective of {period}")),
            (true, None) => Some("moving no objective".to_owned()),
            (false, Some(period)) => Some(format!("moving an objective of {period}")),
            (false, None) => None,
        },
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| format!("Only the work {}.", parts.join(", ")))
}

/// The list of initiatives a filter selects, as a link.
pub fn list_url(filter: &InitiativeFilter) -> String {
    format!("/initiatives?{}", filter.query_string())
}
