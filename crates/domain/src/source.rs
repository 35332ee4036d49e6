//! Where a petition came from (信访事项来源) and what follows from it: the closing report's route
//! (seed 一(八)3 / V8.3, 二 二(七)3 / L7.3) and the higher organ's deadline that caps a unit's
//! handling deadline (lifecycle §1: a matter forwarded or assigned by a higher organ starts at
//! `registered` with its source, document number and deadline, and its closing report goes back
//! up).
//!
//! The source is recorded once, at registration, and parsed here from the form's strings.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::words::parse_date;

/// The higher organ's covering document: who sent the matter down, under which number, when,
/// and by when it wants the result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HigherOrganDocument {
    /// The organ, e.g. 市信访局.
    pub organ: String,
    /// Its document number (发文字号), e.g. 市信交〔2026〕12号; empty when the matter came
    /// without one (a forwarded letter with a slip only).
    #[serde(default)]
    pub doc_no: String,
    /// The document's date.
    pub issued_on: NaiveDate,
    /// The higher organ's deadline for the result, if it set one (an assignment always does).
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
}

/// A local leader (本级党政领导) whose instruction (批办) started the matter. A record, not a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalLeader {
    /// The leader's name; may be empty when only the post is recorded.
    #[serde(default)]
    pub name: String,
    /// The leader's post, e.g. 区长; may be empty when the name is recorded.
    #[serde(default)]
    pub post: String,
}

impl LocalLeader {
    /// As the closing report and the route name the leader: 王某（区长）, 王某, or 区长.
    pub fn display_zh(&self) -> String {
        match (self.name.is_empty(), self.post.is_empty()) {
            (false, false) => format!("{}（{}）", self.name, self.post),
            (false, true) => self.name.clone(),
            _ => self.post.clone(),
        }
    }
}

/// Where a petition came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// The petitioner wrote or walked in of their own accord (自行来信来访).
    OwnAccord,
    /// 转送 by a higher organ, for this level's handling.
    ForwardedByHigherOrgan(HigherOrganDocument),
    /// 交办 by a higher organ: with a deadline and a report back.
    AssignedByHigherOrgan(HigherOrganDocument),
    /// 批办 by a local leader (the seed's 区委、区政府领导 / 市领导).
    InstructedByLocalLeader(LocalLeader),
    /// Handed over by the 12345 government service hotline, under its order number.
    #[serde(rename = "hotline_12345")]
    Hotline12345 { order_no: String },
    /// Submitted online (网上信访).
    Online,
}

impl Source {
    /// The API names of the kinds, in the order the form lists them.
    pub const KINDS: [&'static str; 6] = [
        "own_accord",
        "forwarded_by_higher_organ",
        "assigned_by_higher_organ",
        "instructed_by_local_leader",
        "hotline_12345",
        "online",
    ];

    /// The kind's API name (also its serde tag).
    pub fn as_str(&self) -> &'static str {
        match self {
            Source::OwnAccord => "own_accord",
            Source::ForwardedByHigherOrgan(_) => "forwarded_by_higher_organ",
            Source::AssignedByHigherOrgan(_) => "assigned_by_higher_organ",
            Source::InstructedByLocalLeader(_) => "instructed_by_local_leader",
            Source::Hotline12345 { .. } => "hotline_12345",
            Source::Online => "online",
        }
    }

    pub fn label_zh(&self) -> &'static str {
        kind_label_zh(self.as_str()).unwrap_or("其他")
    }

    /// The higher organ's document, for the two higher-organ kinds.
    pub fn higher_organ(&self) -> Option<&HigherOrganDocument> {
        match self {
            Source::ForwardedByHigherOrgan(d) | Source::AssignedByHigherOrgan(d) => Some(d),
            _ => None,
        }
    }

    /// The deadline the higher organ set, if the matter came from one and it set one: a unit's
    /// handling deadline never runs past it (`deadline::capped_due`).
    pub fn higher_organ_deadline(&self) -> Option<NaiveDate> {
        self.higher_organ().and_then(|d| d.deadline)
    }

    /// The source as a form would send it; `parse_source` of it gives the source back.
    pub fn to_input(&self) -> SourceInput {
        let mut input = SourceInput {
            kind: self.as_str().into(),
            ..Default::default()
        };
        match self {
            Source::ForwardedByHigherOrgan(d) | Source::AssignedByHigherOrgan(d) => {
                input.organ = d.organ.clone();
                input.doc_no = d.doc_no.clone();
                input.issued_on = d.issued_on.to_string();
                input.deadline = d.deadline.map(|d| d.to_string()).unwrap_or_default();
            }
            Source::InstructedByLocalLeader(l) => {
                input.leader_name = l.name.clone();
                input.leader_post = l.post.clone();
            }
            Source::Hotline12345 { order_no } => input.order_no = order_no.clone(),
            Source::OwnAccord | Source::Online => {}
        }
        input
    }
}

