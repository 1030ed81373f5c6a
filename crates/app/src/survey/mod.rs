//! Callback surveys (回访, issue 11): questionnaires, invitations (after each delivery
//! and in the monthly sample), answers from the owner's phone page or the call
//! centre, hot alerts and the CSI/NPS figures.
//!
//! Split by concept: this file holds the questionnaire and the invitation itself
//! (created on the job machinery, sent through the outbox with a one-time link);
//! [`answer`] records answers, refusals and unreachable calls; [`alert`] the hot
//! alerts with their timers and the turn into a complaint; [`sample`] the monthly
//! batch; [`report`] the figures. `answer` uses `alert` to open an alert, never the
//! other way round.

pub mod alert;
pub mod answer;
pub mod report;
pub mod sample;

use crate::job::handler::{BoxFuture, Ctx, Handler, Outcome};
use crate::network::expect;
use crate::{App, AppError, AppResult, conn};
use domain::Violation;
use domain::permission::{Action, Grant, Reach};
use domain::privacy::consent::ConsentPurpose;
use domain::survey::{self as rules, Question, Questionnaire, Reason};
use serde::Serialize;
use sqlx::AnyConnection;
use std::collections::HashMap;
use store::job::Claimed;

pub use store::survey::InvitationRow;
pub use store::survey::alert::AlertRow;

/// The action that reads surveys, alerts and figures.
pub const READ: Action = Action::SurveyRead;
/// The action that records calls and works alerts.
pub const WRITE: Action = Action::SurveyWrite;
/// The action that publishes questionnaires and runs the monthly sample.
pub const POLICY: Action = Action::SurveyPolicy;

/// The job that invites the customer of a delivered order.
pub const AFTER_DELIVERY_KIND: &str = "survey.after_delivery";

/// Days in ms.
const DAY_MS: i64 = 86_400_000;

/// The China offset: quiet hours are counted in local time.
fn china() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("Asia/Shanghai")
        .unwrap_or_else(|_| jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
}

/// Queues the survey of a delivered order on the delivering transaction (the one
/// hook in `repair_order::complete_stage`). The job is keyed by the order, so a
/// repeated delivery queues nothing twice.
pub async fn after_delivery(conn: &mut AnyConnection, order_id: i64, now: i64) -> AppResult<()> {
    crate::job::enqueue(
        conn,
        AFTER_DELIVERY_KIND,
        Some(&format!("survey.delivery:{order_id}")),
        &serde_json::json!({ "repair_order_id": order_id }),
        now,
        now,
    )
    .await?;
    Ok(())
}

/// The `survey.after_delivery` job: invites the order's customer.
pub struct AfterDelivery;

impl Handler for AfterDelivery {
    fn inside<'a>(
        &'a self,
        ctx: &'a Ctx,
        conn: &'a mut AnyConnection,
        job: &'a Claimed,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let v: serde_json::Value =
                serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
            let id = v["repair_order_id"].as_i64().ok_or("no repair_order_id")?;
            let made = invite_delivery(conn, id, ctx.app.now_ms())
                .await
                .map_err(|e| e.to_string())?;
            if let Some(inv) = made.filter(|_| ctx.app.settings.log_codes) {
                // Demo and development only (like owners' sign-in codes): the link
                // otherwise travels only in the message, which is redacted once sent.
                tracing::info!(
                    invitation = inv.id,
                    repair_order = id,
                    link = %format!("/owner/survey/{}", inv.token),
                    "survey link (log_codes is on)"
                );
            }
            Ok(())
        })
    }
}

/// Invites the customer of delivered order `order_id`; `None` when they gave no
/// survey consent or were invited for this order already.
pub async fn invite_delivery(
    conn: &mut AnyConnection,
    order_id: i64,
    now: i64,
) -> AppResult<Option<Invited>> {
    let order = store::repair_order::get(conn, &Reach::All, order_id).await?;
    let delivered = order.delivered_at.unwrap_or(now);
    invite(
        conn,
        Invite {
            customer_id: order.customer_id,
            vehicle_id: Some(order.vehicle_id),
            repair_order_id: Some(order_id),
            station_id: order.station_id,
            reason: Reason::Delivery,
            sample_month: None,
            due_at: delivered + rules::DELIVERY_DUE_DAYS * DAY_MS,
        },
        now,
    )
    .await
}

