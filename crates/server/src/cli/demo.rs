//! The demo bureau: a county-level city's 信访局 with its townships, street offices and
//! departments as handling units, one user per role, and a few dozen petitions in various
//! states, registered through the same use cases as real work.

use std::sync::Arc;

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use xinfang_domain::registration::InterviewInput;
use xinfang_domain::role::Role;
use xinfang_store::Store;
use xinfang_store::people::{Bureau, Unit, User};

use crate::cli::generate::{Generator, GeneratorConfig};
use xinfang_app::auth::CurrentUser;
use xinfang_app::clock::{Clock, ManualClock, from_local};
use xinfang_app::context::AppState;
use xinfang_app::intake::DecisionInput;
use xinfang_app::mailroom as svc_letters;

pub const DEMO_PASSWORD: &str = "xinfang-demo";

/// The township and street-office units, in the order the generator is given their names.
const TOWNSHIP_UNITS: [&str; 6] = [
    "chengguan",
    "ganhezi",
    "ziniquanzi",
    "shuimogou",
    "fuxin",
    "bofeng",
];

/// (code, name, kind)
pub const DEMO_UNITS: &[(&str, &str, &str)] = &[
    ("chengguan", "城关镇人民政府", "township"),
    ("ganhezi", "甘河子镇人民政府", "township"),
    ("ziniquanzi", "滋泥泉子镇人民政府", "township"),
    ("shuimogou", "水磨沟乡人民政府", "township"),
    ("fuxin", "阜新街道办事处", "street"),
    ("bofeng", "博峰街道办事处", "street"),
    ("zhujian", "市住房和城乡建设局", "department"),
    ("renshe", "市人力资源和社会保障局", "department"),
    ("ziranziyuan", "市自然资源局", "department"),
    ("shengtai", "市生态环境局", "department"),
    ("minzheng", "市民政局", "department"),
    ("jiaoyu", "市教育局", "department"),
];

/// (username = role identifier, display name)
pub const DEMO_STAFF: &[(Role, &str)] = &[
    (Role::Receptionist, "王建华"),
    (Role::LetterClerk, "李秀英"),
    (Role::CaseOfficer, "张志强"),
    (Role::Office, "刘海燕"),
    (Role::DeputyDirector, "陈国栋"),
    (Role::Director, "杨立新"),
    (Role::Inspector, "赵德明"),
    (Role::Archivist, "周玉兰"),
    (Role::Admin, "系统管理员"),
    (Role::SecurityAdmin, "安全保密管理员"),
    (Role::AuditAdmin, "安全审计员"),
];

pub fn demo_bureau() -> Bureau {
    Bureau {
        id: xinfang_store::new_id(),
        code: "fukang".into(),
        name: "阜康市信访局".into(),
        organ_code: "阜信".into(),
        region_code: "652302".into(),
        workday_end: "17:30".into(),
    }
}

/// Creates the bureau, its units and users. Returns the bureau.
pub async fn create_bureau(
    store: &Store,
    clock: &dyn Clock,
    policy: &xinfang_app::auth::PasswordPolicy,
) -> anyhow::Result<Bureau> {
    let bureau = demo_bureau();
    let now = clock.now();
    let hash = policy.hash(DEMO_PASSWORD)?;
    let mut tx = store.begin().await?;
    store.insert_bureau(&mut tx, &bureau, now).await?;
    for (role, name) in DEMO_STAFF {
        let user = User {
            id: xinfang_store::new_id(),
            bureau_id: bureau.id.clone(),
            username: role.as_str().into(),
            display_name: (*name).into(),
            role: *role,
            unit_id: None,
            password_hash: hash.clone(),
            active: true,
            pending_role: None,
            pending_unit_id: None,
            granted_by: None,
            role_confirmed: true,
            must_set_password: false,
        };
        store.insert_user(&mut tx, &user, now).await?;
    }
    for (code, name, kind) in DEMO_UNITS {
        let unit = Unit {
            id: xinfang_store::new_id(),
            bureau_id: bureau.id.clone(),
            code: (*code).into(),
            name: (*name).into(),
            kind: (*kind).into(),
            region_code: Some(bureau.region_code.clone()),
            active: true,
        };
        store.insert_unit(&mut tx, &unit, now).await?;
        for (suffix, role, title) in [
            ("handler", Role::UnitHandler, "经办人"),
            ("head", Role::UnitHead, "负责人"),
        ] {
            let user = User {
                id: xinfang_store::new_id(),
                bureau_id: bureau.id.clone(),
                username: format!("{code}_{suffix}"),
                display_name: format!("{}{}", name.trim_end_matches("人民政府"), title),
                role,
                unit_id: Some(unit.id.clone()),
                password_hash: hash.clone(),
                active: true,
                pending_role: None,
                pending_unit_id: None,
                granted_by: None,
                role_confirmed: true,
                must_set_password: false,
            };
            store.insert_user(&mut tx, &user, now).await?;
        }
    }
    tx.commit().await?;
    Ok(bureau)
}

