//! Who may see what (rules §14, lifecycle §5): roles, units, confidentiality, accusations and
//! recusal, decided in one place for pages, the API and lists alike.

use crate::error::FieldError;
use crate::role::Role;
use crate::words::{Channel, Stage};

/// The person asking.
#[derive(Debug, Clone)]
pub struct Viewer<'a> {
    pub user_id: &'a str,
    pub role: Role,
    pub unit_id: Option<&'a str>,
}

/// What the rules need to know about a petition.
#[derive(Debug, Clone, Default)]
pub struct PetitionFacts<'a> {
    pub confidential: bool,
    /// Staff assigned to it so far: who registered it, who decided it.
    pub assigned_staff: Vec<&'a str>,
    /// Units holding a handling record for it.
    pub handling_units: Vec<&'a str>,
    /// 检举控告: the unit accused.
    pub accused_unit_id: Option<&'a str>,
    /// The viewer declared an interest (回避).
    pub viewer_recused: bool,
}

/// What the viewer may open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Everything, including who the petitioner is.
    Full,
    /// The matter, but never who raised it: a unit handling an accusation against itself
    /// (2005 Art. 23).
    WithoutIdentity,
    Denied,
}

/// Whether the viewer may open the petition, and how much of it.
pub fn access(viewer: &Viewer<'_>, facts: &PetitionFacts<'_>) -> Access {
    if facts.viewer_recused || viewer.role.is_administrator() {
        return Access::Denied;
    }
    if viewer.role.is_unit_staff() {
        let Some(unit) = viewer.unit_id else {
            return Access::Denied;
        };
        if !facts.handling_units.contains(&unit) {
            return Access::Denied;
        }
        return if facts.accused_unit_id == Some(unit) {
            Access::WithoutIdentity
        } else {
            Access::Full
        };
    }
    if facts.confidential
        && !viewer.role.is_leader()
        && !facts.assigned_staff.contains(&viewer.user_id)
    {
        return Access::Denied;
    }
    Access::Full
}

/// How a row appears in a list: confidential petitions the viewer may not open are listed
/// without personal details; everything else is listed with masked ID numbers and phones.
pub fn listed_with_details(viewer: &Viewer<'_>, facts: &PetitionFacts<'_>) -> bool {
    access(viewer, facts) == Access::Full
}

/// Roles that may register petitions, and by which channel (lifecycle §5).
pub fn may_register(role: Role, letter: bool) -> bool {
    if letter {
        role == Role::LetterClerk
    } else {
        role == Role::Receptionist
    }
}

/// Roles that work on petitions in the bureau and may list them.
pub fn may_list_petitions(role: Role) -> bool {
    !role.is_administrator()
}

/// Whether a viewer with `access` to a petition may read one of its documents. Drafts are the
/// bureau's internal work: unit staff read only what was issued. A viewer who may not know the
/// petitioner reads only what never names them (the 督办函).
pub fn may_read_document(
    role: Role,
    access: Access,
    kind: crate::document::DocumentKind,
    issued: bool,
) -> bool {
    let unit_ok = !role.is_unit_staff() || issued;
    let identity_ok = match access {
        Access::Full => true,
        Access::WithoutIdentity => kind == crate::document::DocumentKind::SupervisionLetter,
        Access::Denied => false,
    };
    unit_ok && identity_ok
}

/// Who may record an interview (接谈, V2.1): the receptionist or the case officer, for a visit,
/// online or phone petition still being worked on. Letters are read, not interviewed.
pub fn may_interview(role: Role, channel: Channel, stage: Stage) -> Result<(), FieldError> {
    if !matches!(role, Role::Receptionist | Role::CaseOfficer) {
        return Err(FieldError::general("forbidden", "您无权执行此操作"));
    }
    if channel == Channel::Letter {
        return Err(FieldError::general(
            "invalid_transition",
            "来信不需要接谈记录",
        ));
    }
    if !stage.is_open() {
        // Most closed stages' labels already start with 已 (已结案); don't double it.
        let label = stage.label_zh();
        let done = if label.starts_with('已') {
            label.to_string()
        } else {
            format!("已{label}")
        };
        return Err(FieldError::general(
            "invalid_transition",
            format!("信访件{done}，不能再记录接谈"),
        ));
    }
    Ok(())
}

/// Whose tasks a role's task list shows. The bureau head (局负责人) receives out-of-district
/// reports; the deputy sees them too, so both leaders see the director's tasks.
pub fn task_roles(role: Role) -> Vec<Role> {
    if role.is_leader() {
        vec![Role::Director]
    } else {
        vec![role]
    }
}