/// Who to invite, for which station and why.
#[derive(Debug, Clone)]
pub struct Invite {
    /// Customer.
    pub customer_id: i64,
    /// The car.
    pub vehicle_id: Option<i64>,
    /// The delivered order.
    pub repair_order_id: Option<i64>,
    /// Station.
    pub station_id: i64,
    /// Why.
    pub reason: Reason,
    /// The month of a monthly sample.
    pub sample_month: Option<String>,
    /// Due by, UTC ms.
    pub due_at: i64,
}

/// An invitation made: its id and the one-time token (only its hash is stored; the
/// token itself travels only in the message).
#[derive(Debug, Clone)]
pub struct Invited {
    /// Invitation id.
    pub id: i64,
    /// The one-time link's token.
    pub token: String,
}

/// Creates an invitation on the caller's transaction and sends the one-time link
/// through the outbox (WeChat for owners who chose it, else SMS), outside the
/// customer's quiet hours (their own, else 21:00–09:00). Nobody without a yes for
/// surveys in the consent ledger is invited; an existing invitation for the same
/// order or month makes this a no-op.
pub(crate) async fn invite(
    conn: &mut AnyConnection,
    i: Invite,
    now: i64,
) -> AppResult<Option<Invited>> {
    invite_with(conn, i, now, &mut InviteCache::default()).await
}

/// What inviting reads that stays the same across a batch's invitations (the monthly
/// sample's 5,000): the current questionnaire and the stations' names and regions,
/// and, once [`InviteCache::prefetch`] has run, who of the batch consents and how
/// to reach them. Why: read once per invitation they were five of its seven
/// statements.
#[derive(Default)]
pub(crate) struct InviteCache {
    questionnaire: Option<Questionnaire>,
    stations: HashMap<i64, store::network::Station>,
    /// The batch's customers who said yes to surveys, with their contact.
    consenting: Option<HashMap<i64, store::customer::Contact>>,
}

impl InviteCache {
    /// Reads, for all of `customers` at once, who said yes to surveys (the latest
    /// ledger entry, as [`crate::privacy::consent::allows_now`] asks it) and how to
    /// reach them. In the batch's transaction, just before its invitations; the
    /// outbox checks consent again when it sends.
    pub(crate) async fn prefetch(
        &mut self,
        conn: &mut AnyConnection,
        customers: &[i64],
    ) -> AppResult<()> {
        let purpose = ConsentPurpose::Surveys.code();
        let ready = store::customer::consenting_contacts(conn, customers, purpose).await?;
        self.consenting = Some(ready);
        Ok(())
    }
}

/// [`invite`], reading what `cache` holds from it (and filling it).
pub(crate) async fn invite_with(
    conn: &mut AnyConnection,
    i: Invite,
    now: i64,
    cache: &mut InviteCache,
) -> AppResult<Option<Invited>> {
    let known = match &cache.consenting {
        Some(ready) => match ready.get(&i.customer_id) {
            Some(contact) => Some(contact.clone()),
            None => return Ok(None),
        },
        None => {
            let purpose = ConsentPurpose::Surveys;
            if !crate::privacy::consent::allows_now(conn, i.customer_id, purpose).await? {
                return Ok(None);
            }
            None
        }
    };
    let q = match &cache.questionnaire {
        Some(q) => q.clone(),
        None => {
            let q = ensure_questionnaire(conn, now).await?;
            cache.questionnaire = Some(q.clone());
            q
        }
    };
    let station = match cache.stations.get(&i.station_id) {
        Some(s) => s.clone(),
        None => {
            let s = store::network::station(conn, &Reach::All, i.station_id).await?;
            cache.stations.insert(i.station_id, s.clone());
            s
        }
    };
    let token = crate::auth::new_secret();
    let hash = crate::auth::hash_secret(&token);
    let Some(id) = store::survey::insert(
        conn,
        &store::survey::NewInvitation {
            customer_id: i.customer_id,
            vehicle_id: i.vehicle_id,
            repair_order_id: i.repair_order_id,
            station_id: i.station_id,
            region_id: station.region_id,
            reason: i.reason.code(),
            sample_month: i.sample_month.as_deref(),
            version: i64::from(q.version),
            token_hash: &hash,
            expires_at: now + rules::LINK_VALID_DAYS * DAY_MS,
            due_at: i.due_at,
        },
        now,
    )
    .await?
    else {
        return Ok(None);
    };
    let contact = match known {
        Some(contact) => contact,
        None => store::customer::contact(conn, i.customer_id).await?,
    };
    let send_at = outside_quiet_hours(now, contact.quiet_hours.as_deref());
    store::outbox::enqueue(
        conn,
        &format!("survey:{id}"),
        crate::notify::owner_link_channel(&contact.channel),
        &contact.phone,
        Some(i.customer_id),
        "survey_invitation",
        &serde_json::json!({
            "invitation_id": id, "station": station.name_zh, "link": format!("/owner/survey/{token}"),
        }),
        send_at,
    )
    .await?;
    metrics::counter!("survey_invitations_total", "reason" => i.reason.code()).increment(1);
    Ok(Some(Invited { id, token }))
}

