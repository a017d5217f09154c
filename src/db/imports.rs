//! Imports (SPEC §12): a Jira CSV export, or Cairn's own CSV edited in a spreadsheet, into a
//! portfolio. Each row's initiative is created, or updated when one already carries its
//! `external_ref` (Jira's, migrations/0030) or its key (Cairn's); a row with an error is reported
//! and skipped, never stopping the others. A dry run answers the same and writes
//! nothing; a real run writes everything in one transaction, set-based, with the history an edit
//! writes for every change of status or progress.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::tenant::Begin;
use super::users::Caller;
use crate::domain::csv_import::SheetRow;
use crate::domain::initiative::{InitiativeChanges, InitiativeValues};
use crate::domain::jira::Planned;
use crate::domain::{Health, ImportSource, Status};
use crate::error::AppError;

/// What the import does with a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    /// Already as the file has it.
    Unchanged,
    /// Refused for its errors; the others go ahead.
    Skip,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportRow {
    /// The line of the file the issue starts on.
    pub row: u64,
    pub key: String,
    pub action: Action,
    pub errors: Vec<String>,
}

/// `{create, update, rows}` (SPEC §12), and whether it was a dry run.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    pub create: i64,
    pub update: i64,
    pub rows: Vec<ImportRow>,
}

/// An initiative the file names again: what it may change of it.
struct Existing {
    id: Uuid,
    values: InitiativeValues,
    /// Whether it lies in the subtree of the portfolio imported into.
    inside: bool,
    updated_at: chrono::DateTime<chrono::Utc>,
}

/// Checks the portfolio imported into and the caller's right to edit it, and takes the
/// organization's import lock, so that two imports of one file wait for each other rather than
/// both creating.
async fn open(tx: &mut super::Tx<'_>, caller: &Caller, portfolio_id: Uuid) -> Result<(), AppError> {
    sqlx::query_scalar!(
        "SELECT id FROM portfolios WHERE org_id = $1 AND id = $2",
        caller.org_id,
        portfolio_id
    )
    .fetch_one(&mut **tx)
    .await?;
    super::permissions::require_portfolio_editor(&mut **tx, caller, portfolio_id).await?;
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended($1::uuid::text || ':imports', 0))",
        caller.org_id
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The initiatives a file names again, by Jira reference or by key, locked for the import: each
/// with its reference and its key.
async fn existing(
    tx: &mut super::Tx<'_>,
    caller: &Caller,
    portfolio_id: Uuid,
    refs: &[String],
    keys: &[String],
) -> Result<Vec<(Option<String>, String, Existing)>, AppError> {
    Ok(sqlx::query!(
        r#"SELECT i.external_ref, i.key, i.id, i.title, i.description, i.portfolio_id, i.owner_id,
                  i.theme_id, i.status AS "status: Status", i.health AS "health: Health", i.progress, i.effort,
                  i.budget, i.start_date, i.target_date, i.reach, i.impact, i.confidence, i.business_value,
                  i.time_criticality, i.risk_reduction, i.benefit, i.updated_at,
                  EXISTS (SELECT 1 FROM portfolio_closure c
                          WHERE c.org_id = i.org_id AND c.ancestor_id = $4 AND c.descendant_id = i.portfolio_id)
                      AS "inside!"
           FROM initiatives i WHERE i.org_id = $1 AND (i.external_ref = ANY($2) OR i.key = ANY($3))
           FOR UPDATE"#,
        caller.org_id,
        refs,
        keys,
        portfolio_id
    )
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .map(|r| {
        let (reference, key) = (r.external_ref.clone(), r.key.clone());
        let (id, inside, updated_at) = (r.id, r.inside, r.updated_at);
        let values = super::initiatives::values_from_row!(r);
        let existing = Existing {
            id,
            values,
            inside,
            updated_at,
        };
        (reference, key, existing)
    })
    .collect())
}

