//! Roadmaps: a saved view of one portfolio subtree over a time window — its checked fields, how
//! its initiatives fall into lanes, and the geometry of the timeline and now/next/later layouts.

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::validation::text;
use super::{FieldErrors, GroupBy, Health, RoadmapLayout, Status};

/// The longest window a roadmap may span: beyond it a timeline is no longer readable.
pub const MAX_WINDOW_YEARS: u32 = 5;
/// Windows up to this many months are drawn with a column per month, longer ones per quarter.
const MONTHLY_UP_TO: u32 = 15;
/// "Next" on a now/next/later roadmap: what begins within this many months of today.
pub const NEXT_MONTHS: u32 = 3;

/// The filters of a roadmap; an empty list means "all".
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RoadmapFilters {
    #[serde(default)]
    pub statuses: Vec<Status>,
    #[serde(default)]
    pub theme_ids: Vec<Uuid>,
}

/// A roadmap's fields as a client sent them (create or PATCH); nothing is checked yet.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct RoadmapChanges {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    pub portfolio_id: Option<Uuid>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub layout: Option<RoadmapLayout>,
    pub group_by: Option<GroupBy>,
    pub filters: Option<RoadmapFilters>,
    pub show_budget: Option<bool>,
}

/// A roadmap's values, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct RoadmapValues {
    pub name: String,
    pub portfolio_id: Uuid,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub layout: RoadmapLayout,
    pub group_by: GroupBy,
    pub filters: RoadmapFilters,
    pub show_budget: bool,
}

impl RoadmapChanges {
    /// The roadmap these changes make of `current` (`None`: a new one), every bad field named.
    pub fn apply(self, current: Option<&RoadmapValues>) -> Result<RoadmapValues, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self
            .name
            .or_else(|| current.map(|c| c.name.clone()))
            .unwrap_or_default();
        let name = text(&mut errors, "name", &name, 1, 200);
        let portfolio_id = self.portfolio_id.or(current.map(|c| c.portfolio_id));
        errors.check(portfolio_id.is_some(), "portfolio_id", "is required");
        let from = self.from.or(current.map(|c| c.from));
        let to = self.to.or(current.map(|c| c.to));
        errors.check(from.is_some(), "from", "is required");
        errors.check(to.is_some(), "to", "is required");
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                errors.add("to", "must not be before from");
            } else if from
                .checked_add_months(Months::new(12 * MAX_WINDOW_YEARS))
                .is_none_or(|end| to > end)
            {
                errors.add(
                    "to",
                    format!("must be at most {MAX_WINDOW_YEARS} years after from"),
                );
            }
        }
        let mut filters = self
            .filters
            .or_else(|| current.map(|c| c.filters.clone()))
            .unwrap_or_default();
        filters.statuses.sort();
        filters.statuses.dedup();
        filters.theme_ids.sort();
        filters.theme_ids.dedup();
        errors.into_result()?;
        Ok(RoadmapValues {
            name,
            portfolio_id: portfolio_id.expect("checked above"),
            from: from.expect("checked above"),
            to: to.expect("checked above"),
            layout: self
                .layout
                .or(current.map(|c| c.layout))
                .unwrap_or(RoadmapLayout::Timeline),
            group_by: self
                .group_by
                .or(current.map(|c| c.group_by))
                .unwrap_or(GroupBy::Portfolio),
            filters,
            show_budget: self
                .show_budget
                .or(current.map(|c| c.show_budget))
                .unwrap_or(false),
        })
    }
}

/// An initiative as a roadmap shows it.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RoadmapItem {
    pub id: Uuid,
    pub key: String,
    pub title: String,
    pub portfolio_id: Uuid,
    pub portfolio: String,
    pub owner_id: Option<Uuid>,
    pub owner: Option<String>,
    pub theme_id: Option<Uuid>,
    pub theme: Option<String>,
    pub status: Status,
    pub health: Health,
    pub progress: i16,
    pub start_date: Option<NaiveDate>,
    pub target_date: Option<NaiveDate>,
    /// Minor units of the organization's currency.
    pub budget: Option<i64>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// A blocker of it is due on or after it starts (SPEC §10): the roadmap marks it.
    pub dependency_conflict: bool,
}

