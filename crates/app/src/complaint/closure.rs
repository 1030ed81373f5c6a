//! The closing half of a complaint's workflow: the three zeros (投诉归零, 管理归零,
//! 技术归零), the follow-up call (staff or the owner's phone page), goodwill within
//! the approver's limit. Attachments are in [`super::attachment`]. The workflow moves themselves are in
//! [`super::action`], whose loading and event helpers this file uses.

use super::action::{FollowUpInput, GoodwillInput, ZeroInput, event, finish, load, open, state_of};
use crate::transaction::run;
use crate::{App, AppError, AppResult};
use domain::complaint::closure::{FollowUp, Zero, ZeroStatus};
use domain::complaint::goodwill::{self, GoodwillKind, GoodwillLimits};
use domain::complaint::{self as rules, State};
use domain::permission::{Action, Grant};
use domain::{Violation, Violations};
use store::complaint::ComplaintRow;

/// Records one of the three zeros of the current clock.
pub async fn set_zero(
    app: &App,
    grant: &Grant,
    id: i64,
    input: &ZeroInput,
) -> AppResult<ComplaintRow> {
    crate::network::expect(grant, Action::ComplaintWrite)?;
    let zero = Zero::parse(&input.zero).map_err(|v| AppError::Invalid(v.into()))?;
    let status = ZeroStatus::parse(zero, &input.status, &input.text)
        .map_err(|v| AppError::Invalid(v.into()))?;
    let now = app.now_ms();
    let by = grant.principal().id;
    let status = &status;
    run(app, "complaint.zero", move |mut tx| async move {
        let c = load(&mut tx, grant, id).await?;
        open(&c)?;
        store::complaint::closure::set_zero(&mut tx, id, c.clock_no, zero.code(), status.code(), status.text(), now, by).await?;
        event(&mut tx, grant, id, now, "zero", serde_json::json!({ "zero": zero.code(), "status": status.code(), "text": status.text() })).await?;
        Ok((tx, ()))
    })
    .await?;
    finish(app, id).await
}

/// Records the follow-up call of the current clock (state `follow_up`).
pub async fn follow_up(
    app: &App,
    grant: &Grant,
    id: i64,
    input: &FollowUpInput,
) -> AppResult<ComplaintRow> {
    crate::network::expect(grant, Action::ComplaintWrite)?;
    record_follow_up(app, grant, id, input, false).await
}

/// The owner answers the follow-up on their phone page.
pub async fn answer_follow_up(
    app: &App,
    grant: &Grant,
    id: i64,
    input: &FollowUpInput,
) -> AppResult<ComplaintRow> {
    crate::network::expect(grant, Action::ComplaintOwnerFile)?;
    record_follow_up(app, grant, id, input, true).await
}

async fn record_follow_up(
    app: &App,
    grant: &Grant,
    id: i64,
    input: &FollowUpInput,
    owner: bool,
) -> AppResult<ComplaintRow> {
    let fu = FollowUp::new(input.satisfaction, input.accepts_closure)
        .map_err(|v| AppError::Invalid(v.into()))?;
    let note = input.note.trim().to_string();
    if note.chars().count() > rules::MAX_TEXT_CHARS {
        return Err(AppError::Invalid(
            Violation::new("note", "text.length").into(),
        ));
    }
    let now = app.now_ms();
    let by = grant.principal().id;
    let note = &note;
    run(app, "complaint.follow_up", move |mut tx| async move {
        let c = if owner {
            store::complaint::get(&mut tx, grant.reach(), id).await?.ok_or(AppError::NotFound)?
        } else {
            load(&mut tx, grant, id).await?
        };
        if state_of(&c)? != State::FollowUp {
            return Err(AppError::Refused(Violation::new("state", "complaint.not_follow_up").into()));
        }
        store::complaint::closure::set_follow_up(&mut tx, id, c.clock_no, i64::from(fu.satisfaction), fu.accepts_closure, note, now, by).await?;
        event(&mut tx, grant, id, now, "follow_up", serde_json::json!({ "satisfaction": fu.satisfaction, "accepts_closure": fu.accepts_closure, "note": note })).await?;
        Ok((tx, ()))
    })
    .await?;
    finish(app, id).await
}

/// Grants goodwill up to the caller's approval limit (`complaint.goodwill_over_limit`
/// on `value` above it).
pub async fn grant_goodwill(
    app: &App,
    grant: &Grant,
    id: i64,
    input: &GoodwillInput,
) -> AppResult<ComplaintRow> {
    crate::network::expect(grant, Action::ComplaintWrite)?;
    let mut v = Violations::new();
    let kind = v.field("kind", GoodwillKind::parse(&input.kind));
    let role = grant.principal().role;
    // Head office's limits in force (the defaults until it sets its own).
    let limits: GoodwillLimits = {
        let mut c = crate::conn(app).await?;
        super::goodwill::load(&mut c).await?.0
    };
    if let Err(e) = goodwill::check(role, input.value, &limits) {
        v.push(e);
    }
    let note = v.field("note", rules::text("note", &input.note));
    v.clone().into_result().map_err(AppError::Invalid)?;
    let (Some(kind), Some(note)) = (kind, note) else {
        return Err(AppError::Invalid(v));
    };
    let now = app.now_ms();
    let by = grant.principal().id;
    let (note, value) = (&note, input.value);
    run(app, "complaint.goodwill", move |mut tx| async move {
        let c = load(&mut tx, grant, id).await?;
        open(&c)?;
        store::complaint::closure::add_goodwill(
            &mut tx,
            id,
            kind.code(),
            value,
            note,
            by,
            role.code(),
            now,
        )
        .await?;
        event(
            &mut tx,
            grant,
            id,
            now,
            "goodwill",
            serde_json::json!({ "kind": kind.code(), "value_fen": value, "note": note }),
        )
        .await?;
        Ok((tx, ()))
    })
    .await?;
    finish(app, id).await
}
