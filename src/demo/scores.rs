//! Scores for the demo and for `cairn seed` (SPEC §8): the benefit unit, a three-driver scorecard,
//! and WSJF's cost of delay, a benefit and driver values on most open initiatives. Set-based SQL
//! over the organization's initiatives, drawn from each initiative's key number so that a load is
//! the same every time and as fast at 100,000 initiatives as at 100.

use uuid::Uuid;

use crate::db::Tx;

/// What MoAR's benefit is counted in at the demo's company.
pub(crate) const BENEFIT_UNIT: &str = "k€ ARR";

/// The scorecard: name, weight, max.
const DRIVERS: [(&str, i32, i16); 3] = [
    ("Strategic fit", 3, 5),
    ("Customer demand", 2, 10),
    ("Revenue", 1, 5),
];

/// Plants the scores into `org_id`'s initiatives, after they are inserted.
pub(crate) async fn plant(tx: &mut Tx<'_>, org_id: Uuid) -> anyhow::Result<()> {
    sqlx::query!(
        "UPDATE organizations SET benefit_unit = $2 WHERE id = $1",
        org_id,
        BENEFIT_UNIT
    )
    .execute(&mut **tx)
    .await?;
    for (position, (name, weight, max)) in DRIVERS.into_iter().enumerate() {
        sqlx::query!(
            "INSERT INTO scorecard_drivers (org_id, id, name, weight, max, position) VALUES ($1, $2, $3, $4, $5, $6)",
            org_id,
            Uuid::now_v7(),
            name,
            rust_decimal::Decimal::from(weight),
            max,
            position as i32
        )
        .execute(&mut **tx)
        .await?;
    }
    // Four open initiatives in five get WSJF's three fields and a benefit; the scale's low end is
    // drawn more often, as in real backlogs.
    sqlx::query!(
        "UPDATE initiatives SET
             business_value = (ARRAY[1, 2, 3, 3, 5, 5, 8, 13, 20])[1 + (number * 7) % 9],
             time_criticality = (ARRAY[1, 1, 2, 3, 5, 8, 13, 20])[1 + (number * 5 + 3) % 8],
             risk_reduction = (ARRAY[1, 2, 2, 3, 5, 8, 13])[1 + (number * 3 + 1) % 7],
             benefit = ((number * 37) % 400 + 10) * 5
         WHERE org_id = $1 AND initiative_is_open(status) AND number % 5 <> 0",
        org_id
    )
    .execute(&mut **tx)
    .await?;
    // Three in four get a value on each driver (0…max).
    sqlx::query!(
        "INSERT INTO initiative_driver_values (org_id, initiative_id, driver_id, value)
         SELECT i.org_id, i.id, d.id, ((i.number * (d.position + 3) + d.position) % (d.max + 1))::smallint
         FROM initiatives i JOIN scorecard_drivers d ON d.org_id = i.org_id
         WHERE i.org_id = $1 AND initiative_is_open(i.status) AND i.number % 4 <> 0",
        org_id
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!("SELECT refresh_scorecard_values($1, NULL)", org_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