async fn acting(state: &AppState, username: &str) -> anyhow::Result<CurrentUser> {
    let user = state
        .store
        .user_by_username(username)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo user {username} missing"))?;
    Ok(CurrentUser {
        user,
        csrf: String::new(),
        token_hash: String::new(),
        via_bearer: true,
    })
}

/// Registers `count` petitions over the working days before `today`, in various states.
pub async fn populate(state: &AppState, today: NaiveDate, count: usize) -> anyhow::Result<()> {
    let clock = Arc::new(ManualClock::new(from_local(
        today.and_hms_opt(8, 30, 0).unwrap_or_default(),
    )));
    let mut demo_state = state.clone();
    demo_state.clock = clock.clone();
    let receptionist = acting(&demo_state, "receptionist").await?;
    let units = state.store.units(&state.bureau.id).await?;
    let unit_id = |code: &str| units.iter().find(|u| u.code == code).map(|u| u.id.clone());
    let mut generator = Generator::new(GeneratorConfig {
        seed: 20261127,
        bureau_region: state.bureau.region_code.clone(),
        township_names: vec![
            "城关镇".into(),
            "甘河子镇".into(),
            "滋泥泉子镇".into(),
            "水磨沟乡".into(),
            "阜新街道".into(),
            "博峰街道".into(),
        ],
    });
    for i in 0..count {
        // Spread over the 30 days before today, working hours, oldest first.
        let day = today - Duration::days(1 + (count - 1 - i) as i64 * 29 / count.max(1) as i64);
        let minutes = 9 * 60 + (i as i64 * 37) % (8 * 60);
        let at = NaiveDateTime::new(
            day,
            NaiveTime::from_hms_opt((minutes / 60) as u32, (minutes % 60) as u32, 0)
                .unwrap_or_default(),
        );
        clock.set(from_local(at));
        let mut input = generator.visit(at);
        // The generator numbers the townships in the order listed above; the demo bureau has
        // them as units, which the window chooses from.
        let ordinal: usize = input.township[6..].parse().unwrap_or(1);
        if let Some(id) = TOWNSHIP_UNITS
            .get(ordinal.saturating_sub(1))
            .and_then(|code| unit_id(code))
        {
            input.township = id;
        }
        let p = xinfang_app::intake::register(&demo_state, &receptionist, &input)
            .await
            .map_err(|e| anyhow::anyhow!("demo registration: {:?}", e.body().message))?;
        clock.set(from_local(at + Duration::minutes(20)));
        // Every fifth stays just registered; the rest are interviewed, most also decided.
        if i % 5 == 4 {
            continue;
        }
        let interview = InterviewInput {
            facts_and_requests: p.summary.clone(),
            earlier_petitions: if i % 3 == 0 {
                "曾于今年上半年向所在乡镇反映，未得到答复。".into()
            } else {
                "首次来访。".into()
            },
            skip_or_repeat_reason: String::new(),
            abnormal_behaviour: "无".into(),
            coordination: if i % 4 == 0 {
                "已电话联系相关乡镇了解情况。".into()
            } else {
                String::new()
            },
            finished: Some(i % 11 != 3),
            appointment_on: (today + Duration::days(3)).to_string(),
            appointment_note: "请补充相关书面材料".into(),
        };
        xinfang_app::intake::record_interview(&demo_state, &receptionist, &p.id, &interview)
            .await
            .map_err(|e| anyhow::anyhow!("demo interview: {}", e.body().message))?;
        if i % 11 == 3 {
            continue;
        }
        clock.set(from_local(at + Duration::minutes(35)));
        let decision = match i % 7 {
            0 => DecisionInput {
                acceptance: "not_accepted".into(),
                reason: "legal_channel".into(),
                ..Default::default()
            },
            1 => DecisionInput {
                acceptance: "referred_to_department".into(),
                reason: "department_matter".into(),
                target_unit_id: unit_id("zhujian"),
                ..Default::default()
            },
            2 => DecisionInput {
                acceptance: "referred_to_locality".into(),
                reason: "township_matter".into(),
                target_unit_id: unit_id("chengguan"),
                ..Default::default()
            },
            _ => DecisionInput {
                acceptance: "accepted".into(),
                reason: "in_remit".into(),
                ..Default::default()
            },
        };
        if p.collective
            && p.petitioners.iter().all(|x| !x.is_representative)
            && decision.acceptance == "accepted"
        {
            continue;
        }
        xinfang_app::intake::decide(&demo_state, &receptionist, &p.id, &decision)
            .await
            .map_err(|e| anyhow::anyhow!("demo decision: {}", e.body().message))?;
        // Confidential petitions stay with the staff they were assigned to.
        if decision.acceptance == "accepted" && !p.confidential {
            clock.set(from_local(at + Duration::hours(2)));
            let unit = ["chengguan", "ganhezi", "renshe"][i % 3];
            advance(&demo_state, &p.id, unit, i % 6).await?;
        }
    }
    populate_letters(&demo_state, &clock, today).await?;
    state
        .store
        .checkpoint(&state.bureau.id, clock.now())
        .await?;
    Ok(())
}

