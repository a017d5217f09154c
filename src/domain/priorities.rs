//! Priorities (SPEC §8): the open work of a subtree in the order of a score or of the manual rank,
//! with what is left of each, the running total down the list and whether it still fits the
//! subtree's capacity for a quarter — the cut line "what fits".

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Deserialize;
use uuid::Uuid;

use super::initiative::{InitiativeFilter, InitiativeQuery, NO_THEME, parse_param};
use super::period::Period;
use super::{FieldErrors, RankBy, WorkScope};

/// Rows per page of priorities, and the most an API client may ask for.
pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 500;

/// The query string of priorities, as sent (the API and the page share it).
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PrioritiesQuery {
    /// The score to rank by (default `rice`), or `rank`, the manual order.
    #[param(value_type = Option<RankBy>)]
    pub by: Option<String>,
    /// The fiscal quarter whose capacity draws the cut line (default: the current one).
    #[param(pattern = r"^[1-9][0-9]{3}-Q[1-4]$")]
    pub period: Option<String>,
    /// Only `proposed`, `planned` or `in_progress` work (default: all three).
    #[param(pattern = "^(proposed|planned|in_progress)$")]
    pub status: Option<String>,
    /// A member's id (`Member.id`).
    #[param(value_type = Option<Uuid>)]
    pub owner_id: Option<String>,
    /// A theme's id, or `none` for initiatives without a theme.
    #[param(
        pattern = "^(none|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub theme_id: Option<String>,
    /// Items per page (default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^[0-9]{1,9}$")]
    pub cursor: Option<String>,
    /// The page only: which page (from 1).
    #[param(ignore)]
    pub page: Option<String>,
}

/// A checked request for priorities of one subtree.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PrioritiesRequest {
    pub by: RankBy,
    /// `None`: the organization's current fiscal quarter.
    pub period: Option<Period>,
    /// The subtree is set by the caller; the filter always keeps open work only.
    pub filter: InitiativeFilter,
    pub offset: i64,
    pub limit: i64,
}

impl PrioritiesQuery {
    /// The request of `portfolio_id`'s priorities; a page number (the page) or a cursor (the API)
    /// says where the rows start.
    pub fn parse(&self, portfolio_id: Uuid, limit: i64) -> Result<PrioritiesRequest, FieldErrors> {
        let mut errors = FieldErrors::new();
        let by = parse_param(&mut errors, "by", &self.by).unwrap_or(RankBy::Rice);
        let period = parse_param::<Period>(&mut errors, "period", &self.period);
        errors.check(
            !matches!(period, Some(Period::Year(_))),
            "period",
            "must be a quarter like 2027-Q1: capacity is planned per quarter",
        );
        let mut filter = InitiativeQuery {
            status: self.status.clone(),
            owner_id: self.owner_id.clone(),
            theme_id: self.theme_id.clone(),
            ..InitiativeQuery::default()
        }
        .filter(&mut errors);
        errors.check(
            filter.status.is_none_or(|status| !status.is_closed()),
            "status",
            "must be proposed, planned or in_progress: priorities rank open work",
        );
        filter.portfolio_id = Some(portfolio_id);
        filter.scope = Some(WorkScope::Open);
        let limit = match parse_param::<i64>(&mut errors, "limit", &self.limit) {
            Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
            Some(_) => {
                errors.add("limit", format!("must be a whole number from 1 to {MAX_LIMIT}"));
                limit
            }
            None => limit,
        };
        let offset = match (
            parse_param::<i64>(&mut errors, "cursor", &self.cursor),
            &self.page,
        ) {
            (Some(offset), _) if offset >= 0 => offset,
            (Some(_), _) => {
                errors.add("cursor", "is not a cursor this list gave");
                0
            }
            (None, page) => {
                let page = parse_param::<i64>(&mut errors, "page", page).unwrap_or(1);
                errors.check(
                    (1..=1_000_000).contains(&page),
                    "page",
                    "must be from 1 to 1,000,000",
                );
                (page.clamp(1, 1_000_000) - 1) * limit
            }
        };
        errors.into_result()?;
        Ok(PrioritiesRequest {
            by,
            period,
            filter,
            offset,
            limit,
        })
    }
}

impl PrioritiesRequest {
    /// The page number (from 1) the request's offset falls on.
    pub fn page(&self) -> i64 {
        self.offset / self.limit + 1
    }