impl RoadmapItem {
    /// When it begins on the calendar: its start, or for a milestone its target date.
    pub fn begins(&self) -> Option<NaiveDate> {
        self.start_date.or(self.target_date)
    }

    /// A milestone: a target date without a start.
    pub fn is_milestone(&self) -> bool {
        self.start_date.is_none() && self.target_date.is_some()
    }
}

/// One lane: the items of one group (a portfolio, a theme, an objective …).
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Lane {
    /// The group's id, or its word for statuses; "none" for the lane of items without one.
    pub key: String,
    pub label: String,
    pub items: Vec<RoadmapItem>,
}

/// The label of the lane of items without a group.
pub fn ungrouped_label(group_by: GroupBy) -> &'static str {
    match group_by {
        GroupBy::Portfolio => "No portfolio",
        GroupBy::Theme => "No theme",
        GroupBy::Objective => "No objective",
        GroupBy::Owner => "No owner",
        GroupBy::Status => "No status",
    }
}

/// The objectives (id, title) whose key results each initiative moves, by initiative.
pub type ObjectivesOf = HashMap<Uuid, Vec<(Uuid, String)>>;

/// The groups (key, label) an item belongs to; none puts it in the ungrouped lane. Only objectives
/// can be several: an initiative may move key results of more than one.
fn groups_of(group_by: GroupBy, item: &RoadmapItem, objectives: &ObjectivesOf) -> Vec<(String, String)> {
    let named = |id: Option<Uuid>, name: &Option<String>| -> Vec<(String, String)> {
        id.zip(name.clone())
            .map(|(id, name)| (id.to_string(), name))
            .into_iter()
            .collect()
    };
    match group_by {
        GroupBy::Portfolio => vec![(item.portfolio_id.to_string(), item.portfolio.clone())],
        GroupBy::Theme => named(item.theme_id, &item.theme),
        GroupBy::Owner => named(item.owner_id, &item.owner),
        GroupBy::Status => vec![(item.status.as_str().to_owned(), item.status.label())],
        GroupBy::Objective => objectives
            .get(&item.id)
            .map(|found| {
                found
                    .iter()
                    .map(|(id, title)| (id.to_string(), title.clone()))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// Gathers items into lanes, keeping the items' order within each lane. Lanes go by label
/// (statuses in their life order), and the lane of items without a group comes last.
pub fn into_lanes(group_by: GroupBy, items: Vec<RoadmapItem>, objectives: &ObjectivesOf) -> Vec<Lane> {
    let mut lanes: Vec<Lane> = Vec::new();
    for item in items {
        let mut groups = groups_of(group_by, &item, objectives);
        let (key, label) = groups
            .pop()
            .unwrap_or_else(|| ("none".to_owned(), ungrouped_label(group_by).to_owned()));
        // A copy for every other lane; the last takes the item itself.
        for (key, label) in groups {
            add_to_lane(&mut lanes, key, label, item.clone());
        }
        add_to_lane(&mut lanes, key, label, item);
    }
    let rank = |lane: &Lane| -> (bool, usize, String) {
        let status_rank = Status::ALL
            .iter()
            .position(|s| s.as_str() == lane.key)
            .filter(|_| group_by == GroupBy::Status)
            .unwrap_or(0);
        (lane.key == "none", status_rank, lane.label.to_lowercase())
    };
    lanes.sort_by_cached_key(rank);
    lanes
}

fn add_to_lane(lanes: &mut Vec<Lane>, key: String, label: String, item: RoadmapItem) {
    match lanes.iter_mut().find(|lane| lane.key == key) {
        Some(lane) => lane.items.push(item),
        None => lanes.push(Lane {
            key,
            label,
            items: vec![item],
        }),
    }
}

/// A column heading of the timeline: a month or a quarter ("Jan", "Q1") of a year, placed in
/// percent of the window.
#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    pub label: String,
    pub year: i32,
    pub left: f64,
    pub width: f64,
}

/// Where a bar sits on the timeline, in percent of the window.
#[derive(Clone, Debug, PartialEq)]
pub struct Placement {
    pub left: f64,
    pub width: f64,
    pub milestone: bool,
    /// It began before the window, or goes on past it: its edge is cut.
    pub clipped_start: bool,
    pub clipped_end: bool,
}

/// The calendar of a timeline: the window from `from` to `to`, both days included.
#[derive(Clone, Copy, Debug)]
pub struct Calendar {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Calendar {
    fn days(&self) -> f64 {
        ((self.to - self.from).num_days() + 1) as f64
    }

    /// The left edge of `date`'s day, in percent of the window (clamped to it).
    fn offset(&self, date: NaiveDate) -> f64 {
        let days = (date - self.from).num_days() as f64;
        (days / self.days() * 100.0).clamp(0.0, 100.0)
    }

    /// Months across when the window is short enough, else quarters.
    pub fn ticks(&self) -> Vec<Tick> {
        let months =
            (self.to.year() - self.from.year()) as u32 * 12 + self.to.month() - self.from.month() + 1;
        let step = if months <= MONTHLY_UP_TO { 1 } else { 3 };
        let first = self.from.with_day(1).expect("day 1 exists");
        let mut start = first
            .with_month0(first.month0() / step * step)
            .expect("a quarter's first month exists");
        let mut ticks = Vec::new();
        while start <= self.to {
            let next = start + Months::new(step);
            let left = self.offset(start.max(self.from));
            let right = if next > self.to { 100.0 } else { self.offset(next) };
            let label = if step == 1 {
                start.format("%b").to_string()
            } else {
                format!("Q{}", start.month0() / 3 + 1)
            };
            ticks.push(Tick {
                label,
                year: start.year(),
                left,
                width: right - left,
            });
            start = next;
        }
        ticks
    }

    /// Where today's line goes, if today is in the window.
    pub fn today(&self, today: NaiveDate) -> Option<f64> {
        (self.from..=self.to)
            .contains(&today)
            .then(|| self.offset(today) + 50.0 / self.days())
    }

    /// Where an item's bar goes: from its start to the end of its target day; a milestone is a
    /// point on its target day; a start without a target runs to the end of the window.
    pub fn place(&self, item: &RoadmapItem) -> Option<Placement> {
        let begins = item.begins()?;
        let ends = match (item.start_date, item.target_date) {
            (Some(_), None) => None,
            (_, target) => target,
        };
        let left = self.offset(begins);
        let right = match ends {
            Some(end) if end < self.to => self.offset(end + chrono::Days::new(1)),
            _ => 100.0,
        };
        Some(Placement {
            left,
            width: (right - left).max(0.0),
            milestone: item.is_milestone(),
            clipped_start: begins < self.from,
            clipped_end: ends.is_none_or(|end| end > self.to),
        })
    }
}

/// A column of a now/next/later roadmap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Horizon {
    Now,
    Next,
    Later,
}

impl Horizon {
    pub const ALL: [Horizon; 3] = [Horizon::Now, Horizon::Next, Horizon::Later];

    pub fn label(self) -> &'static str {
        match self {
            Horizon::Now => "Now",
            Horizon::Next => "Next",
            Horizon::Later => "Later",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Horizon::Now => "now",
            Horizon::Next => "next",
            Horizon::Later => "later",
        }
    }

    /// Now: begun (or due) by today. Next: begins within `NEXT_MONTHS` months. Later: after that.
    pub fn of(item: &RoadmapItem, today: NaiveDate) -> Horizon {
        match item.begins() {
            Some(begins) if begins <= today => Horizon::Now,
            Some(begins) if begins <= today + Months::new(NEXT_MONTHS) => Horizon::Next,
            _ => Horizon::Later,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn item(key: &str, status: Status, start: Option<&str>, target: Option<&str>) -> RoadmapItem {
        RoadmapItem {
            id: Uuid::now_v7(),
            key: key.to_owned(),
            title: key.to_owned(),
            portfolio_id: Uuid::nil(),
            portfolio: "P".to_owned(),
            owner_id: None,
            owner: None,
            theme_id: None,
            theme: None,
            status,
            health: Health::OnTrack,
            progress: 0,
            start_date: start.map(date),
            target_date: target.map(date),
            budget: None,
            updated_at: chrono::Utc::now(),
            dependency_conflict: false,
        }
    }

    fn changes(json: serde_json::Value) -> RoadmapChanges {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_new_roadmap_needs_a_scope_and_a_window_in_order() {
        let errors = changes(serde_json::json!({"name": " "})).apply(None).unwrap_err();
        for field in ["name", "portfolio_id", "from", "to"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        let errors = changes(serde_json::json!({
            "name": "Q1", "portfolio_id": Uuid::nil(), "from": "2027-03-01", "to": "2027-01-01"
        }))
        .apply(None)
        .unwrap_err();
        assert_eq!(errors.get("to"), Some("must not be before from"));
        let roadmap = changes(serde_json::json!({
            "name": " Q1 ", "portfolio_id": Uuid::nil(), "from": "2027-01-01", "to": "2027-03-31",
            "filters": {"statuses": ["planned", "done", "planned"]}
        }))
        .apply(None)
        .unwrap();
        assert_eq!(roadmap.name, "Q1");
        assert_eq!(roadmap.layout, RoadmapLayout::Timeline);
        assert_eq!(roadmap.group_by, GroupBy::Portfolio);
        assert_eq!(roadmap.filters.statuses, vec![Status::Planned, Status::Done]);
        assert!(!roadmap.show_budget);
    }

    #[test]
    fn a_patch_keeps_what_it_does_not_mention() {
        let current = changes(serde_json::json!({
            "name": "Q1", "portfolio_id": Uuid::nil(), "from": "2027-01-01", "to": "2027-03-31"
        }))
        .apply(None)
        .unwrap();
        let patched = changes(serde_json::json!({"group_by": "theme", "to": "2027-06-30"}))
            .apply(Some(&current))
            .unwrap();
        assert_eq!(patched.group_by, GroupBy::Theme);
        assert_eq!(patched.to, date("2027-06-30"));
        assert_eq!(patched.name, "Q1");
        let errors = changes(serde_json::json!({"from": "2027-07-01"}))
            .apply(Some(&current))
            .unwrap_err();
        assert!(errors.get("to").is_some());
    }

    #[test]
    fn lanes_go_by_label_with_the_ungrouped_last_and_statuses_in_life_order() {
        let themed = |key: &str, theme: Option<(u128, &str)>| RoadmapItem {
            theme_id: theme.map(|(id, _)| Uuid::from_u128(id)),
            theme: theme.map(|(_, name)| name.to_owned()),
            ..item(key, Status::Planned, None, Some("2027-01-01"))
        };
        let items = vec![
            themed("A-1", None),
            themed("A-2", Some((2, "retention"))),
            themed("A-3", Some((1, "Growth"))),
            themed("A-4", Some((2, "retention"))),
        ];
        let lanes = into_lanes(GroupBy::Theme, items.clone(), &ObjectivesOf::new());
        let shape = |lanes: &[Lane]| -> Vec<(String, Vec<String>)> {
            lanes
                .iter()
                .map(|l| (l.label.clone(), l.items.iter().map(|i| i.key.clone()).collect()))
                .collect()
        };
        let expect = |pairs: &[(&str, &[&str])]| -> Vec<(String, Vec<String>)> {
            pairs
                .iter()
                .map(|(label, keys)| (label.to_string(), keys.iter().map(|k| k.to_string()).collect()))
                .collect()
        };
        assert_eq!(
            shape(&lanes),
            expect(&[
                ("Growth", &["A-3"]),
                ("retention", &["A-2", "A-4"]),
                ("No theme", &["A-1"])
            ])
        );
        // An initiative moving key results of two objectives is in both lanes.
        let objectives = ObjectivesOf::from([(
            items[1].id,
            vec![
                (Uuid::from_u128(9), "Win".to_owned()),
                (Uuid::from_u128(8), "Keep".to_owned()),
            ],
        )]);
        let lanes = into_lanes(GroupBy::Objective, items, &objectives);
        assert_eq!(
            shape(&lanes),
            expect(&[
                ("Keep", &["A-2"]),
                ("Win", &["A-2"]),
                ("No objective", &["A-1", "A-3", "A-4"])
            ])
        );
        let lanes = into_lanes(
            GroupBy::Status,
            vec![
                item("A-1", Status::Done, None, None),
                item("A-2", Status::Proposed, None, None),
            ],
            &ObjectivesOf::new(),
        );
        let keys: Vec<&str> = lanes.iter().map(|l| l.key.as_str()).collect();
        assert_eq!(keys, vec!["proposed", "done"]);
        assert_eq!(lanes[0].label, "Proposed");
    }

    #[test]
    fn the_timeline_is_monthly_for_a_year_and_quarterly_beyond() {
        let year = Calendar {
            from: date("2027-01-01"),
            to: date("2027-12-31"),
        };
        let ticks = year.ticks();
        assert_eq!(ticks.len(), 12);
        assert_eq!((ticks[0].label.as_str(), ticks[0].year), ("Jan", 2027));
        assert!((ticks.iter().map(|t| t.width).sum::<f64>() - 100.0).abs() < 1e-9);
        let two_years = Calendar {
            from: date("2027-02-15"),
            to: date("2028-12-31"),
        };
        let ticks = two_years.ticks();
        assert_eq!((ticks[0].label.as_str(), ticks[0].year), ("Q1", 2027));
        assert_eq!(ticks[0].left, 0.0);
        assert_eq!(ticks.len(), 8);
        assert_eq!(two_years.today(date("2026-01-01")), None);
    }

    #[test]
    fn bars_run_from_start_to_target_and_milestones_are_points() {
        let calendar = Calendar {
            from: date("2027-01-01"),
            to: date("2027-01-10"),
        };
        let bar = calendar
            .place(&item(
                "A-1",
                Status::Planned,
                Some("2027-01-02"),
                Some("2027-01-03"),
            ))
            .unwrap();
        assert_eq!((bar.left, bar.width), (10.0, 20.0));
        assert!(!bar.milestone && !bar.clipped_start && !bar.clipped_end);
        let long = calendar
            .place(&item(
                "A-2",
                Status::Planned,
                Some("2026-12-01"),
                Some("2027-02-01"),
            ))
            .unwrap();
        assert_eq!((long.left, long.width), (0.0, 100.0));
        assert!(long.clipped_start && long.clipped_end);
        let milestone = calendar
            .place(&item("A-3", Status::Planned, None, Some("2027-01-10")))
            .unwrap();
        assert!(milestone.milestone);
        assert_eq!(milestone.left, 90.0);
        let open = calendar
            .place(&item("A-4", Status::Planned, Some("2027-01-06"), None))
            .unwrap();
        assert_eq!((open.left, open.width, open.clipped_end), (50.0, 50.0, true));
        assert_eq!(calendar.place(&item("A-5", Status::Planned, None, None)), None);
    }

    #[test]
    fn now_next_later_go_by_when_work_begins() {
        let today = date("2027-01-15");
        let horizon = |start: Option<&str>, target: Option<&str>| {
            Horizon::of(&item("A-1", Status::Planned, start, target), today)
        };
        assert_eq!(horizon(Some("2027-01-01"), Some("2027-03-01")), Horizon::Now);
        assert_eq!(horizon(None, Some("2027-01-15")), Horizon::Now);
        assert_eq!(horizon(Some("2027-04-15"), None), Horizon::Next);
        assert_eq!(horizon(None, Some("2027-04-16")), Horizon::Later);
    }
}