/// A task is completed by someone whose list shows it.
pub fn may_complete_task(viewer_role: Role, task_role: Role) -> bool {
    task_roles(viewer_role).contains(&task_role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interviews_are_for_open_non_letter_petitions_by_the_window() {
        for role in [Role::Receptionist, Role::CaseOfficer] {
            for channel in [Channel::Visit, Channel::Online, Channel::Phone] {
                assert_eq!(may_interview(role, channel, Stage::Registered), Ok(()));
                assert_eq!(may_interview(role, channel, Stage::Assigned), Ok(()));
            }
        }
        for role in Role::ALL {
            if !matches!(role, Role::Receptionist | Role::CaseOfficer) {
                let e = may_interview(role, Channel::Visit, Stage::Registered).unwrap_err();
                assert_eq!(
                    (e.code, e.message.as_str()),
                    ("forbidden", "您无权执行此操作")
                );
            }
        }
        let e = may_interview(Role::Receptionist, Channel::Letter, Stage::Registered).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            ("invalid_transition", "来信不需要接谈记录")
        );
        let e = may_interview(Role::CaseOfficer, Channel::Visit, Stage::Closed).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            ("invalid_transition", "信访件已结案，不能再记录接谈")
        );
        for stage in Stage::ALL {
            let r = may_interview(Role::Receptionist, Channel::Visit, stage);
            assert_eq!(r.is_ok(), stage.is_open(), "{stage:?}");
            if let Err(e) = r {
                assert!(!e.message.contains("已已"), "{}", e.message);
            }
        }
        // The role is judged first: a forbidden role learns nothing about the petition.
        assert_eq!(
            may_interview(Role::Archivist, Channel::Letter, Stage::Closed)
                .unwrap_err()
                .code,
            "forbidden"
        );
    }

    #[test]
    fn both_leaders_see_the_directors_tasks_everyone_else_their_own() {
        assert_eq!(task_roles(Role::Director), vec![Role::Director]);
        assert_eq!(task_roles(Role::DeputyDirector), vec![Role::Director]);
        assert_eq!(task_roles(Role::Office), vec![Role::Office]);
        for viewer in Role::ALL {
            for task in Role::ALL {
                let expected = if viewer.is_leader() {
                    task == Role::Director
                } else {
                    task == viewer
                };
                assert_eq!(
                    may_complete_task(viewer, task),
                    expected,
                    "{viewer:?} on a {task:?} task"
                );
            }
        }
        assert!(!may_complete_task(
            Role::DeputyDirector,
            Role::DeputyDirector
        ));
    }

    #[test]
    fn units_read_only_issued_documents_and_the_accused_only_the_supervision_letter() {
        use crate::document::DocumentKind as K;
        assert!(may_read_document(
            Role::CaseOfficer,
            Access::Full,
            K::AssignmentLetter,
            false
        ));
        assert!(!may_read_document(
            Role::UnitHandler,
            Access::Full,
            K::AssignmentLetter,
            false
        ));
        assert!(may_read_document(
            Role::UnitHandler,
            Access::Full,
            K::AssignmentLetter,
            true
        ));
        assert!(!may_read_document(
            Role::UnitHead,
            Access::WithoutIdentity,
            K::AssignmentLetter,
            true
        ));
        assert!(may_read_document(
            Role::UnitHead,
            Access::WithoutIdentity,
            K::SupervisionLetter,
            true
        ));
        assert!(!may_read_document(
            Role::UnitHead,
            Access::WithoutIdentity,
            K::SupervisionLetter,
            false
        ));
        assert!(!may_read_document(
            Role::Director,
            Access::Denied,
            K::SupervisionLetter,
            true
        ));
    }

    fn staff(role: Role) -> Viewer<'static> {
        Viewer {
            user_id: "u1",
            role,
            unit_id: None,
        }
    }

    #[test]
    fn confidential_petition_is_hidden_from_unassigned_staff() {
        let facts = PetitionFacts {
            confidential: true,
            assigned_staff: vec!["u2"],
            ..Default::default()
        };
        assert_eq!(access(&staff(Role::CaseOfficer), &facts), Access::Denied);
        assert_eq!(access(&staff(Role::Director), &facts), Access::Full);
        let assigned = Viewer {
            user_id: "u2",
            role: Role::Receptionist,
            unit_id: None,
        };
        assert_eq!(access(&assigned, &facts), Access::Full);
    }

    #[test]
    fn unit_sees_only_its_own_handling_records() {
        let v = Viewer {
            user_id: "h",
            role: Role::UnitHandler,
            unit_id: Some("unitA"),
        };
        let mine = PetitionFacts {
            handling_units: vec!["unitA"],
            ..Default::default()
        };
        let other = PetitionFacts {
            handling_units: vec!["unitB"],
            ..Default::default()
        };
        assert_eq!(access(&v, &mine), Access::Full);
        assert_eq!(access(&v, &other), Access::Denied);
    }

    #[test]
    fn accused_unit_never_sees_the_accuser() {
        let v = Viewer {
            user_id: "h",
            role: Role::UnitHead,
            unit_id: Some("unitA"),
        };
        let facts = PetitionFacts {
            handling_units: vec!["unitA"],
            accused_unit_id: Some("unitA"),
            ..Default::default()
        };
        assert_eq!(access(&v, &facts), Access::WithoutIdentity);
    }

    #[test]
    fn recused_staff_cannot_see_even_as_leader() {
        let facts = PetitionFacts {
            viewer_recused: true,
            ..Default::default()
        };
        assert_eq!(access(&staff(Role::Director), &facts), Access::Denied);
    }
}
