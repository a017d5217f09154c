//! The demo organization `cairn demo` loads: Northwind, a B2B software company with a CPO, three
//! VPs, eight directors and twenty-four PMs, about two hundred initiatives spread over statuses,
//! health, themes and dates relative to today, some history, and OKRs for the current quarter at
//! every level. Loaded once; a restart reuses it.

pub(crate) mod capacity;
pub(crate) mod okrs;
pub(crate) mod outcomes;
pub(crate) mod scenarios;
pub(crate) mod scores;
mod truth;

use chrono::{Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sqlx::PgPool;
use uuid::Uuid;

use crate::db::bulk::{self, HistoryEntry, Load, NewInitiative, NewMember, NewPortfolio, NewTheme};
use crate::domain::account::SignUp;
use crate::domain::initiative::InitiativeValues;
use crate::domain::period::Period;
use crate::domain::{Health, Lifecycle, PortfolioLevel, Role, Status, credentials};

pub const ORG_NAME: &str = "Northwind";
pub const PASSWORD: &str = "northwind-demo";
const DOMAIN: &str = "northwind.example";

/// How to sign in to the demo, printed by `cairn demo`.
pub struct Demo {
    pub org_id: Uuid,
    pub created: bool,
}

/// `Maya Chen` signs in as `maya@northwind.example`.
fn email_of(name: &str) -> String {
    format!(
        "{}@{DOMAIN}",
        name.split(' ').next().unwrap_or(name).to_lowercase()
    )
}

impl Demo {
    pub fn instructions(&self, url: &str) -> String {
        let (vp, director, pm) = (
            email_of(LINES[0].1),
            email_of(LINES[0].2[0].1),
            email_of(LINES[0].2[0].3[0].1),
        );
        format!(
            "\nCairn demo is running at {url}\n\n\
             Sign in with password `{PASSWORD}` as:\n  \
             CPO (admin)   cpo@{DOMAIN}\n  \
             VP            {vp}\n  \
             Director      {director}\n  \
             PM            {pm}\n  \
             Viewer        board@{DOMAIN}\n\n\
             Stop with Ctrl-C; the data stays in the data folder for the next start.\n"
        )
    }
}

/// (product line, VP, [(product, director, lifecycle, [(area, PM, [initiative titles])])]):
/// 3 VPs, 8 directors, 24 PMs.
type Area = (&'static str, &'static str, &'static [&'static str]);
type Product = (&'static str, &'static str, Lifecycle, [Area; 3]);
type Line = (&'static str, &'static str, &'static [Product]);

const LINES: [Line; 3] = [
    (
        "Commerce",
        "Maya Chen",
        &[
            (
                "Checkout",
                "Omar Haddad",
                Lifecycle::Growth,
                [
                    (
                        "Payments",
                        "Lucia Gómez",
                        &[
                            "Apple Pay and Google Pay",
                            "3-D Secure 2 step-up flow",
                            "Local payment methods for EU",
                            "Payment retry on soft declines",
                            "Unified payments ledger",
                            "Refunds self-service",
                            "PayPal wallet checkout",
                            "Payout reconciliation report",
                        ],
                    ),
                    (
                        "Cart & Pricing",
                        "Jonas Berg",
                        &[
                            "Volume discount tiers",
                            "Multi-currency price books",
                            "Saved carts across devices",
                            "Promotion engine rewrite",
                            "Tax calculation via partner",
                            "Quote-to-cart for sales",
                            "Coupon abuse limits",
                            "B2B net terms at checkout",
                        ],
                    ),
                    (
                        "Fraud & Risk",
                        "Aisha Bello",
                        &[
                            "Device fingerprinting",
                            "Chargeback evidence automation",
                            "Risk score in order review",
                            "Velocity rules console",
                            "Manual review queue SLA",
                            "Account takeover alerts",
                            "Bot protection on sign-up",
                            "Fraud model retraining pipeline",
                        ],
                    ),
                ],
            ),
            (
                "Storefront",
                "Lena Fischer",
                Lifecycle::Maturity,
                [
                    (
                        "Search & Discovery",
                        "Marco Bianchi",
                        &[
                            "Semantic product search",
                            "Typo-tolerant autocomplete",
                            "Personalised category ranking",
                            "Zero-result recovery",
                            "Search analytics for merchandisers",
                            "Visual similar-items",
                            "Merchandising rules for search",
                            "Search latency under 100 ms",
                        ],
                    ),
                    (
                        "Product Pages",
                        "Hana Kim",
                        &[
                            "Core Web Vitals under 2.5 s",
                            "Rich media gallery",
                            "Reviews with photos",
                            "Back-in-stock notifications",
                            "Size and fit guidance",
                            "Structured data for SEO",
                            "Product comparison table",
                            "Localised product content",
                        ],
                    ),
                    (
                        "Mobile App",
                        "Tariq Aziz",
                        &[
                            "Offline wishlist",
                            "Push notification preferences",
                            "One-tap reorder",
                            "Accessibility audit fixes",
                            "Biometric sign-in",
                            "App Store rating prompt",
                            "Tablet layout",
                            "Crash-free sessions to 99.9%",
                        ],
                    ),
                ],
            ),
            (
                "Subscriptions",
                "Ravi Patel",
                Lifecycle::Launch,
                [
                    (
                        "Billing",
                        "Nora Lindqvist",
                        &[
                            "Usage-based billing",
                            "Invoice PDF redesign",
                            "Proration for mid-cycle changes",
                            "Credit notes",
                            "Revenue recognition export",
                            "Billing contact roles",
                            "Multi-entity invoicing",
                            "Self-serve payment method update",
                        ],
                    ),
                    (
                        "Plans & Packaging",
                        "Felix Wagner",
                        &[
                            "Good-better-best packaging",
                            "Add-on marketplace",
                            "Annual plan discount test",
                            "Feature entitlements service",
                            "Free tier limits",
                            "Enterprise plan builder",
                            "Seat-based pricing migration",
                            "Pricing page experiments",
                        ],
                    ),
                    (
                        "Dunning",
                        "Chloe Martin",
                        &[
                            "Smart retry schedule",
                            "Card updater integration",
                            "Dunning email sequence",
                            "Grace period for failed payments",
                            "Win-back offers",
                            "Dunning analytics",
                            "Pre-dunning card expiry emails",
                            "Involuntary churn dashboard",
                        ],
                    ),
                ],
            ),
        ],
    ),
    (
        "Platform",
        "Daniel Okafor",
        &[
            (
                "Identity",
                "Sofia Rossi",
                Lifecycle::Growth,
                [
                    (
                        "SSO & SCIM",
                        "Ethan Brooks",
                        &[
                            "SAML for every plan",
                            "SCIM 2.0 provisioning",
                            "Just-in-time provisioning",
                            "Okta integration network listing",
                            "Domain verification",
                            "Session policies per org",
                            "Azure AD gallery app",
                            "Multiple IdPs per org",
                        ],
                    ),
                    (
                        "Permissions",
                        "Mei Lin",
                        &[
                            "Custom roles",
                            "Resource-level permissions",
                            "Permission audit view",
                            "Guest access",
                            "Admin delegation",
                            "Policy simulator",
                            "Team-based permissions",
                            "Permission templates",
                        ],
                    ),
                    (
                        "Audit Log",
                        "Samuel Osei",
                        &[
                            "Audit log streaming to SIEM",
                            "Retention controls",
                            "Audit log search",
                            "Export to CSV",
                            "Tamper-evident log storage",
                            "Admin activity digest",
                            "Audit log API",
                            "Anomaly alerts on admin actions",
                        ],
                    ),
                ],
            ),
            (
                "Developer Platform",
                "Kenji Watanabe",
                Lifecycle::Development,
                [
                    (
                        "Public API",
                        "Isabel Costa",
                        &[
                            "API v3 with cursor pagination",
                            "OpenAPI reference docs",
                            "Rate limit headers",
                            "API keys with scopes",
                            "Idempotency keys",
                            "Deprecation policy for v1",
                            "Bulk endpoints",
                            "API usage analytics",
                        ],
                    ),
                    (
                        "Webhooks",
                        "Leo Novak",
                        &[
                            "Webhook signatures",
                            "Delivery retries with backoff",
                            "Webhook event catalogue",
                            "Replay failed deliveries",
                            "Per-endpoint filtering",
                            "Webhook health dashboard",
                            "Event schema versioning",
                            "Webhook test console",
                        ],
                    ),
                    (
                        "SDKs",
                        "Grace Adeyemi",
                        &[
                            "TypeScript SDK",
                            "Python SDK",
                            "Go SDK",
                            "SDK code generation pipeline",
                            "Sample apps",
                            "SDK telemetry opt-in",
                            "Java SDK",
                            "SDK changelog automation",
                        ],
                    ),
                ],
            ),
            (
                "Infrastructure",
                "Amara Nwosu",
                Lifecycle::Maturity,
                [
                    (
                        "Reliability",
                        "Victor Huang",
                        &[
                            "Multi-region failover",
                            "SLO dashboards",
                            "Chaos game days",
                            "Incident review automation",
                            "Queue backpressure",
                            "Zero-downtime deploys",
                            "Database failover drills",
                            "Error budget policy",
                        ],
                    ),
                    (
                        "Data Residency",
                        "Ingrid Solberg",
                        &[
                            "EU data region",
                            "Customer-managed keys",
                            "Region pinning for files",
                            "Residency reports for auditors",
                            "Australia region",
                            "Data export by region",
                            "Canada region",
                            "Residency-aware backups",
                        ],
                    ),
                    (
                        "Cost Efficiency",
                        "Pablo Ruiz",
                        &[
                            "Right-size compute fleet",
                            "Storage tiering",
                            "Reserved capacity plan",
                            "Cost per tenant dashboard",
                            "Log volume reduction",
                            "CDN cache hit rate",
                            "Spot instances for batch jobs",
                            "Query cost attribution",
                        ],
                    ),
                ],
            ),
        ],
    ),
    (
        "Insights",
        "Elena Petrova",
        &[
            (
                "Analytics",
                "Tom Becker",
                Lifecycle::Growth,
                [
                    (
                        "Dashboards",
                        "Yuki Tanaka",
                        &[
                            "Dashboard sharing links",
                            "Drill-down charts",
                            "Scheduled dashboard emails",
                            "Dashboard templates",
                            "Embedded dashboards",
                            "Dark mode charts",
                            "Dashboard filters per viewer",
                            "Mobile dashboard view",
                        ],
                    ),
                    (
                        "Reporting Exports",
                        "Adam Novak",
                        &[
                            "Scheduled CSV exports",
                            "Excel export with formatting",
                            "Export to Google Sheets",
                            "Large export streaming",
                            "Report subscriptions",
                            "PDF board pack",
                            "Export audit trail",
                            "Custom report builder",
                        ],
                    ),
                    (
                        "Self-serve BI",
                        "Fatima Zahra",
                        &[
                            "Natural-language questions",
                            "Metric definitions layer",
                            "Saved queries",
                            "Join builder",
                            "Data freshness indicators",
                            "Query cost guardrails",
                            "Semantic search over metrics",
                            "Certified datasets",
                        ],
                    ),
                ],
            ),
            (
                "Growth",
                "Priya Sharma",
                Lifecycle::Development,
                [
                    (
                        "Onboarding",
                        "Ben Carter",
                        &[
                            "Guided setup checklist",
                            "Sample data on sign-up",
                            "Role-based onboarding paths",
                            "Import from spreadsheets",
                            "Activation email nudges",
                            "In-app product tours",
                            "Team invite prompts",
                            "Onboarding analytics funnel",
                        ],
                    ),
                    (
                        "Lifecycle Messaging",
                        "Olga Ivanova",
                        &[
                            "Lifecycle email builder",
                            "In-app announcements",
                            "Churn-risk alerts for CSMs",
                            "NPS survey flow",
                            "Trial expiry reminders",
                            "Re-engagement campaigns",
                            "Message frequency capping",
                            "Localised lifecycle emails",
                        ],
                    ),
                    (
                        "Experimentation",
                        "Diego Alves",
                        &[
                            "A/B testing framework",
                            "Feature flag targeting",
                            "Experiment results page",
                            "Guardrail metrics",
                            "Holdout groups",
                            "Sample ratio mismatch checks",
                            "Experiment templates",
                            "Sequential testing",
                        ],
                    ),
                ],
            ),
        ],
    ),
];

/// Cross-cutting bets owned above the PM level: (portfolio path by name, title).
const LEADERSHIP_BETS: [(&str, &str); 12] = [
    ("Northwind", "Enterprise readiness programme"),
    ("Northwind", "AI assistant across the product"),
    ("Northwind", "Pricing and packaging overhaul"),
    ("Commerce", "Checkout conversion +3 points"),
    ("Commerce", "Marketplace for partners"),
    ("Platform", "SOC 2 Type II and ISO 27001"),
    ("Platform", "Platform API parity"),
    ("Insights", "Single customer view"),
    ("Checkout", "PSP consolidation"),
    ("Identity", "Passwordless sign-in"),
    ("Analytics", "Warehouse-native analytics"),
    ("Growth", "Product-led sales motion"),
];

/// The demo's own words for the objectives of the levels a CPO reads first.
const WRITTEN_OKRS: okrs::Written = &[
    (
        "Northwind",
        &[
            (
                "Become the default platform for mid-market B2B commerce",
                &[
                    ("Net revenue retention (%)", 104, 112, "%"),
                    ("Mid-market logos won", 0, 40, "logos"),
                ],
            ),
            (
                "Be ready for enterprise buyers",
                &[
                    ("Enterprise deals blocked by security reviews", 12, 0, "deals"),
                    ("SOC 2 controls passing (%)", 40, 100, "%"),
                ],
            ),
        ],
    ),
    (
        "Commerce",
        &[(
            "Make checkout the reason customers choose us",
            &[
                ("Checkout conversion (%)", 62, 70, "%"),
                ("Partner apps live in the marketplace", 0, 30, "apps"),
            ],
        )],
    ),
    (
        "Platform",
        &[(
            "Pass every enterprise security review",
            &[
                ("Customers on enterprise SSO", 40, 120, "customers"),
                ("Open security review findings", 25, 0, "findings"),
            ],
        )],
    ),
    (
        "Insights",
        &[(
            "Put insight where decisions are made",
            &[
                ("Accounts with a weekly report", 300, 900, "accounts"),
                ("Dashboards built by customers", 150, 600, "dashboards"),
            ],
        )],
    ),
    (
        "Checkout",
        &[(
            "Cut checkout friction in half",
            &[
                ("Steps from cart to paid", 6, 3, "steps"),
                ("Checkout abandonment (%)", 38, 25, "%"),
            ],
        )],
    ),
    (
        "Payments",
        &[(
            "Accept every way our buyers want to pay",
            &[
                ("Payment methods live", 6, 14, "methods"),
                ("Soft declines recovered (%)", 20, 45, "%"),
            ],
        )],
    ),
];

/// Investment themes with their target shares; `cairn seed` uses the same four.
pub(crate) const THEMES: [(&str, &str, f64); 4] = [
    ("Growth", "#2f80ed", 40.0),
    ("Retention", "#27ae60", 25.0),
    ("Platform & tech debt", "#9b51e0", 20.0),
    ("Keep the lights on", "#828282", 10.0),
];

/// The four `THEMES`, each with a new id.
pub(crate) fn new_themes() -> Vec<NewTheme<'static>> {
    THEMES
        .iter()
        .map(|&(name, colour, target_share)| NewTheme {
            id: Uuid::now_v7(),
            name,
            colour,
            target_share,
        })
        .collect()
}

