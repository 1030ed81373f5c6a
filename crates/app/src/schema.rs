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
