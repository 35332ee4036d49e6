//! xinfang's domain core: the petition's lifecycle as explicit states and commands, deadline
//! arithmetic, checklists and validation. Pure code: no I/O, no framework types, time is a
//! parameter.

pub mod appeal;
pub mod approval;
pub mod archive;
pub mod catalog;
pub mod disposition;
pub mod document;
pub mod drafting;
pub mod error;
pub mod ethnicity;
pub mod event;
pub mod exchange;
pub mod handling;
pub mod hotline;
pub mod incident;
pub mod ledger;
pub mod lifecycle;
pub mod mailroom;
pub mod outbox;
pub mod password;
pub mod public;
pub mod publication;
pub mod region;
pub mod registration;
pub mod resident_id;
pub mod role;
pub mod search;
pub mod source;
pub mod statistics;
pub mod transfer_table;
pub mod visibility;
pub mod words;

pub use error::FieldError;

pub mod calendar;
pub mod deadline;
pub mod deadline_rules;
pub mod supervision;
pub mod township;
