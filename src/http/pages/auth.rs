//! Sign-up, sign-in and sign-out pages, with server-side sessions.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use super::Layout;
use crate::db;
use crate::domain::FieldErrors;
use crate::domain::account::SignUp;
use crate::domain::credentials;
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::extract::{ClientAddress, SESSION_ORG, SESSION_USER};

#[derive(Template, WebTemplate)]
#[template(path = "auth/signup.html")]
pub struct SignUpPage {
    layout: Layout,
    form: SignUpForm,
    errors: FieldErrors,
    message: Option<String>,
}

#[derive(Default, Deserialize)]
pub struct SignUpForm {
    #[serde(default)]
    org_name: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default, skip_serializing)]
    password: String,
}

pub async fn signup_form() -> SignUpPage {
    SignUpPage {
        layout: Layout::new("Create your organization", None),
        form: SignUpForm::default(),
        errors: FieldErrors::new(),
        message: None,
    }
}

#[tracing::instrument(skip_all)]
pub async fn signup(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<SignUpForm>,
) -> PageResult<Response> {
    let refuse = |form: SignUpForm, error: AppError| -> PageResult<Response> {
        let Some(errors) = error.field_errors().cloned() else {
            return Err(error);
        };
        // The password is never sent back into the page.
        let form = SignUpForm {
            password: String::new(),
            ..form
        };
        let page = SignUpPage {
            layout: Layout::new("Create your organization", None),
            form,
            errors,
            message: None,
        };
        Ok((error.status(), page).into_response())
    };
    let signup = match SignUp::parse(&form.org_name, &form.name, &form.email, &form.password) {
        Ok(signup) => signup,
        Err(errors) => return refuse(form, AppError::Validation(errors)),
    };
    let hash = credentials::hash_password_off_thread(signup.password.clone()).await?;
    let mut tx = db::begin(&state.pool).await?;
    let (org, user) = match db::orgs::sign_up(&mut tx, &signup, &hash).await {
        Ok(created) => created,
        Err(error) => return refuse(form, error),
    };
    tx.commit().await?;
    start_session(&session, user.id, org.id).await?;
    Ok(Redirect::to("/").into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub email: String,
    pub next: String,
    pub message: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_form(Query(query): Query<NextQuery>) -> LoginPage {
    login_page(String::new(), query.next.unwrap_or_default(), None)
}

pub fn login_page(email: String, next: String, message: Option<String>) -> LoginPage {
    LoginPage {
        layout: Layout::new("Sign in", None),
        email,
        next,
        message,
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

#[tracing::instrument(skip_all)]
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    session: Session,
    Form(form): Form<LoginForm>,
) -> PageResult<Response> {
    match db::sign_in::sign_in(&state.pool, &form.email, &form.password, client).await {
        Ok(Some(account)) => {
            start_session(&session, account.user_id, account.org_id).await?;
            Ok(Redirect::to(safe_next(&form.next)).into_response())
        }
        Err(AppError::TooManyRequests { retry_after_secs }) => {
            let minutes = retry_after_secs.div_ceil(60);
            let page = login_page(
                form.email,
                form.next,
                Some(format!(
                    "Too many failed sign-ins. Try again in {minutes} minute{}.",
                    if minutes == 1 { "" } else { "s" }
                )),
            );
            let wait = [(header::RETRY_AFTER, retry_after_secs.to_string())];
            Ok((StatusCode::TOO_MANY_REQUESTS, wait, page).into_response())
        }
        Err(other) => Err(other),
        Ok(None) => {
            let page = login_page(
                form.email,
                form.next,
                Some("That email and password do not match an account.".into()),
            );
            Ok((StatusCode::UNAUTHORIZED, page).into_response())
        }
    }
}

pub async fn logout(session: Session) -> PageResult<Redirect> {
    session.flush().await.map_err(AppError::from)?;
    Ok(Redirect::to("/login"))
}

/// A new session id at every sign-in, so a session fixed before sign-in is worthless after it.
pub async fn start_session(session: &Session, user_id: Uuid, org_id: Uuid) -> PageResult<()> {
    let result = async {
        session.cycle_id().await?;
        session.insert(SESSION_USER, user_id).await?;
        session.insert(SESSION_ORG, org_id).await
    };
    result.await.map_err(AppError::from)
}

/// Only same-site paths: `next=//evil.example` must not send a user off-site.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}