/// Notes of check-ins that keep work going, by the health it is left in: a note never
/// contradicts its update (no "slipped two weeks" on the update that marks work done).
const NOTES_ON_TRACK: [&str; 3] = [
    "Design review done; build starts next sprint.",
    "Vendor contract signed.",
    "Beta customers onboarded, feedback positive.",
];
const NOTES_AT_RISK: [&str; 3] = [
    "Blocked on security review, escalated.",
    "Scope cut to hit the date.",
    "Dependency on the platform team slipped two weeks.",
];
/// Notes of the update that finishes work.
const NOTES_DONE: [&str; 3] = [
    "Shipped to every customer.",
    "Rolled out; the old flow is switched off.",
    "Launched; follow-ups moved to the backlog.",
];

/// A note that fits an update leaving work at `status` and `health`.
fn note_for(rng: &mut StdRng, status: Status, health: Health) -> String {
    let notes = match (status, health) {
        (Status::Done, _) => &NOTES_DONE,
        (_, Health::OnTrack) => &NOTES_ON_TRACK,
        _ => &NOTES_AT_RISK,
    };
    notes.choose(rng).expect("not empty").to_string()
}

/// Loads the demo organization unless it exists already.
pub async fn load(pool: &PgPool) -> anyhow::Result<Demo> {
    let existing = sqlx::query_scalar!("SELECT id FROM organizations WHERE slug = 'northwind'")
        .fetch_optional(pool)
        .await?;
    if let Some(org_id) = existing {
        return Ok(Demo {
            org_id,
            created: false,
        });
    }
    let hash = credentials::hash_password_off_thread(PASSWORD.to_owned()).await?;
    let mut rng = StdRng::seed_from_u64(2026);
    let today = Utc::now().date_naive();

    let mut tx = pool.begin().await?;
    let signup = SignUp::parse(ORG_NAME, "Claire Dubois", &format!("cpo@{DOMAIN}"), PASSWORD)
        .map_err(|e| anyhow::anyhow!("demo sign-up is invalid: {e:?}"))?;
    let (org, cpo) = crate::db::orgs::sign_up(&mut tx, &signup, &hash).await?;
    let mut tree = DemoTree::grow(cpo.id);
    tree.member("Board", Role::Viewer);
    let themes = new_themes();
    let theme_ids: Vec<Uuid> = themes.iter().map(|t| t.id).collect();
    let initiatives = tree.draw_initiatives(&mut rng, today, &theme_ids);
    let history = demo_history(&mut rng, &initiatives, cpo.id);
    let quarter = Period::current_quarter(today, 1);
    let okrs = okrs::plan(
        &mut rng,
        today,
        quarter,
        &tree.portfolios,
        &initiatives,
        WRITTEN_OKRS,
        cpo.id,
    );
    let load = Load {
        members: tree.members,
        themes,
        portfolios: tree.portfolios,
        initiatives,
        history,
        okrs,
    };
    bulk::insert_all(&mut tx, org.id, &org.key_prefix, &hash, &load).await?;
    capacity::plan(&mut tx, org.id, today).await?;
    scores::plant(&mut tx, org.id).await?;
    scenarios::plant(&mut tx, org.id, cpo.id, today).await?;
    truth::plant(&mut tx, org.id, cpo.id, today).await?;
    outcomes::plant(&mut tx, org.id, cpo.id, today, outcomes::feedback_items(0)).await?;
    // A chat channel's webhook, paused: the demo sends nothing off the machine it runs on. Pointed
    // at a receiver of one's own and enabled, it shows events arriving, signed.
    sqlx::query!(
        "INSERT INTO webhooks (org_id, id, url, events, secret, enabled, disabled_reason, created_by)
         VALUES ($1, $2, 'https://chat.example.com/hooks/product-updates', $3, $4, false, $5, $6)",
        org.id,
        Uuid::now_v7(),
        &[
            "initiative.updated".to_owned(),
            "status_update.created".to_owned(),
            "scenario.applied".to_owned()
        ],
        crate::domain::webhook::new_secret(),
        "The demo sends nothing out: point it at a receiver of your own and tick Enabled.",
        cpo.id
    )
    .execute(&mut *tx)
    .await?;
    // The plan as the demo starts, to look back on once a scenario is applied.
    let root = sqlx::query_scalar!(
        "SELECT id FROM portfolios WHERE org_id = $1 AND parent_id IS NULL",
        org.id
    )
    .fetch_one(&mut *tx)
    .await?;
    crate::db::baselines::take_in(&mut tx, org.id, Some(cpo.id), root, "The plan as the demo began").await?;
    tx.commit().await?;
    Ok(Demo {
        org_id: org.id,
        created: true,
    })
}

