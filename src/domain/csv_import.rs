//! Cairn's own CSV read back (SPEC §12's round trip): the initiative list's export, edited in a
//! spreadsheet, imports again. A row with a `key` updates that initiative, one without creates;
//! only the columns the file has are changed, so a sheet of keys and statuses sets statuses alone.
//! The export's read-only columns (scores, demand, currency) are ignored, and its `updated_at` is
//! the version the row was read at: a row whose initiative changed since is refused, never
//! silently overwriting what someone wrote meanwhile.

use chrono::{DateTime, NaiveDate, Utc};

use super::FieldErrors;
use super::csv_file::CsvFile;
use super::initiative::InitiativeChanges;

/// The columns a file must have: without them it is not the list's export.
pub const REQUIRED: [&str; 2] = ["key", "title"];

/// One row of the file: what it asks to change, names not yet resolved to ids.
#[derive(Clone, Debug, Default)]
pub struct SheetRow {
    /// The line of the file the row starts on (1 is the header).
    pub line: u64,
    /// The initiative it updates; none: a new one.
    pub key: Option<String>,
    /// The values it sets, every id left unset: the names below resolve to them.
    pub changes: InitiativeChanges,
    /// The portfolio by name; `None` when the file has no such column.
    pub portfolio: Option<String>,
    /// The owner by name or email; `Some(None)` clears it.
    pub owner: Option<Option<String>>,
    /// The theme by name; `Some(None)` clears it.
    pub theme: Option<Option<String>>,
    /// When the initiative was last changed as the export saw it.
    pub exported_at: Option<DateTime<Utc>>,
    /// What is wrong with it: the row is reported and skipped.
    pub errors: Vec<String>,
}

/// Reads the file: its rows, or the required columns it lacks (422). Amounts are in the
/// organization's `currency`, which has `digits` minor-unit digits.
pub fn read(text: &str, currency: &str, digits: u32) -> Result<Vec<SheetRow>, FieldErrors> {
    let CsvFile { mut reader, columns } =
        CsvFile::open(text, &REQUIRED, "start from the initiative list's CSV export")?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                rows.push(SheetRow {
                    line: error.position().map_or(0, |p| p.line()),
                    errors: vec![format!("is not a CSV record: {error}")],
                    ..SheetRow::default()
                });
                continue;
            }
        };
        // `None`: the file has no such column; else the cell, trimmed and without the quote the
        // export puts before a cell a spreadsheet would take for a formula.
        let cell = |name: &str| -> Option<String> {
            let index = *columns.get(name)?;
            let value = record.get(index).unwrap_or_default().trim();
            Some(unquote_formula(value).to_owned())
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|value| value.trim().is_empty()) {
            continue; // A spreadsheet's trailing empty line.
        }
        rows.push(row(line, cell, currency, digits));
    }
    Ok(rows)
}

/// One record read through `cell`.
fn row(line: u64, cell: impl Fn(&str) -> Option<String>, currency: &str, digits: u32) -> SheetRow {
    let mut errors = Vec::new();
    let text = |name: &str| cell(name).map(|v| Some(v).filter(|v| !v.is_empty()));
    if let Some(Some(other)) = text("currency")
        && other != currency
    {
        errors.push(format!(
            "budget is in {other}; the organization's amounts are in {currency}"
        ));
    }
    let date = |v: &str| {
        v.parse::<NaiveDate>()
            .map_err(|_| "must be a date like 2027-03-31".to_owned())
    };
    let changes = InitiativeChanges {
        title: cell("title"),
        status: required(&mut errors, "status", cell("status"), |v| v.parse()),
        health: required(&mut errors, "health", cell("health"), |v| v.parse()),
        progress: required(&mut errors, "progress_percent", cell("progress_percent"), |v| {
            v.parse().map_err(|_| "must be a whole number".to_owned())
        }),
        effort: required(
            &mut errors,
            "effort_person_weeks",
            cell("effort_person_weeks"),
            |v| v.parse().map_err(|_| "must be a number".to_owned()),
        ),
        budget: typed(&mut errors, "budget", cell("budget"), |v| {
            super::money::parse_major(v, digits)
        }),
        start_date: typed(&mut errors, "start_date", cell("start_date"), date),
        target_date: typed(&mut errors, "target_date", cell("target_date"), date),
        ..InitiativeChanges::default()
    };
    let exported_at = typed(&mut errors, "updated_at", cell("updated_at"), |v| {
        DateTime::parse_from_rfc3339(v)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                "must be the time the export wrote (clear the cell to import the row without the check)"
                    .to_owned()
            })
    })
    .flatten();
    SheetRow {
        line,
        key: text("key").flatten(),
        changes,
        portfolio: text("portfolio").flatten(),
        owner: text("owner"),
        theme: text("theme"),
        exported_at,
        errors,
    }
}

