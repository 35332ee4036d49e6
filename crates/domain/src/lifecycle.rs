//! The petition's lifecycle (lifecycle.md): its stages, the commands that move it, and who may
//! issue each command. One file, readable top to bottom: the table of stages, the table of
//! commands, the table of authorities.
//!
//! Refinements of the reference lifecycle (also listed in ARCHITECTURE.md):
//! - An accepted decision moves straight to `disposing`; `decided` is the resting stage of the
//!   other decisions until their notice is served (V1.2, V2.2).
//! - A window decision for a department of the bureau's own level (转送单, V2.2) is a fifth
//!   acceptance value, `referred_to_department`, which goes straight to `transferred`.
//! - A leader who does not approve a closing sends the petition back to `reviewing`.
//! - Approval gates (approval.rs): a gated command is proposed by the roles below and takes
//!   effect when its approval request is accepted (`execute_approved`); closing additionally
//!   rests in `awaiting_closure` while its approval is pending.
//! - A handling record acts only for its own unit: unit roles from another unit are refused.
//! - 通报 as a way of handling letters (L4.0, L4.5): `disposing` → `awaiting_circular` on the
//!   circular gate's approval (the clerk proposes, a bureau leader approves); the letter rests
//!   there, listed for the next 信访情况通报, and `circular_issued` closes it into the 普通 dossier
//!   (`Transition::dossier`). No closing conditions apply: nothing was handled by a unit.
//!
//! | from | command | to | gate | who (letters) |
//! |---|---|---|---|---|
//! | `disposing` | `dispose { circular }` | `awaiting_circular` | `circular` | `letter_clerk` proposes |
//! | `awaiting_circular` | `circular_issued` | `closed` (普通) | — | `letter_clerk`, `office` |

use serde::{Deserialize, Serialize};

use chrono::NaiveDate;

use crate::approval::Gate;
use crate::error::FieldError;
use crate::handling::{
    ClosureFacts, ReviewOutcome, check_extension, closure_refusal, missing_conditions,
};
use crate::role::Role;
pub use crate::words::{Acceptance, Channel, Disposition, DossierKind, Stage};

/// Everything that moves a petition from one stage to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Letters: returned unopened, outside the bureau's remit (L2).
    ReturnUnopened,
    /// Letters: a signed-for letter is opened and registered (L3).
    RegisterLetter,
    /// The 来信办理单 goes to the deputy director; for visits, a proposal to a leader (V1.1, L3).
    SubmitForInstruction,
    /// 受理 / 不予受理 / 不再受理 / referrals (V1.2, V2.2, L3).
    Decide { acceptance: Acceptance },
    /// The notice of a non-accepting decision has been served: the matter ends here.
    ServeNotice,
    /// Choose the way of handling (V3.0, L4.0). Gated dispositions need approval first.
    Dispose { disposition: Disposition },
    /// A unit's objection that the matter is not its business was upheld.
    UpholdObjection,
    /// Every lead unit has reported: review begins (V7).
    BeginReview,
    /// Review failed and the leader approved: back to the unit to redo or supplement (V8.1).
    SendBack { outcome: ReviewOutcome },
    /// Closing proposed, the six closing conditions met (V8.2).
    ProposeClosure,
    /// The deputy director approves the closing (V8.2).
    ApproveClosure,
    /// The deputy director does not approve the closing.
    RejectClosure,
    /// 销案 (V8.4, L7.4).
    Deregister,
    /// Filed in a dossier (V11, L10).
    Archive,
    /// A set-aside letter is destroyed under an approved destruction entry (L4.4).
    Destroy,
    /// A set-aside letter is taken up again.
    Reopen,
    /// The 信访情况通报 listing a letter disposed of by 通报 has been issued: the letter closes
    /// (L4.5).
    CircularIssued,
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::ReturnUnopened => "return_unopened",
            Command::RegisterLetter => "register_letter",
            Command::SubmitForInstruction => "submit_for_instruction",
            Command::Decide { .. } => "decide",
            Command::ServeNotice => "serve_notice",
            Command::Dispose { .. } => "dispose",
            Command::UpholdObjection => "uphold_objection",
            Command::BeginReview => "begin_review",
            Command::SendBack { .. } => "send_back",
            Command::ProposeClosure => "propose_closure",
            Command::ApproveClosure => "approve_closure",
            Command::RejectClosure => "reject_closure",
            Command::Deregister => "deregister",
            Command::Archive => "archive",
            Command::Destroy => "destroy",
            Command::Reopen => "reopen",
            Command::CircularIssued => "circular_issued",
        }
    }

    /// The approval a command waits for before it takes effect (lifecycle §5), if any.
    pub fn gate(&self) -> Option<Gate> {
        match self {
            Command::Dispose {
                disposition: Disposition::Assignment,
            } => Some(Gate::Assignment),
            Command::Dispose {
                disposition: Disposition::Transfer,
            } => Some(Gate::Transfer),
            Command::Dispose {
                disposition: Disposition::DirectReply,
            } => Some(Gate::DirectReply),
            Command::Dispose {
                disposition: Disposition::Coordination,
            } => Some(Gate::Coordination),
            Command::Dispose {
                disposition: Disposition::Circular,
            } => Some(Gate::Circular),
            Command::SendBack {
                outcome: ReviewOutcome::Supplement,
            } => Some(Gate::Supplement),
            Command::SendBack { .. } => Some(Gate::Redo),
            Command::ApproveClosure | Command::RejectClosure => Some(Gate::Closure),
            Command::Destroy => Some(Gate::Destruction),
            _ => None,
        }
    }
}

