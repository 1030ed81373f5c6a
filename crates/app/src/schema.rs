//! OpenAPI schemas of the domain values that inputs carry, built from the rules kept
//! beside each parser in `domain` (`domain::phone::PATTERN`, `domain::vin::PATTERN`),
//! so the API description cannot drift from the code that checks the input. Fields
//! use them with `#[schema(schema_with = app::schema::phone)]`.

use utoipa::openapi::Object;
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};

fn text(nullable: bool) -> ObjectBuilder {
    let ty = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::Type(Type::String)
    };
    ObjectBuilder::new().schema_type(ty)
}

/// A phone number: a Chinese mobile number or another country's E.164 number.
pub fn phone() -> Object {
    text(false)
        .pattern(Some(domain::phone::PATTERN))
        .examples([domain::phone::EXAMPLE])
        .build()
}

/// A phone number as [`phone`], or empty or null for "keep the stored one" (an edit
/// form that never shows the number whole).
pub fn phone_or_blank() -> Object {
    text(true)
        .pattern(Some(format!("^$|{}", domain::phone::PATTERN)))
        .examples([domain::phone::EXAMPLE])
        .build()
}

/// A VIN: 17 characters of the VIN alphabet; position 9 is the check digit.
pub fn vin() -> Object {
    text(false)
        .pattern(Some(domain::vin::PATTERN))
        .min_length(Some(17))
        .max_length(Some(17))
        .examples([domain::vin::EXAMPLE])
        .description(Some(
            "VIN, 17 characters with a valid check digit (ISO 3779)",
        ))
        .build()
}

/// A required one-line free text of at most `MAX` characters (a name, an address):
/// the rules of `domain::text::clean` as a pattern, white space and invisible
/// characters at the ends not counted.
pub fn line<const MAX: usize>() -> Object {
    free_text(MAX, domain::text::Lines::One, true)
}

/// An optional one-line free text of at most `MAX` characters; null or blank is none.
pub fn opt_line<const MAX: usize>() -> Object {
    free_text(MAX, domain::text::Lines::One, false)
}

/// A required free text that may span lines (a description, evidence) of at most
/// `MAX` characters: not blank.
pub fn lines<const MAX: usize>() -> Object {
    free_text(MAX, domain::text::Lines::Many, true)
}

/// A free text that may span lines of at most `MAX` characters, blank allowed but not
/// null (a field that is a plain text with an empty default).
pub fn blank_or_lines<const MAX: usize>() -> Object {
    let mut o = free_text(MAX, domain::text::Lines::Many, false);
    o.schema_type = SchemaType::Type(Type::String);
    o
}

/// An optional free text that may span lines (a comment) of at most `MAX` characters.
pub fn opt_lines<const MAX: usize>() -> Object {
    free_text(MAX, domain::text::Lines::Many, false)
}

fn free_text(max: usize, lines: domain::text::Lines, required: bool) -> Object {
    let ends = "white space and invisible characters at the ends are trimmed and not counted";
    let what = match lines {
        domain::text::Lines::One => "one line",
        domain::text::Lines::Many => "line feeds allowed",
    };
    text(!required)
        .pattern(Some(domain::text::pattern(lines, max, required)))
        .description(Some(format!(
            "At most {max} characters, {what}; {ends}; no control, private-use, \
             bidirectional-control or noncharacter code points{}",
            if required {
                "; not blank"
            } else {
                "; blank or null means none"
            }
        )))
        .build()
}

/// A code of letters, digits and `allowed` punctuation, `min` to `max` long, read
/// through the text rules (so trimmed).
fn code_text(core: &str, description: &str) -> Object {
    text(false)
        .pattern(Some(domain::text::trimmed_pattern(core)))
        .description(Some(description))
        .build()
}

/// A station or region code (`domain::network::parse_station_code`).
pub fn station_code() -> Object {
    code_text("[A-Za-z0-9-]{3,16}", "3 to 16 letters, digits or hyphens")
}

/// A complaint category code. The categories are head office's data (table
/// `complaint_categories`, read with `GET /api/v1/complaint-categories`), added at run
/// time, so the document states the code's shape (`CategoryCode::PATTERN`), not a list
/// of the shipped codes; whether a code exists and is active is checked per request
/// (422 on `category`).
pub fn complaint_category() -> Object {
    text(false)
        .pattern(Some(domain::complaint::category::CategoryCode::PATTERN))
        .description(Some(
            "A category code of the catalogue `GET /api/v1/complaint-categories` (head office adds categories at run time); unknown or retired is 422 on `category`",
        ))
        .build()
}

/// A staff member's WeChat id (`domain::wechat_id::PATTERN`), or empty / null for none.
pub fn wechat_id() -> Object {
    text(true)
        .pattern(Some(domain::wechat_id::PATTERN_OR_EMPTY))
        .description(Some(
            "WeChat id: 6 to 20 characters, a letter first, then letters, digits, `_` or `-`; empty or null for none",
        ))
        .build()
}