    /// The request as the page's query string (no leading `?`), defaults left out, on `page`:
    /// what its links and forms keep.
    pub fn query_string(&self, by: RankBy, page: i64) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if by != RankBy::Rice {
            pairs.push(("by", by.to_string()));
        }
        if let Some(period) = self.period {
            pairs.push(("period", period.to_string()));
        }
        if let Some(status) = self.filter.status {
            pairs.push(("status", status.to_string()));
        }
        if let Some(owner) = self.filter.owner_id {
            pairs.push(("owner_id", owner.to_string()));
        }
        match (self.filter.theme_id, self.filter.unthemed) {
            (Some(theme), _) => pairs.push(("theme_id", theme.to_string())),
            (None, true) => pairs.push(("theme_id", NO_THEME.to_owned())),
            (None, false) => {}
        }
        if page > 1 {
            pairs.push(("page", page.to_string()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// An effort in person-weeks as the exact decimal it was written as: the shortest decimal that
/// reads back as the stored `f64` (2.5 → 2.5, 0.1 → 0.1, never 0.1000000000000000055…).
pub fn exact_effort(effort: f64) -> Decimal {
    Decimal::from_str(&effort.to_string())
        .or_else(|_| Decimal::try_from(effort))
        .unwrap_or_default()
}

/// What is left of an initiative: effort × (100 − progress) ÷ 100 (SPEC §8).
pub fn remaining_effort(effort: f64, progress: i16) -> Decimal {
    exact_effort(effort) * Decimal::from(100 - progress.clamp(0, 100)) / Decimal::ONE_HUNDRED
}

/// Where a row stands down the list.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Standing {
    pub remaining_effort: Decimal,
    /// The remaining effort of this row and every row above it.
    pub cumulative_effort: Decimal,
    /// Whether the cumulative effort is within the capacity: above the cut line.
    pub fits: bool,
}

/// The running total down the list: each row's standing from its effort and progress, in list
/// order, starting from what the rows above the first one hold.
#[derive(Clone, Copy, Debug)]
pub struct RunningTotal {
    cumulative: Decimal,
    capacity: Decimal,
}

impl RunningTotal {
    pub fn new(above: Decimal, capacity: Decimal) -> RunningTotal {
        RunningTotal {
            cumulative: above,
            capacity,
        }
    }

    pub fn add(&mut self, effort: f64, progress: i16) -> Standing {
        let remaining_effort = remaining_effort(effort, progress);
        self.cumulative += remaining_effort;
        Standing {
            remaining_effort,
            cumulative_effort: self.cumulative,
            fits: self.cumulative <= self.capacity,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn query(pairs: &[(&str, &str)]) -> PrioritiesQuery {
        let text = serde_urlencoded::to_string(pairs).unwrap();
        serde_urlencoded::from_str(&text).unwrap()
    }

    #[test]
    fn remaining_effort_is_exact() {
        assert_eq!(remaining_effort(2.5, 30), dec("1.75"));
        assert_eq!(remaining_effort(0.1, 0), dec("0.1"));
        assert_eq!(remaining_effort(3.0, 100), dec("0"));
        assert_eq!(remaining_effort(1.0, 33), dec("0.67"));
    }

    #[test]
    fn the_cut_line_falls_where_the_running_total_passes_capacity() {
        let standings = |rows: &[(f64, i16)], above: &str, capacity: &str| {
            let mut total = RunningTotal::new(dec(above), dec(capacity));
            rows.iter().map(|&(e, p)| total.add(e, p)).collect::<Vec<_>>()
        };
        let lines = standings(&[(4.0, 0), (2.5, 20), (10.0, 50), (1.0, 0)], "0", "11");
        let cumulative: Vec<Decimal> = lines.iter().map(|l| l.cumulative_effort).collect();
        assert_eq!(cumulative, [dec("4"), dec("6"), dec("11"), dec("12")]);
        let fits: Vec<bool> = lines.iter().map(|l| l.fits).collect();
        assert_eq!(fits, [true, true, true, false], "exactly at capacity still fits");
        // A later page starts from what the rows above it hold.
        let later = standings(&[(1.0, 0)], "10.5", "11");
        assert_eq!((later[0].cumulative_effort, later[0].fits), (dec("11.5"), false));
        // No capacity: nothing fits.
        assert!(!standings(&[(1.0, 0)], "0", "0")[0].fits);
    }

    #[test]
    fn a_request_keeps_open_work_of_the_subtree() {
        let portfolio = Uuid::now_v7();
        let request = query(&[("by", "wsjf"), ("period", "2027-Q1"), ("page", "3")])
            .parse(portfolio, DEFAULT_LIMIT)
            .unwrap();
        assert_eq!(request.by, RankBy::Wsjf);
        assert_eq!(request.period, Some(Period::Quarter(2027, 1)));
        assert_eq!(request.filter.portfolio_id, Some(portfolio));
        assert_eq!(request.filter.scope, Some(WorkScope::Open));
        assert_eq!((request.offset, request.page()), (200, 3));
        let api = query(&[("limit", "20"), ("cursor", "40")])
            .parse(portfolio, DEFAULT_LIMIT)
            .unwrap();
        assert_eq!((api.by, api.offset, api.limit), (RankBy::Rice, 40, 20));
        assert_eq!(request.query_string(request.by, 1), "by=wsjf&period=2027-Q1");
        assert_eq!(request.query_string(RankBy::Rice, 2), "period=2027-Q1&page=2");
    }

    #[test]
    fn bad_requests_name_their_fields() {
        let errors = query(&[
            ("by", "votes"),
            ("period", "2027"),
            ("status", "done"),
            ("limit", "501"),
            ("cursor", "-1"),
        ])
        .parse(Uuid::now_v7(), DEFAULT_LIMIT)
        .unwrap_err();
        for field in ["by", "period", "status", "limit", "cursor"] {
            assert!(errors.get(field).is_some(), "{field} is reported");
        }
    }
}