/// The Chinese name of a stored source kind; `None` for one this version does not know.
pub fn kind_label_zh(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "own_accord" => "信访人自行来信来访",
        "forwarded_by_higher_organ" => "上级机关转送",
        "assigned_by_higher_organ" => "上级机关交办",
        "instructed_by_local_leader" => "本级党政领导批办",
        "hotline_12345" => "12345热线转办",
        "online" => "网上信访",
        _ => return None,
    })
}

/// The source as the API and the form send it, before validation. Only the fields of the chosen
/// kind are read; the others are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SourceInput {
    /// One of [`Source::KINDS`].
    pub kind: String,
    /// Higher organ: its name (required).
    pub organ: String,
    /// Higher organ: its document number (optional).
    pub doc_no: String,
    /// Higher organ: the document's date, `YYYY-MM-DD` (required, not in the future).
    pub issued_on: String,
    /// Higher organ: its deadline, `YYYY-MM-DD` (required for an assignment, optional for a
    /// forwarding; not before the document's date).
    pub deadline: String,
    /// Local leader: name and post (at least one of them).
    pub leader_name: String,
    pub leader_post: String,
    /// 12345 hotline: the order number (工单编号, required).
    pub order_no: String,
}

const ORGAN_MAX: usize = 100;
const DOC_NO_MAX: usize = 64;
const LEADER_MAX: usize = 50;
const ORDER_NO_MAX: usize = 64;

fn text(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("不超过 {max} 字"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(FieldError::new(field, "invalid_text", "不能含有控制字符"));
    }
    Ok(v.to_string())
}

fn higher_organ(
    input: &SourceInput,
    deadline_required: bool,
    today: NaiveDate,
) -> Result<HigherOrganDocument, FieldError> {
    let organ = text("organ", &input.organ, ORGAN_MAX)?;
    if organ.is_empty() {
        return Err(FieldError::new(
            "organ",
            "required",
            "请填写转送或交办的上级机关",
        ));
    }
    let doc_no = text("doc_no", &input.doc_no, DOC_NO_MAX)?;
    if input.issued_on.trim().is_empty() {
        return Err(FieldError::new(
            "issued_on",
            "required",
            "请填写上级机关来文日期",
        ));
    }
    let issued_on = parse_date("issued_on", &input.issued_on)?;
    if issued_on > today {
        return Err(FieldError::new(
            "issued_on",
            "future_date",
            "上级机关来文日期不能晚于今天",
        ));
    }
    let deadline = if input.deadline.trim().is_empty() {
        if deadline_required {
            return Err(FieldError::new(
                "deadline",
                "required",
                "上级机关交办须填写其要求的办结期限",
            ));
        }
        None
    } else {
        let d = parse_date("deadline", &input.deadline)?;
        if d < issued_on {
            return Err(FieldError::new(
                "deadline",
                "before_start",
                "上级机关要求的办结期限不能早于来文日期",
            ));
        }
        Some(d)
    };
    Ok(HigherOrganDocument {
        organ,
        doc_no,
        issued_on,
        deadline,
    })
}

