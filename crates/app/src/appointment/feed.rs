//! iCalendar feeds of appointments (RFC 5545): per station for staff (signed in), and
//! per owner through an unguessable token URL (`/ical/owner/{token}.ics`; 256 random
//! bits, only the SHA-256 stored, revocable), since calendar apps cannot sign in.
//!
//! Lines end in CRLF and are folded at 75 octets (never inside a UTF-8 character);
//! times are UTC (`…Z`); every appointment has a stable UID; summaries are Chinese.

use crate::network::expect;
use crate::{App, AppError, AppResult, actor, conn};
use domain::permission::{Action, Grant, Principal, Unit};
use store::appointment::feed::FeedRow;

/// The action that reads a station's feed: whoever may read its appointments.
pub const READ: Action = Action::AppointmentRead;
/// The action that issues or revokes an owner's feed token: a token is the customer's
/// credential, so whoever may change the customer's record.
pub const WRITE: Action = Action::CustomerWrite;

/// Days of past appointments a feed keeps.
pub const PAST_DAYS: i64 = 30;
/// Days ahead a station feed shows.
pub const AHEAD_DAYS: i64 = 180;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// One event of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Globally unique, stable id.
    pub uid: String,
    /// Start, UTC ms.
    pub start_ms: i64,
    /// End, UTC ms.
    pub end_ms: i64,
    /// Last change, UTC ms (DTSTAMP and LAST-MODIFIED).
    pub stamp_ms: i64,
    /// Title.
    pub summary: String,
    /// Where.
    pub location: String,
    /// Details.
    pub description: String,
}

/// A UTC instant in iCalendar's basic form, `20261124T020000Z`.
pub fn utc(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t.strftime("%Y%m%dT%H%M%SZ").to_string(),
        Err(_) => "19700101T000000Z".into(),
    }
}

/// Escapes a TEXT value: backslash, semicolon, comma and newlines.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds one content line to at most 75 octets per physical line (continuations
/// start with a space), splitting only between characters; each physical line ends
/// in CRLF.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3 + 2);
    let mut used = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
    out
}

