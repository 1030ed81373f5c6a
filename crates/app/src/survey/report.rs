//! The month's figures: CSI (with its six factors) and NPS per station, region and
//! the network, each with its sample size and 95 % interval; stations under the
//! minimum sample are marked and not ranked; and the importance–performance points.
//! Read from the answers of surveys finished in the month (China time).

use std::collections::{BTreeMap, HashMap};

use super::{READ, version};
use crate::network::expect;
use crate::{App, AppResult, conn};
use domain::permission::{Grant, Reach};
use domain::survey::importance::{self, Point};
use domain::survey::score::{self, Estimate};
use domain::survey::{Answer, Factor, Month, Questionnaire};
use serde::Serialize;

/// One unit's figures.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitFigures {
    /// Station or region id (0 for the network).
    pub id: i64,
    /// Name, Chinese.
    pub name_zh: String,
    /// Name, English.
    pub name_en: String,
    /// CSI (0–100) with n and interval.
    #[schema(value_type = Option<Object>)]
    pub csi: Option<Estimate>,
    /// NPS (−100…100) with n and interval.
    #[schema(value_type = Option<Object>)]
    pub nps: Option<Estimate>,
    /// Each factor's score (0–100).
    #[schema(value_type = Object)]
    pub factors: BTreeMap<Factor, f64>,
    /// Enough answers to rank.
    pub ranked: bool,
    /// Rank by CSI among the ranked stations (1 = best).
    pub rank: Option<usize>,
}

/// The month's report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Report {
    /// `YYYY-MM`.
    pub month: String,
    /// The network (or the caller's reach) as a whole.
    pub network: UnitFigures,
    /// Per region, by id.
    pub regions: Vec<UnitFigures>,
    /// Per station, ranked first (by CSI), then the unranked.
    pub stations: Vec<UnitFigures>,
    /// Importance–performance points of the current version's questions.
    #[schema(value_type = Vec<Object>)]
    pub importance: Vec<Point>,
    /// The fewest answers a station needs to be ranked.
    pub min_sample: usize,
}

#[derive(Default)]
struct Acc {
    csi: Vec<f64>,
    nps: Vec<u8>,
    factors: BTreeMap<Factor, Vec<f64>>,
}

impl Acc {
    fn add(&mut self, q: &Questionnaire, a: &BTreeMap<String, Answer>) {
        if let Some(c) = score::respondent_csi(q, a) {
            self.csi.push(c);
        }
        if let Some(r) = score::recommend(q, a) {
            self.nps.push(r);
        }
        for (f, v) in score::respondent_factors(q, a) {
            self.factors.entry(f).or_default().push(v);
        }
    }

    fn figures(&self, id: i64, names: (String, String)) -> UnitFigures {
        let csi = score::csi(&self.csi);
        UnitFigures {
            id,
            name_zh: names.0,
            name_en: names.1,
            ranked: csi.is_some_and(|c| c.ranked()),
            nps: score::nps(&self.nps),
            csi,
            factors: self
                .factors
                .iter()
                .map(|(f, v)| (*f, v.iter().sum::<f64>() / v.len() as f64))
                .collect(),
            rank: None,
        }
    }
}

/// The figures of `month` (`YYYY-MM`) within the caller's reach. A malformed month
/// or one in the future is 422 naming `month`. Needs [`READ`].
pub async fn month(app: &App, grant: &Grant, month: &str) -> AppResult<Report> {
    expect(grant, READ)?;
    let m = Month::parse("month", month)?;
    let now = app.now_ms();
    if m > super::sample::month_of(now)? {
        // A month still to come depends on the clock, not on the text: 409.
        return Err(crate::AppError::Refused(
            domain::Violation::new("month", "survey.month_future")
                .with_detail(m.to_string())
                .into(),
        ));
    }
    let from = super::sample::local_ms(m.first_day(), 0)?;
    let to = super::sample::local_ms(m.next().first_day(), 0)?;
    let mut c = conn(app).await?;
    let rows = store::survey::answer::finished_between(&mut c, from, to).await?;
    // Group by invitation, keeping only what the reach covers.
    let mut surveys: BTreeMap<i64, (i64, i64, i64, BTreeMap<String, Answer>)> = BTreeMap::new();
    for r in rows {
        let inside = match grant.reach() {
            Reach::All => true,
            Reach::Region(g) => g.get() == r.region_id,
            Reach::Station(s) => s.get() == r.station_id,
            Reach::Customer(_) => false,
        };
        if !inside {
            continue;
        }
        let e = surveys
            .entry(r.invitation_id)
            .or_insert_with(|| (r.station_id, r.region_id, r.version, BTreeMap::new()));
        if let Some(s) = r.score.and_then(|s| u8::try_from(s).ok()) {
            e.3.insert(r.question_key, Answer::Score(s));
        }
    }
    let mut versions: HashMap<i64, Questionnaire> = HashMap::new();
    let mut network = Acc::default();
    let mut regions: BTreeMap<i64, Acc> = BTreeMap::new();
    let mut stations: BTreeMap<i64, Acc> = BTreeMap::new();
    let current = super::ensure_questionnaire_read(&mut c).await?;
    let mut current_answers = Vec::new();
    for (station, region, v, answers) in surveys.values() {
        if !versions.contains_key(v) {
            let q = version(&mut c, *v).await?;
            versions.insert(*v, q);
        }
        let Some(q) = versions.get(v) else { continue };
        network.add(q, answers);
        regions.entry(*region).or_default().add(q, answers);
        stations.entry(*station).or_default().add(q, answers);
        if current.as_ref().is_some_and(|c| i64::from(c.version) == *v) {
            current_answers.push(answers.clone());
        }
    }
    let region_names: HashMap<i64, (String, String)> = store::network::regions(&mut c)
        .await?
        .into_iter()
        .map(|r| (r.id, (r.name_zh, r.name_en)))
        .collect();
    let mut station_figs = Vec::with_capacity(stations.len());
    for (id, acc) in &stations {
        let names = store::network::station(&mut c, &Reach::All, *id)
            .await
            .map(|s| (s.name_zh, s.name_en))
            .unwrap_or_default();
        station_figs.push(acc.figures(*id, names));
    }
    station_figs.sort_by(|a, b| {
        b.ranked.cmp(&a.ranked).then(
            b.csi
                .map(|x| x.value)
                .unwrap_or(0.0)
                .total_cmp(&a.csi.map(|x| x.value).unwrap_or(0.0)),
        )
    });
    let mut rank = 0;
    for s in station_figs.iter_mut().filter(|s| s.ranked) {
        rank += 1;
        s.rank = Some(rank);
    }
    Ok(Report {
        month: m.to_string(),
        network: network.figures(0, ("全网".into(), "Network".into())),
        regions: regions
            .iter()
            .map(|(id, acc)| acc.figures(*id, region_names.get(id).cloned().unwrap_or_default()))
            .collect(),
        stations: station_figs,
        importance: current
            .map(|q| importance::analyse(&q, &current_answers))
            .unwrap_or_default(),
        min_sample: score::MIN_RANKED_SAMPLE,
    })
}
