//! Staff accounts and certificates.

use crate::input::{Loose, int, opt_int, parsed, text};
use crate::network::expect;
use crate::{App, AppError, AppResult, actor, conn};
use domain::certification::Credential;
use domain::permission::{Action, Grant, Reach};
use domain::role::{Role, UnitKind};
use domain::{Violation, Violations};
use serde::Deserialize;
use store::people::NewStaff;
pub use store::people::{CertificateRow, Staff, StaffFilter};
use store::{Page, Paged};

/// A new staff account as entered.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct StaffInput {
    /// Sign-in name: 3–32 letters, digits, `.`, `_`, `-`.
    #[schema(schema_with = crate::schema::username, required = true)]
    pub username: Loose,
    /// Display name.
    #[schema(schema_with = crate::schema::line::<50>, required = true)]
    pub name: Loose,
    /// Role code.
    #[schema(schema_with = crate::schema::staff_role, required = true)]
    pub role: Loose,
    /// Station, required for station roles (ignored for others).
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub station_id: Loose,
    /// Region, required for regional roles (ignored for others).
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub region_id: Loose,
    /// Mobile phone.
    #[schema(schema_with = crate::schema::phone, required = true)]
    pub phone: Loose,
    /// Initial password, 8–128 characters.
    #[schema(schema_with = crate::schema::password, required = true)]
    pub password: Loose,
    /// WeChat id (微信号) where complaint escalations go by WeChat: 6–20 characters,
    /// a letter first, then letters, digits, `_` or `-`. Empty or absent: none.
    #[schema(schema_with = crate::schema::wechat_id)]
    pub wechat_id: Loose,
}

/// An optional WeChat id as entered: `Some(None)` when empty or absent, `None` when
/// it breaks WeChat's rules (the violation is on `wechat_id`).
fn wechat_id(v: &mut Violations, value: &Loose) -> Option<Option<String>> {
    let t = crate::input::opt_text(v, "wechat_id", value, 64)?;
    match t {
        None => Some(None),
        Some(t) => v
            .field(
                "wechat_id",
                domain::wechat_id::WeChatId::parse(&t, "wechat_id"),
            )
            .map(|w| Some(w.as_str().to_string())),
    }
}

/// Creates a staff account. Station managers may only add station roles to their own
/// station.
pub async fn create_staff(app: &App, grant: &Grant, input: &StaffInput) -> AppResult<i64> {
    expect(grant, Action::StaffWrite)?;
    let mut v = Violations::new();
    let username = text(&mut v, "username", &input.username, 32);
    if let Some(u) = &username
        && (u.len() < 3
            || !u
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)))
    {
        v.push(Violation::new("username", "staff.username"));
    }
    let name = text(&mut v, "name", &input.name, 50);
    let role = text(&mut v, "role", &input.role, 32).and_then(|r| {
        let role = Role::from_code(&r).filter(|r| *r != Role::Owner);
        if role.is_none() {
            v.push(Violation::new("role", "role.unknown"));
        }
        role
    });
    let station_id = opt_int(&mut v, "station_id", &input.station_id, 1, i64::MAX).flatten();
    let region_id = opt_int(&mut v, "region_id", &input.region_id, 1, i64::MAX).flatten();
    let phone = parsed(&mut v, "phone", &input.phone, domain::phone::Phone::parse);
    let password = text(&mut v, "password", &input.password, 128);
    if let Some(p) = &password
        && let Err(e) = crate::password::check_strength(p)
    {
        v.push(e);
    }
    let wechat = wechat_id(&mut v, &input.wechat_id).flatten();
    let (name, password, phone, username, v) = (&name, &password, &phone, &username, &v);
    let wechat = &wechat;
    crate::transaction::run(app, "people.create_staff", move |mut tx| async move {
        let mut v = v.clone();
        let (station, region) =
            unit_of(&mut tx, grant, role, station_id, region_id, &mut v).await?;
        v.into_result()?;
        let (Some(username), Some(name), Some(role), Some(phone), Some(password)) =
            (username, name, role, phone, password)
        else {
            return Err(AppError::Internal("staff".into()));
        };
        let hash = crate::password::hash(password)?;
        let now = app.now_ms();
        let new = NewStaff {
            username: username.clone(),
            name: name.clone(),
            role: role.code().to_string(),
            station_id: station,
            region_id: region,
            phone: phone.e164().to_string(),
            password_hash: hash,
        };
        let id = store::people::insert_staff(&mut tx, &new, now).await?;
        if wechat.is_some() {
            store::people::set_wechat_id(&mut tx, id, wechat.as_deref()).await?;
        }
        store::event::record(
            &mut tx,
            now,
            actor(grant),
            "staff",
            id,
            "created",
            &serde_json::json!({"role": new.role, "wechat_id": wechat.is_some()}),
            None,
        )
        .await?;
        Ok((tx, id))
    })
    .await
}

