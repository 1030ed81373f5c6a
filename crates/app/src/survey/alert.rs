//! Hot alerts: a low score or an angry comment opens a follow-up task for the
//! station, due in 24 hours and escalated to the region after 3 days, both on the
//! timer machinery (`survey.alert:<id>:deadline`, `survey.alert:<id>:escalate`),
//! disarmed when the task is closed. One click turns the task into a complaint
//! through `app::complaint::file`; the alert keeps the complaint's id and the
//! complaint's source link points back to the alert.

use super::{READ, WRITE};
use crate::job::handler::{BoxFuture, Ctx, Handler, Outcome};
use crate::network::expect;
use crate::{App, AppError, AppResult, conn};
use domain::Violation;
use domain::ids::{RegionId, StationId};
use domain::permission::{Action, Grant, Reach};
use domain::survey::Scale;
use domain::survey::alert::{self as rules, Trigger};
use serde::Serialize;
use sqlx::AnyConnection;
use store::job::Claimed;
use store::survey::InvitationRow;
use store::survey::alert::AlertRow;

/// The timer kind of both steps.
pub const KIND: &str = "survey.alert";

const HOUR_MS: i64 = 3_600_000;

fn timer_key(id: i64, step: &str) -> String {
    format!("survey.alert:{id}:{step}")
}

/// Opens the alert of a finished invitation and arms its two timers, on the
/// answering transaction. An invitation has at most one alert.
pub(crate) async fn open(
    tx: &mut AnyConnection,
    inv: &InvitationRow,
    triggers: &[Trigger],
    now: i64,
) -> AppResult<()> {
    open_for(
        tx,
        (inv.id, inv.station_id, inv.region_id, inv.customer_id),
        triggers,
        now,
    )
    .await
    .map(|_| ())
}

/// [`open`] for invitation `(id, station, region, customer)`: the alert's id, `None`
/// when the invitation had one already. The simulator opens its alerts here, as
/// an answer does.
pub(crate) async fn open_for(
    tx: &mut AnyConnection,
    (invitation, station, region, customer): (i64, i64, i64, i64),
    triggers: &[Trigger],
    now: i64,
) -> AppResult<Option<i64>> {
    let codes: Vec<&str> = triggers.iter().map(|t| t.code()).collect();
    let due = now + rules::DEADLINE_HOURS * HOUR_MS;
    let Some(id) = store::survey::alert::insert(
        tx,
        invitation,
        station,
        region,
        customer,
        &codes.join(","),
        due,
        now,
    )
    .await?
    else {
        return Ok(None);
    };
    for (step, at) in [
        ("deadline", due),
        ("escalate", now + rules::ESCALATE_AFTER_DAYS * 24 * HOUR_MS),
    ] {
        crate::job::arm(
            tx,
            &timer_key(id, step),
            KIND,
            at,
            &serde_json::json!({ "alert_id": id, "step": step }),
            now,
        )
        .await?;
    }
    metrics::counter!("survey_hot_alerts_total").increment(1);
    Ok(Some(id))
}

/// The `survey.alert` timer: at the deadline the station is reminded once; at the
/// escalation the alert is marked escalated (once) and the region is told. A closed
/// alert does nothing.
pub struct Tick;

impl Handler for Tick {
    fn inside<'a>(
        &'a self,
        ctx: &'a Ctx,
        conn: &'a mut AnyConnection,
        job: &'a Claimed,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            fire(conn, &job.payload, ctx.app.now_ms())
                .await
                .map_err(|e| e.to_string())
        })
    }
}

