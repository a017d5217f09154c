//! `/baselines/{id}`: what changed since a baseline, as a quarterly review reads it — a summary
//! line, the figures then and now for the portfolio and each child, then every change grouped by
//! kind with the notes written in between as its reasons; filterable by child portfolio, and as
//! CSV. Taking a baseline (`POST /portfolios/{id}/baselines`) and deleting one are here too.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::Layout;
use super::form::refusal;
use super::rollup::count_label;
use crate::db;
use crate::db::baselines::{Against, BaselineInput, BaselineSummary, Change, ChildDiff, Diff};
use crate::db::portfolios::Portfolio;
use crate::db::users::Caller;
use crate::domain::ChangeKind;
use crate::domain::baseline::Snapshot;
use crate::domain::currency::{format_money, format_quantity};
use crate::domain::permissions::may_edit_portfolio;
use crate::domain::rollup::Figures;
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::csv_export;
use crate::http::extract::{PageCaller, StampedPageCaller};

/// At most this many changes of one kind are listed on the page; the CSV holds them all.
const SHOWN_PER_KIND: usize = 200;

#[derive(Template, WebTemplate)]
#[template(path = "baselines/show.html")]
pub struct BaselinePage {
    layout: Layout,
    baseline: BaselineSummary,
    portfolio: Portfolio,
    /// "now", or the later baseline's name.
    against_label: String,
    /// The query string that keeps the comparison (`against=…`), for links.
    against_query: String,
    /// The portfolio's other baselines, to compare with instead of now.
    others: Vec<AgainstChoice>,
    summary: String,
    figures: Vec<FigureRow>,
    children: Vec<ChildRow>,
    /// The child the changes are filtered to, if any.
    child: Option<(Uuid, String)>,
    groups: Vec<ChangeGroup>,
    csv_url: String,
    can_edit: bool,
}

pub struct AgainstChoice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One figure then and now.
pub struct FigureRow {
    pub name: &'static str,
    pub before: String,
    pub after: String,
    /// "+3", "−2.5 pts"; empty when equal.
    pub change: String,
}

/// A child portfolio's main figures then and now, and the link that filters the changes to it.
pub struct ChildRow {
    pub name: String,
    pub filter_url: String,
    pub total: (String, String),
    pub progress: (String, String),
    pub late: (String, String),
    pub effort: (String, String),
    pub conflicts: (String, String),
}

/// The changes of one kind.
pub struct ChangeGroup {
    pub kind: ChangeKind,
    pub heading: &'static str,
    pub count: usize,
    pub rows: Vec<ChangeRow>,
    /// How many are not listed (the CSV has them).
    pub more: usize,
}

/// One change as its group shows it: what moved, from what to what, and why.
pub struct ChangeRow {
    pub id: Uuid,
    pub key: String,
    pub title: String,
    /// Whether it still exists, so its page and history can be followed.
    pub exists: bool,
    pub portfolio: String,
    /// What this kind of change changed, then → now ("Mar 1 → Mar 24 (+23 days)").
    pub what: String,
    /// The other kinds it also has.
    pub also: String,
    pub notes: Vec<NoteRow>,
}

pub struct NoteRow {
    pub when: String,
    pub author: String,
    pub note: String,
}

#[derive(serde::Deserialize)]
pub struct BaselineQuery {
    against: Option<String>,
    portfolio_id: Option<String>,
}

impl BaselineQuery {
    fn against(&self) -> Result<Against, AppError> {
        self.against
            .as_deref()
            .unwrap_or("now")
            .parse()
            .map_err(|message: &str| AppError::BadRequest(format!("against {message}")))
    }

    /// A child filter that does not parse shows every change, as a mangled link should.
    fn child(&self) -> Option<Uuid> {
        self.portfolio_id.as_deref().and_then(|id| id.parse().ok())
    }
}