/// Checks a source, first problem first. `today` is the registration day in China Standard
/// Time: the higher organ's document cannot be dated after it.
pub fn parse_source(input: &SourceInput, today: NaiveDate) -> Result<Source, FieldError> {
    let kind = input.kind.trim();
    Ok(match kind {
        "own_accord" => Source::OwnAccord,
        "online" => Source::Online,
        "forwarded_by_higher_organ" => {
            Source::ForwardedByHigherOrgan(higher_organ(input, false, today)?)
        }
        "assigned_by_higher_organ" => {
            Source::AssignedByHigherOrgan(higher_organ(input, true, today)?)
        }
        "instructed_by_local_leader" => {
            let name = text("leader_name", &input.leader_name, LEADER_MAX)?;
            let post = text("leader_post", &input.leader_post, LEADER_MAX)?;
            if name.is_empty() && post.is_empty() {
                return Err(FieldError::new(
                    "leader_name",
                    "required",
                    "请填写作出批示的领导姓名或职务",
                ));
            }
            Source::InstructedByLocalLeader(LocalLeader { name, post })
        }
        "hotline_12345" => {
            let order_no = text("order_no", &input.order_no, ORDER_NO_MAX)?;
            if order_no.is_empty() {
                return Err(FieldError::new(
                    "order_no",
                    "required",
                    "请填写12345热线工单编号",
                ));
            }
            Source::Hotline12345 { order_no }
        }
        "" => {
            return Err(FieldError::new("kind", "required", "请选择信访事项来源"));
        }
        other => {
            return Err(FieldError::new(
                "kind",
                "unknown_source",
                format!("未知的信访事项来源：{other}"),
            ));
        }
    })
}

// ---------------------------------------------------------------------------------------------
// The closing report's route (V8.3, L7.3)

/// Where the closing report (结案报告) goes once closing is approved (seed 一(八)3, 二 二(七)3):
/// 属上级机关批转的，及时上报；属市领导批办的，报作出批示的领导阅批；属本局交办或自办的，作归档处理.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "route", rename_all = "snake_case")]
pub enum ClosingRoute {
    /// Reported back up to the higher organ that forwarded or assigned the matter.
    ReportToHigherOrgan { organ: String },
    /// To the local leader whose instruction started the matter, for reading (阅批).
    ToInstructingLeader { leader: String },
    /// The bureau's own matter (self-handled or assigned by the bureau): filed.
    Archive,
}

impl ClosingRoute {
    /// The stored name of the route (`higher_organ`, `local_leader`, `archive`), as the closing
    /// event has recorded it so far.
    pub fn as_str(&self) -> &'static str {
        match self {
            ClosingRoute::ReportToHigherOrgan { .. } => "higher_organ",
            ClosingRoute::ToInstructingLeader { .. } => "local_leader",
            ClosingRoute::Archive => "archive",
        }
    }

    /// The route as the closing report's 报告去向 reads.
    pub fn label_zh(&self) -> String {
        match self {
            ClosingRoute::ReportToHigherOrgan { organ } => format!("报{organ}（上级机关）"),
            ClosingRoute::ToInstructingLeader { leader } => {
                format!("报{leader}（批示领导）阅批")
            }
            ClosingRoute::Archive => "本机关立卷归档".into(),
        }
    }
}

