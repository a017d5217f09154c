//! Every route Cairn serves, in one table: the whole surface at a glance.

use axum::Router;
use axum::routing::{get, post};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, api, health, openapi, pages, static_files};

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
        .route(
            "/portfolios/{id}/capacity",
            get(pages::capacity::show).post(pages::capacity::save),
        )
        .route("/portfolios/{id}/children.csv", get(pages::rollup::children_csv))
        .route(
            "/portfolios/{id}/kpis",
            get(pages::kpis::show).post(pages::kpis::create),
        )
        .route("/portfolios/{id}/kpis/values", post(pages::kpis::record))
        .route("/kpis/{id}", post(pages::kpis::update))
        .route("/kpis/{id}/delete", post(pages::kpis::delete))
        .route("/portfolios/{id}/lifecycle", get(pages::lifecycle::show))
        .route(
            "/feedback",
            get(pages::feedback::inbox).post(pages::feedback::create),
        )
        .route("/feedback/{id}/link", post(pages::feedback::link))
        .route("/imports", post(pages::imports::upload))
        .route("/imports/new", get(pages::imports::new))
        .route("/imports/{id}", get(pages::imports::show))
        .route("/imports/{id}/run", post(pages::imports::run))
        .route(
            "/initiatives/{id}/feedback/{feedback_id}/unlink",
            post(pages::feedback::unlink),
        )
        .route("/portfolios/{id}/baselines", post(pages::baselines::take))
        .route("/baselines/{id}", get(pages::baselines::show))
        .route("/baselines/{id}/changes.csv", get(pages::baselines::export))
        .route("/baselines/{id}/delete", post(pages::baselines::delete))
        .route("/portfolios/{id}/changes", get(pages::changes::show))
        .route("/portfolios/{id}/digest", get(pages::digest::show))
        .route("/portfolios/{id}/priorities", get(pages::priorities::show))
        .route("/portfolios/{id}/priorities.csv", get(pages::priorities::export))
        .route(
            "/portfolios/{id}/priorities/apply",
            post(pages::priorities::apply),
        )
        .route(
            "/portfolios/{id}/priorities/move",
            post(pages::priorities::move_rank),
        )
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
            "/initiatives/{id}/dependencies",
            post(pages::initiatives::add_blocker),
        )
        .route(
            "/initiatives/{id}/dependencies/{blocker_id}/remove",
            post(pages::initiatives::remove_blocker),
        )
        .route(
            "/settings/organization",
            get(pages::organization::show).post(pages::organization::update),
        )
        .route(
            "/settings/members",
            get(pages::members::index).post(pages::members::add),
        )
        .route(
            "/settings/scorecard",
            get(pages::scorecard_settings::show).post(pages::scorecard_settings::create),
        )
        .route(
            "/settings/scorecard/{id}",
            post(pages::scorecard_settings::update),
        )
        .route(
            "/settings/scorecard/{id}/delete",
            post(pages::scorecard_settings::delete),
        )
        .route(
            "/settings/themes",
            get(pages::theme_settings::show).post(pages::theme_settings::create),
        )
        .route("/settings/themes/{id}", post(pages::theme_settings::update))
        .route(
            "/settings/webhooks",
            get(pages::webhook_settings::index).post(pages::webhook_settings::create),
        )
        .route(
            "/settings/webhooks/{id}",
            get(pages::webhook_settings::show).post(pages::webhook_settings::update),
        )
        .route(
            "/settings/webhooks/{id}/test",
            post(pages::webhook_settings::send_test),
        )
        .route(
            "/settings/webhooks/{id}/delete",
            post(pages::webhook_settings::delete),
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
        .route(
            "/scenarios",
            get(pages::scenarios::index).post(pages::scenarios::create),
        )
        .route("/scenarios/compare", get(pages::scenarios::compare))
        .route(
            "/scenarios/{id}",
            get(pages::scenarios::show).post(pages::scenarios::rename),
        )
        .route("/scenarios/{id}/copy", post(pages::scenarios::copy))
        .route("/scenarios/{id}/delete", post(pages::scenarios::delete))
        .route("/scenarios/{id}/apply", post(pages::scenarios::apply))
        .route(
            "/scenarios/{id}/changes",
            post(pages::scenario_forms::save_change),
        )
        .route(
            "/scenarios/{id}/changes/{initiative_id}/remove",
            post(pages::scenario_forms::remove_change),
        )
        .route(
            "/scenarios/{id}/initiatives",
            post(pages::scenario_forms::add_initiative),
        )
        .route(
            "/scenarios/{id}/initiatives/{hypothetical_id}/remove",
            post(pages::scenario_forms::remove_initiative),
        )
        .route(
            "/scenarios/{id}/capacity",
            post(pages::scenario_forms::save_capacity),
        )
        .route("/docs/api", get(pages::api_reference::show))
        // API v1 (its routes come with their OpenAPI document)
        .merge(api().split_for_parts().0)
}

