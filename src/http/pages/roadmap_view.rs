//! A roadmap as a page draws it, for both `/roadmaps/{id}` and the shared `/s/{token}`: the
//! timeline's columns, bars and today line, or the now/next/later columns. Positions go into one
//! generated `<style>` block (ids and percentages only), so that the shared page's
//! Content-Security-Policy can allow exactly that block by its SHA-256 and no inline styles.

use std::fmt::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{Datelike, NaiveDate};
use sha2::{Digest, Sha256};

use crate::db::roadmaps::RoadmapView;
use std::collections::HashSet;

use crate::domain::currency::format_money;
use crate::domain::initiative::is_late;
use crate::domain::roadmap::{Calendar, Horizon, RoadmapItem, Tick};
use crate::domain::{Health, RoadmapLayout, Status};

/// What the roadmap partial draws.
pub struct RoadmapDisplay {
    pub name: String,
    pub window: String,
    pub layout: RoadmapLayout,
    pub ticks: Vec<Tick>,
    pub has_today: bool,
    pub today: String,
    pub lanes: Vec<LaneDisplay>,
    pub columns: Vec<ColumnDisplay>,
    /// The generated rules: bar and column positions, the today line, the A3 print page.
    pub style: String,
    pub show_budget: bool,
    /// Members' pages link each initiative; the shared page links nothing inside the organization.
    pub link_items: bool,
    /// The newest change among the roadmap and what it shows, as people read it.
    pub last_updated: String,
    pub is_empty: bool,
    pub summary: RoadmapSummary,
}

/// What a reader takes in before the rows: how much work, how it is doing, what is late. Each
/// initiative counts once, though lanes by objective may show it twice.
pub struct RoadmapSummary {
    pub total: usize,
    /// Open work (not done or cancelled) by health, every health included.
    pub by_health: Vec<(Health, usize)>,
    /// All work by status, statuses that occur only.
    pub by_status: Vec<(Status, usize)>,
    /// Open work past its target date, soonest due first: key, title, "Due …".
    pub late: Vec<(String, String, String)>,
}

impl RoadmapSummary {
    fn of(view: &RoadmapView) -> RoadmapSummary {
        let mut seen = HashSet::new();
        let items: Vec<&RoadmapItem> = view
            .lanes
            .iter()
            .flat_map(|lane| lane.items.iter())
            .filter(|item| seen.insert(item.id))
            .collect();
        let by_health = Health::ALL
            .iter()
            .map(|&health| {
                let open = items
                    .iter()
                    .filter(|i| !i.status.is_closed() && i.health == health);
                (health, open.count())
            })
            .collect();
        let by_status = Status::ALL
            .iter()
            .map(|&status| (status, items.iter().filter(|i| i.status == status).count()))
            .filter(|(_, count)| *count > 0)
            .collect();
        let mut late: Vec<&RoadmapItem> = items
            .iter()
            .copied()
            .filter(|i| is_late(i.status, i.target_date, view.today))
            .collect();
        late.sort_by_key(|i| (i.target_date, i.key.clone()));
        RoadmapSummary {
            total: items.len(),
            by_health,
            by_status,
            late: late
                .into_iter()
                .map(|i| (i.key.clone(), i.title.clone(), dates(i)))
                .collect(),
        }
    }
}

pub struct LaneDisplay {
    pub key: String,
    pub label: String,
    pub rows: Vec<RowDisplay>,
}

/// One initiative: its element id (`r<n>`), how its bar is cut, and its dates as text.
pub struct RowDisplay {
    pub css_id: String,
    pub item: RoadmapItem,
    pub milestone: bool,
    pub clipped_start: bool,
    pub clipped_end: bool,
    pub dates: String,
    pub budget: Option<String>,
}

pub struct ColumnDisplay {
    pub horizon: Horizon,
    pub count: usize,
    pub lanes: Vec<LaneDisplay>,
}

