//! Cairn's domain: the vocabulary of SPEC §2 and its rules, with no I/O.

pub mod account;
pub mod baseline;
pub mod capacity;
pub mod credentials;
pub mod csv_file;
pub mod csv_import;
pub mod currency;
pub mod dependency;
pub mod digest;
pub mod form;
pub mod initiative;
pub mod jira;
pub mod member;
pub mod money;
pub mod okr;
pub mod org;
pub mod pace;
pub mod page;
pub mod patch;
pub mod period;
pub mod permissions;
pub mod portfolio;
pub mod priorities;
pub mod rollup;
pub mod scenario;
pub mod scorecard;
pub mod scores;
pub mod status_update;
pub mod theme;
pub mod throttle;
pub mod validation;
pub mod webhook;

pub use validation::FieldErrors;

/// Declares a closed set of snake_case words stored as text: serde, sqlx and display agree.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, sqlx::Type, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        #[sqlx(type_name = "text", rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The word as people read it: "in_progress" → "In progress".
            pub fn label(self) -> String {
                let text = self.as_str().replace('_', " ");
                let mut chars = text.chars();
                chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!("must be one of: {}", [$($text),+].join(", "))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// The events a webhook may subscribe to (SPEC §12), in the order pages list them.
    WebhookEvent {
        InitiativeCreated = "initiative.created", InitiativeUpdated = "initiative.updated",
        StatusUpdateCreated = "status_update.created", KeyResultCheckedIn = "key_result.checked_in",
        ScenarioApplied = "scenario.applied",
    }
);

text_enum!(
    /// What kind of file an import reads (SPEC §12): Jira's CSV export, or Cairn's own initiative
    /// list exported and edited.
    ImportSource { Jira = "jira", Cairn = "cairn" }
);

text_enum!(
    /// A member's role in one organization (SPEC §2, §5).
    Role { Admin = "admin", Member = "member", Viewer = "viewer" }
);

text_enum!(
    /// Where an initiative is in its life.
    Status { Proposed = "proposed", Planned = "planned", InProgress = "in_progress", Done = "done", Cancelled = "cancelled" }
);

text_enum!(
    /// How an initiative is going, as its PM judges it.
    Health { OnTrack = "on_track", AtRisk = "at_risk", OffTrack = "off_track" }
);

text_enum!(
    /// A slice of the work a roll-up figure is computed over (SPEC §3): `active` is what health is
    /// judged over, `not_cancelled` what progress, effort and the investment mix sum; `open` (not
    /// done, not cancelled) is the work priorities rank (SPEC §8).
    WorkScope { Active = "active", NotCancelled = "not_cancelled", Open = "open" }
);

text_enum!(
    /// How the initiative list page orders its rows; the scores and the manual rank are the orders
    /// of priorities (SPEC §8), highest first.
    InitiativeSort {
        Target = "target", Rice = "rice", Updated = "updated",
        Wsjf = "wsjf", Moar = "moar", Scorecard = "scorecard", Rank = "rank", Demand = "demand",
    }
);

text_enum!(
    /// How an initiative changed since a baseline (SPEC §10), in the order a review reads them.
    ChangeKind {
        Slipped = "slipped", PulledIn = "pulled_in", Added = "added", Removed = "removed",
        Rescoped = "rescoped", Status = "status", Health = "health", Moved = "moved",
    }
);

text_enum!(
    /// What priorities rank by (SPEC §8): a score, the organization's manual order, or the
    /// customer demand behind the work (SPEC §11).
    RankBy { Rice = "rice", Wsjf = "wsjf", Moar = "moar", Scorecard = "scorecard", Rank = "rank", Demand = "demand" }
);

impl RankBy {
    /// The list order that ranks this way.
    pub fn sort(self) -> InitiativeSort {
        match self {
            RankBy::Rice => InitiativeSort::Rice,
            RankBy::Wsjf => InitiativeSort::Wsjf,
            RankBy::Moar => InitiativeSort::Moar,
            RankBy::Scorecard => InitiativeSort::Scorecard,
            RankBy::Rank => InitiativeSort::Rank,
            RankBy::Demand => InitiativeSort::Demand,
        }
    }
}

