//! Complaints (SPEC §6): intake from every channel, the workflow ([`action`]), the
//! service-level clocks on the job machinery ([`clock`]), the policies by version
//! ([`policy`]), the queue sorted by the nearest deadline and the inbox of warnings
//! and escalations. Station users reach their own station only; the call centre,
//! regions and head office reach theirs.

pub mod action;
pub mod analysis;
pub mod attachment;
pub mod category;
pub mod clock;
pub mod closure;
pub mod escalate;
pub mod goodwill;
pub mod inbox;
pub mod intake;
pub mod part;
pub mod policy;
pub mod reach;

use crate::transaction::run;
use crate::{App, AppError, AppResult, conn};
use domain::complaint::category::CategoryCode;
use domain::complaint::{self as rules, Channel, Severity};
use domain::ids::{RegionId, StationId};
use domain::permission::{Action, Grant, Reach};
use domain::{Violation, Violations};
pub use inbox::{inbox, inbox_levels};
use serde::{Deserialize, Serialize};
pub use store::complaint::attachment::AttachmentRow;
pub use store::complaint::closure::{FollowUpRow, GoodwillRow, ZeroRow};
pub use store::complaint::notice::NoticeRow;
pub use store::complaint::{ComplaintRow, EventRow, QueueFilter};

/// What an intake sends (agent form, station desk, owner page).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ComplaintFileInput)]
pub struct FileInput {
    /// The station responsible.
    #[serde(default)]
    #[schema(minimum = 1, required = true)]
    pub station_id: i64,
    /// The customer, when known.
    #[serde(default)]
    #[schema(minimum = 1)]
    pub customer_id: Option<i64>,
    /// The vehicle, when known.
    #[serde(default)]
    #[schema(minimum = 1)]
    pub vehicle_id: Option<i64>,
    /// The repair order it is about.
    #[serde(default)]
    #[schema(minimum = 1)]
    pub repair_order_id: Option<i64>,
    /// `hotline`, `app`, `social_media`, `station`, `regulator`.
    #[serde(default)]
    #[schema(schema_with = crate::schema::code::<domain::complaint::Channel>, required = true)]
    pub channel: String,
    /// Link or reference of the source (required for social media and regulator).
    #[serde(default)]
    #[schema(schema_with = crate::schema::opt_line::<500>)]
    pub source_link: Option<String>,
    /// Category code: one of the catalogue's active categories
    /// (`GET /api/v1/complaint-categories`; head office adds others at run time, so the
    /// schema gives the code's pattern, not a list). Unknown or retired is 422 on
    /// `category`.
    #[serde(default)]
    #[schema(schema_with = crate::schema::complaint_category, required = true)]
    pub category: String,
    /// `normal` or `urgent`.
    #[serde(default)]
    #[schema(schema_with = crate::schema::severity_level, required = true)]
    pub severity: String,
    /// `safety`, `media` (urgent only).
    #[serde(default)]
    #[schema(schema_with = crate::schema::code_or_none::<domain::complaint::UrgentReason>)]
    pub urgent_reason: Option<String>,
    /// What the customer says.
    #[serde(default)]
    #[schema(schema_with = crate::schema::lines::<{ domain::complaint::MAX_TEXT_CHARS }>, required = true)]
    pub description: String,
    /// The part the complaint is about, a number of the parts catalogue (blank or
    /// absent: none yet); an unknown number is 422 `complaint.part_unknown`.
    #[serde(default)]
    #[schema(schema_with = crate::schema::part_number)]
    pub part_number: Option<String>,
}

/// What the intake checked: channel, category, severity, description, source link
/// and the part number (not yet looked up in the catalogue).
type Parsed = (
    Channel,
    CategoryCode,
    Severity,
    String,
    Option<String>,
    Option<String>,
);

/// A complaint with everything its page shows.
#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    /// The complaint.
    pub complaint: ComplaintRow,
    /// Every event, oldest first.
    pub events: Vec<EventRow>,
    /// The stages of the current clock: code, deadline, met.
    pub stages: Vec<store::complaint::clock::StageRow>,
    /// The three zeros of the current clock.
    pub zeros: Vec<ZeroRow>,
    /// The follow-up of the current clock.
    pub follow_up: Option<FollowUpRow>,
    /// Goodwill granted.
    pub goodwill: Vec<GoodwillRow>,
    /// Attachments.
    pub attachments: Vec<AttachmentRow>,
    /// Warnings and escalations sent.
    pub notices: Vec<NoticeRow>,
    /// The workflow events allowed now.
    pub allowed: Vec<String>,
}

