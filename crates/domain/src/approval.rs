//! Approval gates (lifecycle §5): the actions that wait in an approver's inbox until a named
//! role accepts or rejects them. Which roles approve each gate is bureau configuration; these are
//! the defaults.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::role::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gate {
    /// 交办 (V3.4, L4.2).
    Assignment,
    /// 转送 by letter (V3.5, L4.3).
    Transfer,
    /// A direct reply's outline (V2.3).
    DirectReply,
    /// The office's coordination plan; the leader arranges who coordinates (V3.7).
    Coordination,
    /// Review failed: back to the unit to redo (V8.1).
    Redo,
    /// Review failed: back to the unit to supply materials (V8.1).
    Supplement,
    /// Closing (V8.2, L7.2).
    Closure,
    /// A unit's extension, approved by its head (L5.2).
    Extension,
    /// Destroying set-aside letters (L4.4).
    Destruction,
    /// A written answer to a petitioner's query (V9).
    WrittenQueryReply,
    /// A letter disposed of by 通报: a bureau leader approves (L4.5: 由局领导审核).
    Circular,
    /// A period's statistics given outside the bureau (seed 二 五(二): 未经批准不得泄露).
    StatisticsRelease,
    /// A visit's reply published on the internet (seed 一(八)4: 须经局领导批准).
    PublicationVisit,
    /// A letter's reply published on the internet (seed 二(七)4: 须经局主要领导批准).
    PublicationLetter,
    /// A dossier lent to a member of staff who worked on the matter (seed 一 5).
    DossierLoan,
    /// Destroying a dossier whose retention period has ended, after appraisal.
    DossierDestruction,
    /// A confidential dossier moved to the offline machine (网机隔离), its content leaving the
    /// networked system.
    OfflineMove,
}

impl Gate {
    pub const ALL: [Gate; 17] = [
        Gate::Assignment,
        Gate::Transfer,
        Gate::DirectReply,
        Gate::Coordination,
        Gate::Redo,
        Gate::Supplement,
        Gate::Closure,
        Gate::Extension,
        Gate::Destruction,
        Gate::WrittenQueryReply,
        Gate::Circular,
        Gate::StatisticsRelease,
        Gate::PublicationVisit,
        Gate::PublicationLetter,
        Gate::DossierLoan,
        Gate::DossierDestruction,
        Gate::OfflineMove,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Gate::Assignment => "assignment",
            Gate::Transfer => "transfer",
            Gate::DirectReply => "direct_reply",
            Gate::Coordination => "coordination",
            Gate::Redo => "redo",
            Gate::Supplement => "supplement",
            Gate::Closure => "closure",
            Gate::Extension => "extension",
            Gate::Destruction => "destruction",
            Gate::WrittenQueryReply => "written_query_reply",
            Gate::Circular => "circular",
            Gate::StatisticsRelease => "statistics_release",
            Gate::PublicationVisit => "publication_visit",
            Gate::PublicationLetter => "publication_letter",
            Gate::DossierLoan => "dossier_loan",
            Gate::DossierDestruction => "dossier_destruction",
            Gate::OfflineMove => "offline_move",
        }
    }

    pub fn parse(s: &str) -> Option<Gate> {
        Gate::ALL.into_iter().find(|g| g.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Gate::Assignment => "交办审批",
            Gate::Transfer => "转送审批",
            Gate::DirectReply => "直接答复提纲审批",
            Gate::Coordination => "协调处理方案审批",
            Gate::Redo => "重办审批",
            Gate::Supplement => "补报材料审批",
            Gate::Closure => "结案审批",
            Gate::Extension => "延期审批",
            Gate::Destruction => "暂存件销毁审批",
            Gate::WrittenQueryReply => "书面答复查询审批",
            Gate::Circular => "通报审批",
            Gate::StatisticsRelease => "统计数据对外提供审批",
            Gate::PublicationVisit => "来访事项网上公布审批",
            Gate::PublicationLetter => "来信事项网上公布审批",
            Gate::DossierLoan => "档案借阅审批",
            Gate::DossierDestruction => "到期档案销毁审批",
            Gate::OfflineMove => "档案移至离线存储审批",
        }
    }

    /// The default approvers (lifecycle §5).
    pub fn default_approvers(self) -> &'static [Role] {
        use Role::*;
        match self {
            Gate::Assignment | Gate::Transfer | Gate::Redo | Gate::Supplement | Gate::Closure => {
                &[DeputyDirector]
            }
            Gate::DirectReply
            | Gate::Coordination
            | Gate::Destruction
            | Gate::WrittenQueryReply
            | Gate::Circular
            | Gate::StatisticsRelease
            | Gate::PublicationVisit
            | Gate::DossierLoan
            | Gate::DossierDestruction
            | Gate::OfflineMove => &[DeputyDirector, Director],
            Gate::PublicationLetter => &[Director],
            Gate::Extension => &[UnitHead],
        }
    }

    /// Whether the approver must belong to the unit that asked (an extension is the unit's own
    /// head's decision).
    pub fn approved_within_unit(self) -> bool {
        self == Gate::Extension
    }
}

