//! Numbers a petition is given: its gap-free number and the query code on its slip.

use chrono::Datelike;
use serde::{Deserialize, Serialize};
use xinfang_domain::calendar::{OfficialCalendar, YearNotice, validate_notice};
use xinfang_domain::document::{DocumentKind, format_doc_no};
use xinfang_domain::lifecycle::{self, Acceptance, Command, PetitionState, Stage};
use xinfang_domain::registration::{
    InterviewInput, RegistrationInput, parse_interview, parse_registration,
};
use xinfang_domain::resident_id::{mask_id_number, mask_phone};
use xinfang_domain::role::Role;
use xinfang_domain::visibility::{self, Access, PetitionFacts, Viewer};
use xinfang_domain::{FieldError, deadline, region};
use xinfang_store::documents::NewDocument;
use xinfang_store::people::User;
use xinfang_store::petitions::{Actor, ListFilter, ListScope, NewPetition, PetitionRecord};

use crate::context::AppState;
use crate::auth::CurrentUser;
use crate::clock::{from_local, local, local_date};
use crate::error::{AppError, AppResult};


/// Characters for query codes: no 0/O or 1/I, so they can be read out on the phone.
const QUERY_CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

pub fn query_code() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..8)
        .map(|_| QUERY_CODE_ALPHABET[rng.random_range(0..QUERY_CODE_ALPHABET.len())] as char)
        .collect()
}

pub fn petition_no(channel: lifecycle::Channel, year: i32, seq: i64) -> String {
    format!("{}{year}-{seq:06}", channel.number_prefix())
}

