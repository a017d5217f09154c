//! Reading a Jira CSV export (SPEC §12) into the initiatives it stands for: columns found by Jira's
//! header names (repeated headers allowed, unknown ones ignored), Jira's date formats, and the rules
//! that make epics initiatives (or every issue, when there are no epics): status by status
//! category, then by name; effort from story points; progress from the epic's children done.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::FieldErrors;
use super::Status;
use super::csv_file::CsvFile;

/// The columns an import cannot do without.
pub const REQUIRED: [&str; 2] = ["Summary", "Issue key"];

/// One issue of the file, as read.
#[derive(Clone, Debug, PartialEq)]
pub struct Issue {
    /// The line of the file its record starts on (1 is the header).
    pub line: u64,
    pub key: String,
    pub id: String,
    pub summary: String,
    pub issue_type: String,
    pub status: String,
    pub status_category: String,
    /// The parent's issue id or key, as the file names it.
    pub parent: Option<String>,
    pub description: String,
    pub start: Option<NaiveDate>,
    pub target: Option<NaiveDate>,
    pub points: Option<f64>,
    /// What is wrong with it: the row is reported and skipped.
    pub errors: Vec<String>,
}

/// One initiative the file asks for: the issue it comes from and its values.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    pub line: u64,
    pub key: String,
    pub title: String,
    pub description: String,
    pub status: Status,
    pub progress: i64,
    pub effort: f64,
    pub start: Option<NaiveDate>,
    pub target: Option<NaiveDate>,
    pub errors: Vec<String>,
}

impl Planned {
    /// The key it is found by again at the next import.
    pub fn external_ref(&self) -> String {
        format!("jira:{}", self.key)
    }
}

/// Reads the file: every issue with its line, or the required columns it lacks (422).
pub fn read(text: &str) -> Result<Vec<Issue>, FieldErrors> {
    let CsvFile { mut reader, columns } =
        CsvFile::open(text, &REQUIRED, "export the issues from Jira with all fields")?;
    let mut issues = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, |p| p.line());
                issues.push(Issue {
                    line,
                    key: String::new(),
                    id: String::new(),
                    summary: String::new(),
                    issue_type: String::new(),
                    status: String::new(),
                    status_category: String::new(),
                    parent: None,
                    description: String::new(),
                    start: None,
                    target: None,
                    points: None,
                    errors: vec![format!("is not a CSV record: {error}")],
                });
                continue;
            }
        };
        let field = |name: &str| -> &str {
            columns
                .get(name)
                .and_then(|&i| record.get(i))
                .map(str::trim)
                .unwrap_or_default()
        };
        let first = |names: &[&str]| {
            names
                .iter()
                .map(|n| field(n))
                .find(|v| !v.is_empty())
                .unwrap_or_default()
                .to_owned()
        };
        let mut errors = Vec::new();
        let mut date = |names: &[&str]| {
            let text = first(names);
            if text.is_empty() {
                return None;
            }
            let date = parse_date(&text);
            if date.is_none() {
                errors.push(format!("{} is not a date: {text}", names[0]));
            }
            date
        };
        let start = date(&["Custom field (Start date)", "Custom field (Target start)"]);
        let target = date(&["Due date", "Custom field (Target end)"]);
        let points_text = first(&[
            "Custom field (Story point estimate)",
            "Custom field (Story Points)",
        ]);
        let points = if points_text.is_empty() {
            None
        } else {
            match points_text.parse::<f64>() {
                Ok(p) if p.is_finite() && p >= 0.0 => Some(p),
                _ => {
                    errors.push(format!(
                        "the story point estimate must be a number of 0 or more, not {points_text}"
                    ));
                    None
                }
            }
        };
        let key = field("Issue key").to_owned();
        if key.is_empty() {
            errors.push("has no Issue key".to_owned());
        }
        if field("Summary").is_empty() {
            errors.push("has no Summary".to_owned());
        }
        let parent = Some(first(&["Parent", "Parent id", "Parent key"])).filter(|p| !p.is_empty());
        issues.push(Issue {
            line: record.position().map_or(0, |p| p.line()),
            key,
            id: field("Issue id").to_owned(),
            summary: field("Summary").to_owned(),
            issue_type: field("Issue Type").to_owned(),
            status: field("Status").to_owned(),
            status_category: field("Status Category").to_owned(),
            parent,
            description: field("Description").to_owned(),
            start,
            target,
            points,
            errors,
        });
    }
    Ok(issues)
}

/// How many story points make a person-week, as typed: empty is 1; else a number above 0 and at
/// most 1000.
pub fn points_per_week(text: &str) -> Result<f64, &'static str> {
    match text.trim() {
        "" => Ok(1.0),
        text => text
            .parse::<f64>()
            .ok()
            .filter(|p| *p > 0.0 && *p <= 1000.0)
            .ok_or("must be a number above 0 and at most 1000"),
    }
}

/// Jira's dates: `22/Dec/25 2:38 PM`, `01/Oct/26`, with four-digit years too, or ISO `2026-10-01`
/// (with or without a time).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let day = text.split_whitespace().next().unwrap_or_default();
    for format in ["%Y-%m-%d", "%d/%b/%y", "%d/%b/%Y"] {
        if let Ok(date) = NaiveDate::parse_from_str(day, format) {
            return Some(date);
        }
    }
    // ISO with a time: 2026-10-01T09:00:00.000+0000.
    text.get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

