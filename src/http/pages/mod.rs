//! Server-rendered pages (askama): one template struct per page.

pub mod api_reference;
pub mod auth;
pub mod baselines;
pub mod capacity;
pub mod changes;
pub mod digest;
pub mod feedback;
mod form;
pub mod home;
pub mod imports;
pub mod initiative_form;
pub mod initiative_list;
pub mod initiatives;
pub mod kpis;
pub mod lifecycle;
pub mod members;
pub mod my;
pub mod objective_form;
pub mod objectives;
pub mod organization;
pub mod portfolio_form;
pub mod portfolios;
pub mod priorities;
mod quick_update;
pub mod rollup;
mod scenario_figures;
pub mod scenario_forms;
pub mod scenarios;
pub mod scorecard_settings;
pub mod settings_rows;
pub mod status_updates;
pub mod theme_settings;
mod versioned_form;
pub mod webhook_settings;
// Roadmaps and their share links.
pub mod roadmap_view;
pub mod roadmaps;

use crate::db::users::Caller;
use crate::domain::Role;
use crate::http::static_files;

/// What the base layout needs on every page.
pub struct Layout {
    pub title: String,
    /// Which top-bar link is the current section ("home", "portfolios", …); "" for none.
    pub section: &'static str,
    pub user: Option<LayoutUser>,
    pub css_url: String,
    pub js_url: String,
    pub icon_url: String,
}

/// The signed-in person as the navigation shows them.
pub struct LayoutUser {
    pub name: String,
    pub org_name: String,
    pub role: Role,
}

impl Layout {
    pub fn new(title: impl Into<String>, caller: Option<&Caller>) -> Layout {
        Layout {
            title: title.into(),
            section: "",
            user: caller.map(|c| LayoutUser {
                name: c.name.clone(),
                org_name: c.org_name.clone(),
                role: c.role,
            }),
            css_url: static_files::url("app.css"),
            js_url: static_files::url("app.js"),
            icon_url: static_files::url("favicon.svg"),
        }
    }
}

impl Layout {
    /// Marks the top-bar link of the section this page belongs to.
    pub fn in_section(self, section: &'static str) -> Layout {
        Layout { section, ..self }
    }
}
