//! The owner's survey page on the one-time link (`/owner/survey/{token}`): one card
//! per question with big tap targets, "save" keeps a partial survey, "submit"
//! finishes it and shows the thank-you; a used or expired link says what to do.
//! The token is the credential; the forms carry a per-browser form token (double
//! submit, as on the owner's progress link).

use super::page::lang_of;
use crate::AppState;
use crate::console::form::{FormData, render};
use crate::error::page_error;
use crate::extract::{constant_time_eq, cookie};
use crate::i18n::{I18n, Lang, tables};
use app::AppError;
use app::survey::answer::{self, LinkStatus};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::survey::{Answer, Scale};
use std::collections::BTreeMap;

/// Routes of the owner's survey page.
pub fn router() -> Router<AppState> {
    Router::new().route("/owner/survey/{token}", get(show).post(save))
}

const FORM_COOKIE: &str = "as_survey_form";

/// One question as a card.
struct Card {
    key: String,
    text: String,
    /// Choices (value, label) for scored questions; empty for free text.
    choices: Vec<u8>,
    low: String,
    high: String,
    chosen: Option<u8>,
    text_value: String,
    is_text: bool,
}

/// The page.
#[derive(Template)]
#[template(path = "owner_survey.html")]
struct SurveyPage {
    lang: Lang,
    t: &'static I18n,
    self_path: String,
    intro: String,
    status: &'static str,
    notice: Option<String>,
    error: Option<String>,
    csrf: String,
    cards: Vec<Card>,
    total: usize,
}

impl SurveyPage {
    /// The text of `key` in the page's language.
    fn tx(&self, key: &str) -> String {
        self.t.t(self.lang, key).to_string()
    }

    /// "Question n of total".
    fn progress(&self, n: &usize) -> String {
        self.tx("survey.owner.progress")
            .replace("{n}", &n.to_string())
            .replace("{total}", &self.total.to_string())
    }
}

fn form_token(parts: &Parts) -> String {
    cookie(parts, FORM_COOKIE)
        .filter(|t| t.len() >= 32 && t.len() <= 128 && t.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(str::to_string)
        .unwrap_or_else(app::auth::new_secret)
}

async fn page(
    s: &AppState,
    parts: &Parts,
    token: &str,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let lang = lang_of(parts);
    let t = tables();
    let mut p = SurveyPage {
        lang,
        t,
        self_path: format!("/owner/survey/{token}"),
        intro: String::new(),
        status: "gone",
        notice,
        error,
        csrf: form_token(parts),
        cards: Vec::new(),
        total: 0,
    };
    let view = match answer::owner_view(&s.app, token).await {
        Ok(v) => v,
        Err(AppError::NotFound) => {
            p.status = "expired";
            return render(&p, StatusCode::NOT_FOUND);
        }
        Err(e) => {
            let (msg, st) = page_error(lang, &e);
            p.error = Some(msg);
            return render(&p, st);
        }
    };
    p.intro = t
        .t(lang, "survey.owner.intro")
        .replace("{station}", &view.station_name);
    p.status = match view.status {
        LinkStatus::Open => "open",
        LinkStatus::Done => "done",
        LinkStatus::Expired => "expired",
    };
    p.cards = view
        .questions
        .iter()
        .map(|q| {
            let (choices, low, high) = match q.scale {
                Scale::Recommend => (
                    (0..=10).collect(),
                    "survey.scale.recommend_low",
                    "survey.scale.recommend_high",
                ),
                Scale::Ten => ((1..=10).collect(), "survey.scale.low", "survey.scale.high"),
                Scale::Five => ((1..=5).collect(), "survey.scale.low", "survey.scale.high"),
                Scale::Text => (Vec::new(), "", ""),
            };
            let saved = view.answers.get(&q.key);
            Card {
                key: q.key.clone(),
                text: if lang == Lang::En {
                    q.text_en.clone()
                } else {
                    q.text_zh.clone()
                },
                choices,
                low: if low.is_empty() {
                    String::new()
                } else {
                    t.t(lang, low).to_string()
                },
                high: if high.is_empty() {
                    String::new()
                } else {
                    t.t(lang, high).to_string()
                },
                chosen: match saved {
                    Some(Answer::Score(s)) => Some(*s),
                    _ => None,
                },
                text_value: match saved {
                    Some(Answer::Text(x)) => x.clone(),
                    _ => String::new(),
                },
                is_text: q.scale == Scale::Text,
            }
        })
        .collect();
    p.total = p.cards.len();
    let mut r = render(&p, status);
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{FORM_COOKIE}={}; Path=/owner/survey/{token}; HttpOnly; SameSite=Strict",
        p.csrf
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

async fn show(State(s): State<AppState>, parts: Parts, Path(token): Path<String>) -> Response {
    let lang = lang_of(&parts);
    let q = parts.uri.query().unwrap_or("");
    let notice = match q {
        "saved=1" => Some(tables().t(lang, "survey.owner.saved").to_string()),
        "done=1" => Some(tables().t(lang, "survey.owner.thanks").to_string()),
        _ => None,
    };
    page(&s, &parts, &token, notice, None, StatusCode::OK).await
}

async fn save(
    State(s): State<AppState>,
    parts: Parts,
    Path(token): Path<String>,
    form: FormData,
) -> Response {
    let expected = cookie(&parts, FORM_COOKIE).unwrap_or("");
    if expected.is_empty() || !constant_time_eq(form.get("csrf").as_bytes(), expected.as_bytes()) {
        let msg = tables().t(lang_of(&parts), "error.csrf").to_string();
        return page(&s, &parts, &token, None, Some(msg), StatusCode::FORBIDDEN).await;
    }
    let answers: BTreeMap<String, String> = form
        .0
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("q.").map(|k| (k.to_string(), v.clone())))
        .collect();
    let finish = form.get("finish") == "1";
    match answer::owner_answer(&s.app, &token, &answers, finish).await {
        Ok(LinkStatus::Done) => {
            Redirect::to(&format!("/owner/survey/{token}?done=1")).into_response()
        }
        Ok(_) => Redirect::to(&format!("/owner/survey/{token}?saved=1")).into_response(),
        Err(e) => {
            let (msg, st) = page_error(lang_of(&parts), &e);
            page(&s, &parts, &token, None, Some(msg), st).await
        }
    }
}
