//! A station's profile: how busy it is and how well it works. Drawn once per station
//! from the run's seed, so a station keeps its character month after month and a
//! good station stays visibly better on every dashboard.

use super::rng::Rng;
use serde::Serialize;

/// Size classes with their normal monthly arrivals and share of the network: a
/// 1,000-station network at these shares sees about 3 million orders a year.
pub const SIZES: [(Size, u32, u32); 3] = [
    (Size::Small, 120, 30),
    (Size::Medium, 250, 45),
    (Size::Large, 450, 25),
];

/// How big a station is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Size {
    /// A small town station.
    Small,
    /// A typical city station.
    Medium,
    /// A flagship station.
    Large,
}

/// A station's character for the whole run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StationProfile {
    /// Size class.
    pub size: Size,
    /// Normal arrivals in a month of average season.
    pub monthly_orders: u32,
    /// Working quality 0.5 (poor) – 1.0 (excellent): drives stage overruns,
    /// comebacks, scores, complaints and audit results.
    pub quality: f64,
}

/// The profile of station `station` in the run seeded `seed`.
pub fn profile(seed: u64, station: i64) -> StationProfile {
    let mut r = Rng::derive(seed, &[0x5354_4154, station as u64]);
    let weights: Vec<u32> = SIZES.iter().map(|s| s.2).collect();
    let (size, base, _) = SIZES[r.weighted(&weights)];
    let monthly_orders = ((f64::from(base) * (0.8 + 0.4 * r.unit())).round() as u32).max(1);
    // Mostly decent stations, a few poor ones: a skewed draw in 0.5–1.0.
    let quality = 1.0 - 0.5 * r.unit() * r.unit();
    StationProfile {
        size,
        monthly_orders,
        quality,
    }
}

/// Seasonal factor of a calendar month (1–12): quiet around the Spring Festival,
/// busy before the National Day holiday and at the year's end.
pub fn season(month: i8) -> f64 {
    match month {
        1 => 0.85,
        2 => 0.7,
        3 => 1.0,
        4 | 5 => 1.05,
        6..=8 => 1.0,
        9 => 1.1,
        10 => 0.95,
        11 => 1.05,
        _ => 1.1,
    }
}