/// The first instant at or after `now` outside the customer's quiet hours (stored as
/// `22:00-08:00`; none stored: the survey default 21:00–09:00), China time.
pub fn outside_quiet_hours(now: i64, stored: Option<&str>) -> i64 {
    let quiet = stored
        .and_then(|q| domain::customer::QuietHours::parse(q).ok())
        .map(|q| rules::sampling::QuietHours {
            from: q.from,
            until: q.to,
        })
        .unwrap_or_default();
    let Ok(ts) = jiff::Timestamp::from_millisecond(now) else {
        return now;
    };
    let tz = china();
    let local = ts.to_zoned(tz.clone()).datetime();
    let next = quiet.next_allowed(local);
    if next == local {
        return now;
    }
    next.to_zoned(tz)
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or(now)
}

/// The current questionnaire, publishing the default (version 1) when none exists.
pub(crate) async fn ensure_questionnaire(
    conn: &mut AnyConnection,
    now: i64,
) -> AppResult<Questionnaire> {
    if let Some(row) = store::survey::current_questionnaire(conn).await? {
        return parse_row(&row);
    }
    let q = rules::default::questionnaire().map_err(|v| AppError::Internal(format!("{v:?}")))?;
    let body =
        serde_json::to_string(q.questions()).map_err(|e| AppError::Internal(e.to_string()))?;
    match store::survey::insert_questionnaire(conn, i64::from(q.version), &body, 0, now).await {
        Ok(()) | Err(store::StoreError::Duplicate(_)) => Ok(q),
        Err(e) => Err(e.into()),
    }
}

/// The current questionnaire without publishing one (read-only callers).
pub(crate) async fn ensure_questionnaire_read(
    conn: &mut AnyConnection,
) -> AppResult<Option<Questionnaire>> {
    store::survey::current_questionnaire(conn)
        .await?
        .as_ref()
        .map(parse_row)
        .transpose()
}

/// A stored version as the domain's checked questionnaire.
pub(crate) fn parse_row(row: &store::survey::QuestionnaireRow) -> AppResult<Questionnaire> {
    let qs: Vec<Question> =
        serde_json::from_str(&row.body).map_err(|e| AppError::Internal(e.to_string()))?;
    let version = i32::try_from(row.version).map_err(|e| AppError::Internal(e.to_string()))?;
    Questionnaire::new(version, qs).map_err(|v| AppError::Internal(format!("{v:?}")))
}

/// A stored version by number.
pub(crate) async fn version(conn: &mut AnyConnection, v: i64) -> AppResult<Questionnaire> {
    let row = store::survey::questionnaire(conn, v)
        .await?
        .ok_or(AppError::NotFound)?;
    parse_row(&row)
}

/// The current questionnaire. Needs [`READ`].
pub async fn current(app: &App, grant: &Grant) -> AppResult<Questionnaire> {
    expect(grant, READ)?;
    let now = app.now_ms();
    crate::transaction::run(
        app,
        "survey.ensure_questionnaire",
        move |mut tx| async move {
            let q = ensure_questionnaire(&mut tx, now).await?;
            Ok((tx, q))
        },
    )
    .await
}

