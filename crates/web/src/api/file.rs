//! The one response for a stored file (a pick-up or audit photo, a complaint's
//! evidence), shared by the API and the pages: the bytes as stored, the type the
//! upload was checked as, never sniffed as anything else, cached only privately, and —
//! when the file has a name — `Content-Disposition: inline` with an ASCII fallback
//! and the UTF-8 name (RFC 6266), so a browser shows a photo or plays a recording and
//! saves it under its own name.

use crate::console::chrome::urlencode;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The stored bytes with their checked type and, when given, their file name.
pub fn stored_file(content_type: &str, bytes: Vec<u8>, name: Option<&str>) -> Response {
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    if let Some(v) = name.and_then(|n| HeaderValue::from_str(&disposition(n)).ok()) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// `inline; filename="…"; filename*=UTF-8''…`: quotes, backslashes and anything not
/// printable ASCII become `_` in the fallback.
fn disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "inline; filename=\"{ascii}\"; filename*=UTF-8''{}",
        urlencode(name)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_name_has_an_ascii_fallback_and_the_utf8_form() {
        let d = super::disposition("照片 \"1\".jpg");
        assert!(
            d.starts_with("inline; filename=\"__ _1_.jpg\"; filename*=UTF-8''"),
            "{d}"
        );
        assert!(!d.contains('照'));
    }
}
