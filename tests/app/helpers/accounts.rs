//! Accounts: signing up an organization, adding members (in the database or through the members
//! API), giving them passwords and tokens, and signing in through the pages.

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Page, TestApp, expect_status, new_client};
use cairn::db;

/// An admin of a newly signed-up organization, as the API returned it.
#[derive(Clone, Debug)]
pub struct Account {
    pub token: String,
    pub org_id: Uuid,
    pub user_id: Uuid,
    pub email: String,
    pub password: String,
}

pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// Signs up a new organization through the API.
    pub async fn signup(&self, org_name: &str) -> Account {
        let email = format!(
            "admin-{}@{}.test",
            Uuid::new_v4().simple(),
            org_name.to_lowercase().replace(' ', "-")
        );
        let response = self
            .client
            .post(self.url("/api/v1/signup"))
            .json(&json!({"org_name": org_name, "name": "Ada Admin", "email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        let body = expect_status(response, StatusCode::CREATED).await;
        Account {
            token: body["token"].as_str().unwrap().to_owned(),
            org_id: body["org"]["id"].as_str().unwrap().parse().unwrap(),
            user_id: body["user"]["id"].as_str().unwrap().parse().unwrap(),
            email,
            password: PASSWORD.to_owned(),
        }
    }
}

/// Someone added to an organization, with an API token of their own.
#[derive(Clone, Debug)]
pub struct Member {
    pub user_id: Uuid,
    pub token: String,
}

impl TestApp {
    /// Adds a member with `role` to the account's organization straight in the database (the
    /// members API comes later), with a token to call the API as them.
    pub async fn add_member(&self, account: &Account, role: cairn::domain::Role) -> Member {
        let token = cairn::domain::credentials::new_secret(cairn::domain::credentials::API_TOKEN_PREFIX);
        let mut tx = self.pool.begin().await.unwrap();
        let email = format!("{role}-{}@example.test", Uuid::new_v4().simple());
        let user = db::users::create(&mut tx, &format!("A {role}"), &email, None)
            .await
            .unwrap();
        db::users::add_membership(&mut tx, account.org_id, user.id, role)
            .await
            .unwrap();
        db::tokens::create(&mut tx, account.org_id, user.id, "tests", &token)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        Member {
            user_id: user.id,
            token,
        }
    }
}

/// What the sign-up form takes.
pub struct SignUpFields {
    pub org_name: String,
    pub name: String,
    pub email: String,
    pub password: String,
}

impl SignUpFields {
    /// A valid sign-up with a unique email.
    pub fn valid(org_name: &str) -> SignUpFields {
        SignUpFields {
            org_name: org_name.to_owned(),
            name: "Grace Hopper".to_owned(),
            email: format!("grace-{}@example.test", Uuid::new_v4().simple()),
            password: PASSWORD.to_owned(),
        }
    }

    fn form(&self) -> [(&'static str, &str); 4] {
        [
            ("org_name", &self.org_name),
            ("name", &self.name),
            ("email", &self.email),
            ("password", &self.password),
        ]
    }
}
impl TestApp {
    /// Submits the sign-up page.
    pub async fn sign_up_page(&self, fields: &SignUpFields) -> Page {
        self.post_form("/signup", &fields.form()).await
    }

    /// Submits the sign-in page.
    pub async fn sign_in_page(&self, email: &str, password: &str, next: &str) -> Page {
        self.post_form(
            "/login",
            &[("email", email), ("password", password), ("next", next)],
        )
        .await
    }

    /// Whether the server still holds a session with this id.
    pub async fn session_exists(&self, id: &str) -> bool {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM sessions WHERE id = $1)")
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

impl TestApp {
    /// A member with `role` who can sign in to the pages, signed in on a client of their own.
    pub async fn signed_in_member(&self, account: &Account, role: cairn::domain::Role) -> (Member, TestApp) {
        let (member, email) = self.member_with_password(account, role).await;
        let browser = self.with_client(new_client());
        let signed_in = browser.sign_in_page(&email, PASSWORD, "").await;
        assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "the member signs in");
        (member, browser)
    }

    /// A member with `role`, an API token and a password (`PASSWORD`), and the email they sign
    /// in with.
    pub async fn member_with_password(
        &self,
        account: &Account,
        role: cairn::domain::Role,
    ) -> (Member, String) {
        let member = self.add_member(account, role).await;
        let email = format!("{role}-{}@pages.test", Uuid::new_v4().simple());
        let hash = cairn::domain::credentials::hash_password(PASSWORD).unwrap();
        sqlx::query("UPDATE users SET email = $2, password_hash = $3 WHERE id = $1")
            .bind(member.user_id)
            .bind(&email)
            .bind(hash)
            .execute(&self.pool)
            .await
            .unwrap();
        (member, email)
    }

    /// Gives a member added by `add_member` a password, so they can sign in to the pages.
    pub async fn set_password(&self, user_id: Uuid, password: &str) {
        let hash = cairn::domain::credentials::hash_password(password).unwrap();
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user_id)
            .execute(&self.pool)
            .await
            .unwrap();
    }

    /// The email a user signs in with.
    pub async fn email_of(&self, user_id: Uuid) -> String {
        sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

/// Members added through the members API, and signing in as them.
impl TestApp {
    /// Adds a member through `POST /members` as `admin`; the answer's JSON.
    pub async fn add_member_api(&self, admin: &str, role: &str, password: Option<&str>) -> Value {
        let email = format!("{role}-{}@members.test", Uuid::new_v4().simple());
        let mut body = json!({"email": email, "name": format!("A {role}"), "role": role});
        if let Some(password) = password {
            body["password"] = json!(password);
        }
        self.post_json(admin, "/members", body).await
    }

    /// `POST /tokens` with an email and password, as a client at this test's address.
    pub async fn request_token(&self, email: &str, password: &str) -> Response {
        reqwest::Client::new()
            .post(self.url("/api/v1/tokens"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// The token `POST /tokens` hands out for a correct email and password.
    pub async fn token_for(&self, email: &str, password: &str) -> String {
        let body = expect_status(self.request_token(email, password).await, StatusCode::CREATED).await;
        body["token"].as_str().unwrap().to_owned()
    }
}