/// Publishes a new version: the next number, the questions checked by the domain
/// (12–15, every factor, one recommend question, weights summing to 100 %). A bad
/// version is 422 naming the rule, nothing stored. Needs [`POLICY`].
pub async fn publish(
    app: &App,
    grant: &Grant,
    questions: Vec<Question>,
) -> AppResult<Questionnaire> {
    expect(grant, POLICY)?;
    let now = app.now_ms();
    let by = grant.principal().id;
    crate::transaction::run(app, "survey.publish", move |mut tx| {
        let questions = questions.clone();
        async move {
            let cur = ensure_questionnaire(&mut tx, now).await?;
            // Rules across the questions (keys once, one recommend question, every
            // factor asked, weights summing to 100 %) are what no schema states:
            // refused (409); a question's own rules are the document's (422).
            const ACROSS: [&str; 4] = [
                "survey.key_duplicate",
                "survey.one_recommend",
                "survey.factor_missing",
                "survey.weights_sum",
            ];
            let q = Questionnaire::new(cur.version + 1, questions).map_err(|v| {
                if ACROSS.contains(&v.rule) {
                    AppError::Refused(v.into())
                } else {
                    AppError::Invalid(v.into())
                }
            })?;
            let body = serde_json::to_string(q.questions())
                .map_err(|e| AppError::Internal(e.to_string()))?;
            store::survey::insert_questionnaire(&mut tx, i64::from(q.version), &body, by, now)
                .await?;
            Ok((tx, q))
        }
    })
    .await
}

/// An invitation with the names a list shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InvitationView {
    /// The invitation.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub invitation: InvitationRow,
    /// The customer's name.
    pub customer_name: String,
    /// The station's name.
    pub station_name: String,
    /// Past its due time and still open.
    pub overdue: bool,
}

/// Filters of the invitation list, as asked.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// One station.
    pub station_id: Option<i64>,
    /// A state code (empty: every state).
    #[param(schema_with = state_codes)]
    pub state: Option<String>,
    /// A reason code (empty: both).
    #[param(schema_with = reason_codes)]
    pub reason: Option<String>,
}

/// The invitation states as an OpenAPI enum, the empty value meaning "all".
pub fn state_codes() -> utoipa::openapi::Object {
    let mut v: Vec<&'static str> = rules::State::ALL.iter().map(|s| s.code()).collect();
    v.push("");
    crate::schema::code_list(&v)
}

/// The invitation reasons as an OpenAPI enum, the empty value meaning "both".
pub fn reason_codes() -> utoipa::openapi::Object {
    let mut v: Vec<&'static str> = Reason::ALL.iter().map(|s| s.code()).collect();
    v.push("");
    crate::schema::code_list(&v)
}

/// The unreachable reasons as an OpenAPI enum.
pub fn unreachable_codes() -> utoipa::openapi::Object {
    let v: Vec<&'static str> = rules::UnreachableReason::ALL
        .iter()
        .map(|s| s.code())
        .collect();
    crate::schema::code_list(&v)
}

/// Invitations within reach, newest first (at most 200). An unknown state or reason
/// code is 422 naming the field. Needs [`READ`].
pub async fn list(app: &App, grant: &Grant, q: &ListQuery) -> AppResult<Vec<InvitationView>> {
    expect(grant, READ)?;
    let mut v = domain::Violations::new();
    let state = q
        .state
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .and_then(|s| v.field("state", rules::State::parse(s)));
    let reason = q
        .reason
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .and_then(|s| v.field("reason", Reason::parse(s)));
    v.into_result()?;
    let mut c = conn(app).await?;
    let rows = store::survey::list(
        &mut c,
        grant.reach(),
        &store::survey::Filter {
            station_id: q.station_id.filter(|s| *s > 0),
            state: state.map(|s| s.code()),
            reason: reason.map(|r| r.code()),
            customer_id: None,
        },
        200,
    )
    .await?;
    let now = app.now_ms();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(view(&mut c, r, now).await?);
    }
    Ok(out)
}

async fn view(c: &mut AnyConnection, r: InvitationRow, now: i64) -> AppResult<InvitationView> {
    let customer_name = store::customer::get(c, &Reach::All, r.customer_id)
        .await
        .map(|x| x.name)
        .unwrap_or_default();
    let station_name = store::network::station(c, &Reach::All, r.station_id)
        .await
        .map(|s| s.name_zh)
        .unwrap_or_default();
    let open = rules::State::from_code(&r.state).is_some_and(|s| s.is_open());
    Ok(InvitationView {
        overdue: open && r.due_at < now,
        invitation: r,
        customer_name,
        station_name,
    })
}

/// One invitation within reach with names. Needs [`READ`].
pub async fn get(app: &App, grant: &Grant, id: i64) -> AppResult<InvitationView> {
    expect(grant, READ)?;
    let mut c = conn(app).await?;
    let r = store::survey::get(&mut c, grant.reach(), id).await?;
    view(&mut c, r, app.now_ms()).await
}

/// The refusal of a closed invitation.
pub(crate) fn closed() -> AppError {
    AppError::Refused(Violation::new("invitation", "survey.closed").into())
}
