//! The digest (SPEC §12): what changed in a subtree since a day, in the order a weekly note to a
//! chat channel reads — and that note itself, as markdown.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use uuid::Uuid;

use super::{Health, Status};

/// How far back a digest looks unless asked otherwise.
pub const DEFAULT_DAYS: i64 = 7;

/// At most this many entries in each of a digest's lists: a week that moved more is read on the
/// pages behind it.
pub const LIST_LIMIT: i64 = 200;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Named {
    pub id: Uuid,
    pub name: String,
}

/// An initiative as a digest names it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct InitiativeRef {
    pub id: Uuid,
    pub key: String,
    pub title: String,
}

/// A status update that changed the picture or said something.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DigestUpdate {
    pub initiative: InitiativeRef,
    pub at: DateTime<Utc>,
    pub author: Option<String>,
    pub previous_status: Status,
    pub status: Status,
    pub previous_health: Health,
    pub health: Health,
    pub note: Option<String>,
}

/// A target date moved later over the period: from the first date it had in it to the one it has.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Slip {
    pub initiative: InitiativeRef,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: i64,
}

/// Work added, started or finished, and when.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Moment {
    pub initiative: InitiativeRef,
    pub at: DateTime<Utc>,
}

/// A key result's new value.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DigestCheckIn {
    pub key_result: Named,
    pub objective: Named,
    pub at: DateTime<Utc>,
    pub author: Option<String>,
    #[schema(value_type = f64)]
    #[serde(with = "rust_decimal::serde::float")]
    pub previous_value: Decimal,
    #[schema(value_type = f64)]
    #[serde(with = "rust_decimal::serde::float")]
    pub value: Decimal,
    pub unit: String,
    pub note: Option<String>,
}

/// An initiative that came into conflict with what it waits for, and the blockers in conflict.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NewConflict {
    pub initiative: InitiativeRef,
    pub since: DateTime<Utc>,
    /// The keys of the blockers due on or after it starts.
    pub blockers: Vec<String>,
}

/// `GET /portfolios/{id}/digest?since=`: newest first in every list but the slips (largest first).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Digest {
    pub portfolio: Named,
    pub since: NaiveDate,
    pub updates: Vec<DigestUpdate>,
    pub slipped: Vec<Slip>,
    pub added: Vec<Moment>,
    pub started: Vec<Moment>,
    pub finished: Vec<Moment>,
    pub check_ins: Vec<DigestCheckIn>,
    pub conflicts: Vec<NewConflict>,
}

