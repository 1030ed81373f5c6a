//! Station stars per quarter (issue 11, item 8), on the job machinery: a timer
//! (`kpi.stars:{quarter}`, kind [`KIND`]) fires at 03:00 Shanghai on the first day of
//! each quarter, computes every station's stars for the quarter just ended with the
//! published [`StarPolicy`] (setting `kpi_star_policy`, default in the domain), flags
//! a station below the threshold two quarters running, and arms the next quarter's
//! timer. Running a quarter again replaces its rows (idempotent).

use crate::job::handler::{BoxFuture, Ctx, Handler, Outcome};
use crate::network::expect;
use crate::{App, AppError, AppResult, conn};
use domain::kpi::stars::StarPolicy;
use domain::kpi::{Counter, KpiKey, Period, YearMonth};
use domain::permission::{Action, Grant, Reach};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use std::collections::BTreeMap;
use store::job::Claimed;
pub use store::kpi::stars::StarRow;

/// The job kind.
pub const KIND: &str = "kpi.stars";

/// The setting holding the published star policy.
pub const POLICY_KEY: &str = "kpi_star_policy";

/// The hour (Shanghai) of the quarterly run, on the quarter's first day.
const HOUR: i8 = 3;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Payload {
    /// The quarter to compute, `YYYYQn`.
    quarter: String,
}

/// The published policy, or the domain's default when none was published.
pub async fn policy_on(c: &mut AnyConnection) -> AppResult<StarPolicy> {
    Ok(match store::settings::get(c, POLICY_KEY).await? {
        Some(s) => serde_json::from_value(s.value)
            .map_err(|e| AppError::Internal(format!("{POLICY_KEY}: {e}")))?,
        None => StarPolicy::default(),
    })
}

/// The published star policy (weights and thresholds are public to every station).
/// Needs `KpiRead`.
pub async fn policy(app: &App, grant: &Grant) -> AppResult<StarPolicy> {
    expect(grant, Action::KpiRead)?;
    let mut c = conn(app).await?;
    policy_on(&mut c).await
}

/// Publishes new weights and thresholds as the next version: weights must add up to
/// 1 (1000 ‰) and thresholds rise within 0–100, else 422 naming the field. Needs
/// `NetworkWrite` (head office).
pub async fn publish(app: &App, grant: &Grant, p: StarPolicy) -> AppResult<StarPolicy> {
    expect(grant, Action::NetworkWrite)?;
    p.check()
        .map_err(|e| AppError::Invalid(domain::Violation::from(e).into()))?;
    let now = app.now_ms();
    let by = grant.principal().id;
    let p = &p;
    crate::transaction::run(app, "kpi.stars_publish", move |mut tx| async move {
        let current = policy_on(&mut tx).await?;
        let mut p = p.clone();
        p.version = current.version + 1;
        let value = serde_json::to_value(&p).map_err(|e| AppError::Internal(e.to_string()))?;
        store::settings::put(&mut tx, POLICY_KEY, &value, now, Some(by)).await?;
        Ok((tx, p))
    })
    .await
}

/// One weight of the star policy as the API and the console state it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = StarWeight)]
pub struct WeightDoc {
    /// The KPI.
    #[schema(schema_with = crate::schema::code::<KpiKey>)]
    pub kpi: String,
    /// Its weight in per mille; the weights add up to 1000.
    #[schema(minimum = 0, maximum = 1000)]
    pub permille: u32,
}

/// The published star policy as the API states it: weights (‰, adding up to 1000),
/// the scores needed for 2–5 stars, the review threshold and the repair-time target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = StarPolicyDoc)]
pub struct PolicyDoc {
    /// Version, raised at every publication (ignored when sent).
    #[serde(default)]
    pub version: u32,
    /// Weight of each KPI in ‰; they must add up to 1000, each KPI at most once.
    pub weights: Vec<WeightDoc>,
    /// The score (0–100) needed for 2, 3, 4 and 5 stars, rising (not rising: 409).
    #[schema(min_items = 4, max_items = 4)]
    pub thresholds: [u32; 4],
    /// A station with fewer stars than this is below the threshold (1–5).
    #[schema(minimum = 1, maximum = 5)]
    pub review_below: u8,
    /// A mean repair time at or under this many minutes scores 100 (1–10080).
    #[schema(minimum = 1, maximum = 10080)]
    pub mdt_target_minutes: i64,
}

