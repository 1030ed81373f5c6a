//! Customer use cases: records, consent and preferences, revealing personal data
//! with an audit row, and an owner's export of everything kept about them.

use crate::input::{Loose, boolean, int, opt_text, parsed, text};
use crate::network::expect;
use crate::{App, AppError, AppResult, actor, conn};
use domain::customer::{Channel, QuietHours, parse_name};
use domain::permission::{Action, Grant, Reach};
use domain::{Violation, Violations};
use serde::{Deserialize, Serialize};
pub use store::customer::Customer;
use store::customer::CustomerFields;
use store::customer::CustomerSearch;
pub use store::outbox::InboxMessage;
use store::{Page, Paged};

/// A customer as entered.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CustomerInput {
    /// Name.
    #[schema(schema_with = crate::schema::line::<50>, required = true)]
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

/// What a list search asks for: `q` (a name and/or the visible last four digits of
/// the phone; never a whole number) and a station.
#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    /// Name words and/or the last four digits.
    pub q: Option<String>,
    /// Station id.
    pub station_id: Option<i64>,
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
        .map_err(|_| crate::shared::refused_rule("station_id", "station.unknown"))
}

/// Creates a customer at a station within reach.
pub async fn create(app: &App, grant: &Grant, input: &CustomerInput) -> AppResult<i64> {
    expect(grant, Action::CustomerWrite)?;
    let f = parse(input)?;
    let now = app.now_ms();
    let f = &f;
    crate::transaction::run(app, "customer.create", move |mut tx| async move {
    check_station(&mut tx, grant, f.station_id).await?;
    let id = match store::customer::insert(&mut tx, f, now).await {
        Ok(id) => id,
        Err(store::StoreError::Duplicate(_)) => {
            drop(tx);
            return Err(duplicate_phone(app, grant, 0).await);
        }
        Err(e) => return Err(e.into()),
    };
    // The form's two consent boxes are entries of the ledger, given at the desk.
    store::privacy::consent::append_flags(
        &mut tx,
        now,
        actor(grant),
        id,
        f.consent_service,
        f.consent_marketing,
        "desk",
        "customer form",
    )
    .await?;
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
        Ok((tx, id))
    })
    .await
}

/// The answer to a number already in use: it "cannot be used", never that it belongs
/// to a customer elsewhere in the network (finding 13); the attempt is audited.
async fn duplicate_phone(app: &App, grant: &Grant, id: i64) -> AppError {
    if let Err(e) =
        crate::privacy::record_attempt(app, grant, "duplicate_phone", "customer", id, "phone", "")
            .await
    {
        return e;
    }
    // 409, not 422: the number is well formed; what refuses it is a record that
    // already holds it, which the caller may not learn more about.
    AppError::Refused(Violation::new("phone", "customer.phone_unusable").into())
}

/// Changes a customer within reach; consent changes are recorded as events. A phone or
/// ID number left out keeps the stored value, so the edit form never needs to show
/// them whole.
pub async fn update(app: &App, grant: &Grant, id: i64, input: &CustomerInput) -> AppResult<()> {
    expect(grant, Action::CustomerWrite)?;
    let now = app.now_ms();
    crate::transaction::run(app, "customer.update", move |mut tx| async move {
        let before = store::customer::get(&mut tx, grant.reach(), id).await?;
        let (phone, id_number) = store::customer::reveal(&mut tx, grant.reach(), id).await?;
        let mut input = input.clone();
        let blank =
            |l: &Loose| matches!(l, Loose::Null) || l.as_str().is_some_and(|s| s.trim().is_empty());
        if blank(&input.phone) {
            input.phone = Loose::String(phone);
        }
        if blank(&input.id_number) {
            input.id_number = id_number.map(Loose::String).unwrap_or(Loose::Null);
        }
        let f = parse(&input)?;
        check_station(&mut tx, grant, f.station_id).await?;
        match store::customer::update(&mut tx, id, &f).await {
            Ok(()) => {}
            Err(store::StoreError::Duplicate(_)) => {
                drop(tx);
                return Err(duplicate_phone(app, grant, id).await);
            }
            Err(e) => return Err(e.into()),
        }
        // A changed consent box is a new ledger entry from the desk (the service box
        // covers service contact and surveys, as it always did).
        let changed = [
            ("service_contact", before.consent_service, f.consent_service),
            ("surveys", before.consent_service, f.consent_service),
            ("marketing", before.consent_marketing, f.consent_marketing),
        ];
        for (purpose, was, now_is) in changed {
            if was != now_is {
                let e = store::privacy::consent::NewEntry {
                    customer_id: id,
                    purpose,
                    granted: now_is,
                    source: "desk",
                    evidence: "customer form",
                };
                store::privacy::consent::append(&mut tx, now, actor(grant), e).await?;
            }
        }
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
        Ok((tx, ()))
    })
    .await
}