/// Northwind's people and portfolios as `LINES` names them, and what each area works on.
struct DemoTree {
    members: Vec<NewMember>,
    portfolios: Vec<NewPortfolio>,
    /// (portfolio id, owner, titles) of every area, for the initiatives.
    areas: Vec<(Uuid, Uuid, &'static [&'static str])>,
}

impl DemoTree {
    /// The CPO's portfolio, then every product line, product and area with its leader.
    fn grow(cpo_id: Uuid) -> DemoTree {
        let mut tree = DemoTree {
            members: vec![],
            portfolios: vec![],
            areas: vec![],
        };
        let root = tree.portfolio(None, ORG_NAME, PortfolioLevel::Portfolio, Some(cpo_id), 0);
        tree.portfolios[0].description = "Every Northwind product line.".into();
        for (l, (line, vp, products)) in LINES.iter().enumerate() {
            let vp_id = tree.member(vp, Role::Member);
            let line_id = tree.portfolio(Some(root), line, PortfolioLevel::ProductLine, Some(vp_id), l);
            for (p, (product, director, lifecycle, areas)) in products.iter().enumerate() {
                let director_id = tree.member(director, Role::Member);
                let level = PortfolioLevel::Product;
                let product_id = tree.portfolio(Some(line_id), product, level, Some(director_id), p);
                tree.portfolios.last_mut().expect("just added").lifecycle = Some(*lifecycle);
                for (a, (area, pm, titles)) in areas.iter().enumerate() {
                    let pm_id = tree.member(pm, Role::Member);
                    let area_id =
                        tree.portfolio(Some(product_id), area, PortfolioLevel::Area, Some(pm_id), a);
                    tree.areas.push((area_id, pm_id, *titles));
                }
            }
        }
        tree
    }