/// The rows planned so far: the report, and what a real run writes.
struct Batch {
    report: ImportReport,
    /// New initiatives, with the reference they are found by at the next import (Jira's).
    creates: Vec<(Option<String>, InitiativeValues)>,
    /// Changed initiatives: before and after.
    updates: Vec<(Uuid, InitiativeValues, InitiativeValues)>,
    /// The line each key was first seen on.
    seen: HashMap<String, u64>,
}

impl Batch {
    fn new(dry_run: bool, rows: usize) -> Batch {
        Batch {
            report: ImportReport {
                dry_run,
                create: 0,
                update: 0,
                rows: Vec::with_capacity(rows),
            },
            creates: Vec::new(),
            updates: Vec::new(),
            seen: HashMap::new(),
        }
    }

    /// Plans one row: `changes` applied to `current` (an update) or to nothing (a create); a
    /// row with errors, or whose changes do not validate, is skipped with them.
    fn add(
        &mut self,
        line: u64,
        key: String,
        mut errors: Vec<String>,
        current: Option<&Existing>,
        changes: InitiativeChanges,
        external_ref: Option<String>,
    ) {
        if !key.is_empty()
            && let Some(first) = self.seen.insert(key.clone(), line)
        {
            errors.push(format!("repeats {key} of line {first}"));
        }
        let applied = changes.apply(current.map(|c| &c.values));
        if let Err(invalid) = &applied {
            for (field, messages) in invalid.iter() {
                errors.extend(messages.iter().map(|message| format!("{field} {message}")));
            }
        }
        let action = match (applied, current) {
            _ if !errors.is_empty() => Action::Skip,
            (Err(_), _) => Action::Skip,
            (Ok(values), Some(current)) if values == current.values => Action::Unchanged,
            (Ok(values), Some(current)) => {
                self.updates.push((current.id, current.values.clone(), values));
                self.report.update += 1;
                Action::Update
            }
            (Ok(values), None) => {
                self.creates.push((external_ref, values));
                self.report.create += 1;
                Action::Create
            }
        };
        self.report.rows.push(ImportRow {
            row: line,
            key,
            action,
            errors,
        });
    }

    /// Reports a row that cannot even be planned.
    fn skip(&mut self, line: u64, key: String, errors: Vec<String>) {
        self.report.rows.push(ImportRow {
            row: line,
            key,
            action: Action::Skip,
            errors,
        });
    }

    /// Writes what was planned, unless a dry run, a chunk at a time so that `progress` can tell
    /// how far it is; changes of status, health or progress are recorded in the history with
    /// `note`.
    async fn write(
        self,
        mut tx: super::Tx<'_>,
        caller: &Caller,
        note: &str,
        progress: Option<&Progress>,
    ) -> Result<ImportReport, AppError> {
        if self.report.dry_run {
            return Ok(self.report);
        }
        let total = self.creates.len() + self.updates.len();
        let mut done = 0;
        if let Some(progress) = progress {
            progress.tell(total, done).await?;
        }
        for chunk in self.creates.chunks(CHUNK) {
            create_all(&mut tx, caller, chunk).await?;
            done += chunk.len();
            if let Some(progress) = progress {
                progress.tell(total, done).await?;
            }
        }
        for chunk in self.updates.chunks(CHUNK) {
            update_all(&mut tx, caller, chunk, note).await?;
            done += chunk.len();
            if let Some(progress) = progress {
                progress.tell(total, done).await?;
            }
        }
        if let Some(progress) = progress {
            progress.finish(&mut tx, &self.report).await?;
        }
        tx.commit().await?;
        Ok(self.report)
    }
}

/// Rows written per statement: large enough to be set-based, small enough to show progress.
const CHUNK: usize = 2_000;

/// Where a running import on the page tells how far it is: its upload's row, written on a
/// connection of its own so that the page sees it before the import commits.
pub struct Progress {
    pub pool: super::TenantPool,
    pub org_id: Uuid,
    pub upload_id: Uuid,
}

