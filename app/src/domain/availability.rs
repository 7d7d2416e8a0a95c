//! Time-first search: "free for at least D between A and B", across every institution.

use super::catalogue::{CatalogueFilter, ResourceStatus, ResourceSummary};
use super::time::TimeSlot;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreeQuery {
    pub range: TimeSlot,
    /// The free time wanted, in minutes.
    pub minutes: i64,
    pub filter: CatalogueFilter,
}

/// Why a resource offers nothing in the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unbookable {
    NotAvailable(ResourceStatus),
    /// The wanted time is longer than one booking may be (the maximum, in minutes).
    TooLong(i64),
    /// The whole range lies inside the minimum notice (minutes).
    NoticeTooShort(i64),
    /// Not open at all in the range.
    Closed,
    /// Open, but every opening is taken or too short.
    FullyBooked,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FreeResult {
    pub resource: ResourceSummary,
    /// The first free windows long enough for the wanted time, earliest first.
    pub windows: Vec<TimeSlot>,
    pub unbookable: Option<Unbookable>,
}

/// Answers per page of a time-first search.
pub const FREE_PAGE_SIZE: usize = 50;

/// How many windows each result lists.
pub const WINDOWS_PER_RESOURCE: usize = 3;

/// What the "find free time" page shows: the query as understood, and the answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FreeSearchPage {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub minutes: i64,
    /// Page `page` (from 1) of the answers, [`FREE_PAGE_SIZE`] a page.
    pub results: Vec<FreeResult>,
    /// Resources with a window, and resources that answered, over all pages.
    pub bookable: usize,
    pub total: usize,
    pub page: usize,
    pub categories: Vec<super::catalogue::Named<super::ids::CategoryId>>,
    pub institutions: Vec<super::catalogue::Named<super::ids::OrganisationId>>,
    pub utc_offset_seconds: i32,
}

/// The longest date range one search may cover, in days.
pub const MAX_RANGE_DAYS: i64 = 31;
