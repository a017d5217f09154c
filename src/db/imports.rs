//! Imports (SPEC §12): a Jira CSV export into a portfolio. Each planned initiative is created, or
//! updated when an initiative already carries its `external_ref` (migrations/0030); a row with an
//! error is reported and skipped, never stopping the others. A dry run answers the same and writes
//! nothing; a real run writes everything in one transaction, set-based, with the history an edit
//! writes for every change of status or progress.

use std::collections::HashMap;

use serde::Serialize;
use uuid::Uuid;

use super::tenant::Begin;
use super::users::Caller;
use crate::domain::initiative::{InitiativeChanges, InitiativeValues};
use crate::domain::jira::Planned;
use crate::domain::{Health, Status};
use crate::error::AppError;

/// What the import does with a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    /// Already as the file has it.
    Unchanged,
    /// Refused for its errors; the others go ahead.
    Skip,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ImportRow {
    /// The line of the file the issue starts on.
    pub row: u64,
    pub key: String,
    pub action: Action,
    pub errors: Vec<String>,
}

/// `{create, update, rows}` (SPEC §12), and whether it was a dry run.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    pub create: i64,
    pub update: i64,
    pub rows: Vec<ImportRow>,
}

/// An initiative already imported: what the file may change of it.
struct Existing {
    id: Uuid,
    values: InitiativeValues,
}

/// Imports `planned` into `portfolio_id` for whoever may edit it; an initiative imported before
/// is updated where it is, when it lies in the portfolio's subtree.
pub async fn jira(
    db: impl Begin<'_>,
    caller: &Caller,
    portfolio_id: Uuid,
    planned: Vec<Planned>,
    dry_run: bool,
) -> Result<ImportReport, AppError> {
    let org_id = caller.org_id;
    let mut tx = db.begin().await?;
    sqlx::query_scalar!(
        "SELECT id FROM portfolios WHERE org_id = $1 AND id = $2",
        org_id,
        portfolio_id
    )
    .fetch_one(&mut *tx)
    .await?;
    super::permissions::require_portfolio_editor(&mut *tx, caller, portfolio_id).await?;
    let refs: Vec<String> = planned.iter().map(Planned::external_ref).collect();
    // Locked, so that two imports of one file wait for each other rather than both creating.
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended($1::uuid::text || ':imports', 0))",
        org_id
    )
    .execute(&mut *tx)
    .await?;
    let existing: HashMap<String, (Option<Existing>, bool)> = sqlx::query!(
        r#"SELECT i.external_ref AS "external_ref!", i.id, i.title, i.description, i.portfolio_id, i.owner_id,
                  i.theme_id, i.status AS "status: Status", i.health AS "health: Health", i.progress, i.effort,
                  i.budget, i.start_date, i.target_date, i.reach, i.impact, i.confidence, i.business_value,
                  i.time_criticality, i.risk_reduction, i.benefit,
                  EXISTS (SELECT 1 FROM portfolio_closure c
                          WHERE c.org_id = i.org_id AND c.ancestor_id = $3 AND c.descendant_id = i.portfolio_id)
                      AS "inside!"
           FROM initiatives i WHERE i.org_id = $1 AND i.external_ref = ANY($2)
           FOR UPDATE"#,
        org_id,
        &refs,
        portfolio_id
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| {
        let inside = r.inside;
        let reference = r.external_ref.clone();
        let values = super::initiatives::values_from_row!(r);
        (reference, (Some(Existing { id: r.id, values }), inside))
    })
    .collect();

    let mut report = ImportReport {
        dry_run,
        create: 0,
        update: 0,
        rows: Vec::with_capacity(planned.len()),
    };
    let mut creates: Vec<(String, InitiativeValues)> = Vec::new();
    let mut updates: Vec<(Uuid, InitiativeValues, InitiativeValues)> = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for row in planned {
        let mut errors = row.errors.clone();
        if let Some(first) = seen.insert(row.key.clone(), row.line) {
            errors.push(format!("repeats {} of line {first}", row.key));
        }
        let changes = InitiativeChanges {
            title: Some(row.title.clone()),
            description: Some(Some(row.description.clone())),
            portfolio_id: Some(portfolio_id),
            status: Some(row.status),
            progress: Some(row.progress),
            effort: Some(row.effort),
            start_date: Some(row.start),
            target_date: Some(row.target),
            ..InitiativeChanges::default()
        };
        let found = existing.get(&row.external_ref());
        let action = match found {
            Some((Some(current), inside)) => {
                if !inside {
                    errors.push(format!(
                        "{} was imported into another portfolio, outside this one: import it there",
                        row.key
                    ));
                }
                // Where it is now: an import does not move work.
                let changes = InitiativeChanges {
                    portfolio_id: None,
                    ..changes
                };
                match changes.apply(Some(&current.values)) {
                    Err(invalid) => push_errors(&mut errors, &invalid),
                    Ok(values) if errors.is_empty() && values != current.values => {
                        updates.push((current.id, current.values.clone(), values));
                    }
                    Ok(_) => {}
                }
                if !errors.is_empty() {
                    Action::Skip
                } else if updates.last().is_some_and(|(id, _, _)| *id == current.id) {
                    Action::Update
                } else {
                    Action::Unchanged
                }
            }
            _ => match changes.apply(None) {
                Err(invalid) => {
                    push_errors(&mut errors, &invalid);
                    Action::Skip
                }
                Ok(_) if !errors.is_empty() => Action::Skip,
                Ok(values) => {
                    creates.push((row.external_ref(), values));
                    Action::Create
                }
            },
        };
        match action {
            Action::Create => report.create += 1,
            Action::Update => report.update += 1,
            _ => {}
        }
        report.rows.push(ImportRow {
            row: row.line,
            key: row.key,
            action,
            errors,
        });
    }
    if dry_run {
        return Ok(report);
    }
    create_all(&mut tx, caller, &creates).await?;
    update_all(&mut tx, caller, &updates).await?;
    tx.commit().await?;
    Ok(report)
}

