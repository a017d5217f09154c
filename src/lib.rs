//! Cairn: product portfolio management.
//!
//! `cli` parses commands, `startup` wires the server, `http` serves pages and the JSON API, `db`
//! holds every query, `read_cache` keeps reads while the data stays the same, `webhook_delivery`
//! sends webhook events, and `domain` the rules that need no I/O.

pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod read_cache;
pub mod seed;
pub mod startup;
pub mod webhook_delivery;
