//! `cairn seed --initiatives N`: a new organization with a hierarchy, people, themes, N synthetic
//! initiatives and some history, sized for benchmarks (SPEC §7, `bench/run`).
//!
//! The hierarchy uses the four portfolio levels: one `portfolio` (the CPO's) → 5 `product_line`s
//! (VPs) → products (directors) → `area`s (PMs, one PM per two areas). There are about N / 50
//! portfolios, at least 36: for 100k initiatives 1 → 5 → 50 → 1,944 (2,000 portfolios, about 50
//! initiatives per area). PERFORMANCE.md measured a five-tier tree (1 → 5 → 50 → 400 → 1,600);
//! a PM's area cannot hold another area (a child's level is deeper than its parent's), so its two
//! lowest tiers are folded into one tier of areas of the same total size.
//!
//! Every run makes a new organization (its name carries a random suffix); the data itself is drawn
//! from a random generator seeded with N, so two seeds of the same size have the same shape.

use std::time::Instant;

use anyhow::Context;
use chrono::Utc;
use rand::distributions::{Alphanumeric, WeightedIndex};
use rand::prelude::Distribution;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db::bulk::{self, NewMember, NewPortfolio};
use crate::demo::{demo_history, demo_initiative, new_themes, okrs};
use crate::domain::account::SignUp;
use crate::domain::period::Period;
use crate::domain::{Lifecycle, PortfolioLevel, Role, credentials};

/// What `cairn seed` prints: the organization and how to sign in to it as its admin.
#[derive(Debug, Serialize)]
pub struct Seeded {
    pub org_id: Uuid,
    pub root_portfolio_id: Uuid,
    pub token: String,
    pub email: String,
    pub password: String,
}

/// How many portfolios of each level a seed of N initiatives gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub product_lines: usize,
    pub products: usize,
    pub areas: usize,
}

impl Shape {
    pub fn for_initiatives(initiatives: usize) -> Shape {
        let portfolios = (initiatives / 50).max(36);
        let product_lines = 5;
        // Products grow with the square root of the tree: 10 at the small end, 50 at 2,000.
        let products = ((portfolios as f64 * 1.25).sqrt().round() as usize).clamp(10, 60);
        let areas = (portfolios - 1 - product_lines - products).max(2 * products);
        Shape {
            product_lines,
            products,
            areas,
        }
    }

    pub fn portfolios(&self) -> usize {
        1 + self.product_lines + self.products + self.areas
    }
}

const PRODUCT_LINES: [&str; 5] = ["Commerce", "Platform", "Insights", "Collaboration", "Mobile"];

const PRODUCTS: [&str; 30] = [
    "Checkout",
    "Storefront",
    "Subscriptions",
    "Marketplace",
    "Loyalty",
    "Payments",
    "Identity",
    "Developer Platform",
    "Infrastructure",
    "Data Platform",
    "Search",
    "Notifications",
    "Analytics",
    "Growth",
    "Reporting",
    "Forecasting",
    "Data Science",
    "Customer 360",
    "Messaging",
    "Docs",
    "Calendar",
    "Workflows",
    "Video",
    "Whiteboards",
    "iOS App",
    "Android App",
    "Offline Sync",
    "Wearables",
    "Mobile Web",
    "App Platform",
];

const AREAS: [&str; 24] = [
    "Onboarding",
    "Billing",
    "Permissions",
    "Integrations",
    "Performance",
    "Accessibility",
    "Localisation",
    "Admin Console",
    "Public API",
    "Webhooks",
    "Reliability",
    "Security",
    "Compliance",
    "Pricing",
    "Experimentation",
    "Notifications",
    "Search",
    "Imports",
    "Exports",
    "Mobile",
    "Settings",
    "Dashboards",
    "Audit",
    "Support Tools",
];

