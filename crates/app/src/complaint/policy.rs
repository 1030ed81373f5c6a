//! Service-level policies per category × severity, versioned: head office publishes
//! a new version ([`publish`]); a complaint keeps the version it was opened under,
//! except that publishing recomputes the open complaints of that category × severity
//! onto the new version, keeping the time already counted (SPEC §6 clock rules).

use crate::transaction::run;
use crate::{App, AppError, AppResult, conn};
use domain::calendar::ClockMode;
use domain::complaint::sla::{Level, Policy, Targets};
use domain::permission::{Action, Grant};
use domain::{Violation, Violations};
use serde::{Deserialize, Serialize};

/// What head office sends to publish a policy version.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ComplaintPolicyInput)]
pub struct PolicyInput {
    /// Category code.
    #[serde(default)]
    #[schema(schema_with = crate::schema::complaint_category, required = true)]
    pub category: String,
    /// `normal` or `urgent`.
    #[serde(default)]
    #[schema(schema_with = crate::schema::severity_level, required = true)]
    pub severity: String,
    /// `business` or `calendar`.
    #[serde(default)]
    #[schema(schema_with = crate::schema::clock_mode, required = true)]
    pub mode: String,
    /// Minutes: first response.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 527040, required = true)]
    pub first_response: i64,
    /// Minutes: full record.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 527040, required = true)]
    pub full_record: i64,
    /// Minutes: analysis.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 527040, required = true)]
    pub analysis: i64,
    /// Minutes: solution after the analysis.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 527040, required = true)]
    pub solution: i64,
    /// Minutes: closure.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 527040, required = true)]
    pub closure: i64,
    /// The escalation ladder (SPEC §6 "the policy may change the steps"): one to five
    /// steps, the first at 100 % or later, strictly rising, each naming who is told.
    /// Left out, the version in force keeps its ladder (the SPEC default
    /// 100/150/200 % when none is stored).
    #[serde(default)]
    #[schema(min_items = 1, max_items = 5)]
    pub ladder: Option<Vec<LadderStepInput>>,
}

/// One step of an escalation ladder as head office sends it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ComplaintLadderStepInput)]
pub struct LadderStepInput {
    /// Percent of the target at which the step fires (100 … 1000).
    #[serde(default)]
    #[schema(minimum = 100, maximum = 1000, required = true)]
    pub percent: i64,
    /// Who is told: `station_manager`, `regional_manager` or `head_office`.
    #[serde(default)]
    #[schema(schema_with = crate::schema::code::<domain::complaint::sla::Level>, required = true)]
    pub notify: String,
}

/// Reads a ladder, naming each bad step (`ladder[i].percent`, `ladder[i].notify`);
/// the domain's rules (count, start, rising) are checked with the policy.
fn ladder_of(v: &mut Violations, steps: &[LadderStepInput]) -> Vec<(u32, Level)> {
    let mut out = Vec::with_capacity(steps.len());
    for (i, st) in steps.iter().enumerate() {
        let level = v.field(
            &format!("ladder[{i}].notify"),
            Level::parse(st.notify.trim()),
        );
        // A percentage out of u32 stands as too high; the domain names the rule.
        let percent = u32::try_from(st.percent.max(0)).unwrap_or(u32::MAX);
        out.push((percent, level.unwrap_or(Level::HeadOffice)));
    }
    out
}

/// A published version.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PolicyView {
    /// Id.
    pub id: i64,
    /// Category code.
    pub category: String,
    /// Severity level code.
    pub severity: String,
    /// Version.
    pub version: i64,
    /// The policy.
    #[schema(value_type = Object)]
    pub policy: serde_json::Value,
}