/// What the lifecycle needs to know about a petition to judge a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PetitionState {
    pub channel: Channel,
    pub stage: Stage,
    pub acceptance: Option<Acceptance>,
    /// A collective visit must have chosen representatives before it can be accepted (rules §3).
    pub collective_without_representatives: bool,
    /// Lead handling records that have not reported yet (review begins at zero).
    pub lead_reports_pending: u32,
    /// What the closing check sees (rules §7).
    pub closure: ClosureFacts,
}

impl PetitionState {
    pub fn new(channel: Channel) -> Self {
        Self {
            channel,
            stage: if channel == Channel::Letter {
                Stage::Received
            } else {
                Stage::Registered
            },
            acceptance: None,
            collective_without_representatives: false,
            lead_reports_pending: 0,
            closure: ClosureFacts::default(),
        }
    }
}

/// Who may issue a command, per channel (lifecycle §5). Approval gates are separate: a gated
/// command is issued by the approver when the approval is given.
pub fn authorized_roles(command: &Command, channel: Channel) -> &'static [Role] {
    use Role::*;
    let letters = channel.follows_letter_procedure();
    match command {
        Command::ReturnUnopened | Command::RegisterLetter => &[LetterClerk],
        Command::SubmitForInstruction => {
            if letters {
                &[LetterClerk]
            } else {
                &[Receptionist]
            }
        }
        // Letters: the deputy director decides on the clerk's 来信办理单 (L3). Visits: the
        // receptionist decides, or a leader on the receptionist's proposal (V1.1).
        Command::Decide { .. } => {
            if letters {
                &[DeputyDirector, Director]
            } else {
                &[Receptionist, DeputyDirector, Director]
            }
        }
        Command::ServeNotice => {
            if letters {
                &[LetterClerk]
            } else {
                &[Receptionist]
            }
        }
        // 交办 / 转送 letters, a direct reply's outline and a coordination plan are gated
        // (`Command::gate`): the office (visits) or the clerk (letters) proposes, the approval
        // makes it so (V2.3, V3.4, V3.7, L4.2).
        Command::Dispose {
            disposition:
                Disposition::Assignment
                | Disposition::Transfer
                | Disposition::DirectReply
                | Disposition::Coordination
                | Disposition::Circular,
        } => {
            if letters {
                &[LetterClerk]
            } else {
                &[Office, CaseOfficer]
            }
        }
        Command::Dispose { .. } => {
            if letters {
                &[LetterClerk, DeputyDirector, Director]
            } else {
                &[Office, DeputyDirector, Director]
            }
        }
        Command::UpholdObjection => &[DeputyDirector, Director],
        // The reviewer proposes redo / supplement; the deputy director's approval sends it (V8.1).
        Command::BeginReview | Command::ProposeClosure | Command::SendBack { .. } => {
            if letters {
                &[LetterClerk]
            } else {
                &[CaseOfficer]
            }
        }
        // Only through the closing approval (V8.2): see `execute_approved`.
        Command::ApproveClosure | Command::RejectClosure => &[],
        Command::Deregister => {
            if letters {
                &[LetterClerk]
            } else {
                &[CaseOfficer]
            }
        }
        Command::Archive => &[Archivist],
        // The clerk proposes destroying set-aside letters; a leader approves (L4.4).
        Command::Destroy => &[LetterClerk],
        Command::Reopen => &[LetterClerk, DeputyDirector, Director],
        // Whoever issues the 信访情况通报 marks the letters it listed (L4.5).
        Command::CircularIssued => &[LetterClerk, Office],
    }
}

/// The result of a command: the stage it leads to and the acceptance it records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: Stage,
    pub to: Stage,
    pub acceptance: Option<Acceptance>,
    /// The approval this command waits for: the caller files an approval request instead of
    /// moving the petition (closing proposals move to `awaiting_closure` and file one too).
    pub gate: Option<Gate>,
    /// The dossier the petition is filed in, when the move decides it: a circulated letter
    /// closes into the 普通 dossier. `None`: decided by the caller, as before.
    pub dossier: Option<DossierKind>,
}

/// Judges a command against the petition's state and the actor's role, without changing
/// anything. The caller appends the event and stores the new state in one transaction.
pub fn execute(
    state: &PetitionState,
    command: &Command,
    role: Role,
) -> Result<Transition, FieldError> {
    if !authorized_roles(command, state.channel).contains(&role) {
        return Err(FieldError::general(
            "forbidden",
            format!("{}无权执行此操作", role.label_zh()),
        ));
    }
    transition(state, command)
}

/// A gated command whose approval was accepted: the approver's authority was checked against the
/// gate's configured roles (approval.rs), so only the move itself is judged here — again, because
/// the petition may have moved since the proposal.
pub fn execute_approved(
    state: &PetitionState,
    command: &Command,
) -> Result<Transition, FieldError> {
    if command.gate().is_none() {
        return Err(FieldError::general("not_gated", "该操作无需审批"));
    }
    let mut t = transition(state, command)?;
    t.gate = None;
    Ok(t)
}