async fn fire(conn: &mut AnyConnection, payload: &str, now: i64) -> AppResult<()> {
    let v: serde_json::Value =
        serde_json::from_str(payload).map_err(|e| AppError::Internal(e.to_string()))?;
    let id = v["alert_id"].as_i64().unwrap_or(0);
    let step = v["step"].as_str().unwrap_or("");
    let a = store::survey::alert::get(conn, &Reach::All, id).await?;
    if a.state != "open" {
        return Ok(());
    }
    let level = match step {
        "escalate" => {
            if !store::survey::alert::escalate(conn, id, now).await? {
                return Ok(());
            }
            "region"
        }
        _ => "station",
    };
    store::outbox::enqueue(
        conn,
        &format!("outbox:survey.alert:{id}:{step}"),
        "webhook",
        level,
        None,
        "survey_alert_notice",
        &serde_json::json!({
            "alert_id": id, "step": step, "station_id": a.station_id, "region_id": a.region_id,
        }),
        now,
    )
    .await?;
    Ok(())
}

/// An alert as the list shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AlertView {
    /// The alert.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub alert: AlertRow,
    /// The customer's name.
    pub customer_name: String,
    /// The station's name.
    pub station_name: String,
    /// The recommend score given, if any.
    pub recommend: Option<u8>,
    /// The comment, numbers masked.
    pub comment: Option<String>,
    /// Open and past its deadline.
    pub overdue: bool,
}

async fn view(c: &mut AnyConnection, a: AlertRow, now: i64) -> AppResult<AlertView> {
    let customer_name = store::customer::get(c, &Reach::All, a.customer_id)
        .await
        .map(|x| x.name)
        .unwrap_or_default();
    let station_name = store::network::station(c, &Reach::All, a.station_id)
        .await
        .map(|s| s.name_zh)
        .unwrap_or_default();
    let inv = store::survey::get(c, &Reach::All, a.invitation_id).await?;
    let q = super::version(c, inv.version).await?;
    let answers = store::survey::answer::of_invitation(c, a.invitation_id).await?;
    let mut recommend = None;
    let mut comment = None;
    for ans in answers {
        match q.question(&ans.question_key).map(|x| x.scale) {
            Some(Scale::Recommend) => recommend = ans.score.and_then(|s| u8::try_from(s).ok()),
            Some(Scale::Text) => {
                comment = ans
                    .text
                    .map(|t| domain::privacy::text::mask_numbers(&t).to_string())
            }
            _ => {}
        }
    }
    Ok(AlertView {
        overdue: a.state == "open" && a.due_at < now,
        alert: a,
        customer_name,
        station_name,
        recommend,
        comment,
    })
}

/// Alerts within reach (open first by deadline), optionally of one station and
/// state (`open`, `done`; another code is 422 naming `state`). Needs [`READ`].
pub async fn list(
    app: &App,
    grant: &Grant,
    station_id: Option<i64>,
    state: Option<&str>,
) -> AppResult<Vec<AlertView>> {
    expect(grant, READ)?;
    let state = state.map(str::trim).unwrap_or("");
    if !["", "open", "done"].contains(&state) {
        return Err(Violation::new("state", "survey.alert_state_unknown").into());
    }
    let mut c = conn(app).await?;
    let rows = store::survey::alert::list(&mut c, grant.reach(), station_id, state, 200).await?;
    let now = app.now_ms();
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        out.push(view(&mut c, a, now).await?);
    }
    Ok(out)
}

/// One alert within reach. Needs [`READ`].
pub async fn get(app: &App, grant: &Grant, id: i64) -> AppResult<AlertView> {
    expect(grant, READ)?;
    let mut c = conn(app).await?;
    let a = store::survey::alert::get(&mut c, grant.reach(), id).await?;
    view(&mut c, a, app.now_ms()).await
}

/// Closes an open alert with what was done (a note of 1–1000 characters) and
/// disarms its timers. A closed alert is 409 `survey.alert_done`. Needs [`WRITE`].
pub async fn close(app: &App, grant: &Grant, id: i64, note: &str) -> AppResult<()> {
    expect(grant, WRITE)?;
    let note = note.trim();
    if note.is_empty() {
        return Err(Violation::new("note", "survey.note_required").into());
    }
    if note.chars().count() > 1000 {
        return Err(Violation::new("note", "text.length")
            .with_detail("1000")
            .into());
    }
    let now = app.now_ms();
    let by = grant.principal().id;
    crate::transaction::run(app, "survey.close_alert", move |mut tx| async move {
        store::survey::alert::get(&mut tx, grant.reach(), id).await?;
        close_on(&mut tx, id, by, note, now).await?;
        Ok((tx, ()))
    })
    .await
}

