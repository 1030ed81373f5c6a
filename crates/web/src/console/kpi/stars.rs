//! Station stars (`/console/kpis/stars`, SPEC §12 and issue 11 item 8): the published
//! policy (each KPI's weight in ‰, the scores needed for 2–5 stars, the review
//! threshold, the repair-time target) that everyone with KPI read sees, the form head
//! office publishes a new version with (weights not adding up to 1000 ‰ are refused
//! beside the form, nothing published), and a quarter's stars of every station within
//! reach with the stations flagged for review first. A station's own history is on its
//! dashboard ([`history_rows`]).

use super::super::form::{FormData, error_page, render, t, violations_text};
use super::super::session::{ConsoleUser, grant};
use super::kpi_name;
use crate::AppState;
use crate::console::chrome::Chrome;
use crate::i18n::Lang;
use app::AppError;
use app::kpi::stars::{PolicyDoc, StarRow, WeightDoc};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::kpi::{KpiKey, Period, catalogue};
use domain::permission::{Action, Unit as OrgUnit};
use std::collections::HashMap;

/// One row of a stars table: station (or quarter), stars, score, version, flag.
pub struct StarLine {
    /// Where the first cell links (the station's dashboard), or empty.
    pub href: String,
    /// The station's name or the quarter.
    pub label: String,
    /// "★★★☆☆".
    pub stars: String,
    /// "3 / 5", what a screen reader says.
    pub stars_text: String,
    /// The score on 0–100 with one decimal.
    pub score: String,
    /// The policy version used.
    pub version: i64,
    /// Flagged for review.
    pub flagged: bool,
}

#[derive(Template)]
#[template(path = "kpi_stars.html")]
struct StarsPage {
    chrome: Chrome,
    title: String,
    policy: PolicyDoc,
    weights: Vec<(String, String, u32)>,
    thresholds: Vec<(String, String, u32)>,
    weight_sum: u32,
    editable: bool,
    error: Option<String>,
    quarter: String,
    rows: Vec<StarLine>,
    flagged_text: String,
}

/// Stars as a row of filled and empty ones.
pub fn stars_glyphs(n: i64) -> String {
    let n = n.clamp(0, 5) as usize;
    format!("{}{}", "★".repeat(n), "☆".repeat(5 - n))
}

fn line(lang: Lang, href: String, label: String, r: &StarRow) -> StarLine {
    StarLine {
        href,
        label,
        stars: stars_glyphs(r.stars),
        stars_text: t(lang, "kpi.stars_of").replace("{n}", &r.stars.to_string()),
        score: format!("{:.1}", r.score_permille as f64 / 10.0),
        version: r.policy_version,
        flagged: r.flagged,
    }
}

/// A station's history of stars as dashboard rows, newest quarter first.
pub fn history_rows(lang: Lang, rows: &[StarRow]) -> Vec<StarLine> {
    rows.iter()
        .map(|r| line(lang, String::new(), r.quarter.clone(), r))
        .collect()
}

/// The quarter shown: `quarter` asked, else the last one ended.
fn quarter_of(s: &AppState, q: &HashMap<String, String>) -> Result<Period, AppError> {
    match q.get("quarter").map(|x| x.trim()).filter(|x| !x.is_empty()) {
        Some(text) => {
            let p = app::kpi::parse_period(&s.app, text)?;
            match p {
                Period::Quarter { .. } => Ok(p),
                Period::Month(_) => Err(AppError::Invalid(
                    domain::Violation::new("quarter", "kpi.period_malformed").into(),
                )),
            }
        }
        None => Ok(Period::quarter_of(app::kpi::current_month(&s.app)).previous()),
    }
}

