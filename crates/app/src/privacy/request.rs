//! The owner's correction and deletion requests (PIPL Arts 46, 47, 50): the owner
//! files them on the phone page, head office answers them from a queue before the
//! deadline (15 working days, `domain::privacy::request::due_at`), and a timer on the
//! job machinery escalates those still open when due. A completed deletion erases
//! every class without a legal hold and records, per class, what was kept and why.
//! Every step is one audit row about the customer.

use crate::job::handler::{BoxFuture, Ctx, Handler, Outcome as JobOutcome};
use crate::transaction::run;
use crate::{App, AppError, AppResult, actor, conn};
use domain::permission::{Action, Grant, Reach};
use domain::privacy::request::{
    self as rules, Outcome, RequestEvent, RequestInput, RequestKind, RequestState, Scope,
};
use domain::{Violation, Violations};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use store::audit::AuditRow;
use store::event::Actor;
use store::job::Claimed;
pub use store::privacy::request::RequestRow;

/// The timer kind that escalates a request still open at its deadline.
pub const ESCALATE_KIND: &str = "privacy.request_due";

/// Longest answer head office may give, in characters.
pub const MAX_ANSWER_CHARS: usize = rules::MAX_TEXT_CHARS;

/// The name an anonymised customer carries (`store::privacy::request::erase`).
pub const ERASED_NAME: &str = "—";

fn timer_key(id: i64) -> String {
    format!("{ESCALATE_KIND}:{id}")
}

/// What the owner sends.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = PrivacyRequestInput)]
pub struct FileInput {
    /// `correction` or `deletion`.
    #[serde(default)]
    pub kind: String,
    /// Deletion: the classes to erase (`contact`, `appointments`, `pickups`,
    /// `ratings`, `messages`, `repair_orders`, `bills`, `audit_log`).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Deletion: the ground (`purpose_done`, `consent_withdrawn`, `service_ended`,
    /// `unlawful`, `other`).
    #[serde(default)]
    pub ground: String,
    /// Correction: what is wrong and what is right; deletion with ground `other`: why.
    #[serde(default)]
    pub detail: String,
}

/// What head office sends to answer.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct AnswerInput {
    /// The answer to the owner (required to refuse and to complete a correction).
    #[serde(default)]
    pub answer: String,
}

/// One class of a completed deletion: erased, or kept and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScopeOutcome {
    /// The scope code.
    pub scope: String,
    /// The hold code when kept (`three_guarantees`, `accounting`, `audit`); `None`
    /// when erased.
    pub kept: Option<String>,
}

/// A request as shown to the owner and to head office.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RequestView {
    /// Id.
    pub id: i64,
    /// `correction` or `deletion`.
    pub kind: String,
    /// Scope codes asked for (deletion).
    pub scopes: Vec<String>,
    /// Ground code (deletion).
    pub ground: Option<String>,
    /// The owner's text.
    pub detail: String,
    /// `open`, `escalated`, `done`, `refused`.
    pub state: String,
    /// Filed, UTC ms.
    pub filed_at: i64,
    /// Due, UTC ms.
    pub due_at: i64,
    /// Answered, UTC ms.
    pub answered_at: Option<i64>,
    /// Head office's answer.
    pub answer: Option<String>,
    /// Per class what a completed deletion did.
    pub outcome: Vec<ScopeOutcome>,
    /// The customer's name as head office may see it (masked for the queue); empty
    /// on the owner's own page.
    pub customer: String,
}

impl RequestView {
    fn of(r: RequestRow, customer: String) -> RequestView {
        RequestView {
            id: r.id,
            kind: r.kind,
            scopes: r
                .scopes
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            ground: r.ground,
            detail: r.detail,
            state: r.state,
            filed_at: r.filed_at,
            due_at: r.due_at,
            answered_at: r.answered_at,
            answer: r.answer,
            outcome: r
                .outcome
                .as_deref()
                .and_then(|o| serde_json::from_str(o).ok())
                .unwrap_or_default(),
            customer,
        }
    }
}