impl RoadmapDisplay {
    /// `show_budget`: members see budgets; a shared link only when the roadmap allows it.
    pub fn new(view: &RoadmapView, show_budget: bool, link_items: bool) -> RoadmapDisplay {
        let roadmap = &view.roadmap;
        let calendar = Calendar {
            from: roadmap.from,
            to: roadmap.to,
        };
        let ticks = calendar.ticks();
        let today = calendar.today(view.today);
        let mut style = String::from("@page{size:A3 landscape;margin:10mm}");
        for (i, tick) in ticks.iter().enumerate() {
            let _ = write!(style, ".tk{i}{{left:{:.3}%;width:{:.3}%}}", tick.left, tick.width);
        }
        if let Some(left) = today {
            let _ = write!(style, ".tl-today{{left:{left:.3}%}}");
        }
        let mut row = |n: usize, item: &RoadmapItem| -> RowDisplay {
            let placement = calendar.place(item);
            let css_id = format!("r{n}");
            if let (RoadmapLayout::Timeline, Some(p)) = (roadmap.layout, &placement) {
                let _ = write!(
                    style,
                    "#{css_id} .tl-bar{{left:{:.3}%;width:{:.3}%}}",
                    p.left, p.width
                );
            }
            RowDisplay {
                css_id,
                milestone: item.is_milestone(),
                clipped_start: placement.as_ref().is_some_and(|p| p.clipped_start),
                clipped_end: placement.as_ref().is_some_and(|p| p.clipped_end),
                dates: dates(item),
                budget: item
                    .budget
                    .filter(|_| show_budget)
                    .map(|b| format_money(b, &view.currency)),
                item: item.clone(),
            }
        };
        let mut n = 0;
        let mut next_row = |item: &RoadmapItem| {
            n += 1;
            row(n, item)
        };
        // Only the layout shown is laid out: a timeline's lanes, or the columns' lanes.
        let mut lanes_of = |keep: &dyn Fn(&RoadmapItem) -> bool| -> Vec<LaneDisplay> {
            view.lanes
                .iter()
                .map(|lane| LaneDisplay {
                    key: lane.key.clone(),
                    label: lane.label.clone(),
                    rows: lane
                        .items
                        .iter()
                        .filter(|item| keep(item))
                        .map(&mut next_row)
                        .collect(),
                })
                .filter(|lane| !lane.rows.is_empty())
                .collect()
        };
        let (lanes, columns) = match roadmap.layout {
            RoadmapLayout::Timeline => (lanes_of(&|_| true), Vec::new()),
            RoadmapLayout::NowNextLater => {
                let columns = Horizon::ALL
                    .iter()
                    .map(|&horizon| {
                        let lanes = lanes_of(&|item| Horizon::of(item, view.today) == horizon);
                        ColumnDisplay {
                            horizon,
                            count: lanes.iter().map(|l| l.rows.len()).sum(),
                            lanes,
                        }
                    })
                    .collect();
                (Vec::new(), columns)
            }
        };
        let last_updated = view
            .lanes
            .iter()
            .flat_map(|lane| lane.items.iter().map(|item| item.updated_at))
            .chain([roadmap.updated_at])
            .max()
            .unwrap_or(roadmap.updated_at);
        RoadmapDisplay {
            name: roadmap.name.clone(),
            window: format!("{} – {}", day(roadmap.from), day(roadmap.to)),
            layout: roadmap.layout,
            ticks,
            has_today: today.is_some(),
            today: day(view.today),
            is_empty: view.lanes.is_empty(),
            summary: RoadmapSummary::of(view),
            lanes,
            columns,
            style,
            show_budget,
            link_items,
            last_updated: last_updated.format("%-d %b %Y, %H:%M UTC").to_string(),
        }
    }

    /// The Content-Security-Policy source that allows the generated style block and nothing else.
    pub fn style_hash(&self) -> String {
        format!(
            "'sha256-{}'",
            STANDARD.encode(Sha256::digest(self.style.as_bytes()))
        )
    }

    pub fn is_timeline(&self) -> bool {
        self.layout == RoadmapLayout::Timeline
    }
}

/// A day as people read it, "3 Feb 2027" (chrono's `%-d %b %Y`, written directly: a roadmap shows
/// a few hundred of them, and interpreting the format string for each was a sixth of the shared
/// page's server time).
fn day(date: NaiveDate) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {} {:04}",
        date.day(),
        MONTHS[date.month0() as usize],
        date.year()
    )
}

/// "3 Feb – 28 Mar 2027", "Due 28 Mar 2027", "From 3 Feb 2027".
fn dates(item: &RoadmapItem) -> String {
    match (item.start_date, item.target_date) {
        (Some(start), Some(target)) => format!("{} – {}", day(start), day(target)),
        (None, Some(target)) => format!("Due {}", day(target)),
        (Some(start), None) => format!("From {}", day(start)),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_read_as_chrono_writes_them() {
        let mut date = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        while date.year() < 2028 {
            assert_eq!(day(date), date.format("%-d %b %Y").to_string());
            date = date.succ_opt().unwrap();
        }
    }
}
