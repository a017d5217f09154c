//! What changed since a baseline (SPEC §10): each initiative as a baseline froze it against how it
//! is now (or in a later baseline), named by the kinds of change a quarterly review reads.

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

pub use super::ChangeKind;
use super::{Health, Status};

/// An initiative as one side of a diff has it.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Snapshot {
    pub portfolio_id: Uuid,
    pub title: String,
    pub status: Status,
    pub health: Health,
    pub progress: i16,
    pub effort: f64,
    pub theme_id: Option<Uuid>,
    pub start_date: Option<NaiveDate>,
    pub target_date: Option<NaiveDate>,
}

impl ChangeKind {
    /// The heading of its group on the baseline page.
    pub fn heading(self) -> &'static str {
        match self {
            ChangeKind::Added => "Added",
            ChangeKind::Removed => "Dropped",
            ChangeKind::Slipped => "Slipped",
            ChangeKind::PulledIn => "Pulled in",
            ChangeKind::Rescoped => "Re-estimated",
            ChangeKind::Status => "Status changed",
            ChangeKind::Health => "Health changed",
            ChangeKind::Moved => "Moved between portfolios",
        }
    }
}

/// The kinds of change from `before` to `after` (either side missing: not in the subtree then, or
/// now), and by how many days the target moved when it slipped or was pulled in.
///
/// * `added`: in the subtree now, not then; `removed`: then, not now (deleted or moved out), or
///   newly cancelled — which says it all, so no other kind comes with it;
/// * `slipped` / `pulled_in`: the target date later / earlier (both set);
/// * `rescoped`: the effort changed; `status`, `health`: changed; `moved`: another portfolio of the
///   subtree.
pub fn kinds(before: Option<&Snapshot>, after: Option<&Snapshot>) -> (Vec<ChangeKind>, Option<i64>) {
    let (before, after) = match (before, after) {
        (None, None) => return (Vec::new(), None),
        (None, Some(_)) => return (vec![ChangeKind::Added], None),
        (Some(_), None) => return (vec![ChangeKind::Removed], None),
        (Some(before), Some(after)) => (before, after),
    };
    if before.status != Status::Cancelled && after.status == Status::Cancelled {
        return (vec![ChangeKind::Removed], None);
    }
    let mut kinds = Vec::new();
    let mut days = None;
    if let (Some(then), Some(now)) = (before.target_date, after.target_date) {
        let moved_by = (now - then).num_days();
        if moved_by != 0 {
            kinds.push(if moved_by > 0 {
                ChangeKind::Slipped
            } else {
                ChangeKind::PulledIn
            });
            days = Some(moved_by.abs());
        }
    }
    if before.effort != after.effort {
        kinds.push(ChangeKind::Rescoped);
    }
    if before.status != after.status {
        kinds.push(ChangeKind::Status);
    }
    if before.health != after.health {
        kinds.push(ChangeKind::Health);
    }
    if before.portfolio_id != after.portfolio_id {
        kinds.push(ChangeKind::Moved);
    }
    (kinds, days)
}

/// "12 slipped by 23 days on average, 4 added, 2 dropped": the diff's first line. `slips` are the
/// days each slipped initiative slipped by; `count` how many changes carry a kind.
pub fn summary(slips: &[i64], count: impl Fn(ChangeKind) -> usize) -> String {
    let mut parts = Vec::new();
    if !slips.is_empty() {
        let days = slips.iter().sum::<i64>() as f64 / slips.len() as f64;
        let days = (days * 10.0).round() / 10.0;
        parts.push(format!(
            "{} slipped by {} {} on average",
            slips.len(),
            days,
            if days == 1.0 { "day" } else { "days" }
        ));
    }
    for (kind, word) in [
        (ChangeKind::PulledIn, "pulled in"),
        (ChangeKind::Added, "added"),
        (ChangeKind::Removed, "dropped"),
        (ChangeKind::Rescoped, "re-estimated"),
        (ChangeKind::Moved, "moved"),
    ] {
        let n = count(kind);
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    if parts.is_empty() {
        "Nothing slipped, was added or dropped.".to_owned()
    } else {
        let mut line = parts.join(", ");
        line.push('.');
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot {
        Snapshot {
            portfolio_id: Uuid::nil(),
            title: "Checkout".into(),
            status: Status::InProgress,
            health: Health::OnTrack,
            progress: 40,
            effort: 4.0,
            theme_id: None,
            start_date: NaiveDate::from_ymd_opt(2026, 1, 1),
            target_date: NaiveDate::from_ymd_opt(2026, 3, 1),
        }
    }

    #[test]
    fn each_kind_is_named_with_the_days_a_target_moved() {
        let then = snapshot();
        assert_eq!(kinds(None, Some(&then)), (vec![ChangeKind::Added], None));
        assert_eq!(kinds(Some(&then), None), (vec![ChangeKind::Removed], None));
        let slipped = Snapshot {
            target_date: NaiveDate::from_ymd_opt(2026, 3, 24),
            effort: 6.0,
            health: Health::AtRisk,
            ..then.clone()
        };
        assert_eq!(
            kinds(Some(&then), Some(&slipped)),
            (
                vec![ChangeKind::Slipped, ChangeKind::Rescoped, ChangeKind::Health],
                Some(23)
            )
        );
        let pulled_in = Snapshot {
            target_date: NaiveDate::from_ymd_opt(2026, 2, 20),
            portfolio_id: Uuid::max(),
            status: Status::Done,
            ..then.clone()
        };
        assert_eq!(
            kinds(Some(&then), Some(&pulled_in)),
            (
                vec![ChangeKind::PulledIn, ChangeKind::Status, ChangeKind::Moved],
                Some(9)
            )
        );
        // Only the progress moved: no kind.
        let progressed = Snapshot {
            progress: 80,
            ..then.clone()
        };
        assert_eq!(kinds(Some(&then), Some(&progressed)), (vec![], None));
    }

    #[test]
    fn newly_cancelled_work_is_dropped_and_nothing_else() {
        let then = snapshot();
        let cancelled = Snapshot {
            status: Status::Cancelled,
            target_date: NaiveDate::from_ymd_opt(2026, 5, 1),
            ..then.clone()
        };
        assert_eq!(
            kinds(Some(&then), Some(&cancelled)),
            (vec![ChangeKind::Removed], None)
        );
        // Cancelled then and now: nothing new.
        assert_eq!(kinds(Some(&cancelled), Some(&cancelled)), (vec![], None));
    }

    #[test]
    fn the_summary_reads_like_a_review() {
        let counts = |kind| match kind {
            ChangeKind::Added => 4,
            ChangeKind::Removed => 2,
            _ => 0,
        };
        assert_eq!(
            summary(&[20, 26], counts),
            "2 slipped by 23 days on average, 4 added, 2 dropped."
        );
        assert_eq!(summary(&[1], |_| 0), "1 slipped by 1 day on average.");
        assert_eq!(summary(&[], |_| 0), "Nothing slipped, was added or dropped.");
    }
}
