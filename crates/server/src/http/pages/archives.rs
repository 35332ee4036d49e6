//! Pages of the archives (the archivist's desk, a petition's dossier before and after archiving,
//! transfers, appraisal, loans, the offline store, the retention table) and of internet
//! publication (the register, the proposal with its redacted preview, the public pages).

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use xinfang_app::archives::offline::{ConfirmInput, MoveInput, MoveView};
use xinfang_app::archives::{
    self, ArchiveInput, Candidate, DestructionInput, DossierView, LoanInput, LoanView, Preview,
    RetentionRuleInput, RetentionRuleView, SupplementInput, TransferInput, TransferView,
};
use xinfang_app::auth::CurrentUser;
use xinfang_app::context::AppState;
use xinfang_app::error::{AppError, AppResult};
use xinfang_app::publication::{
    self, Draft, ProposalInput, Published, RegisterLine, WithdrawInput,
};
use xinfang_domain::role::Role;

use super::{Layout, Pairs, S, error_page, layout};
use crate::http::auth::PageUser;

fn field<'a>(f: &'a Pairs, k: &str) -> &'a str {
    f.iter()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// After a form: back to `to` with a note, or the error page (a refused input lists its
/// messages there).
fn done(state: &AppState, u: &CurrentUser, r: AppResult<()>, to: &str) -> Response {
    match r {
        Ok(()) => Redirect::to(to).into_response(),
        Err(e) => error_page(state, Some(u), e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeskQuery {
    year: Option<i64>,
    done: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "archives/desk.html")]
struct DeskPage {
    layout: Layout,
    keeper: bool,
    reader: bool,
    office: bool,
    candidates: Vec<Candidate>,
    dossiers: Vec<DossierView>,
    appraisal: Vec<DossierView>,
    transfers: Vec<TransferView>,
    loans: Vec<LoanView>,
    year: String,
    this_year: i32,
}

async fn desk(State(state): S, PageUser(u): PageUser, Query(q): Query<DeskQuery>) -> Response {
    let r = async {
        let role = u.role();
        let keeper = xinfang_domain::archive::may_keep(role);
        let reader = xinfang_domain::archive::may_read_archives(role);
        let office = role == Role::Office;
        Ok::<_, AppError>(DeskPage {
            candidates: if keeper {
                archives::candidates(&state, &u).await?
            } else {
                Vec::new()
            },
            dossiers: if reader {
                archives::dossiers(&state, &u, q.year).await?
            } else {
                Vec::new()
            },
            appraisal: if reader {
                archives::due_for_appraisal(&state, &u).await?
            } else {
                Vec::new()
            },
            transfers: if reader || office {
                archives::transfers(&state, &u).await?
            } else {
                Vec::new()
            },
            loans: archives::loans(&state, &u, None).await?,
            layout: layout(&state, Some(&u), flash(&q.done)),
            keeper,
            reader,
            office,
            year: q.year.map(|y| y.to_string()).unwrap_or_default(),
            this_year: chrono::Datelike::year(&xinfang_app::clock::local_date(state.clock.now())),
        })
    }
    .await;
    match r {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

fn flash(done: &str) -> &'static str {
    match done {
        "archived" => "已归档。",
        "saved" => "已保存。",
        "handed" => "移交目录已生成，待局办公室接收。",
        "received" => "已接收移交的档案。",
        "proposed" => "已提交局领导审批。",
        "returned" => "已归还。",
        "moved" => "档案已移至离线存储，系统中只保留存根。",
        "withdrawn" => "已撤下。",
        _ => "",
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "archives/preview.html")]
struct PreviewPage {
    layout: Layout,
    p: Preview,
    today: String,
}

async fn preview(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Query(q): Query<DeskQuery>,
) -> Response {
    match archives::preview(&state, &u, &id).await {
        Ok(p) => PreviewPage {
            layout: layout(&state, Some(&u), flash(&q.done)),
            p,
            today: xinfang_app::clock::local_date(state.clock.now()).to_string(),
        }
        .into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn absence_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let input = SupplementInput {
        item_kind: field(&f, "item_kind").into(),
        absence_reason: field(&f, "reason").into(),
        ..SupplementInput::default()
    };
    let r = archives::supplement(&state, &u, &id, &input, None)
        .await
        .map(|_| ());
    done(
        &state,
        &u,
        r,
        &format!("/archives/petitions/{id}?done=saved"),
    )
}

async fn supplement_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let r = async {
        let (input, name, bytes) =
            crate::http::api::archives::read_supplement(&state, &u, req, Default::default())
                .await?;
        archives::supplement(&state, &u, &id, &input, Some((&name, &bytes))).await?;
        Ok(())
    }
    .await;
    done(
        &state,
        &u,
        r,
        &format!("/archives/petitions/{id}?done=saved"),
    )
}

async fn supplement_remove(
    State(state): S,
    PageUser(u): PageUser,
    Path((id, sid)): Path<(String, String)>,
) -> Response {
    let r = archives::remove_supplement(&state, &u, &id, &sid).await;
    done(
        &state,
        &u,
        r,
        &format!("/archives/petitions/{id}?done=saved"),
    )
}

async fn archive_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let input = ArchiveInput {
        checked_by: field(&f, "checked_by").into(),
    };
    match archives::archive(&state, &u, &id, &input).await {
        Ok(a) => Redirect::to(&format!("/dossiers/{}?done=archived", a.dossier_id)).into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "archives/dossier.html")]
struct DossierPage {
    layout: Layout,
    d: DossierView,
    keeper: bool,
    reader: bool,
    loans: Vec<LoanView>,
    moves: Vec<MoveView>,
    /// A move is being proposed or carried out.
    open_move: bool,
}

async fn dossier(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Query(q): Query<DeskQuery>,
) -> Response {
    let r = async {
        let d = archives::dossier(&state, &u, &id).await?;
        let reader = xinfang_domain::archive::may_read_archives(u.role());
        let moves = if reader {
            archives::offline::moves(&state, &u, &d.petition_id).await?
        } else {
            Vec::new()
        };
        Ok::<_, AppError>(DossierPage {
            open_move: moves
                .iter()
                .any(|m| matches!(m.state.as_str(), "proposed" | "approved")),
            moves,
            loans: if reader {
                archives::loans(&state, &u, Some(&d.id)).await?
            } else {
                Vec::new()
            },
            keeper: xinfang_domain::archive::may_keep(u.role()),
            reader,
            layout: layout(&state, Some(&u), flash(&q.done)),
            d,
        })
    }
    .await;
    match r {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn dossier_pdf(State(state): S, PageUser(u): PageUser, Path(id): Path<String>) -> Response {
    match archives::dossier_pdf(&state, &u, &id).await {
        Ok((name, bytes)) => {
            crate::http::api::inline_file("application/pdf", "dossier.pdf", &name, bytes)
        }
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn dossier_package(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
) -> Response {
    match archives::dossier_package(&state, &u, &id).await {
        Ok((name, bytes)) => {
            crate::http::api::archives::download("application/zip", "dossier.zip", &name, bytes)
        }
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn loan_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let input = LoanInput {
        reason: field(&f, "reason").into(),
        return_on: field(&f, "return_on").into(),
    };
    let r = archives::request_loan(&state, &u, &id, &input)
        .await
        .map(|_| ());
    done(&state, &u, r, "/archives?done=proposed")
}

async fn loan_return(State(state): S, PageUser(u): PageUser, Path(id): Path<String>) -> Response {
    let r = archives::return_loan(&state, &u, &id).await;
    done(&state, &u, r, "/archives?done=returned")
}

async fn destruction_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let input = DestructionInput {
        appraisal: field(&f, "appraisal").into(),
    };
    let r = archives::propose_destruction(&state, &u, &id, &input)
        .await
        .map(|_| ());
    done(&state, &u, r, &format!("/dossiers/{id}?done=proposed"))
}

async fn move_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let input = MoveInput {
        destination: field(&f, "destination").into(),
        carrier: field(&f, "carrier").into(),
    };
    let r = archives::offline::propose_move(&state, &u, &id, &input)
        .await
        .map(|_| ());
    done(&state, &u, r, &format!("/dossiers/{id}?done=proposed"))
}

async fn move_package(
    State(state): S,
    PageUser(u): PageUser,
    Path((pid, mid)): Path<(String, String)>,
) -> Response {
    match archives::offline::package(&state, &u, &pid, &mid).await {
        Ok((name, bytes)) => crate::http::api::archives::download(
            "application/octet-stream",
            "dossier.age",
            &name,
            bytes,
        ),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn move_confirm(
    State(state): S,
    PageUser(u): PageUser,
    Path((pid, mid)): Path<(String, String)>,
    Form(f): Form<Pairs>,
) -> Response {
    let input = ConfirmInput {
        package_sha256: field(&f, "package_sha256").into(),
    };
    let r = archives::offline::confirm(&state, &u, &pid, &mid, &input).await;
    done(&state, &u, r, "/archives?done=moved")
}

async fn hand_over(State(state): S, PageUser(u): PageUser, Form(f): Form<Pairs>) -> Response {
    let input = TransferInput {
        year: field(&f, "year").trim().parse().unwrap_or(0),
    };
    let r = archives::hand_over(&state, &u, &input).await.map(|_| ());
    done(&state, &u, r, "/archives?done=handed")
}

async fn receive(State(state): S, PageUser(u): PageUser, Path(id): Path<String>) -> Response {
    let r = archives::receive(&state, &u, &id).await.map(|_| ());
    done(&state, &u, r, "/archives?done=received")
}

async fn transfer_pdf(State(state): S, PageUser(u): PageUser, Path(id): Path<String>) -> Response {
    match archives::transfer_pdf(&state, &u, &id).await {
        Ok((name, bytes)) => {
            crate::http::api::inline_file("application/pdf", "transfer.pdf", &name, bytes)
        }
        Err(e) => error_page(&state, Some(&u), e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "archives/retention.html")]
struct RetentionPage {
    layout: Layout,
    rules: Vec<RetentionRuleView>,
}

async fn retention(State(state): S, PageUser(u): PageUser, Query(q): Query<DeskQuery>) -> Response {
    match archives::retention_table(&state, &u).await {
        Ok(rules) => RetentionPage {
            layout: layout(&state, Some(&u), flash(&q.done)),
            rules,
        }
        .into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn retention_submit(
    State(state): S,
    PageUser(u): PageUser,
    Form(f): Form<Pairs>,
) -> Response {
    let input = RetentionRuleInput {
        kind: field(&f, "kind").into(),
        category_prefix: field(&f, "category_prefix").into(),
        retention: field(&f, "retention").into(),
    };
    let r = archives::set_retention_rule(&state, &u, &input).await;
    done(&state, &u, r, "/admin/retention?done=saved")
}

// ---------------------------------------------------------------------------------------------
// Publication

#[derive(Template, WebTemplate)]
#[template(path = "publication/register.html")]
struct RegisterPage {
    layout: Layout,
    lines: Vec<RegisterLine>,
    may_withdraw: bool,
}

async fn register(State(state): S, PageUser(u): PageUser, Query(q): Query<DeskQuery>) -> Response {
    match publication::register(&state, &u).await {
        Ok(lines) => RegisterPage {
            may_withdraw: u.role().is_leader() || u.role() == Role::Office,
            layout: layout(&state, Some(&u), flash(&q.done)),
            lines,
        }
        .into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "publication/new.html")]
struct NewPublicationPage {
    layout: Layout,
    d: Draft,
}

async fn new_publication(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
) -> Response {
    match publication::draft(&state, &u, &id).await {
        Ok(d) => NewPublicationPage {
            layout: layout(&state, Some(&u), ""),
            d,
        }
        .into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn publication_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let input = ProposalInput {
        title: field(&f, "title").into(),
        matter: field(&f, "matter").into(),
        result: field(&f, "result").into(),
    };
    let r = publication::propose(&state, &u, &id, &input)
        .await
        .map(|_| ());
    done(&state, &u, r, "/publications?done=proposed")
}

async fn withdraw(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let input = WithdrawInput {
        reason: field(&f, "reason").into(),
    };
    let r = publication::withdraw(&state, &u, &id, &input).await;
    done(&state, &u, r, "/publications?done=withdrawn")
}

#[derive(Template, WebTemplate)]
#[template(path = "public/published_list.html")]
struct PublicList {
    layout: super::public::PublicLayout,
    items: Vec<Published>,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/published_item.html")]
struct PublicItem {
    layout: super::public::PublicLayout,
    x: Published,
}

/// 来信来访选登: what the leaders approved for the internet, no sign-in.
async fn public_list(State(state): S) -> Response {
    match publication::public_list(&state).await {
        Ok(items) => PublicList {
            layout: super::public::layout(&state),
            items,
        }
        .into_response(),
        Err(e) => super::public::error_page(&state, e),
    }
}

async fn public_item(State(state): S, Path(id): Path<String>) -> Response {
    match publication::public_item(&state, &id).await {
        Ok(x) => PublicItem {
            layout: super::public::layout(&state),
            x,
        }
        .into_response(),
        Err(e) => super::public::error_page(&state, e),
    }
}

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/archives", get(desk))
        .route("/archives/petitions/{id}", get(preview))
        .route("/archives/petitions/{id}/absences", post(absence_submit))
        .route(
            "/archives/petitions/{id}/supplements/{sid}/removal",
            post(supplement_remove),
        )
        .route("/archives/petitions/{id}/archive", post(archive_submit))
        .route(
            "/archives/petitions/{pid}/offline-moves/{mid}/package",
            get(move_package),
        )
        .route(
            "/archives/petitions/{pid}/offline-moves/{mid}/confirm",
            post(move_confirm),
        )
        .route("/archives/transfers", post(hand_over))
        .route("/archives/transfers/{id}/receive", post(receive))
        .route("/archives/transfers/{id}/pdf", get(transfer_pdf))
        .route("/dossiers/{id}", get(dossier))
        .route("/dossiers/{id}/pdf", get(dossier_pdf))
        .route("/dossiers/{id}/package", get(dossier_package))
        .route("/dossiers/{id}/loans", post(loan_submit))
        .route("/dossiers/{id}/destruction", post(destruction_submit))
        .route("/dossiers/{id}/offline-moves", post(move_submit))
        .route("/dossier-loans/{id}/return", post(loan_return))
        .route("/admin/retention", get(retention).post(retention_submit))
        .route("/publications", get(register))
        .route("/publications/{id}/withdraw", post(withdraw))
        .route(
            "/petitions/{id}/publication",
            get(new_publication).post(publication_submit),
        )
}

/// 来信来访选登, on the public site (also on an instance that serves only the public site).
pub fn public_router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/public/published", get(public_list))
        .route("/public/published/{id}", get(public_item))
}

/// The supplement upload, outside the global body limit.
pub fn upload_router() -> Router<Arc<AppState>> {
    Router::new().route(
        "/archives/petitions/{id}/supplements",
        post(supplement_submit),
    )
}
