//! The complaint workflow: received → acknowledged → analysing → solution proposed →
//! accepted → in progress → follow-up → closed, and reopen. Never backwards except
//! the two ways the process itself goes back: the customer rejects a proposed
//! solution (back to analysing) and a closed complaint is reopened (a new clock).

use serde::{Deserialize, Serialize};

use super::code_enum;
use crate::Violation;

code_enum!(
    /// Where a complaint is in its workflow.
    State, "complaint.state_unknown", "state" {
        /// Filed, nobody has taken it up.
        Received => "received",
        /// Taken up and recorded in full.
        Acknowledged => "acknowledged",
        /// The cause is being analysed.
        Analysing => "analysing",
        /// A solution was put to the customer.
        SolutionProposed => "solution_proposed",
        /// The customer accepted the solution.
        Accepted => "accepted",
        /// The solution is being carried out.
        InProgress => "in_progress",
        /// Carried out; waiting for the follow-up call and the three zeros.
        FollowUp => "follow_up",
        /// Closed.
        Closed => "closed",
    }
);

impl State {
    /// Whether the complaint's clocks run (everything but closed).
    pub fn is_open(self) -> bool {
        self != State::Closed
    }
}

code_enum!(
    /// What moves a complaint.
    Event, "complaint.event_unknown", "event" {
        /// Taken up and recorded in full.
        Acknowledge => "acknowledge",
        /// Analysis begins.
        StartAnalysis => "start_analysis",
        /// A solution is proposed (the analysis must be done).
        ProposeSolution => "propose_solution",
        /// The customer accepts the solution.
        CustomerAccepts => "customer_accepts",
        /// The customer rejects it: analysis again.
        CustomerRejects => "customer_rejects",
        /// Work on the solution starts.
        StartWork => "start_work",
        /// Work is done; the follow-up is next.
        FinishWork => "finish_work",
        /// Closed (needs the three zeros and the follow-up).
        Close => "close",
        /// Opened again, with a new clock.
        Reopen => "reopen",
    }
);

/// The state after `event` in `from`, or the violation `complaint.transition` on
/// field `state` naming both.
pub fn transition(from: State, event: Event) -> Result<State, Violation> {
    use Event as E;
    use State as S;
    let to = match (from, event) {
        (S::Received, E::Acknowledge) => S::Acknowledged,
        (S::Acknowledged, E::StartAnalysis) => S::Analysing,
        (S::Analysing, E::ProposeSolution) => S::SolutionProposed,
        (S::SolutionProposed, E::CustomerAccepts) => S::Accepted,
        (S::SolutionProposed, E::CustomerRejects) => S::Analysing,
        (S::Accepted, E::StartWork) => S::InProgress,
        (S::InProgress, E::FinishWork) => S::FollowUp,
        (S::FollowUp, E::Close) => S::Closed,
        (S::Closed, E::Reopen) => S::Received,
        _ => {
            return Err(
                Violation::new("state", "complaint.transition").with_detail(format!(
                    "{} -> {}",
                    from.code(),
                    event.code()
                )),
            );
        }
    };
    Ok(to)
}

/// The events allowed in `state`, for the action forms of the detail page.
pub fn allowed(state: State) -> Vec<Event> {
    Event::ALL
        .iter()
        .copied()
        .filter(|e| transition(state, *e).is_ok())
        .collect()
}

/// Position of a state along the forward path (reopen starts again at 0).
pub fn rank(state: State) -> usize {
    State::ALL.iter().position(|s| *s == state).unwrap_or(0)
}