/// Checks a configured approver list: not empty, and unit gates only by unit roles, bureau
/// gates only by bureau roles.
pub fn check_approvers(gate: Gate, roles: &[Role]) -> Result<(), FieldError> {
    if roles.is_empty() {
        return Err(FieldError::new("roles", "required", "至少选择一个审批角色"));
    }
    for r in roles {
        if r.is_administrator() {
            return Err(FieldError::new(
                "roles",
                "administrator_approver",
                format!("{}不审批任何事项（三员分立）", r.label_zh()),
            ));
        }
        if gate.approved_within_unit() != r.is_unit_staff() {
            return Err(FieldError::new(
                "roles",
                "wrong_role",
                format!("{}不能审批「{}」", r.label_zh(), gate.label_zh()),
            ));
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    Pending,
    Approved,
    Rejected,
}

impl ApprovalState {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalState::Pending => "pending",
            ApprovalState::Approved => "approved",
            ApprovalState::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<ApprovalState> {
        [
            ApprovalState::Pending,
            ApprovalState::Approved,
            ApprovalState::Rejected,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ApprovalState::Pending => "待审批",
            ApprovalState::Approved => "已同意",
            ApprovalState::Rejected => "未同意",
        }
    }
}

/// Judges an approver's decision on a pending request. A rejection needs a comment saying why.
pub fn check_decision(
    gate: Gate,
    state: ApprovalState,
    approver: Role,
    configured: &[Role],
    accept: bool,
    comment: &str,
) -> Result<ApprovalState, FieldError> {
    if state != ApprovalState::Pending {
        return Err(FieldError::general(
            "already_decided",
            format!("该审批已处理（{}）", state.label_zh()),
        ));
    }
    if !configured.contains(&approver) {
        return Err(FieldError::general(
            "forbidden",
            format!("{}无权审批「{}」", approver.label_zh(), gate.label_zh()),
        ));
    }
    if !accept && comment.trim().is_empty() {
        return Err(FieldError::new(
            "comment",
            "required",
            "不同意时须填写审批意见",
        ));
    }
    if comment.chars().count() > 2000 {
        return Err(FieldError::new(
            "comment",
            "too_long",
            "审批意见不超过 2000 字",
        ));
    }
    Ok(if accept {
        ApprovalState::Approved
    } else {
        ApprovalState::Rejected
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_configured_roles_approve_and_only_once() {
        let g = Gate::Assignment;
        assert_eq!(
            check_decision(
                g,
                ApprovalState::Pending,
                Role::DeputyDirector,
                g.default_approvers(),
                true,
                ""
            ),
            Ok(ApprovalState::Approved)
        );
        assert_eq!(
            check_decision(
                g,
                ApprovalState::Pending,
                Role::Office,
                g.default_approvers(),
                true,
                ""
            )
            .unwrap_err()
            .code,
            "forbidden"
        );
        assert_eq!(
            check_decision(
                g,
                ApprovalState::Approved,
                Role::DeputyDirector,
                g.default_approvers(),
                true,
                ""
            )
            .unwrap_err()
            .code,
            "already_decided"
        );
    }

    #[test]
    fn rejection_needs_a_comment() {
        let e = check_decision(
            Gate::Closure,
            ApprovalState::Pending,
            Role::DeputyDirector,
            &[Role::DeputyDirector],
            false,
            "  ",
        )
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("comment"));
    }

    #[test]
    fn extension_is_approved_inside_the_unit() {
        assert!(check_approvers(Gate::Extension, &[Role::UnitHead]).is_ok());
        for admin in [Role::Admin, Role::SecurityAdmin, Role::AuditAdmin] {
            let e = check_approvers(Gate::Closure, &[admin]).unwrap_err();
            assert_eq!(e.code, "administrator_approver");
        }
        assert!(check_approvers(Gate::Extension, &[Role::Director]).is_err());
        assert!(check_approvers(Gate::Closure, &[Role::UnitHead]).is_err());
        assert!(check_approvers(Gate::Closure, &[]).is_err());
        for g in Gate::ALL {
            assert_eq!(Gate::parse(g.as_str()), Some(g));
            assert!(check_approvers(g, g.default_approvers()).is_ok());
        }
    }
}