    fn member(&mut self, name: &str, role: Role) -> Uuid {
        let id = Uuid::now_v7();
        self.members.push(NewMember {
            id,
            name: name.into(),
            email: email_of(name),
            role,
        });
        id
    }

    fn portfolio(
        &mut self,
        parent_id: Option<Uuid>,
        name: &str,
        level: PortfolioLevel,
        owner_id: Option<Uuid>,
        position: usize,
    ) -> Uuid {
        let id = Uuid::now_v7();
        self.portfolios.push(NewPortfolio {
            id,
            parent_id,
            name: name.into(),
            description: String::new(),
            level,
            owner_id,
            lifecycle: None,
            position: position as i32,
        });
        id
    }

    /// The leadership's bets, then every area's titles, drawn as initiatives. A troubled product
    /// line makes the roll-up tell a story: Platform's Identity is slipping.
    fn draw_initiatives(&self, rng: &mut StdRng, today: NaiveDate, theme_ids: &[Uuid]) -> Vec<NewInitiative> {
        let owner_of = |name: &str| -> (Uuid, Option<Uuid>) {
            let p = self
                .portfolios
                .iter()
                .find(|p| p.name == name)
                .expect("bets name existing portfolios");
            (p.id, p.owner_id)
        };
        let mut plan: Vec<(Uuid, Option<Uuid>, &str)> = LEADERSHIP_BETS
            .iter()
            .map(|(portfolio, title)| (owner_of(portfolio).0, owner_of(portfolio).1, *title))
            .collect();
        for (area_id, pm_id, titles) in &self.areas {
            plan.extend(titles.iter().map(|title| (*area_id, Some(*pm_id), *title)));
        }
        let troubled: Vec<Uuid> = self
            .portfolios
            .iter()
            .filter(|p| ["Identity", "SSO & SCIM", "Permissions", "Audit Log"].contains(&p.name.as_str()))
            .map(|p| p.id)
            .collect();
        plan.into_iter()
            .map(|(portfolio_id, owner_id, title)| {
                let troubled = troubled.contains(&portfolio_id);
                demo_initiative(rng, today, portfolio_id, owner_id, title, theme_ids, troubled)
            })
            .collect()
    }
}

