//! Special situations at the reception (seed 一 4, V10.1, V10.2; rules §10): an incident record
//! (`Incident`, 异常情况处置) of what happened and what the staff did. The system cannot call
//! 120 itself; it records that it was done, by whom and when.
//!
//! - Six abnormal behaviours: the staff dissuade, criticise or educate; when that fails, the
//!   matter is handed over to the police. A hand-over records the earlier attempt, or the
//!   emergency (weapons, violence, self-harm) that made it immediate.
//! - Four special visitors, each with its own measures: sudden illness → emergency services
//!   (120), to hospital if need be; a malignant infectious disease → the health authority; the
//!   homeless and the mentally ill → the petition office and civil affairs of their locality;
//!   poisoning or self-harm → 110 and 120, to hospital at once.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::words::parse_datetime;

/// What happened (the codes are the ones stored so far).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    /// 1. 非法聚集、围堵冲击机关、拦截公务车辆、堵塞交通.
    IllegalGathering,
    /// 2. 携带危险物品、管制器具.
    DangerousItems,
    /// 3. 侮辱、殴打、威胁工作人员，非法限制他人人身自由.
    AssaultOrThreat,
    /// 4. 滞留、滋事，弃留生活不能自理的人.
    Lingering,
    /// 5. 煽动、串联、胁迫、诱使、操纵他人信访，借机敛财.
    Inciting,
    /// 6. 其他扰乱公共秩序、妨害国家和公共安全的行为.
    OtherDisturbance,
    /// 特殊来访人 1: 接待中患病需紧急求治.
    SuddenIllness,
    /// 特殊来访人 2: 患有恶性传染病.
    InfectiousDisease,
    /// 特殊来访人 3: 无家可归、无力返回户口所在地，或精神病人.
    HomelessOrMentallyIll,
    /// 特殊来访人 4: 服毒自杀、自残.
    SelfHarm,
}

use IncidentKind as K;
use IncidentMeasure as M;

impl IncidentKind {
    pub const ALL: [IncidentKind; 10] = [
        K::IllegalGathering,
        K::DangerousItems,
        K::AssaultOrThreat,
        K::Lingering,
        K::Inciting,
        K::OtherDisturbance,
        K::SuddenIllness,
        K::InfectiousDisease,
        K::HomelessOrMentallyIll,
        K::SelfHarm,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            K::IllegalGathering => "illegal_gathering",
            K::DangerousItems => "dangerous_items",
            K::AssaultOrThreat => "assault_or_threat",
            K::Lingering => "lingering",
            K::Inciting => "inciting",
            K::OtherDisturbance => "other_disturbance",
            K::SuddenIllness => "sudden_illness",
            K::InfectiousDisease => "infectious_disease",
            K::HomelessOrMentallyIll => "homeless_or_mentally_ill",
            K::SelfHarm => "self_harm",
        }
    }

    pub fn parse(s: &str) -> Option<IncidentKind> {
        IncidentKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            K::IllegalGathering => "在机关非法聚集、围堵冲击、拦截公务车辆或堵塞交通",
            K::DangerousItems => "携带危险物品、管制器具",
            K::AssaultOrThreat => "侮辱、殴打、威胁工作人员或非法限制他人人身自由",
            K::Lingering => "在接待场所滞留、滋事或弃留生活不能自理的人",
            K::Inciting => "煽动、串联、胁迫、诱使、操纵他人信访或借机敛财",
            K::OtherDisturbance => "其他扰乱公共秩序、妨害国家和公共安全的行为",
            K::SuddenIllness => "接待中患病需紧急求治",
            K::InfectiousDisease => "患有恶性传染病",
            K::HomelessOrMentallyIll => "无家可归、无力返回原籍或精神病人",
            K::SelfHarm => "服毒自杀、自残",
        }
    }

    /// One of the six abnormal behaviours (V10.1), as opposed to a special visitor (V10.2).
    pub fn is_abnormal_behaviour(self) -> bool {
        !matches!(
            self,
            K::SuddenIllness | K::InfectiousDisease | K::HomelessOrMentallyIll | K::SelfHarm
        )
    }

    /// The measures that fit this kind, in the order the form lists them.
    pub fn measures(self) -> &'static [IncidentMeasure] {
        match self {
            K::SuddenIllness => &[M::Call120, M::SentToHospital, M::Other],
            K::InfectiousDisease => &[M::HealthAuthority, M::Other],
            K::HomelessOrMentallyIll => &[M::LocalityPetitionOffice, M::CivilAffairs, M::Other],
            K::SelfHarm => &[M::Call110, M::Call120, M::SentToHospital, M::Other],
            _ => &[
                M::Dissuaded,
                M::Criticised,
                M::Educated,
                M::Police,
                M::Other,
            ],
        }
    }
}