text_enum!(
    /// What a roll-up groups a subtree's initiatives by besides the portfolio tree (SPEC §13).
    RollupDimension {
        Theme = "theme", Owner = "owner", Objective = "objective", Status = "status",
        Health = "health", Lifecycle = "lifecycle", Level = "level",
    }
);

impl RollupDimension {
    /// Whether the groups' parts are kept per portfolio by the roll-up's upkeep
    /// (migrations/0034_group_totals.sql), rather than computed from the subtree per read.
    pub fn is_kept(self) -> bool {
        matches!(self, RollupDimension::Theme | RollupDimension::Owner)
    }

    /// The label of the group of work without a theme, owner, objective or stage.
    pub fn unassigned(self) -> &'static str {
        match self {
            RollupDimension::Theme => "Unassigned",
            RollupDimension::Owner => "No owner",
            RollupDimension::Objective => "No objective",
            RollupDimension::Lifecycle => "No stage",
            // Every initiative has a status and a health, and every portfolio a level.
            RollupDimension::Status | RollupDimension::Health | RollupDimension::Level => "None",
        }
    }

    /// The label of a group named by a word (a status, health, stage or level), as the pages
    /// show that word.
    pub fn word_label(self, word: &str) -> String {
        let label = match self {
            RollupDimension::Status => word.parse::<Status>().map(Status::label),
            RollupDimension::Health => word.parse::<Health>().map(Health::label),
            RollupDimension::Lifecycle => word.parse::<Lifecycle>().map(Lifecycle::label),
            RollupDimension::Level => word.parse::<PortfolioLevel>().map(PortfolioLevel::label),
            RollupDimension::Theme | RollupDimension::Owner | RollupDimension::Objective => {
                Err(String::new())
            }
        };
        label.unwrap_or_else(|_| word.to_owned())
    }
}

text_enum!(
    /// A portfolio's level in the product hierarchy, from the CPO's portfolio down to a PM's area.
    PortfolioLevel { Portfolio = "portfolio", ProductLine = "product_line", Product = "product", Area = "area" }
);

text_enum!(
    /// A product's lifecycle stage.
    Lifecycle {
        Concept = "concept", Development = "development", Launch = "launch",
        Growth = "growth", Maturity = "maturity", Retirement = "retirement",
    }
);

impl PortfolioLevel {
    /// The next level down, which a new child usually takes; an area has none.
    pub fn below(self) -> Option<PortfolioLevel> {
        let index = PortfolioLevel::ALL.iter().position(|&level| level == self)?;
        PortfolioLevel::ALL.get(index + 1).copied()
    }
}

impl Role {
    pub fn can_write(self) -> bool {
        self != Role::Viewer
    }
}

impl Status {
    /// Planned and in-progress work: what health is judged over (SPEC §3). The same rule as SQL's
    /// `initiative_is_active` (migrations/0017_status_rules.sql), which every query calls.
    pub fn is_active(self) -> bool {
        matches!(self, Status::Planned | Status::InProgress)
    }

    /// Done and cancelled work cannot be late. The negation of SQL's `initiative_is_open`
    /// (migrations/0017_status_rules.sql), which every query calls.
    pub fn is_closed(self) -> bool {
        matches!(self, Status::Done | Status::Cancelled)
    }
}

// Outcomes (SPEC §11): KPIs and customer feedback.
pub mod feedback;
pub mod kpi;

// Roadmaps and their share links.
pub mod roadmap;
pub mod share_link;

text_enum!(
    /// How a roadmap is drawn: bars on a calendar, or three columns by date relative to today.
    RoadmapLayout { Timeline = "timeline", NowNextLater = "now_next_later" }
);

text_enum!(
    /// What a roadmap's lanes are.
    GroupBy { Portfolio = "portfolio", Theme = "theme", Objective = "objective", Owner = "owner", Status = "status" }
);