/// One initiative with status, health, dates, effort, budget and RICE spread as in a real
/// organization (`cairn seed` draws its initiatives the same way).
pub(crate) fn demo_initiative(
    rng: &mut StdRng,
    today: NaiveDate,
    portfolio_id: Uuid,
    owner_id: Option<Uuid>,
    title: &str,
    themes: &[Uuid],
    troubled: bool,
) -> NewInitiative {
    let status = *[
        (Status::Done, 20),
        (Status::InProgress, 38),
        (Status::Planned, 24),
        (Status::Proposed, 13),
        (Status::Cancelled, 5),
    ]
    .choose_weighted(rng, |(_, w)| *w)
    .map(|(s, _)| s)
    .expect("weights are positive");
    let (on, risk, off) = if troubled { (40, 35, 25) } else { (72, 19, 9) };
    let health = *[
        (Health::OnTrack, on),
        (Health::AtRisk, risk),
        (Health::OffTrack, off),
    ]
    .choose_weighted(rng, |(_, w)| *w)
    .map(|(h, _)| h)
    .expect("weights are positive");
    let start_offset = match status {
        Status::Done => rng.gen_range(-300..-90),
        Status::InProgress => rng.gen_range(-150..-10),
        Status::Planned => rng.gen_range(-20..90),
        Status::Proposed => rng.gen_range(60..200),
        Status::Cancelled => rng.gen_range(-200..-30),
    };
    let start = today + Duration::days(start_offset);
    let target = start + Duration::days(rng.gen_range(30..160));
    // Running work is about as far along as its time is gone, give or take: declared on track, it
    // is then never optimistic (SPEC §10) unless the demo makes it so.
    let expected =
        (today - start).num_days().clamp(0, (target - start).num_days()) * 100 / (target - start).num_days();
    let progress = match status {
        Status::Done => 100,
        Status::InProgress => (expected + rng.gen_range(-20..12)).clamp(5, 95) as i16,
        Status::Planned => rng.gen_range(0..10),
        _ => 0,
    };
    let effort = f64::from(rng.gen_range(2..40)) / 2.0;
    // ~€4.5k per person-week, in cents; a few initiatives have no budget yet.
    let budget = rng
        .gen_bool(0.85)
        .then(|| (effort * 450_000.0) as i64 / 100 * 100);
    // Most work has a theme, skewed towards growth as in most product organisations.
    let theme_id = rng.gen_bool(0.9).then(|| {
        *themes
            .iter()
            .zip([45, 25, 20, 10])
            .collect::<Vec<_>>()
            .choose_weighted(rng, |(_, w)| *w)
            .expect("weights are positive")
            .0
    });
    NewInitiative {
        id: Uuid::now_v7(),
        values: InitiativeValues {
            title: title.to_owned(),
            description: format!("{title}: the problem, who has it, and how we will know it is solved."),
            portfolio_id,
            owner_id,
            theme_id,
            status,
            health,
            progress,
            effort,
            budget,
            start_date: Some(start),
            target_date: Some(target),
            reach: Some(rng.gen_range(1..50) * 500),
            impact: Some(*[0.25, 0.5, 1.0, 2.0, 3.0].choose(rng).expect("not empty")),
            confidence: Some(*[50, 80, 100].choose(rng).expect("not empty")),
            ..InitiativeValues::new_in(portfolio_id)
        },
        updated_at: Utc::now() - Duration::days(rng.gen_range(0..30)),
    }
}

