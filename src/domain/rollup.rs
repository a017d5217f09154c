//! The roll-up math of SPEC §3, from the additive parts the database keeps per subtree.
//!
//! Exact decimals throughout: a share of 12.25 % rounds to 12.3 as a person would, not to 12.2 as
//! binary floating point can. Both the JSON API and the pages render these figures.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::{Health, Status};

/// The additive parts of a subtree's figures (one `portfolio_totals` row).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parts {
    /// Per status, in `Status::ALL` order.
    pub by_status: [i64; 5],
    /// Per health over Active, in `Health::ALL` order.
    pub by_health: [i64; 3],
    pub active_effort: Decimal,
    pub active_effort_at_risk: Decimal,
    pub active_effort_off_track: Decimal,
    /// Over A (everything but cancelled).
    pub effort: Decimal,
    pub effort_progress: Decimal,
    pub budget: Decimal,
    /// Initiatives with at least one conflicting blocker (SPEC §10), over S.
    pub dependency_conflicts: i64,
    /// The subtree's KPIs by status (SPEC §11).
    pub kpis: KpiCounts,
}

/// How many of a subtree's KPIs are on target, off target, or have no value yet (SPEC §11).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KpiCounts {
    pub on_target: i64,
    pub off_target: i64,
    pub no_data: i64,
}

impl KpiCounts {
    pub fn total(&self) -> i64 {
        self.on_target + self.off_target + self.no_data
    }
}

/// Parts add up: a scenario's figures are the live parts plus the effect of its changes (a delta,
/// whose counts may be negative).
impl std::ops::AddAssign<&Parts> for Parts {
    fn add_assign(&mut self, delta: &Parts) {
        for (count, change) in self.by_status.iter_mut().zip(delta.by_status) {
            *count += change;
        }
        for (count, change) in self.by_health.iter_mut().zip(delta.by_health) {
            *count += change;
        }
        self.active_effort += delta.active_effort;
        self.active_effort_at_risk += delta.active_effort_at_risk;
        self.active_effort_off_track += delta.active_effort_off_track;
        self.effort += delta.effort;
        self.effort_progress += delta.effort_progress;
        self.budget += delta.budget;
        self.dependency_conflicts += delta.dependency_conflicts;
        self.kpis.on_target += delta.kpis.on_target;
        self.kpis.off_target += delta.kpis.off_target;
        self.kpis.no_data += delta.kpis.no_data;
    }
}

/// The counts that depend on today and so are read per day, not kept: late work (SPEC §3) and
/// optimistic work (SPEC §10).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DayCounts {
    pub late: i64,
    pub optimistic: i64,
}

impl std::ops::AddAssign for DayCounts {
    fn add_assign(&mut self, delta: DayCounts) {
        self.late += delta.late;
        self.optimistic += delta.optimistic;
    }
}

/// Rolled-health thresholds, as fractions of active effort (per-organization settings).
#[derive(Clone, Copy, Debug)]
pub struct Thresholds {
    pub off_track: Decimal,
    pub at_risk: Decimal,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            off_track: Decimal::new(25, 2),
            at_risk: Decimal::new(25, 2),
        }
    }
}

/// A set of figures, in the JSON shape of SPEC §3. A baseline keeps them as JSON and reads them
/// back; one taken before a figure existed reads it as 0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Figures {
    pub counts: Counts,
    /// Percent, one decimal; null when nothing but cancelled work.
    pub progress: Option<f64>,
    /// Null when nothing is active.
    pub health: Option<Health>,
    pub health_share: HealthShare,
    pub late: i64,
    pub effort: f64,
    pub budget: i64,
    pub okr_progress: Option<f64>,
    /// Initiatives with at least one conflicting blocker (SPEC §10).
    #[serde(default)]
    pub dependency_conflicts: i64,
    /// In-progress work declared on track but behind its time by the organization's threshold or
    /// more (SPEC §10).
    #[serde(default)]
    pub optimistic: i64,
    /// The subtree's KPIs by status (SPEC §11).
    #[serde(default)]
    pub kpis: KpiCounts,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Counts {
    pub total: i64,
    pub by_status: std::collections::BTreeMap<Status, i64>,
    pub by_health: std::collections::BTreeMap<Health, i64>,
}

/// Shares of active effort, percent with one decimal; null when nothing is active.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HealthShare {
    pub off_track: Option<f64>,
    pub at_risk: Option<f64>,
}

impl Figures {
    pub fn new(
        parts: &Parts,
        days: DayCounts,
        thresholds: Thresholds,
        okr_progress: Option<Decimal>,
    ) -> Figures {
        let by_status = Status::ALL.iter().copied().zip(parts.by_status).collect();
        let by_health = Health::ALL.iter().copied().zip(parts.by_health).collect();
        let progress = ratio(parts.effort_progress, parts.effort).map(|p| percent(p / Decimal::ONE_HUNDRED));
        let off = ratio(parts.active_effort_off_track, parts.active_effort);
        let risk = ratio(parts.active_effort_at_risk, parts.active_effort);
        let health = off
            .zip(risk)
            .map(|(off, risk)| rolled_health(off, risk, thresholds));
        Figures {
            counts: Counts {
                total: parts.by_status.iter().sum(),
                by_status,
                by_health,
            },
            progress,
            health,
            health_share: HealthShare {
                off_track: off.map(percent),
                at_risk: risk.map(percent),
            },
            late: days.late,
            effort: parts.effort.normalize().to_f64().unwrap_or(0.0),
            budget: parts.budget.to_i64().unwrap_or(i64::MAX),
            okr_progress: okr_progress.map(percent),
            dependency_conflicts: parts.dependency_conflicts,
            optimistic: days.optimistic,
            kpis: parts.kpis,
        }
    }
}