fn push_errors(errors: &mut Vec<String>, invalid: &crate::domain::FieldErrors) {
    for (field, messages) in invalid.iter() {
        for message in messages {
            errors.push(format!("{field} {message}"));
        }
    }
}

/// Inserts the new initiatives in one statement, their keys numbered from the organization's
/// counter in the file's order.
async fn create_all(
    tx: &mut super::Tx<'_>,
    caller: &Caller,
    creates: &[(String, InitiativeValues)],
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
    let refs: Vec<&str> = creates.iter().map(|(r, _)| r.as_str()).collect();
    let column = |f: fn(&InitiativeValues) -> String| creates.iter().map(|(_, v)| f(v)).collect::<Vec<_>>();
    let titles = column(|v| v.title.clone());
    let descriptions = column(|v| v.description.clone());
    let statuses = column(|v| v.status.as_str().to_owned());
    let portfolios: Vec<Uuid> = creates.iter().map(|(_, v)| v.portfolio_id).collect();
    let progress: Vec<i16> = creates.iter().map(|(_, v)| v.progress).collect();
    let efforts: Vec<f64> = creates.iter().map(|(_, v)| v.effort).collect();
    let starts: Vec<Option<chrono::NaiveDate>> = creates.iter().map(|(_, v)| v.start_date).collect();
    let targets: Vec<Option<chrono::NaiveDate>> = creates.iter().map(|(_, v)| v.target_date).collect();
    sqlx::query!(
        "INSERT INTO initiatives (org_id, id, title, description, portfolio_id, status, health, progress, effort,
                                  start_date, target_date, number, key, external_ref, updated_by)
         SELECT $1, r.id, r.title, r.description, r.portfolio_id, r.status, 'on_track', r.progress, r.effort,
                r.start_date, r.target_date, r.number, r.key, r.external_ref, $13
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::smallint[], $8::float8[],
                     $9::date[], $10::date[], $11::bigint[], $12::text[], $14::text[])
              AS r (id, title, description, portfolio_id, status, progress, effort, start_date, target_date,
                    number, key, external_ref)",
        caller.org_id,
        &ids,
        &titles,
        &descriptions,
        &portfolios,
        &statuses,
        &progress,
        &efforts,
        &starts as &[Option<chrono::NaiveDate>],
        &targets as &[Option<chrono::NaiveDate>],
        &numbers,
        &keys,
        caller.user_id,
        &refs as &[&str]
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Updates the imported initiatives that changed in one statement, and writes the history an edit
/// would for each change of status or progress.
async fn update_all(
    tx: &mut super::Tx<'_>,
    caller: &Caller,
    updates: &[(Uuid, InitiativeValues, InitiativeValues)],
) -> Result<(), AppError> {
    if updates.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = updates.iter().map(|(id, _, _)| *id).collect();
    let after = |f: fn(&InitiativeValues) -> String| updates.iter().map(|(_, _, v)| f(v)).collect::<Vec<_>>();
    let titles = after(|v| v.title.clone());
    let descriptions = after(|v| v.description.clone());
    let statuses = after(|v| v.status.as_str().to_owned());
    let progress: Vec<i16> = updates.iter().map(|(_, _, v)| v.progress).collect();
    let efforts: Vec<f64> = updates.iter().map(|(_, _, v)| v.effort).collect();
    let starts: Vec<Option<chrono::NaiveDate>> = updates.iter().map(|(_, _, v)| v.start_date).collect();
    let targets: Vec<Option<chrono::NaiveDate>> = updates.iter().map(|(_, _, v)| v.target_date).collect();
    sqlx::query!(
        "WITH input AS (
             SELECT * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::smallint[], $7::float8[],
                                  $8::date[], $9::date[])
                 AS r (id, title, description, status, progress, effort, start_date, target_date)
         ), before AS (
             SELECT i.id, i.status, i.health, i.progress FROM initiatives i JOIN input r ON r.id = i.id
             WHERE i.org_id = $1
         ), updated AS (
             UPDATE initiatives i
             SET title = r.title, description = r.description, status = r.status, progress = r.progress,
                 effort = r.effort, start_date = r.start_date, target_date = r.target_date,
                 version = i.version + 1, updated_at = now(), updated_by = $10
             FROM input r WHERE i.org_id = $1 AND i.id = r.id
             RETURNING i.id, i.status, i.health, i.progress
         )
         INSERT INTO status_updates (org_id, id, initiative_id, author_id, created_at, note, status, health,
                                     progress, previous_status, previous_health, previous_progress)
         SELECT $1, gen_random_uuid(), u.id, $10, clock_timestamp(), 'Imported from Jira', u.status, u.health,
                u.progress, b.status, b.health, b.progress
         FROM updated u JOIN before b ON b.id = u.id
         WHERE (u.status, u.progress) IS DISTINCT FROM (b.status, b.progress)",
        caller.org_id,
        &ids,
        &titles,
        &descriptions,
        &statuses,
        &progress,
        &efforts,
        &starts as &[Option<chrono::NaiveDate>],
        &targets as &[Option<chrono::NaiveDate>],
        caller.user_id
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A file uploaded on the import page, waiting for its dry run to be confirmed.
pub struct Upload {
    pub id: Uuid,
    pub portfolio_id: Uuid,
    pub points_per_week: f64,
    pub file_name: String,
    pub body: String,
}

