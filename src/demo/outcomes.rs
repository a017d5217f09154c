//! Outcomes for the demo and for `cairn seed` (SPEC §11): two to four KPIs on every product with a
//! year of monthly values — some reach their targets, some fall short, a few get worse — and
//! customer feedback from named accounts, most of it linked to the open work it asks for, the
//! newest left in the inbox. Drawn from each product's and initiative's place in the organization's
//! order, so a load is the same every time; a few set-based statements at any size.

use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::db::Tx;

/// A KPI a product may have: name, unit, direction, a year ago, target, change per month.
type KpiKind = (&'static str, &'static str, &'static str, f64, f64, f64);

const KPIS: [KpiKind; 8] = [
    ("Net revenue retention", "%", "increase", 96.0, 105.0, 0.9),
    ("Monthly active users", "k", "increase", 40.0, 60.0, 1.8),
    ("Trial-to-paid conversion", "%", "increase", 2.1, 3.0, 0.08),
    ("Monthly churn", "%", "decrease", 3.6, 2.0, -0.15),
    ("NPS", "pts", "increase", 28.0, 40.0, 1.1),
    ("Tickets per 1k users", "", "decrease", 18.0, 12.0, -0.5),
    ("Checkout completion", "%", "increase", 61.0, 70.0, 0.7),
    ("Time to first value", "days", "decrease", 9.0, 5.0, -0.3),
];

/// How a product's KPIs moved over the year, as a share of the pace that reaches the target:
/// ahead, short of it, going the wrong way.
const PACES: [f64; 5] = [1.3, 0.6, 1.1, -0.4, 0.8];

/// The accounts that give feedback, with what each is worth (major units).
const CUSTOMERS: [(&str, i64); 40] = [
    ("Acme Logistics", 480_000),
    ("Bluefin Retail", 120_000),
    ("Cobalt Health", 350_000),
    ("Dunmore Foods", 45_000),
    ("Evergreen Bank", 900_000),
    ("Fjord Travel", 60_000),
    ("Granite Insurance", 410_000),
    ("Harbor Freight Co", 75_000),
    ("Ionic Labs", 30_000),
    ("Juniper Schools", 25_000),
    ("Kestrel Aviation", 260_000),
    ("Lumen Energy", 190_000),
    ("Meridian Hotels", 140_000),
    ("Northstar Media", 55_000),
    ("Orchard Grocers", 85_000),
    ("Pinnacle Telecom", 620_000),
    ("Quarry Builders", 40_000),
    ("Redwood Pharma", 530_000),
    ("Sable Fashion", 70_000),
    ("Tidewater Ports", 150_000),
    ("Umbra Security", 95_000),
    ("Vantage Motors", 300_000),
    ("Willow Clinics", 65_000),
    ("Xenon Games", 35_000),
    ("Yarrow Farms", 20_000),
    ("Zephyr Airlines", 700_000),
    ("Alder & Co", 50_000),
    ("Beacon Credit Union", 110_000),
    ("Cedar Publishing", 28_000),
    ("Delta Water", 160_000),
    ("Ember Restaurants", 42_000),
    ("Falcon Couriers", 88_000),
    ("Glacier Outdoor", 33_000),
    ("Helix Biotech", 275_000),
    ("Indigo Apparel", 47_000),
    ("Jasper Realty", 58_000),
    ("Kite Payments", 220_000),
    ("Larch Universities", 130_000),
    ("Mosaic Museums", 18_000),
    ("Nimbus Cloud", 390_000),
];

/// What customers write about the work they ask for; `{}` is the initiative's title.
const ASKS: [&str; 6] = [
    "We need {} before our renewal in the spring.",
    "Our team keeps asking when {} ships; it blocks the rollout to two more regions.",
    "{} would let us retire a spreadsheet three teams maintain by hand.",
    "Procurement made {} a condition for the next contract year.",
    "Is {} on the roadmap? Our admins lose hours a week without it.",
    "Happy with the product, but {} is the one thing our users mention in every review.",
];

/// Requests that no initiative answers yet: the inbox's work.
const UNANSWERED: [&str; 10] = [
    "Please add an export of every report to Excel with our own column order.",
    "Single sign-on with our Okta tenant is a must for the security review.",
    "Could invoices show the purchase order number our finance team needs?",
    "The mobile app should work offline in our warehouses.",
    "We would like audit logs we can stream into our SIEM.",
    "Let managers approve requests from the email notification itself.",
    "Our auditors ask for data residency in the EU.",
    "A dark mode would help our night shift.",
    "Bulk edit for more than a hundred records at once, please.",
    "Webhooks when an order changes status, so our ERP stays in step.",
];

const SOURCES: [&str; 5] = [
    "Sales call",
    "Support ticket",
    "Quarterly business review",
    "Customer advisory board",
    "In-app feedback",
];

/// Importance per item, cycling: mostly important, some critical, some nice to have.
const IMPORTANCE: [&str; 5] = [
    "important",
    "nice_to_have",
    "critical",
    "important",
    "nice_to_have",
];

/// How many feedback items an organization of `initiatives` gets: 150 for the demo, more in a
/// large seed, so the inbox and the demand column look the same at any size.
pub(crate) fn feedback_items(initiatives: usize) -> usize {
    (initiatives / 10).max(150)
}

/// Plants KPIs on every product and `items` feedback items, by `author`, as of `today`.
pub(crate) async fn plant(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    author: Uuid,
    today: NaiveDate,
    items: usize,
) -> anyhow::Result<()> {
    plant_kpis(tx, org_id, author, today).await?;
    plant_feedback(tx, org_id, author, items).await
}

/// The last day of each of the twelve months before `today`'s, oldest first.
fn month_ends(today: NaiveDate) -> Vec<NaiveDate> {
    let first_of_this_month = today.with_day(1).expect("day 1 exists");
    let mut ends: Vec<NaiveDate> = (0..12)
        .scan(first_of_this_month, |first, _| {
            let end = *first - Duration::days(1);
            *first = end.with_day(1).expect("day 1 exists");
            Some(end)
        })
        .collect();
    ends.reverse();
    ends
}

async fn plant_kpis(tx: &mut Tx<'_>, org_id: Uuid, author: Uuid, today: NaiveDate) -> anyhow::Result<()> {
    let products = sqlx::query_scalar!(
        "SELECT id FROM portfolios WHERE org_id = $1 AND level = 'product' ORDER BY id",
        org_id
    )
    .fetch_all(&mut **tx)
    .await?;
    let months = month_ends(today);
    let (mut ids, mut portfolios, mut names, mut units, mut directions, mut targets) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut value_kpis, mut value_dates, mut values) = (vec![], vec![], vec![]);
    for (p, &product) in products.iter().enumerate() {
        let count = 2 + p % 3;
        for k in 0..count {
            let (name, unit, direction, start, target, step) = KPIS[(p * 3 + k) % KPIS.len()];
            let pace = PACES[(p + k) % PACES.len()];
            let id = Uuid::now_v7();
            ids.push(id);
            portfolios.push(product);
            names.push(name);
            units.push(unit);
            directions.push(direction);
            targets.push(decimal(target));
            // The newest product has no values yet: "no data" shows on its cards.
            if p + 1 == products.len() && products.len() > 1 && k == 0 {
                continue;
            }
            for (m, &date) in months.iter().enumerate() {
                // A month's noise, the same every load: up and down around the trend.
                let wiggle = ((m * 7 + p * 3 + k) % 5) as f64 - 2.0;
                let value = start + step * pace * m as f64 + wiggle * step.abs() * 0.6;
                value_kpis.push(id);
                value_dates.push(date);
                values.push(decimal(value));
            }
        }
    }
    sqlx::query!(
        "INSERT INTO kpis (org_id, id, portfolio_id, name, unit, direction, target)
         SELECT $1, * FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::numeric[])",
        org_id,
        &ids,
        &portfolios,
        &names as &[&str],
        &units as &[&str],
        &directions as &[&str],
        &targets
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        "INSERT INTO kpi_values (org_id, kpi_id, date, value, recorded_by)
         SELECT $1, k, d, v, $5 FROM unnest($2::uuid[], $3::date[], $4::numeric[]) AS r (k, d, v)",
        org_id,
        &value_kpis,
        &value_dates,
        &values,
        author
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A value with at most two decimals, as people record KPIs.
fn decimal(value: f64) -> Decimal {
    Decimal::from_f64_retain((value * 100.0).round() / 100.0)
        .unwrap_or_default()
        .round_dp(2)
        .normalize()
}

async fn plant_feedback(tx: &mut Tx<'_>, org_id: Uuid, author: Uuid, items: usize) -> anyhow::Result<()> {
    // The open work feedback asks for: every seventh open initiative by key, so a few collect
    // several requests and most none.
    let asked = sqlx::query!(
        "SELECT id, title FROM initiatives
         WHERE org_id = $1 AND initiative_is_open(status) AND number % 7 = 1
         ORDER BY number",
        org_id
    )
    .fetch_all(&mut **tx)
    .await?;
    let customers = (items * 4 / 15).max(CUSTOMERS.len());
    let (mut ids, mut texts, mut names, mut worth, mut importances, mut sources, mut ages) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut link_initiatives, mut link_feedback) = (vec![], vec![]);
    for i in 0..items {
        let c = (i * 7) % customers;
        let (name, value) = CUSTOMERS[c % CUSTOMERS.len()];
        let name = match c / CUSTOMERS.len() {
            0 => name.to_owned(),
            n => format!("{name} {}", n + 1),
        };
        // The newest fifth, and every tenth before it, is not linked yet.
        let unlinked = asked.is_empty() || i >= items - items / 5 || i % 10 == 9;
        let id = Uuid::now_v7();
        let text = if unlinked {
            UNANSWERED[i % UNANSWERED.len()].to_owned()
        } else {
            // Customers crowd on a few initiatives: squares repeat some remainders more than others.
            let target = &asked[(i * i) % asked.len().min(24)];
            link_initiatives.push(target.id);
            link_feedback.push(id);
            ASKS[i % ASKS.len()].replace("{}", &target.title)
        };
        ids.push(id);
        texts.push(text);
        names.push(name);
        // A customer's value is theirs on every item, but one in four items leaves it out.
        worth.push((i % 4 != 3).then_some(value * 100));
        importances.push(IMPORTANCE[i % IMPORTANCE.len()]);
        sources.push((i % 6 != 5).then_some(SOURCES[i % SOURCES.len()]));
        // Written over the last 90 days, oldest first, so the inbox's order is the calendar's.
        ages.push(((items - i) * 90 * 24 / items) as i32);
    }
    sqlx::query!(
        "INSERT INTO feedback (org_id, id, text, customer, customer_value, importance, source, created_by, created_at)
         SELECT $1, r.id, r.text, r.customer, r.worth, r.importance, r.source, $8,
                now() - make_interval(hours => r.age)
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $9::int[])
              AS r (id, text, customer, worth, importance, source, age)",
        org_id,
        &ids,
        &texts,
        &names,
        &worth as &[Option<i64>],
        &importances as &[&str],
        &sources as &[Option<&str>],
        author,
        &ages
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        "INSERT INTO initiative_feedback (org_id, initiative_id, feedback_id, linked_by)
         SELECT $1, i, f, $4 FROM unnest($2::uuid[], $3::uuid[]) AS r (i, f)",
        org_id,
        &link_initiatives,
        &link_feedback,
        author
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_of_month_ends_before_this_month() {
        let ends = month_ends(NaiveDate::from_ymd_opt(2026, 3, 15).unwrap());
        assert_eq!(ends.len(), 12);
        assert_eq!(ends.first().unwrap().to_string(), "2025-03-31");
        assert_eq!(ends.last().unwrap().to_string(), "2026-02-28");
    }

    #[test]
    fn values_keep_two_decimals() {
        assert_eq!(decimal(2.0 + 0.08 * 3.0).to_string(), "2.24");
        assert_eq!(decimal(96.0).to_string(), "96");
    }
}
