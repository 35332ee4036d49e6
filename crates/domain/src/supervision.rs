//! Supervision (督办, rules §5; lifecycle §2): items attach to a handling record (or to the
//! petition when none exists), are raised by a trigger or by hand, every action is logged, the
//! unit's written answer is due in 30 days, and repeated supervision without result escalates to
//! the bureau leaders and then, with a leader's approval, to a formal project (立项督办) for the
//! inspection office (督查室).

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::role::Role;
use crate::words::Channel;

/// Why a unit is supervised (2005 Art. 36; 2022 Art. 40).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerKind {
    /// A handling deadline passed without an approved extension (automatic).
    Overdue,
    /// The unit has not recorded telling the petitioner 15 days after receipt (automatic).
    NotTold,
    /// A handling report not received by its deadline (automatic).
    ReportMissing,
    /// A new visit or letter on a matter already transferred or assigned (automatic).
    RepeatPetition,
    /// Wrong procedure (by hand).
    WrongProcedure,
    /// Buck-passing, perfunctory handling or delay (by hand).
    Perfunctory,
    /// The handling opinion not carried out (by hand).
    OpinionNotCarriedOut,
    /// A unit's opinion plainly against law or policy (by hand).
    UnlawfulOpinion,
    /// Result not fed back (by hand).
    NoFeedback,
}

impl TriggerKind {
    pub const ALL: [TriggerKind; 9] = [
        TriggerKind::Overdue,
        TriggerKind::NotTold,
        TriggerKind::ReportMissing,
        TriggerKind::RepeatPetition,
        TriggerKind::WrongProcedure,
        TriggerKind::Perfunctory,
        TriggerKind::OpinionNotCarriedOut,
        TriggerKind::UnlawfulOpinion,
        TriggerKind::NoFeedback,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TriggerKind::Overdue => "overdue",
            TriggerKind::NotTold => "not_told",
            TriggerKind::ReportMissing => "report_missing",
            TriggerKind::RepeatPetition => "repeat_petition",
            TriggerKind::WrongProcedure => "wrong_procedure",
            TriggerKind::Perfunctory => "perfunctory",
            TriggerKind::OpinionNotCarriedOut => "opinion_not_carried_out",
            TriggerKind::UnlawfulOpinion => "unlawful_opinion",
            TriggerKind::NoFeedback => "no_feedback",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            TriggerKind::Overdue => "逾期未办结且未经批准延期",
            TriggerKind::NotTold => "收到转送、交办15日内未告知信访人",
            TriggerKind::ReportMissing => "未按期报送办理情况",
            TriggerKind::RepeatPetition => "已转送、交办事项信访人再次来信来访",
            TriggerKind::WrongProcedure => "未按规定程序办理",
            TriggerKind::Perfunctory => "推诿、敷衍、拖延",
            TriggerKind::OpinionNotCarriedOut => "不执行信访处理意见",
            TriggerKind::UnlawfulOpinion => "处理意见明显违反法律法规或政策",
            TriggerKind::NoFeedback => "办理结果未按规定反馈",
        }
    }

    /// Raised by the system; the others are opened by hand.
    pub fn automatic(self) -> bool {
        matches!(
            self,
            TriggerKind::Overdue
                | TriggerKind::NotTold
                | TriggerKind::ReportMissing
                | TriggerKind::RepeatPetition
        )
    }
}

/// How a supervision is carried out (seed 二(五)3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Phone,
    Letter,
    Summon,
    OnSite,
}

impl Method {
    pub const ALL: [Method; 4] = [
        Method::Phone,
        Method::Letter,
        Method::Summon,
        Method::OnSite,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Phone => "phone",
            Method::Letter => "letter",
            Method::Summon => "summon",
            Method::OnSite => "on_site",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Method::Phone => "电话督办",
            Method::Letter => "发函督办",
            Method::Summon => "约谈承办单位",
            Method::OnSite => "实地督查",
        }
    }
}

