//! Depots rated by their stations each quarter (SPEC §10): a station rates the depot
//! of its region once a quarter, 1–5 with a comment, for the current or the previous
//! quarter only; head office reads the average per depot.

use crate::transaction::run;
use crate::{App, AppError, AppResult, conn};
use domain::Violation;
use domain::permission::{Action, Grant, Reach};
use serde::{Deserialize, Serialize};
pub use store::quality_audit::depot::DepotQuarter;

/// What a rating sends.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateInput {
    /// The quarter, `YYYYQn` (the current or the previous one).
    /// (Another quarter is refused, 409: which are open depends on the clock.)
    #[serde(default)]
    #[schema(required = true, pattern = "^20[0-9]{2}Q[1-4]$")]
    pub quarter: String,
    /// 1 (poor) to 5 (excellent).
    #[serde(default)]
    #[schema(required = true, minimum = 1, maximum = 5)]
    pub score: i64,
    /// Why.
    #[serde(default)]
    #[schema(schema_with = crate::schema::opt_lines::<2000>)]
    pub comment: Option<String>,
}

/// A quarter as `YYYYQn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Quarter {
    /// Year.
    pub year: i16,
    /// 1–4.
    pub q: i8,
}

impl Quarter {
    /// The quarter of a date.
    pub fn of(d: jiff::civil::Date) -> Quarter {
        Quarter {
            year: d.year(),
            q: (d.month() - 1) / 3 + 1,
        }
    }

    /// The one before.
    pub fn previous(self) -> Quarter {
        if self.q == 1 {
            Quarter {
                year: self.year - 1,
                q: 4,
            }
        } else {
            Quarter {
                year: self.year,
                q: self.q - 1,
            }
        }
    }

    /// Reads `YYYYQn`.
    pub fn parse(s: &str) -> Result<Quarter, Violation> {
        let bad = || {
            Violation::new("quarter", "quality_audit.quarter_invalid")
                .with_detail(s.trim().to_string())
        };
        let (y, q) = s.trim().split_once(['Q', 'q']).ok_or_else(bad)?;
        let year: i16 = y.parse().map_err(|_| bad())?;
        let q: i8 = q.parse().map_err(|_| bad())?;
        if !(2000..=2099).contains(&year) || !(1..=4).contains(&q) {
            return Err(bad());
        }
        Ok(Quarter { year, q })
    }
}

impl std::fmt::Display for Quarter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}Q{}", self.year, self.q)
    }
}

/// The signed-in station's rating of its region's depot for a quarter. Rated once:
/// a second rating of the same quarter is refused (409), the first kept.
pub async fn rate(app: &App, grant: &Grant, input: &RateInput) -> AppResult<()> {
    crate::network::expect(grant, Action::DepotRate)?;
    let Reach::Station(station) = *grant.reach() else {
        return Err(AppError::Forbidden);
    };
    let now_q = Quarter::of(super::today(app)?);
    let q = Quarter::parse(&input.quarter).map_err(|v| AppError::Invalid(v.into()))?;
    if q != now_q && q != now_q.previous() {
        return Err(AppError::Refused(
            Violation::new("quarter", "quality_audit.quarter_not_open")
                .with_detail(q.to_string())
                .into(),
        ));
    }
    if !(1..=5).contains(&input.score) {
        return Err(AppError::Invalid(
            Violation::new("score", "quality_audit.score_range")
                .with_detail("1-5")
                .into(),
        ));
    }
    let comment = domain::quality_audit::optional_text("comment", input.comment.as_deref())
        .map_err(|v| AppError::Invalid(v.into()))?;
    let mut c = conn(app).await?;
    let st = store::network::station(&mut c, &Reach::All, station.get()).await?;
    let depot = store::network::depots(&mut c)
        .await?
        .into_iter()
        .find(|d| d.region_id == st.region_id)
        .ok_or_else(|| {
            AppError::Refused(Violation::new("depot", "quality_audit.no_depot").into())
        })?;
    drop(c);
    let now = app.now_ms();
    let by = grant.principal().id;
    let (qs, score) = (q.to_string(), input.score);
    let done = run(app, "quality_audit.rate_depot", |mut tx| {
        let (qs, comment) = (qs.clone(), comment.clone());
        async move {
            let ok = store::quality_audit::depot::rate(
                &mut tx,
                depot.id,
                st.id,
                &qs,
                score,
                comment.as_deref(),
                by,
                now,
            )
            .await?;
            Ok((tx, ok))
        }
    })
    .await?;
    if done {
        Ok(())
    } else {
        Err(AppError::Refused(
            Violation::new("quarter", "quality_audit.already_rated")
                .with_detail(q.to_string())
                .into(),
        ))
    }
}

/// Every depot's ratings for a quarter (head office and regions).
pub async fn quarter(app: &App, grant: &Grant, quarter: &str) -> AppResult<Vec<DepotQuarter>> {
    crate::network::expect(grant, Action::QualityAuditRead)?;
    let q = Quarter::parse(quarter).map_err(|v| AppError::Invalid(v.into()))?;
    let mut c = conn(app).await?;
    Ok(store::quality_audit::depot::quarter(&mut c, &q.to_string()).await?)
}