/// A few believable check-ins for started work: progress rising, health changing now and then.
pub(crate) fn demo_history(
    rng: &mut StdRng,
    initiatives: &[NewInitiative],
    fallback_author: Uuid,
) -> Vec<HistoryEntry> {
    let mut history = vec![];
    for i in initiatives
        .iter()
        .filter(|i| matches!(i.status, Status::InProgress | Status::Done))
    {
        let steps = rng.gen_range(1..4);
        let mut before = (Status::Planned, Health::OnTrack, 0_i16);
        for step in 1..=steps {
            let last = step == steps;
            let progress = if last {
                i.progress
            } else {
                (i.progress * step / steps).max(before.2)
            };
            let status = if last { i.status } else { Status::InProgress };
            let health = if last {
                i.health
            } else {
                *[Health::OnTrack, Health::AtRisk].choose(rng).expect("not empty")
            };
            let after = (status, health, progress);
            history.push(HistoryEntry {
                initiative_id: i.id,
                author_id: i.owner_id.unwrap_or(fallback_author),
                created_at: Utc::now() - Duration::days(i64::from(7 * (steps - step) + rng.gen_range(1..6))),
                note: rng.gen_bool(0.6).then(|| note_for(rng, status, health)),
                before,
                after,
            });
            before = after;
        }
    }
    history
}