async fn stars_page(
    s: &AppState,
    user: &ConsoleUser,
    q: &HashMap<String, String>,
    shown: Option<PolicyDoc>,
    error: Option<String>,
) -> Response {
    let lang = user.lang;
    let chrome = user.chrome("kpis");
    let g = match grant(user, Action::KpiRead) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let published = match app::kpi::stars::policy(&s.app, &g).await {
        Ok(p) => PolicyDoc::of(&p),
        Err(e) => return error_page(chrome, &e),
    };
    let policy = shown.unwrap_or(published);
    let quarter = match quarter_of(s, q) {
        Ok(p) => p,
        Err(e) => return error_page(chrome, &e),
    };
    let mut list = match app::kpi::stars::for_quarter(&s.app, &g, quarter).await {
        Ok(l) => l,
        Err(e) => return error_page(chrome, &e),
    };
    // Flagged stations first, then the lowest scores: the ones to look at.
    list.sort_by(|a, b| {
        b.flagged
            .cmp(&a.flagged)
            .then(a.score_permille.cmp(&b.score_permille))
    });
    let ids: Vec<i64> = list.iter().map(|r| r.station_id).collect();
    let names = app::network::unit_names(&s.app, &ids)
        .await
        .unwrap_or_default();
    let en = lang == Lang::En;
    let rows: Vec<StarLine> = list
        .iter()
        .map(|r| {
            line(
                lang,
                format!("/console/kpis?scope=station&id={}", r.station_id),
                names.station(r.station_id, en),
                r,
            )
        })
        .collect();
    let of = |k: KpiKey| {
        policy
            .weights
            .iter()
            .find(|w| w.kpi == k.code())
            .map_or(0, |w| w.permille)
    };
    let weights = catalogue()
        .iter()
        .filter(|d| d.source.has_data() || of(d.key) > 0)
        .map(|d| (d.key.code().to_string(), kpi_name(lang, d.key), of(d.key)))
        .collect();
    let thresholds = policy
        .thresholds
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let n = (i + 2).to_string();
            (
                format!("t{n}"),
                t(lang, "kpi.stars_threshold").replace("{n}", &n),
                *v,
            )
        })
        .collect();
    let weight_sum = policy.weights.iter().map(|w| w.permille).sum();
    let editable = matches!(user.session.principal.unit, OrgUnit::HeadOffice)
        && grant(user, Action::NetworkWrite).is_ok();
    let page = StarsPage {
        chrome: chrome
            .crumb("/console/kpis", t(lang, "svc.kpis"))
            .crumb("/console/kpis/stars", t(lang, "kpi.stars")),
        title: t(lang, "kpi.stars"),
        flagged_text: t(lang, "kpi.stars_flagged_count").replace(
            "{n}",
            &rows.iter().filter(|r| r.flagged).count().to_string(),
        ),
        policy,
        weights,
        thresholds,
        weight_sum,
        editable,
        error,
        quarter: quarter.to_string(),
        rows,
    };
    let status = if page.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(&page, status)
}

/// `GET /console/kpis/stars?quarter=`: the policy and a quarter's stars.
pub async fn page(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    stars_page(&s, &user, &q, None, None).await
}

fn number<T: std::str::FromStr>(
    form: &FormData,
    name: &str,
    v: &mut domain::Violations,
) -> Option<T> {
    let text = form.get(name).trim();
    let text = if text.is_empty() { "0" } else { text };
    match text.parse() {
        Ok(x) => Some(x),
        Err(_) => {
            v.push(domain::Violation::new(name, "kpi.whole_number").with_detail(text.to_string()));
            None
        }
    }
}

/// The policy the form states; a field that is not a whole number is refused naming
/// it.
fn read_policy(form: &FormData) -> Result<PolicyDoc, (PolicyDoc, AppError)> {
    let mut v = domain::Violations::new();
    let weights: Vec<WeightDoc> = catalogue()
        .iter()
        .filter_map(|d| {
            let code = d.key.code();
            let permille = number::<u32>(form, &format!("w.{code}"), &mut v)?;
            (permille > 0).then(|| WeightDoc {
                kpi: code.to_string(),
                permille,
            })
        })
        .collect();
    let mut thresholds = [0u32; 4];
    for (i, th) in thresholds.iter_mut().enumerate() {
        *th = number(form, &format!("t{}", i + 2), &mut v).unwrap_or(0);
    }
    let doc = PolicyDoc {
        version: 0,
        weights,
        thresholds,
        review_below: number(form, "review_below", &mut v).unwrap_or(0),
        mdt_target_minutes: number(form, "mdt_target_minutes", &mut v).unwrap_or(0),
    };
    match v.into_result() {
        Ok(()) => Ok(doc),
        Err(e) => Err((doc, AppError::Invalid(e))),
    }
}

/// `POST /console/kpis/stars`: head office publishes a new version of the policy.
/// Refused input is shown beside the form with what was typed (422), nothing
/// published.
pub async fn publish(State(s): State<AppState>, user: ConsoleUser, form: FormData) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let chrome = user.chrome("kpis");
    let g = match grant(&user, Action::NetworkWrite) {
        Ok(g) if matches!(user.session.principal.unit, OrgUnit::HeadOffice) => g,
        Ok(_) => return error_page(chrome, &AppError::Forbidden),
        Err(e) => return error_page(chrome, &e),
    };
    let result = match read_policy(&form) {
        Ok(doc) => match doc.policy() {
            Ok(p) => app::kpi::stars::publish(&s.app, &g, p)
                .await
                .map_err(|e| (doc, e)),
            Err(e) => Err((doc, e)),
        },
        Err(x) => Err(x),
    };
    match result {
        Ok(_) => super::super::toast::redirect("/console/kpis/stars", "toast.kpi_policy_published"),
        Err((doc, e @ (AppError::Invalid(_) | AppError::Refused(_)))) => {
            let text = violations_text(&chrome, &e);
            stars_page(&s, &user, &HashMap::new(), Some(doc), text).await
        }
        Err((_, e)) => error_page(chrome, &e),
    }
}
