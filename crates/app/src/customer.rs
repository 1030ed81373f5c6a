//! Customer use cases: records, consent and preferences, revealing personal data
//! with an audit row, and an owner's export of everything kept about them.

use crate::input::{Loose, boolean, int, opt_text, parsed, text};
use crate::network::expect;
use crate::{App, AppError, AppResult, actor, begin, commit, conn};
use domain::customer::{Channel, QuietHours, parse_name};
use domain::permission::{Action, Grant, Reach};
use domain::{Violation, Violations};
use serde::{Deserialize, Serialize};
use store::customer::CustomerFields;
pub use store::customer::{Customer, CustomerFilter};
pub use store::outbox::InboxMessage;
use store::{Page, Paged};

/// A customer as entered.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CustomerInput {
    /// Name.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 50)]
    pub name: Loose,
    /// Mobile phone (CN or E.164).
    #[schema(schema_with = crate::schema::phone, required = true)]
    pub phone: Loose,
    /// Resident ID number, optional.
    #[schema(value_type = Option<String>)]
    pub id_number: Loose,
    /// Station of record.
    #[schema(value_type = i64, required = true, minimum = 1)]
    pub station_id: Loose,
    /// Preferred channel: sms, wechat, call, app.
    #[schema(schema_with = crate::schema::contact_channel)]
    pub channel: Loose,
    /// Quiet hours `22:00-08:00`.
    #[schema(value_type = Option<String>)]
    pub quiet_hours: Loose,
    /// Consent to service messages.
    #[schema(value_type = bool)]
    pub consent_service: Loose,
    /// Consent to marketing.
    #[schema(value_type = bool)]
    pub consent_marketing: Loose,
}

fn parse(input: &CustomerInput) -> Result<CustomerFields, Violations> {
    let mut v = Violations::new();
    let name = text(&mut v, "name", &input.name, 50).and_then(|n| v.field("name", parse_name(&n)));
    let phone = parsed(&mut v, "phone", &input.phone, domain::phone::Phone::parse);
    let id_number = opt_text(&mut v, "id_number", &input.id_number, 18).flatten();
    if let Some(id) = &id_number
        && !(id.len() == 18
            && id[..17].bytes().all(|b| b.is_ascii_digit())
            && id.ends_with(|c: char| c.is_ascii_digit() || c == 'X'))
    {
        v.push(Violation::new("id_number", "customer.id_number"));
    }
    let station_id = int(&mut v, "station_id", &input.station_id, 1, i64::MAX);
    let channel = match &input.channel {
        Loose::Null => Some(Channel::Sms),
        other => text(&mut v, "channel", other, 10).and_then(|c| {
            let ch = Channel::from_code(&c);
            if ch.is_none() {
                v.push(Violation::new("channel", "customer.channel"));
            }
            ch
        }),
    };
    let quiet = opt_text(&mut v, "quiet_hours", &input.quiet_hours, 11).map(|q| {
        q.and_then(|q| {
            v.field("quiet_hours", QuietHours::parse(&q))
                .map(|q| q.format())
        })
    });
    let service = boolean(&mut v, "consent_service", &input.consent_service);
    let marketing = boolean(&mut v, "consent_marketing", &input.consent_marketing);
    v.into_result()?;
    match (name, phone, station_id, channel, quiet, service, marketing) {
        (
            Some(name),
            Some(phone),
            Some(station_id),
            Some(channel),
            Some(quiet_hours),
            Some(s),
            Some(m),
        ) => Ok(CustomerFields {
            name,
            phone: phone.e164().to_string(),
            id_number,
            station_id,
            channel: channel.code().to_string(),
            quiet_hours,
            consent_service: s,
            consent_marketing: m,
        }),
        _ => Err(Violation::new("body", "required").into()),
    }
}

async fn check_station(
    tx: &mut sqlx::AnyConnection,
    grant: &Grant,
    station_id: i64,
) -> AppResult<()> {
    store::network::station(tx, grant.reach(), station_id)
        .await
        .map(|_| ())
        .map_err(|_| AppError::Invalid(Violation::new("station_id", "station.unknown").into()))
}

/// Creates a customer at a station within reach.
pub async fn create(app: &App, grant: &Grant, input: &CustomerInput) -> AppResult<i64> {
    expect(grant, Action::CustomerWrite)?;
    let f = parse(input)?;
    let now = app.now_ms();
    let mut tx = begin(app).await?;
    check_station(&mut tx, grant, f.station_id).await?;
    let id = store::customer::insert(&mut tx, &f, now).await?;
    let data = serde_json::json!({"consent_service": f.consent_service, "consent_marketing": f.consent_marketing});
    store::event::record(
        &mut tx,
        now,
        actor(grant),
        "customer",
        id,
        "created",
        &data,
        None,
    )
    .await?;
    commit(tx).await?;
    Ok(id)
}

/// Changes a customer within reach; consent changes are recorded as events.
pub async fn update(app: &App, grant: &Grant, id: i64, input: &CustomerInput) -> AppResult<()> {
    expect(grant, Action::CustomerWrite)?;
    let f = parse(input)?;
    let now = app.now_ms();
    let mut tx = begin(app).await?;
    let before = store::customer::get(&mut tx, grant.reach(), id).await?;
    check_station(&mut tx, grant, f.station_id).await?;
    store::customer::update(&mut tx, id, &f).await?;
    let data = serde_json::json!({
        "consent_service": [before.consent_service, f.consent_service],
        "consent_marketing": [before.consent_marketing, f.consent_marketing],
        "channel": [before.channel, f.channel],
    });
    store::event::record(
        &mut tx,
        now,
        actor(grant),
        "customer",
        id,
        "updated",
        &data,
        None,
    )
    .await?;
    commit(tx).await?;
    Ok(())
}