/// Moves an accepted demo petition along the handling path: `steps` 0 leaves it for the office
/// to dispose; 1 a 交办 awaits the deputy director; 2 the unit has it in its inbox; 3 the unit
/// reported; 4 the review sent it back for a redo (awaiting approval); 5 closing awaits approval.
async fn advance(
    state: &AppState,
    petition_id: &str,
    unit_code: &str,
    steps: usize,
) -> anyhow::Result<()> {
    use xinfang_app::handling::{
        self, ApprovalDecisionInput, DispositionInput, ReportInput, ReviewInput, UnitChoice,
        UnitStepInput,
    };
    let err = |what: &'static str| {
        move |e: crate::http::error::AppError| anyhow::anyhow!("demo {what}: {}", e.body().message)
    };
    if steps == 0 {
        return Ok(());
    }
    let office = acting(state, "office").await?;
    let deputy = acting(state, "deputy_director").await?;
    let handler = acting(state, &format!("{unit_code}_handler")).await?;
    let officer = acting(state, "case_officer").await?;
    let unit = state
        .store
        .unit_by_code(&state.bureau.id, unit_code)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo unit {unit_code} missing"))?;
    let proposed = handling::propose_disposition(
        state,
        &office,
        petition_id,
        &DispositionInput {
            disposition: "assignment".into(),
            units: vec![UnitChoice {
                unit_id: unit.id.clone(),
                lead: true,
            }],
            requirements: "请依法调查核实，妥善处理，书面答复信访人并报送办理结果。".into(),
            ..Default::default()
        },
    )
    .await
    .map_err(err("disposition"))?;
    if steps == 1 {
        return Ok(());
    }
    let approve = |id: String| {
        let deputy = &deputy;
        async move {
            handling::decide_approval(
                state,
                deputy,
                &id,
                &ApprovalDecisionInput {
                    accept: true,
                    comment: String::new(),
                },
            )
            .await
            .map_err(err("approval"))
        }
    };
    approve(proposed.approval_id.unwrap_or_default()).await?;
    let record = state
        .store
        .handling_records(petition_id)
        .await?
        .remove(0)
        .id;
    handling::unit_receive(
        state,
        &handler,
        &record,
        &UnitStepInput {
            action: "sign_for".into(),
            ..Default::default()
        },
    )
    .await
    .map_err(err("sign for"))?;
    if steps == 2 {
        return Ok(());
    }
    let today = xinfang_app::clock::local_date(state.clock.now()).to_string();
    handling::unit_receive(
        state,
        &handler,
        &record,
        &UnitStepInput {
            action: "accept".into(),
            petitioner_told_how: "电话告知".into(),
            petitioner_told_on: today.clone(),
        },
    )
    .await
    .map_err(err("accept"))?;
    let report = handling::submit_report(
        state,
        &handler,
        petition_id,
        &ReportInput {
            record_id: record.clone(),
            findings: "经调查核实，信访人反映的情况基本属实。".into(),
            decision: "support".into(),
            reply: "已责成有关方面限期解决，并书面答复信访人。".into(),
            reply_served_on: today,
            petitioner_signed: steps != 4,
            refusal_note: String::new(),
            settlement_note: "信访人对处理结果表示认可。".into(),
            signed_off_by: "单位负责人".into(),
        },
    )
    .await
    .map_err(err("report"))?;
    if steps == 3 {
        return Ok(());
    }
    let findings = xinfang_domain::handling::ReviewCheck::ALL
        .into_iter()
        .map(|check| xinfang_domain::handling::Finding {
            check,
            pass: !(steps == 4
                && check == xinfang_domain::handling::ReviewCheck::AnsweredInWriting),
            note: String::new(),
        })
        .map(|mut f: xinfang_domain::handling::Finding| {
            if !f.pass {
                f.note = "缺少信访人签字确认".into();
            }
            f
        })
        .collect();
    let review = if steps == 4 {
        ReviewInput {
            findings,
            outcome: "supplement".into(),
            opinion: "请补报信访人签收的书面答复。".into(),
            new_period_days: Some(10),
        }
    } else {
        ReviewInput {
            findings,
            ..Default::default()
        }
    };
    handling::review_report(state, &officer, &report, &review)
        .await
        .map_err(err("review"))?;
    if steps == 5 {
        handling::close_petition(state, &officer, petition_id, "propose")
            .await
            .map_err(err("closing"))?;
    }
    Ok(())
}

