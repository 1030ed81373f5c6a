//! Tests of the CSV import's row checks.

use super::*;

#[test]
fn kinds_and_headers() {
    for k in ImportKind::ALL {
        assert_eq!(ImportKind::from_name(k.name()), Some(k));
        assert!(!template_header(k).is_empty());
    }
    assert_eq!(
        ImportKind::from_name("Vehicles"),
        Some(ImportKind::Vehicles)
    );
    assert_eq!(ImportKind::from_name("parts"), None);
}

#[test]
fn header_errors_name_the_columns() {
    let csv = "code,name_zh,colour\n";
    let (records, errors) = read_records(ImportKind::Stations, csv.as_bytes()).unwrap_or_default();
    assert!(records.is_empty());
    assert!(
        errors
            .iter()
            .any(|e| e.row == 0 && e.field == "colour" && e.rule == "import.unknown_column")
    );
    assert!(
        errors
            .iter()
            .any(|e| e.row == 0 && e.field == "lon" && e.rule == "import.missing_column")
    );
}

#[test]
fn bools() {
    assert_eq!(parse_bool("是"), Ok(true));
    assert_eq!(parse_bool("0"), Ok(false));
    assert!(parse_bool("maybe").is_err());
}
