//! `/settings/webhooks` (admins): register an endpoint and see its secret once, then on
//! `/settings/webhooks/{id}` change or pause it, send a test event, delete it, and read its delivery
//! log (each attempt's time, status, latency and the start of the answer).

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::Layout;
use super::form::{FormState, refusal, rendered_version};
use crate::db;
use crate::db::users::Caller;
use crate::db::webhooks::{Attempt, CreatedWebhook, Webhook};
use crate::domain::page::PageRequest;
use crate::domain::webhook::{WebhookChanges, event_names};
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::extract::PageCaller;

const PATH: &str = "/settings/webhooks";
/// Attempts the endpoint's page shows.
const LOG_LENGTH: i64 = 50;

/// An endpoint's form as typed: repeated `events` fields, one per ticked box.
#[derive(Clone, Debug, Default)]
pub struct WebhookForm {
    url: String,
    events: Vec<String>,
    enabled: bool,
    version: String,
}

impl WebhookForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> WebhookForm {
        let mut typed = WebhookForm::default();
        for (name, value) in pairs {
            match name.as_str() {
                "url" => typed.url = value,
                "events" => typed.events.push(value),
                "enabled" => typed.enabled = !value.is_empty(),
                "version" => typed.version = value,
                _ => {}
            }
        }
        typed
    }

    fn saved(webhook: &Webhook) -> WebhookForm {
        WebhookForm {
            url: webhook.url.clone(),
            events: webhook.events.clone(),
            enabled: webhook.enabled,
            version: webhook.version.to_string(),
        }
    }

    fn changes(&self, edit: bool) -> WebhookChanges {
        WebhookChanges {
            url: Some(self.url.clone()),
            events: Some(self.events.clone()),
            secret: None,
            enabled: edit.then_some(self.enabled),
        }
    }

    /// Whether the form ticks `event`.
    pub fn has(&self, event: &&str) -> bool {
        self.events.iter().any(|e| e == event)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/webhooks.html")]
pub struct WebhooksPage {
    layout: Layout,
    webhooks: Vec<Webhook>,
    events: Vec<&'static str>,
    typed: WebhookForm,
    form: FormState,
}

impl WebhooksPage {
    async fn load(
        state: &AppState,
        caller: &Caller,
        typed: WebhookForm,
        form: FormState,
    ) -> PageResult<Self> {
        Ok(WebhooksPage {
            layout: Layout::new("Webhooks", Some(caller)).in_section("settings"),
            webhooks: db::webhooks::list(&state.tenant(caller), caller).await?,
            events: event_names(),
            typed,
            form,
        })
    }
}

#[tracing::instrument(skip_all)]
pub async fn index(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
) -> PageResult<WebhooksPage> {
    let fresh = WebhookForm {
        events: event_names().into_iter().map(str::to_owned).collect(),
        ..WebhookForm::default()
    };
    WebhooksPage::load(&state, &caller, fresh, FormState::default()).await
}

/// Registers the endpoint and shows its page with the secret, this once.
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let typed = WebhookForm::from_pairs(pairs);
    let pool = state.tenant(&caller);
    match db::webhooks::create(&pool, &caller, typed.changes(false), state.webhook_policy).await {
        Ok(CreatedWebhook { webhook, secret }) => {
            let page = WebhookPage::load(&state, &caller, webhook, None, Some(secret), Notice::None).await?;
            Ok((StatusCode::CREATED, page).into_response())
        }
        Err(error) => {
            let (status, form) = refusal(error)?;
            Ok((status, WebhooksPage::load(&state, &caller, typed, form).await?).into_response())
        }
    }
}

/// What the endpoint's page says above its form after a redirect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    None,
    Saved,
    TestSent,
}

#[derive(serde::Deserialize)]
pub struct NoticeQuery {
    #[serde(default)]
    done: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/webhook.html")]
pub struct WebhookPage {
    layout: Layout,
    webhook: Webhook,
    /// Shown once, right after the endpoint was registered.
    secret: Option<String>,
    notice: Notice,
    events: Vec<&'static str>,
    typed: WebhookForm,
    form: FormState,
    attempts: Vec<Attempt>,
}

impl WebhookPage {
    async fn load(
        state: &AppState,
        caller: &Caller,
        webhook: Webhook,
        refused: Option<(WebhookForm, FormState)>,
        secret: Option<String>,
        notice: Notice,
    ) -> PageResult<Self> {
        let pool = state.tenant(caller);
        let log = PageRequest {
            limit: LOG_LENGTH,
            after: None,
        };
        let attempts = db::webhooks::attempts(&pool, caller, webhook.id, &log)
            .await?
            .items;
        let (typed, form) = refused.unwrap_or_else(|| (WebhookForm::saved(&webhook), FormState::default()));
        Ok(WebhookPage {
            layout: Layout::new(format!("Webhook {}", webhook.url), Some(caller)).in_section("settings"),
            webhook,
            secret,
            notice,
            events: event_names(),
            typed,
            form,
            attempts,
        })
    }
}

#[tracing::instrument(skip_all, fields(webhook_id = %id))]
pub async fn show(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Query(query): Query<NoticeQuery>,
) -> PageResult<WebhookPage> {
    let webhook = db::webhooks::get(&state.tenant(&caller), &caller, id).await?;
    let notice = match query.done.as_str() {
        "saved" => Notice::Saved,
        "test" => Notice::TestSent,
        _ => Notice::None,
    };
    WebhookPage::load(&state, &caller, webhook, None, None, notice).await
}

#[tracing::instrument(skip_all, fields(webhook_id = %id))]
pub async fn update(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let typed = WebhookForm::from_pairs(pairs);
    let version = rendered_version(&typed.version)?;
    let pool = state.tenant(&caller);
    let written = db::webhooks::update(
        &pool,
        &caller,
        id,
        Some(version),
        typed.changes(true),
        state.webhook_policy,
    )
    .await;
    match written {
        Ok(_) => Ok(Redirect::to(&format!("{PATH}/{id}?done=saved")).into_response()),
        Err(error) => {
            let (status, form) = refusal(error)?;
            let webhook = db::webhooks::get(&pool, &caller, id).await?;
            let page =
                WebhookPage::load(&state, &caller, webhook, Some((typed, form)), None, Notice::None).await?;
            Ok((status, page).into_response())
        }
    }
}

#[tracing::instrument(skip_all, fields(webhook_id = %id))]
pub async fn send_test(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let pool = state.tenant(&caller);
    match db::webhooks::send_test(&pool, &caller, id).await {
        Ok(_) => Ok(Redirect::to(&format!("{PATH}/{id}?done=test")).into_response()),
        Err(error) => {
            let (status, form) = refusal(error)?;
            let webhook = db::webhooks::get(&pool, &caller, id).await?;
            let typed = WebhookForm::saved(&webhook);
            let page =
                WebhookPage::load(&state, &caller, webhook, Some((typed, form)), None, Notice::None).await?;
            Ok((status, page).into_response())
        }
    }
}

#[derive(serde::Deserialize)]
pub struct DeleteForm {
    version: String,
}

#[tracing::instrument(skip_all, fields(webhook_id = %id))]
pub async fn delete(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(form): Form<DeleteForm>,
) -> PageResult<Redirect> {
    let version = rendered_version(&form.version)?;
    match db::webhooks::delete(&state.tenant(&caller), &caller, id, Some(version)).await {
        Ok(()) | Err(AppError::NotFound) => Ok(Redirect::to(PATH)),
        Err(error) => Err(error),
    }
}
