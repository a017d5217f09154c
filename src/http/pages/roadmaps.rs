//! Roadmap pages: `/roadmaps` lists them with a form for a new one, `/roadmaps/{id}` draws one with
//! its share links (for its editors), `/roadmaps/{id}/edit` changes it. The rules are the database
//! layer's; this module reads the forms' text and shows what it answers.

use crate::domain::permissions::may_write;
use crate::error::forbidden_unless;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, Months, NaiveDate, Utc};
use uuid::Uuid;

use super::Layout;
use super::form::{self, Choice, FormState, label_of};
use super::roadmap_view::RoadmapDisplay;
use super::versioned_form::{self, Outcome, Record, VersionedForm};
use crate::db;
use crate::db::TenantPool;
use crate::db::permissions;
use crate::db::roadmaps::Roadmap;
use crate::db::share_links::ShareLink;
use crate::db::users::Caller;
use crate::domain::form::{CHOICE, DATE, optional, required};
use crate::domain::roadmap::{RoadmapChanges, RoadmapFilters};
use crate::domain::share_link::{DEFAULT_EXPIRY_DAYS, ShareLinkInput};
use crate::domain::{FieldErrors, GroupBy, RoadmapLayout, Status};
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::extract::PageCaller;

/// A form's fields as typed. Checkboxes arrive as repeated names, so the body is read as pairs.
#[derive(Clone, Debug, Default)]
pub struct RoadmapForm {
    name: String,
    portfolio_id: String,
    from: String,
    to: String,
    layout: String,
    group_by: String,
    statuses: Vec<String>,
    theme_ids: Vec<String>,
    show_budget: bool,
    version: String,
    /// The values the form was rendered with (edits only).
    base: String,
}

impl RoadmapForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> RoadmapForm {
        let mut typed = RoadmapForm::default();
        for (name, value) in pairs {
            match name.as_str() {
                "name" => typed.name = value,
                "portfolio_id" => typed.portfolio_id = value,
                "from" => typed.from = value,
                "to" => typed.to = value,
                "layout" => typed.layout = value,
                "group_by" => typed.group_by = value,
                "statuses" => typed.statuses.push(value),
                "theme_ids" => typed.theme_ids.push(value),
                "show_budget" => typed.show_budget = !value.is_empty(),
                "version" => typed.version = value,
                "base" => typed.base = value,
                _ => {}
            }
        }
        typed
    }

    fn from_roadmap(roadmap: &Roadmap) -> RoadmapForm {
        RoadmapForm {
            name: roadmap.name.clone(),
            portfolio_id: roadmap.portfolio_id.to_string(),
            from: roadmap.from.to_string(),
            to: roadmap.to.to_string(),
            layout: roadmap.layout.as_str().to_owned(),
            group_by: roadmap.group_by.as_str().to_owned(),
            statuses: roadmap
                .filters
                .statuses
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
            theme_ids: roadmap.filters.theme_ids.iter().map(Uuid::to_string).collect(),
            show_budget: roadmap.show_budget,
            version: roadmap.version.to_string(),
            base: String::new(),
        }
        .rendered()
    }

    /// A new roadmap: the twelve months from the start of this one, on a timeline.
    fn blank(today: NaiveDate) -> RoadmapForm {
        let from = today.with_day(1).expect("day 1 exists");
        let to = from + Months::new(12) - chrono::Days::new(1);
        RoadmapForm {
            from: from.to_string(),
            to: to.to_string(),
            layout: RoadmapLayout::Timeline.as_str().to_owned(),
            group_by: GroupBy::Portfolio.as_str().to_owned(),
            ..RoadmapForm::default()
        }
    }

    /// The changes the form asks for, and the fields whose text did not parse.
    fn parse(&self) -> (RoadmapChanges, FieldErrors) {
        let mut errors = FieldErrors::new();
        let statuses: Vec<Status> = self.statuses.iter().filter_map(|s| s.parse().ok()).collect();
        let theme_ids: Vec<Uuid> = self.theme_ids.iter().filter_map(|s| s.parse().ok()).collect();
        if statuses.len() != self.statuses.len() || theme_ids.len() != self.theme_ids.len() {
            errors.add("filters", CHOICE);
        }
        let changes = RoadmapChanges {
            name: Some(self.name.clone()),
            portfolio_id: required(&mut errors, "portfolio_id", &self.portfolio_id, CHOICE),
            from: required(&mut errors, "from", &self.from, DATE),
            to: required(&mut errors, "to", &self.to, DATE),
            layout: optional(&mut errors, "layout", &self.layout, CHOICE).flatten(),
            group_by: optional(&mut errors, "group_by", &self.group_by, CHOICE).flatten(),
            filters: Some(RoadmapFilters { statuses, theme_ids }),
            show_budget: Some(self.show_budget),
        };
        (changes, errors)
    }

    pub fn has_status(&self, value: &str) -> bool {
        self.statuses.iter().any(|s| s == value)
    }

    pub fn has_theme(&self, value: &str) -> bool {
        self.theme_ids.iter().any(|s| s == value)
    }
}