/// Where an item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    /// Opened on a trigger that a leader must approve before anyone chases the unit (V4.2: a
    /// transfer's opinion that plainly breaks the law): only the bureau sees it.
    Proposed,
    /// Being chased by the office (the letter clerk for letters).
    Open,
    /// Repeated supervision without result: on the bureau leaders' queue.
    Escalated,
    /// 立项督办: approved by a leader, with the inspection office.
    Project,
    /// Settled.
    Resolved,
}

impl ItemState {
    pub const ALL: [ItemState; 5] = [
        ItemState::Proposed,
        ItemState::Open,
        ItemState::Escalated,
        ItemState::Project,
        ItemState::Resolved,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Proposed => "proposed",
            ItemState::Open => "open",
            ItemState::Escalated => "escalated",
            ItemState::Project => "project",
            ItemState::Resolved => "resolved",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            ItemState::Proposed => "待副局长批准",
            ItemState::Open => "督办中",
            ItemState::Escalated => "已报局领导",
            ItemState::Project => "立项督办",
            ItemState::Resolved => "已办结",
        }
    }
}

/// The unit's written answer to a supervision is due in 30 days (2005 Art. 36).
pub const ANSWER_DAYS: u32 = 30;
/// Default: after this many supervisions without result the item goes to the leaders.
pub const DEFAULT_ESCALATE_AFTER: u32 = 3;

/// Who supervises units: the office for visits, the letter clerk for letters (lifecycle §5);
/// the inspection office on formal projects; the leaders always.
pub fn may_supervise(role: Role, channel: Channel, state: ItemState) -> bool {
    if role.is_leader() {
        return true;
    }
    match state {
        ItemState::Project => role == Role::Inspector,
        ItemState::Resolved | ItemState::Proposed => false,
        _ => {
            if channel.follows_letter_procedure() {
                role == Role::LetterClerk
            } else {
                role == Role::Office
            }
        }
    }
}

/// The state an item opened on `trigger` starts in: supervising a transfer whose opinion plainly
/// breaks the law starts only once the deputy director approves it (seed 一(四)2, V4.2).
pub fn initial_state(trigger: TriggerKind) -> ItemState {
    match trigger {
        TriggerKind::UnlawfulOpinion => ItemState::Proposed,
        _ => ItemState::Open,
    }
}

/// Who approves a proposed item: the deputy director in charge, or the director.
pub fn may_approve_proposed(role: Role) -> bool {
    matches!(role, Role::DeputyDirector | Role::Director)
}

/// Opening an item by hand: only for the triggers that are not automatic.
pub fn check_manual_trigger(t: &str) -> Result<TriggerKind, FieldError> {
    let kind = TriggerKind::parse(t.trim()).ok_or_else(|| {
        FieldError::new(
            "trigger",
            "unknown_trigger",
            format!("未知的督办情形：{}", t.trim()),
        )
    })?;
    if kind.automatic() {
        return Err(FieldError::new(
            "trigger",
            "trigger_is_automatic",
            format!("「{}」由系统自动督办，无须人工启动", kind.label_zh()),
        ));
    }
    Ok(kind)
}

/// A supervision action's text: what was said, required, at most 2000 characters.
pub fn check_note(field: &str, label: &str, note: &str) -> Result<String, FieldError> {
    let n = note.trim();
    if n.is_empty() || n.chars().count() > 2000 {
        return Err(FieldError::new(
            field,
            "note_required",
            format!("请填写{label}，不超过 2000 字"),
        ));
    }
    Ok(n.to_string())
}

pub fn parse_method(s: &str) -> Result<Method, FieldError> {
    Method::parse(s.trim()).ok_or_else(|| {
        FieldError::new(
            "method",
            "unknown_method",
            format!(
                "督办方式「{}」无效，应为 phone（电话）、letter（发函）、summon（约谈）或 on_site（实地督查）",
                s.trim()
            ),
        )
    })
}