fn own_customer(grant: &Grant) -> AppResult<i64> {
    crate::network::expect(grant, Action::OwnDataExport)?;
    match grant.reach() {
        Reach::Customer(c) => Ok(c.get()),
        _ => Err(AppError::Forbidden),
    }
}

async fn audit(
    tx: &mut AnyConnection,
    now: i64,
    who: Actor<'_>,
    action: &str,
    customer_id: i64,
    reason: &str,
) -> AppResult<()> {
    let row = AuditRow {
        action,
        entity: "customer",
        entity_id: customer_id,
        field: "privacy_request",
        reason,
        row_count: None,
    };
    store::audit::insert(tx, now, who, row).await?;
    Ok(())
}

/// The signed-in owner files a request. Every broken rule is answered at once
/// (422, naming the field): a deletion only of records under a legal hold is
/// `privacy.legal_hold` on `scopes` with the held classes, and is audited; nothing
/// is stored.
pub async fn file(app: &App, grant: &Grant, input: &FileInput) -> AppResult<RequestView> {
    let cid = own_customer(grant)?;
    let typed = RequestInput {
        kind: &input.kind,
        scopes: input.scopes.iter().map(String::as_str).collect(),
        ground: &input.ground,
        detail: &input.detail,
    };
    let filed = match rules::file(&typed) {
        Ok(f) => f,
        Err(v) => {
            if v.0.iter().any(|x| x.rule == "privacy.legal_hold") {
                super::record_attempt(
                    app,
                    grant,
                    "privacy_request_refused",
                    "customer",
                    cid,
                    "privacy_request",
                    "legal_hold",
                )
                .await?;
            }
            return Err(AppError::Invalid(v));
        }
    };
    let now = app.now_ms();
    let due = rules::due_at(now);
    let scopes: Vec<&str> = filed.scopes.iter().map(|s| s.code()).collect();
    let scopes = scopes.join(",");
    let new = store::privacy::request::NewRequest {
        customer_id: cid,
        kind: filed.kind.code(),
        scopes: &scopes,
        ground: filed.ground.map(|g| g.code()),
        detail: &filed.detail,
        filed_at: now,
        due_at: due,
    };
    let who = actor(grant);
    let id = run(app, "privacy.request_file", move |mut tx| async move {
        let id = store::privacy::request::insert(&mut tx, &new).await?;
        crate::job::arm(
            &mut tx,
            &timer_key(id),
            ESCALATE_KIND,
            due,
            &serde_json::json!({ "request_id": id }),
            now,
        )
        .await?;
        let reason = format!("{}#{id}", new.kind);
        audit(&mut tx, now, who, "privacy_request", cid, &reason).await?;
        Ok((tx, id))
    })
    .await?;
    app.wake_jobs();
    let mut c = conn(app).await?;
    let row = store::privacy::request::get(&mut c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(RequestView::of(row, String::new()))
}

/// The signed-in owner's requests, newest first.
pub async fn mine(app: &App, grant: &Grant) -> AppResult<Vec<RequestView>> {
    let cid = own_customer(grant)?;
    let mut c = conn(app).await?;
    let rows = store::privacy::request::for_customer(&mut c, cid).await?;
    Ok(rows
        .into_iter()
        .map(|r| RequestView::of(r, String::new()))
        .collect())
}

/// Head office's queue: waiting requests, earliest due first, then the latest
/// answered (at most 200). The customer is named masked, as in any list.
pub async fn queue(app: &App, grant: &Grant) -> AppResult<Vec<RequestView>> {
    crate::network::expect(grant, Action::PrivacyRequestHandle)?;
    let mut c = conn(app).await?;
    let rows = store::privacy::request::queue(&mut c, 200).await?;
    named(&mut c, rows).await
}

/// The columns the queue page may be sorted by (see `store`'s whitelist).
pub const REQUEST_ORDERS: &[(&str, &str)] = store::privacy::request::REQUEST_ORDERS;

/// One page of the queue, in the order a person chose from [`REQUEST_ORDERS`] (the
/// queue's own otherwise: waiting first, earliest due first), with the count of all
/// requests.
pub async fn queue_page(
    app: &App,
    grant: &Grant,
    page: crate::Page,
    order: Option<crate::Order>,
) -> AppResult<crate::Paged<RequestView>> {
    crate::network::expect(grant, Action::PrivacyRequestHandle)?;
    let mut c = conn(app).await?;
    let rows = store::privacy::request::queue_page(&mut c, order, page).await?;
    let items = named(&mut c, rows.items).await?;
    Ok(crate::Paged {
        items,
        total: rows.total,
        page: rows.page,
        per_page: rows.per_page,
    })
}

/// The requests with their customer's masked name and phone (nothing left to name
/// once a deletion anonymised the record).
async fn named(
    c: &mut sqlx::AnyConnection,
    rows: Vec<store::privacy::request::RequestRow>,
) -> AppResult<Vec<RequestView>> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let name = match store::customer::get(&mut *c, &Reach::All, r.customer_id).await {
            // Anonymised by a completed deletion: nothing left to name.
            Ok(cust) if cust.name == ERASED_NAME => ERASED_NAME.to_string(),
            Ok(cust) => format!(
                "{} {}",
                domain::privacy::policy::mask(domain::privacy::Field::CustomerName, &cust.name),
                cust.phone
            ),
            Err(_) => String::new(),
        };
        out.push(RequestView::of(r, name));
    }
    Ok(out)
}

