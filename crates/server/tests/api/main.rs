//! Integration tests: the real application over HTTP, on SQLite and PostgreSQL.

mod harness;

mod admin;
mod audit;
mod calendar;
mod documents;
mod registration;
mod security;
mod window;
