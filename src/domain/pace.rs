//! Pace (SPEC §10): declared health held against progress versus the time elapsed. An initiative
//! in progress with both dates is *expected* to be as far along as its time is gone; it is
//! **optimistic** when it says it is on track yet is behind by the organization's threshold or more.
//!
//! The count per subtree is SQL's `initiative_optimistic_from` (migrations/0024): the same rule
//! solved for the day it starts to hold. tests/app/status_rules.rs holds the two to the same answers.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Health, Status};

/// Where an in-progress initiative with both dates stands against its time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pace {
    /// Percent of its span gone by today, 0–100 (exact).
    pub expected: Decimal,
    /// `expected − progress`, in points: negative when ahead.
    pub behind: Decimal,
    /// Declared on track though `behind` reaches the threshold.
    pub optimistic: bool,
}

/// What `pace` reads of an initiative.
#[derive(Clone, Copy, Debug)]
pub struct PaceInputs {
    pub status: Status,
    pub health: Health,
    pub progress: i16,
    pub start_date: Option<NaiveDate>,
    pub target_date: Option<NaiveDate>,
}

impl Pace {
    /// The pace of an initiative on `today`, or `None` unless it is in progress with both dates.
    pub fn of(initiative: PaceInputs, today: NaiveDate, threshold: i16) -> Option<Pace> {
        if initiative.status != Status::InProgress {
            return None;
        }
        let (start, target) = initiative.start_date.zip(initiative.target_date)?;
        let span = (target - start).num_days();
        let gone = (today - start).num_days().clamp(0, span.max(0));
        let expected = if span <= 0 {
            // A one-day initiative: everything is expected from its day on.
            if today >= start {
                Decimal::ONE_HUNDRED
            } else {
                Decimal::ZERO
            }
        } else {
            Decimal::from(gone * 100) / Decimal::from(span)
        };
        let behind = expected - Decimal::from(initiative.progress);
        Some(Pace {
            expected,
            behind,
            optimistic: initiative.health == Health::OnTrack && behind >= Decimal::from(threshold),
        })
    }

    /// "62.5 % of its time gone, 30 % done": the explanation beside the flag.
    pub fn explanation(&self, progress: i16) -> String {
        format!(
            "{} % of its time gone, {progress} % done: {} points behind",
            one_decimal(self.expected),
            one_decimal(self.behind)
        )
    }
}

/// A percentage as people read it: 62.5, 50 (no trailing ".0").
fn one_decimal(value: Decimal) -> String {
    value
        .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .normalize()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: &str) -> NaiveDate {
        d.parse().unwrap()
    }

    fn in_progress(health: Health, progress: i16, start: &str, target: &str) -> PaceInputs {
        PaceInputs {
            status: Status::InProgress,
            health,
            progress,
            start_date: Some(day(start)),
            target_date: Some(day(target)),
        }
    }

    #[test]
    fn expected_is_the_share_of_the_span_gone_clamped() {
        // A 40-day span: on day 10 a quarter of it is gone.
        let work = in_progress(Health::OnTrack, 0, "2026-01-01", "2026-02-10");
        let at = |d: &str| Pace::of(work, day(d), 25).unwrap().expected;
        assert_eq!(at("2026-01-11"), Decimal::from(25));
        assert_eq!(at("2025-12-01"), Decimal::ZERO);
        assert_eq!(at("2026-03-01"), Decimal::ONE_HUNDRED);
        // 1 day of 3: 33.333…, exact.
        let short = in_progress(Health::OnTrack, 0, "2026-01-01", "2026-01-04");
        assert_eq!(
            Pace::of(short, day("2026-01-02"), 25).unwrap().expected * Decimal::from(3),
            Decimal::ONE_HUNDRED
        );
    }

    #[test]
    fn optimistic_when_on_track_and_behind_by_the_threshold_or_more() {
        // Day 30 of 40 (75 % gone), 50 % done: 25 points behind.
        let today = day("2026-01-31");
        let on_track = in_progress(Health::OnTrack, 50, "2026-01-01", "2026-02-10");
        let pace = Pace::of(on_track, today, 25).unwrap();
        assert_eq!(pace.behind, Decimal::from(25));
        assert!(pace.optimistic, "exactly at the threshold counts");
        assert!(!Pace::of(on_track, today, 26).unwrap().optimistic);
        assert_eq!(
            pace.explanation(50),
            "75 % of its time gone, 50 % done: 25 points behind"
        );
        // Declared at risk: honest, not optimistic.
        let at_risk = PaceInputs {
            health: Health::AtRisk,
            ..on_track
        };
        assert!(!Pace::of(at_risk, today, 25).unwrap().optimistic);
        // Ahead of time.
        let ahead = in_progress(Health::OnTrack, 90, "2026-01-01", "2026-02-10");
        assert!(Pace::of(ahead, today, 25).unwrap().behind < Decimal::ZERO);
    }

    #[test]
    fn only_in_progress_work_with_both_dates_has_a_pace() {
        let today = day("2026-01-31");
        let work = in_progress(Health::OnTrack, 0, "2026-01-01", "2026-02-10");
        for status in [Status::Proposed, Status::Planned, Status::Done, Status::Cancelled] {
            assert_eq!(Pace::of(PaceInputs { status, ..work }, today, 25), None);
        }
        let undated = PaceInputs {
            start_date: None,
            ..work
        };
        assert_eq!(Pace::of(undated, today, 25), None);
    }

    #[test]
    fn a_one_day_span_expects_everything_from_its_day() {
        let work = in_progress(Health::OnTrack, 70, "2026-01-10", "2026-01-10");
        assert_eq!(
            Pace::of(work, day("2026-01-09"), 25).unwrap().expected,
            Decimal::ZERO
        );
        let on_the_day = Pace::of(work, day("2026-01-10"), 25).unwrap();
        assert_eq!(on_the_day.expected, Decimal::ONE_HUNDRED);
        assert!(on_the_day.optimistic);
    }
}