/// What the staff did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentMeasure {
    /// 劝阻.
    Dissuaded,
    /// 批评.
    Criticised,
    /// 教育.
    Educated,
    /// 交由公安机关处置.
    Police,
    /// 通知医疗急救部门（120）派员到场.
    #[serde(rename = "call_120")]
    Call120,
    /// 送医院急救、抢救.
    SentToHospital,
    /// 通知卫生防疫部门处置.
    HealthAuthority,
    /// 由其所在地信访部门接回.
    LocalityPetitionOffice,
    /// 由其所在地民政部门接回或遣返原籍.
    CivilAffairs,
    /// 拨打110求助.
    #[serde(rename = "call_110")]
    Call110,
    /// Anything else, described in the note.
    Other,
}

impl IncidentMeasure {
    pub const ALL: [IncidentMeasure; 11] = [
        M::Dissuaded,
        M::Criticised,
        M::Educated,
        M::Police,
        M::Call120,
        M::SentToHospital,
        M::HealthAuthority,
        M::LocalityPetitionOffice,
        M::CivilAffairs,
        M::Call110,
        M::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            M::Dissuaded => "dissuaded",
            M::Criticised => "criticised",
            M::Educated => "educated",
            M::Police => "police",
            M::Call120 => "call_120",
            M::SentToHospital => "sent_to_hospital",
            M::HealthAuthority => "health_authority",
            M::LocalityPetitionOffice => "locality_petition_office",
            M::CivilAffairs => "civil_affairs",
            M::Call110 => "call_110",
            M::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<IncidentMeasure> {
        IncidentMeasure::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            M::Dissuaded => "劝阻",
            M::Criticised => "批评",
            M::Educated => "教育",
            M::Police => "交由公安机关处置",
            M::Call120 => "通知医疗急救部门（120）",
            M::SentToHospital => "送医院急救",
            M::HealthAuthority => "通知卫生防疫部门",
            M::LocalityPetitionOffice => "由所在地信访部门接回",
            M::CivilAffairs => "由所在地民政部门接回或遣返原籍",
            M::Call110 => "拨打110",
            M::Other => "其他措施",
        }
    }

    /// 劝阻、批评、教育: the attempt that comes before a hand-over to the police.
    pub fn is_attempt(self) -> bool {
        matches!(self, M::Dissuaded | M::Criticised | M::Educated)
    }
}

/// Why the police were called at once, without dissuading first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Emergency {
    /// 持有凶器、危险物品.
    Weapons,
    /// 正在实施暴力.
    Violence,
    /// 以自伤、自残相威胁或正在自伤.
    SelfHarm,
}

impl Emergency {
    pub const ALL: [Emergency; 3] = [Emergency::Weapons, Emergency::Violence, Emergency::SelfHarm];

    pub fn as_str(self) -> &'static str {
        match self {
            Emergency::Weapons => "weapons",
            Emergency::Violence => "violence",
            Emergency::SelfHarm => "self_harm",
        }
    }

    pub fn parse(s: &str) -> Option<Emergency> {
        Emergency::ALL.into_iter().find(|e| e.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Emergency::Weapons => "持有凶器、危险物品",
            Emergency::Violence => "正在实施暴力",
            Emergency::SelfHarm => "自伤、自残",
        }
    }
}

/// An incident as the API and the form send it, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IncidentInput {
    /// One of the ten [`IncidentKind`] codes.
    pub kind: String,
    /// [`IncidentMeasure`] codes; each once (repeats are dropped).
    pub measures: Vec<String>,
    /// An [`Emergency`] code when the police were called without dissuading first; else empty.
    pub emergency: String,
    pub note: String,
    /// `YYYY-MM-DD HH:MM`, China Standard Time.
    pub occurred_at: String,
    /// The visitor concerned, if known; whether they belong to the petition is the caller's check.
    pub petitioner_id: String,
}

/// A checked incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub kind: IncidentKind,
    /// In the order given, each once; all fit the kind.
    pub measures: Vec<IncidentMeasure>,
    /// Set only with a hand-over to the police.
    pub emergency: Option<Emergency>,
    pub note: String,
    pub occurred_at: NaiveDateTime,
    pub petitioner_id: Option<String>,
}

