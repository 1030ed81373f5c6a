//! File signatures ("magic bytes"): whether an upload's first bytes are what its type
//! says. The one rule behind every stored file — pick-up and audit photos
//! (`app::pickup::check_photo`) and complaint evidence
//! (`complaint::attachment::Media::matches`) — so a lying file is refused alike
//! everywhere.

/// Whether `bytes` begin as files of the MIME type `content_type` do: JPEG `FF D8 FF`,
/// PNG's eight-byte signature, WebP `RIFF….WEBP`, MP3 an `ID3` tag or an MPEG frame
/// sync, M4A `….ftyp`, AMR `#!AMR`, WAV `RIFF….WAVE`. Any other type: false.
pub fn matches(content_type: &str, bytes: &[u8]) -> bool {
    let riff =
        |form: &[u8]| bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == form;
    match content_type {
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/png" => bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]),
        "image/webp" => riff(b"WEBP"),
        "audio/mpeg" => {
            bytes.starts_with(b"ID3")
                || (bytes.len() >= 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0)
        }
        "audio/mp4" => bytes.len() >= 8 && &bytes[4..8] == b"ftyp",
        "audio/amr" => bytes.starts_with(b"#!AMR"),
        "audio/wav" => riff(b"WAVE"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::matches;
    use proptest::prelude::*;

    #[test]
    fn each_type_by_its_first_bytes() {
        assert!(matches("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(matches("image/png", b"\x89PNG\r\n\x1a\n...."));
        assert!(matches("image/webp", b"RIFF\0\0\0\0WEBPVP8 "));
        assert!(matches("audio/wav", b"RIFF\0\0\0\0WAVEfmt "));
        assert!(!matches("image/png", &[0xFF, 0xD8, 0xFF]));
        assert!(!matches("audio/wav", b"RIFF\0\0\0\0WEBP"));
        assert!(!matches("image/webp", b"RIFF"));
        assert!(!matches("text/html", b"<html>"));
    }

    proptest! {
        /// Short or random input never panics, and no bytes are two image types.
        #[test]
        fn never_panics_and_types_exclude_each_other(bytes in proptest::collection::vec(any::<u8>(), 0..16)) {
            let images = ["image/jpeg", "image/png", "image/webp"].iter().filter(|t| matches(t, &bytes)).count();
            prop_assert!(images <= 1);
        }
    }
}