impl PolicyDoc {
    /// The document of a policy.
    pub fn of(p: &StarPolicy) -> PolicyDoc {
        PolicyDoc {
            version: p.version,
            weights: p
                .weights
                .iter()
                .map(|(k, w)| WeightDoc {
                    kpi: k.code().to_string(),
                    permille: *w,
                })
                .collect(),
            thresholds: p.thresholds,
            review_below: p.review_below,
            mdt_target_minutes: p.mdt_target_minutes,
        }
    }

    /// The policy this document states: an unknown KPI is 422 naming
    /// `weights[i].kpi`; the rules on sums and thresholds are the domain's
    /// ([`StarPolicy::check`]).
    pub fn policy(&self) -> AppResult<StarPolicy> {
        let mut v = domain::Violations::new();
        let mut weights = Vec::with_capacity(self.weights.len());
        for (i, w) in self.weights.iter().enumerate() {
            match KpiKey::from_code(w.kpi.trim()) {
                Some(k) => weights.push((k, w.permille)),
                None => v.push(
                    domain::Violation::new(format!("weights[{i}].kpi"), "kpi.unknown")
                        .with_detail(w.kpi.clone()),
                ),
            }
        }
        v.into_result().map_err(AppError::Invalid)?;
        let p = StarPolicy {
            version: self.version,
            weights,
            thresholds: self.thresholds,
            review_below: self.review_below,
            mdt_target_minutes: self.mdt_target_minutes,
        };
        p.check().map_err(|e| {
            // Rules across the weights (adding up to 1000 ‰, each KPI once) and the
            // thresholds (rising) are what no schema states: refused (409).
            let across = matches!(
                e,
                domain::kpi::KpiError::WeightsSum(_)
                    | domain::kpi::KpiError::WeightTwice(_)
                    | domain::kpi::KpiError::Thresholds
            );
            let v = domain::Violation::from(e).into();
            if across {
                AppError::Refused(v)
            } else {
                AppError::Invalid(v)
            }
        })?;
        Ok(p)
    }
}

fn quarter_text(p: Period) -> String {
    p.to_string()
}

/// Computes every active station's stars for `quarter` on `conn` and stores them,
/// replacing an earlier run. Answers the rows written.
pub async fn compute(
    conn: &mut AnyConnection,
    quarter: Period,
    now: i64,
) -> AppResult<Vec<StarRow>> {
    let policy = policy_on(conn).await?;
    let months = quarter.months();
    let (from, to) = (
        months.first().map(YearMonth::to_string).unwrap_or_default(),
        months.last().map(YearMonth::to_string).unwrap_or_default(),
    );
    let rows = store::kpi::per_station(conn, &Reach::All, &from, &to).await?;
    let mut per: BTreeMap<i64, Vec<(KpiKey, Counter)>> = BTreeMap::new();
    for r in rows {
        if let Some(k) = KpiKey::from_code(&r.kpi) {
            per.entry(r.station_id).or_default().push((
                k,
                Counter {
                    numerator: r.numerator,
                    denominator: r.denominator,
                    total: r.total,
                },
            ));
        }
    }
    let previous: BTreeMap<i64, i64> =
        store::kpi::stars::for_quarter(conn, &quarter_text(quarter.previous()))
            .await?
            .into_iter()
            .map(|s| (s.station_id, s.stars))
            .collect();
    let mut out = Vec::new();
    for st in store::kpi::stations(conn, &Reach::All).await? {
        let Some(score) = per.get(&st.id).and_then(|c| policy.score(c)) else {
            continue;
        };
        let stars = policy.stars(score);
        let prev = previous.get(&st.id).and_then(|s| u8::try_from(*s).ok());
        let row = StarRow {
            station_id: st.id,
            quarter: quarter_text(quarter),
            stars: i64::from(stars),
            score_permille: (score * 10.0).round() as i64,
            policy_version: i64::from(policy.version),
            flagged: policy.flagged(Some(stars), prev),
            computed_at: now,
        };
        store::kpi::stars::put(conn, &row).await?;
        out.push(row);
    }
    Ok(out)
}

/// Computes a quarter's stars now (head office's re-run; the timer does it by
/// itself). Needs `NetworkWrite`.
pub async fn run_quarter(app: &App, grant: &Grant, quarter: Period) -> AppResult<Vec<StarRow>> {
    expect(grant, Action::NetworkWrite)?;
    if !matches!(quarter, Period::Quarter { .. }) {
        return Err(AppError::Invalid(
            domain::Violation::new("period", "kpi.period_malformed").into(),
        ));
    }
    let now = app.now_ms();
    crate::transaction::run(app, "kpi.stars_run", move |mut tx| async move {
        let rows = compute(&mut tx, quarter, now).await?;
        Ok((tx, rows))
    })
    .await
}

