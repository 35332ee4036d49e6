//! Who works in the system (rules §1, lifecycle §5). Local leaders are records, not users.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Receptionist,
    LetterClerk,
    CaseOfficer,
    Office,
    DeputyDirector,
    Director,
    Inspector,
    Archivist,
    Admin,
    /// 安全保密管理员: confirms the grants the system administrator makes.
    SecurityAdmin,
    /// 安全审计员: reads the access log and the audit trail's metadata; changes nothing.
    AuditAdmin,
    UnitHandler,
    UnitHead,
}

impl Role {
    pub const ALL: [Role; 13] = [
        Role::Receptionist,
        Role::LetterClerk,
        Role::CaseOfficer,
        Role::Office,
        Role::DeputyDirector,
        Role::Director,
        Role::Inspector,
        Role::Archivist,
        Role::Admin,
        Role::SecurityAdmin,
        Role::AuditAdmin,
        Role::UnitHandler,
        Role::UnitHead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Receptionist => "receptionist",
            Role::LetterClerk => "letter_clerk",
            Role::CaseOfficer => "case_officer",
            Role::Office => "office",
            Role::DeputyDirector => "deputy_director",
            Role::Director => "director",
            Role::Inspector => "inspector",
            Role::Archivist => "archivist",
            Role::Admin => "admin",
            Role::SecurityAdmin => "security_admin",
            Role::AuditAdmin => "audit_admin",
            Role::UnitHandler => "unit_handler",
            Role::UnitHead => "unit_head",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Receptionist => "接待人员",
            Role::LetterClerk => "办信人员",
            Role::CaseOfficer => "经办人",
            Role::Office => "办公室",
            Role::DeputyDirector => "分管领导",
            Role::Director => "局主要领导",
            Role::Inspector => "督查室",
            Role::Archivist => "档案管理员",
            Role::Admin => "系统管理员",
            Role::SecurityAdmin => "安全保密管理员",
            Role::AuditAdmin => "安全审计员",
            Role::UnitHandler => "承办单位经办人",
            Role::UnitHead => "承办单位负责人",
        }
    }

    /// A bureau leader (局领导): the deputy director or the director.
    pub fn is_leader(self) -> bool {
        matches!(self, Role::DeputyDirector | Role::Director)
    }

    /// A handling unit's own staff: they see only their unit's handling records.
    pub fn is_unit_staff(self) -> bool {
        matches!(self, Role::UnitHandler | Role::UnitHead)
    }

    /// Bureau staff who work on petitions in general (not an administrator, not unit staff).
    pub fn is_bureau_staff(self) -> bool {
        !self.is_unit_staff() && !self.is_administrator()
    }

    /// The three separated administrator powers (三员): system, security, audit. None of them
    /// reads petitions or approves anything.
    pub fn is_administrator(self) -> bool {
        matches!(self, Role::Admin | Role::SecurityAdmin | Role::AuditAdmin)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