/// After an action, whether the item now goes to the leaders: still open and at least
/// `escalate_after` supervisions recorded.
pub fn escalates(state: ItemState, actions_without_result: u32, escalate_after: u32) -> bool {
    state == ItemState::Open && escalate_after > 0 && actions_without_result >= escalate_after
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supervision_triggers_split_into_automatic_and_manual() {
        let auto: Vec<_> = TriggerKind::ALL
            .iter()
            .filter(|t| t.automatic())
            .map(|t| t.as_str())
            .collect();
        assert_eq!(
            auto,
            ["overdue", "not_told", "report_missing", "repeat_petition"]
        );
        for t in TriggerKind::ALL {
            assert_eq!(TriggerKind::parse(t.as_str()), Some(t));
        }
        assert_eq!(
            check_manual_trigger("overdue").unwrap_err().code,
            "trigger_is_automatic"
        );
        assert_eq!(
            check_manual_trigger("wrong_procedure"),
            Ok(TriggerKind::WrongProcedure)
        );
        assert_eq!(
            check_manual_trigger("x").unwrap_err().code,
            "unknown_trigger"
        );
    }

    #[test]
    fn supervision_office_for_visits_clerk_for_letters_inspector_for_projects() {
        assert!(may_supervise(Role::Office, Channel::Visit, ItemState::Open));
        assert!(!may_supervise(
            Role::Office,
            Channel::Letter,
            ItemState::Open
        ));
        assert!(may_supervise(
            Role::LetterClerk,
            Channel::Letter,
            ItemState::Open
        ));
        assert!(!may_supervise(
            Role::UnitHandler,
            Channel::Visit,
            ItemState::Open
        ));
        assert!(may_supervise(
            Role::Inspector,
            Channel::Visit,
            ItemState::Project
        ));
        assert!(!may_supervise(
            Role::Office,
            Channel::Visit,
            ItemState::Project
        ));
        assert!(may_supervise(
            Role::Director,
            Channel::Visit,
            ItemState::Escalated
        ));
        assert!(!may_supervise(
            Role::Office,
            Channel::Visit,
            ItemState::Resolved
        ));
    }

    #[test]
    fn supervision_escalates_after_the_configured_number() {
        assert!(!escalates(ItemState::Open, 2, 3));
        assert!(escalates(ItemState::Open, 3, 3));
        assert!(!escalates(ItemState::Escalated, 5, 3));
        assert!(!escalates(ItemState::Open, 5, 0));
    }

    #[test]
    fn supervision_methods_and_notes() {
        for m in Method::ALL {
            assert_eq!(parse_method(m.as_str()), Ok(m));
        }
        assert_eq!(parse_method("fax").unwrap_err().code, "unknown_method");
        assert_eq!(
            check_note("note", "督办内容", "  ").unwrap_err().code,
            "note_required"
        );
        assert_eq!(
            check_note("note", "督办内容", " 请速办 ").unwrap(),
            "请速办"
        );
        for s in ItemState::ALL {
            assert_eq!(ItemState::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn supervision_of_an_unlawful_opinion_waits_for_the_deputy_director() {
        assert_eq!(
            initial_state(TriggerKind::UnlawfulOpinion),
            ItemState::Proposed
        );
        for t in TriggerKind::ALL
            .into_iter()
            .filter(|t| *t != TriggerKind::UnlawfulOpinion)
        {
            assert_eq!(initial_state(t), ItemState::Open, "{t:?}");
        }
        assert!(may_approve_proposed(Role::DeputyDirector));
        assert!(may_approve_proposed(Role::Director));
        assert!(!may_approve_proposed(Role::Office));
        // Nobody below the leaders chases a proposed item.
        assert!(!may_supervise(
            Role::Office,
            Channel::Visit,
            ItemState::Proposed
        ));
        assert!(!may_supervise(
            Role::LetterClerk,
            Channel::Letter,
            ItemState::Proposed
        ));
    }
}
