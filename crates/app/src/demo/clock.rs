//! Moving the demo server's clock (`POST /api/v1/demo/clock`): the browser tests of
//! the three guarantees and of complaints move the server into a repair's 6th day or
//! past a complaint's first-response target instead of waiting. Head office only,
//! every move in the audit log, and the job worker woken at once so timers that fell
//! due in the skipped time fire now (the worker claims by the app's clock).

use crate::clock::DemoClock;
use crate::{App, AppError, AppResult};
use domain::permission::{Action, Grant, Reach};
use domain::{Violation, Violations};

/// The longest single move: sixty days, enough for any deadline of the demo.
pub const MAX_ADVANCE_MINUTES: i64 = 60 * 24 * 60;

/// A move of the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockMove {
    /// Forward by this many minutes (1 ..= [`MAX_ADVANCE_MINUTES`]).
    Advance(i64),
    /// Back to real time (the end of a test that moved it).
    Reset,
}

impl ClockMove {
    /// Reads a move: `advance_minutes` in range, or `reset` true, never both or neither.
    pub fn parse(advance_minutes: Option<i64>, reset: bool) -> Result<ClockMove, Violations> {
        match (advance_minutes, reset) {
            (Some(_), true) => Err(Violation::new("reset", "demo.clock_one_move").into()),
            (None, true) => Ok(ClockMove::Reset),
            (None, false) => Err(Violation::new("advance_minutes", "required").into()),
            (Some(m), false) if (1..=MAX_ADVANCE_MINUTES).contains(&m) => Ok(ClockMove::Advance(m)),
            (Some(_), false) => Err(Violation::new("advance_minutes", "number.range")
                .with_detail(format!("1..{MAX_ADVANCE_MINUTES}"))
                .into()),
        }
    }
}

/// Where the clock stands after a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockState {
    /// The server's now, UTC ms.
    pub now_ms: i64,
    /// How far ahead of real time, in minutes.
    pub offset_minutes: i64,
}

/// Moves the demo clock as head office's administrator, records the move in the audit
/// log and wakes the job worker.
pub async fn move_clock(
    app: &App,
    grant: &Grant,
    clock: &DemoClock,
    step: ClockMove,
) -> AppResult<ClockState> {
    if grant.action() != Action::JobAdmin || *grant.reach() != Reach::All {
        return Err(AppError::Forbidden);
    }
    let (action, reason) = match step {
        ClockMove::Advance(m) => {
            clock.advance_ms(m * 60_000);
            ("demo_clock_advance", format!("+{m} min"))
        }
        ClockMove::Reset => {
            clock.reset();
            ("demo_clock_reset", "real time".to_string())
        }
    };
    let state = ClockState {
        now_ms: app.now_ms(),
        offset_minutes: clock.offset_ms() / 60_000,
    };
    let reason = format!("{reason}; now {} ms", state.now_ms);
    let reason = &reason;
    crate::transaction::run(app, "demo.clock", move |mut tx| async move {
        store::audit::write(
            &mut tx,
            state.now_ms,
            crate::actor(grant),
            action,
            "demo_clock",
            0,
            "now",
            reason,
        )
        .await?;
        Ok((tx, ()))
    })
    .await?;
    // Timers due in the skipped time: the worker claims by this clock, so one round
    // now fires them (without this it would still notice within its idle limit).
    app.wake_jobs();
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_move_is_one_of_advance_or_reset() {
        assert_eq!(
            ClockMove::parse(Some(61), false),
            Ok(ClockMove::Advance(61))
        );
        assert_eq!(ClockMove::parse(None, true), Ok(ClockMove::Reset));
        for (m, r) in [
            (None, false),
            (Some(0), false),
            (Some(-5), false),
            (Some(1), true),
        ] {
            assert!(ClockMove::parse(m, r).is_err(), "{m:?} {r}");
        }
        assert!(ClockMove::parse(Some(MAX_ADVANCE_MINUTES + 1), false).is_err());
    }
}
