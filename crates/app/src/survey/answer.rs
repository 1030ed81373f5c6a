//! Recording answers: the owner on the one-time link (saved question by question, so
//! a partial survey is kept) and the call-centre agent's form (answered, refused,
//! unreachable with a reason). A finished survey is counted into the station's CSI
//! and NPS and checked for hot alerts in the same transaction.

use std::collections::BTreeMap;

use super::{READ, WRITE, closed, version};
use crate::network::expect;
use crate::{App, AppError, AppResult, conn};
use domain::permission::{Grant, Reach};
use domain::survey::{self as rules, Answer, Question, Questionnaire, State};
use domain::{Violation, Violations};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use store::survey::InvitationRow;
use store::survey::answer::AnswerRow;

/// What the owner's page shows for a link.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OwnerSurvey {
    /// `open` (answer it), `done` (answered, refused or closed) or `expired`.
    pub status: LinkStatus,
    /// The station asking.
    pub station_name: String,
    /// The questions in order (empty unless open).
    #[schema(value_type = Vec<Object>)]
    pub questions: Vec<Question>,
    /// The answers saved so far, by question key (scores as numbers, texts as text).
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, Answer>,
}

/// Where a one-time link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkStatus {
    /// Can be answered.
    Open,
    /// Used: answered, refused or otherwise closed.
    Done,
    /// Ran out before an answer.
    Expired,
}

async fn by_token(c: &mut AnyConnection, token: &str) -> AppResult<InvitationRow> {
    let hash = crate::auth::hash_secret(token.trim());
    store::survey::by_token_hash(c, &hash)
        .await?
        .ok_or(AppError::NotFound)
}

/// The survey of a one-time link (the token is the credential). A used link answers
/// `done`, an old one `expired`; an unknown one is not found.
pub async fn owner_view(app: &App, token: &str) -> AppResult<OwnerSurvey> {
    let mut c = conn(app).await?;
    let Ok(inv) = by_token(&mut c, token).await else {
        return Err(AppError::NotFound);
    };
    let station_name = store::network::station(&mut c, &Reach::All, inv.station_id)
        .await
        .map(|s| s.name_zh)
        .unwrap_or_default();
    let status = link_status(&inv, app.now_ms());
    if status != LinkStatus::Open {
        return Ok(OwnerSurvey {
            status,
            station_name,
            questions: Vec::new(),
            answers: BTreeMap::new(),
        });
    }
    let q = version(&mut c, inv.version).await?;
    let answers = saved(&mut c, inv.id).await?;
    Ok(OwnerSurvey {
        status,
        station_name,
        questions: q.questions().to_vec(),
        answers,
    })
}

fn link_status(inv: &InvitationRow, now: i64) -> LinkStatus {
    let open = State::from_code(&inv.state).is_some_and(State::is_open);
    match (open, inv.expires_at <= now) {
        (false, _) => LinkStatus::Done,
        (true, true) => LinkStatus::Expired,
        (true, false) => LinkStatus::Open,
    }
}

async fn saved(c: &mut AnyConnection, id: i64) -> AppResult<BTreeMap<String, Answer>> {
    Ok(store::survey::answer::of_invitation(c, id)
        .await?
        .into_iter()
        .filter_map(|a| {
            let v = match (a.score, a.text) {
                (Some(s), _) => Answer::Score(u8::try_from(s).ok()?),
                (None, Some(t)) => Answer::Text(t),
                (None, None) => return None,
            };
            Some((a.question_key, v))
        })
        .collect())
}

/// The owner saves answers on the link; `finish` closes the survey (every scored
/// and the recommend question answered, else 422 `survey.incomplete` naming the
/// first missing question). An answer outside its scale is 422 naming the question
/// and the range, nothing saved; a used link is 409 `survey.closed`, an expired one
/// 409 `survey.expired`.
pub async fn owner_answer(
    app: &App,
    token: &str,
    answers: &BTreeMap<String, String>,
    finish: bool,
) -> AppResult<LinkStatus> {
    let now = app.now_ms();
    let token = token.to_string();
    crate::transaction::run(app, "survey.owner_answer", move |mut tx| {
        let token = token.clone();
        async move {
            let inv = by_token(&mut tx, &token).await?;
            match link_status(&inv, now) {
                LinkStatus::Done => return Err(closed()),
                LinkStatus::Expired => {
                    return Err(AppError::Refused(
                        Violation::new("token", "survey.expired").into(),
                    ));
                }
                LinkStatus::Open => {}
            }
            let done = record(&mut tx, &inv, answers, finish, "owner", None, now).await?;
            Ok((
                tx,
                if done {
                    LinkStatus::Done
                } else {
                    LinkStatus::Open
                },
            ))
        }
    })
    .await
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// The customer answered (some or all questions).
    Answered,
    /// The customer declined.
    Refused,
    /// Not reached; a reason is required.
    Unreachable,
}

/// A call recorded by an agent.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SurveyCallInput)]
pub struct CallInput {
    /// How it ended.
    pub outcome: CallOutcome,
    /// Why unreachable (required then): a code of the list; a refusal may carry a
    /// short note here instead.
    #[serde(default)]
    #[schema(schema_with = super::unreachable_codes)]
    pub reason: Option<String>,
    /// Answers by question key, as typed (scores as digits).
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
    /// Close the survey now (else the answers are saved as partial).
    #[serde(default = "yes")]
    pub finish: bool,
}

