//! What a complaint may carry as evidence (issue 10 item 1): photos and recordings
//! of the customer's words, each checked before it is stored — a known type, at
//! most [`MAX_BYTES`], not empty, and bytes that really are what the type says (a
//! renamed executable is not a photo) — and a file name fit to show and to send back
//! in a `Content-Disposition` header.

use serde::{Deserialize, Serialize};

use crate::Violation;

/// Largest attachment accepted, in bytes (10 MiB: a few minutes of a phone call's
/// recording, or a full-size phone photo).
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// [`MAX_BYTES`] as people read it, the detail of a size refusal.
pub const MAX_SIZE_TEXT: &str = "10 MiB";

/// Longest file name kept, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// The kinds of file accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Media {
    /// JPEG photo.
    Jpeg,
    /// PNG image (a screenshot of a chat).
    Png,
    /// WebP photo.
    Webp,
    /// MP3 recording.
    Mp3,
    /// MPEG-4 audio (M4A, a phone's voice memo).
    M4a,
    /// AMR recording (a feature phone's or a call recorder's).
    Amr,
    /// WAV recording.
    Wav,
}

impl Media {
    /// Every accepted kind, photos first.
    pub const ALL: [Media; 7] = [
        Media::Jpeg,
        Media::Png,
        Media::Webp,
        Media::Mp3,
        Media::M4a,
        Media::Amr,
        Media::Wav,
    ];

    /// The MIME type stored and served.
    pub fn content_type(self) -> &'static str {
        match self {
            Media::Jpeg => "image/jpeg",
            Media::Png => "image/png",
            Media::Webp => "image/webp",
            Media::Mp3 => "audio/mpeg",
            Media::M4a => "audio/mp4",
            Media::Amr => "audio/amr",
            Media::Wav => "audio/wav",
        }
    }

    /// The format's common name (JPEG, MP3 …), as a list shows it.
    pub fn format_name(self) -> &'static str {
        match self {
            Media::Jpeg => "JPEG",
            Media::Png => "PNG",
            Media::Webp => "WebP",
            Media::Mp3 => "MP3",
            Media::M4a => "M4A",
            Media::Amr => "AMR",
            Media::Wav => "WAV",
        }
    }

    /// Whether it is a picture (shown inline) rather than a recording.
    pub fn is_photo(self) -> bool {
        matches!(self, Media::Jpeg | Media::Png | Media::Webp)
    }

    /// The kind of a `Content-Type` value (parameters and case ignored; the usual
    /// aliases `audio/mp3`, `audio/x-m4a`, `audio/x-wav`, `audio/wave` and
    /// `image/jpg` accepted), or `None`.
    pub fn of_content_type(header: &str) -> Option<Media> {
        let media = header.split(';').next().unwrap_or("").trim();
        let alias = |a: &str| media.eq_ignore_ascii_case(a);
        Media::ALL
            .into_iter()
            .find(|m| alias(m.content_type()))
            .or_else(|| match () {
                _ if alias("image/jpg") => Some(Media::Jpeg),
                _ if alias("audio/mp3") => Some(Media::Mp3),
                _ if alias("audio/x-m4a") || alias("audio/m4a") => Some(Media::M4a),
                _ if alias("audio/x-wav") || alias("audio/wave") => Some(Media::Wav),
                _ => None,
            })
    }

    /// Whether `bytes` begin as this kind's files do: JPEG `FF D8 FF`, PNG's
    /// eight-byte signature, WebP `RIFF….WEBP`, MP3 an `ID3` tag or an MPEG frame
    /// sync, M4A `….ftyp`, AMR `#!AMR`, WAV `RIFF….WAVE`.
    pub fn matches(self, bytes: &[u8]) -> bool {
        // The one signature rule of every stored file.
        crate::signature::matches(self.content_type(), bytes)
    }
}

