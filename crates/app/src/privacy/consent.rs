//! The consent ledger in the use cases: staff read and record a customer's consent
//! per purpose (with the source and its evidence), the owner sees and changes their
//! own on the phone page, and every outbound message asks the ledger at send time
//! ([`refused_at_send`]). Each change is one ledger entry, one audit row (action
//! `consent`, the purpose as the field, the answer and source as the reason) and one
//! event, in one transaction; a refused change writes only its audit row.

use crate::input::Loose;
use crate::network::expect;
use crate::{App, AppError, AppResult, actor, conn};
use domain::permission::{Action, Grant, Reach};
use domain::privacy::consent::{ConsentChange, ConsentPurpose, ConsentSource};
use domain::{Violation, Violations};
use serde::{Deserialize, Serialize};
pub use store::privacy::consent::ConsentEntry;

/// The action that reads a customer's consent (staff).
pub const READ: Action = Action::CustomerRead;
/// The action that records a change of a customer's consent (staff).
pub const WRITE: Action = Action::CustomerWrite;
/// The action under which owners see and change their own consent (their own data).
pub const OWN: Action = Action::OwnDataExport;

/// A change as staff enter it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ConsentInput {
    /// `service_contact`, `marketing`, `surveys` or `data_sharing`.
    #[schema(schema_with = crate::schema::code::<ConsentPurpose>, required = true)]
    pub purpose: Loose,
    /// Given (`true`) or withdrawn (`false`).
    #[schema(value_type = bool, required = true)]
    pub granted: Loose,
    /// Where it came from: `desk` or `call`.
    #[schema(schema_with = staff_source_schema, required = true)]
    pub source: Loose,
    /// What proves it (for a call, the recording's reference, 2 or more characters),
    /// up to 500 characters.
    #[schema(schema_with = crate::schema::opt_line::<{ domain::privacy::consent::EVIDENCE_MAX }>)]
    pub evidence: Loose,
}

/// The sources staff may record by hand ([`ConsentSource::STAFF`]).
fn staff_source_schema() -> utoipa::openapi::Object {
    crate::schema::code_list(&ConsentSource::STAFF.map(ConsentSource::code))
}

/// The current state of one purpose.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PurposeState {
    /// Purpose code.
    pub purpose: String,
    /// Whether it is given now (no entry: not given).
    pub granted: bool,
    /// The latest entry, when there is one.
    #[schema(value_type = Option<Object>)]
    pub latest: Option<ConsentEntry>,
}

/// A customer's consent: the state of each purpose and the whole history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConsentView {
    /// Customer.
    pub customer_id: i64,
    /// Every purpose, in the fixed order.
    pub purposes: Vec<PurposeState>,
    /// Every entry, newest first.
    #[schema(value_type = Vec<Object>)]
    pub history: Vec<ConsentEntry>,
}

fn view(customer_id: i64, mut history: Vec<ConsentEntry>) -> ConsentView {
    let purposes = ConsentPurpose::ALL
        .into_iter()
        .map(|p| {
            let latest = history
                .iter()
                .filter(|e| e.purpose == p.code())
                .max_by_key(|e| e.id)
                .cloned();
            PurposeState {
                purpose: p.code().to_string(),
                granted: latest.as_ref().is_some_and(|e| e.granted),
                latest,
            }
        })
        .collect();
    history.reverse();
    ConsentView {
        customer_id,
        purposes,
        history,
    }
}

/// A customer's consent within reach. Needs [`READ`].
pub async fn of_customer(app: &App, grant: &Grant, customer_id: i64) -> AppResult<ConsentView> {
    expect(grant, READ)?;
    let mut c = conn(app).await?;
    store::customer::get(&mut c, grant.reach(), customer_id).await?;
    let history = store::privacy::consent::for_customer(&mut c, customer_id).await?;
    Ok(view(customer_id, history))
}

fn as_text(l: &Loose) -> String {
    l.as_str().unwrap_or_default().to_string()
}

fn parse(input: &ConsentInput, allowed: &[ConsentSource]) -> Result<ConsentChange, Vec<Violation>> {
    let mut extra = Vec::new();
    let granted = match &input.granted {
        Loose::Bool(b) => Some(*b),
        Loose::Null => None,
        _ => {
            extra.push(Violation::new("granted", "type.boolean"));
            None
        }
    };
    for (name, l) in [
        ("purpose", &input.purpose),
        ("source", &input.source),
        ("evidence", &input.evidence),
    ] {
        if !matches!(l, Loose::Null | Loose::String(_)) {
            extra.push(Violation::new(name, "type.text"));
        }
    }
    let parsed = ConsentChange::parse(
        &as_text(&input.purpose),
        granted,
        &as_text(&input.source),
        &as_text(&input.evidence),
        allowed,
    );
    match parsed {
        Ok(c) if extra.is_empty() => Ok(c),
        Ok(_) => Err(extra),
        Err(mut v) => {
            v.retain(|x| !extra.iter().any(|e| e.field == x.field));
            extra.extend(v);
            Err(extra)
        }
    }
}

/// The reason an audit row gives for a change: `given|withdrawn: source: evidence`.
fn reason(c: &ConsentChange) -> String {
    let what = if c.granted { "given" } else { "withdrawn" };
    if c.evidence.is_empty() {
        format!("{what}: {}", c.source.code())
    } else {
        format!("{what}: {}: {}", c.source.code(), c.evidence)
    }
}

