//! Two plans side by side as the scenario pages show them (SPEC §9): every figure of both, the
//! difference b − a beside it, and what differs marked, for the compare page and a scenario's
//! own page (the scenario beside the live plan). The figures are `db::scenario_figures`'; this
//! module only writes them as people read them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::initiative_list::pw_label;
use super::rollup::count_label;
use crate::db;
use crate::db::TenantPool;
use crate::db::portfolios::TreeNode;
use crate::db::scenario_figures::{Comparison, Side};
use crate::db::scenarios::{ChangeRow, Hypothetical};
use crate::db::status_updates::Author;
use crate::db::themes::Theme;
use crate::domain::currency::{format_money, format_quantity};
use crate::domain::rollup::Figures;
use crate::domain::scenario::FiguresDiff;
use crate::domain::{Health, Status};
use crate::error::AppError;

/// A figure in both plans: the two texts and the difference, "" when they are the same.
pub struct Cell {
    pub a: String,
    pub b: String,
    pub difference: String,
}

impl Cell {
    fn new(a: String, b: String, difference: String) -> Cell {
        let difference = if a == b { String::new() } else { difference };
        Cell { a, b, difference }
    }

    pub fn changed(&self) -> bool {
        self.a != self.b
    }
}

/// A line of the totals table.
pub struct TotalLine {
    pub label: &'static str,
    pub cell: Cell,
}

/// A child portfolio's figures in both plans.
pub struct ChildLine {
    pub name: String,
    /// The same two plans compared for the child.
    pub url: String,
    pub changed: bool,
    pub total: Cell,
    pub late: Cell,
    pub effort: Cell,
    pub progress: Cell,
    pub health: Cell,
}

/// A theme's share of effort in both plans, against its target.
pub struct ThemeLine {
    pub name: String,
    pub target: String,
    pub share: Cell,
}

/// A quarter's capacity against demand in both plans, over the portfolio's subtree.
pub struct QuarterLine {
    pub period: String,
    pub capacity: Cell,
    pub demand: Cell,
    pub free: Cell,
    /// Which sides have more demand than capacity.
    pub over_a: bool,
    pub over_b: bool,
}

/// One change a scenario holds, as its list shows it.
pub struct ChangeLine {
    pub initiative_id: Uuid,
    pub key: String,
    pub title: String,
    /// "Status: In progress → Cancelled" for each field it sets.
    pub fields: Vec<String>,
    pub made_by: String,
    pub made_at: String,
    /// The initiative changed in the live plan since: applying holds this change back.
    pub stale: bool,
    pub kept_version: i64,
    pub current_version: i64,
}

/// Work that exists only in a scenario, as its list shows it.
pub struct HypotheticalLine {
    pub id: Uuid,
    pub title: String,
    pub summary: String,
    pub made_by: String,
}

/// The names a change's portfolio and theme ids read as.
#[derive(Default)]
pub struct Names {
    pub portfolios: HashMap<Uuid, String>,
    pub themes: HashMap<Uuid, String>,
}

impl Names {
    pub fn of_tree(tree: &[TreeNode]) -> Names {
        Names {
            portfolios: tree
                .iter()
                .map(|node| (node.portfolio.id, node.portfolio.name.clone()))
                .collect(),
            themes: HashMap::new(),
        }
    }

    pub fn of(tree: &[TreeNode], themes: &[Theme]) -> Names {
        Names {
            themes: themes.iter().map(|t| (t.id, t.name.clone())).collect(),
            ..Names::of_tree(tree)
        }
    }

