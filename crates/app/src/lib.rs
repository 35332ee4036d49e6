//! xinfang's use cases, one folder per feature, with no web framework: the HTTP layer, the
//! command line, the jobs and importers all call these functions. Each use case takes the
//! application context and the acting user, parses its input into domain types, asks the
//! domain core what may happen, and writes the new state and its event in one transaction.
//!
//! Shared, feature-neutral modules: `context`, `clock`, `error`, `auth`, `access`, `numbers`,
//! `write`, `steps`, `gates`. Features: `intake`, `mailroom`, `handling`, `deadlines`,
//! `supervision`, `drafting`, `admin`, `calendar`, `tasks`, `search`, `statistics`, `outbox`
//! (messages to petitioners), `public` (the petitioner's side), `archives`, `publication`,
//! `backup`. Features may call each other only along
//! the acyclic graph that `tests/structure.rs` checks.

// A value from a request never panics the worker: errors are answers, not crashes.
#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod access;
pub mod auth;
pub mod clock;
pub mod context;
pub mod error;
pub mod gates;
pub mod index;
pub mod numbers;
pub mod steps;
pub mod township;
pub mod write;

pub mod admin;
pub mod archives;
pub mod audit;
pub mod backup;
pub mod calendar;
pub mod deadlines;
pub mod drafting;
pub mod exchange;
pub mod handling;
pub mod handover;
pub mod health;
pub mod intake;
pub mod mailroom;
pub mod outbox;
pub mod public;
pub mod publication;
pub mod search;
pub mod statistics;
pub mod supervision;
pub mod tasks;
