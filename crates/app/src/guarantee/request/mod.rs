//! Replacement or refund requests (Arts 25–29): filed by an agent (or the owner)
//! citing a right that arose, answered within 10 working days and performed within 20
//! official working days (China's plan with 调休, in the station's zone), with the Art 27 usage
//! charge. Each deadline is two timers on the job machinery: a warning at the start of
//! its last day and an escalation at the start of the day after it; both are disarmed
//! when the step is taken. Every step is an event on the request's timeline.
//!
//! A request is refused (422, naming the field and the article) for a right that never
//! arose (`guarantee.right_not_arisen`), a right that gives no replacement or refund,
//! or when filed outside the 三包有效期 (`guarantee.request_outside_period`, art24).
//! The list and one request with its timeline are read in [`read`].

pub mod read;
mod replacement;

use super::history;
use super::view::assess_at;
use crate::input::{Loose, int, opt_text, text};
use crate::job::handler::{BoxFuture, Ctx, Handler, Outcome};
use crate::network::expect;
use crate::shared::{rebuild, to_json, ts};
use crate::{App, AppError, AppResult, actor, conn};
use domain::calendar::WorkingCalendar;
use domain::guarantee::request::{
    DeadlineStatus, Request, RequestKind, RequestState, usage_charge,
};
use domain::money::Money;
use domain::permission::{Action, Grant, Reach};
use domain::{Violation, Violations};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use store::guarantee::request::RequestRow;
use store::job::Claimed;

/// Timer kind of a request's deadlines.
pub const KIND: &str = "guarantee.request_due";
/// Entity of the request's timeline events.
pub const ENTITY: &str = "guarantee_request";

/// A request as entered.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = GuaranteeRequestInput)]
#[serde(deny_unknown_fields, default)]
pub struct FileInput {
    /// `replacement` or `refund`.
    #[schema(schema_with = request_kind_schema, required = true)]
    pub kind: Loose,
    /// The cited right's article, as the vehicle's rights show it (`art24(1)(4)`).
    /// A right the vehicle does not hold today, or a vehicle outside its 三包 period,
    /// is refused (409): the rights are the vehicle's state, not a shape of the input.
    #[schema(schema_with = crate::schema::line::<20>, required = true)]
    pub article: Loose,
    /// The cited right's subject (`part:ignition_coil`, `repair_days`, …).
    #[schema(schema_with = crate::schema::line::<200>, required = true)]
    pub subject: Loose,
}

/// An answer or performance as entered.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct StepInput {
    /// `accept`, `refuse` or `perform`.
    #[schema(value_type = String)]
    pub step: Loose,
    /// Why, for a refusal.
    #[schema(value_type = Option<String>)]
    pub reason: Loose,
    /// Price of the car in fen, for the Art 27 usage charge (perform).
    #[schema(value_type = Option<i64>)]
    pub price_fen: Loose,
    /// Kilometres driven when handed back (perform).
    #[schema(value_type = Option<i64>)]
    pub km_driven: Loose,
    /// Art 27 coefficient in basis points per 1,000 km, 50 to 80 (perform).
    #[schema(value_type = Option<i64>)]
    pub coefficient_bp: Loose,
    /// The replacement car's VIN (perform of a replacement, required): registered
    /// for the owner when new, linked when known (Art 29).
    #[schema(value_type = Option<String>)]
    pub new_vin: Loose,
    /// The replacement car's purchase invoice date (perform of a replacement,
    /// required): its own periods start from it (Arts 18, 29).
    #[schema(value_type = Option<String>, format = Date)]
    pub new_purchase_date: Loose,
    /// The replacement car's delivery date when it differs from the invoice date;
    /// the periods then start from it (Art 18).
    #[schema(value_type = Option<String>, format = Date)]
    pub new_delivered_on: Loose,
}

