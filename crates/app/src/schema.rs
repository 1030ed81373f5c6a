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
    codes_or_none(domain::certification::Qualification::ALL.map(|q| q.code()))
}

/// The main part (三包) a labour operation replaces, or none.
pub fn major_part_or_none() -> Object {
    codes_or_none(domain::guarantee::main_part::System::ALL.map(|p| p.code()))
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

/// An appointment's service type code (`domain::appointment::ServiceType`).
pub fn service_type() -> Object {
    codes(domain::appointment::ServiceType::ALL.map(|s| s.code()))
}

/// An appointment's channel code (`domain::appointment::Channel`).
pub fn booking_channel() -> Object {
    codes(domain::appointment::Channel::ALL.map(|c| c.code()))
}

/// A customer's preferred contact channel (`domain::customer::Channel`); null
/// means the default, SMS.
pub fn contact_channel() -> Object {
    text(true)
        .enum_values(Some(
            domain::customer::Channel::ALL
                .map(|c| serde_json::Value::from(c.code()))
                .into_iter()
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
    codes(domain::repair_order::Stage::ALL.map(|s| s.code()))
}

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