// ---- Roadmaps ----------------------------------------------------------------------------

/// The demo's shared roadmap, made on first use.
pub const BOARD_ROADMAP: &str = "Northwind board roadmap";

/// A fresh share link (default expiry) to the demo's board roadmap, for `cairn demo` to print:
/// only a link's digest is stored, so each start makes a new one. The board roadmap (the whole
/// organization by theme, this quarter and the next three) and a now/next/later roadmap of
/// Commerce are created the first time.
pub async fn share_roadmap(pool: &PgPool, org_id: Uuid) -> anyhow::Result<String> {
    use crate::db::{roadmaps, share_links};
    use crate::domain::share_link::ShareLinkInput;

    let pool = &crate::db::TenantPool::new(pool.clone(), org_id);
    let caller = demo_cpo(pool).await?;
    let existing = roadmaps::all(pool).await?;
    let board = match existing.iter().find(|r| r.name == BOARD_ROADMAP) {
        Some(board) => board.id,
        None => create_roadmaps(pool, &caller).await?,
    };
    let link = share_links::create(pool, &caller, board, &ShareLinkInput::default()).await?;
    Ok(link.token)
}

/// The demo's CPO, as the caller its roadmaps are made by.
async fn demo_cpo(pool: &crate::db::TenantPool) -> anyhow::Result<crate::db::users::Caller> {
    let org_id = pool.org_id();
    let cpo = sqlx::query!(
        r#"SELECT u.id, u.name, u.email, o.name AS org_name FROM memberships m
           JOIN users u ON u.id = m.user_id JOIN organizations o ON o.id = m.org_id
           WHERE m.org_id = $1 AND u.email = $2"#,
        org_id,
        format!("cpo@{DOMAIN}")
    )
    .fetch_one(pool)
    .await?;
    Ok(crate::db::users::Caller {
        user_id: cpo.id,
        name: cpo.name,
        email: cpo.email,
        role: Role::Admin,
        org_id,
        org_name: cpo.org_name,
    })
}