impl Progress {
    async fn tell(&self, total: usize, done: usize) -> Result<(), AppError> {
        sqlx::query!(
            "UPDATE import_uploads SET rows_total = $3, rows_done = $4 WHERE org_id = $1 AND id = $2",
            self.org_id,
            self.upload_id,
            total as i32,
            done as i32
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records the report with the import, in its transaction, and lets the file go.
    async fn finish(&self, tx: &mut super::Tx<'_>, report: &ImportReport) -> Result<(), AppError> {
        let report = serde_json::to_value(report).map_err(anyhow::Error::from)?;
        sqlx::query!(
            "UPDATE import_uploads SET report = $3, finished_at = now(), body = '', failure = NULL
             WHERE org_id = $1 AND id = $2",
            self.org_id,
            self.upload_id,
            report
        )
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

/// Imports `planned` from Jira into `portfolio_id` for whoever may edit it; an initiative
/// imported before is updated where it is, when it lies in the portfolio's subtree.
pub async fn jira(
    db: impl Begin<'_>,
    caller: &Caller,
    portfolio_id: Uuid,
    planned: Vec<Planned>,
    dry_run: bool,
    progress: Option<&Progress>,
) -> Result<ImportReport, AppError> {
    let mut tx = db.begin().await?;
    open(&mut tx, caller, portfolio_id).await?;
    let refs: Vec<String> = planned.iter().map(Planned::external_ref).collect();
    let existing: HashMap<String, Existing> = existing(&mut tx, caller, portfolio_id, &refs, &[])
        .await?
        .into_iter()
        .filter_map(|(reference, _, existing)| Some((reference?, existing)))
        .collect();

    let mut batch = Batch::new(dry_run, planned.len());
    for row in planned {
        let mut errors = row.errors.clone();
        let current = existing.get(&row.external_ref());
        if current.is_some_and(|c| !c.inside) {
            errors.push(format!(
                "{} was imported into another portfolio, outside this one: import it there",
                row.key
            ));
        }
        let changes = InitiativeChanges {
            title: Some(row.title.clone()),
            description: Some(Some(row.description.clone())),
            // Where it is now: an import does not move work.
            portfolio_id: current.is_none().then_some(portfolio_id),
            status: Some(row.status),
            progress: Some(row.progress),
            effort: Some(row.effort),
            start_date: Some(row.start),
            target_date: Some(row.target),
            ..InitiativeChanges::default()
        };
        let external_ref = Some(row.external_ref());
        batch.add(row.line, row.key, errors, current, changes, external_ref);
    }
    batch.write(tx, caller, "Imported from Jira", progress).await
}

/// Imports Cairn's own CSV (the initiative list's export, edited) into `portfolio_id`'s subtree
/// for whoever may edit it: a row with a key updates that initiative, one without creates it
/// (in the portfolio the row names, else in `portfolio_id`). Names of portfolios, owners and
/// themes are resolved here; a name that is unknown or ambiguous is the row's error.
pub async fn sheet(
    db: impl Begin<'_>,
    caller: &Caller,
    portfolio_id: Uuid,
    rows: Vec<SheetRow>,
    dry_run: bool,
    progress: Option<&Progress>,
) -> Result<ImportReport, AppError> {
    let org_id = caller.org_id;
    let mut tx = db.begin().await?;
    open(&mut tx, caller, portfolio_id).await?;
    let portfolios = Names::of(
        sqlx::query!(
            r#"SELECT p.id, p.name FROM portfolio_closure c
               JOIN portfolios p ON p.org_id = c.org_id AND p.id = c.descendant_id
               WHERE c.org_id = $1 AND c.ancestor_id = $2"#,
            org_id,
            portfolio_id
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| (r.id, vec![r.name])),
    );
    let members = Names::of(
        sqlx::query!(
            "SELECT u.id, u.name, u.email FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.org_id = $1",
            org_id
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| (r.id, vec![r.name, r.email])),
    );
    let themes = Names::of(
        sqlx::query!("SELECT id, name FROM themes WHERE org_id = $1", org_id)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|r| (r.id, vec![r.name])),
    );
    let keys: Vec<String> = rows.iter().filter_map(|r| r.key.clone()).collect();
    let existing: HashMap<String, Existing> = existing(&mut tx, caller, portfolio_id, &[], &keys)
        .await?
        .into_iter()
        .map(|(_, key, existing)| (key, existing))
        .collect();

    let mut batch = Batch::new(dry_run, rows.len());
    for row in rows {
        let mut errors = row.errors;
        let key = row.key.unwrap_or_default();
        let current = if key.is_empty() {
            None
        } else {
            match existing.get(&key) {
                None => {
                    errors.push(format!(
                        "{key} is no initiative of the organization: leave the key empty to create one"
                    ));
                    batch.skip(row.line, key, errors);
                    continue;
                }
                Some(current) => Some(current),
            }
        };
        if let Some(current) = current {
            if !current.inside {
                errors.push(format!(
                    "{key} lies outside the portfolio imported into: import it there"
                ));
            }
            if let Some(exported_at) = row.exported_at
                && exported_at != current.updated_at
            {
                errors.push(format!(
                    "{key} was changed in Cairn since this file was exported (at {}): export again and redo this row",
                    current.updated_at.to_rfc3339()
                ));
            }
        }
        let mut changes = row.changes;
        changes.portfolio_id = match &row.portfolio {
            Some(name) => portfolios.find(&mut errors, "portfolio", name, "in the portfolio imported into"),
            None => current.is_none().then_some(portfolio_id),
        };
        changes.owner_id = row.owner.map(|owner| {
            owner.and_then(|name| {
                members.find(&mut errors, "owner", &name, "among the organization's members")
            })
        });
        changes.theme_id = row
            .theme
            .map(|theme| theme.and_then(|name| themes.find(&mut errors, "theme", &name, "among the themes")));
        batch.add(row.line, key, errors, current, changes, None);
    }
    batch.write(tx, caller, "Imported from CSV", progress).await
}

/// Ids by the names a spreadsheet calls them (case aside).
struct Names(HashMap<String, Vec<Uuid>>);

impl Names {
    fn of(rows: impl Iterator<Item = (Uuid, Vec<String>)>) -> Names {
        let mut names: HashMap<String, Vec<Uuid>> = HashMap::new();
        for (id, aliases) in rows {
            for alias in aliases {
                let ids = names.entry(alias.to_lowercase()).or_default();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        Names(names)
    }

    /// The one id `name` stands for; none (an error noted) when it is unknown `where_` or names
    /// several.
    fn find(&self, errors: &mut Vec<String>, field: &str, name: &str, where_: &str) -> Option<Uuid> {
        match self.0.get(&name.to_lowercase()).map(Vec::as_slice) {
            Some([id]) => Some(*id),
            Some(ids) if !ids.is_empty() => {
                errors.push(format!(
                    "{field} “{name}” names {} of them: rename one, or set it on the page",
                    ids.len()
                ));
                None
            }
            _ => {
                errors.push(format!("{field} “{name}” is not {where_}"));
                None
            }
        }
    }
}

/// Inserts the new initiatives in one statement, their keys numbered from the organization's
/// counter in the file's order.
async fn create_all(
    tx: &mut super::Tx<'_>,
    caller: &Caller,
    creates: &[(Option<String>, InitiativeValues)],
) -> Result<(), AppError> {
    if creates.is_empty() {
        return Ok(());
    }
    let counter = sqlx::query!(
        r#"UPDATE organizations SET next_initiative_number = next_initiative_number + $2 WHERE id = $1
           RETURNING next_initiative_number - $2 AS "first!", key_prefix"#,
        caller.org_id,
        creates.len() as i64
    )
    .fetch_one(&mut **tx)
    .await?;
    let ids: Vec<Uuid> = creates.iter().map(|_| Uuid::now_v7()).collect();
    let numbers: Vec<i64> = (0..creates.len() as i64).map(|n| counter.first + n).collect();
    let keys: Vec<String> = numbers
        .iter()
        .map(|n| format!("{}-{n}", counter.key_prefix))
        .collect();
    let refs: Vec<Option<&str>> = creates.iter().map(|(r, _)| r.as_deref()).collect();
    let values = Columns::of(creates.iter().map(|(_, v)| v));
    sqlx::query!(
        "INSERT INTO initiatives (org_id, id, title, description, portfolio_id, owner_id, theme_id, status, health,
                                  progress, effort, budget, start_date, target_date, number, key, external_ref,
                                  updated_by)
         SELECT $1, r.id, r.title, r.description, r.portfolio_id, r.owner_id, r.theme_id, r.status, r.health,
                r.progress, r.effort, r.budget, r.start_date, r.target_date, r.number, r.key, r.external_ref, $17
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::uuid[], $7::uuid[], $8::text[],
                     $9::text[], $10::smallint[], $11::float8[], $12::bigint[], $13::date[], $14::date[],
                     $15::bigint[], $16::text[], $18::text[])
              AS r (id, title, description, portfolio_id, owner_id, theme_id, status, health, progress, effort,
                    budget, start_date, target_date, number, key, external_ref)",
        caller.org_id,
        &ids,
        &values.titles,
        &values.descriptions,
        &values.portfolios,
        &values.owners as &[Option<Uuid>],
        &values.themes as &[Option<Uuid>],
        &values.statuses,
        &values.healths,
        &values.progress,
        &values.efforts,
        &values.budgets as &[Option<i64>],
        &values.starts as &[Option<chrono::NaiveDate>],
        &values.targets as &[Option<chrono::NaiveDate>],
        &numbers,
        &keys,
        caller.user_id,
        &refs as &[Option<&str>]
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The fields an import writes, a column each, for `unnest`.
struct Columns {
    titles: Vec<String>,
    descriptions: Vec<String>,
    portfolios: Vec<Uuid>,
    owners: Vec<Option<Uuid>>,
    themes: Vec<Option<Uuid>>,
    statuses: Vec<String>,
    healths: Vec<String>,
    progress: Vec<i16>,
    efforts: Vec<f64>,
    budgets: Vec<Option<i64>>,
    starts: Vec<Option<chrono::NaiveDate>>,
    targets: Vec<Option<chrono::NaiveDate>>,
}

impl Columns {
    fn of<'a>(values: impl Iterator<Item = &'a InitiativeValues>) -> Columns {
        let mut columns = Columns {
            titles: Vec::new(),
            descriptions: Vec::new(),
            portfolios: Vec::new(),
            owners: Vec::new(),
            themes: Vec::new(),
            statuses: Vec::new(),
            healths: Vec::new(),
            progress: Vec::new(),
            efforts: Vec::new(),
            budgets: Vec::new(),
            starts: Vec::new(),
            targets: Vec::new(),
        };
        for v in values {
            columns.titles.push(v.title.clone());
            columns.descriptions.push(v.description.clone());
            columns.portfolios.push(v.portfolio_id);
            columns.owners.push(v.owner_id);
            columns.themes.push(v.theme_id);
            columns.statuses.push(v.status.as_str().to_owned());
            columns.healths.push(v.health.as_str().to_owned());
            columns.progress.push(v.progress);
            columns.efforts.push(v.effort);
            columns.budgets.push(v.budget);
            columns.starts.push(v.start_date);
            columns.targets.push(v.target_date);
        }
        columns
    }
}

/// Updates the changed initiatives in one statement, and writes the history an edit would for
/// each change of status, health or progress, with `note`.
async fn update_all(
    tx: &mut super::Tx<'_>,
    caller: &Caller,
    updates: &[(Uuid, InitiativeValues, InitiativeValues)],
    note: &str,
) -> Result<(), AppError> {
    if updates.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = updates.iter().map(|(id, _, _)| *id).collect();
    let values = Columns::of(updates.iter().map(|(_, _, v)| v));
    sqlx::query!(
        "WITH input AS (
             SELECT * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::uuid[], $7::uuid[],
                                  $8::text[], $9::text[], $10::smallint[], $11::float8[], $12::bigint[],
                                  $13::date[], $14::date[])
                 AS r (id, title, description, portfolio_id, owner_id, theme_id, status, health, progress,
                       effort, budget, start_date, target_date)
         ), before AS (
             SELECT i.id, i.status, i.health, i.progress FROM initiatives i JOIN input r ON r.id = i.id
             WHERE i.org_id = $1
         ), updated AS (
             UPDATE initiatives i
             SET title = r.title, description = r.description, portfolio_id = r.portfolio_id,
                 owner_id = r.owner_id, theme_id = r.theme_id, status = r.status, health = r.health,
                 progress = r.progress, effort = r.effort, budget = r.budget, start_date = r.start_date,
                 target_date = r.target_date, version = i.version + 1, updated_at = now(), updated_by = $15
             FROM input r WHERE i.org_id = $1 AND i.id = r.id
             RETURNING i.id, i.status, i.health, i.progress
         )
         INSERT INTO status_updates (org_id, id, initiative_id, author_id, created_at, note, status, health,
                                     progress, previous_status, previous_health, previous_progress)
         SELECT $1, gen_random_uuid(), u.id, $15, clock_timestamp(), $16, u.status, u.health,
                u.progress, b.status, b.health, b.progress
         FROM updated u JOIN before b ON b.id = u.id
         WHERE (u.status, u.health, u.progress) IS DISTINCT FROM (b.status, b.health, b.progress)",
        caller.org_id,
        &ids,
        &values.titles,
        &values.descriptions,
        &values.portfolios,
        &values.owners as &[Option<Uuid>],
        &values.themes as &[Option<Uuid>],
        &values.statuses,
        &values.healths,
        &values.progress,
        &values.efforts,
        &values.budgets as &[Option<i64>],
        &values.starts as &[Option<chrono::NaiveDate>],
        &values.targets as &[Option<chrono::NaiveDate>],
        caller.user_id,
        note
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A file's rows, read as its source has them.
pub enum Rows {
    Jira(Vec<Planned>),
    Cairn(Vec<SheetRow>),
}

/// Imports `rows` into `portfolio_id`, by the rules of their source.
pub async fn rows(
    db: impl Begin<'_>,
    caller: &Caller,
    portfolio_id: Uuid,
    rows: Rows,
    dry_run: bool,
    progress: Option<&Progress>,
) -> Result<ImportReport, AppError> {
    match rows {
        Rows::Jira(planned) => jira(db, caller, portfolio_id, planned, dry_run, progress).await,
        Rows::Cairn(rows) => sheet(db, caller, portfolio_id, rows, dry_run, progress).await,
    }
}

/// A file uploaded on the import page: waiting for its dry run to be confirmed, being imported,
/// or imported.
pub struct Upload {
    pub id: Uuid,
    pub portfolio_id: Uuid,
    pub source: ImportSource,
    pub points_per_week: f64,
    pub file_name: String,
    pub body: String,
    pub state: UploadState,
}

/// Where an upload's import is.
pub enum UploadState {
    /// Not confirmed yet: the page shows its dry run.
    Waiting,
    /// Being written: `done` of `total` rows so far (`total` is unknown while it is read).
    Running {
        total: Option<i32>,
        done: i32,
    },
    Imported(ImportReport),
    /// It stopped without writing anything; it may run again.
    Failed(String),
}

/// How long a started import may go without finishing before it is taken for one whose server
/// stopped (its transaction then rolled back, so it may run again).
const STALLED_AFTER_MINUTES: i32 = 10;

/// Keeps an uploaded file for its uploader's confirmation, for whoever may edit the portfolio;
/// uploads of the organization older than a day go.
pub async fn keep(
    db: impl Begin<'_>,
    caller: &Caller,
    portfolio_id: Uuid,
    source: ImportSource,
    points_per_week: f64,
    file_name: &str,
    body: &str,
) -> Result<Uuid, AppError> {
    let mut tx = db.begin().await?;
    sqlx::query_scalar!(
        "SELECT id FROM portfolios WHERE org_id = $1 AND id = $2",
        caller.org_id,
        portfolio_id
    )
    .fetch_one(&mut *tx)
    .await?;
    super::permissions::require_portfolio_editor(&mut *tx, caller, portfolio_id).await?;
    sqlx::query!(
        "DELETE FROM import_uploads WHERE org_id = $1 AND created_at < now() - interval '1 day'",
        caller.org_id
    )
    .execute(&mut *tx)
    .await?;
    let id = Uuid::now_v7();
    let name: String = file_name.chars().take(200).collect();
    sqlx::query!(
        "INSERT INTO import_uploads (org_id, id, portfolio_id, points_per_week, file_name, body, created_by, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        caller.org_id,
        id,
        portfolio_id,
        points_per_week,
        name,
        body,
        caller.user_id,
        source.as_str()
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The caller's own upload `id`; anyone else's is not there (404).
pub async fn upload(pool: &super::TenantPool, caller: &Caller, id: Uuid) -> Result<Upload, AppError> {
    let row = sqlx::query!(
        r#"SELECT id, portfolio_id, source AS "source: ImportSource", points_per_week, file_name, body,
                  started_at IS NOT NULL AS "started!", rows_total, rows_done, report, failure,
                  started_at < now() - make_interval(mins => $4) AS "stalled?"
           FROM import_uploads
           WHERE org_id = $1 AND id = $2 AND created_by = $3"#,
        caller.org_id,
        id,
        caller.user_id,
        STALLED_AFTER_MINUTES
    )
    .fetch_one(pool)
    .await?;
    let state = match (row.report, row.failure) {
        (Some(report), _) => {
            UploadState::Imported(serde_json::from_value(report).map_err(anyhow::Error::from)?)
        }
        (None, Some(failure)) => UploadState::Failed(failure),
        (None, None) if row.stalled == Some(true) => UploadState::Failed(
            "stopped before it finished, when its server did; nothing was written".to_owned(),
        ),
        (None, None) if row.started => UploadState::Running {
            total: row.rows_total,
            done: row.rows_done,
        },
        (None, None) => UploadState::Waiting,
    };
    Ok(Upload {
        id: row.id,
        portfolio_id: row.portfolio_id,
        source: row.source,
        points_per_week: row.points_per_week,
        file_name: row.file_name,
        body: row.body,
        state,
    })
}

/// Marks the caller's upload started, unless it is running or imported already: whether this
/// call started it (a second click of "Import" starts nothing).
pub async fn start(pool: &super::TenantPool, caller: &Caller, id: Uuid) -> Result<bool, AppError> {
    let started = sqlx::query_scalar!(
        "UPDATE import_uploads SET started_at = now(), rows_total = NULL, rows_done = 0, failure = NULL
         WHERE org_id = $1 AND id = $2 AND created_by = $3 AND report IS NULL
           AND (started_at IS NULL OR failure IS NOT NULL OR started_at < now() - make_interval(mins => $4))
         RETURNING id",
        caller.org_id,
        id,
        caller.user_id,
        STALLED_AFTER_MINUTES
    )
    .fetch_optional(pool)
    .await?;
    Ok(started.is_some())
}

/// Records why the upload's import failed (it wrote nothing).
pub async fn fail(pool: &super::TenantPool, caller: &Caller, id: Uuid, why: &str) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE import_uploads SET failure = $3 WHERE org_id = $1 AND id = $2",
        caller.org_id,
        id,
        why
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Imports the caller's upload for real, telling its progress on the upload's row, which keeps
/// the report once it is done.
pub async fn import_upload(
    pool: &super::TenantPool,
    caller: &Caller,
    upload: &Upload,
    read: Rows,
) -> Result<ImportReport, AppError> {
    let progress = Progress {
        pool: pool.clone(),
        org_id: caller.org_id,
        upload_id: upload.id,
    };
    rows(pool, caller, upload.portfolio_id, read, false, Some(&progress)).await
}
