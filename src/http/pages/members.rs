//! `/settings/members`: who is in the organization and in which role; admins add, change and
//! remove members there. `/invite/{token}`: an invited member chooses a password and is signed in.

use crate::domain::permissions::may_administer;
use crate::error::forbidden_unless;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use super::Layout;
use super::auth::start_session;
use super::form::{Choice, FormState, refusal, word_choices};
use crate::db;
use crate::db::members::{Invitation, Member};
use crate::db::users::Caller;
use crate::domain::member::{Acceptance, MemberChangesInput, NewMemberInput};
use crate::domain::{FieldErrors, Role, credentials};
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::extract::PageCaller;

const TITLE: &str = "Members";

#[derive(Template, WebTemplate)]
#[template(path = "members/index.html")]
pub struct MembersPage {
    layout: Layout,
    members: Vec<Member>,
    /// Admins see the forms; everyone else the list only.
    is_admin: bool,
    me: Uuid,
    roles: Vec<Choice>,
    /// The add-member form: what was typed and what was wrong with it.
    typed: NewMemberInput,
    form: FormState,
    /// A refused role change or removal, shown above the list.
    list_alert: FormState,
    /// After adding a member without a password: their name and the one-time invitation link.
    invited: Option<(String, String)>,
}

impl MembersPage {
    async fn load(state: &AppState, caller: &Caller) -> PageResult<MembersPage> {
        Ok(MembersPage {
            layout: Layout::new(TITLE, Some(caller)).in_section("settings"),
            members: db::members::all(&state.tenant(caller)).await?,
            is_admin: crate::domain::permissions::may_administer(caller),
            me: caller.user_id,
            roles: word_choices(None, Role::ALL, Role::as_str, Role::label),
            typed: NewMemberInput {
                role: Role::Member.as_str().to_owned(),
                ..NewMemberInput::default()
            },
            form: FormState::default(),
            list_alert: FormState::default(),
            invited: None,
        })
    }
}

#[tracing::instrument(skip_all)]
pub async fn index(State(state): State<AppState>, PageCaller(caller): PageCaller) -> PageResult<MembersPage> {
    MembersPage::load(&state, &caller).await
}

#[tracing::instrument(skip_all)]
pub async fn add(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Form(typed): Form<NewMemberInput>,
) -> PageResult<Response> {
    let added = match typed.parse() {
        Ok(new) => db::members::add(&state.tenant(&caller), &caller, new).await,
        Err(errors) => Err(AppError::Validation(errors)),
    };
    let mut page = MembersPage::load(&state, &caller).await?;
    match added {
        Ok(added) => match added.invite_token {
            // The link is shown this once: a redirect would lose it.
            Some(token) => {
                page.invited = Some((added.member.name, state.invite_url(&token)));
                Ok((StatusCode::CREATED, page).into_response())
            }
            None => Ok(Redirect::to("/settings/members").into_response()),
        },
        Err(error) => {
            let (status, form) = refusal(error)?;
            // The password is never sent back into the page.
            page.typed = NewMemberInput {
                password: None,
                ..typed
            };
            page.form = form;
            Ok((status, page).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

#[tracing::instrument(skip_all, fields(member_id = %id))]
pub async fn change_role(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(form): Form<RoleForm>,
) -> PageResult<Response> {
    let input = MemberChangesInput {
        role: Some(form.role),
        name: None,
    };
    let changed = match input.parse() {
        Ok(changes) => db::members::update(&state.tenant(&caller), &caller, id, changes).await,
        Err(errors) => Err(AppError::Validation(errors)),
    };
    match changed {
        Ok(_) => Ok(Redirect::to("/settings/members").into_response()),
        Err(error) => {
            let (status, alert) = refusal(error)?;
            let mut page = MembersPage::load(&state, &caller).await?;
            page.list_alert = alert;
            Ok((status, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "members/remove.html")]
pub struct RemovePage {
    layout: Layout,
    member: Member,
    alert: FormState,
}

/// The confirm step before a removal.
#[tracing::instrument(skip_all, fields(member_id = %id))]
pub async fn confirm_remove(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
) -> PageResult<RemovePage> {
    let member = db::members::get(&state.tenant(&caller), caller.org_id, id).await?;
    forbidden_unless(may_administer(&caller))?;
    Ok(RemovePage {
        layout: Layout::new(format!("Remove {}", member.name), Some(&caller)).in_section("settings"),
        member,
        alert: FormState::default(),
    })
}

#[tracing::instrument(skip_all, fields(member_id = %id))]
pub async fn remove(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    match db::members::remove(&state.tenant(&caller), &caller, id).await {
        // Removing oneself ends one's own access: the next page is the sign-in page.
        Ok(()) => Ok(Redirect::to("/settings/members").into_response()),
        Err(error) => {
            let (status, alert) = refusal(error)?;
            let member = db::members::get(&state.tenant(&caller), caller.org_id, id).await?;
            let page = RemovePage {
                layout: Layout::new(format!("Remove {}", member.name), Some(&caller)).in_section("settings"),
                member,
                alert,
            };
            Ok((status, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "members/invite.html")]
pub struct InvitePage {
    layout: Layout,
    invitation: Invitation,
    token: String,
    typed_name: String,
    errors: FieldErrors,
}

/// The invitation page; a token that is unknown, used or expired is simply not found.
#[tracing::instrument(skip_all)]
pub async fn invite(State(state): State<AppState>, Path(token): Path<String>) -> PageResult<InvitePage> {
    let invitation = db::members::invitation(&state.pool, &token)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(InvitePage {
        layout: Layout::new("Join Cairn", None),
        typed_name: invitation.name.clone(),
        invitation,
        token,
        errors: FieldErrors::new(),
    })
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

#[tracing::instrument(skip_all)]
pub async fn accept(
    State(state): State<AppState>,
    session: Session,
    Path(token): Path<String>,
    Form(form): Form<AcceptForm>,
) -> PageResult<Response> {
    let invitation = db::members::invitation(&state.pool, &token)
        .await?
        .ok_or(AppError::NotFound)?;
    let acceptance = match Acceptance::parse(&form.name, &form.password) {
        Ok(acceptance) => acceptance,
        Err(errors) => {
            let page = InvitePage {
                layout: Layout::new("Join Cairn", None),
                invitation,
                token,
                typed_name: form.name,
                errors,
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let hash = credentials::hash_password_off_thread(acceptance.password).await?;
    let accepted = db::members::accept_invitation(&state.pool, &token, &acceptance.name, &hash).await?;
    start_session(&session, accepted.user_id, accepted.org_id).await?;
    Ok(Redirect::to("/").into_response())
}
