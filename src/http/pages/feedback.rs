//! `/feedback`: the customer feedback inbox (SPEC §11). Unlinked feedback first, newest first;
//! search by customer and text; each item has a one-submit "link to initiative" form whose field
//! suggests initiatives from a list (no JavaScript: an HTML datalist) and takes any key. Members
//! and admins add feedback here; viewers read.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::Layout;
use super::form::{Choice, FormState, refusal, word_choices};
use crate::db;
use crate::db::feedback::{Feedback, FeedbackFilter};
use crate::db::pages::feedback::InboxData;
use crate::db::users::Caller;
use crate::domain::FieldErrors;
use crate::domain::currency::format_money;
use crate::domain::feedback::{FeedbackInput, Importance};
use crate::domain::form::{CHOICE, optional, optional_money};
use crate::domain::money;
use crate::domain::page::PageRequest;
use crate::domain::permissions::may_write;
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::extract::{PageCaller, StampedPageCaller, urlencode};

/// `?q=&customer=&linked=&cursor=&for=`: the inbox's search, as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct InboxQuery {
    q: String,
    customer: String,
    /// "" (all, unlinked first), "false" or "true".
    linked: String,
    cursor: String,
    /// An initiative key the link fields start with (from an initiative's "link feedback").
    #[serde(rename = "for")]
    for_key: String,
    /// The item just linked, said above the list (it may have left the list: "only unlinked").
    linked_now: String,
}

impl InboxQuery {
    fn filter(&self) -> FeedbackFilter {
        let words = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        FeedbackFilter {
            linked: match self.linked.as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            customer: words(&self.customer),
            text: words(&self.q),
            initiative_id: None,
        }
    }

    /// The query string of this search (without its cursor), to come back to after a write.
    fn back(&self) -> String {
        format!(
            "q={}&customer={}&linked={}&for={}",
            urlencode(&self.q),
            urlencode(&self.customer),
            urlencode(&self.linked),
            urlencode(&self.for_key)
        )
    }
}

/// One item as the inbox shows it.
pub struct FeedbackRow {
    pub item: Feedback,
    pub value: Option<String>,
    pub importance: &'static str,
    /// (link, key, title) of each initiative it is linked to.
    pub initiatives: Vec<(String, String, String)>,
    pub form: FormState,
    /// What the link field holds: what was typed into a refused one, else the page's `for`.
    pub typed: String,
}

fn importance_label(importance: Importance) -> &'static str {
    match importance {
        Importance::NiceToHave => "Nice to have",
        Importance::Important => "Important",
        Importance::Critical => "Critical",
    }
}

/// The add form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct FeedbackForm {
    text: String,
    customer: String,
    customer_value: String,
    importance: String,
    source: String,
}

impl FeedbackForm {
    fn read(&self, digits: u32) -> Result<FeedbackInput, AppError> {
        let mut unreadable = FieldErrors::new();
        let input = FeedbackInput {
            text: Some(self.text.clone()),
            customer: Some(self.customer.clone()),
            customer_value: optional_money(&mut unreadable, "customer_value", &self.customer_value, digits),
            importance: optional(&mut unreadable, "importance", &self.importance, CHOICE).flatten(),
            source: Some(Some(self.source.clone())),
        };
        super::settings_rows::readable(input, unreadable, FeedbackInput::check)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "feedback/inbox.html")]
pub struct InboxPage {
    layout: Layout,
    query: InboxQuery,
    rows: Vec<FeedbackRow>,
    unlinked: i64,
    next: Option<String>,
    picker: Vec<(String, String)>,
    can_write: bool,
    importances: Vec<Choice>,
    typed: FeedbackForm,
    form: FormState,
    value_label: String,
    back: String,
    /// "Linked Acme's feedback to NW-12 Refunds": the link just made, with the initiative's page.
    notice: Option<(String, String)>,
}

/// A refused form of the page: the add form, or one item's link form.
enum Refusal {
    Add(FeedbackForm, FormState),
    Link(Uuid, String, FormState),
}