fn yes() -> bool {
    true
}

/// Records the agent's call on invitation `id` within reach. A closed invitation
/// is 409 `survey.closed`; an unreachable call without a known reason 422 naming
/// `reason`. Needs [`WRITE`].
pub async fn call(app: &App, grant: &Grant, id: i64, input: &CallInput) -> AppResult<State> {
    expect(grant, WRITE)?;
    let now = app.now_ms();
    let agent = grant.principal().id;
    crate::transaction::run(app, "survey.call", move |mut tx| async move {
        let inv = store::survey::get(&mut tx, grant.reach(), id).await?;
        if !State::from_code(&inv.state).is_some_and(State::is_open) {
            return Err(closed());
        }
        let state = match input.outcome {
            CallOutcome::Refused => {
                let note = input
                    .reason
                    .as_deref()
                    .map(str::trim)
                    .filter(|r| !r.is_empty());
                store::survey::close(
                    &mut tx,
                    id,
                    "refused",
                    note,
                    Some("agent"),
                    Some(agent),
                    now,
                )
                .await?;
                State::Refused
            }
            CallOutcome::Unreachable => {
                let r = rules::unreachable_reason(input.reason.as_deref().unwrap_or("")).map_err(
                    |v| {
                        AppError::Invalid(
                            Violation {
                                field: "reason".into(),
                                ..v
                            }
                            .into(),
                        )
                    },
                )?;
                store::survey::close(
                    &mut tx,
                    id,
                    "unreachable",
                    Some(r.code()),
                    Some("agent"),
                    Some(agent),
                    now,
                )
                .await?;
                State::Unreachable
            }
            CallOutcome::Answered => {
                if record(
                    &mut tx,
                    &inv,
                    &input.answers,
                    input.finish,
                    "agent",
                    Some(agent),
                    now,
                )
                .await?
                {
                    State::Answered
                } else {
                    State::Partial
                }
            }
        };
        Ok((tx, state))
    })
    .await
}

/// Checks and saves answers on the caller's transaction; answers whether the survey
/// was finished. Every bad answer is listed and nothing is written.
pub(crate) async fn record(
    tx: &mut AnyConnection,
    inv: &InvitationRow,
    raw: &BTreeMap<String, String>,
    finish: bool,
    via: &str,
    by: Option<i64>,
    now: i64,
) -> AppResult<bool> {
    let q = version(tx, inv.version).await?;
    let checked = check_all(&q, raw)?;
    for (key, a) in &checked {
        let (score, text) = match a {
            Answer::Score(s) => (Some(i64::from(*s)), None),
            Answer::Text(t) if t.is_empty() => continue,
            Answer::Text(t) => (None, Some(t.clone())),
        };
        store::survey::answer::save(
            tx,
            &AnswerRow {
                invitation_id: inv.id,
                question_key: key.clone(),
                version: inv.version,
                score,
                text,
                answered_at: now,
            },
        )
        .await?;
    }
    let all = saved(tx, inv.id).await?;
    if !finish {
        store::survey::mark_partial(tx, inv.id).await?;
        return Ok(false);
    }
    if let Some(missing) = q
        .questions()
        .iter()
        .find(|x| x.scale != rules::Scale::Text && !all.contains_key(&x.key))
    {
        return Err(AppError::Invalid(
            Violation::new(format!("answers.{}", missing.key), "survey.incomplete").into(),
        ));
    }
    store::survey::close(tx, inv.id, "answered", None, Some(via), by, now).await?;
    // The station's CSI and NPS counters move in the same transaction, so the
    // dashboard read right after the answer sees it.
    crate::kpi::record::survey_answered(
        tx,
        inv.station_id,
        now,
        rules::score::respondent_csi(&q, &all),
        rules::score::recommend(&q, &all),
    )
    .await?;
    let triggers = rules::alert::triggers(&q, &all);
    if !triggers.is_empty() {
        super::alert::open(tx, inv, &triggers, now).await?;
    }
    metrics::counter!("survey_answered_total", "via" => via.to_string()).increment(1);
    Ok(true)
}

fn check_all(
    q: &Questionnaire,
    raw: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, Answer>, Violations> {
    let mut v = Violations::new();
    let mut out = BTreeMap::new();
    for (key, value) in raw {
        if value.trim().is_empty() {
            continue;
        }
        match q.check(key, value) {
            Ok(a) => {
                out.insert(key.clone(), a);
            }
            Err(e) => v.push(e),
        }
    }
    v.into_result().map(|()| out)
}

/// The saved answers of an invitation within reach, for the call form and the
/// detail. Needs [`READ`].
pub async fn answers(
    app: &App,
    grant: &Grant,
    id: i64,
) -> AppResult<(Questionnaire, BTreeMap<String, Answer>)> {
    expect(grant, READ)?;
    let mut c = conn(app).await?;
    let inv = store::survey::get(&mut c, grant.reach(), id).await?;
    let q = version(&mut c, inv.version).await?;
    let a = saved(&mut c, id).await?;
    Ok((q, a))
}