/// One customer within reach, each field as the privacy policy lets the caller see it.
pub async fn get(app: &App, grant: &Grant, id: i64) -> AppResult<Customer> {
    expect(grant, Action::CustomerRead)?;
    let c = store::customer::get(&mut *conn(app).await?, grant.reach(), id).await?;
    Ok(crate::privacy::customer_view(grant.principal(), c))
}

/// Customers within reach, each field as the policy lets the caller see it. `q` finds
/// names and the visible last four digits; a whole or partial number is refused (and
/// the attempt audited), so nobody rebuilds a masked number by trying its fillings.
pub async fn list(
    app: &App,
    grant: &Grant,
    f: &CustomerFilter,
    page: Page,
) -> AppResult<Paged<Customer>> {
    list_ordered(app, grant, f, page, None).await
}

/// The orders a person may choose for the customer list (`sort=` keys).
pub const CUSTOMER_ORDERS: &[(&str, &str)] = store::customer::CUSTOMER_ORDERS;

/// [`list`] in the order a person chose from [`CUSTOMER_ORDERS`].
pub async fn list_ordered(
    app: &App,
    grant: &Grant,
    f: &CustomerFilter,
    page: Page,
    order: Option<crate::Order>,
) -> AppResult<Paged<Customer>> {
    expect(grant, Action::CustomerRead)?;
    let terms = match f.q.as_deref().map(domain::privacy::lookup::search_terms) {
        None => Default::default(),
        Some(Ok(t)) => t,
        Some(Err(v)) => {
            crate::privacy::record_attempt(
                app,
                grant,
                "search_refused",
                "customer",
                0,
                "phone",
                "",
            )
            .await?;
            return Err(v.into());
        }
    };
    let search = CustomerSearch {
        name: terms.name,
        tail: terms.tail,
        station_id: f.station_id,
    };
    let page =
        store::customer::list_ordered(&mut *conn(app).await?, grant.reach(), &search, page, order)
            .await?;
    let p = grant.principal();
    Ok(Paged {
        items: page
            .items
            .into_iter()
            .map(|c| crate::privacy::customer_view(p, c))
            .collect(),
        ..page
    })
}

/// Finds who is calling by the whole number on the line (the hotline's "identify the
/// caller"). Needs `CallerIdentify`; each lookup is one audit row per customer found
/// (or one with id 0 when none is), and a person may make at most
/// [`domain::privacy::lookup::IDENTIFY_PER_WINDOW`] an hour: over that the lookup is
/// refused with a retry time and the attempt is audited, logged, counted and noticed to
/// the privacy officer as a possible enumeration ([`crate::privacy::enumeration`]). The answer is masked like a list: it identifies, it does not reveal.
pub async fn identify(app: &App, grant: &Grant, phone: &str) -> AppResult<Vec<Customer>> {
    use domain::privacy::lookup::{IDENTIFY_WINDOW_MS, identify_retry_at};
    expect(grant, Action::CallerIdentify)?;
    let mut v = Violations::new();
    let phone = v.field("phone", domain::phone::Phone::parse(phone));
    v.into_result()?;
    let Some(phone) = phone else {
        return Err(Violation::new("phone", "required").into());
    };
    let now = app.now_ms();
    let phone = &phone;
    let found = crate::transaction::run(app, "customer.identify", move |mut tx| async move {
        let made =
            store::audit::count_since(&mut tx, actor(grant), "identify", now - IDENTIFY_WINDOW_MS)
                .await?;
        if let Some(retry_at) = identify_retry_at(made, now) {
            drop(tx);
            let p = grant.principal();
            tracing::warn!(
                role = p.role.code(),
                id = p.id,
                made,
                "privacy: caller lookups over the rate (possible enumeration)"
            );
            crate::privacy::enumeration::suspected(app, grant, made).await?;
            return Err(AppError::TooManyAttempts { retry_at });
        }
        let found = store::customer::by_phone(&mut tx, grant.reach(), phone.e164()).await?;
        let ids: Vec<i64> = if found.is_empty() {
            vec![0]
        } else {
            found.iter().map(|c| c.id).collect()
        };
        for id in ids {
            store::audit::write(
                &mut tx,
                now,
                actor(grant),
                "identify",
                "customer",
                id,
                "phone",
                "caller lookup",
            )
            .await?;
        }
        Ok((tx, found))
    })
    .await?;
    let p = grant.principal();
    Ok(found
        .into_iter()
        .map(|c| crate::privacy::customer_view(p, c))
        .collect())
}

