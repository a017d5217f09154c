//! Every route Cairn serves, in one table: the whole surface at a glance.

use axum::Router;
use axum::routing::{delete, get, patch, post, put};

use super::{AppState, api, health, pages, static_files};

pub fn routes() -> Router<AppState> {
    Router::new()
        // Operations
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/static/{version}/{name}", get(static_files::serve))
        // Pages
        .route("/", get(pages::home::home))
        .route("/signup", get(pages::auth::signup_form).post(pages::auth::signup))
        .route("/login", get(pages::auth::login_form).post(pages::auth::login))
        .route("/logout", post(pages::auth::logout))
        .route(
            "/portfolios",
            get(pages::portfolios::tree).post(pages::portfolio_form::create),
        )
        .route("/portfolios/new", get(pages::portfolio_form::new))
        .route(
            "/portfolios/{id}",
            get(pages::rollup::show).post(pages::portfolio_form::update),
        )
        .route("/portfolios/{id}/edit", get(pages::portfolio_form::edit))
        .route("/portfolios/{id}/children.csv", get(pages::rollup::children_csv))
        .route(
            "/initiatives",
            get(pages::initiative_list::index).post(pages::initiative_form::create),
        )
        .route("/initiatives.csv", get(pages::initiative_list::export))
        .route("/initiatives/new", get(pages::initiative_form::new))
        .route(
            "/initiatives/{id}",
            get(pages::initiatives::show).post(pages::initiative_form::update),
        )
        .route("/initiatives/{id}/edit", get(pages::initiative_form::edit))
        .route(
            "/settings/organization",
            get(pages::organization::show).post(pages::organization::update),
        )
        .route(
            "/settings/members",
            get(pages::members::index).post(pages::members::add),
        )
        .route("/settings/members/{id}/role", post(pages::members::change_role))
        .route(
            "/settings/members/{id}/remove",
            get(pages::members::confirm_remove).post(pages::members::remove),
        )
        .route(
            "/invite/{token}",
            get(pages::members::invite).post(pages::members::accept),
        )
        .route("/initiatives/{id}/updates", post(pages::status_updates::record))
        .route("/my", get(pages::my::show))
        .route(
            "/objectives",
            get(pages::objectives::tree).post(pages::objective_form::create_objective),
        )
        .route("/objectives/new", get(pages::objective_form::new_objective))
        .route(
            "/objectives/{id}",
            get(pages::objectives::show).post(pages::objective_form::update_objective),
        )
        .route(
            "/objectives/{id}/edit",
            get(pages::objective_form::edit_objective),
        )
        .route(
            "/objectives/{id}/delete",
            post(pages::objective_form::delete_objective),
        )
        .route(
            "/objectives/{id}/key-results/new",
            get(pages::objective_form::new_key_result),
        )
        .route(
            "/objectives/{id}/key-results",
            post(pages::objective_form::create_key_result),
        )
        .route(
            "/key-results/{id}",
            post(pages::objective_form::update_key_result),
        )
        .route(
            "/key-results/{id}/edit",
            get(pages::objective_form::edit_key_result),
        )
        .route(
            "/key-results/{id}/delete",
            post(pages::objective_form::delete_key_result),
        )
        .route("/key-results/{id}/check-ins", post(pages::objectives::check_in))
        .route(
            "/initiatives/{id}/key-results",
            post(pages::initiatives::link_key_result),
        )
        .route(
            "/initiatives/{id}/key-results/{kr_id}/unlink",
            post(pages::initiatives::unlink_key_result),
        )
        // Roadmaps (the public /s/{token} and /robots.txt are `share::router`, merged in
        // `http::app` outside sessions and forms)
        .route(
            "/roadmaps",
            get(pages::roadmaps::index).post(pages::roadmaps::create),
        )
        .route(
            "/roadmaps/{id}",
            get(pages::roadmaps::show).post(pages::roadmaps::update),
        )
        .route("/roadmaps/{id}/edit", get(pages::roadmaps::edit))
        .route("/roadmaps/{id}/delete", post(pages::roadmaps::delete))
        .route("/roadmaps/{id}/shares", post(pages::roadmaps::create_share))
        .route(
            "/roadmaps/{id}/shares/{share_id}/revoke",
            post(pages::roadmaps::revoke_share),
        )
        // API v1
        .nest("/api/v1", api_v1())
}

fn api_v1() -> Router<AppState> {
    Router::new()
        .route("/signup", post(api::accounts::signup))
        .route("/tokens", post(api::accounts::create_token))
        .route("/tokens/{id}", delete(api::accounts::delete_token))
        .route("/me", get(api::accounts::me))
        .route(
            "/organization",
            get(api::organization::get).patch(api::organization::update),
        )
        .route("/members", get(api::members::list).post(api::members::create))
        .route(
            "/members/{id}",
            patch(api::members::update).delete(api::members::delete),
        )
        .route("/themes", get(api::themes::list).post(api::themes::create))
        .route(
            "/themes/{id}",
            get(api::themes::get)
                .patch(api::themes::update)
                .delete(api::themes::delete),
        )
        .route(
            "/portfolios",
            get(api::portfolios::list).post(api::portfolios::create),
        )
        .route(
            "/portfolios/{id}",
            get(api::portfolios::get)
                .patch(api::portfolios::update)
                .delete(api::portfolios::delete),
        )
        .route("/portfolios/{id}/rollup", get(api::portfolios::rollup))
        .route(
            "/initiatives",
            get(api::initiatives::list).post(api::initiatives::create),
        )
        .route(
            "/initiatives/{id}",
            get(api::initiatives::get)
                .patch(api::initiatives::update)
                .delete(api::initiatives::delete),
        )
        .route(
            "/initiatives/{id}/updates",
            get(api::initiatives::history).post(api::initiatives::record_update),
        )
        .route(
            "/initiatives/{id}/key-results/{kr_id}",
            put(api::objectives::link).delete(api::objectives::unlink),
        )
        .route(
            "/objectives",
            get(api::objectives::list).post(api::objectives::create),
        )
        .route(
            "/objectives/{id}",
            get(api::objectives::get)
                .patch(api::objectives::update)
                .delete(api::objectives::delete),
        )
        .route(
            "/objectives/{id}/key-results",
            post(api::objectives::create_key_result),
        )
        .route(
            "/key-results/{id}",
            get(api::objectives::get_key_result)
                .patch(api::objectives::update_key_result)
                .delete(api::objectives::delete_key_result),
        )
        .route("/key-results/{id}/check-ins", get(api::objectives::check_ins))
        .route("/roadmaps", get(api::roadmaps::list).post(api::roadmaps::create))
        .route(
            "/roadmaps/{id}",
            get(api::roadmaps::get)
                .patch(api::roadmaps::update)
                .delete(api::roadmaps::delete),
        )
        .route(
            "/roadmaps/{id}/shares",
            get(api::roadmaps::list_shares).post(api::roadmaps::create_share),
        )
        .route("/shares/{id}", delete(api::roadmaps::revoke_share))
        .fallback(api::not_found)
}
