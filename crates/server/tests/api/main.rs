//! Integration tests: the real application over HTTP, on SQLite and PostgreSQL.

mod harness;

mod accounts;
mod admin;
mod archives;
mod audit;
mod backups;
mod blobs;
mod calendar;
mod deadlines;
mod documents;
mod exchange;
mod exchange_pages;
mod fuzz;
mod handling;
mod incidents;
mod instances;
mod logs;
mod mailroom;
mod public;
mod registration;
mod restart;
mod routines;
mod search;
mod security;
mod sources;
mod statistics;
mod supervision;
mod sweep;
mod transfers;
mod upgrade;
mod visibility;
mod window;