/// Closes open alert `id` with `note` by staff `by` and disarms its timers, on the
/// caller's transaction (the close use case's write; the simulator's call-back).
pub(crate) async fn close_on(
    tx: &mut AnyConnection,
    id: i64,
    by: i64,
    note: &str,
    now: i64,
) -> AppResult<()> {
    store::survey::alert::close(tx, id, by, note, None, now).await?;
    disarm(tx, id, now).await
}

async fn disarm(tx: &mut AnyConnection, id: i64, now: i64) -> AppResult<()> {
    for step in ["deadline", "escalate"] {
        crate::job::disarm(tx, &timer_key(id, step), now).await?;
    }
    Ok(())
}

/// Turns an open alert into a complaint (channel hotline, category as given or
/// `other`, normal severity; the description quotes the scores and the comment),
/// then closes the alert with the complaint's id. Needs [`WRITE`] and the caller's
/// `ComplaintWrite`; a closed alert is 409 `survey.alert_done`, nothing filed.
pub async fn to_complaint(
    app: &App,
    grant: &Grant,
    id: i64,
    category: Option<&str>,
) -> AppResult<i64> {
    expect(grant, WRITE)?;
    let complaint_grant = grant
        .principal()
        .grant(Action::ComplaintWrite)
        .map_err(|_| AppError::Forbidden)?;
    let v = {
        let mut c = conn(app).await?;
        let a = store::survey::alert::get(&mut c, grant.reach(), id).await?;
        view(&mut c, a, app.now_ms()).await?
    };
    if v.alert.state != "open" {
        return Err(AppError::Refused(
            Violation::new("state", "survey.alert_done").into(),
        ));
    }
    if !grant.covers_station(StationId(v.alert.station_id), RegionId(v.alert.region_id)) {
        return Err(AppError::Forbidden);
    }
    let mut c = conn(app).await?;
    let inv = store::survey::get(&mut c, &Reach::All, v.alert.invitation_id).await?;
    drop(c);
    let mut description = format!("回访热点预警（{}）", v.alert.triggers);
    if let Some(r) = v.recommend {
        description.push_str(&format!("；推荐意愿 {r} 分"));
    }
    if let Some(t) = &v.comment {
        description.push_str(&format!("；客户意见：{t}"));
    }
    let input = crate::complaint::FileInput {
        station_id: v.alert.station_id,
        customer_id: Some(v.alert.customer_id),
        vehicle_id: inv.vehicle_id,
        repair_order_id: inv.repair_order_id,
        channel: "hotline".into(),
        source_link: Some(format!("/console/survey-alerts/{id}")),
        category: category
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .unwrap_or("other")
            .to_string(),
        severity: "normal".into(),
        urgent_reason: None,
        description,
        part_number: None,
    };
    let complaint = crate::complaint::file(app, &complaint_grant, &input).await?;
    let now = app.now_ms();
    let by = grant.principal().id;
    let cid = complaint.id;
    crate::transaction::run(app, "survey.close_alert", move |mut tx| async move {
        store::survey::alert::close(&mut tx, id, by, "complaint", Some(cid), now).await?;
        disarm(&mut tx, id, now).await?;
        Ok((tx, ()))
    })
    .await?;
    Ok(cid)
}

/// The alert that became complaint `complaint_id`, if any (the link back).
pub async fn of_complaint(app: &App, grant: &Grant, complaint_id: i64) -> AppResult<Option<i64>> {
    expect(grant, READ)?;
    let mut c = conn(app).await?;
    Ok(store::survey::alert::by_complaint(&mut c, complaint_id).await?)
}
