//! `/`: the sign-in page for visitors, the home page for members.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::{IntoResponse, Response};

use super::Layout;
use super::auth::login_page;
use crate::http::extract::OptionalPageCaller;

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    layout: Layout,
    org_name: String,
}

pub async fn home(OptionalPageCaller(caller): OptionalPageCaller) -> Response {
    match caller {
        None => login_page(String::new(), String::new(), None).into_response(),
        Some(caller) => HomePage {
            layout: Layout::new(caller.org_name.clone(), Some(&caller)).in_section("home"),
            org_name: caller.org_name,
        }
        .into_response(),
    }
}