/// Where a role with the given ids works, checked against the grant's reach: station
/// roles need a station within reach, regional roles a region (head office only), and
/// head-office roles can only be given by head office. A missing id breaks the input
/// (422, `required`, as the OpenAPI document states per role); a well-formed id of a
/// station or region this database does not hold within reach is a record refusing
/// it (409, `station.unknown` / `region.unknown`).
async fn unit_of(
    tx: &mut sqlx::AnyConnection,
    grant: &Grant,
    role: Option<Role>,
    station_id: Option<i64>,
    region_id: Option<i64>,
    v: &mut Violations,
) -> AppResult<(Option<i64>, Option<i64>)> {
    let (mut station, mut region) = (None, None);
    let mut missing = Violations::new();
    if let Some(r) = role {
        match r.unit_kind() {
            UnitKind::Station => match station_id {
                None => v.push(Violation::new("station_id", "required")),
                Some(s) if store::network::station(tx, grant.reach(), s).await.is_ok() => {
                    station = Some(s)
                }
                Some(_) => missing.push(Violation::new("station_id", "station.unknown")),
            },
            UnitKind::Region => match region_id {
                None => v.push(Violation::new("region_id", "required")),
                Some(r)
                    if matches!(grant.reach(), Reach::All)
                        && store::network::regions(tx).await?.iter().any(|x| x.id == r) =>
                {
                    region = Some(r)
                }
                Some(_) => missing.push(Violation::new("region_id", "region.unknown")),
            },
            _ if !matches!(grant.reach(), Reach::All) => {
                v.push(Violation::new("role", "role.not_assignable"))
            }
            _ => {}
        }
    }
    if v.is_empty() && !missing.is_empty() {
        return Err(AppError::Refused(missing));
    }
    missing.0.into_iter().for_each(|m| v.push(m));
    Ok((station, region))
}

/// Changes to a staff account as entered.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct StaffUpdateInput {
    /// Display name.
    #[schema(schema_with = crate::schema::line::<50>, required = true)]
    pub name: Loose,
    /// Role code.
    #[schema(schema_with = crate::schema::staff_role, required = true)]
    pub role: Loose,
    /// Station, required for station roles (ignored for others).
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub station_id: Loose,
    /// Region, required for regional roles (ignored for others).
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub region_id: Loose,
    /// Mobile phone; empty or absent keeps the stored one.
    #[schema(schema_with = crate::schema::phone_or_blank)]
    pub phone: Loose,
    /// Whether the account may sign in; turning it off ends its sessions.
    #[schema(value_type = bool, required = true)]
    pub active: Loose,
    /// A new WeChat id (rules as on creation); empty or absent keeps the stored one,
    /// so the edit form never shows it whole.
    #[schema(schema_with = crate::schema::wechat_id)]
    pub wechat_id: Loose,
    /// `true` removes the stored WeChat id (escalations then go by SMS only).
    #[schema(value_type = Option<bool>)]
    pub clear_wechat_id: Loose,
}