fn transition(state: &PetitionState, command: &Command) -> Result<Transition, FieldError> {
    let letters = state.channel.follows_letter_procedure();
    let mut acceptance = state.acceptance;
    let mut dossier = None;
    let to = match (state.stage, command) {
        (Stage::Received, Command::ReturnUnopened) => Stage::ReturnedUnopened,
        (Stage::Received, Command::RegisterLetter) => Stage::Registered,
        (Stage::Registered, Command::SubmitForInstruction) => Stage::AwaitingInstruction,
        (Stage::Registered | Stage::AwaitingInstruction, Command::Decide { acceptance: a }) => {
            // Letters are decided only on the deputy director's instruction (L3).
            if letters && state.stage == Stage::Registered {
                return Err(refused(state, command));
            }
            if *a == Acceptance::Accepted && state.collective_without_representatives {
                return Err(FieldError::new(
                    "acceptance",
                    "collective_without_representatives",
                    "集体访须先推选代表（不超过5人）方可受理",
                ));
            }
            acceptance = Some(*a);
            a.next_stage()
        }
        (Stage::Decided, Command::ServeNotice) if acceptance != Some(Acceptance::Accepted) => {
            Stage::Closed
        }
        (from, Command::Dispose { disposition }) => {
            let to = disposition.stage();
            if *disposition == Disposition::SetAside && !letters {
                return Err(FieldError::new(
                    "disposition",
                    "set_aside_letters_only",
                    "暂存仅适用于来信",
                ));
            }
            if *disposition == Disposition::Circular && !letters {
                return Err(FieldError::new(
                    "disposition",
                    "not_for_visits",
                    "通报仅适用于来信",
                ));
            }
            let allowed_from = match disposition {
                Disposition::ReportUp | Disposition::SetAside | Disposition::Circular => {
                    &[Stage::Disposing][..]
                }
                Disposition::Assignment => {
                    &[Stage::Disposing, Stage::ReportedUp, Stage::Coordinating][..]
                }
                Disposition::Transfer | Disposition::Coordination => {
                    &[Stage::Disposing, Stage::ReportedUp][..]
                }
                Disposition::DirectReply => {
                    &[Stage::Disposing, Stage::ReportedUp, Stage::Coordinating][..]
                }
            };
            if !allowed_from.contains(&from) {
                return Err(refused(state, command));
            }
            to
        }
        (Stage::Assigned | Stage::Transferred, Command::UpholdObjection) => Stage::Disposing,
        (Stage::Assigned, Command::BeginReview) => {
            if state.lead_reports_pending > 0 {
                return Err(FieldError::general(
                    "reports_pending",
                    format!(
                        "尚有 {} 个主办单位未报送办理情况",
                        state.lead_reports_pending
                    ),
                ));
            }
            Stage::Reviewing
        }
        (Stage::Reviewing, Command::SendBack { outcome }) => {
            if *outcome == ReviewOutcome::Pass {
                return Err(refused(state, command));
            }
            Stage::Assigned
        }
        (
            Stage::Reviewing
            | Stage::Transferred
            | Stage::ReportedUp
            | Stage::Coordinating
            | Stage::DirectReply,
            Command::ProposeClosure,
        ) => {
            // The six closing conditions are hard gates (rules §7).
            let missing = missing_conditions(&state.closure);
            if !missing.is_empty() {
                return Err(closure_refusal(&missing));
            }
            Stage::AwaitingClosure
        }
        (Stage::AwaitingClosure, Command::ApproveClosure) => Stage::Closed,
        (Stage::AwaitingClosure, Command::RejectClosure) => Stage::Reviewing,
        (Stage::Closed, Command::Deregister) => Stage::Deregistered,
        (Stage::Deregistered, Command::Archive) => Stage::Archived,
        (Stage::SetAside, Command::Destroy) => Stage::Destroyed,
        (Stage::SetAside, Command::Reopen) => Stage::Disposing,
        (Stage::AwaitingCircular, Command::CircularIssued) => {
            dossier = Some(Disposition::Circular.dossier_kind(false));
            Stage::Closed
        }
        _ => return Err(refused(state, command)),
    };
    debug_assert!(state.stage.next_stages().contains(&to));
    Ok(Transition {
        from: state.stage,
        to,
        acceptance,
        gate: command.gate(),
        dossier,
    })
}

fn refused(state: &PetitionState, command: &Command) -> FieldError {
    FieldError::general(
        "invalid_transition",
        format!(
            "当前状态为「{}」，不能执行「{}」",
            state.stage.label_zh(),
            command_label_zh(command)
        ),
    )
}

pub fn command_label_zh(command: &Command) -> &'static str {
    match command {
        Command::ReturnUnopened => "退回未拆",
        Command::RegisterLetter => "登记来信",
        Command::SubmitForInstruction => "呈报领导批示",
        Command::Decide { .. } => "作出受理决定",
        Command::ServeNotice => "送达告知",
        Command::Dispose { .. } => "确定办理方式",
        Command::UpholdObjection => "认定异议成立",
        Command::BeginReview => "开始审阅",
        Command::SendBack { .. } => "发回重办或补报",
        Command::ProposeClosure => "提请结案",
        Command::ApproveClosure => "批准结案",
        Command::RejectClosure => "不予批准结案",
        Command::Deregister => "销案",
        Command::Archive => "归档",
        Command::Destroy => "销毁",
        Command::Reopen => "重新办理",
        Command::CircularIssued => "信访情况通报已印发",
    }
}

/// The state of one unit's handling record (lifecycle §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandlingState {
    Sent,
    Received,
    Objected,
    Accepted,
    Extended,
    Reported,
    Redo,
    Supplement,
    Done,
}