#[tracing::instrument(skip_all, fields(baseline_id = %id))]
pub async fn show(
    State(state): State<AppState>,
    StampedPageCaller(caller, stamp): StampedPageCaller,
    uri: Uri,
    Path(id): Path<Uuid>,
    Query(query): Query<BaselineQuery>,
) -> PageResult<Html<Bytes>> {
    let against = query.against()?;
    super::kept(&state, &caller, stamp, &uri, None, || {
        review(&state, &caller, id, query, against)
    })
    .await
}

/// The review of baseline `id` against now or another baseline.
async fn review(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    query: BaselineQuery,
    against: Against,
) -> PageResult<BaselinePage> {
    let pool = state.tenant(caller);
    let diff = db::baselines::diff(&pool, &state.caches.baseline_diffs, id, against).await?;
    let portfolio_id = diff.baseline.portfolio_id;
    let (ancestors, others, in_child) = tokio::try_join!(
        db::portfolios::ancestors(&pool, pool.org_id(), portfolio_id),
        db::baselines::of_portfolio(&pool, pool.org_id(), portfolio_id, 100),
        subtree_of(&pool, query.child()),
    )?;
    let portfolio_ids = portfolios_of(&diff);
    let (names, existing) = tokio::try_join!(
        db::portfolios::names_of(&pool, &portfolio_ids),
        existing_of(&pool, &diff),
    )?;
    let currency = db::orgs::get(&pool).await?.currency;
    let portfolio = ancestors.last().cloned().ok_or(AppError::NotFound)?;
    let child = query.child().and_then(|child| {
        diff.children
            .iter()
            .find(|c| c.portfolio_id == child)
            .map(|c| (child, c.name.clone()))
    });
    let against_query = match against {
        Against::Now => String::new(),
        Against::Baseline(other) => format!("against={other}"),
    };
    let can_edit = may_edit_portfolio(caller, ancestors.iter().map(|p| p.owner_id));
    Ok(BaselinePage {
        layout: Layout::new(format!("What changed since {}", diff.baseline.name), Some(caller))
            .in_section("portfolios"),
        against_label: diff
            .against
            .as_ref()
            .map(|b| format!("“{}” ({})", b.name, b.taken_label()))
            .unwrap_or_else(|| "now".to_owned()),
        others: others
            .iter()
            .filter(|b| b.id != id)
            .map(|b| AgainstChoice {
                value: b.id.to_string(),
                label: format!("{} ({})", b.name, b.taken_label()),
                selected: against == Against::Baseline(b.id),
            })
            .collect(),
        summary: diff.summary.clone(),
        figures: figure_rows(&diff.figures.before, &diff.figures.after, &currency),
        children: diff
            .children
            .iter()
            .map(|c| child_row(c, id, &against_query))
            .collect(),
        groups: groups(&diff, &names, &existing, child.as_ref().map(|_| &in_child)),
        csv_url: format!(
            "/baselines/{id}/changes.csv{}",
            if against_query.is_empty() {
                String::new()
            } else {
                format!("?{against_query}")
            }
        ),
        child,
        against_query,
        baseline: diff.baseline.clone(),
        portfolio,
        can_edit,
    })
}