    /// The names `comparison`'s changes need, without reading the whole tree: the portfolios its
    /// changes and hypothetical work name, and every theme.
    pub async fn of_comparison(pool: &TenantPool, comparison: &Comparison) -> Result<Names, AppError> {
        let mut ids: Vec<Uuid> = Vec::new();
        for side in [&comparison.a, &comparison.b] {
            for change in &side.changes {
                for field in change.fields.iter().filter(|f| f.field == "portfolio_id") {
                    for value in [&field.live, &field.scenario] {
                        ids.extend(value.as_str().and_then(|text| text.parse::<Uuid>().ok()));
                    }
                }
            }
            ids.extend(side.initiatives.iter().map(|h| h.values.portfolio_id));
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(Names {
            portfolios: db::portfolios::names_of(pool, &ids).await?,
            themes: db::themes::all(pool)
                .await?
                .into_iter()
                .map(|t| (t.id, t.name))
                .collect(),
        })
    }

    pub fn portfolio(&self, id: Uuid) -> String {
        self.portfolios.get(&id).cloned().unwrap_or_default()
    }
}

pub struct ComparisonView {
    pub portfolio_id: Uuid,
    pub portfolio_name: String,
    pub a_name: String,
    pub b_name: String,
    pub totals: Vec<TotalLine>,
    pub children: Vec<ChildLine>,
    pub themes: Vec<ThemeLine>,
    pub quarters: Vec<QuarterLine>,
    /// The changes of each side that is a scenario, under its name.
    pub sides: Vec<SideChanges>,
    /// Whether any figure differs.
    pub any_difference: bool,
}

pub struct SideChanges {
    pub name: String,
    pub url: String,
    pub changes: Vec<ChangeLine>,
    pub initiatives: Vec<HypotheticalLine>,
    pub capacity: Vec<CapacityLine>,
}

/// A capacity a scenario sets, beside the live one.
pub struct CapacityLine {
    pub portfolio: String,
    pub period: String,
    pub live: String,
    pub scenario: String,
    pub made_by: String,
}

impl ComparisonView {
    pub fn new(comparison: &Comparison, currency: &str, names: &Names) -> ComparisonView {
        let (a, b) = (&comparison.a, &comparison.b);
        let totals = total_lines(&a.totals, &b.totals, &comparison.differences.totals, currency);
        let children = a
            .children
            .iter()
            .zip(&b.children)
            .zip(&comparison.differences.children)
            .map(|((a, b), difference)| ChildLine {
                name: a.portfolio.name.clone(),
                url: format!(
                    "/scenarios/compare?a={}&b={}&portfolio_id={}",
                    comparison.a.plan, comparison.b.plan, a.portfolio.id
                ),
                changed: difference.difference.any(),
                total: count_cell(a.figures.counts.total, b.figures.counts.total),
                late: count_cell(a.figures.late, b.figures.late),
                effort: effort_cell(a.figures.effort, b.figures.effort, difference.difference.effort),
                progress: percent_cell(
                    a.figures.progress,
                    b.figures.progress,
                    difference.difference.progress,
                ),
                health: health_cell(a.figures.health, b.figures.health),
            })
            .collect();
        let themes = comparison
            .differences
            .themes
            .iter()
            .map(|theme| ThemeLine {
                name: theme.name.clone(),
                target: theme
                    .target_share
                    .map(|t| format!("{t:.1}%"))
                    .unwrap_or_else(|| "–".to_owned()),
                share: percent_cell(theme.a, theme.b, theme.difference),
            })
            .collect();
        let quarters = a
            .capacity
            .figures
            .quarters
            .iter()
            .zip(&b.capacity.figures.quarters)
            .map(|(a, b)| QuarterLine {
                period: a.period.to_string(),
                capacity: pw_cell(a.capacity, b.capacity),
                demand: pw_cell(a.demand, b.demand),
                free: pw_cell(a.free, b.free),
                over_a: a.over().is_some(),
                over_b: b.over().is_some(),
            })
            .collect::<Vec<_>>();
        let any_difference = totals.iter().any(|line| line.cell.changed())
            || quarters
                .iter()
                .any(|q: &QuarterLine| q.capacity.changed() || q.demand.changed());
        ComparisonView {
            portfolio_id: comparison.portfolio.id,
            portfolio_name: comparison.portfolio.name.clone(),
            a_name: a.name.clone(),
            b_name: b.name.clone(),
            totals,
            children,
            themes,
            quarters,
            sides: [a, b]
                .into_iter()
                .filter(|side| side.scenario.is_some())
                .map(|side| SideChanges::new(side, names))
                .collect(),
            any_difference,
        }
    }
}

impl SideChanges {
    fn new(side: &Side, names: &Names) -> SideChanges {
        SideChanges {
            name: side.name.clone(),
            url: format!("/scenarios/{}", side.plan),
            changes: side.changes.iter().map(|c| ChangeLine::new(c, names)).collect(),
            initiatives: side
                .initiatives
                .iter()
                .map(|h| HypotheticalLine::new(h, names))
                .collect(),
            capacity: side
                .capacity_changes
                .iter()
                .map(|c| CapacityLine {
                    portfolio: c.portfolio_name.clone(),
                    period: c.period.to_string(),
                    live: pw_label(c.live_person_weeks),
                    scenario: pw_label(c.person_weeks),
                    made_by: author_name(&c.made_by),
                })
                .collect(),
        }
    }
}

/// Who made a change, as the lists show it.
fn author_name(author: &Option<Author>) -> String {
    author
        .as_ref()
        .map(|a| a.name.clone())
        .unwrap_or_else(|| "someone since removed".to_owned())
}

impl ChangeLine {
    fn new(row: &ChangeRow, names: &Names) -> ChangeLine {
        let fields = row
            .fields
            .iter()
            .map(|field| {
                format!(
                    "{}: {} → {}",
                    field_label(&field.field),
                    value_label(&field.field, &field.live, names),
                    value_label(&field.field, &field.scenario, names)
                )
            })
            .collect();
        ChangeLine {
            initiative_id: row.initiative_id,
            key: row.key.clone(),
            title: row.title.clone(),
            fields,
            made_by: author_name(&row.made_by),
            made_at: when(row.made_at),
            stale: row.stale(),
            kept_version: row.kept_version,
            current_version: row.current_version,
        }
    }
}

impl HypotheticalLine {
    fn new(hypothetical: &Hypothetical, names: &Names) -> HypotheticalLine {
        let v = &hypothetical.values;
        let dates = match (v.start_date, v.target_date) {
            (Some(start), Some(target)) => format!(", {start} – {target}"),
            (None, Some(target)) => format!(", due {target}"),
            (Some(start), None) => format!(", from {start}"),
            (None, None) => String::new(),
        };
        HypotheticalLine {
            id: hypothetical.id,
            title: v.title.clone(),
            summary: format!(
                "{} in {}, {} pw{dates}",
                v.status.label(),
                names.portfolio(v.portfolio_id),
                format_quantity(v.effort)
            ),
            made_by: author_name(&hypothetical.made_by),
        }
    }
}

/// The moment a change was made, as the lists show it.
pub fn when(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y %H:%M UTC").to_string()
}

/// The label of a field a change may set.
pub fn field_label(field: &str) -> &'static str {
    match field {
        "status" => "Status",
        "start_date" => "Start",
        "target_date" => "Target",
        "effort" => "Effort",
        "progress" => "Progress",
        "portfolio_id" => "Portfolio",
        "theme_id" => "Theme",
        _ => "Field",
    }
}