/// Publishes the next version of a policy; every bad field is named (zero or negative
/// targets, a category the catalogue does not hold, unknown mode). Open complaints of that category ×
/// severity move onto it: a new clock segment keeps the time counted so far.
pub async fn publish(app: &App, grant: &Grant, input: &PolicyInput) -> AppResult<PolicyView> {
    crate::network::expect(grant, Action::ComplaintPolicy)?;
    let mut v = Violations::new();
    let cats = {
        let mut c = conn(app).await?;
        super::category::load(&mut c).await?
    };
    let category = v.field("category", super::category::known(&cats, &input.category));
    let level = match input.severity.trim() {
        "normal" => Some("normal"),
        "urgent" => Some("urgent"),
        _ => {
            v.push(Violation::new("severity", "complaint.severity_unknown"));
            None
        }
    };
    let mode = match input.mode.trim() {
        "business" => Some(ClockMode::Business),
        "calendar" => Some(ClockMode::Calendar),
        _ => {
            v.push(Violation::new("mode", "complaint.mode_unknown"));
            None
        }
    };
    let policy = Policy {
        mode: mode.unwrap_or(ClockMode::Business),
        targets: Targets {
            first_response: input.first_response,
            full_record: input.full_record,
            analysis: input.analysis,
            solution: input.solution,
            closure: input.closure,
        },
        warnings: vec![50, 75],
        ladder: match &input.ladder {
            Some(steps) => ladder_of(&mut v, steps),
            None => match (&category, level) {
                (Some(cat), Some(level)) => {
                    let mut c = conn(app).await?;
                    store::complaint::clock::current_policy(&mut c, cat.as_str(), level)
                        .await?
                        .map(|row| parse_body(&row.body))
                        .transpose()?
                        .map(|p| p.ladder)
                        .unwrap_or_else(|| Policy::spec_default(ClockMode::Business).ladder)
                }
                _ => Policy::spec_default(ClockMode::Business).ladder,
            },
        },
    };
    if let Err(e) = policy.validate() {
        v.0.extend(e.0);
    }
    // A category the catalogue does not hold (the catalogue is data, not a list the
    // document can name) and steps that do not rise (a rule across the steps) are
    // what no schema states: refused (409), when nothing else is wrong.
    const UNSTATED: [&str; 2] = ["complaint.category_unknown", "complaint.ladder_not_rising"];
    if !v.0.is_empty() && v.0.iter().all(|x| UNSTATED.contains(&x.rule)) {
        return Err(AppError::Refused(v));
    }
    v.clone().into_result().map_err(AppError::Invalid)?;
    let (Some(category), Some(level), Some(mode)) = (category, level, mode) else {
        return Err(AppError::Invalid(v));
    };
    let body = serde_json::to_string(&policy).map_err(|e| AppError::Internal(e.to_string()))?;
    let now = app.now_ms();
    let by = grant.principal().id;
    let mode_code = super::clock::mode_str(mode);
    let (body, category) = (&body, &category);
    let id = run(app, "complaint.publish_policy", move |mut tx| async move {
        let id = store::complaint::clock::insert_policy(
            &mut tx,
            category.as_str(),
            level,
            mode_code,
            body,
            now,
            by,
        )
        .await?;
        let open = store::complaint::clock::open_with(&mut tx, category.as_str(), level).await?;
        for cid in &open {
            super::clock::rebase(&mut tx, *cid, None, Some(id), now, "system", by).await?;
        }
        // Audited: who set which targets, and how many open complaints moved onto them.
        let data = serde_json::json!({
            "category": category.as_str(), "severity": level, "mode": mode_code,
            "targets": serde_json::from_str::<serde_json::Value>(body).unwrap_or_default()["targets"],
            "ladder": serde_json::from_str::<serde_json::Value>(body).unwrap_or_default()["ladder"],
            "open_complaints": open.len(),
        });
        store::event::record(
            &mut tx,
            now,
            crate::actor(grant),
            "complaint_policy",
            id,
            "complaint_policy_published",
            &data,
            None,
        )
        .await?;
        Ok((tx, id))
    })
    .await?;
    app.wake_jobs();
    let mut c = conn(app).await?;
    let row = store::complaint::clock::policy(&mut c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(view(row))
}

fn view(row: store::complaint::clock::PolicyRow) -> PolicyView {
    PolicyView {
        id: row.id,
        category: row.category,
        severity: row.severity,
        version: row.version,
        policy: serde_json::from_str(&row.body).unwrap_or(serde_json::Value::Null),
    }
}

/// The current version of every published policy.
pub async fn list(app: &App, grant: &Grant) -> AppResult<Vec<PolicyView>> {
    crate::network::expect(grant, Action::ComplaintRead)?;
    let mut c = conn(app).await?;
    Ok(store::complaint::clock::current_policies(&mut c)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// A category × severity's policy as the policy page shows it: the current version
/// (`None` while the SPEC defaults hold and nothing was stored yet).
#[derive(Debug, Clone)]
pub struct PolicySummary {
    /// Category code.
    pub category: String,
    /// `normal` or `urgent`.
    pub severity: &'static str,
    /// The current version, if one is stored.
    pub version: Option<i64>,
    /// The targets in force (the SPEC defaults when no version is stored).
    pub policy: Policy,
}

/// The severity levels a policy exists for.
pub const LEVELS: [&str; 2] = ["normal", "urgent"];

fn parse_body(body: &str) -> AppResult<Policy> {
    serde_json::from_str(body).map_err(|e| AppError::Internal(e.to_string()))
}

/// Every category of the catalogue (retired ones too, their old complaints still
/// run) × both severities, with the targets in force.
pub async fn overview(app: &App, grant: &Grant) -> AppResult<Vec<PolicySummary>> {
    crate::network::expect(grant, Action::ComplaintRead)?;
    let mut c = conn(app).await?;
    let cats = super::category::load(&mut c).await?;
    let stored = store::complaint::clock::current_policies(&mut c).await?;
    let mut out = Vec::new();
    for cat in &cats {
        for level in LEVELS {
            let row = stored
                .iter()
                .find(|r| r.category == cat.code && r.severity == level);
            out.push(PolicySummary {
                category: cat.code.clone(),
                severity: level,
                version: row.map(|r| r.version),
                policy: match row {
                    Some(r) => parse_body(&r.body)?,
                    None => Policy::spec_default(ClockMode::Business),
                },
            });
        }
    }
    Ok(out)
}

/// One stored version, as the history shows it.
#[derive(Debug, Clone)]
pub struct PolicyVersion {
    /// Version number.
    pub version: i64,
    /// When it was published (UTC ms).
    pub created_at: i64,
    /// Who published it (none: the system stored the defaults).
    pub by_name: Option<String>,
    /// The targets.
    pub policy: Policy,
}

/// Every version of one category × severity, newest first; an unknown category or
/// severity is 404.
pub async fn history(
    app: &App,
    grant: &Grant,
    category: &str,
    severity: &str,
) -> AppResult<Vec<PolicyVersion>> {
    crate::network::expect(grant, Action::ComplaintRead)?;
    let mut c = conn(app).await?;
    let cats = super::category::load(&mut c).await?;
    let code = super::category::known(&cats, category).map_err(|_| AppError::NotFound)?;
    if !LEVELS.contains(&severity) {
        return Err(AppError::NotFound);
    }
    store::complaint::clock::policy_versions(&mut c, code.as_str(), severity)
        .await?
        .into_iter()
        .map(|v| {
            Ok(PolicyVersion {
                version: v.row.version,
                created_at: v.row.created_at,
                by_name: v.by_name,
                policy: parse_body(&v.row.body)?,
            })
        })
        .collect()
}
