//! Cairn's integration tests: one binary, one module per journey. Each test runs the real server
//! against its own PostgreSQL database.

mod helpers;

mod accounts;
mod baselines;
mod browser;
mod capacity;
mod capacity_pages;
mod cli;
mod compression;
mod dependencies;
mod digest;
mod dimensions;
mod form_merge;
mod forms;
mod imports;
mod initiatives;
mod members;
mod my;
mod okr_pages;
mod okrs;
mod operations;
mod organization;
mod outcome_pages;
mod outcomes;
mod pace;
mod pages;
mod permissions;
mod portfolio_pages;
mod portfolios;
mod priorities;
mod rollup_pages;
mod rollups;
mod scenario_pages;
mod scenarios;
mod scores;
mod seed;
mod status_rules;
mod status_updates;
mod tenancy;
mod themes;
mod truth_pages;
mod webhooks;
// Trust under load, faults and hostile input
mod cancellation;
mod faults;
mod idempotency;
mod number_bounds;
mod pg_proxy;
mod processes;
mod security;
// Roadmaps.
mod roadmaps;
// The OpenAPI document, its reference page, and fuzzing the API against it.
mod fuzz;
mod openapi;
// Defence in depth for tenancy.
mod data_versions;
mod row_level_security;