/// A changed field's value as people read it: names for ids, labels for statuses.
fn value_label(field: &str, value: &serde_json::Value, names: &Names) -> String {
    let text = match value {
        serde_json::Value::Null => return "(none)".to_owned(),
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let name_of = |map: &HashMap<Uuid, String>| {
        text.parse::<Uuid>()
            .ok()
            .and_then(|id| map.get(&id).cloned())
            .unwrap_or_else(|| text.clone())
    };
    match field {
        "status" => text.parse::<Status>().map(Status::label).unwrap_or(text),
        "portfolio_id" => name_of(&names.portfolios),
        "theme_id" => name_of(&names.themes),
        "effort" => format!("{text} pw"),
        "progress" => format!("{text}%"),
        _ => text,
    }
}

fn total_lines(a: &Figures, b: &Figures, d: &FiguresDiff, currency: &str) -> Vec<TotalLine> {
    let line = |label, cell| TotalLine { label, cell };
    vec![
        line("Initiatives", count_cell(a.counts.total, b.counts.total)),
        line("Late", count_cell(a.late, b.late)),
        line("Effort (pw)", effort_cell(a.effort, b.effort, d.effort)),
        line(
            "Budget",
            Cell::new(
                format_money(a.budget, currency),
                format_money(b.budget, currency),
                signed_text(d.budget.signum(), format_money(d.budget.abs(), currency)),
            ),
        ),
        line("Progress", percent_cell(a.progress, b.progress, d.progress)),
        line("Health", health_cell(a.health, b.health)),
        line(
            "Off-track share of active effort",
            percent_cell(
                a.health_share.off_track,
                b.health_share.off_track,
                d.off_track_share,
            ),
        ),
        line(
            "At-risk share of active effort",
            percent_cell(a.health_share.at_risk, b.health_share.at_risk, d.at_risk_share),
        ),
        line(
            "OKR progress",
            percent_cell(a.okr_progress, b.okr_progress, d.okr_progress),
        ),
    ]
}

fn count_cell(a: i64, b: i64) -> Cell {
    let d = b - a;
    Cell::new(
        count_label(a),
        count_label(b),
        signed_text(d.signum(), count_label(d)),
    )
}

fn effort_cell(a: f64, b: f64, d: f64) -> Cell {
    Cell::new(format_quantity(a), format_quantity(b), signed_float(d, ""))
}

fn pw_cell(a: Decimal, b: Decimal) -> Cell {
    let d = b - a;
    let sign = if d > Decimal::ZERO {
        1
    } else if d < Decimal::ZERO {
        -1
    } else {
        0
    };
    Cell::new(pw_label(a), pw_label(b), signed_text(sign, pw_label(d.abs())))
}

fn percent_cell(a: Option<f64>, b: Option<f64>, d: Option<f64>) -> Cell {
    let shown = |p: Option<f64>| p.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "–".to_owned());
    Cell::new(
        shown(a),
        shown(b),
        d.map(|d| signed_float(d, " pts")).unwrap_or_default(),
    )
}

fn health_cell(a: Option<Health>, b: Option<Health>) -> Cell {
    let shown = |h: Option<Health>| h.map(Health::label).unwrap_or_else(|| "–".to_owned());
    Cell::new(shown(a), shown(b), "changed".to_owned())
}

fn signed_float(d: f64, unit: &str) -> String {
    let sign = if d > 0.0 {
        1
    } else if d < 0.0 {
        -1
    } else {
        0
    };
    signed_text(sign, format!("{}{unit}", format_quantity(d.abs())))
}

/// A difference with its sign in front: "+2", "−1.5" (a true minus sign), "0".
fn signed_text(sign: i64, magnitude: String) -> String {
    match sign {
        1 => format!("+{magnitude}"),
        -1 => format!("\u{2212}{magnitude}"),
        _ => magnitude,
    }
}