/// Every station's stars for a quarter within the grant's reach. Needs `KpiRead`.
pub async fn for_quarter(app: &App, grant: &Grant, quarter: Period) -> AppResult<Vec<StarRow>> {
    expect(grant, Action::KpiRead)?;
    let mut c = conn(app).await?;
    let reach = *grant.reach();
    let within: std::collections::BTreeSet<i64> = store::kpi::stations(&mut c, &reach)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    Ok(
        store::kpi::stars::for_quarter(&mut c, &quarter_text(quarter))
            .await?
            .into_iter()
            .filter(|s| within.contains(&s.station_id))
            .collect(),
    )
}

/// A station's history of stars, newest first. Needs `KpiRead` within reach.
pub async fn history(app: &App, grant: &Grant, station_id: i64) -> AppResult<Vec<StarRow>> {
    expect(grant, Action::KpiRead)?;
    let mut c = conn(app).await?;
    store::network::station(&mut c, grant.reach(), station_id).await?;
    Ok(store::kpi::stars::history(&mut c, station_id).await?)
}

/// The next run after `now`: when (UTC ms) and the quarter it computes (the one that
/// ends just before).
fn next_run(now: i64) -> AppResult<(i64, Period)> {
    let tz = domain::calendar::shanghai();
    let err = |e: jiff::Error| AppError::Internal(e.to_string());
    let here =
        domain::kpi::order::month_of(jiff::Timestamp::from_millisecond(now).map_err(err)?, &tz);
    let mut m = here;
    loop {
        if (m.month - 1) % 3 == 0 {
            let at = jiff::civil::Date::new(m.year, m.month, 1)
                .map_err(err)?
                .at(HOUR, 0, 0, 0);
            let due = tz.to_timestamp(at).map_err(err)?.as_millisecond();
            if due > now {
                return Ok((due, Period::quarter_of(m.previous())));
            }
        }
        m = m.next();
    }
}

async fn arm(tx: &mut AnyConnection, now: i64) -> AppResult<()> {
    let (due, quarter) = next_run(now)?;
    let payload = serde_json::to_value(Payload {
        quarter: quarter.to_string(),
    })
    .map_err(|e| AppError::Internal(e.to_string()))?;
    crate::job::arm(tx, &format!("{KIND}:{quarter}"), KIND, due, &payload, now).await?;
    Ok(())
}

/// Arms the next quarterly run (the server calls it at start; arming again changes
/// nothing: the key names the quarter).
pub async fn ensure(app: &App) -> AppResult<()> {
    crate::transaction::run(app, "kpi.stars_arm", move |mut tx| async move {
        arm(&mut tx, app.now_ms()).await?;
        Ok((tx, ()))
    })
    .await
}

/// The handler of [`KIND`], registered in `Registry::standard()`.
#[derive(Debug, Clone, Copy)]
pub struct Quarterly;

impl Handler for Quarterly {
    fn inside<'a>(
        &'a self,
        ctx: &'a Ctx,
        conn: &'a mut AnyConnection,
        job: &'a Claimed,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let p: Payload = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
            let today = jiff::civil::date(2100, 12, 31);
            let q = Period::parse(&p.quarter, today).map_err(|e| e.to_string())?;
            let now = ctx.app.now_ms();
            compute(conn, q, now).await.map_err(|e| e.to_string())?;
            arm(conn, now).await.map_err(|e| e.to_string())
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_next_run_is_the_first_of_the_next_quarter_for_the_one_before() {
        let tz = domain::calendar::shanghai();
        let now = tz
            .to_timestamp(jiff::civil::date(2026, 11, 24).at(9, 0, 0, 0))
            .unwrap()
            .as_millisecond();
        let (due, q) = next_run(now).unwrap();
        assert_eq!(q.to_string(), "2026Q4");
        let at = tz.to_datetime(jiff::Timestamp::from_millisecond(due).unwrap());
        assert_eq!(at.to_string(), "2027-01-01T03:00:00");
        let (_, q) = next_run(due).unwrap();
        assert_eq!(q.to_string(), "2027Q1");
    }
}
