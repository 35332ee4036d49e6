//! The xinfang binary's adapters: the HTTP layer (`http`: router, sessions and CSRF, the JSON
//! API and the pages), the command line (`cli`: serve, migrate, demo data, the generator and
//! the benchmarks) and the jobs runner. The use cases themselves are `xinfang_app`.

// A value from a request never panics the worker: errors are answers, not crashes.
#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod cli;
pub mod gateways;
pub mod http;
pub mod jobs;
pub mod settings;
