//! What a petition's dossier holds: every record the system has of it, named by the seed's
//! lists (`domain::archive`), with how to get each piece's file. Records kept as data (the
//! registration, interviews, reports, instructions, opinions, meetings, approvals) are printed
//! with the `dossier_record` template; issued documents, scans and report files are bound as
//! they are.

use chrono::NaiveDate;
use serde_json::{Value, json};
use xinfang_domain::archive::{self, Absence, ContentList, FilingFacts, ItemKind, Piece};
use xinfang_domain::document::DocumentKind;
use xinfang_domain::lifecycle::{Acceptance, Disposition};
use xinfang_domain::source::Source;
use xinfang_store::archives::SupplementRow;
use xinfang_store::petitions::PetitionRecord;

use crate::context::AppState;
use crate::error::AppResult;

/// Where a piece's file comes from.
#[derive(Debug, Clone)]
pub enum Origin {
    /// A stored file (document PDF, scan, report attachment, supplement) and its media type.
    Blob { hash: String, media_type: String },
    /// A record printed for the dossier: the `dossier_record` template's data.
    Record(Value),
}

#[derive(Debug, Clone)]
pub struct Found {
    pub piece: Piece,
    pub origin: Origin,
    /// 备注 in the index.
    pub note: String,
}

/// The day of an RFC 3339 timestamp (China Standard Time) or a date.
fn day(s: &str) -> NaiveDate {
    s.get(..10)
        .and_then(|d| d.parse().ok())
        .map(|d: NaiveDate| {
            if s.len() > 10 {
                chrono::DateTime::parse_from_rfc3339(s)
                    .map(|t| crate::clock::local_date(t.with_timezone(&chrono::Utc)))
                    .unwrap_or(d)
            } else {
                d
            }
        })
        .unwrap_or(NaiveDate::MIN)
}

/// The day (China Standard Time) of a stored timestamp or date.
pub fn day_of(s: &str) -> Option<NaiveDate> {
    let d = day(s);
    (d != NaiveDate::MIN).then_some(d)
}

/// The list a petition's dossier follows.
pub async fn list_of(state: &AppState, p: &PetitionRecord) -> AppResult<ContentList> {
    let dispositions = state.store.dispositions(&p.id).await?;
    let instructions = state.store.instructions_of(&p.id).await?;
    let approved: Vec<Disposition> = dispositions
        .iter()
        .filter(|d| d.approved_by.is_some() || d.disposition == "report_up")
        .filter_map(|d| Disposition::parse(&d.disposition))
        .collect();
    let facts = FilingFacts {
        letter: p.channel.follows_letter_procedure(),
        accepted: matches!(
            p.acceptance,
            Some(Acceptance::Accepted | Acceptance::ReferredToDepartment)
        ),
        dispositions: approved,
        from_higher_organ: matches!(
            p.source,
            Some(Source::AssignedByHigherOrgan(_) | Source::ForwardedByHigherOrgan(_))
        ),
        local_leader_instruction: matches!(p.source, Some(Source::InstructedByLocalLeader(_)))
            || !instructions.is_empty(),
    };
    Ok(archive::content_list(&facts))
}

/// The kind a document of the bureau files under, for visits and for letters.
fn document_kind(kind: DocumentKind, letter: bool) -> ItemKind {
    use DocumentKind::*;
    match kind {
        VisitNoticeSlip
        | VisitTransferSlip
        | AcceptanceNotice
        | NonAcceptanceNotice
        | NoLongerAcceptedNotice
        | ExtensionNotice => {
            if letter {
                ItemKind::Other
            } else {
                ItemKind::IssuedSlip
            }
        }
        QueryReplyNotice => {
            if letter {
                ItemKind::Reply
            } else {
                ItemKind::IssuedSlip
            }
        }
        AssignmentLetter | TransferLetter => {
            if letter {
                ItemKind::FilingForm
            } else {
                ItemKind::Other
            }
        }
        HandlingOpinion => {
            if letter {
                ItemKind::Reply
            } else {
                ItemKind::Conclusion
            }
        }
        ClosingReport => {
            if letter {
                ItemKind::ClosingReport
            } else {
                ItemKind::Conclusion
            }
        }
        ClosingApprovalForm => {
            if letter {
                ItemKind::ClosingMaterials
            } else {
                ItemKind::ClosingApproval
            }
        }
        LetterHandlingForm => ItemKind::BureauLeaderInstruction,
        SpecialBulletin | RequestReport | DailyBulletin | Circular | SupervisionLetter => {
            ItemKind::Other
        }
    }
}

