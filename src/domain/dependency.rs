//! Dependencies (SPEC §10): a dependent initiative waits for its blocker. The conflict rule is
//! SQL's `dependency_in_conflict` (migrations/0024), which keeps each initiative's
//! `dependency_conflict` flag; tests/app/status_rules.rs holds the two to the same answers.

use chrono::NaiveDate;

use super::Status;

/// A dependency is in conflict when its blocker is still open and due on or after the day its
/// dependent starts, unless the dependent is cancelled.
pub fn in_conflict(
    blocker_status: Status,
    blocker_target: Option<NaiveDate>,
    dependent_status: Status,
    dependent_start: Option<NaiveDate>,
) -> bool {
    !blocker_status.is_closed()
        && dependent_status != Status::Cancelled
        && blocker_target
            .zip(dependent_start)
            .is_some_and(|(due, start)| due >= start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_blocker_due_on_or_after_the_start_is_a_conflict() {
        let start = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap();
        let before = start.pred_opt().unwrap();
        let open = Status::InProgress;
        assert!(in_conflict(open, Some(start), Status::Planned, Some(start)));
        assert!(in_conflict(open, start.succ_opt(), Status::Done, Some(start)));
        assert!(!in_conflict(open, Some(before), Status::Planned, Some(start)));
        assert!(!in_conflict(
            Status::Done,
            Some(start),
            Status::Planned,
            Some(start)
        ));
        assert!(!in_conflict(
            Status::Cancelled,
            Some(start),
            Status::Planned,
            Some(start)
        ));
        assert!(!in_conflict(open, Some(start), Status::Cancelled, Some(start)));
        assert!(!in_conflict(open, None, Status::Planned, Some(start)));
        assert!(!in_conflict(open, Some(start), Status::Planned, None));
    }
}
