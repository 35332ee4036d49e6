//! The xinfang server: HTTP pages and the JSON API, the command line, jobs, demo data. Thin
//! adapters around the domain core (`xinfang-domain`) and the storage (`xinfang-store`).

pub mod api;
pub mod app;
pub mod assets;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod clock;
pub mod demo;
pub mod drafting;
pub mod error;
pub mod generate;
pub mod handling;
pub mod jobs;
pub mod letters;
pub mod multipart;
pub mod pages;
pub mod services;
pub mod supervision;