fn answer_text(input: &AnswerInput, required: bool) -> AppResult<String> {
    let a = input.answer.trim();
    let mut v = Violations::new();
    if required && a.is_empty() {
        v.push(Violation::new("answer", "privacy.answer_required"));
    }
    if a.chars().count() > MAX_ANSWER_CHARS {
        v.push(Violation::new("answer", "text.length").with_detail(MAX_ANSWER_CHARS.to_string()));
    }
    v.into_result().map_err(AppError::Invalid)?;
    Ok(a.to_string())
}

async fn answer(
    app: &App,
    grant: &Grant,
    id: i64,
    event: RequestEvent,
    input: &AnswerInput,
) -> AppResult<RequestView> {
    crate::network::expect(grant, Action::PrivacyRequestHandle)?;
    let now = app.now_ms();
    let who = actor(grant);
    let by = grant.principal().id;
    let mut c = conn(app).await?;
    let row = store::privacy::request::get(&mut c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(c);
    let kind = RequestKind::from_code(&row.kind)
        .ok_or_else(|| AppError::Internal(format!("unknown request kind {}", row.kind)))?;
    let required = event == RequestEvent::Refuse || kind == RequestKind::Correction;
    let text = answer_text(input, required)?;
    let state = RequestState::from_code(&row.state)
        .ok_or_else(|| AppError::Internal(format!("unknown request state {}", row.state)))?;
    let to = rules::transition(state, event).ok_or_else(|| {
        AppError::Refused(Violation::new("state", "privacy.request_answered").into())
    })?;
    let scopes: Vec<Scope> = row.scopes.split(',').filter_map(Scope::from_code).collect();
    let outcomes = if event == RequestEvent::Complete && kind == RequestKind::Deletion {
        rules::outcomes(&scopes)
    } else {
        Vec::new()
    };
    let outcome_json = serde_json::to_string(
        &outcomes
            .iter()
            .map(|(s, o)| ScopeOutcome {
                scope: s.code().into(),
                kept: match o {
                    Outcome::Erased => None,
                    Outcome::Kept(h) => Some(h.code().into()),
                },
            })
            .collect::<Vec<_>>(),
    )
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let cid = row.customer_id;
    let (text, outcome_json, outcomes) = (&text, &outcome_json, &outcomes);
    run(app, "privacy.request_answer", move |mut tx| async move {
        let moved = store::privacy::request::set_state(
            &mut tx,
            id,
            &["open", "escalated"],
            to.code(),
            now,
            Some((text, by, outcome_json)),
        )
        .await?;
        if !moved {
            return Err(AppError::Refused(
                Violation::new("state", "privacy.request_answered").into(),
            ));
        }
        // Where to tell the owner, read before an erasure removes it.
        let contact = super::answered::contact(&mut tx, cid).await?;
        let mut erased = Vec::new();
        for (scope, o) in outcomes {
            if *o == Outcome::Erased {
                let n = store::privacy::request::erase(&mut tx, cid, *scope, now).await?;
                erased.push(format!("{}={n}", scope.code()));
                if *scope == Scope::Contact {
                    let w =
                        super::answered::withdraw_on_erasure(&mut tx, now, who, cid, id).await?;
                    erased.push(format!("consent_withdrawn={w}"));
                }
            }
        }
        super::answered::notify_owner(&mut tx, &contact, cid, id, kind.code(), to.code(), now)
            .await?;
        crate::job::disarm(&mut tx, &timer_key(id), now).await?;
        let reason = format!("{}#{id} {}", to.code(), erased.join(","));
        audit(
            &mut tx,
            now,
            who,
            "privacy_request_answered",
            cid,
            reason.trim(),
        )
        .await?;
        Ok((tx, ()))
    })
    .await?;
    let mut c = conn(app).await?;
    let row = store::privacy::request::get(&mut c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(RequestView::of(row, String::new()))
}

/// Head office carries a request out: a deletion erases every class without a legal
/// hold (contact details always) and records what was kept and why; a correction is
/// made on the customer's record as usual and answered here with what was changed.
pub async fn complete(
    app: &App,
    grant: &Grant,
    id: i64,
    input: &AnswerInput,
) -> AppResult<RequestView> {
    answer(app, grant, id, RequestEvent::Complete, input).await
}

/// Head office refuses a request, saying why (required: field `answer`).
pub async fn refuse(
    app: &App,
    grant: &Grant,
    id: i64,
    input: &AnswerInput,
) -> AppResult<RequestView> {
    answer(app, grant, id, RequestEvent::Refuse, input).await
}

/// The deadline timer: a request still open escalates (head office's queue shows it
/// first and marked; the log and /metrics say so).
#[derive(Debug, Clone, Copy)]
pub struct Escalate;

impl Handler for Escalate {
    fn inside<'a>(
        &'a self,
        ctx: &'a Ctx,
        conn: &'a mut AnyConnection,
        job: &'a Claimed,
    ) -> BoxFuture<'a, JobOutcome> {
        Box::pin(async move {
            let v: serde_json::Value =
                serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
            let id = v["request_id"].as_i64().ok_or("no request_id")?;
            let now = ctx.app.now_ms();
            let Some(row) = store::privacy::request::get(conn, id)
                .await
                .map_err(|e| e.to_string())?
            else {
                return Ok(());
            };
            let moved =
                store::privacy::request::set_state(conn, id, &["open"], "escalated", now, None)
                    .await
                    .map_err(|e| e.to_string())?;
            if moved {
                let system = Actor {
                    role: "system",
                    id: 0,
                    kind: "system",
                };
                audit(
                    conn,
                    now,
                    system,
                    "privacy_request_escalated",
                    row.customer_id,
                    &format!("#{id}"),
                )
                .await
                .map_err(|e| e.to_string())?;
                metrics::counter!("privacy_requests_escalated_total").increment(1);
                tracing::warn!(
                    request = id,
                    "privacy: an owner's request is due and not answered"
                );
            }
            Ok(())
        })
    }
}
