//! Booking: who pays which rate, what a request holds, and what travels to and from the browser.
//! The rules themselves live in `rules.rs`; this decides the customer's category and the price.

use super::catalogue::{Bilingual, BookingStatus, CustomerCategory, RateView};
use super::ids::{BookingId, OrganisationId, ResourceId, ZoneId};
use super::money::Money;
use super::rules::{Relation, RuleViolation};
use serde::{Deserialize, Serialize};

/// The booker's organisation, as far as prices and "who may book" are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Customer {
    pub organisation: OrganisationId,
    pub zone: Option<ZoneId>,
    pub is_sme: bool,
}

/// How the customer stands to the owner, and which rate category applies: the owner's own staff,
/// else an SME (the zone's policy favours them wherever they are), else a zone member, else
/// external.
pub fn standing(
    customer: Customer,
    owner: OrganisationId,
    owner_zone: Option<ZoneId>,
) -> (Relation, CustomerCategory) {
    let relation = if customer.organisation == owner {
        Relation::OwnInstitution
    } else if customer.zone.is_some() && customer.zone == owner_zone {
        Relation::ZoneMember
    } else {
        Relation::Outsider
    };
    let category = match relation {
        Relation::OwnInstitution => CustomerCategory::Own,
        _ if customer.is_sme => CustomerCategory::Sme,
        Relation::ZoneMember => CustomerCategory::Zone,
        Relation::Outsider => CustomerCategory::External,
    };
    (relation, category)
}

/// The categories whose price applies to `category`, in order: its own, then the next one that
/// applies to everyone like it (own and SME → zone → external; zone → external).
pub fn fallbacks(category: CustomerCategory) -> &'static [CustomerCategory] {
    match category {
        CustomerCategory::Own => &[
            CustomerCategory::Own,
            CustomerCategory::Zone,
            CustomerCategory::External,
        ],
        CustomerCategory::Sme => &[
            CustomerCategory::Sme,
            CustomerCategory::Zone,
            CustomerCategory::External,
        ],
        CustomerCategory::Zone => &[CustomerCategory::Zone, CustomerCategory::External],
        CustomerCategory::External => &[CustomerCategory::External],
    }
}

/// The price of `minutes` at the rate for `category`. Without a rate for the category, the next
/// one that applies to everyone like it is used (SME → zone → external); with no rate at all the
/// resource is free of charge.
pub fn price(
    rates: &[RateView],
    category: CustomerCategory,
    minutes: i64,
) -> (CustomerCategory, Money) {
    let fallbacks = fallbacks(category);
    for c in fallbacks {
        if let Some(rate) = rates.iter().find(|r| r.category == *c) {
            let amount = rate.per_hour.for_minutes(minutes);
            let amount = if amount.fen() < rate.minimum.fen() {
                rate.minimum
            } else {
                amount
            };
            return (*c, amount);
        }
    }
    (category, Money::default())
}

/// What a person is told before confirming: the category they book in, the price, and whether
/// the slot passes every rule (with what would work instead when it does not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub category: CustomerCategory,
    pub price: Money,
    pub minutes: i64,
    pub approval_required: bool,
    pub violations: Vec<RuleViolation>,
    /// Nearby slots of the same length that would work, as Unix seconds.
    pub alternatives: Vec<(i64, i64)>,
}

/// The answer to a booking request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booked {
    pub id: BookingId,
    pub status: BookingStatus,
    pub price: Money,
}

/// One booking as its booker or an admin sees it in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingRow {
    pub id: BookingId,
    pub resource: ResourceId,
    pub resource_name: Bilingual,
    pub institution: Bilingual,
    pub booker_name: String,
    pub organisation: Bilingual,
    pub starts_at: i64,
    pub ends_at: i64,
    pub status: BookingStatus,
    pub price: Money,
    pub purpose: String,
    /// Whether the person looking may cancel it now (policy, state and cut-off).
    pub can_cancel: bool,
}

/// A state change in a booking's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingEvent {
    pub at: i64,
    pub actor: String,
    pub from: Option<BookingStatus>,
    pub to: BookingStatus,
    pub reason: String,
}

/// The booking detail page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingDetail {
    pub row: BookingRow,
    pub customer_category: CustomerCategory,
    pub sample_description: String,
    pub sample_count: i64,
    pub contact_phone: String,
    pub status_reason: String,
    pub history: Vec<BookingEvent>,
    pub utc_offset_seconds: i32,
}

/// A person's bookings, split as the page shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyBookings {
    pub upcoming: Vec<BookingRow>,
    pub past: Vec<BookingRow>,
    pub cancelled: Vec<BookingRow>,
    pub utc_offset_seconds: i32,
}

/// An institution's queue: requests to decide, what is coming, and what ended without an
/// outcome recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstitutionQueue {
    pub institution: OrganisationId,
    pub name: Bilingual,
    pub pending: Vec<BookingRow>,
    pub upcoming: Vec<BookingRow>,
    pub to_record: Vec<BookingRow>,
    pub utc_offset_seconds: i32,
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: OrganisationId = OrganisationId(1);
    const ZONE: Option<ZoneId> = Some(ZoneId(1));

    fn customer(org: i64, zone: Option<ZoneId>, is_sme: bool) -> Customer {
        Customer {
            organisation: OrganisationId(org),
            zone,
            is_sme,
        }
    }

    #[test]
    fn the_category_follows_the_customer() {
        use CustomerCategory::*;
        assert_eq!(
            standing(customer(1, ZONE, false), OWNER, ZONE),
            (Relation::OwnInstitution, Own)
        );
        assert_eq!(
            standing(customer(2, ZONE, false), OWNER, ZONE),
            (Relation::ZoneMember, Zone)
        );
        assert_eq!(
            standing(customer(2, ZONE, true), OWNER, ZONE),
            (Relation::ZoneMember, Sme)
        );
        assert_eq!(
            standing(customer(3, None, true), OWNER, ZONE),
            (Relation::Outsider, Sme)
        );
        assert_eq!(
            standing(customer(3, None, false), OWNER, ZONE),
            (Relation::Outsider, External)
        );
        assert_eq!(
            standing(customer(3, Some(ZoneId(2)), false), OWNER, ZONE),
            (Relation::Outsider, External)
        );
    }

    #[test]
    fn prices_apply_the_rate_the_minimum_and_fallbacks() {
        let rate = |category, yuan, minimum| RateView {
            category,
            per_hour: Money::yuan(yuan),
            minimum: Money::yuan(minimum),
        };
        let rates = vec![
            rate(CustomerCategory::External, 300, 600),
            rate(CustomerCategory::Zone, 200, 0),
        ];
        assert_eq!(
            price(&rates, CustomerCategory::External, 90),
            (CustomerCategory::External, Money::yuan(600)),
            "the minimum charge"
        );
        assert_eq!(
            price(&rates, CustomerCategory::External, 180),
            (CustomerCategory::External, Money::yuan(900))
        );
        assert_eq!(
            price(&rates, CustomerCategory::Sme, 90),
            (CustomerCategory::Zone, Money::yuan(300)),
            "no SME rate: the zone rate"
        );
        assert_eq!(price(&[], CustomerCategory::Own, 60).1, Money::yuan(0));
    }
}