impl HandlingState {
    pub const ALL: [HandlingState; 9] = [
        HandlingState::Sent,
        HandlingState::Received,
        HandlingState::Objected,
        HandlingState::Accepted,
        HandlingState::Extended,
        HandlingState::Reported,
        HandlingState::Redo,
        HandlingState::Supplement,
        HandlingState::Done,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HandlingState::Sent => "sent",
            HandlingState::Received => "received",
            HandlingState::Objected => "objected",
            HandlingState::Accepted => "accepted",
            HandlingState::Extended => "extended",
            HandlingState::Reported => "reported",
            HandlingState::Redo => "redo",
            HandlingState::Supplement => "supplement",
            HandlingState::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Option<HandlingState> {
        HandlingState::ALL.into_iter().find(|h| h.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            HandlingState::Sent => "已发出",
            HandlingState::Received => "已签收",
            HandlingState::Objected => "提出异议",
            HandlingState::Accepted => "已受理",
            HandlingState::Extended => "已延期",
            HandlingState::Reported => "已报送办理情况",
            HandlingState::Redo => "重办",
            HandlingState::Supplement => "补报材料",
            HandlingState::Done => "办结",
        }
    }
}

/// Commands on a unit's handling record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum HandlingCommand {
    /// 签收 (starts: tell the petitioner within 15 days, object within 5 working days).
    SignFor,
    /// Not our business, with a reason.
    Object,
    /// The bureau rules the objection unfounded: back to the unit.
    RejectObjection,
    /// The unit accepts and has told the petitioner.
    Accept,
    /// Extension of the handling deadline (gated: the unit's head approves).
    Extend { days: u32 },
    /// 汇报材料 submitted.
    Report,
    /// Review failed: redo (gated: the deputy director approves).
    Redo,
    /// Review failed: supply materials (gated).
    Supplement,
    /// Review passed.
    Complete,
}

impl HandlingCommand {
    pub fn gate(self) -> Option<Gate> {
        match self {
            HandlingCommand::Extend { .. } => Some(Gate::Extension),
            HandlingCommand::Redo => Some(Gate::Redo),
            HandlingCommand::Supplement => Some(Gate::Supplement),
            _ => None,
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            HandlingCommand::SignFor => "签收",
            HandlingCommand::Object => "提出异议",
            HandlingCommand::RejectObjection => "驳回异议",
            HandlingCommand::Accept => "受理",
            HandlingCommand::Extend { .. } => "延期",
            HandlingCommand::Report => "报送办理情况",
            HandlingCommand::Redo => "重办",
            HandlingCommand::Supplement => "补报材料",
            HandlingCommand::Complete => "审阅通过",
        }
    }
}

/// What the handling machine needs to know about one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlingRecordState {
    pub unit_id: String,
    pub state: HandlingState,
    /// Days granted by the one extension, 0 if none.
    pub extended_days: u32,
    /// The running handling deadline, once accepted.
    pub due_on: Option<NaiveDate>,
}

/// Who acts: a role, and for unit roles the unit they belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandlingActor<'a> {
    pub role: Role,
    pub unit_id: Option<&'a str>,
}

/// Who may issue (or, for gated commands, propose) each handling command (lifecycle §2, §5).
pub fn handling_roles(command: HandlingCommand) -> &'static [Role] {
    match command {
        HandlingCommand::SignFor
        | HandlingCommand::Object
        | HandlingCommand::Accept
        | HandlingCommand::Report
        | HandlingCommand::Extend { .. } => &[Role::UnitHandler, Role::UnitHead],
        HandlingCommand::RejectObjection => &[Role::DeputyDirector, Role::Director],
        HandlingCommand::Redo | HandlingCommand::Supplement | HandlingCommand::Complete => {
            &[Role::CaseOfficer, Role::LetterClerk]
        }
    }
}

/// Judges a command on a handling record (lifecycle §2) by an actor. Returns the next state; for
/// gated commands the caller files an approval request and applies the state on approval
/// (`execute_handling_approved`).
pub fn execute_handling(
    record: &HandlingRecordState,
    command: HandlingCommand,
    actor: HandlingActor<'_>,
    today: NaiveDate,
) -> Result<HandlingState, FieldError> {
    if !handling_roles(command).contains(&actor.role) {
        return Err(FieldError::general(
            "forbidden",
            format!("{}无权执行此操作", actor.role.label_zh()),
        ));
    }
    // A unit acts only on its own records (lifecycle §5).
    if actor.role.is_unit_staff() && actor.unit_id != Some(record.unit_id.as_str()) {
        return Err(FieldError::general(
            "forbidden",
            "只能办理本单位承办的信访事项",
        ));
    }
    handling_transition(record, command, today)
}

/// A gated handling command whose approval was accepted.
pub fn execute_handling_approved(
    record: &HandlingRecordState,
    command: HandlingCommand,
    today: NaiveDate,
) -> Result<HandlingState, FieldError> {
    if command.gate().is_none() {
        return Err(FieldError::general("not_gated", "该操作无需审批"));
    }
    handling_transition(record, command, today)
}

