//! Quality audits (SPEC §10): head office publishes checklist versions ([`checklist`]),
//! an auditor visits a station and fills the checklist (a draft saved answer by
//! answer, so a phone that loses its signal loses nothing), submitting scores it
//! (落实率) and opens a corrective action for every failed checkpoint ([`action`]);
//! stations rate their depot each quarter ([`depot`]); photos of failed checkpoints
//! ([`photo`]).

pub mod action;
pub mod checklist;
pub mod depot;
pub mod photo;

use crate::transaction::run;
use crate::{App, AppError, AppResult, conn};
use domain::ids::{RegionId, StationId};
use domain::permission::{Action, Grant, Reach};
use domain::quality_audit::checklist::Answer;
use domain::quality_audit::{AuditKind, Verdict, optional_text, required_text};
use domain::{Violation, Violations};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
pub use store::quality_audit::action::{ActionEventRow, ActionRow};
pub use store::quality_audit::{AnswerRow, ChecklistRow, VisitRow};

/// The grant's unit may see or act on a record of `station` in `region`.
pub(crate) fn covers(grant: &Grant, station: i64, region: i64) -> AppResult<()> {
    if grant.covers_station(StationId(station), RegionId(region)) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// What starting a visit sends.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitInput {
    /// The station audited.
    #[serde(default)]
    #[schema(required = true, minimum = 1)]
    pub station_id: i64,
    /// `head_office`, `third_party` or `mystery_shopper`.
    #[serde(default)]
    #[schema(
        required = true,
        pattern = "^(head_office|third_party|mystery_shopper)$"
    )]
    pub kind: String,
    /// The day of the visit, `YYYY-MM-DD`; a day still to come is refused (409).
    #[serde(default)]
    #[schema(value_type = String, format = Date, required = true)]
    pub visited_on: String,
}

/// One answer as sent.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AuditAnswerInput)]
pub struct AnswerInput {
    /// The checkpoint's code.
    #[serde(default)]
    #[schema(required = true, pattern = "^[A-Za-z0-9_]{1,20}$")]
    pub code: String,
    /// `pass`, `fail` or `not_applicable`.
    #[serde(default)]
    #[schema(required = true, pattern = "^(pass|fail|not_applicable)$")]
    pub verdict: String,
    /// What was found (required when failed).
    #[serde(default)]
    #[schema(schema_with = crate::schema::opt_lines::<2000>)]
    pub finding: Option<String>,
}

/// A batch of answers.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswersInput {
    /// The answers, any subset of the checklist (at least one); a code the visit's
    /// checklist lacks is refused (409).
    #[serde(default)]
    #[schema(required = true, min_items = 1)]
    pub answers: Vec<AnswerInput>,
}

/// What submitting sends.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitInput {
    /// The auditor's summary.
    #[serde(default)]
    #[schema(schema_with = crate::schema::opt_lines::<2000>)]
    pub summary: Option<String>,
}

/// A visit with everything its page shows.
#[derive(Debug, Clone, Serialize)]
pub struct VisitDetail {
    /// The visit.
    pub visit: VisitRow,
    /// The station's name in Chinese and English.
    pub station_name: (String, String),
    /// The auditor's name.
    pub auditor_name: String,
    /// The checklist version it is scored on.
    pub checklist: ChecklistRow,
    /// Its checkpoints in order.
    pub checkpoints: Vec<domain::quality_audit::checklist::Checkpoint>,
    /// The answers given so far.
    pub answers: Vec<AnswerRow>,
    /// The compliance rate in basis points, once submitted (None: nothing applicable).
    pub compliance_bp: Option<u32>,
    /// Per step: code, passed, applicable, rate (bp) — once submitted.
    pub steps: Vec<(String, u32, u32, Option<u32>)>,
    /// The corrective actions it opened.
    pub actions: Vec<ActionRow>,
}

fn parse_day(
    field: &str,
    s: &str,
    today: jiff::civil::Date,
) -> Result<jiff::civil::Date, Violation> {
    let d: jiff::civil::Date = s.trim().parse().map_err(|_| {
        Violation::new(field, "quality_audit.date_invalid").with_detail(s.trim().to_string())
    })?;
    if d > today {
        return Err(Violation::new(field, "quality_audit.date_future").with_detail(d.to_string()));
    }
    Ok(d)
}