/// Keeps an uploaded file for its uploader's confirmation, for whoever may edit the portfolio;
/// uploads of the organization older than a day go.
pub async fn keep(
    db: impl Begin<'_>,
    caller: &Caller,
    portfolio_id: Uuid,
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
        "INSERT INTO import_uploads (org_id, id, portfolio_id, points_per_week, file_name, body, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        caller.org_id,
        id,
        portfolio_id,
        points_per_week,
        name,
        body,
        caller.user_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The caller's own upload `id`; anyone else's is not there (404).
pub async fn upload(pool: &super::TenantPool, caller: &Caller, id: Uuid) -> Result<Upload, AppError> {
    Ok(sqlx::query_as!(
        Upload,
        "SELECT id, portfolio_id, points_per_week, file_name, body FROM import_uploads
         WHERE org_id = $1 AND id = $2 AND created_by = $3",
        caller.org_id,
        id,
        caller.user_id
    )
    .fetch_one(pool)
    .await?)
}

/// Imports the caller's upload for real and forgets it, in one transaction.
pub async fn import_upload(
    pool: &super::TenantPool,
    caller: &Caller,
    upload: &Upload,
    planned: Vec<Planned>,
) -> Result<ImportReport, AppError> {
    let mut tx = pool.begin().await?;
    let report = jira(&mut tx, caller, upload.portfolio_id, planned, false).await?;
    sqlx::query!(
        "DELETE FROM import_uploads WHERE org_id = $1 AND id = $2",
        caller.org_id,
        upload.id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(report)
}
