//! Lookups that identify without leaking (issue 21, finding 1). A list search may use
//! a name and the visible tail of a number (the four digits a masked number shows),
//! never a whole or partial number beyond that, so trying the fillings of
//! `139****5671` finds nothing. Finding a caller by their whole number is a separate,
//! audited lookup with a per-user rate.

use crate::Violation;

/// Caller lookups one person may make per window.
pub const IDENTIFY_PER_WINDOW: i64 = 30;
/// The window of the caller-lookup rate, milliseconds (one hour).
pub const IDENTIFY_WINDOW_MS: i64 = 60 * 60 * 1000;

/// A list search, read from the `q` the user typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchTerms {
    /// Words of the name, if any.
    pub name: Option<String>,
    /// The last four digits of the phone, if given.
    pub tail: Option<String>,
}

/// Reads a search. A run of exactly four digits is the visible tail (at most one);
/// shorter runs are part of the name ("客户1"), which is matched against names only,
/// so they cannot rebuild a number; a longer run or a second tail (a whole or partial
/// number) is refused naming `q`.
pub fn search_terms(q: &str) -> Result<SearchTerms, Violation> {
    let mut tail = None;
    let mut name = String::new();
    let mut run = String::new();
    let flush =
        |run: &mut String, name: &mut String, tail: &mut Option<String>| -> Result<(), Violation> {
            match run.len() {
                0 => Ok(()),
                1..=3 => {
                    name.push_str(run);
                    run.clear();
                    Ok(())
                }
                4 if tail.is_none() => {
                    *tail = Some(std::mem::take(run));
                    Ok(())
                }
                _ => Err(Violation::new("q", "privacy.search_number")),
            }
        };
    for c in q.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut name, &mut tail)?;
            // A `+`, dash or space inside a number is part of trying a number. Control
            // characters are dropped: no stored name holds one (`crate::text`), and a NUL
            // reaches neither an FTS5 query nor a PostgreSQL text parameter intact.
            if c != '+' && c != '-' && !c.is_control() {
                name.push(c);
            }
        }
    }
    flush(&mut run, &mut name, &mut tail)?;
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    Ok(SearchTerms {
        name: (!name.is_empty()).then_some(name),
        tail,
    })
}

/// When the next caller lookup is allowed, or `None` if one is allowed now: `made` is
/// how many this person made in the window that ends now.
pub fn identify_retry_at(made: i64, now: i64) -> Option<i64> {
    (made >= IDENTIFY_PER_WINDOW).then_some(now + IDENTIFY_WINDOW_MS / 4)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn name_and_tail() {
        let t = search_terms("张三 5671").unwrap();
        assert_eq!(t.name.as_deref(), Some("张三"));
        assert_eq!(t.tail.as_deref(), Some("5671"));
        assert_eq!(search_terms("王").unwrap().tail, None);
    }

    #[test]
    fn control_characters_are_dropped_from_the_name() {
        let t = search_terms("\u{0}张\u{1b}三").unwrap();
        assert_eq!(t.name.as_deref(), Some("张三"));
    }

    #[test]
    fn short_digit_runs_belong_to_the_name() {
        let t = search_terms("客户1").unwrap();
        assert_eq!((t.name.as_deref(), t.tail), (Some("客户1"), None));
        let t = search_terms("Cm8").unwrap();
        assert_eq!(t.name.as_deref(), Some("Cm8"));
        let t = search_terms("张 12 5671").unwrap();
        assert_eq!(t.name.as_deref(), Some("张 12"));
        assert_eq!(t.tail.as_deref(), Some("5671"));
    }

    #[test]
    fn whole_and_partial_numbers_are_refused() {
        for q in [
            "13912345671",
            "139 1234 5671",
            "+8613912345671",
            "12345",
            "1234 5671",
        ] {
            assert_eq!(search_terms(q).unwrap_err().field, "q", "{q}");
        }
    }

    #[test]
    fn rate() {
        assert_eq!(identify_retry_at(IDENTIFY_PER_WINDOW - 1, 0), None);
        assert!(identify_retry_at(IDENTIFY_PER_WINDOW, 0).is_some());
    }
}
