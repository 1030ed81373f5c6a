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
    let errors = match Source::Bytes(csv.as_bytes()).records(ImportKind::Stations) {
        Ok(Err(errors)) => errors,
        _ => Vec::new(),
    };
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
fn batches_number_rows_and_report_bad_lines() {
    let mut csv = String::from(template_header(ImportKind::Customers));
    csv.push('\n');
    for i in 0..7 {
        if i == 3 {
            csv.push_str("only,two\n");
        } else {
            csv.push_str(&format!("客户{i},1390000000{i},SH-9001,sms,,1,0\n"));
        }
    }
    let source = Source::Bytes(csv.as_bytes());
    let Ok(Ok(mut records)) = source.records(ImportKind::Customers) else {
        panic!("the header is good");
    };
    let mut check = Check::default();
    let mut seen = Vec::new();
    while let Some((batch, last)) = records.next_batch(3, &mut check) {
        seen.push((batch.iter().map(|r| r.row).collect::<Vec<_>>(), last));
    }
    assert_eq!(
        seen,
        vec![(vec![1, 2, 3], 3), (vec![5, 6], 6), (vec![7], 7)],
        "rows count from 1 after the header; a malformed line keeps its number"
    );
    assert_eq!(check.count, 1);
    assert_eq!(check.errors[0].row, 4);
    assert_eq!(check.errors[0].rule, "csv.field_count");
    let (hash, lines) = source.fingerprint().unwrap_or_default();
    assert_eq!((hash.len(), lines), (64, 8));
}

#[test]
fn duplicates_are_found_across_batches_and_errors_are_capped() {
    let mut check = Check::default();
    duplicates_in_file(&mut check, "phone", [(1, "a"), (2, "b")].into_iter());
    duplicates_in_file(&mut check, "phone", [(3, "a"), (4, "c")].into_iter());
    duplicates_in_file(&mut check, "vin", [(5, "a")].into_iter());
    assert_eq!(
        check.count, 1,
        "the same key under another field is no duplicate"
    );
    assert_eq!(
        (check.errors[0].row, check.errors[0].rule),
        (3, "import.duplicate_in_file")
    );
    for i in 0..(MAX_ERRORS as u64 + 5) {
        check.push(i, "name", "text.required");
    }
    assert_eq!(check.errors.len(), MAX_ERRORS);
    assert_eq!(check.count, MAX_ERRORS as u64 + 6);
}

#[test]
fn bools() {
    assert_eq!(parse_bool("是"), Ok(true));
    assert_eq!(parse_bool("0"), Ok(false));
    assert!(parse_bool("maybe").is_err());
}
