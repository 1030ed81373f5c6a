//! The service-level policies page (`/console/complaints/policies`): everyone who
//! reads complaints sees, per category × severity, the targets in force (first
//! response, full record, analysis, solution, closure) and whether they count
//! business or calendar hours; one policy's page (`…/policies/{category}/{severity}`)
//! shows every version. Head office edits a policy there: saving publishes a new
//! version (`app::complaint::policy::publish`, audited), typed in hours and kept in
//! minutes; each refusal (not a number, zero or negative, over a year) is shown
//! beside its field, nothing saved.

use super::super::form::{FormData, error_page, render};
use super::super::session::{ConsoleUser, grant};
use super::super::toast;
use super::cats::Cats;
use crate::AppState;
use crate::i18n::tables;
use app::AppError;
use app::complaint::policy::LadderStepInput;
use app::complaint::policy::{LEVELS, PolicyInput};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::calendar::ClockMode;
use domain::complaint::sla::{Level, MAX_LADDER_STEPS, Policy, Stage};
use domain::permission::Action;
use domain::{Violation, Violations};

/// The address of one policy's page.
fn href(category: &str, severity: &str) -> String {
    format!("/console/complaints/policies/{category}/{severity}")
}

/// Minutes as typed hours: `60` → `1`, `90` → `1.5`, `100` → `1.67`.
fn hours_input(minutes: i64) -> String {
    if minutes % 60 == 0 {
        return (minutes / 60).to_string();
    }
    let s = format!("{:.2}", minutes as f64 / 60.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Typed hours as whole minutes (`1.5` → 90); `None` when not a number.
fn minutes_of(typed: &str) -> Option<i64> {
    let t = typed.trim().replace(['，', ','], ".");
    let h: f64 = t.parse().ok().filter(|h: &f64| h.is_finite())?;
    Some((h * 60.0).round() as i64)
}

/// A target as the page shows it: "1 小时" / "1 h", "1.5 小时" / "1.5 h".
fn shown(lang: crate::i18n::Lang, minutes: i64) -> String {
    tables().fill(lang, "complaint.pol.hours", &[("n", &hours_input(minutes))])
}

fn mode_key(m: ClockMode) -> &'static str {
    match m {
        ClockMode::Business => "complaint.pol.mode.business",
        ClockMode::Calendar => "complaint.pol.mode.calendar",
    }
}

/// One row of the overview.
pub struct SummaryRow {
    /// The category's name.
    pub category: String,
    /// The severity's name.
    pub severity: String,
    /// The version, or "defaults".
    pub version: String,
    /// Business or calendar hours.
    pub mode: String,
    /// The five targets, in stage order.
    pub targets: Vec<String>,
    /// The policy's page.
    pub href: String,
}

/// The overview.
#[derive(askama::Template)]
#[template(path = "complaint_policies.html")]
pub struct PoliciesPage {
    /// Frame.
    pub chrome: crate::console::Chrome,
    /// Heading.
    pub title: String,
    /// The stage headings.
    pub stages: Vec<String>,
    /// One row per category × severity.
    pub rows: Vec<SummaryRow>,
}

/// One input of the edit form.
pub struct TargetInput {
    /// Input name (the API's field).
    pub name: &'static str,
    /// Label.
    pub label: String,
    /// What the input holds.
    pub value: String,
    /// The refusal beside it.
    pub error: Option<String>,
}

/// One step row of the ladder inputs (filled with the ladder in force, or what was
/// typed; the rest blank up to [`MAX_LADDER_STEPS`]).
pub struct LadderRow {
    /// Row index (the API's `ladder[i]`).
    pub index: usize,
    /// Label of the percentage input: "Step 1 (% of the target)".
    pub label: String,
    /// The percentage typed.
    pub percent: String,
    /// The level code chosen, or "".
    pub notify: String,
    /// The refusal beside the percentage.
    pub percent_error: Option<String>,
    /// The refusal beside the level.
    pub notify_error: Option<String>,
}

/// A ladder as the history shows it: "120 % 区域经理 · 300 % 总部".
fn ladder_text(chrome: &crate::console::Chrome, p: &Policy) -> String {
    p.ladder
        .iter()
        .map(|(pct, l)| {
            format!(
                "{pct} % {}",
                chrome.t(&format!("complaint.level.{}", l.code()))
            )
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// One version in the history.
pub struct VersionRow {
    /// Version number.
    pub version: i64,
    /// When published.
    pub at: String,
    /// Who published it.
    pub by: String,
    /// Business or calendar hours.
    pub mode: String,
    /// The five targets.
    pub targets: Vec<String>,
    /// The escalation ladder.
    pub ladder: String,
    /// Whether it is the one in force.
    pub current: bool,
}

/// One policy's page.
#[derive(askama::Template)]
#[template(path = "complaint_policy.html")]
pub struct PolicyPage {
    /// Frame.
    pub chrome: crate::console::Chrome,
    /// Heading: category · severity.
    pub title: String,
    /// Where the form posts.
    pub action: String,
    /// Whether the user may edit (head office).
    pub can_set: bool,
    /// The mode chosen: `business` or `calendar`.
    pub mode: String,
    /// The refusal beside the mode.
    pub mode_error: Option<String>,
    /// The five target inputs.
    pub inputs: Vec<TargetInput>,
    /// The ladder's step rows.
    pub ladder: Vec<LadderRow>,
    /// The levels a step may notify, (code, name).
    pub levels: Vec<(String, String)>,
    /// The refusal of the ladder as a whole (none, too many steps).
    pub ladder_error: Option<String>,
    /// The stage headings.
    pub stages: Vec<String>,
    /// Every version, newest first.
    pub versions: Vec<VersionRow>,
    /// A refusal not tied to one field.
    pub error: Option<String>,
}

fn head_office(user: &ConsoleUser) -> bool {
    user.session
        .principal
        .grant(Action::ComplaintPolicy)
        .is_ok()
        && matches!(
            user.session.principal.unit,
            domain::permission::Unit::HeadOffice
        )
}

fn stage_names(chrome: &crate::console::Chrome) -> Vec<String> {
    Stage::ALL
        .iter()
        .map(|s| chrome.t(&format!("complaint.stage.{}", s.code())))
        .collect()
}

fn targets(lang: crate::i18n::Lang, p: &Policy) -> Vec<String> {
    Stage::ALL
        .iter()
        .map(|s| shown(lang, p.targets.of(*s)))
        .collect()
}

/// `GET /console/complaints/policies`.
pub(super) async fn list(State(s): State<AppState>, user: ConsoleUser) -> Response {
    let chrome = user.chrome("complaints");
    let read = match grant(&user, Action::ComplaintRead) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let all = match app::complaint::policy::overview(&s.app, &read).await {
        Ok(l) => l,
        Err(e) => return error_page(chrome, &e),
    };
    let cats = Cats::load(&s.app, &user.session.principal, user.lang).await;
    let lang = user.lang;
    let rows = all
        .iter()
        .map(|p| SummaryRow {
            category: cats.name(&p.category),
            severity: chrome.t(&format!("complaint.severity.{}", p.severity)),
            version: match p.version {
                Some(v) => tables().fill(lang, "complaint.pol.version_n", &[("n", &v.to_string())]),
                None => chrome.t("complaint.pol.defaults"),
            },
            mode: chrome.t(mode_key(p.policy.mode)),
            targets: targets(lang, &p.policy),
            href: href(&p.category, p.severity),
        })
        .collect();
    let page = PoliciesPage {
        title: chrome.t("complaint.pol.title"),
        stages: stage_names(&chrome),
        rows,
        chrome: {
            let list = chrome.t("complaint.nav");
            chrome.crumb("/console/complaints", list)
        },
    };
    render(&page, StatusCode::OK)
}

/// The violations of a refusal by the form's field names (the domain names a
/// target `targets.<stage>`).
fn by_field(e: &AppError) -> Vec<Violation> {
    match e {
        AppError::Invalid(v) | AppError::Refused(v) => {
            v.0.iter()
                .map(|x| {
                    let mut x = x.clone();
                    if let Some(f) = x.field.strip_prefix("targets.") {
                        x.field = f.to_string();
                    }
                    x
                })
                .collect()
        }
        _ => vec![],
    }
}

async fn show(
    s: &AppState,
    user: &ConsoleUser,
    category: &str,
    severity: &str,
    typed: Option<&FormData>,
    failed: Option<&AppError>,
) -> Response {
    let chrome = user.chrome("complaints");
    let read = match grant(user, Action::ComplaintRead) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let versions = match app::complaint::policy::history(&s.app, &read, category, severity).await {
        Ok(v) => v,
        Err(e) => return error_page(chrome, &e),
    };
    let lang = user.lang;
    let current = versions
        .first()
        .map(|v| v.policy.clone())
        .unwrap_or_else(|| Policy::spec_default(ClockMode::Business));
    let violations = failed.map(by_field).unwrap_or_default();
    let error_of = |name: &str| {
        violations
            .iter()
            .find(|v| v.field == name)
            .map(|v| tables().violation(lang, v))
    };
    let inputs = Stage::ALL
        .iter()
        .map(|st| {
            let name = st.code();
            TargetInput {
                name,
                label: tables().fill(
                    lang,
                    "complaint.pol.target_label",
                    &[("stage", &chrome.t(&format!("complaint.stage.{name}")))],
                ),
                value: typed
                    .map(|f| f.get(name).to_string())
                    .unwrap_or_else(|| hours_input(current.targets.of(*st))),
                error: error_of(name),
            }
        })
        .collect();
    let ladder = (0..MAX_LADDER_STEPS)
        .map(|i| {
            let (pf, nf) = (
                format!("ladder[{i}].percent"),
                format!("ladder[{i}].notify"),
            );
            let (percent, notify) = match typed {
                Some(f) => (f.get(&pf).to_string(), f.get(&nf).to_string()),
                None => current
                    .ladder
                    .get(i)
                    .map(|(p, l)| (p.to_string(), l.code().to_string()))
                    .unwrap_or_default(),
            };
            LadderRow {
                index: i,
                label: tables().fill(
                    lang,
                    "complaint.pol.ladder_step",
                    &[("n", &(i + 1).to_string())],
                ),
                percent,
                notify,
                percent_error: error_of(&pf),
                notify_error: error_of(&nf),
            }
        })
        .collect();
    let ladder_fields: Vec<String> = (0..MAX_LADDER_STEPS)
        .flat_map(|i| {
            [
                format!("ladder[{i}].percent"),
                format!("ladder[{i}].notify"),
            ]
        })
        .collect();
    let fields: Vec<&str> = Stage::ALL
        .iter()
        .map(|s| s.code())
        .chain(["mode", "ladder"])
        .chain(ladder_fields.iter().map(String::as_str))
        .collect();
    let error = match failed {
        Some(e @ (AppError::Invalid(_) | AppError::Refused(_))) => {
            Some(crate::error::page_error(lang, e).0).filter(|_| {
                violations
                    .iter()
                    .any(|v| !fields.contains(&v.field.as_str()))
            })
        }
        Some(e) => Some(crate::error::page_error(lang, e).0),
        None => None,
    };
    let status = failed.map_or(StatusCode::OK, |e| crate::error::describe_app(e).0);
    let cats = Cats::load(&s.app, &user.session.principal, lang).await;
    let title = format!(
        "{} · {}",
        cats.name(category),
        chrome.t(&format!("complaint.severity.{severity}"))
    );
    let page = PolicyPage {
        title,
        action: href(category, severity),
        can_set: head_office(user),
        mode: typed
            .map(|f| f.get("mode").to_string())
            .unwrap_or_else(|| app::complaint::clock::mode_str(current.mode).to_string()),
        mode_error: error_of("mode"),
        inputs,
        ladder,
        levels: Level::ALL
            .iter()
            .map(|l| {
                (
                    l.code().to_string(),
                    chrome.t(&format!("complaint.level.{}", l.code())),
                )
            })
            .collect(),
        ladder_error: error_of("ladder"),
        stages: stage_names(&chrome),
        versions: versions
            .iter()
            .enumerate()
            .map(|(i, v)| VersionRow {
                version: v.version,
                at: crate::console::chrome::show_time(v.created_at),
                by: v
                    .by_name
                    .clone()
                    .unwrap_or_else(|| chrome.t("complaint.pol.by_system")),
                mode: chrome.t(mode_key(v.policy.mode)),
                targets: targets(lang, &v.policy),
                ladder: ladder_text(&chrome, &v.policy),
                current: i == 0,
            })
            .collect(),
        error,
        chrome: {
            let list = chrome.t("complaint.nav");
            let pols = chrome.t("complaint.pol.title");
            chrome
                .crumb("/console/complaints", list)
                .crumb("/console/complaints/policies", pols)
        },
    };
    render(&page, status)
}

/// `GET /console/complaints/policies/{category}/{severity}`.
pub(super) async fn page(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path((category, severity)): Path<(String, String)>,
) -> Response {
    show(&s, &user, &category, &severity, None, None).await
}

/// Reads the form: each target typed in hours; one that is not a number is refused
/// on its field.
fn read(form: &FormData, category: &str, severity: &str) -> Result<PolicyInput, AppError> {
    let mut v = Violations::new();
    let mut minutes = [0i64; 5];
    for (i, st) in Stage::ALL.iter().enumerate() {
        match minutes_of(form.get(st.code())) {
            Some(m) => minutes[i] = m,
            None => {
                v.push(Violation::new(st.code(), "complaint.policy_hours"));
                // Stands in for the bad field so the others are checked now too.
                minutes[i] = 1;
            }
        }
    }
    let ladder = read_ladder(form, &mut v);
    let [first_response, full_record, analysis, solution, closure] = minutes;
    if !v.is_empty() {
        let mut p = Policy::spec_default(ClockMode::Business);
        p.targets = domain::complaint::sla::Targets {
            first_response,
            full_record,
            analysis,
            solution,
            closure,
        };
        // The steps typed are checked now too (a level not chosen stands as head
        // office: the select offers only known levels).
        if let Some(steps) = &ladder {
            p.ladder = steps
                .iter()
                .map(|st| {
                    (
                        u32::try_from(st.percent.max(0)).unwrap_or(u32::MAX),
                        Level::from_code(&st.notify).unwrap_or(Level::HeadOffice),
                    )
                })
                .collect();
        }
        if let Err(e) = p.validate() {
            v.0.extend(e.0);
        }
        return Err(AppError::Invalid(v));
    }
    Ok(PolicyInput {
        category: category.to_string(),
        severity: severity.to_string(),
        mode: form.get("mode").to_string(),
        first_response,
        full_record,
        analysis,
        solution,
        closure,
        ladder,
    })
}

/// Reads the ladder rows: a row with neither a percentage nor a level is left out; a
/// percentage that is not a whole number is refused on its field. A form without
/// ladder rows at all (an older page) keeps the ladder in force (`None`).
fn read_ladder(form: &FormData, v: &mut Violations) -> Option<Vec<LadderStepInput>> {
    if !form.0.iter().any(|(k, _)| k.starts_with("ladder[")) {
        return None;
    }
    let mut out = Vec::new();
    for i in 0..MAX_LADDER_STEPS {
        let pf = format!("ladder[{i}].percent");
        let (p, n) = (
            form.get(&pf).trim(),
            form.get(&format!("ladder[{i}].notify")).trim(),
        );
        if p.is_empty() && n.is_empty() {
            continue;
        }
        let percent = match p.trim_end_matches(['%', '％']).trim().parse::<i64>() {
            Ok(x) => x,
            Err(_) => {
                v.push(Violation::new(pf, "complaint.ladder_percent_number"));
                // Stands in so the other rules are checked now too.
                100 + i as i64
            }
        };
        out.push(LadderStepInput {
            percent,
            notify: n.to_string(),
        });
    }
    Some(out)
}

/// `POST /console/complaints/policies/{category}/{severity}`: head office publishes
/// a new version; back with a toast, or the page again with each refusal beside its
/// field.
pub(super) async fn save(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path((category, severity)): Path<(String, String)>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    if !LEVELS.contains(&severity.as_str()) {
        return error_page(user.chrome("complaints"), &AppError::NotFound);
    }
    let r = match grant(&user, Action::ComplaintPolicy) {
        Err(e) => Err(e),
        Ok(_) if !head_office(&user) => Err(AppError::Forbidden),
        Ok(g) => match read(&form, &category, &severity) {
            Ok(input) => app::complaint::policy::publish(&s.app, &g, &input).await,
            Err(e) => Err(e),
        },
    };
    match r {
        Ok(_) => toast::redirect(&href(&category, &severity), "toast.complaint.policy_saved"),
        Err(e @ (AppError::Invalid(_) | AppError::Refused(_))) => {
            show(&s, &user, &category, &severity, Some(&form), Some(&e)).await
        }
        Err(e) => error_page(user.chrome("complaints"), &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_and_minutes() {
        assert_eq!(hours_input(60), "1");
        assert_eq!(hours_input(90), "1.5");
        assert_eq!(hours_input(100), "1.67");
        assert_eq!(minutes_of("1.5"), Some(90));
        assert_eq!(minutes_of(" 72 "), Some(4320));
        assert_eq!(minutes_of("0"), Some(0));
        assert_eq!(minutes_of("-2"), Some(-120));
        assert_eq!(minutes_of("一小时"), None);
        assert_eq!(minutes_of(""), None);
        assert_eq!(minutes_of("NaN"), None);
    }
}