async fn write(app: &App, grant: &Grant, customer_id: i64, c: &ConsentChange) -> AppResult<()> {
    let now = app.now_ms();
    crate::transaction::run(app, "privacy.consent_change", move |mut tx| async move {
    store::customer::get(&mut tx, grant.reach(), customer_id).await?;
    let entry = store::privacy::consent::NewEntry {
        customer_id,
        purpose: c.purpose.code(),
        granted: c.granted,
        source: c.source.code(),
        evidence: &c.evidence,
    };
    store::privacy::consent::append(&mut tx, now, actor(grant), entry).await?;
    store::audit::write(
        &mut tx,
        now,
        actor(grant),
        "consent",
        "customer",
        customer_id,
        c.purpose.code(),
        &reason(c),
    )
    .await?;
    store::event::record(
        &mut tx,
        now,
        actor(grant),
        "customer",
        customer_id,
        "consent",
        &serde_json::json!({"purpose": c.purpose.code(), "granted": c.granted, "source": c.source.code()}),
        (!c.evidence.is_empty()).then_some(c.evidence.as_str()),
    )
    .await?;
        Ok((tx, ()))
    })
    .await
}

/// Records a change of a customer's consent at the desk or from a call. A change
/// without a source (or with a bad purpose, answer or evidence) is refused with every
/// broken field named, nothing is written but the attempt's audit row
/// (`consent_refused`). Needs [`WRITE`].
pub async fn record(
    app: &App,
    grant: &Grant,
    customer_id: i64,
    input: &ConsentInput,
) -> AppResult<()> {
    expect(grant, WRITE)?;
    let change = match parse(input, &ConsentSource::STAFF) {
        Ok(c) => c,
        Err(v) => {
            let fields: Vec<&str> = v.iter().map(|x| x.field.as_str()).collect();
            crate::privacy::record_attempt(
                app,
                grant,
                "consent_refused",
                "customer",
                customer_id,
                &as_text(&input.purpose).chars().take(32).collect::<String>(),
                &format!("invalid: {}", fields.join(",")),
            )
            .await?;
            return Err(AppError::Invalid(Violations(v)));
        }
    };
    write(app, grant, customer_id, &change).await
}

/// The signed-in owner's own consent. Needs [`OWN`] (owners only).
pub async fn own(app: &App, grant: &Grant) -> AppResult<ConsentView> {
    expect(grant, OWN)?;
    let Reach::Customer(cid) = *grant.reach() else {
        return Err(AppError::Forbidden);
    };
    let history = store::privacy::consent::for_customer(&mut *conn(app).await?, cid.get()).await?;
    Ok(view(cid.get(), history))
}

/// The owner gives or withdraws one purpose on their phone page: source
/// `owner_phone`, the evidence says it was the signed-in owner. Needs [`OWN`].
pub async fn record_own(app: &App, grant: &Grant, purpose: &str, granted: bool) -> AppResult<()> {
    expect(grant, OWN)?;
    let Reach::Customer(cid) = *grant.reach() else {
        return Err(AppError::Forbidden);
    };
    let Some(purpose) = ConsentPurpose::from_code(purpose) else {
        return Err(Violation::new("purpose", "consent.purpose").into());
    };
    let change = ConsentChange {
        purpose,
        granted,
        source: ConsentSource::OwnerPhone,
        evidence: "signed in with a one-time code".to_string(),
    };
    write(app, grant, cid.get(), &change).await
}

/// The purpose an outbound message needs and the customer has not given, if any:
/// asked at send time by the delivery job, so a withdrawal made after a message was
/// queued still holds it back. Messages to no customer, and sign-in codes, need none.
pub async fn refused_at_send(
    c: &mut sqlx::AnyConnection,
    customer_id: Option<i64>,
    template: &str,
) -> AppResult<Option<ConsentPurpose>> {
    let (Some(customer), Some(purpose)) = (
        customer_id,
        domain::privacy::consent::purpose_of_template(template),
    ) else {
        return Ok(None);
    };
    let ok = store::privacy::consent::granted(c, customer, purpose.code()).await?;
    Ok((!ok).then_some(purpose))
}

/// Whether the customer's latest ledger entry for `purpose` is a yes (no entry: no).
/// Every queue-time check of an outbound message asks this, not the old flags.
pub(crate) async fn allows_now(
    c: &mut sqlx::AnyConnection,
    customer_id: i64,
    purpose: ConsentPurpose,
) -> AppResult<bool> {
    Ok(store::privacy::consent::granted(c, customer_id, purpose.code()).await?)
}

/// A message to a customer as their page lists it: its kind and what became of it
/// (no recipient, no values: those are personal data and not needed to see that the
/// ledger held a message back).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessageState {
    /// Template key (the kind of message).
    pub template: String,
    /// Channel code.
    pub channel: String,
    /// `pending`, `sent`, `failed`, `withdrawn` or `suppressed`.
    pub status: String,
    /// Why it was suppressed (`consent:<purpose>`).
    pub suppressed_reason: Option<String>,
}

/// A customer's latest messages within reach, newest first (at most 20). Needs
/// [`READ`].
pub async fn messages(app: &App, grant: &Grant, customer_id: i64) -> AppResult<Vec<MessageState>> {
    expect(grant, READ)?;
    let mut c = conn(app).await?;
    store::customer::get(&mut c, grant.reach(), customer_id).await?;
    let rows = store::outbox::for_customer(&mut c, customer_id, 20).await?;
    Ok(rows
        .into_iter()
        .map(|m| MessageState {
            template: m.template,
            channel: m.channel,
            status: m.status,
            suppressed_reason: m.suppressed_reason,
        })
        .collect())
}