const FIRST_NAMES: [&str; 40] = [
    "Maya", "Omar", "Lucia", "Jonas", "Aisha", "Lena", "Marco", "Hana", "Tariq", "Ravi", "Nora", "Felix",
    "Chloe", "Daniel", "Sofia", "Ethan", "Mei", "Samuel", "Kenji", "Isabel", "Leo", "Grace", "Amara",
    "Victor", "Ingrid", "Pablo", "Elena", "Tom", "Yuki", "Adam", "Fatima", "Priya", "Ben", "Olga", "Diego",
    "Claire", "Nadia", "Hugo", "Zara", "Kofi",
];

const LAST_NAMES: [&str; 40] = [
    "Chen",
    "Haddad",
    "Gomez",
    "Berg",
    "Bello",
    "Fischer",
    "Bianchi",
    "Kim",
    "Aziz",
    "Patel",
    "Lindqvist",
    "Wagner",
    "Martin",
    "Okafor",
    "Rossi",
    "Brooks",
    "Lin",
    "Osei",
    "Watanabe",
    "Costa",
    "Novak",
    "Adeyemi",
    "Nwosu",
    "Huang",
    "Solberg",
    "Ruiz",
    "Petrova",
    "Becker",
    "Tanaka",
    "Zahra",
    "Sharma",
    "Carter",
    "Ivanova",
    "Alves",
    "Dubois",
    "Moreau",
    "Silva",
    "Kowalski",
    "Mensah",
    "Park",
];

const VERBS: [&str; 12] = [
    "Launch",
    "Redesign",
    "Automate",
    "Scale",
    "Simplify",
    "Localise",
    "Harden",
    "Measure",
    "Personalise",
    "Migrate",
    "Speed up",
    "Self-serve",
];

const OBJECTS: [&str; 20] = [
    "onboarding checklist",
    "invoice flow",
    "permission model",
    "search ranking",
    "usage reports",
    "admin console",
    "webhook delivery",
    "mobile checkout",
    "data export",
    "trial conversion",
    "alerting rules",
    "pricing page",
    "SSO setup",
    "audit trail",
    "import wizard",
    "in-app messages",
    "API rate limits",
    "dashboard filters",
    "renewal reminders",
    "support handoff",
];

/// The leader at one level: who owns a portfolio, and which portfolio that is.
struct Leader {
    portfolio_id: Uuid,
    owner_id: Uuid,
}