/// Today's date in Shanghai on the app's clock.
pub(crate) fn today(app: &App) -> AppResult<jiff::civil::Date> {
    let now = jiff::Timestamp::from_millisecond(app.now_ms())
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(now.to_zoned(domain::calendar::shanghai()).date())
}

/// Today in Shanghai as `YYYY-MM-DD` (the default day of a new visit's form).
pub fn today_text(app: &App) -> String {
    today(app).map(|d| d.to_string()).unwrap_or_default()
}

/// Today in Shanghai (the current quarter of the depot ratings).
pub fn today_date(app: &App) -> jiff::civil::Date {
    today(app).unwrap_or(jiff::civil::date(2026, 1, 1))
}

/// Starts a draft visit of a station on the current checklist (the shipped one is
/// published as version 1 the first time). A closed station cannot be audited.
pub async fn start(app: &App, grant: &Grant, input: &VisitInput) -> AppResult<VisitRow> {
    crate::network::expect(grant, Action::QualityAuditWrite)?;
    let mut v = Violations::new();
    let kind = v.field("kind", AuditKind::parse(&input.kind));
    let day = v.field(
        "visited_on",
        parse_day("visited_on", &input.visited_on, jiff::civil::Date::MAX),
    );
    if input.station_id <= 0 {
        v.push(Violation::new(
            "station_id",
            "quality_audit.station_required",
        ));
    }
    v.clone().into_result().map_err(AppError::Invalid)?;
    let (Some(kind), Some(day)) = (kind, day) else {
        return Err(AppError::Invalid(v));
    };
    // A well-formed day still to come depends on the clock: refused, not invalid.
    if day > today(app)? {
        return Err(AppError::Refused(
            Violation::new("visited_on", "quality_audit.date_future")
                .with_detail(day.to_string())
                .into(),
        ));
    }
    let mut c = conn(app).await?;
    let station = store::network::station(&mut c, &Reach::All, input.station_id)
        .await
        .map_err(|_| {
            // A well-formed id of a station this database does not hold: refused
            // (409), as for every reference to a missing record.
            AppError::Refused(Violation::new("station_id", "quality_audit.station_unknown").into())
        })?;
    drop(c);
    covers(grant, station.id, station.region_id)?;
    if station.status == "closed" {
        return Err(AppError::Refused(
            Violation::new("station_id", "quality_audit.station_closed").into(),
        ));
    }
    let now = app.now_ms();
    let auditor = grant.principal().id;
    let day = day.to_string();
    let id = run(app, "quality_audit.start", |mut tx| {
        let day = day.clone();
        let station = station.clone();
        async move {
            let list = checklist::current_or_default(&mut tx, now).await?;
            let new = store::quality_audit::NewVisit {
                station_id: station.id,
                region_id: station.region_id,
                checklist_id: list.id,
                kind: kind.code(),
                auditor_id: auditor,
                visited_on: &day,
                created_at: now,
            };
            let id = store::quality_audit::insert_visit(&mut tx, &new).await?;
            Ok((tx, id))
        }
    })
    .await?;
    let mut c = conn(app).await?;
    store::quality_audit::visit(&mut c, &Reach::All, id)
        .await?
        .ok_or(AppError::NotFound)
}