/// `off_track` when the off-track share reaches its threshold, else `at_risk` when off-track and
/// at-risk together reach theirs, else `on_track`.
pub fn rolled_health(off: Decimal, risk: Decimal, thresholds: Thresholds) -> Health {
    if off >= thresholds.off_track {
        Health::OffTrack
    } else if off + risk >= thresholds.at_risk {
        Health::AtRisk
    } else {
        Health::OnTrack
    }
}

/// `numerator / denominator`, or `None` over nothing.
fn ratio(numerator: Decimal, denominator: Decimal) -> Option<Decimal> {
    (denominator > Decimal::ZERO).then(|| numerator / denominator)
}

/// A fraction as a percentage with one decimal, half away from zero: 0.1225 → 12.3.
pub fn percent(fraction: Decimal) -> f64 {
    (fraction * Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
        .to_f64()
        .unwrap_or(0.0)
}

/// One row of the investment mix: a theme's share of effort next to its target.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ThemeShare {
    pub theme_id: Option<uuid::Uuid>,
    pub name: String,
    /// For charts; not part of the API's theme row (SPEC §3).
    #[serde(skip)]
    pub colour: Option<String>,
    pub target_share: Option<f64>,
    /// Percent of the subtree's effort over A; null when that effort is zero.
    pub share: Option<f64>,
}

/// The share of `effort` in a subtree whose effort over A is `total`.
pub fn theme_share(effort: Decimal, total: Decimal) -> Option<f64> {
    ratio(effort, total).map(percent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn percentages_round_half_away_from_zero_exactly() {
        assert_eq!(percent(d("0.1225")), 12.3);
        assert_eq!(percent(d("0.1224999")), 12.2);
        assert_eq!(percent(d("0.0015")), 0.2);
        assert_eq!(percent(d("0.5")), 50.0);
        assert_eq!(percent(Decimal::ONE), 100.0);
    }

    #[test]
    fn rolled_health_uses_both_thresholds_inclusively() {
        let t = Thresholds::default();
        assert_eq!(rolled_health(d("0.25"), d("0"), t), Health::OffTrack);
        assert_eq!(rolled_health(d("0.2499"), d("0.0001"), t), Health::AtRisk);
        assert_eq!(rolled_health(d("0.1"), d("0.14"), t), Health::OnTrack);
        assert_eq!(rolled_health(d("0"), d("0.25"), t), Health::AtRisk);
        let strict = Thresholds {
            off_track: d("0.1"),
            at_risk: d("0.2"),
        };
        assert_eq!(rolled_health(d("0.1"), d("0"), strict), Health::OffTrack);
        assert_eq!(rolled_health(d("0.05"), d("0.15"), strict), Health::AtRisk);
    }

    #[test]
    fn empty_parts_give_null_progress_and_health_and_zero_counts() {
        let figures = Figures::new(
            &Parts::default(),
            DayCounts::default(),
            Thresholds::default(),
            None,
        );
        assert_eq!(figures.progress, None);
        assert_eq!(figures.health, None);
        assert_eq!(
            figures.health_share,
            HealthShare {
                off_track: None,
                at_risk: None
            }
        );
        assert_eq!(figures.counts.total, 0);
        assert_eq!(figures.counts.by_status.len(), 5);
        assert_eq!(figures.counts.by_health.len(), 3);
        let json = serde_json::to_value(&figures).unwrap();
        assert_eq!(json["counts"]["by_status"]["in_progress"], 0);
        assert_eq!(json["counts"]["by_health"]["off_track"], 0);
    }

    #[test]
    fn figures_follow_the_spec_formulas() {
        // Active: 2 weeks on track, 1 at risk, 1 off track; A also holds 4 weeks done.
        let parts = Parts {
            by_status: [0, 2, 2, 1, 1],
            by_health: [2, 1, 1],
            active_effort: d("4"),
            active_effort_at_risk: d("1"),
            active_effort_off_track: d("1"),
            effort: d("8"),
            // done: 4·100; active: 2·50 + 1·10 + 1·0
            effort_progress: d("510"),
            budget: d("1200"),
            dependency_conflicts: 2,
            kpis: KpiCounts {
                on_target: 3,
                off_target: 1,
                no_data: 0,
            },
        };
        let days = DayCounts {
            late: 3,
            optimistic: 1,
        };
        let figures = Figures::new(&parts, days, Thresholds::default(), None);
        assert_eq!(figures.progress, Some(63.8)); // 510 / 8 = 63.75
        assert_eq!(
            figures.health_share,
            HealthShare {
                off_track: Some(25.0),
                at_risk: Some(25.0)
            }
        );
        assert_eq!(figures.health, Some(Health::OffTrack));
        assert_eq!(figures.counts.total, 6);
        assert_eq!(figures.effort, 8.0);
        assert_eq!(figures.budget, 1200);
        assert_eq!(figures.late, 3);
        assert_eq!(figures.optimistic, 1);
        assert_eq!(figures.dependency_conflicts, 2);
        assert_eq!((figures.kpis.on_target, figures.kpis.total()), (3, 4));
    }
}