/// A few letters in the mailroom: an express item not yet opened, an opened letter waiting to
/// be registered, a joint letter with its 来信办理单 on the deputy director's desk, an accepted
/// letter whose writer is still to be told, and an anonymous one closed as "cannot notify".
async fn populate_letters(
    state: &AppState,
    clock: &ManualClock,
    today: NaiveDate,
) -> anyhow::Result<()> {
    use xinfang_domain::mailroom::{
        HandlingFormInput, InstructionInput, LetterDetailsInput, LetterReceiptInput, NoticeInput,
        OpeningInput,
    };
    use xinfang_domain::registration::{PetitionerInput, RegistrationInput};
    let err = |what: &'static str| {
        move |e: crate::http::error::AppError| anyhow::anyhow!("demo {what}: {}", e.body().message)
    };
    let clerk = acting(state, "letter_clerk").await?;
    let deputy = acting(state, "deputy_director").await?;
    let at = |days: i64, h: u32| {
        from_local(NaiveDateTime::new(
            today - Duration::days(days),
            NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default(),
        ))
    };
    let receipt = |mode: &str, sender: &str| LetterReceiptInput {
        delivery_mode: mode.into(),
        tracking_no: if mode == "express" {
            "SF1409882736".into()
        } else {
            String::new()
        },
        sender: sender.into(),
        sender_address: "阜康市城关镇东风村3组".into(),
        ..Default::default()
    };
    let opening = OpeningInput {
        disinfected_by: "马建军".into(),
        distributed_to: "李秀英".into(),
        stamps_kept: true,
        postmark_kept: true,
        postcode_kept: true,
        address_kept: true,
        ..Default::default()
    };
    let writer = |name: &str, phone: &str| PetitionerInput {
        name: name.into(),
        id_type: "none".into(),
        address: "阜康市城关镇东风村3组".into(),
        phone: phone.into(),
        ..Default::default()
    };
    let township = xinfang_app::admin::units(state)
        .await
        .map_err(err("units"))?
        .into_iter()
        .find(|u| u.code == "chengguan")
        .map(|u| u.id)
        .unwrap_or_default();
    let registration =
        |petitioners: Vec<PetitionerInput>, summary: &str, anonymous: bool| RegistrationInput {
            channel: "letter".into(),
            petitioners,
            issue_region: state.bureau.region_code.clone(),
            township: township.clone(),
            summary: summary.into(),
            requests: "请求有关部门依法处理。".into(),
            purpose: "01".into(),
            petition_class: "claim".into(),
            anonymous,
            ..Default::default()
        };
    // 1. Express, just signed for: on top of the queue until opened.
    clock.set(at(0, 8));
    svc_letters::receive(state, &clerk, &receipt("express", "赵建国"))
        .await
        .map_err(err("receipt"))?;
    // 2. Opened, waiting to be registered.
    clock.set(at(1, 9));
    let p = svc_letters::receive(state, &clerk, &receipt("post", "孙丽"))
        .await
        .map_err(err("receipt"))?;
    svc_letters::record_opening(state, &clerk, &p.id, &opening)
        .await
        .map_err(err("opening"))?;
    // 3. A joint letter whose 来信办理单 awaits the deputy director's instruction.
    clock.set(at(6, 10));
    let p = svc_letters::receive(state, &clerk, &receipt("post", "周明"))
        .await
        .map_err(err("receipt"))?;
    svc_letters::record_opening(state, &clerk, &p.id, &opening)
        .await
        .map_err(err("opening"))?;
    svc_letters::register_letter(
        state,
        &clerk,
        &p.id,
        &registration(
            vec![writer("周明", "13899001122"), writer("吴芳", "13899001123")],
            "反映小区供暖温度长期不达标，物业公司拒不整改。",
            false,
        ),
        &LetterDetailsInput {
            joint: true,
            signatory_count: Some(26),
            ..Default::default()
        },
    )
    .await
    .map_err(err("registration"))?;
    svc_letters::submit_handling_form(
        state,
        &clerk,
        &p.id,
        &HandlingFormInput {
            proposal: "建议受理，转市住房和城乡建设局办理。".into(),
            ..Default::default()
        },
    )
    .await
    .map_err(err("handling form"))?;
    // 4. Accepted on instruction; the writer is still to be told.
    clock.set(at(12, 9));
    let p = svc_letters::receive(state, &clerk, &receipt("post", "郑海"))
        .await
        .map_err(err("receipt"))?;
    svc_letters::record_opening(state, &clerk, &p.id, &opening)
        .await
        .map_err(err("opening"))?;
    svc_letters::register_letter(
        state,
        &clerk,
        &p.id,
        &registration(
            vec![writer("郑海", "13899001124")],
            "反映承包的集体土地被占用，补偿款未发放。",
            false,
        ),
        &LetterDetailsInput::default(),
    )
    .await
    .map_err(err("registration"))?;
    svc_letters::submit_handling_form(
        state,
        &clerk,
        &p.id,
        &HandlingFormInput {
            proposal: "建议受理，交滋泥泉子镇人民政府办理。".into(),
            ..Default::default()
        },
    )
    .await
    .map_err(err("handling form"))?;
    clock.set(at(11, 11));
    svc_letters::record_instruction(
        state,
        &deputy,
        &p.id,
        &InstructionInput {
            acceptance: "accepted".into(),
            instruction: "同意受理，请按程序办理。".into(),
            reason: String::new(),
        },
    )
    .await
    .map_err(err("instruction"))?;
    // 5. Anonymous: registered and closed as "cannot notify".
    clock.set(at(3, 15));
    let p = svc_letters::receive(state, &clerk, &receipt("post", ""))
        .await
        .map_err(err("receipt"))?;
    svc_letters::record_opening(state, &clerk, &p.id, &opening)
        .await
        .map_err(err("opening"))?;
    svc_letters::register_letter(
        state,
        &clerk,
        &p.id,
        &registration(Vec::new(), "匿名反映某村干部优亲厚友分配低保名额。", true),
        &LetterDetailsInput::default(),
    )
    .await
    .map_err(err("registration"))?;
    svc_letters::record_notice(
        state,
        &clerk,
        &p.id,
        &NoticeInput {
            method: "cannot_notify".into(),
            reason: "匿名信，未留姓名和通信地址".into(),
            ..Default::default()
        },
    )
    .await
    .map_err(err("notice"))?;
    // 6. Confidential, accusing 住建局, with its envelope scanned: the accused unit, once it
    // handles the letter, reads the matter but never the writer, the envelope or the history's
    // details; staff not assigned to it see its number, dates and stage only.
    clock.set(at(2, 10));
    let p = svc_letters::receive(state, &clerk, &receipt("post", "钱卫东"))
        .await
        .map_err(err("receipt"))?;
    svc_letters::record_opening(state, &clerk, &p.id, &opening)
        .await
        .map_err(err("opening"))?;
    svc_letters::attach_scan(
        state,
        &clerk,
        &p.id,
        "envelope",
        "信封.pdf",
        DEMO_ENVELOPE_PDF,
    )
    .await
    .map_err(err("scan"))?;
    let zhujian = xinfang_app::admin::units(state)
        .await
        .map_err(err("units"))?
        .into_iter()
        .find(|u| u.code == "zhujian")
        .map(|u| u.id);
    svc_letters::register_letter(
        state,
        &clerk,
        &p.id,
        &RegistrationInput {
            confidential: true,
            accused_unit_id: zhujian,
            petition_class: "accusation".into(),
            purpose: "04".into(),
            ..registration(
                vec![writer("钱卫东", "13899001125")],
                "检举住建局某科室工作人员在办理施工许可时索要好处费。",
                false,
            )
        },
        &LetterDetailsInput::default(),
    )
    .await
    .map_err(err("registration"))?;
    Ok(())
}

/// A one-page PDF standing for the scanned envelope of the demo's confidential letter.
const DEMO_ENVELOPE_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";