/// A request as shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = GuaranteeRequestView)]
pub struct RequestView {
    /// Id.
    pub id: i64,
    /// The vehicle.
    pub vehicle_id: i64,
    /// `replacement` or `refund`.
    pub kind: String,
    /// Cited article.
    pub article: String,
    /// Cited subject.
    pub subject: String,
    /// Day filed.
    pub filed_on: String,
    /// Last day to answer (10 working days).
    pub answer_by: String,
    /// `filed`, `accepted`, `refused` or `performed`.
    pub state: String,
    /// Last day to perform once accepted (20 working days).
    pub perform_by: Option<String>,
    /// The running deadline's status today: `none`, `running`, `due_today`, `overdue`.
    pub deadline_status: String,
    /// `agent` or `owner`.
    pub channel: String,
    /// The Art 27 usage charge in fen, once performed with a price.
    pub usage_charge_fen: Option<i64>,
    /// The car that replaced the vehicle, once a replacement was performed (Art 29).
    pub replacement_vehicle_id: Option<i64>,
}

pub(crate) fn view_of(r: &RequestRow, today: Date) -> AppResult<RequestView> {
    let req: Request = rebuild(
        serde_json::from_str(&r.state_json).map_err(|e| AppError::Internal(e.to_string()))?,
    )?;
    let perform_by = match &req.state {
        RequestState::Accepted { perform_by, .. } => Some(perform_by.to_string()),
        _ => None,
    };
    let status = match req.deadline(today).1 {
        DeadlineStatus::None => "none",
        DeadlineStatus::Running => "running",
        DeadlineStatus::DueToday => "due_today",
        DeadlineStatus::Overdue => "overdue",
    };
    Ok(RequestView {
        id: r.id,
        vehicle_id: r.vehicle_id,
        kind: r.kind.clone(),
        article: r.article.clone(),
        subject: r.subject.clone(),
        filed_on: r.filed_on.clone(),
        answer_by: r.answer_by.clone(),
        state: r.state.clone(),
        perform_by,
        deadline_status: status.into(),
        channel: r.channel.clone(),
        usage_charge_fen: r.usage_charge_fen,
        replacement_vehicle_id: r.replacement_vehicle_id,
    })
}

fn state_name(s: &RequestState) -> &'static str {
    match s {
        RequestState::Filed => "filed",
        RequestState::Accepted { .. } => "accepted",
        RequestState::Refused { .. } => "refused",
        RequestState::Performed { .. } => "performed",
    }
}

/// The working days the deadlines count: China's official plan as stored (holidays
/// and 调休 make-up days), Monday to Friday otherwise, in the station's zone. The
/// regulation counts 工作日, so a station that opens on weekends does not shorten the
/// owner's deadline.
pub(crate) async fn calendar_of(
    c: &mut AnyConnection,
    station_id: i64,
) -> AppResult<WorkingCalendar> {
    let plan = crate::calendar::load_plan(c).await?;
    let tz = crate::calendar::station_zone(c, station_id).await?;
    let day = Some((
        jiff::civil::time(9, 0, 0, 0),
        jiff::civil::time(17, 0, 0, 0),
    ));
    let hours = domain::calendar::OpeningHours::new([day, day, day, day, day, None, None])
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(WorkingCalendar::new(plan, hours, tz))
}

fn invalid(v: Violation) -> AppError {
    AppError::Invalid(Violations::from(v))
}

/// A rule of the vehicle's recorded state refuses the request (409).
fn refused(v: Violation) -> AppError {
    AppError::Refused(Violations::from(v))
}

/// The kinds of request a consumer may file (`RequestKind`): a replacement or a refund.
fn request_kind_schema() -> utoipa::openapi::Object {
    crate::schema::code_list(&["replacement", "refund"])
}