impl InboxPage {
    async fn load(
        state: &AppState,
        caller: &Caller,
        query: InboxQuery,
        refused: Option<Refusal>,
    ) -> PageResult<InboxPage> {
        let mut errors = FieldErrors::new();
        let page = PageRequest::parse(
            &mut errors,
            None,
            Some(&query.cursor).filter(|c| !c.is_empty()).map(String::as_str),
        );
        let page = if errors.is_empty() {
            page
        } else {
            PageRequest::default()
        };
        let InboxData {
            items,
            linked,
            around,
        } = db::pages::feedback::read(
            &state.tenant(caller),
            &state.caches.inboxes,
            caller.user_id,
            &query.filter(),
            &page,
        )
        .await?;
        let currency = &around.currency;
        let (add, mut link) = match refused {
            Some(Refusal::Add(typed, form)) => (Some((typed, form)), None),
            Some(Refusal::Link(id, typed, form)) => (None, Some((id, typed, form))),
            None => (None, None),
        };
        let notice = match query.linked_now.parse::<Uuid>() {
            Ok(id) => linked_notice(state, caller, id).await?,
            Err(_) => None,
        };
        let back = query.back();
        let next = items
            .next_cursor
            .as_ref()
            .map(|cursor| format!("/feedback?{back}&cursor={cursor}"));
        let rows = items
            .items
            .into_iter()
            .map(|item| {
                let prefix = format!("feedback-{}-", item.id);
                let (typed, form) = match link.take_if(|(id, _, _)| *id == item.id) {
                    Some((_, typed, form)) => (typed, form.with_id_prefix(prefix)),
                    None => (query.for_key.clone(), FormState::default().with_id_prefix(prefix)),
                };
                FeedbackRow {
                    value: item.customer_value.map(|v| format_money(v, currency)),
                    importance: importance_label(item.importance),
                    initiatives: item
                        .initiative_ids
                        .iter()
                        .filter_map(|id| {
                            linked.get(id).map(|(key, title)| {
                                (format!("/initiatives/{id}"), key.clone(), title.clone())
                            })
                        })
                        .collect(),
                    item,
                    form,
                    typed,
                }
            })
            .collect();
        let (typed, form) = add.unwrap_or_else(|| {
            let fresh = FeedbackForm {
                importance: Importance::Important.as_str().to_owned(),
                ..FeedbackForm::default()
            };
            (fresh, FormState::default())
        });
        Ok(InboxPage {
            layout: Layout::new("Customer feedback", Some(caller)).in_section("feedback"),
            query,
            rows,
            unlinked: around.unlinked,
            next,
            picker: around.picker.clone(),
            can_write: may_write(caller),
            importances: word_choices(None, Importance::ALL, Importance::as_str, |i| {
                importance_label(i).to_owned()
            }),
            typed,
            form,
            value_label: format!("Customer value in {currency}"),
            back,
            notice,
        })
    }
}

#[tracing::instrument(skip_all)]
pub async fn inbox(
    State(state): State<AppState>,
    StampedPageCaller(caller, stamp): StampedPageCaller,
    uri: Uri,
    Query(query): Query<InboxQuery>,
) -> PageResult<Html<Bytes>> {
    super::kept(&state, &caller, stamp, &uri, None, || {
        InboxPage::load(&state, &caller, query, None)
    })
    .await
}

#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Form(typed): Form<FeedbackForm>,
) -> PageResult<Response> {
    let pool = state.tenant(&caller);
    let digits = money::minor_digits(&db::orgs::get(&pool).await?.currency);
    let written = match typed.read(digits) {
        Ok(input) => db::feedback::create(&pool, &caller, input).await.map(drop),
        Err(error) => Err(error),
    };
    match written {
        Ok(()) => Ok(Redirect::to("/feedback?linked=false").into_response()),
        Err(error) => {
            let (status, form) = refusal(error)?;
            let page = InboxPage::load(
                &state,
                &caller,
                InboxQuery::default(),
                Some(Refusal::Add(typed, form)),
            )
            .await?;
            Ok((status, page).into_response())
        }
    }
}