/// The grant's unit may act on a complaint of `station` in `region`.
pub(crate) fn covers(grant: &Grant, station: i64, region: i64) -> AppResult<()> {
    if grant.covers_station(StationId(station), RegionId(region)) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn parse_file(
    input: &FileInput,
    owner: bool,
    cats: &[category::CategoryRow],
) -> Result<Parsed, Violations> {
    let mut v = Violations::new();
    let channel = if owner {
        Some(Channel::App)
    } else {
        v.field("channel", Channel::parse(&input.channel))
    };
    let category = v.field("category", category::choose(cats, &input.category));
    let severity = if owner && input.severity.trim().is_empty() {
        Some(Severity::Normal)
    } else {
        v.field(
            "severity",
            Severity::parse(&input.severity, input.urgent_reason.as_deref()),
        )
    };
    if input.station_id <= 0 {
        v.push(Violation::new("station_id", "complaint.station_required"));
    }
    let description = v.field(
        "description",
        rules::text("description", &input.description),
    );
    let link = input
        .source_link
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    if channel.is_some_and(|c| c.needs_source_link()) && link.is_none() {
        v.push(Violation::new(
            "source_link",
            "complaint.source_link_required",
        ));
    }
    if link.as_ref().is_some_and(|l| l.chars().count() > 500) {
        v.push(Violation::new("source_link", "text.length").with_detail("500"));
    }
    let part = parse_part(&mut v, input.part_number.as_deref());
    v.clone().into_result()?;
    match (channel, category, severity, description, part) {
        (Some(c), Some(k), Some(s), Some(d), Some(p)) => Ok((c, k, s, d, link, p)),
        _ => Err(v),
    }
}

/// A part number as typed: blank is none; otherwise its shape is checked (whether the
/// catalogue holds it is [`part_known`]'s business, in the transaction).
pub(crate) fn parse_part(v: &mut Violations, raw: Option<&str>) -> Option<Option<String>> {
    match raw.map(str::trim) {
        None | Some("") => Some(None),
        Some(raw) => v
            .field("part_number", crate::part::parse_part_number(raw))
            .map(Some),
    }
}

/// A named part must be in the parts catalogue: 422 `complaint.part_unknown` otherwise.
pub(crate) async fn part_known(
    tx: &mut sqlx::AnyConnection,
    part: Option<&String>,
) -> AppResult<()> {
    if let Some(p) = part
        && store::part::by_number(tx, p).await?.is_none()
    {
        return Err(AppError::Invalid(
            Violation::new("part_number", "complaint.part_unknown")
                .with_detail(p.clone())
                .into(),
        ));
    }
    Ok(())
}

/// Files a complaint (staff intake). The station must be within the caller's reach;
/// a third complaint on one vehicle within 90 days becomes urgent ("repeated") by
/// itself. The clock starts at once on the station's calendar under the current
/// policy of its category × severity.
pub async fn file(app: &App, grant: &Grant, input: &FileInput) -> AppResult<ComplaintRow> {
    crate::network::expect(grant, Action::ComplaintWrite)?;
    file_as(app, grant, input, false).await
}

/// The signed-in owner files a complaint about their own vehicle.
pub async fn file_own(app: &App, grant: &Grant, input: &FileInput) -> AppResult<ComplaintRow> {
    crate::network::expect(grant, Action::ComplaintOwnerFile)?;
    let Reach::Customer(cid) = grant.reach() else {
        return Err(AppError::Forbidden);
    };
    let mut own = input.clone();
    own.customer_id = Some(cid.get());
    if let Some(vid) = own.vehicle_id {
        let mut c = conn(app).await?;
        let v = store::vehicle::get(&mut c, &Reach::All, vid).await?;
        if v.owner_id != cid.get() {
            return Err(AppError::Invalid(
                Violation::new("vehicle_id", "complaint.vehicle_not_yours").into(),
            ));
        }
        // The owner does not know which station answers: the vehicle's own does.
        if own.station_id <= 0 {
            own.station_id = v.station_id;
        }
    }
    file_as(app, grant, &own, true).await
}

async fn file_as(
    app: &App,
    grant: &Grant,
    input: &FileInput,
    owner: bool,
) -> AppResult<ComplaintRow> {
    let mut c = conn(app).await?;
    let cats = category::load(&mut c).await?;
    let (channel, category, asked, description, link, part) =
        parse_file(input, owner, &cats).map_err(AppError::Invalid)?;
    let station = store::network::station(&mut c, &Reach::All, input.station_id)
        .await
        .map_err(|_| {
            AppError::Refused(Violation::new("station_id", "complaint.station_unknown").into())
        })?;
    drop(c);
    if !owner {
        covers(grant, station.id, station.region_id)?;
    }
    let now = app.now_ms();
    let who = grant.principal().clone();
    let (link, description, category, part) = (&link, &description, &category, &part);
    let id = run(app, "complaint.file", move |mut tx| async move {
        part_known(&mut tx, part.as_ref()).await?;
        let earlier: Vec<jiff::Timestamp> = match input.vehicle_id {
            Some(v) => store::complaint::vehicle_received_since(
                &mut tx,
                v,
                now - rules::REPEATED_WINDOW_DAYS * 86_400_000,
            )
            .await?
            .into_iter()
            .filter_map(|ms| jiff::Timestamp::from_millisecond(ms).ok())
            .collect(),
            None => Vec::new(),
        };
        let now_ts = jiff::Timestamp::from_millisecond(now)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let severity = rules::effective_severity(asked, &earlier, now_ts);
        let pol = clock::policy_in_force(&mut tx, category, severity, now).await?;
        let new = store::complaint::NewComplaint {
            station_id: station.id,
            region_id: station.region_id,
            customer_id: input.customer_id,
            vehicle_id: input.vehicle_id,
            repair_order_id: input.repair_order_id,
            channel: channel.code(),
            source_link: link.as_deref(),
            category: category.as_str(),
            severity: severity.level(),
            urgent_reason: severity.reason(),
            description,
            policy_id: pol.0,
            received_at: now,
            created_by: who.id,
            part_number: part.as_deref(),
        };
        let id = store::complaint::insert(&mut tx, &new).await?;
        store::complaint::clock::add_segment(
            &mut tx,
            id,
            1,
            now,
            station.id,
            clock::mode_str(pol.1.mode),
        )
        .await?;
        let detail = serde_json::json!({
            "channel": channel.code(), "category": category.as_str(), "severity": severity.level(),
            "urgent_reason": severity.reason(), "repeated_by_rule": severity != asked,
            "part_number": part,
        });
        store::complaint::add_event(
            &mut tx,
            id,
            now,
            "received",
            who.role.code(),
            who.id,
            &detail,
        )
        .await?;
        clock::recompute(&mut tx, id, now).await?;
        crate::kpi::record::complaint_changed(&mut tx, id, &Vec::new()).await?;
        Ok((tx, id))
    })
    .await?;
    app.wake_jobs();
    let mut c = conn(app).await?;
    store::complaint::get(&mut c, &Reach::All, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// One complaint with its timeline, clock, zeros, follow-up, goodwill and notices.
pub async fn detail(app: &App, grant: &Grant, id: i64) -> AppResult<Detail> {
    crate::network::expect(grant, Action::ComplaintRead)?;
    let mut c = conn(app).await?;
    let mut complaint = store::complaint::get(&mut c, grant.reach(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    mask_typed_numbers(&mut complaint);
    let n = complaint.clock_no;
    let state = rules::State::from_code(&complaint.state)
        .ok_or_else(|| AppError::Internal(format!("complaint state {}", complaint.state)))?;
    Ok(Detail {
        events: store::complaint::events(&mut c, id).await?,
        stages: store::complaint::clock::stages(&mut c, id, n).await?,
        zeros: store::complaint::closure::zeros(&mut c, id, n).await?,
        follow_up: store::complaint::closure::follow_up(&mut c, id, n).await?,
        goodwill: store::complaint::closure::goodwill(&mut c, id).await?,
        attachments: store::complaint::attachment::of_complaint(&mut c, id).await?,
        notices: store::complaint::notice::for_complaint(&mut c, id).await?,
        allowed: rules::workflow::allowed(state)
            .iter()
            .map(|e| e.code().to_string())
            .collect(),
        complaint,
    })
}

/// The queue within the caller's reach (an owner's: their own complaints), nearest
/// deadline first; and the total.
pub async fn queue(
    app: &App,
    grant: &Grant,
    filter: &QueueFilter,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<ComplaintRow>, i64)> {
    crate::network::expect(grant, Action::ComplaintRead)?;
    let mut v = Violations::new();
    let mut c = conn(app).await?;
    if let Some(code) = &filter.category {
        let cats = category::load(&mut c).await?;
        v.field("category", category::known(&cats, code));
    }
    if let Some(s) = &filter.state {
        v.field("state", rules::State::parse(s));
    }
    if let Some(s) = &filter.severity
        && s != "normal"
        && s != "urgent"
    {
        v.push(Violation::new("severity", "complaint.severity_unknown"));
    }
    v.into_result().map_err(AppError::Invalid)?;
    let (mut rows, total) = store::complaint::queue(
        &mut c,
        grant.reach(),
        filter,
        limit.clamp(1, 500),
        offset.max(0),
    )
    .await?;
    rows.iter_mut().for_each(mask_typed_numbers);
    Ok((rows, total))
}

/// A phone or ID number typed into the customer's words is masked for staff, as in
/// every other free text the product shows (the privacy policy's free-text field).
fn mask_typed_numbers(row: &mut ComplaintRow) {
    row.description = domain::privacy::text::mask_numbers(&row.description);
    row.urgent_reason = row
        .urgent_reason
        .as_deref()
        .map(domain::privacy::text::mask_numbers);
}

/// The signed-in owner's complaints, newest first.
pub async fn mine(app: &App, grant: &Grant) -> AppResult<Vec<ComplaintRow>> {
    crate::network::expect(grant, Action::ComplaintRead)?;
    let Reach::Customer(cid) = grant.reach() else {
        return Err(AppError::Forbidden);
    };
    let mut c = conn(app).await?;
    Ok(store::complaint::for_customer(&mut c, cid.get()).await?)
}
