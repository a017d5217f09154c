//! The organization a database transaction works for. Every tenant table's row-level security
//! (migrations/0011_row_level_security.sql) shows and accepts only the rows of the organization
//! named by the transaction's `cairn.org_id` setting; without it a query sees nothing.
//!
//! Tenant queries take a `TenantPool`: the serving pool bound to one organization. Each statement
//! run on it directly is a transaction of its own with the organization set, and `begin` starts a
//! longer one; so queries that ran concurrently on the pool still do, each on its own connection.

use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use sqlx::postgres::{PgQueryResult, PgRow, PgStatement, PgTypeInfo};
use sqlx::{Describe, Either, Execute, Executor, PgPool, Postgres};
use uuid::Uuid;

use super::Tx;

/// Starts a transaction working for `org_id`: BEGIN and the setting in one round trip.
pub async fn begin(pool: &PgPool, org_id: Uuid) -> Result<Tx<'static>, sqlx::Error> {
    // `begin_with` sends its text as one simple query, which takes no parameters; a UUID's text is
    // hex digits and dashes, so writing it into the statement is safe. SET LOCAL ends with the
    // transaction: the connection goes back to the pool working for no one.
    super::begin_with(pool, format!("BEGIN; SET LOCAL cairn.org_id = '{org_id}'")).await
}

/// A read-only transaction on one snapshot (REPEATABLE READ), its statements run on their
/// generic plans (`plan_cache_mode`): for reads whose parts must agree with each other and with the
/// data version they read (`super::DataStamp`), and whose every statement is known to run as well
/// on a generic plan: the roll-up and the shared roadmap. Under READ COMMITTED each statement would
/// see the commits made since the one before. Left to choose, PostgreSQL kept planning the
/// roll-up's statements afresh on every request, since row-level security makes a generic plan
/// look dearer than it is: at 100k initiatives planning took 1.2 ms of a roll-up page's 3.3 ms in
/// the database, and the generic plans ran as fast (pg_stat_statements with `track_planning`, root
/// and PM-level pages alike). Not for every statement: the initiative list's optional filters need
/// the plan made for the filters given (a generic one scanned the whole organization, 2.4 s).
pub async fn begin_snapshot(pool: &PgPool, org_id: Uuid) -> Result<Tx<'static>, sqlx::Error> {
    super::begin_with(
        pool,
        format!(
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET LOCAL cairn.org_id = '{org_id}'; \
             SET LOCAL plan_cache_mode = force_generic_plan"
        ),
    )
    .await
}

/// A read-only transaction on one snapshot whose statements are planned for the values given, as
/// outside a transaction: for reads whose parts must add up and that run the initiative list's
/// searches, which need such plans (`begin_snapshot`) — priorities' page and the rows above it.
pub async fn begin_consistent(pool: &PgPool, org_id: Uuid) -> Result<Tx<'static>, sqlx::Error> {
    super::begin_with(
        pool,
        format!("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET LOCAL cairn.org_id = '{org_id}'"),
    )
    .await
}

/// Sets the organization of a transaction that only learns it midway: one that creates the
/// organization (sign-up, the demo, a seed), or that found it by a digest first.
pub async fn set(tx: &mut Tx<'_>, org_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT set_config('cairn.org_id', $1, true)")
        .bind(org_id.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The serving pool, working for one organization.
#[derive(Clone, Debug)]
pub struct TenantPool {
    pool: PgPool,
    org_id: Uuid,
}

impl TenantPool {
    pub fn new(pool: PgPool, org_id: Uuid) -> TenantPool {
        TenantPool { pool, org_id }
    }

    pub fn org_id(&self) -> Uuid {
        self.org_id
    }

    /// A transaction working for this organization.
    pub async fn begin(&self) -> Result<Tx<'static>, sqlx::Error> {
        begin(&self.pool, self.org_id).await
    }

    /// A read-only transaction on one snapshot, for this organization (`begin_snapshot`).
    pub async fn begin_snapshot(&self) -> Result<Tx<'static>, sqlx::Error> {
        begin_snapshot(&self.pool, self.org_id).await
    }

    /// A read-only transaction on one snapshot, custom plans (`begin_consistent`).
    pub async fn begin_consistent(&self) -> Result<Tx<'static>, sqlx::Error> {
        begin_consistent(&self.pool, self.org_id).await
    }
}

/// Where a write starts its transaction: the tenant pool (a transaction of its own, working for
/// the pool's organization) or a transaction already open (a savepoint in it, so that what the
/// caller writes besides — an idempotency key — commits or rolls back with the write).
pub trait Begin<'a>: Send {
    fn begin(self) -> BoxFuture<'a, Result<Tx<'a>, sqlx::Error>>;
}

impl<'a> Begin<'a> for &'a TenantPool {
    fn begin(self) -> BoxFuture<'a, Result<Tx<'a>, sqlx::Error>> {
        Box::pin(async move { TenantPool::begin(self).await })
    }
}

impl<'a, 'c: 'a> Begin<'a> for &'a mut Tx<'c> {
    fn begin(self) -> BoxFuture<'a, Result<Tx<'a>, sqlx::Error>> {
        sqlx::Acquire::begin(self)
    }
}

/// A statement run on the tenant pool is a transaction of its own: begin (with the organization),
/// the statement, commit. Its rows are collected before the commit, as `fetch_all` would anyway.
impl<'p> Executor<'p> for &'_ TenantPool {
    type Database = Postgres;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<PgQueryResult, PgRow>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        let tenant = self.clone();
        let results = async move {
            let mut tx = tenant.begin().await?;
            let results: Vec<_> = tx.fetch_many(query).try_collect().await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(results)
        };
        stream::once(results)
            .map_ok(|results| stream::iter(results.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<PgRow>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        let tenant = self.clone();
        Box::pin(async move {
            let mut tx = tenant.begin().await?;
            let row = tx.fetch_optional(query).await?;
            tx.commit().await?;
            Ok(row)
        })
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [PgTypeInfo],
    ) -> BoxFuture<'e, Result<PgStatement<'q>, sqlx::Error>>
    where
        'p: 'e,
    {
        let pool = self.pool.clone();
        Box::pin(async move { pool.prepare_with(sql, parameters).await })
    }

    fn describe<'e, 'q: 'e>(self, sql: &'q str) -> BoxFuture<'e, Result<Describe<Postgres>, sqlx::Error>>
    where
        'p: 'e,
    {
        let pool = self.pool.clone();
        Box::pin(async move { pool.describe(sql).await })
    }
}
