//! Closed lists of codes (a service type, a complaint's channel, a consent purpose):
//! one trait that every such list implements, so the code that parses a value and the
//! API description that states which values exist read the same list. `app::schema`
//! turns any [`Code`] into an OpenAPI `enum`; a list added here cannot be missing from
//! the document, nor the document offer a value the parser refuses.

/// A value of a closed list, sent and stored as a stable code.
pub trait Code: Copy + Sized + 'static {
    /// Every value, in display order.
    fn all() -> &'static [Self];

    /// The stable code of this value.
    fn code_of(self) -> &'static str;

    /// Every code, in display order: the values a parser of this list accepts.
    fn codes() -> Vec<&'static str> {
        Self::all().iter().map(|c| c.code_of()).collect()
    }
}

/// Implements [`Code`] for enums that keep their list as an inherent `ALL` constant
/// and their code as an inherent `code(self)` method.
macro_rules! impl_code {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::code::Code for $t {
            fn all() -> &'static [Self] {
                &<$t>::ALL
            }
            fn code_of(self) -> &'static str {
                <$t>::code(self)
            }
        }
    )*};
}

impl_code!(
    crate::appointment::ServiceType,
    crate::appointment::Channel,
    crate::certification::Qualification,
    crate::customer::Channel,
    crate::guarantee::main_part::System,
    crate::network::StationStatus,
    crate::privacy::consent::ConsentPurpose,
    crate::privacy::consent::ConsentSource,
    crate::privacy::reveal::RevealPurpose,
    crate::privacy::request::Scope,
    crate::privacy::request::Ground,
    crate::repair_order::Stage,
    crate::role::Role,
    crate::complaint::Channel,
    crate::complaint::Category,
    crate::complaint::UrgentReason,
    crate::complaint::Responsibility,
    crate::complaint::State,
    crate::complaint::Event,
    crate::complaint::closure::Zero,
    crate::complaint::goodwill::GoodwillKind,
    crate::complaint::sla::Stage,
    crate::complaint::sla::Level,
    crate::kpi::KpiKey,
);

#[cfg(test)]
mod tests {
    use super::Code;
    use crate::complaint::Channel;

    #[test]
    fn every_code_parses_back_to_its_value() {
        for c in Channel::all() {
            assert_eq!(Channel::from_code(c.code_of()), Some(*c));
        }
        assert_eq!(Channel::codes().len(), Channel::ALL.len());
        assert!(
            crate::appointment::ServiceType::codes()
                .iter()
                .all(|c| crate::appointment::ServiceType::from_code(c).is_some())
        );
    }
}