/// The start (local midnight) of a day in the calendar's zone, UTC ms.
fn day_start(cal: &WorkingCalendar, day: Date) -> AppResult<i64> {
    cal.instant(day.to_datetime(jiff::civil::Time::midnight()))
        .map(|t| t.as_millisecond())
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Arms the warning and escalation timers of the deadline `due` for `stage`.
async fn arm_deadline(
    tx: &mut AnyConnection,
    cal: &WorkingCalendar,
    id: i64,
    stage: &str,
    due: Date,
    now: i64,
) -> AppResult<()> {
    let after = due
        .tomorrow()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    for (what, at) in [
        ("warn", day_start(cal, due)?),
        ("escalate", day_start(cal, after)?),
    ] {
        let key = format!("{KIND}:{id}:{stage}:{what}");
        let payload = serde_json::json!({"request_id": id, "stage": stage, "what": what});
        crate::job::arm(tx, &key, KIND, at, &payload, now).await?;
    }
    Ok(())
}

async fn disarm_deadline(tx: &mut AnyConnection, id: i64, stage: &str, now: i64) -> AppResult<()> {
    for what in ["warn", "escalate"] {
        crate::job::disarm(tx, &format!("{KIND}:{id}:{stage}:{what}"), now).await?;
    }
    Ok(())
}

/// Files a request for a vehicle within reach, citing one of its rights. Needs
/// `VehicleWrite` (the hotline agent, the advisor).
pub async fn file(
    app: &App,
    grant: &Grant,
    vehicle_id: i64,
    input: &FileInput,
) -> AppResult<RequestView> {
    expect(grant, Action::VehicleWrite)?;
    file_for(app, grant, vehicle_id, input, "agent").await
}

/// Files a request as the owner of the vehicle (the owner's phone page). Needs an
/// owner's grant reaching the vehicle.
pub async fn file_as_owner(
    app: &App,
    grant: &Grant,
    vehicle_id: i64,
    input: &FileInput,
) -> AppResult<RequestView> {
    let Reach::Customer(cid) = *grant.reach() else {
        return Err(AppError::Forbidden);
    };
    let mut c = conn(app).await?;
    let v = store::vehicle::get(&mut c, &Reach::All, vehicle_id).await?;
    if v.owner_id != cid.get() {
        return Err(AppError::NotFound);
    }
    drop(c);
    file_for(app, grant, vehicle_id, input, "owner").await
}

async fn file_for(
    app: &App,
    grant: &Grant,
    vehicle_id: i64,
    input: &FileInput,
    channel: &'static str,
) -> AppResult<RequestView> {
    let mut v = Violations::new();
    let kind = text(&mut v, "kind", &input.kind, 20);
    let article = text(&mut v, "article", &input.article, 20);
    let subject = text(&mut v, "subject", &input.subject, 200);
    v.into_result()?;
    let (Some(kind), Some(article), Some(subject)) = (kind, article, subject) else {
        return Err(invalid(Violation::new("kind", "required")));
    };
    let kind = match kind.as_str() {
        "replacement" => RequestKind::Replacement,
        "refund" => RequestKind::Refund,
        _ => {
            return Err(invalid(
                Violation::new("kind", "guarantee.request_kind").with_detail("art24"),
            ));
        }
    };
    let now = app.now_ms();
    let (row, cal) = {
        let mut c = conn(app).await?;
        let reach = if channel == "owner" {
            Reach::All
        } else {
            *grant.reach()
        };
        let veh = store::vehicle::get(&mut c, &reach, vehicle_id).await?;
        let station_id = veh.station_id;
        let h = history::load(&mut c, veh).await?;
        let at = ts(now)?;
        let a = assess_at(&h, at);
        let today = h.tz.to_datetime(at).date();
        let Some(cited) = a
            .rights
            .iter()
            .find(|r| r.article.cite() == article && r.subject == subject)
        else {
            return Err(refused(
                Violation::new("right", "guarantee.right_not_arisen").with_detail(article),
            ));
        };
        if !h.coverage.in_sanbao(today, h.odometer_km) {
            return Err(refused(
                Violation::new("filed_on", "guarantee.request_outside_period")
                    .with_detail(format!("art24 {}", h.coverage.sanbao_until)),
            ));
        }
        let cal = calendar_of(&mut c, station_id).await?;
        let req =
            Request::file(kind, cited, &a.rights, today, &cal).map_err(|e| refused(e.into()))?;
        let row = RequestRow {
            id: 0,
            vehicle_id,
            station_id,
            kind: match kind {
                RequestKind::Replacement => "replacement".into(),
                RequestKind::Refund => "refund".into(),
            },
            article: article.clone(),
            subject: subject.clone(),
            filed_on: req.filed_on.to_string(),
            answer_by: req.answer_by.to_string(),
            state: "filed".into(),
            state_json: to_json(&req)?.to_string(),
            channel: channel.into(),
            usage_charge_fen: None,
            replacement_vehicle_id: None,
        };
        (row, cal)
    };
    let answer_by: Date = row
        .answer_by
        .parse()
        .map_err(|_| AppError::Internal("answer_by".into()))?;
    let today: Date = row
        .filed_on
        .parse()
        .map_err(|_| AppError::Internal("filed_on".into()))?;
    let (row_ref, cal_ref) = (&row, &cal);
    let id = crate::transaction::run(app, "guarantee.file_request", move |mut tx| async move {
        let id =
            store::guarantee::request::insert(&mut tx, row_ref, Some(grant.principal().id), now)
                .await?;
        arm_deadline(&mut tx, cal_ref, id, "answer", answer_by, now).await?;
        let data = serde_json::json!({
            "vehicle_id": row_ref.vehicle_id, "kind": row_ref.kind, "article": row_ref.article,
            "subject": row_ref.subject, "answer_by": row_ref.answer_by, "channel": row_ref.channel,
        });
        store::event::record(
            &mut tx,
            now,
            actor(grant),
            ENTITY,
            id,
            "guarantee_request_filed",
            &data,
            None,
        )
        .await?;
        store::event::record(
            &mut tx,
            now,
            actor(grant),
            "vehicle",
            row_ref.vehicle_id,
            "guarantee_request_filed",
            &serde_json::json!({"request_id": id}),
            None,
        )
        .await?;
        Ok((tx, id))
    })
    .await?;
    app.wake_jobs();
    view_of(&RequestRow { id, ..row }, today)
}

/// A vehicle's requests, oldest first. Needs `RepairOrderRead` with the vehicle within reach.
pub async fn of_vehicle(app: &App, grant: &Grant, vehicle_id: i64) -> AppResult<Vec<RequestView>> {
    expect(grant, Action::RepairOrderRead)?;
    let mut c = conn(app).await?;
    let veh = store::vehicle::get(&mut c, grant.reach(), vehicle_id).await?;
    let tz = crate::calendar::station_zone(&mut c, veh.station_id).await?;
    let today = tz.to_datetime(ts(app.now_ms())?).date();
    store::guarantee::request::of_vehicle(&mut c, veh.id)
        .await?
        .iter()
        .map(|r| view_of(r, today))
        .collect()
}

/// Takes a step on a request: accept (the 20-day performance deadline starts),
/// refuse (with a reason) or perform (with the Art 27 usage charge when a price is
/// given). Needs `VehicleWrite` with the vehicle within reach.
pub async fn step(app: &App, grant: &Grant, id: i64, input: &StepInput) -> AppResult<RequestView> {
    expect(grant, Action::VehicleWrite)?;
    let mut v = Violations::new();
    let step = text(&mut v, "step", &input.step, 20);
    let reason = opt_text(&mut v, "reason", &input.reason, 1000).flatten();
    let price = match &input.price_fen {
        Loose::Null => None,
        p => int(&mut v, "price_fen", p, 0, 100_000_000_000),
    };
    let km = match &input.km_driven {
        Loose::Null => None,
        p => int(&mut v, "km_driven", p, 0, 10_000_000),
    };
    let coef = match &input.coefficient_bp {
        Loose::Null => None,
        p => int(&mut v, "coefficient_bp", p, 0, 10_000),
    };
    let new_car = replacement::parse(&mut v, input);
    v.into_result()?;
    let Some(step) = step else {
        return Err(invalid(Violation::new("step", "required")));
    };
    let now = app.now_ms();
    let (step, reason, new_car) = (&step, &reason, &new_car);
    let (row, today) = crate::transaction::run(app, "guarantee.request_step", move |mut tx| async move {
        let mut row = store::guarantee::request::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
        store::vehicle::get(&mut tx, grant.reach(), row.vehicle_id).await?;
        let cal = calendar_of(&mut tx, row.station_id).await?;
        let today = cal.local(ts(now)?).date();
        let mut req: Request = rebuild(serde_json::from_str(&row.state_json).map_err(|e| AppError::Internal(e.to_string()))?)?;
        let from = row.state.clone();
        let mut linked: Option<replacement::Linked> = None;
        let bad = |e: domain::guarantee::request::RequestError| invalid(e.into());
        match step.as_str() {
            "accept" => {
                req.accept(today, &cal).map_err(bad)?;
                disarm_deadline(&mut tx, id, "answer", now).await?;
                if let RequestState::Accepted { perform_by, .. } = &req.state {
                    arm_deadline(&mut tx, &cal, id, "perform", *perform_by, now).await?;
                }
            }
            "refuse" => {
                req.refuse(today, reason.as_deref().unwrap_or("")).map_err(bad)?;
                disarm_deadline(&mut tx, id, "answer", now).await?;
            }
            "perform" => {
                req.perform(today).map_err(bad)?;
                disarm_deadline(&mut tx, id, "perform", now).await?;
                let car = replacement::register(&mut tx, grant, &row, new_car, today, now).await?;
                row.replacement_vehicle_id = car.as_ref().map(|c| c.vehicle_id);
                linked = car;
                if let (Some(p), Some(k)) = (price, km) {
                    let c = u32::try_from(coef.unwrap_or(0)).unwrap_or(0);
                    let k = u32::try_from(k).unwrap_or(u32::MAX);
                    let charge = usage_charge(Money::from_fen(p), k, c).map_err(bad)?;
                    row.usage_charge_fen = Some(charge.fen());
                }
            }
            _ => return Err(invalid(Violation::new("step", "guarantee.request_step"))),
        }
        row.state = state_name(&req.state).into();
        row.state_json = to_json(&req)?.to_string();
        if !store::guarantee::request::update_state(&mut tx, &row, &from, now).await? {
            return Err(invalid(Violation::new("state", "guarantee.request_state").with_detail("art25")));
        }
        let mut data = serde_json::json!({"step": step, "reason": reason, "state": to_json(&req.state)?, "usage_charge_fen": row.usage_charge_fen});
        if let Some(car) = &linked {
            data["new_vin"] = serde_json::Value::from(car.vin.clone());
            data["new_sanbao_until"] = serde_json::Value::from(car.coverage.sanbao_until.to_string());
            data["new_warranty_until"] = serde_json::Value::from(car.coverage.warranty_until.to_string());
        }
        let kind = match step.as_str() {
            "accept" => "guarantee_request_accepted",
            "refuse" => "guarantee_request_refused",
            _ => "guarantee_request_performed",
        };
        store::event::record(&mut tx, now, actor(grant), ENTITY, id, kind, &data, None).await?;
        Ok((tx, (row, today)))
    })
    .await?;
    view_of(&row, today)
}

/// The deadline timer: on its last day a warning, the day after an escalation, each an
/// event on the request's timeline (and a counter on /metrics), while the request is
/// still waiting for that step.
#[derive(Debug, Clone, Copy)]
pub struct Due;

impl Handler for Due {
    fn inside<'a>(
        &'a self,
        ctx: &'a Ctx,
        conn: &'a mut AnyConnection,
        job: &'a Claimed,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let v: serde_json::Value =
                serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
            let id = v["request_id"].as_i64().ok_or("no request_id")?;
            let stage = v["stage"].as_str().unwrap_or("answer");
            let what = v["what"].as_str().unwrap_or("warn");
            let Some(row) = store::guarantee::request::get(conn, id)
                .await
                .map_err(|e| e.to_string())?
            else {
                return Ok(());
            };
            let waiting = matches!(
                (stage, row.state.as_str()),
                ("answer", "filed") | ("perform", "accepted")
            );
            if !waiting {
                return Ok(());
            }
            let kind = if what == "warn" {
                "guarantee_request_due_today"
            } else {
                "guarantee_request_overdue"
            };
            let system = store::event::Actor {
                role: "system",
                id: 0,
                kind: "system",
            };
            let now = ctx.app.now_ms();
            store::event::record(
                conn,
                now,
                system,
                ENTITY,
                id,
                kind,
                &serde_json::json!({"stage": stage}),
                None,
            )
            .await
            .map_err(|e| e.to_string())?;
            if what == "escalate" {
                metrics::counter!("guarantee_requests_overdue_total").increment(1);
                tracing::warn!(
                    request = id,
                    stage,
                    "three guarantees: a request's deadline has passed"
                );
            }
            Ok(())
        })
    }
}