impl VersionedForm for RoadmapForm {
    const THING: &'static str = "roadmap";

    fn texts(&self) -> Vec<(String, String)> {
        [
            ("name", self.name.clone()),
            ("portfolio_id", self.portfolio_id.clone()),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("layout", self.layout.clone()),
            ("group_by", self.group_by.clone()),
            (
                "filters",
                format!("{} {}", self.statuses.join(", "), self.theme_ids.join(", ")),
            ),
            (
                "show_budget",
                if self.show_budget { "Yes" } else { "No" }.to_owned(),
            ),
        ]
        .map(|(field, text)| (field.to_owned(), text))
        .into()
    }

    fn take(&mut self, field: &str, theirs: &RoadmapForm) {
        match field {
            "name" => self.name = theirs.name.clone(),
            "portfolio_id" => self.portfolio_id = theirs.portfolio_id.clone(),
            "from" => self.from = theirs.from.clone(),
            "to" => self.to = theirs.to.clone(),
            "layout" => self.layout = theirs.layout.clone(),
            "group_by" => self.group_by = theirs.group_by.clone(),
            "filters" => {
                self.statuses = theirs.statuses.clone();
                self.theme_ids = theirs.theme_ids.clone();
            }
            "show_budget" => self.show_budget = theirs.show_budget,
            _ => {}
        }
    }

    fn version(&self) -> &str {
        &self.version
    }

    fn base(&self) -> &str {
        &self.base
    }

    fn stamp(&mut self, version: String, base: String) {
        self.version = version;
        self.base = base;
    }
}

/// The choices of the roadmap form's selects and checkboxes.
pub struct RoadmapChoices {
    portfolios: Vec<Choice>,
    layouts: Vec<Choice>,
    group_bys: Vec<Choice>,
    statuses: Vec<Choice>,
    themes: Vec<Choice>,
    /// Every portfolio's name, for the list.
    names: std::collections::HashMap<Uuid, String>,
}

impl RoadmapChoices {
    /// Portfolios the caller may edit (plus `keep`, the saved and typed ones).
    async fn load(state: &AppState, caller: &Caller, keep: &[Uuid]) -> PageResult<RoadmapChoices> {
        let tree = db::portfolios::list_tree(&state.tenant(caller)).await?;
        let editable = permissions::editable_portfolios(&state.tenant(caller), caller).await?;
        let themes = db::themes::all(&state.tenant(caller)).await?;
        Ok(RoadmapChoices {
            portfolios: form::portfolio_choices(&tree, &editable, keep, None, Some("Choose a portfolio")),
            layouts: form::word_choices(
                None,
                RoadmapLayout::ALL,
                RoadmapLayout::as_str,
                RoadmapLayout::label,
            ),
            group_bys: form::word_choices(None, GroupBy::ALL, GroupBy::as_str, GroupBy::label),
            statuses: form::word_choices(None, Status::ALL, Status::as_str, Status::label),
            themes: themes
                .into_iter()
                .map(|t| Choice::new(t.id.to_string(), t.name))
                .collect(),
            names: tree
                .into_iter()
                .map(|node| (node.portfolio.id, node.portfolio.name))
                .collect(),
        })
    }