/// The board roadmap and Commerce's now/next/later one; the board's id.
async fn create_roadmaps(
    pool: &crate::db::TenantPool,
    caller: &crate::db::users::Caller,
) -> anyhow::Result<Uuid> {
    use crate::db::roadmaps;
    use crate::domain::roadmap::RoadmapChanges;
    use crate::domain::{GroupBy, RoadmapLayout};
    use chrono::Months;

    let org_id = pool.org_id();
    let today = Utc::now().date_naive();
    // The demo's organization keeps a calendar year.
    let (quarter, _) = Period::current_quarter(today, 1).dates(1);
    let portfolio = |name: &str| {
        sqlx::query_scalar!(
            "SELECT id FROM portfolios WHERE org_id = $1 AND name = $2",
            org_id,
            name
        )
        .fetch_one(pool)
    };
    let board = roadmaps::create(
        pool,
        caller,
        RoadmapChanges {
            name: Some(BOARD_ROADMAP.to_owned()),
            portfolio_id: Some(portfolio(ORG_NAME).await?),
            from: Some(quarter),
            to: Some(quarter + Months::new(12) - Duration::days(1)),
            layout: Some(RoadmapLayout::Timeline),
            group_by: Some(GroupBy::Theme),
            ..RoadmapChanges::default()
        },
    )
    .await?;
    roadmaps::create(
        pool,
        caller,
        RoadmapChanges {
            name: Some("Commerce: now, next, later".to_owned()),
            portfolio_id: Some(portfolio("Commerce").await?),
            from: Some(quarter - Months::new(3)),
            to: Some(quarter + Months::new(12)),
            layout: Some(RoadmapLayout::NowNextLater),
            group_by: Some(GroupBy::Portfolio),
            ..RoadmapChanges::default()
        },
    )
    .await?;
    Ok(board.id)
}