/// A sign-in name: 3 to 32 letters, digits, `.`, `_` or `-`.
pub fn username() -> Object {
    code_text(
        "[A-Za-z0-9._-]{3,32}",
        "3 to 32 letters, digits, `.`, `_` or `-`",
    )
}

/// A part number: 3 to 32 letters, digits or hyphens (`app::part::parse_part_number`).
pub fn part_number() -> Object {
    code_text("[A-Za-z0-9-]{3,32}", "3 to 32 letters, digits or hyphens")
}

/// An administrative division code (GB/T 2260): six digits.
pub fn adcode() -> Object {
    code_text("[0-9]{6}", "Six digits (GB/T 2260)")
}

/// A closed list of codes where null or the empty text means none.
fn codes_or_none(list: impl IntoIterator<Item = &'static str>) -> Object {
    let mut values: Vec<Option<&'static str>> = list.into_iter().map(Some).collect();
    values.extend([Some(""), None]);
    text(true).enum_values(Some(values)).build()
}

/// A technician qualification a labour operation needs, or none.
pub fn qualification_or_none() -> Object {
    code_or_none::<domain::certification::Qualification>()
}

/// The main part (三包) a labour operation replaces, or none.
pub fn major_part_or_none() -> Object {
    code_or_none::<domain::guarantee::main_part::System>()
}

/// A labour operation code: 1 to 32 capital letters, digits, `-`, `_` or `.`
/// (`domain::labour::check_code`; not trimmed).
pub fn labour_code() -> Object {
    text(false)
        .pattern(Some("^[A-Z0-9._-]{1,32}$"))
        .description(Some("1 to 32 capital letters, digits, `-`, `_` or `.`"))
        .build()
}

/// A mobile service unit's kind (`domain::network::UNIT_KINDS`).
pub fn unit_kind() -> Object {
    codes(domain::network::UNIT_KINDS)
}

/// A closed list of codes, as a string enum.
fn codes(list: impl IntoIterator<Item = &'static str>) -> Object {
    text(false).enum_values(Some(list)).build()
}

/// A field that takes a code of the domain's list `T` (any [`domain::code::Code`]): the
/// enum is the very list the parser accepts. Use with
/// `#[schema(schema_with = app::schema::code::<domain::complaint::Channel>)]`.
pub fn code<T: domain::code::Code>() -> Object {
    codes(T::codes())
}

/// A field that takes a code of `T`, or null or the empty text for none.
pub fn code_or_none<T: domain::code::Code>() -> Object {
    codes_or_none(T::codes())
}

/// An appointment's service type code (`domain::appointment::ServiceType`).
pub fn service_type() -> Object {
    code::<domain::appointment::ServiceType>()
}

/// An appointment's channel code (`domain::appointment::Channel`).
pub fn booking_channel() -> Object {
    code::<domain::appointment::Channel>()
}

/// A customer's preferred contact channel (`domain::customer::Channel`); null
/// means the default, SMS.
pub fn contact_channel() -> Object {
    text(true)
        .enum_values(Some(
            <domain::customer::Channel as domain::code::Code>::codes()
                .into_iter()
                .map(serde_json::Value::from)
                .chain([serde_json::Value::Null]),
        ))
        .build()
}

/// A staff role code (every role but owner).
pub fn staff_role() -> Object {
    codes(domain::role::Role::staff().map(|r| r.code()))
}

/// A repair-order stage code (`domain::repair_order::Stage`).
pub fn stage() -> Object {
    code::<domain::repair_order::Stage>()
}

/// A complaint's severity level (`domain::complaint::Severity::parse`); `urgent`
/// needs a reason, stated across fields in the published document.
pub fn severity_level() -> Object {
    codes(SEVERITY_LEVELS)
}

/// The levels `domain::complaint::Severity::parse` accepts.
pub const SEVERITY_LEVELS: [&str; 2] = ["normal", "urgent"];

/// How one of a complaint's three zeros was met
/// (`domain::complaint::closure::ZeroStatus::parse`).
pub fn zero_status() -> Object {
    codes(ZERO_STATUSES)
}

/// The statuses `ZeroStatus::parse` accepts.
pub const ZERO_STATUSES: [&str; 2] = ["done", "not_applicable"];

/// How a complaint policy's clock counts (`domain::calendar::ClockMode`).
pub fn clock_mode() -> Object {
    codes(CLOCK_MODES)
}

/// The modes a complaint policy accepts: working time only, or every minute.
pub const CLOCK_MODES: [&str; 2] = ["business", "calendar"];