    /// How a saved value reads beside a field after a conflict.
    fn show(&self, field: &str, value: &str) -> String {
        match field {
            "portfolio_id" => label_of(&self.portfolios, value),
            "layout" => label_of(&self.layouts, value),
            "group_by" => label_of(&self.group_bys, value),
            _ if value.trim().is_empty() => "(empty)".to_owned(),
            _ => value.to_owned(),
        }
    }
}

/// A roadmap in the list.
pub struct RoadmapListRow {
    id: Uuid,
    name: String,
    portfolio: String,
    layout: String,
    group_by: String,
    window: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "roadmaps/index.html")]
pub struct RoadmapsPage {
    layout: Layout,
    roadmaps: Vec<RoadmapListRow>,
    can_create: bool,
    values: RoadmapForm,
    form: FormState,
    choices: RoadmapChoices,
}

impl RoadmapsPage {
    async fn load(
        state: &AppState,
        caller: &Caller,
        values: RoadmapForm,
        form: FormState,
    ) -> PageResult<RoadmapsPage> {
        let keep: Vec<Uuid> = values.portfolio_id.parse().ok().into_iter().collect();
        let choices = RoadmapChoices::load(state, caller, &keep).await?;
        let all = db::roadmaps::all(&state.tenant(caller)).await?;
        let roadmaps = all
            .into_iter()
            .map(|r| RoadmapListRow {
                id: r.id,
                portfolio: choices.names.get(&r.portfolio_id).cloned().unwrap_or_default(),
                layout: r.layout.label(),
                group_by: r.group_by.label(),
                window: format!("{} – {}", r.from, r.to),
                name: r.name,
            })
            .collect();
        Ok(RoadmapsPage {
            layout: Layout::new("Roadmaps", Some(caller)).in_section("roadmaps"),
            roadmaps,
            can_create: may_write(caller),
            values,
            form,
            choices,
        })
    }
}

#[tracing::instrument(skip_all)]
pub async fn index(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
) -> PageResult<RoadmapsPage> {
    let values = RoadmapForm::blank(Utc::now().date_naive());
    RoadmapsPage::load(&state, &caller, values, FormState::default()).await
}

#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let typed = RoadmapForm::from_pairs(pairs);
    let (changes, unreadable) = typed.parse();
    // The write checks the caller's permission; a form that did not parse is checked here.
    let (status, shown) = if unreadable.is_empty() {
        match db::roadmaps::create(&state.tenant(&caller), &caller, changes).await {
            Ok(created) => return Ok(Redirect::to(&format!("/roadmaps/{}", created.id)).into_response()),
            Err(error) => form::refusal(error)?,
        }
    } else {
        forbidden_unless(may_write(&caller))?;
        let errors = form::all_errors(changes, unreadable, |c| c.apply(None));
        (StatusCode::UNPROCESSABLE_ENTITY, FormState::invalid(errors))
    };
    let page = RoadmapsPage::load(&state, &caller, typed, shown).await?;
    Ok((status, page).into_response())
}

/// A share link as the panel lists it.
pub struct ShareLinkRow {
    link: ShareLink,
    created: String,
    expires: String,
    last_viewed: String,
}