/// Changes a staff account within reach.
pub async fn update_staff(
    app: &App,
    grant: &Grant,
    id: i64,
    input: &StaffUpdateInput,
) -> AppResult<()> {
    expect(grant, Action::StaffWrite)?;
    let mut v = Violations::new();
    let name = text(&mut v, "name", &input.name, 50);
    let role = text(&mut v, "role", &input.role, 32).and_then(|r| {
        let role = Role::from_code(&r).filter(|r| *r != Role::Owner);
        if role.is_none() {
            v.push(Violation::new("role", "role.unknown"));
        }
        role
    });
    let station_id = opt_int(&mut v, "station_id", &input.station_id, 1, i64::MAX).flatten();
    let region_id = opt_int(&mut v, "region_id", &input.region_id, 1, i64::MAX).flatten();
    // A phone left empty keeps the stored number, so the edit form never has to show
    // it whole (issue 21, finding 3).
    let blank = matches!(&input.phone, Loose::Null)
        || input.phone.as_str().is_some_and(|s| s.trim().is_empty());
    let phone = if blank {
        None
    } else {
        parsed(&mut v, "phone", &input.phone, domain::phone::Phone::parse)
            .map(|p| p.e164().to_string())
    };
    let active = crate::input::boolean(&mut v, "active", &input.active);
    let clear = crate::input::boolean(&mut v, "clear_wechat_id", &input.clear_wechat_id);
    // Keep, set or clear: an id typed wins over nothing; clearing wins over keeping.
    let wechat: Option<Option<String>> = match (wechat_id(&mut v, &input.wechat_id), clear) {
        (Some(Some(w)), _) => Some(Some(w)),
        (Some(None), Some(true)) => Some(None),
        _ => None,
    };
    let (name, phone, v, wechat) = (&name, &phone, &v, &wechat);
    crate::transaction::run(app, "people.update_staff", move |mut tx| async move {
    let (name, mut v) = (name.clone(), v.clone());
    let before = store::people::staff(&mut tx, grant.reach(), id).await?;
    let phone = match phone.clone() {
        Some(p) => Some(p),
        None if blank => Some(store::people::staff_phone(&mut tx, id).await?),
        None => None,
    };
    let (station, region) = unit_of(&mut tx, grant, role, station_id, region_id, &mut v).await?;
    v.into_result()?;
    let (Some(name), Some(role), Some(phone), Some(active)) = (name, role, phone, active) else {
        return Err(AppError::Internal("staff".into()));
    };
    store::people::update_staff(
        &mut tx,
        id,
        &name,
        role.code(),
        station,
        region,
        &phone,
        active,
    )
    .await?;
    if let Some(w) = wechat {
        store::people::set_wechat_id(&mut tx, id, w.as_deref()).await?;
    }
    let data = serde_json::json!({
        "role": [before.role, role.code()], "active": [before.active, active],
        "wechat_id": [before.wechat_id.is_some(), wechat.as_ref().map_or(before.wechat_id.is_some(), Option::is_some)],
    });
    store::event::record(
        &mut tx,
        app.now_ms(),
        actor(grant),
        "staff",
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

/// One staff member within reach.
pub async fn staff(app: &App, grant: &Grant, id: i64) -> AppResult<(Staff, Vec<CertificateRow>)> {
    expect(grant, Action::StaffRead)?;
    let mut c = conn(app).await?;
    let s = store::people::staff(&mut c, grant.reach(), id).await?;
    let certs = store::people::certificates(&mut c, id).await?;
    Ok((s, certs))
}

/// Staff within reach.
pub async fn staff_list(
    app: &App,
    grant: &Grant,
    f: &StaffFilter,
    page: Page,
) -> AppResult<Paged<Staff>> {
    expect(grant, Action::StaffRead)?;
    Ok(store::people::staff_list(&mut *conn(app).await?, grant.reach(), f, page).await?)
}

/// The columns the staff list may be sorted by (keys a page may ask for).
pub const STAFF_ORDERS: &[(&str, &str)] = store::people::STAFF_ORDERS;

/// [`staff_list`] in the order a person chose from [`STAFF_ORDERS`].
pub async fn staff_list_ordered(
    app: &App,
    grant: &Grant,
    f: &StaffFilter,
    page: Page,
    order: Option<crate::Order>,
) -> AppResult<Paged<Staff>> {
    expect(grant, Action::StaffRead)?;
    let mut c = conn(app).await?;
    Ok(store::people::staff_list_ordered(&mut c, grant.reach(), f, page, order).await?)
}

/// A certificate as entered.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CertificateInput {
    /// `grade:1`–`grade:4`, `qualification:ev_high_voltage`, `position:<role>`.
    #[schema(value_type = String)]
    pub credential: Loose,
    /// First valid day.
    #[schema(value_type = String)]
    pub issued_on: Loose,
    /// Last valid day.
    #[schema(value_type = String)]
    pub expires_on: Loose,
}

/// Adds a certificate to a staff member within reach.
pub async fn add_certificate(
    app: &App,
    grant: &Grant,
    staff_id: i64,
    input: &CertificateInput,
) -> AppResult<i64> {
    expect(grant, Action::StaffWrite)?;
    let mut v = Violations::new();
    let cred = text(&mut v, "credential", &input.credential, 64).and_then(|c| {
        let parsed = Credential::from_code(&c);
        if parsed.is_none() {
            v.push(Violation::new("credential", "certificate.credential"));
        }
        parsed
    });
    let from = crate::input::date(&mut v, "issued_on", &input.issued_on);
    let to = crate::input::date(&mut v, "expires_on", &input.expires_on);
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        v.push(Violation::new("expires_on", "date.order"));
    }
    v.into_result()?;
    let (Some(cred), Some(from), Some(to)) = (cred, from, to) else {
        return Err(AppError::Internal("cert".into()));
    };
    let now = app.now_ms();
    crate::transaction::run(app, "people.add_certificate", move |mut tx| async move {
        store::people::staff(&mut tx, grant.reach(), staff_id).await?;
        let id = store::people::insert_certificate(
            &mut tx,
            staff_id,
            &cred.code(),
            &from.to_string(),
            &to.to_string(),
        )
        .await?;
        let data = serde_json::json!({"credential": cred.code(), "expires_on": to.to_string()});
        store::event::record(
            &mut tx,
            now,
            actor(grant),
            "staff",
            staff_id,
            "certified",
            &data,
            None,
        )
        .await?;
        Ok((tx, id))
    })
    .await
}

/// The int helper re-exported for callers that read ids from forms.
pub fn id_from(value: &Loose) -> Option<i64> {
    let mut v = Violations::new();
    int(&mut v, "id", value, 1, i64::MAX)
}

/// The active staff of a station (of one role, when given), for the pickers of a
/// driver or a technician. Names and usernames only, and only on pages whose own
/// grant was already checked, so no grant is asked here (as before the move).
pub async fn station_choices(
    app: &App,
    station_id: i64,
    role: Option<&str>,
) -> AppResult<Vec<Staff>> {
    let f = StaffFilter {
        q: None,
        role: role.map(str::to_string),
        station_id: Some(station_id),
    };
    let mut c = conn(app).await?;
    let page = store::people::staff_list(&mut c, &Reach::All, &f, Page::new(1, 200)).await?;
    Ok(page.items.into_iter().filter(|s| s.active).collect())
}

/// Shows a staff member's phone whole, for a purpose from the list plus a note, for a
/// limited time, with one audit row (`reveal`, entity `staff`, field `staff_phone`) in
/// the same transaction. Needs `StaffWrite` (the policy lets only account managers
/// see a colleague's number whole); a request without purpose is refused and the
/// attempt audited (`reveal_refused`).
pub async fn reveal_phone(
    app: &App,
    grant: &Grant,
    id: i64,
    input: &crate::customer::RevealInput,
) -> AppResult<crate::customer::Revealed> {
    use domain::privacy::reveal::{RevealRequest, VISIBLE_MS};
    use domain::privacy::{Field, Purpose, Relation, Visibility};
    expect(grant, Action::StaffWrite)?;
    let refused = |field: String, reason: String| async move {
        let row = store::audit::AuditRow {
            action: "reveal_refused",
            entity: "staff",
            entity_id: id,
            field: &field,
            reason: &reason,
            row_count: None,
        };
        crate::transaction::run(app, "people.reveal_refused", move |mut tx| async move {
            store::audit::insert(&mut tx, app.now_ms(), actor(grant), row).await?;
            Ok((tx, ()))
        })
        .await
    };
    let req = match RevealRequest::parse(
        if input.field.trim().is_empty() {
            "staff_phone"
        } else {
            &input.field
        },
        &input.purpose,
        &input.note,
        &[Field::StaffPhone],
    ) {
        Ok(r) => r,
        Err(v) => {
            refused(input.field.chars().take(32).collect(), String::new()).await?;
            return Err(AppError::Invalid(Violations(v)));
        }
    };
    let p = grant.principal();
    let rel = if p.id == id && p.role != Role::Owner {
        Relation::Own
    } else {
        Relation::InReach
    };
    if domain::privacy::see(p.role, Field::StaffPhone, rel, Purpose::Reveal) != Visibility::Whole {
        refused(Field::StaffPhone.code().into(), req.reason()).await?;
        return Err(AppError::Forbidden);
    }
    let now = app.now_ms();
    let reason = req.reason();
    let phone = crate::transaction::run(app, "people.reveal_phone", |mut tx| {
        let reason = &reason;
        async move {
            store::people::staff(&mut tx, grant.reach(), id).await?;
            let phone = store::people::staff_phone(&mut tx, id).await?;
            store::audit::write(
                &mut tx,
                now,
                actor(grant),
                "reveal",
                "staff",
                id,
                Field::StaffPhone.code(),
                reason,
            )
            .await?;
            Ok((tx, phone))
        }
    })
    .await?;
    Ok(crate::customer::Revealed {
        field: Field::StaffPhone.code().to_string(),
        value: Some(
            domain::phone::Phone::parse(&phone)
                .map(|p| p.display_whole().to_string())
                .unwrap_or(phone),
        ),
        visible_until: now + VISIBLE_MS,
    })
}

/// The staff who took the steps of a timeline, as `(role, id, name)`, for a page that
/// names who did what instead of "role #id". Owners, the system and outside providers
/// are not staff and are left out, as is anyone no longer found or whose role is not
/// the step's (a token's id, not a person's). The caller has
/// already been allowed to read the record whose timeline this is; a step's actor is
/// part of that record, so the names are read whatever the caller's reach.
pub async fn actor_names(
    app: &App,
    actors: &[(&str, i64)],
) -> AppResult<Vec<(String, i64, String)>> {
    let mut c = conn(app).await?;
    let mut out: Vec<(String, i64, String)> = Vec::new();
    for (role, id) in actors {
        if matches!(*role, "owner" | "system" | "provider")
            || out.iter().any(|p| p.0 == *role && p.1 == *id)
        {
            continue;
        }
        // Events keep the actor's role and id but not its kind: an API token shares the
        // id space of staff, so a name is given only when the role matches too.
        if let Ok(s) = store::people::staff(&mut c, &Reach::All, *id).await
            && s.role == *role
        {
            out.push(((*role).to_string(), *id, s.name));
        }
    }
    Ok(out)
}
