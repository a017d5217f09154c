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
use chrono::{NaiveDate, Utc};
use rand::distributions::{Alphanumeric, WeightedIndex};
use rand::prelude::Distribution;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db::Tx;
use crate::db::bulk::{self, Load, NewInitiative, NewMember, NewPortfolio};
use crate::db::orgs::Organization;
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

/// How to reach a new seed organization: its names and the CPO's credentials.
struct Credentials {
    org_name: String,
    domain: String,
    email: String,
    password: String,
    token: String,
    hash: String,
}

/// The seed's people besides the CPO, named from the name lists, emails never repeating.
struct People<'a> {
    domain: &'a str,
    members: Vec<NewMember>,
}

/// The portfolio tree and who leads each tier of it; each area with the index of its product.
struct Tree {
    root: Leader,
    portfolios: Vec<NewPortfolio>,
    lines: Vec<Leader>,
    products: Vec<Leader>,
    areas: Vec<(Leader, usize)>,
}

/// Creates a new organization of `initiatives` initiatives and returns how to sign in to it.
pub async fn seed(pool: &PgPool, initiatives: usize) -> anyhow::Result<Seeded> {
    anyhow::ensure!(initiatives > 0, "--initiatives must be at least 1");
    let started = Instant::now();
    let shape = Shape::for_initiatives(initiatives);
    let credentials = Credentials::new(initiatives).await?;
    let mut rng = StdRng::seed_from_u64(initiatives as u64);
    let today = Utc::now().date_naive();

    let mut tx = pool.begin().await?;
    let (org, cpo_id) = credentials.sign_up(&mut tx).await?;
    let mut people = People {
        domain: &credentials.domain,
        members: vec![],
    };
    let tree = Tree::grow(&shape, &mut rng, &mut people, &credentials.org_name, cpo_id);
    for _ in 0..3 {
        people.person(Role::Viewer);
    }
    let themes = new_themes();
    let theme_ids: Vec<Uuid> = themes.iter().map(|t| t.id).collect();
    let initiative_rows = draw_initiatives(&mut rng, today, &shape, &tree, &theme_ids, initiatives)?;
    let history = demo_history(&mut rng, &initiative_rows, cpo_id);
    let quarter = Period::current_quarter(today, 1);
    let okrs = okrs::plan(
        &mut rng,
        today,
        quarter,
        &tree.portfolios,
        &initiative_rows,
        &[],
        cpo_id,
    );
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "generated the seed"
    );

    let load = Load {
        members: people.members,
        themes,
        portfolios: tree.portfolios,
        initiatives: initiative_rows,
        history,
        okrs,
    };
    bulk::insert_all(&mut tx, org.id, &org.key_prefix, &credentials.hash, &load).await?;
    crate::demo::capacity::plan(&mut tx, org.id, today).await?;
    crate::demo::scores::plant(&mut tx, org.id).await?;
    let feedback = crate::demo::outcomes::feedback_items(initiatives);
    crate::demo::outcomes::plant(&mut tx, org.id, cpo_id, today, feedback).await?;
    tx.commit().await?;
    vacuum(pool).await?;
    tracing::info!(
        org_id = %org.id,
        initiatives,
        portfolios = load.portfolios.len(),
        members = load.members.len() + 1,
        status_updates = load.history.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "seeded"
    );
    Ok(Seeded {
        org_id: org.id,
        root_portfolio_id: tree.root.portfolio_id,
        token: credentials.token,
        email: credentials.email,
        password: credentials.password,
    })
}

/// `len` random letters and digits.
fn random_text(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

impl Credentials {
    /// A name no other seed has (a random suffix), and a new password and API token.
    async fn new(initiatives: usize) -> anyhow::Result<Credentials> {
        let suffix = random_text(6).to_ascii_lowercase();
        let domain = format!("seed-{initiatives}-{suffix}.example");
        let password = random_text(20);
        Ok(Credentials {
            org_name: format!("Seed {initiatives} {suffix}"),
            email: format!("cpo@{domain}"),
            domain,
            token: credentials::new_secret(credentials::API_TOKEN_PREFIX),
            hash: credentials::hash_password_off_thread(password.clone()).await?,
            password,
        })
    }

    /// Signs the CPO up with the organization and gives them the seed's API token.
    async fn sign_up(&self, tx: &mut Tx<'_>) -> anyhow::Result<(Organization, Uuid)> {
        let signup = SignUp::parse(&self.org_name, "Claire Dubois", &self.email, &self.password)
            .map_err(|e| anyhow::anyhow!("the seed's sign-up is invalid: {e:?}"))?;
        let (org, cpo) = crate::db::orgs::sign_up(tx, &signup, &self.hash).await?;
        crate::db::tokens::create(tx, org.id, cpo.id, "seed", &self.token).await?;
        Ok((org, cpo.id))
    }
}

impl People<'_> {
    /// A new member of `role`, the next name of the lists.
    fn person(&mut self, role: Role) -> Uuid {
        let k = self.members.len();
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
        self.members.push(NewMember {
            id,
            name: format!("{first} {last}"),
            email: format!("{local}@{}", self.domain),
            role,
        });
        id
    }
}

const LIFECYCLES: [Lifecycle; 7] = [
    Lifecycle::Development,
    Lifecycle::Launch,
    Lifecycle::Growth,
    Lifecycle::Growth,
    Lifecycle::Maturity,
    Lifecycle::Maturity,
    Lifecycle::Retirement,
];

