//! The catalogue's vocabulary and the shapes that travel between server and browser.

use super::ids::{CategoryId, OrganisationId, ResourceId};
use super::money::Money;
use super::rules::BookingRules;
use super::schedule::{OpeningHours, WeekGrid};
pub use super::vocabulary::{Audience, Bilingual, Named, ResourceStatus};
use serde::{Deserialize, Serialize};

text_enum!(
    /// 仪器设备 or 环境设施.
    ResourceKind { Instrument = "instrument", Facility = "facility" }
);
text_enum!(AccreditationBody { Cma = "CMA", Cnas = "CNAS", Other = "other" });
text_enum!(
    /// Whose price applies: the owner's own staff, a zone member, an outside customer, or an SME.
    CustomerCategory { Own = "own", Zone = "zone", External = "external", Sme = "sme" }
);
text_enum!(
    BookingStatus {
        Pending = "pending",
        Confirmed = "confirmed",
        Rejected = "rejected",
        Expired = "expired",
        Cancelled = "cancelled",
        Completed = "completed",
        NoShow = "no_show",
    }
);
text_enum!(BlackoutKind { Maintenance = "maintenance", Calibration = "calibration", Internal = "internal" });

impl BookingStatus {
    /// Active bookings hold their slot against everyone else.
    pub fn is_active(self) -> bool {
        matches!(self, BookingStatus::Pending | BookingStatus::Confirmed)
    }
}

/// Accreditation as shown to a customer, with its standing on a given day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccreditationView {
    pub body: AccreditationBody,
    pub certificate_number: String,
    pub standards: Vec<String>,
    pub valid_from: chrono::NaiveDate,
    pub valid_until: chrono::NaiveDate,
    pub standing: AccreditationStanding,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccreditationStanding {
    Valid,
    /// Valid, but expiring within [`EXPIRY_WARNING_DAYS`].
    Expiring,
    Expired,
}

pub const EXPIRY_WARNING_DAYS: i64 = 60;

impl AccreditationStanding {
    pub fn on(
        today: chrono::NaiveDate,
        valid_from: chrono::NaiveDate,
        valid_until: chrono::NaiveDate,
    ) -> Self {
        if today > valid_until || today < valid_from {
            AccreditationStanding::Expired
        } else if (valid_until - today).num_days() <= EXPIRY_WARNING_DAYS {
            AccreditationStanding::Expiring
        } else {
            AccreditationStanding::Valid
        }
    }
}

/// One card in the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceSummary {
    pub id: ResourceId,
    pub kind: ResourceKind,
    pub name: Bilingual,
    pub model: String,
    pub manufacturer: String,
    pub institution: Named<OrganisationId>,
    pub category: Named<CategoryId>,
    pub status: ResourceStatus,
    /// Valid or expiring bodies only; expired accreditation is never advertised.
    pub accreditations: Vec<(AccreditationBody, AccreditationStanding)>,
    /// The lowest hourly rate on offer (the SME or zone-member rate, typically).
    pub from_per_hour: Option<Money>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueFilter {
    pub kind: Option<ResourceKind>,
    pub category: Option<CategoryId>,
    pub institution: Option<OrganisationId>,
    /// Words that must all appear in the name, model, manufacturer, category or a standard the
    /// resource is accredited for (substring match, so Chinese needs no word segmentation).
    pub text: Vec<String>,
    /// Only resources with valid accreditation by this body…
    pub body: Option<AccreditationBody>,
    /// …or for a standard whose code contains this (spaces ignored: "GB/T17626" finds "GB/T 17626.3").
    pub standard: Option<String>,
    /// Only resources with some hourly rate at or under this.
    pub max_per_hour: Option<Money>,
    /// Only resources in this state (retired ones are never listed).
    pub status: Option<ResourceStatus>,
}

impl CatalogueFilter {
    /// Splits a search box's text into the words to match: at most 8, each at most 40 chars.
    pub fn words(raw: &str) -> Vec<String> {
        raw.split_whitespace()
            .map(|w| {
                w.chars()
                    .filter(|c| !matches!(c, '%' | '_' | '\\'))
                    .take(40)
                    .collect::<String>()
            })
            .filter(|w| !w.is_empty())
            .take(8)
            .collect()
    }
}

text_enum!(
    /// The catalogue's order.
    CatalogueSort { Category = "category", Name = "name", Price = "price", Institution = "institution" }
);

/// Cards per catalogue page.
pub const CATALOGUE_PAGE_SIZE: i64 = 24;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CataloguePage {
    pub zone_name: Bilingual,
    /// How many resources match in all; `resources` is page `page` (from 1) of them.
    pub total: i64,
    pub page: i64,
    pub resources: Vec<ResourceSummary>,
    pub categories: Vec<Named<CategoryId>>,
    pub institutions: Vec<Named<OrganisationId>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Specification {
    pub label_zh: String,
    pub label_en: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateView {
    pub category: CustomerCategory,
    pub per_hour: Money,
    pub minimum: Money,
}

/// A photo of a resource: files under `/photos/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoView {
    pub id: i64,
    pub file: String,
    pub thumb: String,
}

/// Everything the resource page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceDetail {
    pub summary: ResourceSummary,
    pub serial_number: String,
    pub purchase_year: Option<i64>,
    pub original_value: Money,
    pub building: String,
    pub room: String,
    pub description: Bilingual,
    pub specifications: Vec<Specification>,
    pub status_reason: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub institution_city: Bilingual,
    pub rules: BookingRules,
    pub opening_hours: OpeningHours,
    pub rates: Vec<RateView>,
    pub accreditations: Vec<AccreditationView>,
    pub photos: Vec<PhotoView>,
    pub week: WeekGrid,
    /// The zone's offset from UTC during this week, for showing instants in local time.
    pub utc_offset_seconds: i32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn text_enums_round_trip_through_their_stored_names() {
        for s in BookingStatus::ALL {
            assert_eq!(BookingStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(
            ResourceKind::parse("facility"),
            Some(ResourceKind::Facility)
        );
        assert_eq!(ResourceKind::parse("Facility"), None);
        assert!(BookingStatus::Pending.is_active() && !BookingStatus::Cancelled.is_active());
    }

    #[test]
    fn accreditation_standing_warns_sixty_days_ahead() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let from = d(1, 1);
        assert_eq!(
            AccreditationStanding::on(d(3, 1), from, d(12, 31)),
            AccreditationStanding::Valid
        );
        assert_eq!(
            AccreditationStanding::on(d(11, 1), from, d(12, 31)),
            AccreditationStanding::Expiring
        );
        assert_eq!(
            AccreditationStanding::on(d(12, 31), from, d(12, 31)),
            AccreditationStanding::Expiring
        );
        assert_eq!(
            AccreditationStanding::on(
                NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
                from,
                d(12, 31)
            ),
            AccreditationStanding::Expired
        );
    }
}