/// The closing report's route, by the petition's source alone. `_bureau_reported_up` — the
/// bureau reported the matter up itself (上报) — does not change it: a matter the bureau took in
/// and reported to its leaders is still the bureau's own, not one a higher organ sent down.
/// (A local leader's 批示 on reported material is its own obligation, a written report back to
/// that leader, V3.3 / L4.1; it is not the closing route.)
pub fn closing_route(source: &Source, _bureau_reported_up: bool) -> ClosingRoute {
    match source {
        Source::ForwardedByHigherOrgan(d) | Source::AssignedByHigherOrgan(d) => {
            ClosingRoute::ReportToHigherOrgan {
                organ: d.organ.clone(),
            }
        }
        Source::InstructedByLocalLeader(l) => ClosingRoute::ToInstructingLeader {
            leader: l.display_zh(),
        },
        Source::OwnAccord | Source::Online | Source::Hotline12345 { .. } => ClosingRoute::Archive,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    const TODAY: &str = "2026-12-01";

    fn organ_input(kind: &str) -> SourceInput {
        SourceInput {
            kind: kind.into(),
            organ: " 市信访局 ".into(),
            doc_no: "市信交〔2026〕12号".into(),
            issued_on: "2026-11-20".into(),
            deadline: "2026-12-20".into(),
            ..Default::default()
        }
    }

    fn err(input: &SourceInput) -> (Option<String>, &'static str, String) {
        let e = parse_source(input, d(TODAY)).unwrap_err();
        (e.field, e.code, e.message)
    }

    fn field(f: &str) -> Option<String> {
        Some(f.into())
    }

    #[test]
    fn every_kind_parses_with_its_details() {
        let today = d(TODAY);
        let doc = HigherOrganDocument {
            organ: "市信访局".into(),
            doc_no: "市信交〔2026〕12号".into(),
            issued_on: d("2026-11-20"),
            deadline: Some(d("2026-12-20")),
        };
        assert_eq!(
            parse_source(&organ_input("forwarded_by_higher_organ"), today),
            Ok(Source::ForwardedByHigherOrgan(doc.clone()))
        );
        assert_eq!(
            parse_source(&organ_input(" assigned_by_higher_organ "), today),
            Ok(Source::AssignedByHigherOrgan(doc))
        );
        let leader = SourceInput {
            kind: "instructed_by_local_leader".into(),
            leader_name: " 王某 ".into(),
            leader_post: "区长".into(),
            ..Default::default()
        };
        assert_eq!(
            parse_source(&leader, today),
            Ok(Source::InstructedByLocalLeader(LocalLeader {
                name: "王某".into(),
                post: "区长".into()
            }))
        );
        let hotline = SourceInput {
            kind: "hotline_12345".into(),
            order_no: " GD20261201001 ".into(),
            ..Default::default()
        };
        assert_eq!(
            parse_source(&hotline, today),
            Ok(Source::Hotline12345 {
                order_no: "GD20261201001".into()
            })
        );
        for (kind, source) in [
            ("own_accord", Source::OwnAccord),
            ("online", Source::Online),
        ] {
            // Leftover details of another kind are ignored.
            let mut i = organ_input(kind);
            i.order_no = "x".into();
            assert_eq!(parse_source(&i, today), Ok(source));
        }
    }

    #[test]
    fn names_and_labels() {
        let sources = [
            Source::OwnAccord,
            Source::ForwardedByHigherOrgan(HigherOrganDocument {
                organ: "市信访局".into(),
                doc_no: String::new(),
                issued_on: d("2026-11-20"),
                deadline: None,
            }),
            Source::AssignedByHigherOrgan(HigherOrganDocument {
                organ: "市信访局".into(),
                doc_no: String::new(),
                issued_on: d("2026-11-20"),
                deadline: Some(d("2026-12-20")),
            }),
            Source::InstructedByLocalLeader(LocalLeader {
                name: "王某".into(),
                post: String::new(),
            }),
            Source::Hotline12345 {
                order_no: "1".into(),
            },
            Source::Online,
        ];
        let names: Vec<&str> = sources.iter().map(Source::as_str).collect();
        assert_eq!(names, Source::KINDS);
        let labels: Vec<&str> = sources.iter().map(Source::label_zh).collect();
        assert_eq!(
            labels,
            [
                "信访人自行来信来访",
                "上级机关转送",
                "上级机关交办",
                "本级党政领导批办",
                "12345热线转办",
                "网上信访"
            ]
        );
        for s in &sources {
            // The serde tag is the API name.
            assert_eq!(serde_json::to_value(s).unwrap()["kind"], s.as_str());
        }
        assert_eq!(kind_label_zh("fax"), None);
        assert_eq!(
            serde_json::to_value(Source::Hotline12345 {
                order_no: "A1".into()
            })
            .unwrap(),
            serde_json::json!({"kind": "hotline_12345", "order_no": "A1"})
        );
    }

    #[test]
    fn the_higher_organ_deadline_is_known_only_for_higher_organs() {
        let today = d(TODAY);
        let assigned = parse_source(&organ_input("assigned_by_higher_organ"), today).unwrap();
        assert_eq!(assigned.higher_organ_deadline(), Some(d("2026-12-20")));
        let mut i = organ_input("forwarded_by_higher_organ");
        i.deadline = " ".into();
        let forwarded = parse_source(&i, today).unwrap();
        assert_eq!(forwarded.higher_organ_deadline(), None);
        assert_eq!(forwarded.higher_organ().unwrap().organ, "市信访局");
        assert_eq!(Source::OwnAccord.higher_organ_deadline(), None);
        assert_eq!(Source::Online.higher_organ(), None);
    }

    #[test]
    fn higher_organ_details_are_checked() {
        let mut i = organ_input("assigned_by_higher_organ");
        i.organ = "  ".into();
        assert_eq!(
            err(&i),
            (
                field("organ"),
                "required",
                "请填写转送或交办的上级机关".into()
            )
        );
        i.organ = "市".repeat(101);
        assert_eq!(err(&i).1, "too_long");
        i.organ = "市信访局".into();
        i.issued_on = String::new();
        assert_eq!(
            err(&i),
            (
                field("issued_on"),
                "required",
                "请填写上级机关来文日期".into()
            )
        );
        i.issued_on = "2026/11/20".into();
        assert_eq!((err(&i).0, err(&i).1), (field("issued_on"), "invalid_date"));
        i.issued_on = "2026-12-02".into();
        assert_eq!(
            err(&i),
            (
                field("issued_on"),
                "future_date",
                "上级机关来文日期不能晚于今天".into()
            )
        );
        // Dated today is fine; its deadline may not come before it.
        i.issued_on = TODAY.into();
        i.deadline = "2026-11-30".into();
        assert_eq!(
            err(&i),
            (
                field("deadline"),
                "before_start",
                "上级机关要求的办结期限不能早于来文日期".into()
            )
        );
        i.deadline = TODAY.into();
        assert!(parse_source(&i, d(TODAY)).is_ok());
        i.deadline = "2026-13-01".into();
        assert_eq!((err(&i).0, err(&i).1), (field("deadline"), "invalid_date"));
        // An assignment comes with a deadline; a forwarding may not.
        i.deadline = String::new();
        assert_eq!(
            err(&i),
            (
                field("deadline"),
                "required",
                "上级机关交办须填写其要求的办结期限".into()
            )
        );
        i.kind = "forwarded_by_higher_organ".into();
        assert!(parse_source(&i, d(TODAY)).is_ok());
        i.doc_no = "号".repeat(65);
        assert_eq!((err(&i).0, err(&i).1), (field("doc_no"), "too_long"));
    }

    #[test]
    fn leaders_hotline_orders_and_kinds_are_checked() {
        let mut i = SourceInput {
            kind: "instructed_by_local_leader".into(),
            ..Default::default()
        };
        assert_eq!(
            err(&i),
            (
                field("leader_name"),
                "required",
                "请填写作出批示的领导姓名或职务".into()
            )
        );
        i.leader_post = "区委书记".into();
        assert_eq!(
            parse_source(&i, d(TODAY)),
            Ok(Source::InstructedByLocalLeader(LocalLeader {
                name: String::new(),
                post: "区委书记".into()
            }))
        );
        i.kind = "hotline_12345".into();
        assert_eq!(
            err(&i),
            (
                field("order_no"),
                "required",
                "请填写12345热线工单编号".into()
            )
        );
        i.order_no = "A\u{7}1".into();
        assert_eq!((err(&i).0, err(&i).1), (field("order_no"), "invalid_text"));
        i.kind = " ".into();
        assert_eq!(
            err(&i),
            (field("kind"), "required", "请选择信访事项来源".into())
        );
        i.kind = "fax".into();
        assert_eq!(
            err(&i),
            (
                field("kind"),
                "unknown_source",
                "未知的信访事项来源：fax".into()
            )
        );
    }

    #[test]
    fn stored_sources_without_optional_details_still_read() {
        let s: Source = serde_json::from_value(serde_json::json!({
            "kind": "forwarded_by_higher_organ", "organ": "市信访局", "issued_on": "2026-11-20"
        }))
        .unwrap();
        assert_eq!(s.higher_organ().unwrap().doc_no, "");
        assert_eq!(s.higher_organ_deadline(), None);
        let l: Source = serde_json::from_value(serde_json::json!({
            "kind": "instructed_by_local_leader", "name": "王某"
        }))
        .unwrap();
        assert_eq!(
            closing_route(&l, false).label_zh(),
            "报王某（批示领导）阅批"
        );
    }

    #[test]
    fn the_closing_report_goes_where_the_matter_came_from() {
        let today = d(TODAY);
        let forwarded = parse_source(&organ_input("forwarded_by_higher_organ"), today).unwrap();
        let assigned = parse_source(&organ_input("assigned_by_higher_organ"), today).unwrap();
        let leader = Source::InstructedByLocalLeader(LocalLeader {
            name: "王某".into(),
            post: "区长".into(),
        });
        let hotline = Source::Hotline12345 {
            order_no: "GD1".into(),
        };
        for reported_up in [false, true] {
            for s in [&forwarded, &assigned] {
                let r = closing_route(s, reported_up);
                assert_eq!(
                    r,
                    ClosingRoute::ReportToHigherOrgan {
                        organ: "市信访局".into()
                    }
                );
                assert_eq!(
                    (r.as_str(), r.label_zh()),
                    ("higher_organ", "报市信访局（上级机关）".into())
                );
            }
            let r = closing_route(&leader, reported_up);
            assert_eq!(
                r,
                ClosingRoute::ToInstructingLeader {
                    leader: "王某（区长）".into()
                }
            );
            assert_eq!(
                (r.as_str(), r.label_zh()),
                ("local_leader", "报王某（区长）（批示领导）阅批".into())
            );
            // The bureau's own matters are filed — even when the bureau reported them up itself.
            for s in [&Source::OwnAccord, &Source::Online, &hotline] {
                let r = closing_route(s, reported_up);
                assert_eq!(r, ClosingRoute::Archive);
                assert_eq!(
                    (r.as_str(), r.label_zh()),
                    ("archive", "本机关立卷归档".into())
                );
            }
        }
        let json = serde_json::to_value(closing_route(&assigned, true)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"route": "report_to_higher_organ", "organ": "市信访局"})
        );
    }

    fn any_input() -> impl Strategy<Value = SourceInput> {
        fn mixed(valid: &'static [&'static str]) -> impl Strategy<Value = String> {
            prop_oneof![
                3 => prop::sample::select(valid).prop_map(String::from),
                1 => any::<String>(),
            ]
        }
        let dates: &'static [&'static str] = &[
            "2026-11-20",
            "2026-12-01",
            "2026-12-02",
            "2027-01-15",
            " 2026-10-01 ",
            "",
        ];
        (
            mixed(&Source::KINDS),
            mixed(&["市信访局", " 省信访局 ", ""]),
            mixed(&["市信交〔2026〕12号", ""]),
            mixed(dates),
            mixed(dates),
            (
                mixed(&["王某", ""]),
                mixed(&["区长", ""]),
                mixed(&["GD1", ""]),
            ),
        )
            .prop_map(
                |(
                    kind,
                    organ,
                    doc_no,
                    issued_on,
                    deadline,
                    (leader_name, leader_post, order_no),
                )| {
                    SourceInput {
                        kind,
                        organ,
                        doc_no,
                        issued_on,
                        deadline,
                        leader_name,
                        leader_post,
                        order_no,
                    }
                },
            )
    }

    proptest! {
        /// Parsing never panics; a source survives storage as JSON and its form parses back to
        /// it; a higher organ's document is never dated in the future nor due before its date.
        #[test]
        fn sources_round_trip(input in any_input()) {
            let today = d(TODAY);
            if let Ok(source) = parse_source(&input, today) {
                let json = serde_json::to_string(&source).unwrap();
                let back: Source = serde_json::from_str(&json).unwrap();
                prop_assert_eq!(&back, &source);
                prop_assert_eq!(parse_source(&source.to_input(), today), Ok(source.clone()));
                if let Some(doc) = source.higher_organ() {
                    prop_assert!(!doc.organ.is_empty());
                    prop_assert!(doc.issued_on <= today);
                    prop_assert!(doc.deadline.is_none_or(|dl| dl >= doc.issued_on));
                }
                if let Source::AssignedByHigherOrgan(doc) = &source {
                    prop_assert!(doc.deadline.is_some());
                }
            }
        }

        #[test]
        fn parsing_arbitrary_strings_never_panics(
            kind in prop_oneof![prop::sample::select(Source::KINDS.to_vec()).prop_map(String::from), any::<String>()],
            texts in prop::collection::vec(any::<String>(), 7),
        ) {
            let input = SourceInput {
                kind,
                organ: texts[0].clone(),
                doc_no: texts[1].clone(),
                issued_on: texts[2].clone(),
                deadline: texts[3].clone(),
                leader_name: texts[4].clone(),
                leader_post: texts[5].clone(),
                order_no: texts[6].clone(),
            };
            let _ = parse_source(&input, d(TODAY));
        }
    }
}
