//! Reading a digest (SPEC §12): what changed in a subtree since a day, on one snapshot. Each list
//! starts from what the period wrote — the organization's status updates, target-date changes
//! (migrations/0029_digest.sql) and new initiatives since the day, by their time indexes — and keeps
//! what lies in the subtree, so a week costs what the week wrote, whatever the organization's size.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::TenantPool;
use crate::domain::digest::{
    Digest, DigestCheckIn, DigestUpdate, InitiativeRef, LIST_LIMIT, Moment, Named, NewConflict, Slip,
};
use crate::domain::period::start_of_day;
use crate::domain::{Health, Status};
use crate::error::AppError;

/// The initiative a row selecting its `id`, `key` and `title` names.
macro_rules! initiative_ref {
    ($r:ident) => {
        InitiativeRef {
            id: $r.id,
            key: $r.key,
            title: $r.title,
        }
    };
}

pub async fn read(pool: &TenantPool, portfolio_id: Uuid, since: NaiveDate) -> Result<Digest, AppError> {
    let org_id = pool.org_id();
    let from: DateTime<Utc> = start_of_day(since);
    let mut tx = pool.begin_snapshot().await?;
    let name = sqlx::query_scalar!(
        "SELECT name FROM portfolios WHERE org_id = $1 AND id = $2",
        org_id,
        portfolio_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let updates = sqlx::query!(
        r#"SELECT i.id, i.key, i.title, u.name AS "author?", s.created_at, s.note,
                  s.status AS "status: Status", s.health AS "health: Health",
                  s.previous_status AS "previous_status: Status", s.previous_health AS "previous_health: Health"
           FROM status_updates s
           JOIN initiatives i ON i.org_id = s.org_id AND i.id = s.initiative_id
           LEFT JOIN users u ON u.id = s.author_id
           WHERE s.org_id = $1 AND s.created_at >= $3
             AND (s.status <> s.previous_status OR s.health <> s.previous_health OR s.note IS NOT NULL)
             AND (SELECT true FROM portfolio_closure c
                  WHERE c.org_id = $1 AND c.ancestor_id = $2 AND c.descendant_id = i.portfolio_id)
           ORDER BY s.created_at DESC, s.id DESC
           LIMIT $4"#,
        org_id,
        portfolio_id,
        from,
        LIST_LIMIT
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| DigestUpdate {
        initiative: initiative_ref!(r),
        at: r.created_at,
        author: r.author,
        previous_status: r.previous_status,
        status: r.status,
        previous_health: r.previous_health,
        health: r.health,
        note: r.note,
    })
    .collect::<Vec<_>>();
    // Started and finished: the updates that moved work into in progress or done.
    let mut started = Vec::new();
    let mut finished = Vec::new();
    for r in sqlx::query!(
        r#"SELECT i.id, i.key, i.title, s.created_at, s.status AS "status: Status"
           FROM status_updates s
           JOIN initiatives i ON i.org_id = s.org_id AND i.id = s.initiative_id
           WHERE s.org_id = $1 AND s.created_at >= $3
             AND s.status IN ('in_progress', 'done') AND s.status <> s.previous_status
             AND (SELECT true FROM portfolio_closure c
                  WHERE c.org_id = $1 AND c.ancestor_id = $2 AND c.descendant_id = i.portfolio_id)
           ORDER BY s.created_at DESC, s.id DESC
           LIMIT $4"#,
        org_id,
        portfolio_id,
        from,
        2 * LIST_LIMIT
    )
    .fetch_all(&mut *tx)
    .await?
    {
        let moment = Moment {
            initiative: initiative_ref!(r),
            at: r.created_at,
        };
        let list = if r.status == Status::Done {
            &mut finished
        } else {
            &mut started
        };
        if (list.len() as i64) < LIST_LIMIT {
            list.push(moment);
        }
    }
    let slipped = sqlx::query!(
        r#"WITH first_change AS (
               SELECT DISTINCT ON (t.initiative_id) t.initiative_id, t.previous_target
               FROM initiative_target_changes t
               WHERE t.org_id = $1 AND t.changed_at >= $3
               ORDER BY t.initiative_id, t.changed_at, t.id
           )
           SELECT i.id, i.key, i.title, f.previous_target AS "from!", i.target_date AS "to!"
           FROM first_change f
           JOIN initiatives i ON i.org_id = $1 AND i.id = f.initiative_id
           WHERE i.target_date > f.previous_target
             AND (SELECT true FROM portfolio_closure c
                  WHERE c.org_id = $1 AND c.ancestor_id = $2 AND c.descendant_id = i.portfolio_id)
           ORDER BY i.target_date - f.previous_target DESC, i.number
           LIMIT $4"#,
        org_id,
        portfolio_id,
        from,
        LIST_LIMIT
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| Slip {
        initiative: initiative_ref!(r),
        days: (r.to - r.from).num_days(),
        from: r.from,
        to: r.to,
    })
    .collect();
    let added = sqlx::query!(
        r#"SELECT i.id, i.key, i.title, i.created_at FROM initiatives i
           WHERE i.org_id = $1 AND i.created_at >= $3
             AND (SELECT true FROM portfolio_closure c
                  WHERE c.org_id = $1 AND c.ancestor_id = $2 AND c.descendant_id = i.portfolio_id)
           ORDER BY i.created_at DESC, i.number DESC
           LIMIT $4"#,
        org_id,
        portfolio_id,
        from,
        LIST_LIMIT
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| Moment {
        initiative: initiative_ref!(r),
        at: r.created_at,
    })
    .collect();
    let check_ins = sqlx::query!(
        r#"SELECT k.id, k.title, o.id AS objective_id, o.title AS objective_title, k.unit, ci.value,
                  ci.previous_value, ci.note, ci.created_at, u.name AS "author?"
           FROM portfolio_closure c
           JOIN objectives o ON o.org_id = c.org_id AND o.portfolio_id = c.descendant_id
           JOIN key_results k ON k.org_id = o.org_id AND k.objective_id = o.id
           JOIN key_result_check_ins ci ON ci.org_id = k.org_id AND ci.key_result_id = k.id
           LEFT JOIN users u ON u.id = ci.author_id
           WHERE c.org_id = $1 AND c.ancestor_id = $2 AND ci.created_at >= $3
           ORDER BY ci.created_at DESC, ci.id DESC
           LIMIT $4"#,
        org_id,
        portfolio_id,
        from,
        LIST_LIMIT
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| DigestCheckIn {
        key_result: Named {
            id: r.id,
            name: r.title,
        },
        objective: Named {
            id: r.objective_id,
            name: r.objective_title,
        },
        at: r.created_at,
        author: r.author,
        previous_value: r.previous_value,
        value: r.value,
        unit: r.unit,
        note: r.note,
    })
    .collect();
    let conflicts = sqlx::query!(
        r#"SELECT i.id, i.key, i.title, i.dependency_conflict_since AS "since!",
                  ARRAY(SELECT b.key FROM initiative_dependencies l
                        JOIN initiatives b ON b.org_id = l.org_id AND b.id = l.blocker_id
                        WHERE l.org_id = $1 AND l.dependent_id = i.id
                          AND dependency_in_conflict(b.status, b.target_date, i.status, i.start_date)
                        ORDER BY b.number) AS "blockers!"
           FROM initiatives i
           WHERE i.org_id = $1 AND i.dependency_conflict AND i.dependency_conflict_since >= $3
             AND (SELECT true FROM portfolio_closure c
                  WHERE c.org_id = $1 AND c.ancestor_id = $2 AND c.descendant_id = i.portfolio_id)
           ORDER BY i.dependency_conflict_since DESC, i.number
           LIMIT $4"#,
        org_id,
        portfolio_id,
        from,
        LIST_LIMIT
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| NewConflict {
        initiative: initiative_ref!(r),
        since: r.since,
        blockers: r.blockers,
    })
    .collect();
    tx.commit().await?;
    Ok(Digest {
        portfolio: Named {
            id: portfolio_id,
            name,
        },
        since,
        updates,
        slipped,
        added,
        started,
        finished,
        check_ins,
        conflicts,
    })
}
