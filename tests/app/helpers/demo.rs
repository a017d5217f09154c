//! The demo organization and a tour of its pages.

use uuid::Uuid;

use super::TestApp;

/// The demo organization, loaded into a test's database, and one page of every kind a person
/// meets in it: what the compression and accessibility tests walk through.
pub struct DemoTour {
    /// The sign-in page, for a visitor.
    pub sign_in: String,
    /// Pages for the signed-in CPO, each with what it is: roll-up, initiative, /my, …
    pub pages: Vec<(&'static str, String)>,
    /// The board roadmap's share link, which opens without an account.
    pub shared: String,
}

pub const DEMO_CPO: &str = "cpo@northwind.example";

impl TestApp {
    /// Loads the demo (`cairn demo`'s organization) and finds a page of every kind in it.
    pub async fn demo_tour(&self) -> DemoTour {
        let demo = cairn::demo::load(&self.pool).await.expect("load the demo");
        let token = cairn::demo::share_roadmap(&self.pool, demo.org_id)
            .await
            .expect("share the board roadmap");
        let id = |sql: &'static str| {
            let pool = self.pool.clone();
            async move {
                sqlx::query_scalar::<_, Uuid>(sql)
                    .bind(demo.org_id)
                    .fetch_one(&pool)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
            }
        };
        let root = id("SELECT id FROM portfolios WHERE org_id = $1 AND parent_id IS NULL").await;
        let area =
            id("SELECT id FROM portfolios WHERE org_id = $1 AND level = 'area' ORDER BY name LIMIT 1").await;
        let initiative = id("SELECT id FROM initiatives WHERE org_id = $1 AND key = 'NORTH-20'").await;
        let objective = id("SELECT id FROM objectives WHERE org_id = $1 ORDER BY title LIMIT 1").await;
        let timeline = id("SELECT id FROM roadmaps WHERE org_id = $1 AND layout = 'timeline' LIMIT 1").await;
        let columns =
            id("SELECT id FROM roadmaps WHERE org_id = $1 AND layout = 'now_next_later' LIMIT 1").await;
        let scenario =
            id("SELECT id FROM scenarios WHERE org_id = $1 AND name = 'Fund payments first'").await;
        let other = id("SELECT id FROM scenarios WHERE org_id = $1 AND name = 'Cut legacy'").await;
        let quarter = cairn::domain::period::Period::current_quarter(chrono::Utc::now().date_naive(), 1);
        let quarter_plan = id("SELECT id FROM baselines WHERE org_id = $1 AND name LIKE '%-Q_ plan'").await;
        let product = id(
            "SELECT portfolio_id FROM kpis WHERE org_id = $1 GROUP BY portfolio_id ORDER BY count(*) DESC, portfolio_id LIMIT 1",
        )
        .await;
        let webhook = id("SELECT id FROM webhooks WHERE org_id = $1 LIMIT 1").await;
        let in_demand = id(
            "SELECT id FROM initiatives WHERE org_id = $1 ORDER BY demand_importance DESC, number LIMIT 1",
        )
        .await;
        let in_conflict = id(
            "SELECT id FROM initiatives WHERE org_id = $1 AND dependency_conflict ORDER BY number LIMIT 1",
        )
        .await;
        DemoTour {
            sign_in: "/login".to_owned(),
            pages: vec![
                ("the CPO's roll-up", format!("/portfolios/{root}")),
                ("an area's roll-up", format!("/portfolios/{area}")),
                ("the portfolio tree", "/portfolios".to_owned()),
                ("the CPO's priorities", format!("/portfolios/{root}/priorities")),
                (
                    "the manual order, with its move forms",
                    format!("/portfolios/{root}/priorities?by=rank"),
                ),
                ("an initiative", format!("/initiatives/{initiative}")),
                ("the initiative list", "/initiatives".to_owned()),
                (
                    "the initiative list of a quarter, with shares",
                    format!("/initiatives?portfolio_id={root}&scope=active&quarter={quarter}"),
                ),
                ("a portfolio's capacity", format!("/portfolios/{root}/capacity")),
                ("a new initiative's form", "/initiatives/new".to_owned()),
                (
                    "an initiative's edit form",
                    format!("/initiatives/{initiative}/edit"),
                ),
                ("my initiatives", "/my".to_owned()),
                ("the OKR tree", "/objectives".to_owned()),
                ("an objective", format!("/objectives/{objective}")),
                ("the roadmaps", "/roadmaps".to_owned()),
                ("a timeline roadmap", format!("/roadmaps/{timeline}")),
                ("a now/next/later roadmap", format!("/roadmaps/{columns}")),
                ("members", "/settings/members".to_owned()),
                ("organization settings", "/settings/organization".to_owned()),
                ("themes", "/settings/themes".to_owned()),
                ("the scorecard", "/settings/scorecard".to_owned()),
                ("the webhooks", "/settings/webhooks".to_owned()),
                (
                    "the chat channel's paused webhook",
                    format!("/settings/webhooks/{webhook}"),
                ),
                ("the scenarios", "/scenarios".to_owned()),
                (
                    "a scenario beside the live plan, with its forms",
                    format!("/scenarios/{scenario}"),
                ),
                (
                    "two scenarios compared",
                    format!("/scenarios/compare?a={scenario}&b={other}"),
                ),
                (
                    "what changed since the quarter's plan",
                    format!("/baselines/{quarter_plan}"),
                ),
                (
                    "an initiative in conflict with its blocker",
                    format!("/initiatives/{in_conflict}"),
                ),
                ("the optimistic work", "/initiatives?optimistic=true".to_owned()),
                ("a product with its KPI cards", format!("/portfolios/{product}")),
                (
                    "a product's KPIs and their forms",
                    format!("/portfolios/{product}/kpis"),
                ),
                ("the lifecycle board", format!("/portfolios/{root}/lifecycle")),
                (
                    "the portfolio grouped by theme",
                    format!("/portfolios/{root}?by=theme"),
                ),
                (
                    "the portfolio grouped by objective",
                    format!("/portfolios/{root}?by=objective"),
                ),
                ("the feedback inbox", "/feedback".to_owned()),
                ("the CPO's weekly digest", format!("/portfolios/{root}/digest")),
                (
                    "the Jira import form",
                    format!("/imports/new?portfolio_id={area}"),
                ),
                (
                    "the initiative most in demand",
                    format!("/initiatives/{in_demand}"),
                ),
                ("the initiatives by demand", "/initiatives?sort=demand".to_owned()),
            ],
            shared: format!("/s/{token}"),
        }
    }
}