/// The JSON API under `/api/v1`, and its OpenAPI document made from the same handlers:
/// `routes!` registers each handler at the path and methods of its `#[utoipa::path]`.
pub(super) fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi()).nest("/api/v1", api_v1())
}

fn api_v1() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(openapi::openapi_json))
        .routes(routes!(api::accounts::signup))
        .routes(routes!(api::accounts::create_token))
        .routes(routes!(api::accounts::delete_token))
        .routes(routes!(api::accounts::me))
        .routes(routes!(api::organization::get, api::organization::update))
        .routes(routes!(api::members::list, api::members::create))
        .routes(routes!(api::members::update, api::members::delete))
        .routes(routes!(api::themes::list, api::themes::create))
        .routes(routes!(
            api::themes::get,
            api::themes::update,
            api::themes::delete
        ))
        .routes(routes!(api::scorecard::list, api::scorecard::create))
        .routes(routes!(
            api::scorecard::get,
            api::scorecard::update,
            api::scorecard::delete
        ))
        .routes(routes!(api::scorecard::values, api::scorecard::put_values))
        .routes(routes!(api::portfolios::list, api::portfolios::create))
        .routes(routes!(
            api::portfolios::get,
            api::portfolios::update,
            api::portfolios::delete
        ))
        .routes(routes!(api::portfolios::rollup))
        .routes(routes!(api::digest::get))
        .routes(routes!(api::priorities::get))
        .routes(routes!(api::priorities::apply))
        .routes(routes!(api::priorities::move_rank))
        .routes(routes!(api::capacity::get))
        .routes(routes!(api::capacity::set))
        .routes(routes!(api::scenarios::list, api::scenarios::create))
        .routes(routes!(api::scenarios::compare))
        .routes(routes!(
            api::scenarios::get,
            api::scenarios::update,
            api::scenarios::delete
        ))
        .routes(routes!(api::scenarios::copy))
        .routes(routes!(api::scenarios::put_change, api::scenarios::delete_change))
        .routes(routes!(api::scenarios::add_initiative))
        .routes(routes!(api::scenarios::delete_initiative))
        .routes(routes!(api::scenarios::put_capacity))
        .routes(routes!(api::scenarios::rollup))
        .routes(routes!(api::scenarios::capacity))
        .routes(routes!(api::scenarios::priorities))
        .routes(routes!(api::dependencies::list))
        .routes(routes!(api::dependencies::put, api::dependencies::delete))
        .routes(routes!(api::scenarios::apply))
        .routes(routes!(api::baselines::create, api::baselines::list))
        .routes(routes!(api::baselines::get, api::baselines::delete))
        .routes(routes!(api::baselines::diff))
        .routes(routes!(api::kpis::list, api::kpis::create))
        .routes(routes!(api::kpis::get, api::kpis::update, api::kpis::delete))
        .routes(routes!(api::kpis::values, api::kpis::record))
        .routes(routes!(api::feedback::list, api::feedback::create))
        .routes(routes!(api::feedback::get))
        .routes(routes!(api::imports::jira))
        .routes(routes!(api::imports::csv))
        .routes(routes!(api::webhooks::list, api::webhooks::create))
        .routes(routes!(
            api::webhooks::get,
            api::webhooks::update,
            api::webhooks::delete
        ))
        .routes(routes!(api::webhooks::deliveries))
        .routes(routes!(api::webhooks::test))
        .routes(routes!(api::feedback::link, api::feedback::unlink))
        .routes(routes!(api::initiatives::list, api::initiatives::create))
        .routes(routes!(
            api::initiatives::get,
            api::initiatives::update,
            api::initiatives::delete
        ))
        .routes(routes!(
            api::initiatives::history,
            api::initiatives::record_update
        ))
        .routes(routes!(api::objectives::link, api::objectives::unlink))
        .routes(routes!(api::objectives::list, api::objectives::create))
        .routes(routes!(
            api::objectives::get,
            api::objectives::update,
            api::objectives::delete
        ))
        .routes(routes!(api::objectives::create_key_result))
        .routes(routes!(
            api::objectives::get_key_result,
            api::objectives::update_key_result,
            api::objectives::delete_key_result
        ))
        .routes(routes!(api::objectives::check_ins))
        .routes(routes!(api::roadmaps::list, api::roadmaps::create))
        .routes(routes!(
            api::roadmaps::get,
            api::roadmaps::update,
            api::roadmaps::delete
        ))
        .routes(routes!(api::roadmaps::list_shares, api::roadmaps::create_share))
        .routes(routes!(api::roadmaps::revoke_share))
        .fallback(api::not_found)
}