impl ShareLinkRow {
    fn new(link: ShareLink) -> ShareLinkRow {
        let when = |t: chrono::DateTime<Utc>| t.format("%-d %b %Y %H:%M UTC").to_string();
        ShareLinkRow {
            created: format!(
                "{}{}",
                when(link.created_at),
                link.created_by_name
                    .as_ref()
                    .map(|n| format!(" by {n}"))
                    .unwrap_or_default()
            ),
            expires: link.expires_at.map(when).unwrap_or_else(|| "Never".to_owned()),
            last_viewed: link
                .last_viewed_at
                .map(when)
                .unwrap_or_else(|| "Not yet".to_owned()),
            link,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "roadmaps/show.html")]
pub struct RoadmapPage {
    layout: Layout,
    roadmap: Roadmap,
    portfolio: String,
    view: RoadmapDisplay,
    can_edit: bool,
    /// Members and admins share; viewers only read.
    can_share: bool,
    links: Vec<ShareLinkRow>,
    /// Just after creating a link: its URL, shown this once.
    new_link: Option<String>,
    expiry: String,
    expiries: Vec<Choice>,
    share_form: FormState,
}

impl RoadmapPage {
    /// The page with a Content-Security-Policy that allows its generated `<style>` block (bar
    /// positions) by hash, and nothing else inline.
    fn respond(self, status: StatusCode) -> Response {
        let policy = crate::http::security::policy_allowing_style(&self.view.style_hash());
        (
            status,
            [(axum::http::header::CONTENT_SECURITY_POLICY, policy)],
            self,
        )
            .into_response()
    }

    async fn load(state: &AppState, caller: &Caller, id: Uuid) -> PageResult<RoadmapPage> {
        let view = db::roadmaps::view(&state.tenant(caller), id).await?;
        let can_edit = db::roadmaps::can_edit(&state.tenant(caller), caller, &view.roadmap).await?;
        // Any member may share what they can see; the list holds what they may manage.
        let can_share = may_write(caller);
        let links = if can_share {
            db::share_links::list(&state.tenant(caller), caller, id).await?
        } else {
            Vec::new()
        };
        let portfolio = db::portfolios::get(&state.tenant(caller), view.roadmap.portfolio_id)
            .await?
            .name;
        Ok(RoadmapPage {
            layout: Layout::new(view.roadmap.name.clone(), Some(caller)).in_section("roadmaps"),
            portfolio,
            view: RoadmapDisplay::new(&view, true, true),
            roadmap: view.roadmap,
            can_edit,
            can_share,
            links: links.into_iter().map(ShareLinkRow::new).collect(),
            new_link: None,
            expiry: DEFAULT_EXPIRY_DAYS.to_string(),
            expiries: expiry_choices(),
            share_form: FormState::default(),
        })
    }
}

fn expiry_choices() -> Vec<Choice> {
    vec![
        Choice::new("7", "In 7 days"),
        Choice::new("30", "In 30 days"),
        Choice::new("90", "In 90 days"),
        Choice::new("365", "In a year"),
        Choice::new("never", "Never"),
    ]
}

#[tracing::instrument(skip_all, fields(roadmap_id = %id))]
pub async fn show(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    Ok(RoadmapPage::load(&state, &caller, id)
        .await?
        .respond(StatusCode::OK))
}

#[derive(serde::Deserialize)]
pub struct ShareForm {
    #[serde(default)]
    expires_in: String,
}

/// Makes a link and shows its URL once (a redirect would lose it).
#[tracing::instrument(skip_all, fields(roadmap_id = %id))]
pub async fn create_share(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(typed): Form<ShareForm>,
) -> PageResult<Response> {
    let expires_at = match typed.expires_in.trim() {
        "never" => Some(None),
        days => days
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=3650).contains(d))
            .map(|d| Some(Utc::now() + chrono::Duration::days(d))),
    };
    let created = match expires_at {
        Some(expires_at) => {
            let input = ShareLinkInput {
                expires_at: Some(expires_at),
            };
            db::share_links::create(&state.tenant(&caller), &caller, id, &input).await
        }
        None => Err(AppError::field("expires_in", CHOICE)),
    };
    match created {
        Ok(link) => {
            let mut page = RoadmapPage::load(&state, &caller, id).await?;
            page.new_link = Some(state.share_url(&link.token));
            Ok(page.respond(StatusCode::CREATED))
        }
        Err(error) => {
            let (status, shown) = form::refusal(error)?;
            let mut page = RoadmapPage::load(&state, &caller, id).await?;
            page.expiry = typed.expires_in;
            page.share_form = shown;
            Ok(page.respond(status))
        }
    }
}