fn handling_transition(
    record: &HandlingRecordState,
    command: HandlingCommand,
    today: NaiveDate,
) -> Result<HandlingState, FieldError> {
    use HandlingCommand as C;
    use HandlingState as S;
    let next = match (record.state, command) {
        (S::Sent, C::SignFor) => S::Received,
        (S::Received, C::Object) => S::Objected,
        (S::Objected, C::RejectObjection) => S::Received,
        (S::Received, C::Accept) => S::Accepted,
        (S::Accepted | S::Redo | S::Supplement, C::Extend { days }) => {
            check_extension(days, record.extended_days > 0, record.due_on, today)?;
            S::Extended
        }
        (S::Accepted | S::Extended | S::Redo | S::Supplement, C::Report) => S::Reported,
        (S::Reported, C::Redo) => S::Redo,
        (S::Reported, C::Supplement) => S::Supplement,
        (S::Reported, C::Complete) => S::Done,
        _ => {
            return Err(FieldError::general(
                "invalid_transition",
                format!(
                    "承办记录当前状态为「{}」，不能{}",
                    record.state.label_zh(),
                    command.label_zh()
                ),
            ));
        }
    };
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn visit() -> PetitionState {
        PetitionState::new(Channel::Visit)
    }

    #[test]
    fn receptionist_decides_not_accepted_at_the_window() {
        let t = execute(
            &visit(),
            &Command::Decide {
                acceptance: Acceptance::NotAccepted,
            },
            Role::Receptionist,
        )
        .unwrap();
        assert_eq!(t.to, Stage::Decided);
        assert_eq!(t.acceptance, Some(Acceptance::NotAccepted));
    }

    #[test]
    fn accepted_visit_moves_to_disposing() {
        let t = execute(
            &visit(),
            &Command::Decide {
                acceptance: Acceptance::Accepted,
            },
            Role::Receptionist,
        )
        .unwrap();
        assert_eq!(t.to, Stage::Disposing);
    }

    #[test]
    fn department_referral_moves_to_transferred() {
        let t = execute(
            &visit(),
            &Command::Decide {
                acceptance: Acceptance::ReferredToDepartment,
            },
            Role::Receptionist,
        )
        .unwrap();
        assert_eq!(t.to, Stage::Transferred);
    }

    #[test]
    fn letter_clerk_cannot_decide_a_letter() {
        let mut s = PetitionState::new(Channel::Letter);
        s.stage = Stage::AwaitingInstruction;
        let err = execute(
            &s,
            &Command::Decide {
                acceptance: Acceptance::Accepted,
            },
            Role::LetterClerk,
        )
        .unwrap_err();
        assert_eq!(err.code, "forbidden");
        let ok = execute(
            &s,
            &Command::Decide {
                acceptance: Acceptance::Accepted,
            },
            Role::DeputyDirector,
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn assignment_is_proposed_by_the_office_and_waits_for_the_deputy_director() {
        let mut s = visit();
        s.stage = Stage::Disposing;
        let cmd = Command::Dispose {
            disposition: Disposition::Assignment,
        };
        let t = execute(&s, &cmd, Role::Office).unwrap();
        assert_eq!(t.gate, Some(Gate::Assignment));
        assert_eq!(
            execute(&s, &cmd, Role::Receptionist).unwrap_err().code,
            "forbidden"
        );
        let approved = execute_approved(&s, &cmd).unwrap();
        assert_eq!((approved.to, approved.gate), (Stage::Assigned, None));
        // Ungated commands cannot sneak through the approval path.
        assert_eq!(
            execute_approved(
                &s,
                &Command::Dispose {
                    disposition: Disposition::ReportUp
                }
            )
            .unwrap_err()
            .code,
            "not_gated"
        );
    }

    fn letter_in(stage: Stage) -> PetitionState {
        let mut s = PetitionState::new(Channel::Letter);
        s.stage = stage;
        s.acceptance = Some(Acceptance::Accepted);
        s
    }

    #[test]
    fn a_letter_disposed_of_by_circular_is_approved_then_closed_when_the_circular_is_issued() {
        let circular = Command::Dispose {
            disposition: Disposition::Circular,
        };
        let s = letter_in(Stage::Disposing);
        // The clerk proposes; the approval makes it so, like the other gated dispositions.
        let t = execute(&s, &circular, Role::LetterClerk).unwrap();
        assert_eq!(
            (t.to, t.gate),
            (Stage::AwaitingCircular, Some(Gate::Circular))
        );
        assert_eq!(circular.gate(), Some(Gate::Circular));
        assert_eq!(
            Gate::Circular.default_approvers(),
            &[Role::DeputyDirector, Role::Director]
        );
        assert_eq!(
            execute(&s, &circular, Role::Office).unwrap_err().code,
            "forbidden"
        );
        let approved = execute_approved(&s, &circular).unwrap();
        assert_eq!(
            (approved.to, approved.gate, approved.dossier),
            (Stage::AwaitingCircular, None, None)
        );
        // Only from disposing.
        assert_eq!(
            execute_approved(&letter_in(Stage::ReportedUp), &circular)
                .unwrap_err()
                .code,
            "invalid_transition"
        );
        // It rests until the circular is issued, then closes into the ordinary dossier.
        let waiting = letter_in(Stage::AwaitingCircular);
        for c in [
            Command::ProposeClosure,
            Command::Deregister,
            Command::Reopen,
        ] {
            for r in Role::ALL {
                assert!(execute(&waiting, &c, r).is_err(), "{c:?} {r:?}");
            }
        }
        assert_eq!(
            execute(&waiting, &Command::CircularIssued, Role::Archivist)
                .unwrap_err()
                .code,
            "forbidden"
        );
        for r in [Role::LetterClerk, Role::Office] {
            let t = execute(&waiting, &Command::CircularIssued, r).unwrap();
            assert_eq!(
                (t.from, t.to, t.gate, t.dossier),
                (
                    Stage::AwaitingCircular,
                    Stage::Closed,
                    None,
                    Some(DossierKind::Ordinary)
                )
            );
        }
        assert_eq!(
            execute(
                &letter_in(Stage::Disposing),
                &Command::CircularIssued,
                Role::LetterClerk
            )
            .unwrap_err()
            .code,
            "invalid_transition"
        );
        assert_eq!(Command::CircularIssued.name(), "circular_issued");
        assert_eq!(
            command_label_zh(&Command::CircularIssued),
            "信访情况通报已印发"
        );
    }

    #[test]
    fn a_visit_is_never_disposed_of_by_circular() {
        let mut s = visit();
        s.stage = Stage::Disposing;
        s.acceptance = Some(Acceptance::Accepted);
        let circular = Command::Dispose {
            disposition: Disposition::Circular,
        };
        let e = execute(&s, &circular, Role::Office).unwrap_err();
        assert_eq!(
            (e.field.as_deref(), e.code),
            (Some("disposition"), "not_for_visits")
        );
        assert_eq!(
            execute_approved(&s, &circular).unwrap_err().code,
            "not_for_visits"
        );
    }

    #[test]
    fn closing_needs_the_six_conditions() {
        let mut s = visit();
        s.stage = Stage::Reviewing;
        s.acceptance = Some(Acceptance::Accepted);
        let e = execute(&s, &Command::ProposeClosure, Role::CaseOfficer).unwrap_err();
        assert_eq!(e.code, "closure_conditions");
        assert!(e.message.contains("信访人签字确认"), "{}", e.message);
        s.closure = ClosureFacts {
            reviews_passed: true,
            decision_recorded: true,
            signed_off: true,
            written_reply: true,
            petitioner_signed_or_refused: true,
            settlement_noted: true,
            open_obligations: vec![],
        };
        let t = execute(&s, &Command::ProposeClosure, Role::CaseOfficer).unwrap();
        assert_eq!(t.to, Stage::AwaitingClosure);
        s.stage = Stage::AwaitingClosure;
        // Nobody approves a closing directly; only the approval does.
        for r in Role::ALL {
            assert!(execute(&s, &Command::ApproveClosure, r).is_err());
        }
        assert_eq!(
            execute_approved(&s, &Command::ApproveClosure).unwrap().to,
            Stage::Closed
        );
    }

    #[test]
    fn review_begins_when_every_lead_unit_reported() {
        let mut s = visit();
        s.stage = Stage::Assigned;
        s.acceptance = Some(Acceptance::Accepted);
        s.lead_reports_pending = 1;
        assert_eq!(
            execute(&s, &Command::BeginReview, Role::CaseOfficer)
                .unwrap_err()
                .code,
            "reports_pending"
        );
        s.lead_reports_pending = 0;
        assert!(execute(&s, &Command::BeginReview, Role::CaseOfficer).is_ok());
    }

    #[test]
    fn collective_visit_without_representatives_cannot_be_accepted() {
        let mut s = visit();
        s.collective_without_representatives = true;
        let err = execute(
            &s,
            &Command::Decide {
                acceptance: Acceptance::Accepted,
            },
            Role::Receptionist,
        )
        .unwrap_err();
        assert_eq!(err.code, "collective_without_representatives");
    }

    fn record(state: HandlingState) -> HandlingRecordState {
        HandlingRecordState {
            unit_id: "u1".into(),
            state,
            extended_days: 0,
            due_on: Some("2026-12-10".parse().unwrap()),
        }
    }

    const TODAY: &str = "2026-12-01";

    #[test]
    fn a_unit_handles_only_its_own_records() {
        let today = TODAY.parse().unwrap();
        let own = HandlingActor {
            role: Role::UnitHandler,
            unit_id: Some("u1"),
        };
        let other = HandlingActor {
            role: Role::UnitHandler,
            unit_id: Some("u2"),
        };
        let r = record(HandlingState::Sent);
        assert_eq!(
            execute_handling(&r, HandlingCommand::SignFor, own, today),
            Ok(HandlingState::Received)
        );
        assert_eq!(
            execute_handling(&r, HandlingCommand::SignFor, other, today)
                .unwrap_err()
                .code,
            "forbidden"
        );
    }

    #[test]
    fn extensions_are_gated_once_and_at_most_thirty_days() {
        let today = TODAY.parse().unwrap();
        let handler = HandlingActor {
            role: Role::UnitHandler,
            unit_id: Some("u1"),
        };
        let r = record(HandlingState::Accepted);
        assert_eq!(
            HandlingCommand::Extend { days: 30 }.gate(),
            Some(Gate::Extension)
        );
        assert_eq!(
            execute_handling(&r, HandlingCommand::Extend { days: 30 }, handler, today),
            Ok(HandlingState::Extended)
        );
        assert_eq!(
            execute_handling_approved(&r, HandlingCommand::Extend { days: 31 }, today)
                .unwrap_err()
                .code,
            "out_of_range"
        );
        let mut once = record(HandlingState::Redo);
        once.extended_days = 10;
        assert_eq!(
            execute_handling_approved(&once, HandlingCommand::Extend { days: 5 }, today)
                .unwrap_err()
                .code,
            "already_extended"
        );
        assert_eq!(
            execute_handling_approved(&r, HandlingCommand::Report, today)
                .unwrap_err()
                .code,
            "not_gated"
        );
    }

    #[test]
    fn referrals_go_to_the_right_kind_of_unit() {
        let dep = Acceptance::ReferredToDepartment;
        let loc = Acceptance::ReferredToLocality;
        assert_eq!(dep.check_target_unit_kind(Some("department")), Ok(true));
        assert_eq!(
            dep.check_target_unit_kind(Some("township"))
                .unwrap_err()
                .code,
            "wrong_unit_kind"
        );
        assert_eq!(loc.check_target_unit_kind(Some("street")), Ok(true));
        assert_eq!(
            loc.check_target_unit_kind(Some("department"))
                .unwrap_err()
                .code,
            "wrong_unit_kind"
        );
        assert_eq!(
            loc.check_target_unit_kind(None).unwrap_err().code,
            "required"
        );
        assert_eq!(
            Acceptance::NotAccepted.check_target_unit_kind(None),
            Ok(false)
        );
    }

    #[test]
    fn every_stage_name_round_trips() {
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.as_str()), Some(s));
        }
        for a in Acceptance::ALL {
            assert_eq!(Acceptance::parse(a.as_str()), Some(a));
        }
    }

    fn any_command() -> impl Strategy<Value = Command> {
        let acceptance = prop::sample::select(Acceptance::ALL.to_vec());
        let disposition = prop::sample::select(vec![
            Disposition::ReportUp,
            Disposition::Assignment,
            Disposition::Transfer,
            Disposition::Coordination,
            Disposition::SetAside,
            Disposition::DirectReply,
            Disposition::Circular,
        ]);
        prop_oneof![
            Just(Command::ReturnUnopened),
            Just(Command::RegisterLetter),
            Just(Command::SubmitForInstruction),
            acceptance.prop_map(|acceptance| Command::Decide { acceptance }),
            Just(Command::ServeNotice),
            disposition.prop_map(|disposition| Command::Dispose { disposition }),
            Just(Command::UpholdObjection),
            Just(Command::BeginReview),
            prop::sample::select(vec![
                ReviewOutcome::Pass,
                ReviewOutcome::Redo,
                ReviewOutcome::Supplement
            ])
            .prop_map(|outcome| Command::SendBack { outcome }),
            Just(Command::ProposeClosure),
            Just(Command::ApproveClosure),
            Just(Command::RejectClosure),
            Just(Command::Deregister),
            Just(Command::Archive),
            Just(Command::Destroy),
            Just(Command::Reopen),
            Just(Command::CircularIssued),
        ]
    }

    #[derive(Debug, Clone)]
    enum Step {
        Issue(Command, Role),
        /// The approver decides the pending approval request, if any.
        Decide(bool),
        /// Reports, reviews and obligations change what the closing check sees.
        Facts(bool, u32),
    }

    fn complete_facts() -> ClosureFacts {
        ClosureFacts {
            reviews_passed: true,
            decision_recorded: true,
            signed_off: true,
            written_reply: true,
            petitioner_signed_or_refused: true,
            settlement_noted: true,
            open_obligations: vec![],
        }
    }

    fn any_step() -> impl Strategy<Value = Step> {
        prop_oneof![
            6 => (any_command(), prop::sample::select(Role::ALL.to_vec()))
                .prop_map(|(c, r)| Step::Issue(c, r)),
            2 => any::<bool>().prop_map(Step::Decide),
            1 => (any::<bool>(), 0u32..2).prop_map(|(c, p)| Step::Facts(c, p)),
        ]
    }

    /// Random steps, often the ones of the 通报 path (proposed, approved, issued), by any role.
    fn circular_step() -> impl Strategy<Value = Step> {
        // The roles that may act on it, and one that may not.
        let roles = prop::sample::select(vec![Role::LetterClerk, Role::Office, Role::Archivist]);
        prop_oneof![
            3 => any_step(),
            2 => roles.clone().prop_map(|r| Step::Issue(
                Command::Dispose { disposition: Disposition::Circular }, r)),
            2 => roles.prop_map(|r| Step::Issue(Command::CircularIssued, r)),
            1 => any::<bool>().prop_map(Step::Decide),
        ]
    }

    /// Runs random steps from `state`, with approvals given or refused, checking after every
    /// step that the petition stays inside the reference table and its invariants.
    fn check_steps(mut state: PetitionState, steps: Vec<Step>) -> Result<(), TestCaseError> {
        let channel = state.channel;
        let mut pending: Option<Command> = None;
        let mut facts_complete_at_proposal = false;
        for step in steps {
            let before = state.clone();
            match step {
                Step::Facts(complete, reports_pending) => {
                    state.closure = if complete {
                        complete_facts()
                    } else {
                        ClosureFacts::default()
                    };
                    state.lead_reports_pending = reports_pending;
                    continue;
                }
                Step::Issue(cmd, role) => match execute(&state, &cmd, role) {
                    Ok(t) => {
                        prop_assert!(
                            before.stage.next_stages().contains(&t.to),
                            "{:?} -> {:?} not in table",
                            before.stage,
                            t.to
                        );
                        // Only the issued circular decides the dossier, and only 普通.
                        prop_assert_eq!(t.dossier.is_some(), cmd == Command::CircularIssued);
                        if cmd == Command::CircularIssued {
                            prop_assert!(channel.follows_letter_procedure());
                            prop_assert_eq!(
                                (before.stage, t.to),
                                (Stage::AwaitingCircular, Stage::Closed)
                            );
                            prop_assert_eq!(t.dossier, Some(DossierKind::Ordinary));
                        }
                        prop_assert!(authorized_roles(&cmd, channel).contains(&role));
                        if t.gate.is_some() {
                            // Filed for approval; nothing moves yet.
                            pending = Some(cmd);
                        } else {
                            if t.to == Stage::AwaitingClosure {
                                facts_complete_at_proposal =
                                    missing_conditions(&state.closure).is_empty();
                                prop_assert!(facts_complete_at_proposal);
                                pending = Some(Command::ApproveClosure);
                            }
                            state.stage = t.to;
                            state.acceptance = t.acceptance;
                        }
                    }
                    Err(_) => prop_assert_eq!(&state, &before),
                },
                Step::Decide(accept) => {
                    let Some(cmd) = pending.take() else { continue };
                    let cmd = match (cmd, accept) {
                        (Command::ApproveClosure, false) => Command::RejectClosure,
                        (c, true) => c,
                        (_, false) => continue,
                    };
                    if let Ok(t) = execute_approved(&state, &cmd) {
                        prop_assert!(before.stage.next_stages().contains(&t.to));
                        if t.to == Stage::AwaitingCircular {
                            prop_assert_eq!(
                                &cmd,
                                &Command::Dispose {
                                    disposition: Disposition::Circular
                                }
                            );
                            prop_assert!(channel.follows_letter_procedure());
                        }
                        if t.to == Stage::Closed && before.stage == Stage::AwaitingClosure {
                            prop_assert!(
                                facts_complete_at_proposal,
                                "closed without the conditions"
                            );
                        }
                        state.stage = t.to;
                        state.acceptance = t.acceptance;
                    } else {
                        prop_assert_eq!(&state, &before);
                    }
                }
            }
            // Invariants.
            if !channel.follows_letter_procedure() {
                prop_assert!(!matches!(
                    state.stage,
                    Stage::Received | Stage::ReturnedUnopened | Stage::SetAside | Stage::Destroyed
                ));
                prop_assert!(state.stage != Stage::AwaitingCircular);
            }
            if !matches!(
                state.stage,
                Stage::Received
                    | Stage::ReturnedUnopened
                    | Stage::Registered
                    | Stage::AwaitingInstruction
            ) {
                prop_assert!(
                    state.acceptance.is_some(),
                    "stage {:?} without a decision",
                    state.stage
                );
            }
            if matches!(
                state.stage,
                Stage::Disposing
                    | Stage::Assigned
                    | Stage::Reviewing
                    | Stage::ReportedUp
                    | Stage::Coordinating
                    | Stage::DirectReply
                    | Stage::AwaitingClosure
                    | Stage::AwaitingCircular
            ) {
                prop_assert!(matches!(
                    state.acceptance,
                    Some(Acceptance::Accepted | Acceptance::ReferredToDepartment)
                ));
            }
            if state.stage.is_final() {
                for c in [Command::Archive, Command::Deregister, Command::Reopen] {
                    for r in Role::ALL {
                        prop_assert!(execute(&state, &c, r).is_err());
                    }
                }
            }
        }
        Ok(())
    }

    proptest! {
        /// No sequence of commands, by any roles, with approvals given or refused, reaches a
        /// stage the reference table does not allow; gated moves happen only through their
        /// approval; nothing closes without the closing conditions; the invariants hold after
        /// every step.
        #[test]
        fn lifecycle_never_reaches_an_invalid_state(
            channel in prop::sample::select(Channel::ALL.to_vec()),
            steps in prop::collection::vec(any_step(), 0..80),
        ) {
            check_steps(PetitionState::new(channel), steps)?;
        }

        /// The same from an accepted petition in `disposing`, where the ways of handling — 通报
        /// among them — are reached often: a circulated letter rests in `awaiting_circular` and
        /// closes only when its circular is issued, into the 普通 dossier.
        #[test]
        fn lifecycle_from_disposing_never_reaches_an_invalid_state(
            channel in prop::sample::select(Channel::ALL.to_vec()),
            steps in prop::collection::vec(circular_step(), 0..40),
        ) {
            let mut state = PetitionState::new(channel);
            state.stage = Stage::Disposing;
            state.acceptance = Some(Acceptance::Accepted);
            check_steps(state, steps)?;
        }

        /// Random handling commands by random actors from two units, with approvals applied:
        /// only unit 1's staff act on unit 1's record, and there is at most one extension, of
        /// at most 30 days, asked before the deadline.
        #[test]
        fn handling_records_stay_within_the_rules(
            steps in prop::collection::vec((
                prop_oneof![
                    Just(HandlingCommand::SignFor), Just(HandlingCommand::Object),
                    Just(HandlingCommand::RejectObjection), Just(HandlingCommand::Accept),
                    (0u32..40).prop_map(|days| HandlingCommand::Extend { days }),
                    Just(HandlingCommand::Report), Just(HandlingCommand::Redo),
                    Just(HandlingCommand::Supplement), Just(HandlingCommand::Complete),
                ],
                prop::sample::select(Role::ALL.to_vec()),
                prop::sample::select(vec![None, Some("u1"), Some("u2")]),
                0i64..20,
                any::<bool>(),
            ), 0..60),
        ) {
            let start: NaiveDate = "2026-12-01".parse().unwrap();
            let mut rec = record(HandlingState::Sent);
            let mut extensions = 0;
            for (cmd, role, unit, day, approve) in steps {
                let today = start + chrono::Days::new(day as u64);
                let actor = HandlingActor { role, unit_id: unit };
                let before = rec.clone();
                match execute_handling(&rec, cmd, actor, today) {
                    Ok(next) => {
                        if role.is_unit_staff() {
                            prop_assert_eq!(unit, Some("u1"));
                        }
                        let applied = if cmd.gate().is_some() {
                            if !approve { continue; }
                            execute_handling_approved(&rec, cmd, today).ok()
                        } else {
                            Some(next)
                        };
                        if let Some(next) = applied {
                            if let HandlingCommand::Extend { days } = cmd {
                                extensions += 1;
                                prop_assert!((1..=30).contains(&days));
                                prop_assert!(today <= before.due_on.unwrap());
                                rec.extended_days = days;
                            }
                            rec.state = next;
                        }
                    }
                    Err(_) => prop_assert_eq!(&rec, &before),
                }
                prop_assert!(extensions <= 1, "a second extension");
            }
        }
    }
}