/// The accepted MIME types, as the refusal and the form state them.
pub fn accepted_types() -> String {
    Media::ALL
        .iter()
        .map(|m| m.content_type())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks a file sent as evidence: its declared type, its size and its first bytes.
/// Refusals name `field`: `complaint.attachment_type` (not a photo or recording
/// kind, detail: the accepted types), `complaint.attachment_size` (empty or over
/// [`MAX_BYTES`], detail: [`MAX_SIZE_TEXT`]), `complaint.attachment_magic` (the
/// bytes are not what the type says).
pub fn check(field: &str, content_type: &str, bytes: &[u8]) -> Result<Media, Violation> {
    let Some(media) = Media::of_content_type(content_type) else {
        return Err(
            Violation::new(field, "complaint.attachment_type").with_detail(accepted_types())
        );
    };
    if bytes.is_empty() || bytes.len() > MAX_BYTES {
        return Err(Violation::new(field, "complaint.attachment_size").with_detail(MAX_SIZE_TEXT));
    }
    if !media.matches(bytes) {
        return Err(Violation::new(field, "complaint.attachment_magic"));
    }
    Ok(media)
}

/// A file name fit to show and to send back: the last part of what the browser sent
/// (a path's folders dropped), control characters and quotes removed, 1 to
/// [`MAX_NAME_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileName(String);

impl FileName {
    /// Parses the name sent; empty after cleaning is `complaint.file_name_invalid`
    /// on `field`, so is a name longer than the limit.
    pub fn parse(field: &str, raw: &str) -> Result<FileName, Violation> {
        let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
        let clean: String = last
            .chars()
            .filter(|c| !c.is_control() && *c != '"')
            .collect::<String>()
            .trim()
            .to_string();
        if clean.is_empty()
            || clean == "."
            || clean == ".."
            || clean.chars().count() > MAX_NAME_CHARS
        {
            return Err(Violation::new(field, "complaint.file_name_invalid"));
        }
        Ok(FileName(clean))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn photos_and_recordings_are_known_by_type_and_first_bytes() {
        let cases: [(&str, &[u8], Media); 8] = [
            ("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE0], Media::Jpeg),
            ("IMAGE/PNG; q=1", b"\x89PNG\r\n\x1a\n....", Media::Png),
            ("image/webp", b"RIFF\0\0\0\0WEBPVP8 ", Media::Webp),
            ("audio/mpeg", b"ID3\x04\0\0", Media::Mp3),
            ("audio/mp3", &[0xFF, 0xFB, 0x90, 0x00], Media::Mp3),
            ("audio/x-m4a", b"\0\0\0\x20ftypM4A ", Media::M4a),
            ("audio/amr", b"#!AMR\n", Media::Amr),
            ("audio/wav", b"RIFF\0\0\0\0WAVEfmt ", Media::Wav),
        ];
        for (ct, bytes, m) in cases {
            assert_eq!(check("file", ct, bytes), Ok(m), "{ct}");
        }
    }

    #[test]
    fn a_wrong_type_lying_bytes_or_a_bad_size_is_refused_naming_the_rule() {
        let rule = |ct: &str, b: &[u8]| check("file", ct, b).map_err(|v| (v.field.clone(), v.rule));
        assert_eq!(
            rule("application/pdf", b"%PDF-1.7"),
            Err(("file".into(), "complaint.attachment_type"))
        );
        assert_eq!(
            rule("image/gif", b"GIF89a"),
            Err(("file".into(), "complaint.attachment_type"))
        );
        assert_eq!(
            rule("image/png", &[0xFF, 0xD8, 0xFF]),
            Err(("file".into(), "complaint.attachment_magic"))
        );
        assert_eq!(
            rule("audio/wav", b"RIFF\0\0\0\0WEBP"),
            Err(("file".into(), "complaint.attachment_magic"))
        );
        assert_eq!(
            rule("image/jpeg", b""),
            Err(("file".into(), "complaint.attachment_size"))
        );
        let mut big = vec![0xFF, 0xD8, 0xFF];
        big.resize(MAX_BYTES + 1, 0);
        assert_eq!(
            rule("image/jpeg", &big),
            Err(("file".into(), "complaint.attachment_size"))
        );
        big.truncate(MAX_BYTES);
        assert_eq!(check("file", "image/jpeg", &big), Ok(Media::Jpeg));
        let v = check("file", "text/plain", b"x").unwrap_err();
        assert!(v.detail.as_deref().is_some_and(|d| d.contains("audio/amr")));
    }

    #[test]
    fn file_names_lose_their_folders_and_what_could_break_a_header() {
        let name = |s: &str| FileName::parse("file", s).map(|n| n.as_str().to_string());
        assert_eq!(
            name("C:\\Users\\王\\现场照片.jpg"),
            Ok("现场照片.jpg".into())
        );
        assert_eq!(name("../../etc/passwd"), Ok("passwd".into()));
        assert_eq!(name("a\"b\r\n.png"), Ok("ab.png".into()));
        assert!(name("  ").is_err());
        assert!(name("dir/").is_err());
        assert!(name("..").is_err());
        assert!(name(&"长".repeat(201)).is_err());
        assert_eq!(name(&"长".repeat(200)).map(|n| n.chars().count()), Ok(200));
    }
}
