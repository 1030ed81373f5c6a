//! Turns a grant's reach into a SQL condition, so every scoped query is limited the
//! same way. The functions here are the only way the repositories build such filters.

use domain::permission::Reach;

/// A SQL condition limiting rows to a reach, given the expressions for the row's
/// station id and region id, and the value to bind (if any) as placeholder
/// `$next_param`. Owners reach nothing through this filter.
pub fn station_filter(
    reach: &Reach,
    station_col: &str,
    region_col: &str,
    next_param: usize,
) -> (String, Option<i64>) {
    owned_filter(reach, station_col, region_col, None, next_param)
}

/// Like [`station_filter`], and owners reach the rows whose `owner_col` is theirs.
pub fn owned_filter(
    reach: &Reach,
    station_col: &str,
    region_col: &str,
    owner_col: Option<&str>,
    next_param: usize,
) -> (String, Option<i64>) {
    match reach {
        Reach::All => ("1=1".to_string(), None),
        Reach::Region(r) => (format!("{region_col} = ${next_param}"), Some(r.get())),
        Reach::Station(s) => (format!("{station_col} = ${next_param}"), Some(s.get())),
        Reach::Customer(c) => match owner_col {
            Some(col) => (format!("{col} = ${next_param}"), Some(c.get())),
            None => ("1=0".to_string(), None),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ids::{CustomerId, RegionId, StationId};

    #[test]
    fn each_reach_limits_its_own_column() {
        assert_eq!(
            station_filter(&Reach::All, "a", "b", 1),
            ("1=1".into(), None)
        );
        assert_eq!(
            station_filter(&Reach::Region(RegionId(4)), "a", "b", 2),
            ("b = $2".into(), Some(4))
        );
        assert_eq!(
            station_filter(&Reach::Station(StationId(9)), "a", "b", 1),
            ("a = $1".into(), Some(9))
        );
        assert_eq!(
            station_filter(&Reach::Customer(CustomerId(9)), "a", "b", 1),
            ("1=0".into(), None)
        );
        assert_eq!(
            owned_filter(&Reach::Customer(CustomerId(9)), "a", "b", Some("o"), 3),
            ("o = $3".into(), Some(9))
        );
    }
}
