//! Issued documents: slips issued directly, who may read a document, its PDF.

use chrono::Datelike;
use xinfang_domain::FieldError;
use xinfang_domain::document::{DocumentKind, format_doc_no};
use xinfang_domain::visibility::{self, Access};
use xinfang_store::documents::NewDocument;
use xinfang_store::people::User;
use xinfang_store::petitions::Actor;

use crate::access::open_record;
use crate::auth::CurrentUser;
use crate::clock::local_date;
use crate::context::AppState;
use crate::error::{AppError, AppResult};

/// Numbers, renders and stores an issued document inside the caller's transaction, and
/// appends its event. Returns (document id, number, the petition's new event sequence).
pub async fn issue_document(
    state: &AppState,
    tx: &mut xinfang_store::WriteTx,
    user: &User,
    petition_id: &str,
    event_seq: i64,
    kind: DocumentKind,
    mut data: serde_json::Value,
) -> AppResult<(String, String, i64)> {
    let now = state.clock.now();
    let year = local_date(now).year();
    let n = xinfang_store::next_in_sequence(
        tx,
        &state.bureau.id,
        &format!("doc:{}", kind.as_str()),
        year,
    )
    .await?;
    let doc_no = format_doc_no(&state.bureau.organ_code, kind, year, n as u64);
    data["doc_no"] = doc_no.clone().into();
    let renderer = state.renderer.clone();
    let template = kind.as_str().to_string();
    let render_data = data.clone();
    let rendered = tokio::task::spawn_blocking(move || renderer.render(&template, &render_data))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| match e {
            xinfang_docs::RenderError::MissingGlyph { ch, field } => AppError::Invalid(vec![FieldError::new(
                field,
                "missing_glyph",
                format!("字符「{ch}」在所有可用字体中都没有字形，无法出具文书；请核对该字或配置含此字的字体"),
            )]),
            other => AppError::Internal(other.to_string()),
        })?;
    let hash = state.blobs.put(&rendered.pdf).await?;
    if !rendered.warnings.is_empty() {
        data["font_warnings"] = serde_json::to_value(
            rendered
                .warnings
                .iter()
                .map(|w| format!("「{}」使用后备字体 {}", w.ch, w.font_used))
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default();
    }
    let doc_id = state
        .store
        .insert_document(
            tx,
            &NewDocument {
                bureau_id: &state.bureau.id,
                petition_id: Some(petition_id),
                kind: kind.as_str(),
                doc_no: Some(&doc_no),
                state: "issued",
                template_version: &rendered.template_version,
                data: &data,
                pdf_hash: Some(&hash),
                pdf_size: Some(rendered.pdf.len() as i64),
                created_by: &user.id,
                issued: true,
            },
            now,
        )
        .await?;
    let seq = state
        .store
        .append_event(
            tx,
            &state.bureau.id,
            petition_id,
            event_seq,
            "document_issued",
            &serde_json::json!({"document_id": doc_id, "kind": kind.as_str(), "doc_no": doc_no, "pdf_sha256": hash, "template_version": rendered.template_version}),
            &Actor { id: &user.id, role: user.role },
            now,
        )
        .await?;
    Ok((doc_id, doc_no, seq))
}

/// Refuses a document the user may not read (`visibility::may_read_document`).
pub fn may_read_document(
    user: &CurrentUser,
    access: Access,
    kind: &str,
    doc_state: &str,
) -> AppResult<()> {
    let readable = DocumentKind::parse(kind).is_some_and(|k| {
        visibility::may_read_document(user.role(), access, k, doc_state == "issued")
    });
    if readable {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "无权查看该文书：草稿仅限本局办理人员，载有信访人身份信息的文书不向被反映单位提供"
                .into(),
        ))
    }
}

/// The documents of a petition the user may read, in their stored order.
#[tracing::instrument(name = "drafting::readable_documents", skip_all)]
pub async fn readable_documents(
    state: &AppState,
    user: &CurrentUser,
    v: &crate::access::PetitionView,
) -> AppResult<Vec<xinfang_store::documents::DocumentRow>> {
    readable_documents_of(state, user, &v.id, v.access()).await
}

pub(crate) async fn readable_documents_of(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
    access: Access,
) -> AppResult<Vec<xinfang_store::documents::DocumentRow>> {
    Ok(state
        .store
        .documents_of(petition_id)
        .await?
        .into_iter()
        .filter(|d| may_read_document(user, access, &d.kind, &d.state).is_ok())
        .collect())
}

/// A document's PDF, for someone who may open its petition and read the document.
#[tracing::instrument(name = "drafting::document_pdf", skip_all)]
pub async fn document_pdf(
    state: &AppState,
    user: &CurrentUser,
    doc_id: &str,
) -> AppResult<(xinfang_store::documents::DocumentRow, Vec<u8>)> {
    let doc = state.store.document(&state.bureau.id, doc_id).await?;
    if let Some(pid) = &doc.petition_id {
        let (_, access) = open_record(state, user, pid, "download_document").await?;
        may_read_document(user, access, &doc.kind, &doc.state)?;
    } else if !user.role().is_bureau_staff() {
        return Err(AppError::forbidden());
    }
    let hash = doc.pdf_hash.clone().ok_or_else(AppError::not_found)?;
    let bytes = state
        .blobs
        .get(&hash)
        .await?
        .ok_or_else(|| AppError::Internal(format!("blob {hash} missing")))?;
    Ok((doc, bytes))
}