/// Every portfolio a change was or is in, once each: the names the page and the CSV show.
fn portfolios_of(diff: &Diff) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = diff
        .changes
        .iter()
        .flat_map(|c| [c.before.as_ref(), c.after.as_ref()])
        .flatten()
        .map(|s| s.portfolio_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The portfolios of `child`'s subtree now (empty without a child).
async fn subtree_of(pool: &db::TenantPool, child: Option<Uuid>) -> Result<Vec<Uuid>, AppError> {
    match child {
        None => Ok(Vec::new()),
        Some(child) => db::portfolios::subtree_ids(pool, child).await,
    }
}

/// Which of the changed initiatives exist now (a removed one may have been deleted).
async fn existing_of(pool: &db::TenantPool, diff: &Diff) -> Result<Vec<Uuid>, AppError> {
    let ids: Vec<Uuid> = diff.changes.iter().map(|c| c.initiative.id).collect();
    db::initiatives::existing(pool, &ids).await
}

fn figure_rows(before: &Figures, after: &Figures, currency: &str) -> Vec<FigureRow> {
    let count = |name, then: i64, now: i64| FigureRow {
        name,
        before: count_label(then),
        after: count_label(now),
        change: signed(now - then),
    };
    let percent = |name, then: Option<f64>, now: Option<f64>| FigureRow {
        name,
        before: percent_label(then),
        after: percent_label(now),
        change: match (then, now) {
            (Some(then), Some(now)) if (now - then).abs() >= 0.05 => format!("{:+.1} pts", now - then),
            _ => String::new(),
        },
    };
    vec![
        count("Initiatives", before.counts.total, after.counts.total),
        percent("Progress", before.progress, after.progress),
        FigureRow {
            name: "Health",
            before: health_label(before),
            after: health_label(after),
            change: String::new(),
        },
        count("Late", before.late, after.late),
        count(
            "Dependency conflicts",
            before.dependency_conflicts,
            after.dependency_conflicts,
        ),
        count("Optimistic", before.optimistic, after.optimistic),
        FigureRow {
            name: "Effort (person-weeks)",
            before: format_quantity(before.effort),
            after: format_quantity(after.effort),
            change: if before.effort == after.effort {
                String::new()
            } else {
                format!("{:+}", after.effort - before.effort)
            },
        },
        FigureRow {
            name: "Budget",
            before: format_money(before.budget, currency),
            after: format_money(after.budget, currency),
            change: String::new(),
        },
    ]
}

fn child_row(child: &ChildDiff, baseline: Uuid, against_query: &str) -> ChildRow {
    let side = |figures: Option<&Figures>, pick: &dyn Fn(&Figures) -> String| {
        figures.map(pick).unwrap_or_else(|| "—".to_owned())
    };
    let pair = |pick: &dyn Fn(&Figures) -> String| {
        (
            side(child.before.as_ref(), pick),
            side(child.after.as_ref(), pick),
        )
    };
    let keep = if against_query.is_empty() {
        String::new()
    } else {
        format!("&{against_query}")
    };
    ChildRow {
        name: child.name.clone(),
        filter_url: format!(
            "/baselines/{baseline}?portfolio_id={}{keep}#changes",
            child.portfolio_id
        ),
        total: pair(&|f| count_label(f.counts.total)),
        progress: pair(&|f| percent_label(f.progress)),
        late: pair(&|f| count_label(f.late)),
        effort: pair(&|f| format_quantity(f.effort)),
        conflicts: pair(&|f| count_label(f.dependency_conflicts)),
    }
}

/// The changes by kind, in the order a review reads them; with `in_child`, only the changes whose
/// initiative was or is in that child's subtree.
fn groups(
    diff: &Diff,
    names: &HashMap<Uuid, String>,
    existing: &[Uuid],
    in_child: Option<&Vec<Uuid>>,
) -> Vec<ChangeGroup> {
    let shown = |change: &&Change| {
        in_child.is_none_or(|subtree| {
            [change.before.as_ref(), change.after.as_ref()]
                .into_iter()
                .flatten()
                .any(|s| subtree.contains(&s.portfolio_id))
        })
    };
    ChangeKind::ALL
        .iter()
        .filter_map(|&kind| {
            let all: Vec<&Change> = diff
                .changes
                .iter()
                .filter(|c| c.kinds.contains(&kind))
                .filter(shown)
                .collect();
            (!all.is_empty()).then(|| ChangeGroup {
                kind,
                heading: kind.heading(),
                count: all.len(),
                more: all.len().saturating_sub(SHOWN_PER_KIND),
                rows: all
                    .into_iter()
                    .take(SHOWN_PER_KIND)
                    .map(|change| change_row(change, kind, names, existing))
                    .collect(),
            })
        })
        .collect()
}

fn change_row(
    change: &Change,
    kind: ChangeKind,
    names: &HashMap<Uuid, String>,
    existing: &[Uuid],
) -> ChangeRow {
    let name_of = |s: &Snapshot| {
        names
            .get(&s.portfolio_id)
            .cloned()
            .unwrap_or_else(|| "a portfolio since deleted".to_owned())
    };
    let (before, after) = (change.before.as_ref(), change.after.as_ref());
    let what = match (kind, before, after) {
        (ChangeKind::Slipped | ChangeKind::PulledIn, Some(b), Some(a)) => format!(
            "{} → {} ({}{} days)",
            date_label(b.target_date),
            date_label(a.target_date),
            if kind == ChangeKind::Slipped { "+" } else { "−" },
            change.days.unwrap_or_default()
        ),
        (ChangeKind::Rescoped, Some(b), Some(a)) => format!(
            "{} → {} person-weeks",
            format_quantity(b.effort),
            format_quantity(a.effort)
        ),
        (ChangeKind::Status, Some(b), Some(a)) => format!("{} → {}", b.status.label(), a.status.label()),
        (ChangeKind::Health, Some(b), Some(a)) => format!("{} → {}", b.health.label(), a.health.label()),
        (ChangeKind::Moved, Some(b), Some(a)) => format!("{} → {}", name_of(b), name_of(a)),
        (ChangeKind::Added, _, Some(a)) => format!(
            "{}, {} person-weeks, due {}",
            a.status.label(),
            format_quantity(a.effort),
            date_label(a.target_date)
        ),
        (ChangeKind::Removed, Some(_), Some(a)) => {
            format!("Cancelled (was due {})", date_label(a.target_date))
        }
        (ChangeKind::Removed, Some(b), None) if existing.contains(&change.initiative.id) => {
            format!("Moved out of the subtree (was in {})", name_of(b))
        }
        (ChangeKind::Removed, Some(b), None) => format!("Deleted (was in {})", name_of(b)),
        _ => String::new(),
    };
    let also = change
        .kinds
        .iter()
        .filter(|&&k| k != kind)
        .map(|&k| k.heading().to_lowercase())
        .collect::<Vec<_>>()
        .join(", ");
    ChangeRow {
        id: change.initiative.id,
        key: change.initiative.key.clone(),
        title: change.initiative.title.clone(),
        exists: existing.contains(&change.initiative.id),
        portfolio: after.or(before).map(name_of).unwrap_or_default(),
        what,
        also,
        notes: change
            .notes
            .iter()
            .map(|n| NoteRow {
                when: n.created_at.format("%b %-d").to_string(),
                author: n
                    .author
                    .clone()
                    .unwrap_or_else(|| "Someone since removed".to_owned()),
                note: n.note.clone(),
            })
            .collect(),
    }
}

fn date_label(date: Option<chrono::NaiveDate>) -> String {
    date.map(|d| d.format("%b %-d, %Y").to_string())
        .unwrap_or_else(|| "no date".to_owned())
}

fn percent_label(value: Option<f64>) -> String {
    value
        .map(|p| format!("{p:.1}%"))
        .unwrap_or_else(|| "–".to_owned())
}

fn health_label(figures: &Figures) -> String {
    figures
        .health
        .map(|h| h.label())
        .unwrap_or_else(|| "No active work".to_owned())
}

/// "+3", "−2" (a true minus sign), empty for 0.
fn signed(delta: i64) -> String {
    match delta {
        0 => String::new(),
        d if d > 0 => format!("+{d}"),
        d => format!("−{}", d.unsigned_abs()),
    }
}

const CSV_HEADER: &[&str] = &[
    "key",
    "title",
    "kinds",
    "days",
    "status_before",
    "status_after",
    "health_before",
    "health_after",
    "effort_before",
    "effort_after",
    "target_before",
    "target_after",
    "portfolio_before",
    "portfolio_after",
    "notes",
];

/// `/baselines/{id}/changes.csv?against=`: every change, one row each, with its notes.
#[tracing::instrument(skip_all, fields(baseline_id = %id))]
pub async fn export(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Query(query): Query<BaselineQuery>,
) -> PageResult<Response> {
    let against = query.against()?;
    let pool = state.tenant(&caller);
    let diff = db::baselines::diff(&pool, &state.caches.baseline_diffs, id, against).await?;
    let names = db::portfolios::names_of(&pool, &portfolios_of(&diff)).await?;
    let side = |s: Option<&Snapshot>, pick: &dyn Fn(&Snapshot) -> String| s.map(pick).unwrap_or_default();
    let records = diff.changes.iter().map(|c| {
        let (b, a) = (c.before.as_ref(), c.after.as_ref());
        let portfolio = |s: &Snapshot| names.get(&s.portfolio_id).cloned().unwrap_or_default();
        let notes = c
            .notes
            .iter()
            .map(|n| {
                format!(
                    "{} {}: {}",
                    n.created_at.format("%Y-%m-%d"),
                    n.author.as_deref().unwrap_or(""),
                    n.note
                )
            })
            .collect::<Vec<_>>()
            .join(" | ");
        vec![
            csv_export::text_cell(&c.initiative.key).into_owned(),
            csv_export::text_cell(&c.initiative.title).into_owned(),
            c.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(" "),
            c.days.map(|d| d.to_string()).unwrap_or_default(),
            side(b, &|s| s.status.as_str().to_owned()),
            side(a, &|s| s.status.as_str().to_owned()),
            side(b, &|s| s.health.as_str().to_owned()),
            side(a, &|s| s.health.as_str().to_owned()),
            side(b, &|s| s.effort.to_string()),
            side(a, &|s| s.effort.to_string()),
            side(b, &|s| s.target_date.map(|d| d.to_string()).unwrap_or_default()),
            side(a, &|s| s.target_date.map(|d| d.to_string()).unwrap_or_default()),
            csv_export::text_cell(&side(b, &portfolio)).into_owned(),
            csv_export::text_cell(&side(a, &portfolio)).into_owned(),
            csv_export::text_cell(&notes).into_owned(),
        ]
    });
    let document = csv_export::document(CSV_HEADER, records).map_err(|e| AppError::Internal(e.into()))?;
    Ok(csv_export::download(
        &format!(
            "baseline-{}-changes.csv",
            diff.baseline.taken_label().replace([' ', ','], "-")
        ),
        Body::from(document),
    ))
}

/// The take-a-baseline form's one field.
#[derive(serde::Deserialize)]
pub struct TakeForm {
    #[serde(default)]
    name: String,
}

/// `POST /portfolios/{id}/baselines`: takes a baseline and opens it; a bad name is said beside the
/// field on the roll-up page.
#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn take(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(form): Form<TakeForm>,
) -> PageResult<Response> {
    let input = BaselineInput {
        name: form.name.clone(),
    };
    match db::baselines::take(&state.tenant(&caller), &caller, id, &input).await {
        Ok(baseline) => Ok(Redirect::to(&format!("/baselines/{}", baseline.summary.id)).into_response()),
        Err(error) => {
            let (status, form_state) = refusal(error)?;
            let page =
                super::rollup::page_with_baseline_form(&state, &caller, id, form_state, form.name).await?;
            Ok((status, page).into_response())
        }
    }
}

/// `POST /baselines/{id}/delete`: deletes it, then back to its portfolio.
#[tracing::instrument(skip_all, fields(baseline_id = %id))]
pub async fn delete(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
) -> PageResult<Redirect> {
    let pool = state.tenant(&caller);
    let portfolio_id = db::baselines::get(&pool, id).await?.summary.portfolio_id;
    db::baselines::delete(&pool, &caller, id, None).await?;
    Ok(Redirect::to(&format!("/portfolios/{portfolio_id}#baselines")))
}