#[tracing::instrument(skip_all, fields(roadmap_id = %id, share_id = %share_id))]
pub async fn revoke_share(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path((id, share_id)): Path<(Uuid, Uuid)>,
) -> PageResult<Response> {
    let roadmap_id = db::share_links::revoke(&state.tenant(&caller), &caller, share_id).await?;
    if roadmap_id != id {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to(&format!("/roadmaps/{id}")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "roadmaps/form.html")]
pub struct RoadmapFormPage {
    layout: Layout,
    roadmap: Roadmap,
    values: RoadmapForm,
    form: FormState,
    choices: RoadmapChoices,
}

impl RoadmapFormPage {
    async fn load(
        state: &AppState,
        caller: &Caller,
        roadmap: Roadmap,
        values: RoadmapForm,
    ) -> PageResult<RoadmapFormPage> {
        let keep: Vec<Uuid> = [Some(roadmap.portfolio_id), values.portfolio_id.parse().ok()]
            .into_iter()
            .flatten()
            .collect();
        Ok(RoadmapFormPage {
            layout: Layout::new(format!("Edit {}", roadmap.name), Some(caller)).in_section("roadmaps"),
            choices: RoadmapChoices::load(state, caller, &keep).await?,
            roadmap,
            values,
            form: FormState::default(),
        })
    }
}

#[tracing::instrument(skip_all, fields(roadmap_id = %id))]
pub async fn edit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
) -> PageResult<RoadmapFormPage> {
    let roadmap = db::roadmaps::get(&state.tenant(&caller), caller.org_id, id).await?;
    db::roadmaps::require_editor(&state.tenant(&caller), &caller, &roadmap).await?;
    let values = RoadmapForm::from_roadmap(&roadmap);
    RoadmapFormPage::load(&state, &caller, roadmap, values).await
}

#[tracing::instrument(skip_all, fields(roadmap_id = %id))]
pub async fn update(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let pool = &state.tenant(&caller);
    let record = Record::new(pool, &caller, id);
    let outcome = versioned_form::submit(
        record,
        RoadmapForm::from_pairs(pairs),
        |typed, version| write(pool, &caller, id, typed, version),
        || async {
            Ok(RoadmapForm::from_roadmap(
                &db::roadmaps::get(pool, caller.org_id, id).await?,
            ))
        },
    )
    .await?;
    match outcome {
        Outcome::Saved(saved, merged) => {
            Ok(Redirect::to(&merged.mark(&format!("/roadmaps/{}", saved.id))).into_response())
        }
        Outcome::Shown(status, typed, shown) => {
            // Shown without writing: the permission is checked here.
            let current = db::roadmaps::get(pool, caller.org_id, id).await?;
            db::roadmaps::require_editor(pool, &caller, &current).await?;
            let mut page = RoadmapFormPage::load(&state, &caller, current, typed).await?;
            page.form = shown.labelled(|field, value| page.choices.show(field, value));
            Ok((status, page).into_response())
        }
    }
}

/// Saves what the form asks for against `version`; text that does not parse is refused with every
/// problem of the form, as the domain finds them on the saved roadmap.
async fn write(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    typed: RoadmapForm,
    version: i64,
) -> Result<Roadmap, AppError> {
    let (changes, unreadable) = typed.parse();
    if !unreadable.is_empty() {
        let current = db::roadmaps::get(pool, caller.org_id, id).await?.values();
        let errors = form::all_errors(changes, unreadable, |c| c.apply(Some(&current)));
        return Err(AppError::Validation(errors));
    }
    db::roadmaps::update(pool, caller, id, Some(version), changes).await
}

#[tracing::instrument(skip_all, fields(roadmap_id = %id))]
pub async fn delete(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    db::roadmaps::delete(&state.tenant(&caller), &caller, id, None).await?;
    Ok(Redirect::to("/roadmaps").into_response())
}