fn record(
    state: &AppState,
    title: &str,
    on: NaiveDate,
    rows: Vec<(String, String)>,
    sections: Vec<(&str, String)>,
) -> Value {
    json!({
        "bureau_name": state.bureau.name,
        "issued_on": on.to_string(),
        "title": title,
        "rows": rows.into_iter().map(|(l, v)| json!([l, v])).collect::<Vec<_>>(),
        "sections": sections.into_iter().map(|(h, t)| json!({"heading": h, "text": t})).collect::<Vec<_>>(),
    })
}

fn rows(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(l, v)| (l.to_string(), v.to_string()))
        .collect()
}

/// Every piece the system holds for the petition's dossier, and the archivist's supplements and
/// absence statements.
pub async fn find(
    state: &AppState,
    p: &PetitionRecord,
) -> AppResult<(Vec<Found>, Vec<Absence>, Vec<SupplementRow>)> {
    let letter = p.channel.follows_letter_procedure();
    let bureau = state.bureau.name.clone();
    let mut out: Vec<Found> = Vec::new();
    let mut push = |kind: ItemKind,
                    title: String,
                    doc_no: String,
                    responsible: String,
                    dated: NaiveDate,
                    source: String,
                    origin: Origin,
                    note: &str| {
        out.push(Found {
            piece: Piece {
                kind,
                title,
                doc_no,
                responsible,
                dated,
                source,
            },
            origin,
            note: note.to_string(),
        });
    };
    let registered = day(&p.registered_at);
    let writer = p
        .petitioners
        .first()
        .map(|x| x.name.clone())
        .unwrap_or_else(|| "信访人".into());

    // The registration as the register keeps it.
    let mut reg_rows = rows(&[
        ("信访件编号", &p.petition_no),
        ("信访形式", p.channel.label_zh()),
        ("登记时间", &crate::clock::show(&p.registered_at)),
        ("问题属地", &p.issue_region),
    ]);
    for (i, x) in p.petitioners.iter().enumerate() {
        let who = if p.petitioners.len() > 1 {
            format!("信访人{}", i + 1)
        } else {
            "信访人".into()
        };
        let mut parts = vec![x.name.clone()];
        if let Some(s) = &x.sex {
            parts.push(s.clone());
        }
        if let Some(a) = x.age {
            parts.push(format!("{a}岁"));
        }
        if let Some(e) = &x.ethnicity {
            parts.push(e.clone());
        }
        reg_rows.push((who.clone(), parts.join("，")));
        if let Some(n) = &x.id_number {
            reg_rows.push((format!("{who}证件号码"), n.clone()));
        }
        reg_rows.push((format!("{who}住址"), x.address.clone()));
        reg_rows.push((format!("{who}联系方式"), x.phone.clone()));
        if !x.occupation.is_empty() {
            reg_rows.push((format!("{who}职业或单位"), x.occupation.clone()));
        }
    }
    reg_rows.extend(rows(&[
        ("人数", &p.visitor_count.to_string()),
        ("反映的主要问题", &p.summary),
        ("诉求", &p.requests),
        ("拟办意见", &p.proposal),
    ]));
    let reg_title = if letter {
        "来信登记表"
    } else {
        "来访人员登记表"
    };
    push(
        ItemKind::Registration,
        reg_title.into(),
        String::new(),
        bureau.clone(),
        registered,
        "record:registration".into(),
        Origin::Record(record(state, reg_title, registered, reg_rows, vec![])),
        "系统登记记录",
    );

    // What the petitioner brought or wrote: interviews (visits), scans (letters).
    for iv in state.store.interviews(&p.id).await? {
        let on = day(&iv.recorded_at);
        push(
            ItemKind::PetitionMaterial,
            "接谈记录".into(),
            String::new(),
            bureau.clone(),
            on,
            format!("record:interview:{}", iv.id),
            Origin::Record(record(
                state,
                "接谈记录",
                on,
                vec![],
                vec![
                    ("来访反映问题的主要情节和要求", iv.facts_and_requests),
                    ("以往的信访过程和处理情况", iv.earlier_petitions),
                    ("越级访、重复访的原因", iv.skip_or_repeat_reason),
                    ("异常、过激言行", iv.abnormal_behaviour),
                    ("与有关部门沟通、研究的情况", iv.coordination),
                ],
            )),
            "系统记录",
        );
    }
    for s in state.store.scans_of(&p.id).await? {
        let part = match s.part.as_str() {
            "main" => "来信正文",
            "attachment" => "来信附件",
            "envelope" => "信封",
            _ => "来信材料",
        };
        push(
            ItemKind::PetitionMaterial,
            format!("{part}（{}）", s.file_name),
            String::new(),
            writer.clone(),
            day(&s.uploaded_at),
            format!("scan:{}", s.id),
            Origin::Blob {
                hash: s.sha256,
                media_type: s.content_type,
            },
            "扫描件",
        );
    }
    // Where it came from.
    if let Some(Source::AssignedByHigherOrgan(d) | Source::ForwardedByHigherOrgan(d)) = &p.source {
        let on = d.issued_on;
        let title = format!("{}来文登记", d.organ);
        push(
            ItemKind::HigherOrganLetter,
            title.clone(),
            d.doc_no.clone(),
            d.organ.clone(),
            on,
            "record:source".into(),
            Origin::Record(record(
                state,
                &title,
                on,
                rows(&[
                    ("来文机关", &d.organ),
                    ("来文文号", &d.doc_no),
                    ("来文日期", &on.to_string()),
                    (
                        "办结期限",
                        &d.deadline.map(|x| x.to_string()).unwrap_or_default(),
                    ),
                ]),
                vec![],
            )),
            "系统记录；原件另存",
        );
    }
    for ins in state.store.instructions_of(&p.id).await? {
        let on: NaiveDate = ins.given_on.parse().unwrap_or(registered);
        push(
            ItemKind::LocalLeaderInstruction,
            format!("{}批示", ins.leader),
            String::new(),
            ins.leader.clone(),
            on,
            format!("record:instruction:{}", ins.id),
            Origin::Record(record(
                state,
                "领导批示",
                on,
                rows(&[
                    ("批示领导", &ins.leader),
                    ("批示日期", &ins.given_on),
                    ("办理要求", &ins.required_action),
                    ("督办人", &ins.supervisor),
                ]),
                vec![("批示内容", ins.text)],
            )),
            "系统记录",
        );
    }
    if letter
        && let Ok(l) = state.store.letter(&p.id).await
        && !l.instruction.is_empty()
    {
        let on = l.instructed_at.as_deref().map(day).unwrap_or(registered);
        push(
            ItemKind::BureauLeaderInstruction,
            "局领导批示".into(),
            String::new(),
            bureau.clone(),
            on,
            "record:letter_instruction".into(),
            Origin::Record(record(
                state,
                "局领导批示",
                on,
                rows(&[("拟办意见", &l.form_proposal)]),
                vec![("批示", l.instruction)],
            )),
            "系统记录",
        );
    }

    // The bureau's documents, issued only.
    for d in state.store.documents_of(&p.id).await? {
        if d.issued_at.is_none() {
            continue;
        }
        let (Some(kind), Some(hash)) = (DocumentKind::parse(&d.kind), d.pdf_hash.clone()) else {
            continue;
        };
        push(
            document_kind(kind, letter),
            kind.title_zh().into(),
            d.doc_no.clone().unwrap_or_default(),
            bureau.clone(),
            day(d.issued_at.as_deref().unwrap_or(&d.created_at)),
            format!("document:{}", d.id),
            Origin::Blob {
                hash,
                media_type: "application/pdf".into(),
            },
            "",
        );
    }

    // Handling reports and their files.
    let units = state.store.units(&state.bureau.id).await?;
    let unit_name = |id: &Option<String>| {
        id.as_deref()
            .and_then(|u| units.iter().find(|x| x.id == u))
            .map(|u| u.name.clone())
            .unwrap_or_else(|| bureau.clone())
    };
    for r in state.store.reports_of(&p.id).await? {
        let on = day(&r.submitted_at);
        let unit = unit_name(&r.unit_id);
        let title = format!("办理情况汇报（{unit}）");
        let decision = xinfang_domain::handling::ReportDecision::parse(&r.decision)
            .map(|d| d.label_zh().to_string())
            .unwrap_or_default();
        push(
            ItemKind::HandlingReport,
            title.clone(),
            String::new(),
            unit.clone(),
            on,
            format!("record:report:{}", r.id),
            Origin::Record(record(
                state,
                &title,
                on,
                rows(&[
                    ("承办单位", &unit),
                    ("报送时间", &crate::clock::show(&r.submitted_at)),
                    ("处理决定", &decision),
                    ("答复送达日期", r.reply_served_on.as_deref().unwrap_or("")),
                    ("签发人", &r.signed_off_by),
                    (
                        "信访人签字",
                        if r.petitioner_signed != 0 {
                            "已签字"
                        } else {
                            "未签字"
                        },
                    ),
                ]),
                vec![
                    ("调查核实情况", r.findings),
                    ("答复意见", r.reply),
                    ("拒绝签字情况说明", r.refusal_note),
                    ("息诉罢访工作情况", r.settlement_note),
                ],
            )),
            "系统记录",
        );
    }
    for a in state.store.report_attachments_of(&p.id).await? {
        push(
            ItemKind::Evidence,
            a.file_name.clone(),
            String::new(),
            bureau.clone(),
            day(&a.uploaded_at),
            format!("attachment:{}", a.id),
            Origin::Blob {
                hash: a.sha256,
                media_type: a.content_type,
            },
            "汇报材料附件",
        );
    }
    for a in state.store.appeals_of(&p.id).await? {
        let Some(opinion) = a.opinion.clone() else {
            continue;
        };
        let level = if a.level == "recheck" {
            "复核意见"
        } else {
            "复查意见"
        };
        let on: NaiveDate = a
            .opinion_on
            .as_deref()
            .unwrap_or(&a.requested_on)
            .parse()
            .unwrap_or(registered);
        push(
            if letter {
                ItemKind::ClosingMaterials
            } else {
                ItemKind::Conclusion
            },
            level.into(),
            String::new(),
            a.organ.clone(),
            on,
            format!("record:appeal:{}", a.id),
            Origin::Record(record(
                state,
                level,
                on,
                rows(&[
                    ("机关", &a.organ),
                    ("申请日期", &a.requested_on),
                    ("意见日期", a.opinion_on.as_deref().unwrap_or("")),
                    ("送达日期", a.opinion_served_on.as_deref().unwrap_or("")),
                ]),
                vec![("申请理由", a.reason), ("意见", opinion)],
            )),
            "系统记录",
        );
    }
    for m in state.store.meetings_of(&p.id).await? {
        let on: NaiveDate = m.held_on.parse().unwrap_or(registered);
        push(
            ItemKind::MeetingMinutes,
            "协调会议纪要".into(),
            String::new(),
            bureau.clone(),
            on,
            format!("record:meeting:{}", m.id),
            Origin::Record(record(
                state,
                "协调会议纪要",
                on,
                rows(&[("时间", &m.held_on), ("地点", &m.place)]),
                vec![("参加人员", m.participants), ("议定事项", m.outcome)],
            )),
            "系统记录",
        );
    }
    // The leaders' approvals: the closing approval on its own, the others together.
    let approvals = state.store.approvals_of(&p.id).await?;
    let decided: Vec<_> = approvals.iter().filter(|a| a.state == "approved").collect();
    let line = |a: &xinfang_store::handling::ApprovalRow| -> (String, String) {
        let gate = xinfang_domain::approval::Gate::parse(&a.gate)
            .map(|g| g.label_zh())
            .unwrap_or("审批");
        (
            gate.to_string(),
            format!(
                "{}；同意（{}）{}",
                a.summary,
                a.decided_at
                    .as_deref()
                    .map(crate::clock::show)
                    .unwrap_or_default(),
                if a.comment.is_empty() {
                    String::new()
                } else {
                    format!("：{}", a.comment)
                }
            ),
        )
    };
    if let Some(c) = decided.iter().rev().find(|a| a.gate == "closure") {
        let on = c.decided_at.as_deref().map(day).unwrap_or(registered);
        push(
            if letter {
                ItemKind::ClosingMaterials
            } else {
                ItemKind::ClosingApproval
            },
            "办结审批记录".into(),
            String::new(),
            bureau.clone(),
            on,
            format!("record:approval:{}", c.id),
            Origin::Record(record(state, "办结审批记录", on, vec![line(c)], vec![])),
            "系统记录",
        );
    }
    let others: Vec<(String, String)> = decided
        .iter()
        .filter(|a| {
            a.gate != "closure"
                && !a.gate.starts_with("dossier")
                && !a.gate.starts_with("publication")
                && a.gate != "offline_move"
        })
        .map(|a| line(a))
        .collect();
    if let Some(first) = decided.iter().find(|a| a.gate != "closure")
        && !others.is_empty()
    {
        let on = first.decided_at.as_deref().map(day).unwrap_or(registered);
        push(
            if letter {
                ItemKind::BureauLeaderInstruction
            } else {
                ItemKind::Other
            },
            "局领导审批记录".into(),
            String::new(),
            bureau.clone(),
            on,
            "record:approvals".into(),
            Origin::Record(record(state, "局领导审批记录", on, others, vec![])),
            "系统记录",
        );
    }

    // The archivist's own additions.
    let supplements = state.store.supplements_of(&p.id).await?;
    let mut absences = Vec::new();
    for s in &supplements {
        let Some(kind) = ItemKind::parse(&s.item_kind) else {
            continue;
        };
        match &s.blob_hash {
            Some(hash) => push(
                kind,
                s.title.clone(),
                s.doc_no.clone(),
                s.responsible.clone(),
                s.dated
                    .as_deref()
                    .and_then(|d| d.parse().ok())
                    .unwrap_or(registered),
                format!("supplement:{}", s.id),
                Origin::Blob {
                    hash: hash.clone(),
                    media_type: s.media_type.clone(),
                },
                "补充材料",
            ),
            None => absences.push(Absence {
                kind,
                reason: s.absence_reason.clone(),
            }),
        }
    }
    Ok((out, absences, supplements))
}