/// One customer within reach, masked.
pub async fn get(app: &App, grant: &Grant, id: i64) -> AppResult<Customer> {
    expect(grant, Action::CustomerRead)?;
    Ok(store::customer::get(&mut *conn(app).await?, grant.reach(), id).await?)
}

/// Customers within reach, masked.
pub async fn list(
    app: &App,
    grant: &Grant,
    f: &CustomerFilter,
    page: Page,
) -> AppResult<Paged<Customer>> {
    expect(grant, Action::CustomerRead)?;
    Ok(store::customer::list(&mut *conn(app).await?, grant.reach(), f, page).await?)
}

/// Whole personal data, shown only with a reason.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Revealed {
    /// Whole phone number.
    pub phone: String,
    /// Whole ID number, if kept.
    pub id_number: Option<String>,
}

/// Shows a customer's whole phone and ID number and writes the audit row, in one
/// transaction: no audit row, no data.
pub async fn reveal(app: &App, grant: &Grant, id: i64, reason: &str) -> AppResult<Revealed> {
    expect(grant, Action::PersonalDataReveal)?;
    let reason = reason.trim();
    if reason.chars().count() < 2 || reason.chars().count() > 200 {
        return Err(Violation::new("reason", "reveal.reason").into());
    }
    let mut tx = begin(app).await?;
    let (phone, id_number) = store::customer::reveal(&mut tx, grant.reach(), id).await?;
    store::audit::write(
        &mut tx,
        app.now_ms(),
        actor(grant),
        "reveal",
        "customer",
        id,
        "phone,id_number",
        reason,
    )
    .await?;
    commit(tx).await?;
    let phone = domain::phone::Phone::parse(&phone)
        .map(|p| p.display_whole().to_string())
        .unwrap_or(phone);
    Ok(Revealed { phone, id_number })
}

/// The audit rows about a customer.
pub async fn audit(app: &App, grant: &Grant, id: i64) -> AppResult<Vec<store::audit::AuditEntry>> {
    expect(grant, Action::AuditRead)?;
    Ok(store::audit::for_entity(&mut *conn(app).await?, "customer", id).await?)
}

/// Everything kept about an owner, for their own download (SPEC §15 data security).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OwnData {
    /// The customer record with whole values (it is their own data).
    #[schema(value_type = Object)]
    pub customer: serde_json::Value,
    /// Their vehicles with owner history and odometer readings.
    #[schema(value_type = Vec<Object>)]
    pub vehicles: Vec<serde_json::Value>,
    /// Messages sent to them.
    #[schema(value_type = Vec<Object>)]
    pub messages: Vec<serde_json::Value>,
    /// Changes recorded about them.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<serde_json::Value>,
}

/// Collects everything kept about the signed-in owner.
pub async fn own_data(app: &App, grant: &Grant) -> AppResult<OwnData> {
    expect(grant, Action::OwnDataExport)?;
    let Reach::Customer(cid) = *grant.reach() else {
        return Err(AppError::Forbidden);
    };
    let mut c = conn(app).await?;
    let customer = store::customer::get(&mut c, grant.reach(), cid.get()).await?;
    let (phone, id_number) = store::customer::reveal(&mut c, grant.reach(), cid.get()).await?;
    let mut cust =
        serde_json::to_value(&customer).map_err(|e| AppError::Internal(e.to_string()))?;
    cust["phone"] = serde_json::Value::String(phone);
    cust["id_number"] = id_number
        .map(serde_json::Value::String)
        .unwrap_or(serde_json::Value::Null);
    let filter = store::vehicle::VehicleFilter {
        owner_id: Some(cid.get()),
        ..Default::default()
    };
    let vehicles = store::vehicle::list(&mut c, grant.reach(), &filter, Page::new(1, 200)).await?;
    let mut vs = Vec::new();
    for v in vehicles.items {
        let owners = store::vehicle::ownerships(&mut c, v.id).await?;
        let readings = store::vehicle::readings(&mut c, v.id).await?;
        vs.push(serde_json::json!({"vehicle": v, "ownerships": owners, "odometer": readings}));
    }
    let messages = store::outbox::inbox(&mut c, cid.get(), 1000).await?;
    let events = store::event::for_entity(&mut c, "customer", cid.get()).await?;
    Ok(OwnData {
        customer: cust,
        vehicles: vs,
        messages: messages
            .into_iter()
            .filter_map(|m| serde_json::to_value(m).ok())
            .collect(),
        events: events
            .into_iter()
            .filter_map(|e| serde_json::to_value(e).ok())
            .collect(),
    })
}

/// The signed-in owner's latest messages, newest first (at most `limit`). Needs
/// `OwnDataExport`, which only an owner holds, reaching their own records.
pub async fn inbox(app: &App, grant: &Grant, limit: i64) -> AppResult<Vec<InboxMessage>> {
    expect(grant, Action::OwnDataExport)?;
    let Reach::Customer(_) = grant.reach() else {
        return Err(AppError::Forbidden);
    };
    let mut c = conn(app).await?;
    Ok(store::outbox::inbox(&mut c, grant.principal().id, limit).await?)
}