/// A status by Jira's status category, else by the status's own name.
pub fn status_of(category: &str, name: &str) -> Status {
    let by = |text: &str| match text.to_lowercase().as_str() {
        "to do" | "todo" | "open" | "backlog" | "new" | "selected for development" => Some(Status::Planned),
        "in progress" | "in review" | "in development" | "review" => Some(Status::InProgress),
        "done" | "closed" | "resolved" | "complete" | "completed" => Some(Status::Done),
        "cancelled" | "canceled" | "won't do" | "won't fix" | "rejected" => Some(Status::Cancelled),
        _ => None,
    };
    by(category).or_else(|| by(name)).unwrap_or(Status::Planned)
}

fn is_done(issue: &Issue) -> bool {
    status_of(&issue.status_category, &issue.status) == Status::Done
}

/// The initiatives the issues stand for: each epic (or each issue when there are none), with
/// `points_per_week` story points to a person-week.
pub fn plan(issues: &[Issue], points_per_week: f64) -> Vec<Planned> {
    let has_epics = issues.iter().any(|i| i.issue_type.eq_ignore_ascii_case("epic"));
    // Children by their parent's id and by its key: an export names either.
    let mut children: HashMap<&str, Vec<&Issue>> = HashMap::new();
    for issue in issues {
        if let Some(parent) = &issue.parent {
            children.entry(parent.as_str()).or_default().push(issue);
        }
    }
    issues
        .iter()
        .filter(|issue| !has_epics || issue.issue_type.eq_ignore_ascii_case("epic"))
        .map(|issue| {
            let status = status_of(&issue.status_category, &issue.status);
            let mine: Vec<&Issue> = [issue.id.as_str(), issue.key.as_str()]
                .iter()
                .filter(|k| !k.is_empty())
                .flat_map(|k| children.get(k).cloned().unwrap_or_default())
                .collect();
            let progress = match (status, mine.len()) {
                (Status::Done, _) => 100,
                (_, 0) => 0,
                (_, n) => (mine.iter().filter(|c| is_done(c)).count() * 100 / n) as i64,
            };
            let mut errors = issue.errors.clone();
            if let (Some(start), Some(target)) = (issue.start, issue.target)
                && target < start
            {
                errors.push(format!("its due date {target} is before its start {start}"));
            }
            let effort = issue
                .points
                .map(|p| p / points_per_week)
                .filter(|e| *e > 0.0)
                .unwrap_or(1.0);
            Planned {
                line: issue.line,
                key: issue.key.clone(),
                title: issue.summary.chars().take(200).collect(),
                description: issue.description.chars().take(10_000).collect(),
                status,
                progress,
                effort: (effort * 100.0).round() / 100.0,
                start: issue.start,
                target: issue.target,
                errors,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPORT: &str = "\u{feff}Summary,Issue key,Issue id,Issue Type,Status,Labels,Labels,Parent,Due date,Custom field (Start date),Custom field (Story point estimate),Status Category,Description
Checkout revamp,SHOP-1,10001,Epic,In Progress,web,mobile,,01/Oct/26,22/Jun/26 2:38 PM,8,In Progress,\"Line one
line two, with \"\"quotes\"\"\"
Pay button,SHOP-2,10002,Story,Done,,,10001,,,,Done,
Receipts,SHOP-3,10003,Story,To Do,,,SHOP-1,,,,To Do,
Refunds,SHOP-4,10004,Epic,Backlog,,,,2026-12-31,,-3,To Do,
Broken date,SHOP-5,10005,Epic,Done,,,,31/Feb/26,,,Done,
";

    #[test]
    fn an_export_with_jiras_quirks_reads_into_its_epics() {
        let issues = read(EXPORT).unwrap();
        assert_eq!(issues.len(), 5);
        assert_eq!(issues[0].description, "Line one\nline two, with \"quotes\"");
        assert_eq!(issues[0].start, NaiveDate::from_ymd_opt(2026, 6, 22));
        assert_eq!(issues[1].line, 4, "the quoted line break counts");
        let planned = plan(&issues, 1.0);
        let keys: Vec<&str> = planned.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            ["SHOP-1", "SHOP-4", "SHOP-5"],
            "only epics when there are epics"
        );
        let revamp = &planned[0];
        assert_eq!(
            (revamp.status, revamp.progress, revamp.effort),
            (Status::InProgress, 50, 8.0)
        );
        assert_eq!(revamp.target, NaiveDate::from_ymd_opt(2026, 10, 1));
        assert!(
            planned[1].errors[0].contains("story point"),
            "{:?}",
            planned[1].errors
        );
        assert!(
            planned[2].errors[0].contains("not a date: 31/Feb/26"),
            "{:?}",
            planned[2].errors
        );
        assert_eq!(plan(&issues, 2.0)[0].effort, 4.0);
    }

    #[test]
    fn without_epics_every_issue_is_an_initiative_and_missing_columns_are_named() {
        let issues = read("Summary,Issue key,Status\nA,X-1,Closed\nB,X-2,Whatever\n").unwrap();
        let planned = plan(&issues, 1.0);
        assert_eq!(
            planned.iter().map(|p| p.status).collect::<Vec<_>>(),
            [Status::Done, Status::Planned]
        );
        let missing = read("Title,Key\nA,B\n").unwrap_err();
        assert!(missing.get("body").unwrap().contains("Summary, Issue key"));
    }

    #[test]
    fn jiras_date_formats() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(parse_date("22/Dec/25 2:38 PM"), Some(d(2025, 12, 22)));
        assert_eq!(parse_date("01/Oct/26"), Some(d(2026, 10, 1)));
        assert_eq!(parse_date("2026-10-01"), Some(d(2026, 10, 1)));
        assert_eq!(parse_date("2026-10-01T09:00:00.000+0000"), Some(d(2026, 10, 1)));
        assert!(parse_date("31/Feb/26").is_none());
    }
}
