//! Where an import's CSV comes from, read as often as the import needs it (once to
//! fingerprint, once to check, once to write) and never held in memory whole: a
//! file is opened again for each pass; bytes (tests, uploads) are read in place.

use super::{Check, ImportKind, Record, RowError, template_header};
use crate::{AppError, AppResult};
use domain::Violation;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

/// A CSV that can be read from the start more than once.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// A file on disk.
    File(&'a Path),
    /// Bytes in memory.
    Bytes(&'a [u8]),
}

impl<'a> From<&'a [u8]> for Source<'a> {
    fn from(b: &'a [u8]) -> Self {
        Source::Bytes(b)
    }
}

impl<'a> From<&'a Path> for Source<'a> {
    fn from(p: &'a Path) -> Self {
        Source::File(p)
    }
}

impl Source<'_> {
    fn open(&self) -> AppResult<Box<dyn Read + Send + '_>> {
        match self {
            Source::File(p) => std::fs::File::open(p)
                .map(|f| Box::new(std::io::BufReader::with_capacity(1 << 16, f)) as Box<_>)
                .map_err(|e| {
                    AppError::Invalid(
                        Violation::new("file", "file.unreadable")
                            .with_detail(e.to_string())
                            .into(),
                    )
                }),
            Source::Bytes(b) => Ok(Box::new(*b)),
        }
    }

    /// The SHA-256 of the content (hex) and its number of lines, in one streaming read.
    pub(super) fn fingerprint(&self) -> AppResult<(String, u64)> {
        let mut r = self.open()?;
        let mut hash = Sha256::new();
        let mut lines = 0u64;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = r.read(&mut buf).map_err(read_err)?;
            if n == 0 {
                break;
            }
            hash.update(&buf[..n]);
            lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        }
        Ok((hex::encode(hash.finalize()), lines))
    }

    /// The data rows, batch by batch, after checking the header of `kind`. Header
    /// problems (a missing, unknown or repeated column) come back as errors of row 0.
    pub(super) fn records(
        &self,
        kind: ImportKind,
    ) -> AppResult<Result<Records<'_>, Vec<RowError>>> {
        let cols: Vec<&'static str> = template_header(kind).split(',').collect();
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(self.open()?);
        let header: Vec<String> = match rdr.headers() {
            Ok(h) => h
                .iter()
                .map(|s| s.trim_start_matches('\u{feff}').trim().to_ascii_lowercase())
                .collect(),
            Err(e) => {
                return Err(AppError::Invalid(
                    Violation::new("file", "csv.format")
                        .with_detail(e.to_string())
                        .into(),
                ));
            }
        };
        let mut errors = Vec::new();
        let header_error = |field: &str, rule| RowError {
            row: 0,
            field: field.to_string(),
            rule,
        };
        for c in &cols {
            if !header.iter().any(|h| h == c) {
                errors.push(header_error(c, "import.missing_column"));
            }
        }
        let mut seen = HashSet::new();
        for h in &header {
            if !cols.contains(&h.as_str()) {
                errors.push(header_error(h, "import.unknown_column"));
            } else if !seen.insert(h.clone()) {
                errors.push(header_error(h, "import.duplicate_column"));
            }
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let index = cols
            .iter()
            .filter_map(|c| header.iter().position(|h| h == c).map(|i| (*c, i)))
            .collect();
        Ok(Ok(Records {
            rdr,
            width: header.len(),
            index,
            row: 0,
            done: false,
        }))
    }
}

fn read_err(e: std::io::Error) -> AppError {
    AppError::Invalid(
        Violation::new("file", "file.unreadable")
            .with_detail(e.to_string())
            .into(),
    )
}

/// The data rows of a CSV whose header is good.
pub(super) struct Records<'a> {
    rdr: csv::Reader<Box<dyn Read + Send + 'a>>,
    width: usize,
    index: Vec<(&'static str, usize)>,
    /// The number of the last data row read.
    row: u64,
    done: bool,
}

impl Records<'_> {
    /// The number of the last data row read.
    pub(super) fn rows_read(&self) -> u64 {
        self.row
    }

    /// The next at most `max` data rows (malformed ones are reported to `check` and
    /// left out, blank ones skipped) and the number of the last row read; `None` at
    /// the end of the file.
    pub(super) fn next_batch(
        &mut self,
        max: usize,
        check: &mut Check,
    ) -> Option<(Vec<Record>, u64)> {
        if self.done {
            return None;
        }
        let mut out = Vec::with_capacity(max.min(8_192));
        let mut rec = csv::StringRecord::new();
        let mut lines = 0usize;
        while lines < max {
            let read = self.rdr.read_record(&mut rec);
            if matches!(read, Ok(false)) {
                self.done = true;
                break;
            }
            self.row += 1;
            lines += 1;
            let row = self.row;
            match read {
                Ok(_) if rec.len() == self.width => out.push(Record {
                    row,
                    values: self
                        .index
                        .iter()
                        .map(|(c, i)| (*c, rec.get(*i).unwrap_or("").to_string()))
                        .collect(),
                }),
                Ok(_) if rec.iter().all(|f| f.is_empty()) => {}
                Ok(_) => check.push(row, "row", "csv.field_count"),
                Err(e) => {
                    // A read error of the file itself ends it; a bad line does not.
                    if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                        self.done = true;
                    }
                    check.push(row, "row", "csv.format");
                }
            }
        }
        if lines == 0 {
            return None;
        }
        Some((out, self.row))
    }
}