/// A request to see one field of a customer whole.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RevealInput {
    /// The one field to show: `phone` or `id_number`.
    #[schema(example = "phone")]
    pub field: String,
    /// Why, from the list: callback, identity_check, pickup_return, correction,
    /// dispute, legal_request, other.
    #[schema(example = "callback")]
    pub purpose: String,
    /// The caller's own words (required for `other`), up to 200 characters.
    pub note: String,
}

/// One field's whole value, for a limited time.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Revealed {
    /// The field shown (`phone` or `id_number`).
    pub field: String,
    /// Its whole value (absent when none is kept).
    pub value: Option<String>,
    /// Until when (UTC ms) the value may stay on screen; pages hide it after that.
    pub visible_until: i64,
}

/// The fields of a customer that can be revealed.
const REVEALABLE: [domain::privacy::Field; 2] = [
    domain::privacy::Field::CustomerPhone,
    domain::privacy::Field::CustomerIdNumber,
];

/// Shows one field of a customer whole, for a purpose from the list, and writes its
/// audit row in the same transaction: no audit row, no data. A request without a
/// purpose, or for a field the policy does not let this role see whole, is refused
/// and the attempt audited.
pub async fn reveal(app: &App, grant: &Grant, id: i64, input: &RevealInput) -> AppResult<Revealed> {
    use domain::privacy::reveal::{RevealRequest, VISIBLE_MS};
    use domain::privacy::{Purpose, Visibility};
    expect(grant, Action::PersonalDataReveal)?;
    let req = match RevealRequest::parse(&input.field, &input.purpose, &input.note, &REVEALABLE) {
        Ok(r) => r,
        Err(v) => {
            let field = input.field.chars().take(32).collect::<String>();
            crate::privacy::record_attempt(
                app,
                grant,
                "reveal_refused",
                "customer",
                id,
                &field,
                "",
            )
            .await?;
            return Err(AppError::Invalid(Violations(v)));
        }
    };
    let p = grant.principal();
    let rel = crate::privacy::relation_to_customer(p, id);
    if domain::privacy::see(p.role, req.field, rel, Purpose::Reveal) != Visibility::Whole {
        crate::privacy::record_attempt(
            app,
            grant,
            "reveal_refused",
            "customer",
            id,
            req.field.code(),
            &req.reason(),
        )
        .await?;
        return Err(AppError::Forbidden);
    }
    let now = app.now_ms();
    let req = &req;
    let (phone, id_number) =
        crate::transaction::run(app, "customer.reveal", move |mut tx| async move {
            let (phone, id_number) = store::customer::reveal(&mut tx, grant.reach(), id).await?;
            store::audit::write(
                &mut tx,
                now,
                actor(grant),
                "reveal",
                "customer",
                id,
                req.field.code(),
                &req.reason(),
            )
            .await?;
            Ok((tx, (phone, id_number)))
        })
        .await?;
    let value = match req.field {
        domain::privacy::Field::CustomerPhone => Some(
            domain::phone::Phone::parse(&phone)
                .map(|p| p.display_whole().to_string())
                .unwrap_or(phone),
        ),
        _ => id_number,
    };
    Ok(Revealed {
        field: req.field.code().to_string(),
        value,
        visible_until: now + VISIBLE_MS,
    })
}

/// The audit rows about a customer.
pub async fn audit(app: &App, grant: &Grant, id: i64) -> AppResult<Vec<store::audit::AuditEntry>> {
    expect(grant, Action::AuditRead)?;
    Ok(store::audit::for_entity(&mut *conn(app).await?, "customer", id).await?)
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
