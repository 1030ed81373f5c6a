//! The traction battery's capacity-fade promise of a new-energy vehicle (issue 19,
//! "EV"): the 三包凭证 of a model promises that the pack keeps at least a share of its
//! rated capacity for a number of years or kilometres, whichever comes first. A
//! battery check (state of health measured at a station) below the promise inside
//! its window is a quality problem of the traction battery, to be repaired or
//! replaced under the three guarantees; above it, or outside the window, it is not.
//!
//! The regulation sets no figure for the fade itself: the promise is the maker's, per
//! model, and only the maker's word can be held to (Arts 4 and 18 let a maker promise
//! more than the floors). Each check is held to one promise ([`HeldCheck`]); the first
//! that breaks it ([`breach`]) gives the vehicle the right
//! [`super::right::RightKind::BatteryRestore`] (see there what it entitles the owner
//! to), built by [`super::right::fade_right`], arisen on the check's day and never
//! taken back. Shares are kept in tenths of a per
//! cent (700 = 70.0 %), so no float decides a right.

use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Why a fade promise or a check is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FadeError {
    /// The promised share is not above 0 and at most 100 %.
    #[error("the promised capacity share must be above 0 and at most 100 %")]
    Share,
    /// The promise runs for no time or no distance.
    #[error("the promise must run for at least one year and one kilometre")]
    Window,
    /// The measured share is above 100 % of the rated capacity by more than the
    /// tolerance of a measurement (110 %).
    #[error("a measured capacity above 110 % of the rated one is not plausible")]
    Measured,
    /// A date beyond the supported range.
    #[error("date out of range")]
    DateRange,
}

impl From<FadeError> for crate::Violation {
    fn from(e: FadeError) -> Self {
        let (field, rule) = match e {
            FadeError::Share => ("min_share_permille", "guarantee.fade_share"),
            FadeError::Window => ("years", "guarantee.fade_window"),
            FadeError::Measured => ("share_permille", "guarantee.fade_measured"),
            FadeError::DateRange => ("date", "guarantee.date_range"),
        };
        crate::Violation::new(field, rule)
    }
}

/// A model's capacity-fade promise, as its 三包凭证 states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FadePromise {
    /// The least share of the rated capacity kept, in tenths of a per cent.
    min_share_permille: u16,
    /// For how many years from the start of the periods.
    years: u8,
    /// Or up to how many kilometres.
    km: u32,
}

impl FadePromise {
    /// A promise of `min_share_permille` (tenths of a per cent, 1–1000) for `years`
    /// years or `km` kilometres.
    pub fn new(min_share_permille: u16, years: u8, km: u32) -> Result<FadePromise, FadeError> {
        if min_share_permille == 0 || min_share_permille > 1000 {
            return Err(FadeError::Share);
        }
        if years == 0 || km == 0 {
            return Err(FadeError::Window);
        }
        Ok(FadePromise {
            min_share_permille,
            years,
            km,
        })
    }

    /// The promised share, tenths of a per cent.
    pub fn min_share_permille(&self) -> u16 {
        self.min_share_permille
    }

    /// For how many years the promise runs.
    pub fn years(&self) -> u8 {
        self.years
    }

    /// Up to how many kilometres the promise runs.
    pub fn km(&self) -> u32 {
        self.km
    }

    /// The last day the promise covers, from the periods' start (invoice or delivery).
    pub fn until(&self, start: Date) -> Result<Date, FadeError> {
        start
            .checked_add(i32::from(self.years).years())
            .and_then(|d| d.checked_sub(1.day()))
            .map_err(|_| FadeError::DateRange)
    }
}

/// One battery check: the measured state of health on a day at a reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatteryCheck {
    /// Day measured.
    pub on: Date,
    /// Odometer then.
    pub odometer_km: u32,
    /// Measured share of the rated capacity, tenths of a per cent.
    pub share_permille: u16,
}

/// What a check means under the promise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FadeVerdict {
    /// Inside the window and at or above the promise.
    Kept,
    /// Inside the window and below the promise: a quality problem of the traction
    /// battery (its pack, not one of its main parts).
    Broken {
        /// By how much, tenths of a per cent.
        short_by_permille: u16,
    },
    /// After the window (date or km): the promise no longer covers the pack.
    Outside,
}

/// Judges `check` against `promise` for a car whose periods start on `start`.
pub fn judge(
    promise: &FadePromise,
    start: Date,
    check: &BatteryCheck,
) -> Result<FadeVerdict, FadeError> {
    if check.share_permille > 1100 {
        return Err(FadeError::Measured);
    }
    if check.on < start || check.on > promise.until(start)? || check.odometer_km > promise.km {
        return Ok(FadeVerdict::Outside);
    }
    Ok(
        match promise.min_share_permille.checked_sub(check.share_permille) {
            Some(short) if short > 0 => FadeVerdict::Broken {
                short_by_permille: short,
            },
            _ => FadeVerdict::Kept,
        },
    )
}

/// The first check that broke the promise, if any (checks in any order).
pub fn first_broken<'a>(
    promise: &FadePromise,
    start: Date,
    checks: &'a [BatteryCheck],
) -> Option<&'a BatteryCheck> {
    let mut sorted: Vec<&BatteryCheck> = checks.iter().collect();
    sorted.sort_by_key(|c| (c.on, c.odometer_km, c.share_permille));
    sorted
        .into_iter()
        .find(|c| matches!(judge(promise, start, c), Ok(FadeVerdict::Broken { .. })))
}

/// A check as it is held: its id (cited as evidence) and the promise it is judged
/// against — the promise in force when it was recorded, or the first one head office
/// recorded after it. A later change of the model's promise does not judge it again,
/// so a broken promise, once found, stays broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldCheck {
    /// The check's id, cited as evidence.
    pub id: String,
    /// The measurement.
    pub check: BatteryCheck,
    /// The promise it is held to; `None` while the model has none.
    pub promise: Option<FadePromise>,
}

/// The evidence of a broken capacity-fade promise: the check, the promise it broke and
/// the measured against the promised share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FadeBreach {
    /// The check's id.
    pub check: String,
    /// Day measured: the right arises on it.
    pub on: Date,
    /// Odometer then.
    pub odometer_km: u32,
    /// Measured share, tenths of a per cent.
    pub measured_permille: u16,
    /// The promise broken (its share is the promised one).
    pub promise: FadePromise,
}

/// The first check (by day, then km, then id) measured by `today` that broke the
/// promise it is held to inside that promise's window, for a car whose periods start on
/// `start`. Checks in any order; later checks above the promise change nothing: the
/// first breach stays the breach.
pub fn breach(start: Date, checks: &[HeldCheck], today: Date) -> Option<FadeBreach> {
    let mut sorted: Vec<&HeldCheck> = checks.iter().filter(|c| c.check.on <= today).collect();
    sorted.sort_by(|a, b| {
        (a.check.on, a.check.odometer_km, &a.id).cmp(&(b.check.on, b.check.odometer_km, &b.id))
    });
    sorted.into_iter().find_map(|h| {
        let promise = h.promise?;
        match judge(&promise, start, &h.check) {
            Ok(FadeVerdict::Broken { .. }) => Some(FadeBreach {
                check: h.id.clone(),
                on: h.check.on,
                odometer_km: h.check.odometer_km,
                measured_permille: h.check.share_permille,
                promise,
            }),
            _ => None,
        }
    })
}