impl Tree {
    /// The CPO's portfolio, then product lines, products and areas in `shape`, each with a leader.
    fn grow(shape: &Shape, rng: &mut StdRng, people: &mut People, org_name: &str, cpo_id: Uuid) -> Tree {
        let root = Leader {
            portfolio_id: Uuid::now_v7(),
            owner_id: cpo_id,
        };
        let mut tree = Tree {
            portfolios: vec![portfolio(
                &root,
                None,
                org_name.into(),
                PortfolioLevel::Portfolio,
                0,
            )],
            root,
            lines: vec![],
            products: vec![],
            areas: vec![],
        };
        tree.portfolios[0].description = "Every product line of the company.".into();
        tree.add_product_lines(shape, people);
        tree.add_products(shape, rng, people);
        tree.add_areas(shape, people);
        tree
    }

    fn add_product_lines(&mut self, shape: &Shape, people: &mut People) {
        for l in 0..shape.product_lines {
            let vp = leader(people);
            let name = PRODUCT_LINES[l % PRODUCT_LINES.len()].into();
            let parent = Some(self.root.portfolio_id);
            self.portfolios
                .push(portfolio(&vp, parent, name, PortfolioLevel::ProductLine, l));
            self.lines.push(vp);
        }
    }

    fn add_products(&mut self, shape: &Shape, rng: &mut StdRng, people: &mut People) {
        for p in 0..shape.products {
            let line_index = p * shape.product_lines / shape.products;
            let position = p - (line_index * shape.products).div_ceil(shape.product_lines);
            let director = leader(people);
            let parent = Some(self.lines[line_index].portfolio_id);
            let mut product = portfolio(
                &director,
                parent,
                numbered(&PRODUCTS, p),
                PortfolioLevel::Product,
                position,
            );
            product.lifecycle = Some(LIFECYCLES[rng.gen_range(0..LIFECYCLES.len())]);
            self.portfolios.push(product);
            self.products.push(director);
        }
    }

    fn add_areas(&mut self, shape: &Shape, people: &mut People) {
        let mut pm = Uuid::nil();
        for a in 0..shape.areas {
            let product_index = a * shape.products / shape.areas;
            let position = a - (product_index * shape.areas).div_ceil(shape.products);
            // One PM per two areas of a product.
            if position.is_multiple_of(2) {
                pm = people.person(Role::Member);
            }
            let area = Leader {
                portfolio_id: Uuid::now_v7(),
                owner_id: pm,
            };
            let parent = Some(self.products[product_index].portfolio_id);
            let name = numbered(&AREAS, position);
            self.portfolios
                .push(portfolio(&area, parent, name, PortfolioLevel::Area, position));
            self.areas.push((area, product_index));
        }
    }
}

/// A new member leading a new portfolio.
fn leader(people: &mut People) -> Leader {
    let owner_id = people.person(Role::Member);
    Leader {
        portfolio_id: Uuid::now_v7(),
        owner_id,
    }
}

/// The portfolio `leader` leads, at `position` under `parent_id`.
fn portfolio(
    leader: &Leader,
    parent_id: Option<Uuid>,
    name: String,
    level: PortfolioLevel,
    position: usize,
) -> NewPortfolio {
    NewPortfolio {
        id: leader.portfolio_id,
        parent_id,
        name,
        description: String::new(),
        level,
        owner_id: Some(leader.owner_id),
        lifecycle: None,
        position: position as i32,
    }
}

/// `n` initiatives spread over the tree. Some areas carry much more work than others; one product
/// line and every seventh product are in trouble, so the roll-up has something to say.
fn draw_initiatives(
    rng: &mut StdRng,
    today: NaiveDate,
    shape: &Shape,
    tree: &Tree,
    theme_ids: &[Uuid],
    n: usize,
) -> anyhow::Result<Vec<NewInitiative>> {
    let area_weights = WeightedIndex::new(tree.areas.iter().map(|_| rng.gen_range(1..=6)))
        .context("area weights are positive")?;
    let leaders: Vec<&Leader> = std::iter::once(&tree.root)
        .chain(&tree.lines)
        .chain(&tree.products)
        .collect();
    let troubled_product = |p: usize| p * shape.product_lines / shape.products == 1 || p % 7 == 3;
    let mut rows = Vec::with_capacity(n);
    for k in 0..n {
        // About 3 % are cross-cutting bets owned above the PM level.
        let (leader, troubled) = if rng.gen_bool(0.03) {
            (leaders[rng.gen_range(0..leaders.len())], false)
        } else {
            let (area, product) = &tree.areas[area_weights.sample(rng)];
            (area, troubled_product(*product))
        };
        let title = format!(
            "{} {} #{}",
            VERBS[rng.gen_range(0..VERBS.len())],
            OBJECTS[rng.gen_range(0..OBJECTS.len())],
            k + 1
        );
        let owner_id = Some(leader.owner_id);
        rows.push(demo_initiative(
            rng,
            today,
            leader.portfolio_id,
            owner_id,
            &title,
            theme_ids,
            troubled,
        ));
    }
    Ok(rows)
}

/// Planner statistics now, not whenever autovacuum gets round to the freshly loaded rows; and the
/// roll-up rows, updated once per loaded chunk, shed their dead versions before anyone reads.
async fn vacuum(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query(
        "VACUUM ANALYZE organizations, memberships, users, portfolios, portfolio_closure, initiatives,
             status_updates, portfolio_totals, portfolio_group_totals, portfolio_deadlines,
             portfolio_group_deadlines, objectives, key_results,
             key_result_check_ins, initiative_key_results",
    )
    .execute(pool)
    .await?;
    Ok(())
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