impl DigestUpdate {
    /// "health on track → at risk", "status planned → in progress", or "note".
    pub fn change(&self) -> String {
        let mut parts = Vec::new();
        if self.status != self.previous_status {
            parts.push(format!(
                "status {} → {}",
                words(&self.previous_status.label()),
                words(&self.status.label())
            ));
        }
        if self.health != self.previous_health {
            parts.push(format!(
                "health {} → {}",
                words(&self.previous_health.label()),
                words(&self.health.label())
            ));
        }
        if parts.is_empty() {
            "note".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

fn words(label: &str) -> String {
    label.to_lowercase()
}

impl Digest {
    pub fn is_empty(&self) -> bool {
        self.updates.is_empty()
            && self.slipped.is_empty()
            && self.added.is_empty()
            && self.started.is_empty()
            && self.finished.is_empty()
            && self.check_ins.is_empty()
            && self.conflicts.is_empty()
    }

    /// The digest as markdown for a chat channel: a heading, then a section per kind of change
    /// that has any, one line per change.
    pub fn markdown(&self) -> String {
        let mut text = format!(
            "# {}: what changed since {}\n",
            self.portfolio.name,
            self.since.format("%b %-d, %Y")
        );
        if self.is_empty() {
            text.push_str("\nNothing changed.\n");
            return text;
        }
        let mut section = |title: &str, lines: Vec<String>| {
            if !lines.is_empty() {
                text.push_str(&format!("\n## {title}\n\n"));
                for line in lines {
                    text.push_str(&format!("- {line}\n"));
                }
            }
        };
        let named = |i: &InitiativeRef| format!("**{}** {}", i.key, i.title);
        let quoted = |note: &Option<String>| {
            note.as_deref()
                .map(|n| format!(" — “{}”", n.replace('\n', " ")))
                .unwrap_or_default()
        };
        let by = |author: &Option<String>, at: &DateTime<Utc>| match author {
            Some(name) => format!(" ({name}, {})", at.format("%b %-d")),
            None => format!(" ({})", at.format("%b %-d")),
        };
        section(
            "Status and health",
            self.updates
                .iter()
                .map(|u| {
                    format!(
                        "{}: {}{}{}",
                        named(&u.initiative),
                        u.change(),
                        quoted(&u.note),
                        by(&u.author, &u.at)
                    )
                })
                .collect(),
        );
        section(
            "Slipped",
            self.slipped
                .iter()
                .map(|s| {
                    format!(
                        "{}: {} → {} (+{} days)",
                        named(&s.initiative),
                        s.from,
                        s.to,
                        s.days
                    )
                })
                .collect(),
        );
        let moments = |list: &[Moment]| list.iter().map(|m| named(&m.initiative)).collect();
        section("Added", moments(&self.added));
        section("Started", moments(&self.started));
        section("Finished", moments(&self.finished));
        section(
            "Key results",
            self.check_ins
                .iter()
                .map(|c| {
                    let unit = if c.unit.is_empty() {
                        String::new()
                    } else {
                        format!(" {}", c.unit)
                    };
                    format!(
                        "{} · {}: {} → {}{unit}{}{}",
                        c.objective.name,
                        c.key_result.name,
                        c.previous_value.normalize(),
                        c.value.normalize(),
                        quoted(&c.note),
                        by(&c.author, &c.at)
                    )
                })
                .collect(),
        );
        section(
            "New dependency conflicts",
            self.conflicts
                .iter()
                .map(|c| {
                    format!(
                        "{} waits for {}, due on or after it starts",
                        named(&c.initiative),
                        c.blockers.join(", ")
                    )
                })
                .collect(),
        );
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn initiative(key: &str) -> InitiativeRef {
        InitiativeRef {
            id: Uuid::nil(),
            key: key.into(),
            title: "Refunds".into(),
        }
    }

    fn at() -> DateTime<Utc> {
        "2026-12-02T10:00:00Z".parse().unwrap()
    }

    fn empty() -> Digest {
        Digest {
            portfolio: Named {
                id: Uuid::nil(),
                name: "Commerce".into(),
            },
            since: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
            updates: vec![],
            slipped: vec![],
            added: vec![],
            started: vec![],
            finished: vec![],
            check_ins: vec![],
            conflicts: vec![],
        }
    }

    #[test]
    fn a_quiet_week_says_so() {
        assert_eq!(
            empty().markdown(),
            "# Commerce: what changed since Nov 26, 2026\n\nNothing changed.\n"
        );
    }

    #[test]
    fn each_kind_of_change_has_its_section_and_line() {
        let mut digest = empty();
        digest.updates.push(DigestUpdate {
            initiative: initiative("NW-1"),
            at: at(),
            author: Some("Lucia Romero".into()),
            previous_status: Status::InProgress,
            status: Status::InProgress,
            previous_health: Health::OnTrack,
            health: Health::AtRisk,
            note: Some("Card vendor is late".into()),
        });
        digest.slipped.push(Slip {
            initiative: initiative("NW-1"),
            from: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 12, 22).unwrap(),
            days: 21,
        });
        digest.conflicts.push(NewConflict {
            initiative: initiative("NW-2"),
            since: at(),
            blockers: vec!["NW-9".into()],
        });
        let text = digest.markdown();
        assert!(text.contains(
            "## Status and health\n\n- **NW-1** Refunds: health on track → at risk — “Card vendor is late” (Lucia Romero, Dec 2)\n"
        ), "{text}");
        assert!(
            text.contains("## Slipped\n\n- **NW-1** Refunds: 2026-12-01 → 2026-12-22 (+21 days)\n"),
            "{text}"
        );
        assert!(
            text.contains("- **NW-2** Refunds waits for NW-9, due on or after it starts"),
            "{text}"
        );
        assert!(!text.contains("## Added"), "empty sections are left out");
    }
}
