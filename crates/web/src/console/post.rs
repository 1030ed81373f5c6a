//! The common start of a console form's POST handler: the CSRF token checked, the form
//! page to show again with what was sent, the grant the action needs and, for an edit,
//! the record's id from the path. Each handler then only reads its input, calls its
//! use case and answers (`form::answer`).
//!
//! Its own file, beside `form` (page parts) and `session` (the signed-in user), so
//! that neither of those two needs the other (they once imported each other).

use super::form::{FormData, FormPage, error_page};
use super::session::ConsoleUser;
use axum::response::Response;
use domain::permission::{Action, Grant};

/// A form POST that may go on: the page to show again and the caller's grant.
pub struct Post {
    /// The form page with the values sent, shown again with the errors.
    pub page: FormPage,
    /// The grant for the handler's action.
    pub grant: Grant,
}

/// Checks the CSRF token, builds the page to show again from the values sent and takes
/// the grant for `action`. `Err` is the answer to send at once: the CSRF refusal, or
/// the error page for a caller without the right.
#[allow(clippy::result_large_err)] // the refusal is the page itself, as in `check_csrf`
pub fn begin(
    user: &ConsoleUser,
    form: &FormData,
    action: Action,
    page: impl FnOnce(&serde_json::Value) -> FormPage,
) -> Result<Post, Response> {
    user.check_csrf(form)?;
    let page = page(&form.to_json());
    match user.session.principal.grant(action) {
        Ok(grant) => Ok(Post { page, grant }),
        Err(_) => Err(error_page(page.chrome, &app::AppError::Forbidden)),
    }
}

/// [`begin`] for a record's edit form, with the record's id from the path: a malformed
/// id answers the error page of a missing record.
#[allow(clippy::result_large_err)] // the refusal is the page itself, as in `check_csrf`
pub fn begin_edit(
    user: &ConsoleUser,
    form: &FormData,
    action: Action,
    id: &str,
    page: impl FnOnce(&serde_json::Value) -> FormPage,
) -> Result<(Post, i64), Response> {
    let post = begin(user, form, action, page)?;
    match id.parse::<i64>() {
        Ok(id) => Ok((post, id)),
        Err(_) => Err(error_page(post.page.chrome, &app::AppError::NotFound)),
    }
}