/// What the notice above the inbox says of feedback `id` just linked: its customer and the
/// initiative it was linked to last, with that initiative's page.
async fn linked_notice(state: &AppState, caller: &Caller, id: Uuid) -> PageResult<Option<(String, String)>> {
    let pool = state.tenant(caller);
    let item = match db::feedback::get(&pool, id).await {
        Ok(item) => item,
        Err(AppError::NotFound) => return Ok(None),
        Err(other) => return Err(other),
    };
    let Some(&initiative_id) = item.initiative_ids.last() else {
        return Ok(None);
    };
    let initiative = db::initiatives::get(&pool, initiative_id).await?;
    let said = format!(
        "Linked {}’s feedback to {} {}: its demand counts it now.",
        item.customer, initiative.key, initiative.title
    );
    Ok(Some((said, format!("/initiatives/{initiative_id}#demand"))))
}

/// The link form: the initiative as typed (a key, or a suggestion "KEY — title"), and the
/// inbox's search to return to.
#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    initiative: String,
    #[serde(default)]
    back: String,
}

/// `POST /feedback/{id}/link`: links the item to the initiative typed, then back to the inbox
/// (the item now among the linked); what cannot be linked is said beside the field.
#[tracing::instrument(skip_all, fields(feedback_id = %id))]
pub async fn link(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(form): Form<LinkForm>,
) -> PageResult<Response> {
    let pool = state.tenant(&caller);
    // A suggestion reads "NW-12 — Title": its key is the first word.
    let key = form.initiative.split_whitespace().next().unwrap_or_default();
    let refused = match db::initiatives::id_of_key(&pool, key).await? {
        None if key.is_empty() => {
            AppError::field("initiative", "is required: type or pick an initiative's key")
        }
        None => AppError::field(
            "initiative",
            format!("is not an initiative's key: no initiative is {key}"),
        ),
        Some(initiative_id) => match db::feedback::link(&pool, &caller, initiative_id, id).await {
            Ok(_) => {
                let back = form.back.trim_start_matches('?');
                return Ok(Redirect::to(&format!("/feedback?{back}&linked_now={id}")).into_response());
            }
            Err(error) => error,
        },
    };
    let (status, state_of_form) = refusal(refused)?;
    let query: InboxQuery = serde_urlencoded::from_str(&form.back).unwrap_or_default();
    let page = InboxPage::load(
        &state,
        &caller,
        query,
        Some(Refusal::Link(id, form.initiative, state_of_form)),
    )
    .await?;
    Ok((status, page).into_response())
}

/// `POST /initiatives/{id}/feedback/{feedback_id}/unlink`: back to the initiative's demand.
#[tracing::instrument(skip_all, fields(initiative_id = %id, feedback_id = %feedback_id))]
pub async fn unlink(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path((id, feedback_id)): Path<(Uuid, Uuid)>,
) -> PageResult<Redirect> {
    db::feedback::unlink(&state.tenant(&caller), &caller, id, feedback_id).await?;
    Ok(Redirect::to(&format!("/initiatives/{id}#demand")))
}

/// The initiative page's view of its demand and the feedback behind it.
pub struct DemandView {
    /// "5 requests from 3 customers".
    pub summary: String,
    pub value: String,
    pub explained: String,
    pub importance: i32,
    pub rows: Vec<(Feedback, Option<String>, &'static str)>,
    /// The list of initiatives sorted by demand, for comparison.
    pub ranking_url: String,
}

impl DemandView {
    pub fn new(
        demand: crate::domain::feedback::Demand,
        feedback: Vec<Feedback>,
        currency: &str,
    ) -> DemandView {
        let plural = |n: i32, one: &str, many: &str| {
            if n == 1 {
                format!("1 {one}")
            } else {
                format!("{n} {many}")
            }
        };
        DemandView {
            summary: format!(
                "{} from {}",
                plural(demand.requests, "request", "requests"),
                plural(demand.customers, "customer", "customers")
            ),
            value: format_money(demand.customer_value, currency),
            explained: demand.explained(),
            importance: demand.importance,
            rows: feedback
                .into_iter()
                .map(|f| {
                    let value = f.customer_value.map(|v| format_money(v, currency));
                    let importance = importance_label(f.importance);
                    (f, value, importance)
                })
                .collect(),
            ranking_url: "/initiatives?sort=demand".to_owned(),
        }
    }
}