/// Creates a new organization of `initiatives` initiatives and returns how to sign in to it.
pub async fn seed(pool: &PgPool, initiatives: usize) -> anyhow::Result<Seeded> {
    anyhow::ensure!(initiatives > 0, "--initiatives must be at least 1");
    let started = Instant::now();
    let shape = Shape::for_initiatives(initiatives);
    let suffix: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(6)
        .map(|c| char::from(c).to_ascii_lowercase())
        .collect();
    let org_name = format!("Seed {initiatives} {suffix}");
    let domain = format!("seed-{initiatives}-{suffix}.example");
    let email = format!("cpo@{domain}");
    let password: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(20)
        .map(char::from)
        .collect();
    let token = credentials::new_secret(credentials::API_TOKEN_PREFIX);
    let hash = credentials::hash_password_off_thread(password.clone()).await?;
    let mut rng = StdRng::seed_from_u64(initiatives as u64);
    let today = Utc::now().date_naive();

    let mut tx = pool.begin().await?;
    let signup = SignUp::parse(&org_name, "Claire Dubois", &email, &password)
        .map_err(|e| anyhow::anyhow!("the seed's sign-up is invalid: {e:?}"))?;
    let (org, cpo) = crate::db::orgs::sign_up(&mut tx, &signup, &hash).await?;
    crate::db::tokens::create(&mut tx, org.id, cpo.id, "seed", &token).await?;

    let mut members: Vec<NewMember> = vec![];
    let person = |role: Role, members: &mut Vec<NewMember>| {
        let k = members.len();
        let (first, last) = (
            FIRST_NAMES[k % FIRST_NAMES.len()],
            LAST_NAMES[(k / FIRST_NAMES.len()) % LAST_NAMES.len()],
        );
        // Names repeat after 1,600 people, as they do in large companies; emails never do.
        let local = format!("{}.{}", first.to_lowercase(), last.to_lowercase());
        let local = if k < FIRST_NAMES.len() * LAST_NAMES.len() {
            local
        } else {
            format!("{local}{k}")
        };
        let id = Uuid::now_v7();
        members.push(NewMember {
            id,
            name: format!("{first} {last}"),
            email: format!("{local}@{domain}"),
            role,
        });
        id
    };

    let root = Uuid::now_v7();
    let mut portfolios = vec![NewPortfolio {
        id: root,
        parent_id: None,
        name: org_name.clone(),
        description: "Every product line of the company.".into(),
        level: PortfolioLevel::Portfolio,
        owner_id: Some(cpo.id),
        lifecycle: None,
        position: 0,
    }];
    let mut lines = vec![];
    for l in 0..shape.product_lines {
        let vp = person(Role::Member, &mut members);
        let id = Uuid::now_v7();
        portfolios.push(NewPortfolio {
            id,
            parent_id: Some(root),
            name: PRODUCT_LINES[l % PRODUCT_LINES.len()].into(),
            description: String::new(),
            level: PortfolioLevel::ProductLine,
            owner_id: Some(vp),
            lifecycle: None,
            position: l as i32,
        });
        lines.push(Leader {
            portfolio_id: id,
            owner_id: vp,
        });
    }
    let lifecycles = [
        Lifecycle::Development,
        Lifecycle::Launch,
        Lifecycle::Growth,
        Lifecycle::Growth,
        Lifecycle::Maturity,
        Lifecycle::Maturity,
        Lifecycle::Retirement,
    ];
    let mut products = vec![];
    for p in 0..shape.products {
        let line_index = p * shape.product_lines / shape.products;
        let line = &lines[line_index];
        let position = p - (line_index * shape.products).div_ceil(shape.product_lines);
        let director = person(Role::Member, &mut members);
        let id = Uuid::now_v7();
        portfolios.push(NewPortfolio {
            id,
            parent_id: Some(line.portfolio_id),
            name: numbered(&PRODUCTS, p),
            description: String::new(),
            level: PortfolioLevel::Product,
            owner_id: Some(director),
            lifecycle: Some(lifecycles[rng.gen_range(0..lifecycles.len())]),
            position: position as i32,
        });
        products.push(Leader {
            portfolio_id: id,
            owner_id: director,
        });
    }
    let mut areas = vec![];
    let mut pm = Uuid::nil();
    for a in 0..shape.areas {
        let product_index = a * shape.products / shape.areas;
        let first_area_of_product = (product_index * shape.areas).div_ceil(shape.products);
        let position = a - first_area_of_product;
        // One PM per two areas of a product.
        if position.is_multiple_of(2) {
            pm = person(Role::Member, &mut members);
        }
        let id = Uuid::now_v7();
        portfolios.push(NewPortfolio {
            id,
            parent_id: Some(products[product_index].portfolio_id),
            name: numbered(&AREAS, position),
            description: String::new(),
            level: PortfolioLevel::Area,
            owner_id: Some(pm),
            lifecycle: None,
            position: position as i32,
        });
        areas.push((
            Leader {
                portfolio_id: id,
                owner_id: pm,
            },
            product_index,
        ));
    }
    for _ in 0..3 {
        person(Role::Viewer, &mut members);
    }

    let themes = new_themes();
    let theme_ids: Vec<Uuid> = themes.iter().map(|t| t.id).collect();

    // Some areas carry much more work than others; one product line and every seventh product are
    // in trouble, so the roll-up has something to say.
    let area_weights = WeightedIndex::new(areas.iter().map(|_| rng.gen_range(1..=6)))
        .context("area weights are positive")?;
    let cpo_leader = Leader {
        portfolio_id: root,
        owner_id: cpo.id,
    };
    let leaders: Vec<&Leader> = std::iter::once(&cpo_leader)
        .chain(&lines)
        .chain(&products)
        .collect();
    let troubled_product = |p: usize| p * shape.product_lines / shape.products == 1 || p % 7 == 3;
    let mut initiative_rows = Vec::with_capacity(initiatives);
    for n in 0..initiatives {
        // About 3 % are cross-cutting bets owned above the PM level.
        let (leader, troubled) = if rng.gen_bool(0.03) {
            (leaders[rng.gen_range(0..leaders.len())], false)
        } else {
            let (area, product) = &areas[area_weights.sample(&mut rng)];
            (area, troubled_product(*product))
        };
        let title = format!(
            "{} {} #{}",
            VERBS[rng.gen_range(0..VERBS.len())],
            OBJECTS[rng.gen_range(0..OBJECTS.len())],
            n + 1
        );
        initiative_rows.push(demo_initiative(
            &mut rng,
            today,
            leader.portfolio_id,
            Some(leader.owner_id),
            &title,
            &theme_ids,
            troubled,
        ));
    }
    let history = demo_history(&mut rng, &initiative_rows, cpo.id);
    let okrs = okrs::plan(
        &mut rng,
        today,
        Period::current_quarter(today, 1),
        &portfolios,
        &initiative_rows,
        &[],
        cpo.id,
    );
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "generated the seed"
    );

    bulk::insert_members(&mut tx, org.id, &members, &hash).await?;
    bulk::insert_themes(&mut tx, org.id, &themes).await?;
    bulk::insert_portfolios(&mut tx, org.id, &portfolios).await?;
    bulk::insert_initiatives(&mut tx, org.id, &org.key_prefix, &initiative_rows).await?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "inserted the initiatives"
    );
    bulk::insert_history(&mut tx, org.id, &history).await?;
    bulk::insert_okrs(&mut tx, org.id, &okrs).await?;
    tx.commit().await?;
    // Planner statistics now, not whenever autovacuum gets round to the freshly loaded rows; and
    // the roll-up rows, updated once per loaded chunk, shed their dead versions before anyone reads.
    sqlx::query(
        "VACUUM ANALYZE organizations, memberships, users, portfolios, portfolio_closure, initiatives,
             status_updates, portfolio_totals, portfolio_theme_totals, portfolio_deadlines, objectives, key_results,
             key_result_check_ins, initiative_key_results",
    )
    .execute(pool)
    .await?;
    tracing::info!(
        org_id = %org.id,
        initiatives,
        portfolios = portfolios.len(),
        members = members.len() + 1,
        status_updates = history.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "seeded"
    );
    Ok(Seeded {
        org_id: org.id,
        root_portfolio_id: root,
        token,
        email,
        password,
    })
}

/// The i-th name of a list, numbered once the list runs out: "Billing", …, "Billing 2".
fn numbered(names: &[&str], i: usize) -> String {
    match i / names.len() {
        0 => names[i % names.len()].to_owned(),
        round => format!("{} {}", names[i % names.len()], round + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hierarchy_scales_with_the_number_of_initiatives() {
        let large = Shape::for_initiatives(100_000);
        assert_eq!((large.product_lines, large.products), (5, 50));
        assert_eq!(large.portfolios(), 2_000);
        let medium = Shape::for_initiatives(10_000);
        assert_eq!(medium.portfolios(), 200);
        let small = Shape::for_initiatives(1_000);
        assert_eq!(small.portfolios(), 36);
        assert!(small.areas >= 2 * small.products);
    }

    #[test]
    fn names_are_numbered_once_the_list_runs_out() {
        assert_eq!(numbered(&AREAS, 0), "Onboarding");
        assert_eq!(numbered(&AREAS, AREAS.len()), "Onboarding 2");
    }
}
