//! The service network (SPEC §2): regions, stations, depots, mobile units.

use serde::{Deserialize, Serialize};

/// Whether a station takes work. Closing keeps every record; nothing is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StationStatus {
    /// Open for business.
    Active,
    /// Temporarily not taking work.
    Suspended,
    /// Closed for good; history kept.
    Closed,
}

/// Why a network change is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetworkError {
    /// A closed station cannot be reopened or suspended.
    #[error("a closed station stays closed")]
    StationClosed,
    /// Station code format.
    #[error("station code is 3 to 16 letters, digits or dashes")]
    Code,
    /// Coordinates outside the plausible range.
    #[error("coordinates must be a longitude in -180..180 and a latitude in -90..90")]
    Coordinates,
    /// Required text is empty or too long.
    #[error("{0} must have 1 to 200 characters")]
    Text(&'static str),
    /// Bays out of range.
    #[error("service bays must be 0 to 500")]
    Bays,
    /// Unknown capability code.
    #[error("unknown capability")]
    Capability,
    /// Unknown mobile unit kind or state.
    #[error("unknown mobile unit kind or state")]
    UnitKind,
}

impl From<NetworkError> for crate::Violation {
    fn from(e: NetworkError) -> Self {
        match e {
            NetworkError::StationClosed => crate::Violation::new("status", "station.closed"),
            NetworkError::Code => crate::Violation::new("code", "station.code"),
            NetworkError::Coordinates => crate::Violation::new("coordinates", "geo.coordinates"),
            NetworkError::Text(f) => crate::Violation::new(f, "text.length"),
            NetworkError::Bays => crate::Violation::new("bays", "station.bays"),
            NetworkError::Capability => crate::Violation::new("capabilities", "station.capability"),
            NetworkError::UnitKind => crate::Violation::new("kind", "mobile_unit.kind"),
        }
    }
}

impl StationStatus {
    /// Every status.
    pub const ALL: [StationStatus; 3] = [Self::Active, Self::Suspended, Self::Closed];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Closed => "closed",
        }
    }

    /// Parses a code.
    pub fn from_code(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "suspended" => Some(Self::Suspended),
            "closed" => Some(Self::Closed),
            _ => None,
        }
    }

    /// The status after a requested change, or why it is refused.
    pub fn change_to(self, next: StationStatus) -> Result<StationStatus, NetworkError> {
        match (self, next) {
            (Self::Closed, Self::Closed) => Ok(Self::Closed),
            (Self::Closed, _) => Err(NetworkError::StationClosed),
            (_, n) => Ok(n),
        }
    }
}

/// What a station can do.
pub const CAPABILITIES: [&str; 6] = [
    "maintenance",
    "mechanical",
    "body_paint",
    "ev_high_voltage",
    "tyres",
    "glass",
];

/// A checked station code such as `BJ-0001`.
pub fn parse_station_code(s: &str) -> Result<String, NetworkError> {
    let t = s.trim().to_ascii_uppercase();
    if (3..=16).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        Ok(t)
    } else {
        Err(NetworkError::Code)
    }
}

/// Checks a list of capability codes.
pub fn parse_capabilities(items: &[String]) -> Result<Vec<String>, NetworkError> {
    let mut out = Vec::new();
    for i in items {
        let t = i.trim();
        if t.is_empty() {
            continue;
        }
        if !CAPABILITIES.contains(&t) {
            return Err(NetworkError::Capability);
        }
        if !out.iter().any(|o: &String| o == t) {
            out.push(t.to_string());
        }
    }
    Ok(out)
}

/// Checks a longitude/latitude pair.
pub fn check_coordinates(lon: f64, lat: f64) -> Result<(), NetworkError> {
    if lon.is_finite()
        && lat.is_finite()
        && (-180.0..=180.0).contains(&lon)
        && (-90.0..=90.0).contains(&lat)
    {
        Ok(())
    } else {
        Err(NetworkError::Coordinates)
    }
}

/// Checks a required text of at most 200 characters and trims it.
pub fn required_text(field: &'static str, s: &str) -> Result<String, NetworkError> {
    let t = s.trim();
    let n = t.chars().count();
    if n == 0 || n > 200 {
        Err(NetworkError::Text(field))
    } else {
        Ok(t.to_string())
    }
}

/// Kind of mobile unit.
pub const UNIT_KINDS: [&str; 2] = ["rescue_truck", "service_van"];
/// States of a mobile unit.
pub const UNIT_STATES: [&str; 4] = ["available", "dispatched", "busy", "off_duty"];

/// Great-circle distance in km between two points (lon, lat in degrees).
pub fn haversine_km(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let r = 6371.0_f64;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * r * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_stays_closed() {
        assert_eq!(
            StationStatus::Active.change_to(StationStatus::Suspended),
            Ok(StationStatus::Suspended)
        );
        assert_eq!(
            StationStatus::Closed.change_to(StationStatus::Active),
            Err(NetworkError::StationClosed)
        );
    }

    #[test]
    fn codes_and_coordinates() {
        assert_eq!(parse_station_code(" bj-0001 "), Ok("BJ-0001".into()));
        assert_eq!(parse_station_code("a b"), Err(NetworkError::Code));
        assert!(check_coordinates(116.4, 39.9).is_ok());
        assert!(check_coordinates(f64::NAN, 39.9).is_err());
        assert!(parse_capabilities(&["maintenance".into(), "flying".into()]).is_err());
        let d = haversine_km(116.407394, 39.904211, 121.473701, 31.230416);
        assert!((1060.0..1080.0).contains(&d), "Beijing–Shanghai {d}");
    }
}