/// A closed list of codes an area keeps itself (e.g. `billing::DESK_METHODS`).
pub fn code_list(list: &[&'static str]) -> Object {
    codes(list.iter().copied())
}

/// A licence plate (`domain::plate::Plate::parse`): province, letter and serial, in
/// either case, spaces, `·` or `-` between the characters.
pub fn plate() -> Object {
    code_text(
        &domain::plate::pattern_core(),
        "A civil licence plate, 7 characters (8 for new-energy), e.g. 京A12345 or 粤BD12345",
    )
}

/// An optional licence plate: blank or null is none.
pub fn opt_plate() -> Object {
    let blank = domain::text::trimmed_pattern("");
    let plate = domain::text::trimmed_pattern(&domain::plate::pattern_core());
    text(true)
        .pattern(Some(format!("(?:{blank})|(?:{plate})")))
        .description(Some(
            "A civil licence plate, 7 characters (8 for new-energy); blank or null is none",
        ))
        .build()
}

/// A new password: 8 to 128 characters once trimmed (`password::check_strength`
/// after the text rules), one line.
pub fn password() -> Object {
    let p = domain::text::pattern_between(domain::text::Lines::One, 8, 128, true);
    text(false)
        .pattern(Some(p))
        .description(Some(
            "8 to 128 characters, one line; white space at the ends is not counted",
        ))
        .build()
}

/// A civil `YYYY-MM-DD HH:MM` (optionally `:SS`) read in the station's zone, years
/// 1000 to 9998 (the last instants jiff holds end in 9999): only dates every month has (days 01–28 spelled out, 29–31 where they exist), so a
/// value of this shape always parses.
const CIVIL_INSTANT: &str = r"^(?:[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)[ T](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?$";

/// An RFC 3339 instant with seconds and its offset (`Z` or `±HH:MM`), fractions
/// optional; the same date rule as [`CIVIL_INSTANT`].
const RFC3339_INSTANT: &str = r"^(?:[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,9})?(?:Z|[+-](?:0[0-9]|1[0-3]):[0-5][0-9])$";

/// An instant as the use cases read it (`app::shared::instant`): UTC milliseconds,
/// an RFC 3339 text with its offset, or a civil `YYYY-MM-DD HH:MM` in the station's
/// zone. Whether the instant suits (past, holiday, closed, full) is a business
/// rule answered 409.
pub fn instant() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{KnownFormat, OneOfBuilder, SchemaFormat};
    let one = OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(SchemaType::Type(Type::Integer))
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(0))
                .maximum(Some(jiff::Timestamp::MAX.as_millisecond()))
                .description(Some("UTC milliseconds")),
        )
        .item(
            text(false)
                .pattern(Some(RFC3339_INSTANT))
                .description(Some("RFC 3339 with offset, e.g. 2026-12-07T10:00:00+08:00")),
        )
        .item(
            text(false)
                .pattern(Some(CIVIL_INSTANT))
                .description(Some("`YYYY-MM-DD HH:MM` in the station's zone")),
        )
        .description(Some(
            "UTC milliseconds, RFC 3339 with offset, or `YYYY-MM-DD HH:MM` in the station's zone",
        ))
        .build();
    utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::OneOf(one))
}

/// Opening hours `HH:MM-HH:MM`, closing after opening (`app::network`'s
/// `opening_hours`): the order of the two times is spelled out in the pattern, one
/// branch per opening hour, so every text the pattern allows is accepted.
pub fn opening_hours() -> Object {
    text(false)
        .pattern(Some(opening_hours_pattern()))
        .description(Some("`HH:MM-HH:MM` (24-hour clock), closing after opening"))
        .examples(["08:30-18:00"])
        .build()
}

/// The digits above `d` up to `max`, as a character class (`None` when there are none).
fn above(d: u32, max: u32) -> Option<String> {
    (d < max).then(|| format!("[{}-{max}]", d + 1))
}

/// The pattern of [`opening_hours`]: for each opening hour `HH`, either a later closing
/// hour with any minutes, or the same hour with later minutes (a later tens digit, or
/// the same tens digit and a later unit).
fn opening_hours_pattern() -> String {
    let minute = "[0-5][0-9]";
    let mut branches = Vec::new();
    for h in 0..24u32 {
        let hh = format!("{h:02}");
        let later: Vec<String> = (h + 1..24).map(|l| format!("{l:02}")).collect();
        if !later.is_empty() {
            branches.push(format!("{hh}:{minute}-(?:{}):{minute}", later.join("|")));
        }
        let mut same = Vec::new();
        for t in 0..6u32 {
            if let Some(tens) = above(t, 5) {
                same.push(format!("{t}[0-9]-{hh}:{tens}[0-9]"));
            }
            for u in 0..9u32 {
                if let Some(units) = above(u, 9) {
                    same.push(format!("{t}{u}-{hh}:{t}{units}"));
                }
            }
        }
        branches.push(format!("{hh}:(?:{})", same.join("|")));
    }
    format!("^(?:{})$", branches.join("|"))
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    /// The opening-hours pattern allows exactly the pairs the parser accepts: every
    /// pair of times on a 7-minute grid is checked both ways.
    #[test]
    fn opening_hours_pattern_is_the_parsers_rule() {
        let re = regex::Regex::new(&super::opening_hours_pattern()).expect("pattern");
        let times: Vec<String> = (0..24 * 60)
            .step_by(7)
            .map(|m| format!("{:02}:{:02}", m / 60, m % 60))
            .collect();
        for a in &times {
            for b in times.iter().step_by(3) {
                let text = format!("{a}-{b}");
                assert_eq!(re.is_match(&text), a < b, "{text}");
            }
        }
        assert!(!re.is_match("24:00-25:00"));
    }
}