async fn visit_in_reach(app: &App, grant: &Grant, id: i64) -> AppResult<VisitRow> {
    let mut c = conn(app).await?;
    store::quality_audit::visit(&mut c, grant.reach(), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Saves answers of a draft visit (any subset; a later answer to the same checkpoint
/// replaces the earlier). Each is checked against the visit's checklist version.
pub async fn answer(
    app: &App,
    grant: &Grant,
    id: i64,
    answers: &[AnswerInput],
) -> AppResult<VisitDetail> {
    crate::network::expect(grant, Action::QualityAuditWrite)?;
    let visit = visit_in_reach(app, grant, id).await?;
    if visit.state != "draft" {
        return Err(AppError::Refused(
            Violation::new("state", "quality_audit.visit_submitted").into(),
        ));
    }
    let list = checklist::of_visit(app, &visit).await?;
    let mut v = Violations::new();
    let mut unknown = Violations::new();
    let mut clean: Vec<(String, Verdict, Option<String>)> = Vec::new();
    for (i, a) in answers.iter().enumerate() {
        let code = a.code.trim();
        if list.checkpoint(code).is_none() {
            unknown.push(
                Violation::new(
                    format!("answers[{i}].code"),
                    "quality_audit.checkpoint_unknown",
                )
                .with_detail(code.to_string()),
            );
            continue;
        }
        let verdict = v.field(&format!("answers[{i}].verdict"), Verdict::parse(&a.verdict));
        let finding = v.field(
            &format!("answers[{i}].finding"),
            optional_text(&format!("answers[{i}].finding"), a.finding.as_deref()),
        );
        if let (Some(verdict), Some(finding)) = (verdict, finding) {
            if verdict == Verdict::Fail && finding.is_none() {
                v.push(
                    Violation::new(
                        format!("answers[{i}].finding"),
                        "quality_audit.finding_required",
                    )
                    .with_detail(code.to_string()),
                );
            }
            clean.push((code.to_string(), verdict, finding));
        }
    }
    if answers.is_empty() {
        v.push(Violation::new("answers", "quality_audit.answers_empty"));
    }
    v.into_result().map_err(AppError::Invalid)?;
    // A well-formed code this visit's checklist version lacks: refused by the record.
    unknown.into_result().map_err(AppError::Refused)?;
    // A code answered twice in one call: the later answer stands, as it would if sent
    // one after the other (and one statement may set a row only once).
    let latest: BTreeMap<String, (Verdict, Option<String>)> = clean
        .into_iter()
        .map(|(code, verdict, finding)| (code, (verdict, finding)))
        .collect();
    run(app, "quality_audit.answer", |mut tx| {
        let latest = latest.clone();
        async move {
            let rows: Vec<(&str, &str, Option<&str>)> = latest
                .iter()
                .map(|(code, (verdict, finding))| {
                    (code.as_str(), verdict.code(), finding.as_deref())
                })
                .collect();
            store::quality_audit::set_answers(&mut tx, id, &rows).await?;
            Ok((tx, ()))
        }
    })
    .await?;
    view(app, grant, id).await
}

/// Submits a draft visit: every checkpoint must be answered; the score is stored and a
/// corrective action opened for every failed checkpoint, due
/// [`domain::quality_audit::DEFAULT_ACTION_DAYS`] after the visit, with its overdue timer.
pub async fn submit(
    app: &App,
    grant: &Grant,
    id: i64,
    input: &SubmitInput,
) -> AppResult<VisitDetail> {
    crate::network::expect(grant, Action::QualityAuditWrite)?;
    let visit = visit_in_reach(app, grant, id).await?;
    if visit.state != "draft" {
        return Err(AppError::Refused(
            Violation::new("state", "quality_audit.visit_submitted").into(),
        ));
    }
    let summary = optional_text("summary", input.summary.as_deref())
        .map_err(|v| AppError::Invalid(v.into()))?;
    let list = checklist::of_visit(app, &visit).await?;
    let mut c = conn(app).await?;
    let stored = store::quality_audit::answers(&mut c, id).await?;
    drop(c);
    let answers: Vec<Answer> = stored
        .iter()
        .filter_map(|a| {
            Verdict::from_code(&a.verdict).map(|verdict| Answer {
                code: a.code.clone(),
                verdict,
                finding: a.finding.clone(),
            })
        })
        .collect();
    let score = list
        .score(&answers)
        .map_err(|v| AppError::Refused(v.into()))?;
    let visited: jiff::civil::Date = visit
        .visited_on
        .parse()
        .map_err(|_| AppError::Internal("visited_on".into()))?;
    let due = visited
        .checked_add(jiff::Span::new().days(domain::quality_audit::DEFAULT_ACTION_DAYS))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let now = app.now_ms();
    let who = grant.principal().id;
    let failed: Vec<(String, String)> = answers
        .iter()
        .filter(|a| a.verdict == Verdict::Fail)
        .map(|a| (a.code.clone(), a.finding.clone().unwrap_or_default()))
        .collect();
    let t = score.total;
    run(app, "quality_audit.submit", |mut tx| {
        let (failed, summary, visit) = (failed.clone(), summary.clone(), visit.clone());
        async move {
            let tally = (
                i64::from(t.passed),
                i64::from(t.failed),
                i64::from(t.not_applicable),
            );
            if !store::quality_audit::submit_visit(&mut tx, id, tally, summary.as_deref(), now)
                .await?
            {
                return Err(AppError::Refused(
                    Violation::new("state", "quality_audit.visit_submitted").into(),
                ));
            }
            crate::kpi::record::audit_submitted(&mut tx, id).await?;
            for (code, finding) in &failed {
                let problem =
                    required_text("finding", finding).map_err(|v| AppError::Invalid(v.into()))?;
                action::open(&mut tx, &visit, code, &problem, due, now, who).await?;
            }
            Ok((tx, ()))
        }
    })
    .await?;
    app.wake_jobs();
    view(app, grant, id).await
}

/// Every active station within the auditor's reach, by id, in one query: what the
/// start form offers (a network of 1,000 stations, searched by name or code in the
/// page, never cut at a page of 200). Needs `QualityAuditWrite`.
pub async fn auditable_stations(
    app: &App,
    grant: &Grant,
) -> AppResult<Vec<store::kpi::StationPoint>> {
    crate::network::expect(grant, Action::QualityAuditWrite)?;
    let mut c = conn(app).await?;
    Ok(store::kpi::stations(&mut c, grant.reach()).await?)
}

/// A visit with its checklist, answers, score by step and actions.
pub async fn detail(app: &App, grant: &Grant, id: i64) -> AppResult<VisitDetail> {
    crate::network::expect(grant, Action::QualityAuditRead)?;
    view(app, grant, id).await
}

/// The visit's page for a grant already checked (read, or the write just done).
async fn view(app: &App, grant: &Grant, id: i64) -> AppResult<VisitDetail> {
    let visit = visit_in_reach(app, grant, id).await?;
    let list = checklist::of_visit(app, &visit).await?;
    let mut c = conn(app).await?;
    let row = store::quality_audit::checklist(&mut c, visit.checklist_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let answers = store::quality_audit::answers(&mut c, id).await?;
    let actions = store::quality_audit::action::of_visit(&mut c, id).await?;
    let station = store::network::station(&mut c, &Reach::All, visit.station_id).await?;
    let auditor = store::people::staff(&mut c, &Reach::All, visit.auditor_id)
        .await
        .map(|s| s.name)
        .unwrap_or_default();
    let (compliance_bp, steps) = if visit.state == "submitted" {
        let given: Vec<Answer> = answers
            .iter()
            .filter_map(|a| {
                Verdict::from_code(&a.verdict).map(|verdict| Answer {
                    code: a.code.clone(),
                    verdict,
                    finding: a.finding.clone(),
                })
            })
            .collect();
        match list.score(&given) {
            Ok(s) => (
                s.total.compliance_bp(),
                s.by_step
                    .iter()
                    .map(|(st, t)| (st.clone(), t.passed, t.applicable(), t.compliance_bp()))
                    .collect(),
            ),
            Err(_) => (None, Vec::new()),
        }
    } else {
        (None, Vec::new())
    };
    Ok(VisitDetail {
        visit,
        station_name: (station.name_zh, station.name_en),
        auditor_name: auditor,
        checklist: row,
        checkpoints: list.checkpoints().to_vec(),
        answers,
        compliance_bp,
        steps,
        actions,
    })
}

/// Visits within the caller's reach, newest first, a page of them.
pub async fn list(
    app: &App,
    grant: &Grant,
    station_id: Option<i64>,
    page: store::Page,
) -> AppResult<store::Paged<VisitRow>> {
    crate::network::expect(grant, Action::QualityAuditRead)?;
    let mut c = conn(app).await?;
    let (items, total) = store::quality_audit::visits(
        &mut c,
        grant.reach(),
        station_id,
        page.per_page,
        page.offset(),
    )
    .await?;
    Ok(store::Paged {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}
