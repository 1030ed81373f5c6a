//! Errors as `application/problem+json` (RFC 9457), naming the field and the rule in
//! the caller's language.

use crate::i18n::{Lang, tables};
use app::AppError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::{Violation, Violations};
use serde::Serialize;

/// What went wrong with a request.
#[derive(Debug)]
pub enum Problem {
    /// A use case said no.
    App(AppError),
    /// The body is not JSON (wrong Content-Type).
    UnsupportedMediaType,
    /// The body could not be read as the expected JSON.
    BadBody(Violation),
    /// The body is larger than allowed.
    TooLarge,
    /// A form came without the session's CSRF token.
    Csrf,
}

/// A problem together with the language to explain it in.
#[derive(Debug)]
pub struct ApiError {
    /// What went wrong.
    pub problem: Problem,
    /// The caller's language.
    pub lang: Lang,
}

impl ApiError {
    /// A problem in a language.
    pub fn new(problem: Problem, lang: Lang) -> ApiError {
        ApiError { problem, lang }
    }

    /// A use-case error in a language.
    pub fn app(e: AppError, lang: Lang) -> ApiError {
        ApiError {
            problem: Problem::App(e),
            lang,
        }
    }
}

/// One field error in a problem document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field, e.g. `vin`.
    pub field: String,
    /// The stable rule code, e.g. `vin.check_digit`.
    pub rule: String,
    /// The sentence for people.
    pub message: String,
    /// The article a legal floor comes from, as a stable code (`art21`,
    /// `art24(1)(4)`), when the rule is one of the three-guarantees floors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub article: Option<String>,
}

/// The problem document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemDoc {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// Explanation.
    pub detail: String,
    /// Every broken rule, when the input was at fault.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// The status, problem kind, title key and field errors of a problem.
pub fn describe(p: &Problem) -> (StatusCode, &'static str, &'static str, Vec<Violation>) {
    match p {
        Problem::App(e) => describe_app(e),
        Problem::UnsupportedMediaType => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type",
            "error.content_type",
            vec![],
        ),
        Problem::BadBody(v) => (
            StatusCode::BAD_REQUEST,
            "body",
            "error.body",
            vec![v.clone()],
        ),
        Problem::TooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "error.too_large",
            vec![],
        ),
        Problem::Csrf => (StatusCode::FORBIDDEN, "csrf", "error.csrf", vec![]),
    }
}

/// The status, problem kind, title key and field errors of a use-case error.
pub fn describe_app(e: &AppError) -> (StatusCode, &'static str, &'static str, Vec<Violation>) {
    match e {
        AppError::Invalid(v) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "error.title",
            v.0.clone(),
        ),
        AppError::Refused(v) => (
            StatusCode::CONFLICT,
            "business-rule",
            "error.refused",
            v.0.clone(),
        ),
        AppError::Unauthenticated => (
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "error.unauthenticated",
            vec![],
        ),
        AppError::Forbidden => (
            StatusCode::FORBIDDEN,
            "forbidden",
            "error.forbidden",
            vec![],
        ),
        AppError::NotFound => (
            StatusCode::NOT_FOUND,
            "not-found",
            "error.not_found",
            vec![],
        ),
        AppError::TooManyAttempts { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "too-many-attempts",
            "error.too_many",
            vec![],
        ),
        AppError::Busy(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "error.busy",
            vec![],
        ),
        AppError::Store(_) | AppError::Internal(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "error.internal",
            vec![],
        ),
    }
}

/// A page's sentence for a use-case error (each broken rule naming its field, else
/// the error's title) and the status to answer with; server errors are logged.
pub fn page_error(lang: Lang, e: &AppError) -> (String, StatusCode) {
    let (status, _, key, violations) = describe_app(e);
    if status.is_server_error() {
        tracing::error!(error = %e, "page failure");
    }
    let text = if violations.is_empty() {
        tables().t(lang, key).to_string()
    } else {
        field_errors(lang, &violations)
            .into_iter()
            .map(|f| f.message)
            .collect::<Vec<_>>()
            .join("; ")
    };
    (text, status)
}

/// Field errors translated.
pub fn field_errors(lang: Lang, violations: &[Violation]) -> Vec<FieldError> {
    violations
        .iter()
        .map(|v| {
            // A value below the three-guarantees law: the detail `art21 5` is the
            // machine's; people read the article and the legal value in words.
            let floor = (v.rule == "guarantee.below_legal_floor")
                .then(|| crate::i18n::guarantee_floor::floor_words(lang, &v.field))
                .flatten();
            let message = match &floor {
                Some(words) => tables().violation(lang, &v.clone().with_detail(words.clone())),
                None => tables().violation(lang, v),
            };
            let article = floor.and_then(|_| {
                let d = v.detail.as_deref()?;
                Some(d.split_whitespace().next()?.to_string())
            });
            FieldError {
                field: v.field.clone(),
                rule: v.rule.to_string(),
                message,
                article,
            }
        })
        .collect()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Problem::App(AppError::Store(e)) = &self.problem {
            tracing::error!(error = %e, "storage failure");
        }
        if let Problem::App(AppError::Internal(e)) = &self.problem {
            tracing::error!(error = %e, "internal failure");
        }
        let (status, kind, title_key, violations) = describe(&self.problem);
        let errors = field_errors(self.lang, &violations);
        let title = tables().t(self.lang, title_key).to_string();
        let detail = if errors.is_empty() {
            title.clone()
        } else {
            errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        };
        let doc = ProblemDoc {
            kind: format!("/problems/{kind}"),
            title,
            status: status.as_u16(),
            detail,
            errors,
        };
        let body = serde_json::to_vec(&doc).unwrap_or_default();
        let mut r = (status, body).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        r.headers_mut().insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(self.lang.tag()),
        );
        if let Problem::App(AppError::TooManyAttempts { retry_at }) = self.problem {
            let secs = ((retry_at - jiff::Timestamp::now().as_millisecond()) / 1000).max(1);
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if let Problem::App(AppError::Busy(use_case)) = self.problem {
            tracing::warn!(
                use_case,
                "answered busy after the transaction runner gave up"
            );
            r.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(app::transaction::RETRY_AFTER_SECS),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

/// Turns a serde_json error into the violation it describes.
pub fn json_violation(e: &serde_json::Error) -> Violation {
    let msg = e.to_string();
    let quoted = msg.split('`').nth(1).map(str::to_string);
    if msg.starts_with("unknown field") {
        Violation::new(quoted.unwrap_or_default(), "body.unknown_field")
    } else if msg.starts_with("missing field") {
        Violation::new(quoted.unwrap_or_default(), "required")
    } else if e.is_data() {
        Violation::new("body", "body.type").with_detail(msg)
    } else {
        Violation::new("body", "body.syntax").with_detail(msg)
    }
}

impl From<(Violations, Lang)> for ApiError {
    fn from((v, lang): (Violations, Lang)) -> Self {
        ApiError::app(AppError::Invalid(v), lang)
    }
}