/// The whole calendar.
pub fn render(name: &str, events: &[Event]) -> String {
    let mut s = String::new();
    let mut line = |l: String| s.push_str(&fold(&l));
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//Aftersales//Service Appointments//ZH".into());
    line("CALSCALE:GREGORIAN".into());
    line(format!("X-WR-CALNAME:{}", escape(name)));
    for e in events {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", e.uid));
        line(format!("DTSTAMP:{}", utc(e.stamp_ms)));
        line(format!("LAST-MODIFIED:{}", utc(e.stamp_ms)));
        line(format!("DTSTART:{}", utc(e.start_ms)));
        line(format!("DTEND:{}", utc(e.end_ms)));
        line(format!("SUMMARY:{}", escape(&e.summary)));
        line(format!("LOCATION:{}", escape(&e.location)));
        if !e.description.is_empty() {
            line(format!("DESCRIPTION:{}", escape(&e.description)));
        }
        line("STATUS:CONFIRMED".into());
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    s
}

/// The Chinese name of a service type code.
pub fn service_name(code: &str) -> &str {
    match code {
        "maintenance" => "保养",
        "repair" => "维修",
        "warranty" => "保修",
        "recall" => "召回",
        "accident_body" => "事故车钣喷",
        "ev_battery_check" => "动力电池检测",
        other => other,
    }
}

fn event(r: &FeedRow, summary: String, description: String) -> Event {
    Event {
        uid: format!("appointment-{}@aftersales", r.id),
        start_ms: r.start_at,
        end_ms: r.start_at + r.duration_minutes.max(1) * 60_000,
        stamp_ms: r.updated_at,
        summary,
        location: format!("{} {}", r.station_name, r.station_address),
        description,
    }
}

/// The appointment feed of a station within reach: from 30 days ago to 180 days
/// ahead, cancelled ones left out. Needs [`READ`].
pub async fn station_feed(app: &App, grant: &Grant, station_id: i64) -> AppResult<String> {
    expect(grant, READ)?;
    let now = app.now_ms();
    let mut c = conn(app).await?;
    let station = store::network::station(&mut c, grant.reach(), station_id).await?;
    let rows = store::appointment::feed::station_feed(
        &mut c,
        grant.reach(),
        station_id,
        now - PAST_DAYS * DAY_MS,
        now + AHEAD_DAYS * DAY_MS,
    )
    .await?;
    let events: Vec<Event> = rows
        .iter()
        .map(|r| {
            let plate = r.plate.as_deref().unwrap_or("无牌照");
            let summary = format!("{} · {plate}", service_name(&r.service_type));
            event(r, summary, r.concern.clone().unwrap_or_default())
        })
        .collect();
    Ok(render(&format!("{} 预约", station.name_zh), &events))
}

/// The feed behind an owner's token: their appointments from 30 days ago on,
/// cancelled ones left out. An unknown or revoked token is [`AppError::NotFound`].
pub async fn owner_feed(app: &App, token: &str) -> AppResult<String> {
    if token.len() < 32 {
        return Err(AppError::NotFound);
    }
    let now = app.now_ms();
    let mut c = conn(app).await?;
    let customer =
        store::appointment::feed::customer_of(&mut c, &crate::auth::hash_secret(token)).await?;
    let rows =
        store::appointment::feed::owner_feed(&mut c, customer, now - PAST_DAYS * DAY_MS).await?;
    let events: Vec<Event> = rows
        .iter()
        .map(|r| {
            let summary = format!("{}预约 · {}", service_name(&r.service_type), r.station_name);
            let description = match &r.plate {
                Some(p) => format!("车辆 {p}"),
                None => String::new(),
            };
            event(r, summary, description)
        })
        .collect();
    Ok(render("我的售后预约", &events))
}

/// The path of an owner's feed.
pub fn owner_feed_path(token: &str) -> String {
    format!("/ical/owner/{token}.ics")
}

async fn issue(app: &App, who: store::event::Actor<'_>, customer_id: i64) -> AppResult<String> {
    let now = app.now_ms();
    let token = crate::auth::new_secret();
    let token = &token;
    crate::transaction::run(app, "appointment.issue", move |mut tx| async move {
        let token = token.clone();
        store::appointment::feed::issue_token(
            &mut tx,
            customer_id,
            &crate::auth::hash_secret(&token),
            now,
        )
        .await?;
        store::event::record(
            &mut tx,
            now,
            who,
            "customer",
            customer_id,
            "calendar_token_issued",
            &serde_json::json!({}),
            None,
        )
        .await?;
        Ok((tx, token))
    })
    .await
}

/// Issues a customer's calendar-feed token (replacing any earlier one) and returns
/// it; only its hash is kept. Needs [`WRITE`] and the customer within reach.
pub async fn issue_owner_token(app: &App, grant: &Grant, customer_id: i64) -> AppResult<String> {
    expect(grant, WRITE)?;
    store::customer::get(&mut *conn(app).await?, grant.reach(), customer_id).await?;
    issue(app, actor(grant), customer_id).await
}

/// A signed-in owner issues their own calendar-feed token.
pub async fn issue_own_token(app: &App, principal: &Principal) -> AppResult<String> {
    let Unit::Owner(customer) = principal.unit else {
        return Err(AppError::Forbidden);
    };
    let who = store::event::Actor {
        role: "owner",
        id: customer.get(),
        kind: "person",
    };
    issue(app, who, customer.get()).await
}

/// Revokes a customer's calendar-feed token: the old URL then finds nothing. Needs
/// [`WRITE`] and the customer within reach.
pub async fn revoke_owner_token(app: &App, grant: &Grant, customer_id: i64) -> AppResult<()> {
    expect(grant, WRITE)?;
    let now = app.now_ms();
    crate::transaction::run(
        app,
        "appointment.revoke_owner_token",
        move |mut tx| async move {
            store::customer::get(&mut tx, grant.reach(), customer_id).await?;
            let n = store::appointment::feed::revoke_tokens(&mut tx, customer_id, now).await?;
            store::event::record(
                &mut tx,
                now,
                actor(grant),
                "customer",
                customer_id,
                "calendar_token_revoked",
                &serde_json::json!({"revoked": n}),
                None,
            )
            .await?;
            Ok((tx, ()))
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let line = format!("SUMMARY:{}", "保养预约".repeat(30));
        let folded = fold(&line);
        assert!(folded.ends_with("\r\n"));
        for l in folded.trim_end_matches("\r\n").split("\r\n") {
            assert!(l.len() <= 75, "{} octets", l.len());
        }
        let unfolded = folded.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, line);
        assert_eq!(fold("A"), "A\r\n");
    }

    #[test]
    fn escapes_text_and_formats_utc() {
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
        assert_eq!(utc(0), "19700101T000000Z");
        assert_eq!(utc(1_795_399_200_000), "20261123T020000Z");
    }
}
