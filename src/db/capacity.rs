//! STUB until the capacity branch lands: replaced by its module.
use rust_decimal::Decimal;
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::domain::period::Period;
use crate::error::AppError;

pub async fn subtree_capacity(
    _executor: impl PgExecutor<'_>,
    _org_id: Uuid,
    _portfolio_id: Uuid,
    _period: &Period,
) -> Result<Decimal, AppError> {
    Ok(Decimal::ZERO)
}