/// A cell read as `T`: `None` when the file has no such column, `Some(None)` when it is empty.
/// One that does not read is noted in `errors` (and left out: the row is skipped).
fn typed<T>(
    errors: &mut Vec<String>,
    name: &str,
    cell: Option<String>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<Option<T>> {
    let value = cell?;
    if value.is_empty() {
        return Some(None);
    }
    match parse(&value) {
        Ok(parsed) => Some(Some(parsed)),
        Err(message) => {
            errors.push(format!("{name} “{value}” {message}"));
            None
        }
    }
}

/// A cell every initiative has a value for: an empty one is an error, not a clearing.
fn required<T>(
    errors: &mut Vec<String>,
    name: &str,
    cell: Option<String>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<T> {
    let value = typed(errors, name, cell, parse)?;
    if value.is_none() {
        errors.push(format!("{name} is empty"));
    }
    value
}

/// The export writes `'=…` for a cell starting with `=`, `+`, `-`, `@`, so that spreadsheets do
/// not run it as a formula (`csv_export::text_cell`); reading it back drops that quote.
fn unquote_formula(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Health, Status};

    const HEADER: &str = "key,title,portfolio,owner,theme,status,health,progress_percent,effort_person_weeks,budget,currency,start_date,target_date,rice_score,updated_at\n";

    fn one(line: &str) -> SheetRow {
        let mut rows = read(&format!("{HEADER}{line}\n"), "USD", 2).unwrap();
        assert_eq!(rows.len(), 1);
        rows.remove(0)
    }

    #[test]
    fn an_exported_row_reads_back_as_the_values_it_shows() {
        let row = one(
            "NW-7,'=Refunds,Checkout,Lucia Moreno,,in_progress,at_risk,40,4.5,12500.50,USD,2027-01-04,2027-03-31,400.00,2026-11-30T09:15:02.123456+00:00",
        );
        assert!(row.errors.is_empty(), "{:?}", row.errors);
        assert_eq!(row.key.as_deref(), Some("NW-7"));
        assert_eq!(row.changes.title.as_deref(), Some("=Refunds"));
        assert_eq!(row.portfolio.as_deref(), Some("Checkout"));
        assert_eq!(row.owner, Some(Some("Lucia Moreno".to_owned())));
        assert_eq!(row.theme, Some(None), "an empty theme clears it");
        assert_eq!(row.changes.status, Some(Status::InProgress));
        assert_eq!(row.changes.health, Some(Health::AtRisk));
        assert_eq!(row.changes.progress, Some(40));
        assert_eq!(row.changes.effort, Some(4.5));
        assert_eq!(row.changes.budget, Some(Some(1_250_050)));
        assert_eq!(row.changes.start_date, Some(NaiveDate::from_ymd_opt(2027, 1, 4)));
        assert_eq!(
            row.exported_at.map(|t| t.to_rfc3339()),
            Some("2026-11-30T09:15:02.123456+00:00".to_owned())
        );
    }

    #[test]
    fn a_row_without_a_key_creates_and_absent_columns_change_nothing() {
        let rows = read("key,title,status\n,New bet,proposed\n", "USD", 2).unwrap();
        let row = &rows[0];
        assert_eq!(row.key, None);
        assert_eq!(row.changes.status, Some(Status::Proposed));
        assert_eq!(row.changes.health, None, "no health column: left as it is");
        assert_eq!(row.changes.budget, None);
        assert_eq!(row.owner, None);
    }

    #[test]
    fn bad_cells_are_named_with_what_they_held() {
        let row = one("NW-7,Refunds,,,,shipped,,forty,-,12.345,EUR,31/03/2027,,,yesterday");
        let errors = row.errors.join("\n");
        for expected in [
            "budget is in EUR; the organization's amounts are in USD",
            "status “shipped” must be one of: proposed, planned, in_progress, done, cancelled",
            "health is empty",
            "progress_percent “forty” must be a whole number",
            "effort_person_weeks “-” must be a number",
            "budget “12.345” must have at most 2 decimals",
            "start_date “31/03/2027” must be a date like 2027-03-31",
            "updated_at “yesterday” must be the time the export wrote",
        ] {
            assert!(errors.contains(expected), "{expected:?} in\n{errors}");
        }
    }

    #[test]
    fn a_file_without_the_lists_columns_is_refused_with_their_names() {
        let error = read("Summary,Issue key\nA,B-1\n", "USD", 2).unwrap_err();
        assert!(
            error
                .get("body")
                .unwrap()
                .contains("lacks the columns key, title"),
            "{error:?}"
        );
    }

    #[test]
    fn trailing_empty_lines_are_not_rows() {
        assert_eq!(read(&format!("{HEADER}\n,,,\n"), "USD", 2).unwrap().len(), 0);
    }
}