impl Incident {
    /// The measures' codes, as stored.
    pub fn measure_codes(&self) -> Vec<&'static str> {
        self.measures.iter().map(|m| m.as_str()).collect()
    }

    /// Handed over to the police at once, for an emergency, without an attempt first.
    pub fn immediate_police_handover(&self) -> bool {
        self.emergency.is_some() && !self.measures.iter().any(|m| m.is_attempt())
    }

    /// The incident as a form would send it; `check_incident` of it gives the incident back.
    pub fn to_input(&self) -> IncidentInput {
        IncidentInput {
            kind: self.kind.as_str().into(),
            measures: self.measures.iter().map(|m| m.as_str().into()).collect(),
            emergency: self
                .emergency
                .map(Emergency::as_str)
                .unwrap_or_default()
                .into(),
            note: self.note.clone(),
            occurred_at: self.occurred_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            petitioner_id: self.petitioner_id.clone().unwrap_or_default(),
        }
    }
}

fn labels(measures: &[IncidentMeasure]) -> String {
    measures
        .iter()
        .map(|m| m.label_zh())
        .collect::<Vec<_>>()
        .join("、")
}

/// Checks an incident record, first problem first: a known kind; at least one measure, each
/// known and fitting the kind (`measure_not_for_kind`); a hand-over to the police for a
/// behaviour only after dissuading, criticising or educating, or for a named emergency
/// (`police_without_attempt`); an emergency only with a hand-over; a note for `other`; a time not
/// after `now` (China Standard Time).
pub fn check_incident(input: &IncidentInput, now: NaiveDateTime) -> Result<Incident, FieldError> {
    let kind = IncidentKind::parse(input.kind.trim())
        .ok_or_else(|| FieldError::new("kind", "required", "请选择异常情况类别"))?;
    if input.measures.iter().all(|m| m.trim().is_empty()) {
        return Err(FieldError::new("measures", "required", "请选择处置措施"));
    }
    let mut measures = Vec::new();
    for m in input
        .measures
        .iter()
        .map(|m| m.trim())
        .filter(|m| !m.is_empty())
    {
        let Some(measure) = IncidentMeasure::parse(m) else {
            return Err(FieldError::new(
                "measures",
                "unknown_measure",
                format!("未知的处置措施：{m}"),
            ));
        };
        if !kind.measures().contains(&measure) {
            return Err(FieldError::new(
                "measures",
                "measure_not_for_kind",
                format!(
                    "处置措施「{}」不适用于「{}」（可采取：{}）",
                    measure.label_zh(),
                    kind.label_zh(),
                    labels(kind.measures())
                ),
            ));
        }
        if !measures.contains(&measure) {
            measures.push(measure);
        }
    }
    let emergency = match input.emergency.trim() {
        "" => None,
        e => Some(Emergency::parse(e).ok_or_else(|| {
            FieldError::new(
                "emergency",
                "unknown_emergency",
                format!("未知的紧急情形：{e}"),
            )
        })?),
    };
    let police = measures.contains(&M::Police);
    if emergency.is_some() && !police {
        return Err(FieldError::new(
            "emergency",
            "emergency_without_police",
            "紧急情形仅在直接交由公安机关处置时填写",
        ));
    }
    if police && emergency.is_none() && !measures.iter().any(|m| m.is_attempt()) {
        return Err(FieldError::new(
            "measures",
            "police_without_attempt",
            "交由公安机关处置前须先劝阻、批评或教育；情况紧急直接移交的，请注明紧急情形（持有凶器、正在实施暴力或自伤、自残）",
        ));
    }
    let note = input.note.trim();
    if note.chars().count() > 5000 {
        return Err(FieldError::new("note", "too_long", "不超过 5000 字"));
    }
    if measures.contains(&M::Other) && note.is_empty() {
        return Err(FieldError::new(
            "note",
            "required",
            "选择「其他措施」时请在说明中写明所采取的措施",
        ));
    }
    let occurred_at = parse_datetime("occurred_at", &input.occurred_at)?;
    if occurred_at > now {
        return Err(FieldError::new(
            "occurred_at",
            "in_future",
            "发生时间不能晚于现在",
        ));
    }
    let petitioner_id = Some(input.petitioner_id.trim())
        .filter(|p| !p.is_empty())
        .map(String::from);
    Ok(Incident {
        kind,
        measures,
        emergency,
        note: note.into(),
        occurred_at,
        petitioner_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn now() -> NaiveDateTime {
        "2026-12-01T10:00:00".parse().unwrap()
    }

    fn input(kind: &str, measures: &[&str]) -> IncidentInput {
        IncidentInput {
            kind: kind.into(),
            measures: measures.iter().map(|m| m.to_string()).collect(),
            occurred_at: "2026-12-01 09:30".into(),
            ..Default::default()
        }
    }

    fn err(i: &IncidentInput) -> (Option<String>, &'static str, String) {
        let e = check_incident(i, now()).unwrap_err();
        (e.field, e.code, e.message)
    }

    const BEHAVIOURS: [&str; 6] = [
        "illegal_gathering",
        "dangerous_items",
        "assault_or_threat",
        "lingering",
        "inciting",
        "other_disturbance",
    ];

    #[test]
    fn names_round_trip_and_match_serde() {
        for k in IncidentKind::ALL {
            assert_eq!(IncidentKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
            assert_eq!(k.is_abnormal_behaviour(), BEHAVIOURS.contains(&k.as_str()));
        }
        for m in IncidentMeasure::ALL {
            assert_eq!(IncidentMeasure::parse(m.as_str()), Some(m));
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
        for e in Emergency::ALL {
            assert_eq!(Emergency::parse(e.as_str()), Some(e));
            assert_eq!(serde_json::to_value(e).unwrap(), e.as_str());
        }
    }

    #[test]
    fn each_behaviour_is_dissuaded_then_handed_to_the_police() {
        for kind in BEHAVIOURS {
            // Dissuading, criticising or educating alone.
            for m in ["dissuaded", "criticised", "educated"] {
                let i = check_incident(&input(kind, &[m]), now()).unwrap();
                assert_eq!(i.kind.as_str(), kind);
                // Then the police, when that failed: the attempt is on the record.
                let i = check_incident(&input(kind, &[m, "police"]), now()).unwrap();
                assert_eq!(i.measure_codes(), [m, "police"]);
                assert!(!i.immediate_police_handover());
            }
            // The police without an attempt: refused …
            assert_eq!(
                err(&input(kind, &["police"])),
                (
                    Some("measures".into()),
                    "police_without_attempt",
                    "交由公安机关处置前须先劝阻、批评或教育；情况紧急直接移交的，请注明紧急情形（持有凶器、正在实施暴力或自伤、自残）".into()
                )
            );
            // … unless an emergency made it immediate.
            for e in Emergency::ALL {
                let mut i = input(kind, &["police"]);
                i.emergency = e.as_str().into();
                let inc = check_incident(&i, now()).unwrap();
                assert_eq!(inc.emergency, Some(e));
                assert!(inc.immediate_police_handover());
            }
            // A special visitor's measure does not fit a behaviour.
            let (f, code, message) = err(&input(kind, &["dissuaded", "call_120"]));
            assert_eq!(
                (f.as_deref(), code),
                (Some("measures"), "measure_not_for_kind")
            );
            assert!(
                message.starts_with("处置措施「通知医疗急救部门（120）」不适用于「"),
                "{message}"
            );
            assert!(
                message.contains("可采取：劝阻、批评、教育、交由公安机关处置、其他措施"),
                "{message}"
            );
        }
    }

    #[test]
    fn each_special_visitor_takes_only_its_own_measures() {
        let cases: [(&str, &[&str], &[&str]); 4] = [
            (
                "sudden_illness",
                &["call_120", "sent_to_hospital"],
                &["health_authority", "police", "call_110", "civil_affairs"],
            ),
            (
                "infectious_disease",
                &["health_authority"],
                &["call_120", "dissuaded", "civil_affairs"],
            ),
            (
                "homeless_or_mentally_ill",
                &["locality_petition_office", "civil_affairs"],
                &["police", "health_authority", "call_110"],
            ),
            (
                "self_harm",
                &["call_110", "call_120", "sent_to_hospital"],
                &["dissuaded", "police", "health_authority", "civil_affairs"],
            ),
        ];
        for (kind, fits, refused) in cases {
            let i = check_incident(&input(kind, fits), now()).unwrap();
            assert_eq!(i.measure_codes(), fits);
            assert!(!i.kind.is_abnormal_behaviour());
            for m in fits {
                assert!(
                    check_incident(&input(kind, &[m]), now()).is_ok(),
                    "{kind} {m}"
                );
            }
            for m in refused {
                let (f, code, message) = err(&input(kind, &[m]));
                assert_eq!(
                    (f.as_deref(), code),
                    (Some("measures"), "measure_not_for_kind")
                );
                let measure = IncidentMeasure::parse(m).unwrap();
                assert!(message.contains(measure.label_zh()), "{message}");
                assert!(
                    message.contains(IncidentKind::parse(kind).unwrap().label_zh()),
                    "{message}"
                );
            }
            // No emergency without a hand-over to the police.
            let mut i = input(kind, fits);
            i.emergency = "violence".into();
            assert_eq!(err(&i).1, "emergency_without_police");
        }
        assert_eq!(
            err(&input("infectious_disease", &["call_120"])).2,
            "处置措施「通知医疗急救部门（120）」不适用于「患有恶性传染病」（可采取：通知卫生防疫部门、其他措施）"
        );
    }

    #[test]
    fn the_record_itself_is_checked() {
        assert_eq!(
            err(&input("fire", &["dissuaded"])),
            (Some("kind".into()), "required", "请选择异常情况类别".into())
        );
        assert_eq!(
            err(&input("lingering", &[" "])),
            (Some("measures".into()), "required", "请选择处置措施".into())
        );
        assert_eq!(
            err(&input("lingering", &["shouted"])),
            (
                Some("measures".into()),
                "unknown_measure",
                "未知的处置措施：shouted".into()
            )
        );
        let mut i = input("lingering", &["dissuaded", "police"]);
        i.emergency = "fire".into();
        assert_eq!(err(&i).1, "unknown_emergency");
        let i = input("lingering", &["other"]);
        assert_eq!(
            err(&i),
            (
                Some("note".into()),
                "required",
                "选择「其他措施」时请在说明中写明所采取的措施".into()
            )
        );
        let mut i = input("lingering", &[" dissuaded ", "dissuaded", "other"]);
        i.note = " 联系其家属接回 ".into();
        i.petitioner_id = " p1 ".into();
        let inc = check_incident(&i, now()).unwrap();
        assert_eq!(inc.measure_codes(), ["dissuaded", "other"]);
        assert_eq!(
            (inc.note.as_str(), inc.petitioner_id.as_deref()),
            ("联系其家属接回", Some("p1"))
        );
        i.note = "字".repeat(5001);
        assert_eq!(err(&i).1, "too_long");
        let mut i = input("lingering", &["dissuaded"]);
        i.occurred_at = "2026-12-01 10:01".into();
        assert_eq!(
            err(&i),
            (
                Some("occurred_at".into()),
                "in_future",
                "发生时间不能晚于现在".into()
            )
        );
        i.occurred_at = "昨天".into();
        assert_eq!(err(&i).1, "invalid_datetime");
    }

    fn any_input() -> impl Strategy<Value = IncidentInput> {
        let kinds: Vec<String> = IncidentKind::ALL
            .iter()
            .map(|k| k.as_str().into())
            .collect();
        let measures: Vec<String> = IncidentMeasure::ALL
            .iter()
            .map(|m| m.as_str().into())
            .collect();
        let emergencies = vec![
            String::new(),
            "weapons".into(),
            "violence".into(),
            "self_harm".into(),
        ];
        (
            prop_oneof![3 => prop::sample::select(kinds), 1 => any::<String>()],
            prop::collection::vec(
                prop_oneof![4 => prop::sample::select(measures), 1 => any::<String>()],
                0..4,
            ),
            prop_oneof![3 => prop::sample::select(emergencies), 1 => any::<String>()],
            prop_oneof![
                Just(String::new()),
                Just("说明".to_string()),
                any::<String>()
            ],
            prop_oneof![
                3 => Just("2026-12-01 09:30".to_string()),
                1 => Just("2026-12-02 09:30".to_string()),
                1 => any::<String>(),
            ],
            any::<String>(),
        )
            .prop_map(
                |(kind, measures, emergency, note, occurred_at, petitioner_id)| IncidentInput {
                    kind,
                    measures,
                    emergency,
                    note,
                    occurred_at,
                    petitioner_id,
                },
            )
    }

    proptest! {
        /// Checking never panics; an incident survives storage as JSON and its form checks back
        /// to it; every measure fits its kind; a police hand-over always has an attempt or an
        /// emergency on the record.
        #[test]
        fn incidents_round_trip_and_keep_the_rules(input in any_input()) {
            if let Ok(inc) = check_incident(&input, now()) {
                let back: Incident = serde_json::from_str(&serde_json::to_string(&inc).unwrap()).unwrap();
                prop_assert_eq!(&back, &inc);
                prop_assert_eq!(check_incident(&inc.to_input(), now()), Ok(inc.clone()));
                prop_assert!(!inc.measures.is_empty());
                prop_assert!(inc.measures.iter().all(|m| inc.kind.measures().contains(m)));
                if inc.measures.contains(&IncidentMeasure::Police) {
                    prop_assert!(inc.emergency.is_some() || inc.measures.iter().any(|m| m.is_attempt()));
                } else {
                    prop_assert!(inc.emergency.is_none());
                }
                prop_assert!(inc.occurred_at <= now());
            }
        }
    }
}
