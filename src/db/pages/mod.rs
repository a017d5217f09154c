//! One reader per page: everything a page of `http::pages` shows, read at once — on one snapshot
//! where its parts must agree, side by side where they are independent — so that a page handler
//! parses, calls its reader and renders.

pub mod changes;
pub mod feedback;
pub mod initiative;
pub mod initiative_list;
pub mod lifecycle;
pub mod my;
pub mod objective;
pub mod objectives;
pub mod priorities;
pub mod rollup;
