//! What the API reads and writes: its own stable shapes, made from the services' answers. Times
//! are RFC 3339 in the zone's offset; money is in fen (0.01 CNY); names come in both languages.

use app::domain::account::Actor;
use app::domain::availability::FreeResult;
use app::domain::booking::{BookingDetail, BookingRow, Quote};
use app::domain::catalogue::{ResourceDetail, ResourceSummary};
use app::domain::rules::RuleViolation;
use app::domain::vocabulary::Bilingual;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An instant as RFC 3339 in the zone's time zone.
pub fn instant(tz: &Tz, unix: i64) -> String {
    DateTime::<Utc>::from_timestamp(unix, 0)
        .unwrap_or_default()
        .with_timezone(tz)
        .to_rfc3339()
}

/// A name in Chinese and English.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Name {
    pub zh: String,
    pub en: String,
}

impl From<&Bilingual> for Name {
    fn from(b: &Bilingual) -> Self {
        Name {
            zh: b.zh.clone(),
            en: b.en.clone(),
        }
    }
}

/// A time span: start inclusive, end exclusive.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Span {
    #[schema(format = DateTime)]
    pub starts: String,
    #[schema(format = DateTime)]
    pub ends: String,
}

impl Span {
    pub fn of(tz: &Tz, (starts, ends): (i64, i64)) -> Span {
        Span {
            starts: instant(tz, starts),
            ends: instant(tz, ends),
        }
    }
}

/// A catalogue entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Resource {
    pub id: i64,
    /// instrument or facility.
    pub kind: String,
    pub name: Name,
    pub model: String,
    pub manufacturer: String,
    pub institution_id: i64,
    pub institution: Name,
    pub category_id: i64,
    pub category: Name,
    /// available, maintenance, calibration or retired.
    pub status: String,
    /// Accreditation bodies with a valid (or expiring) certificate: cma, cnas.
    pub accreditations: Vec<String>,
    /// The lowest hourly rate on offer, in fen.
    pub from_per_hour_fen: Option<i64>,
}

impl From<&ResourceSummary> for Resource {
    fn from(s: &ResourceSummary) -> Self {
        Resource {
            id: s.id.0,
            kind: s.kind.as_str().into(),
            name: (&s.name).into(),
            model: s.model.clone(),
            manufacturer: s.manufacturer.clone(),
            institution_id: s.institution.id.0,
            institution: (&s.institution.name).into(),
            category_id: s.category.id.0,
            category: (&s.category.name).into(),
            status: s.status.as_str().into(),
            accreditations: s
                .accreditations
                .iter()
                .map(|(body, _)| body.as_str().into())
                .collect(),
            from_per_hour_fen: s.from_per_hour.map(|m| m.fen()),
        }
    }
}

/// One page of a list, and where the next begins.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// How many match in all, where it is known.
    pub total: Option<i64>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// The booking rules of a resource.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rules {
    pub slot_minutes: i64,
    pub min_duration_minutes: i64,
    pub max_duration_minutes: i64,
    pub min_notice_minutes: i64,
    pub max_notice_days: i64,
    pub buffer_before_minutes: i64,
    pub buffer_after_minutes: i64,
    pub approval_required: bool,
    /// everyone, zone (members of the zone) or institution (its own staff).
    pub audience: String,
    pub cancel_cutoff_minutes: i64,
}

/// Weekly opening: ISO weekday (1 = Monday) and minutes from local midnight.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Opening {
    pub weekday: u8,
    pub opens_minute: u16,
    pub closes_minute: u16,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rate {
    /// own, zone, sme or external.
    pub category: String,
    pub per_hour_fen: i64,
    pub minimum_fen: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Accreditation {
    /// cma or cnas.
    pub body: String,
    pub certificate_number: String,
    pub standards: Vec<String>,
    #[schema(format = Date)]
    pub valid_from: String,
    #[schema(format = Date)]
    pub valid_until: String,
    /// valid, expiring or expired.
    pub standing: String,
}

/// Everything public about a resource.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResourceFull {
    pub resource: Resource,
    pub description: Name,
    pub building: String,
    pub room: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub rules: Rules,
    pub opening_hours: Vec<Opening>,
    pub rates: Vec<Rate>,
    pub accreditations: Vec<Accreditation>,
    /// The zone's IANA time zone, in which opening hours are given.
    pub time_zone: String,
}

impl ResourceFull {
    pub fn of(d: &ResourceDetail, tz: &Tz) -> ResourceFull {
        let r = &d.rules;
        ResourceFull {
            resource: (&d.summary).into(),
            description: (&d.description).into(),
            building: d.building.clone(),
            room: d.room.clone(),
            contact_name: d.contact_name.clone(),
            contact_phone: d.contact_phone.clone(),
            rules: Rules {
                slot_minutes: r.slot_minutes,
                min_duration_minutes: r.min_duration_minutes,
                max_duration_minutes: r.max_duration_minutes,
                min_notice_minutes: r.min_notice_minutes,
                max_notice_days: r.max_notice_days,
                buffer_before_minutes: r.buffer_before_minutes,
                buffer_after_minutes: r.buffer_after_minutes,
                approval_required: r.approval_required,
                audience: r.audience.as_str().into(),
                cancel_cutoff_minutes: r.cancel_cutoff_minutes,
            },
            opening_hours: d
                .opening_hours
                .periods
                .iter()
                .map(|p| Opening {
                    weekday: p.weekday,
                    opens_minute: p.opens_minute,
                    closes_minute: p.closes_minute,
                })
                .collect(),
            rates: d
                .rates
                .iter()
                .map(|r| Rate {
                    category: r.category.as_str().into(),
                    per_hour_fen: r.per_hour.fen(),
                    minimum_fen: r.minimum.fen(),
                })
                .collect(),
            accreditations: d
                .accreditations
                .iter()
                .map(|a| Accreditation {
                    body: a.body.as_str().into(),
                    certificate_number: a.certificate_number.clone(),
                    standards: a.standards.clone(),
                    valid_from: a.valid_from.to_string(),
                    valid_until: a.valid_until.to_string(),
                    standing: format!("{:?}", a.standing).to_lowercase(),
                })
                .collect(),
            time_zone: tz.name().into(),
        }
    }
}

/// When a resource is open and when it is taken, in a window.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Availability {
    pub resource_id: i64,
    pub window: Span,
    /// Opening hours in the window, closed days left out.
    pub open: Vec<Span>,
    /// Taken by bookings and blackouts (buffers included): when, never by whom.
    pub busy: Vec<Span>,
    /// Open and not taken. Whether a slot can be booked (notice, length, who may book) is the
    /// quote's answer.
    pub free: Vec<Span>,
}

/// A resource with free windows, from the time-first search.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FreeResource {
    pub resource: Resource,
    /// The first windows long enough, earliest first.
    pub windows: Vec<Span>,
    /// Why none can be booked, when none can: not_available, too_long, notice_too_short,
    /// closed or fully_booked.
    pub unbookable: Option<String>,
}

impl FreeResource {
    pub fn of(r: &FreeResult, tz: &Tz) -> FreeResource {
        FreeResource {
            resource: (&r.resource).into(),
            windows: r
                .windows
                .iter()
                .map(|w| Span::of(tz, (w.start().timestamp(), w.end().timestamp())))
                .collect(),
            unbookable: r.unbookable.map(|u| {
                use app::domain::availability::Unbookable as U;
                match u {
                    U::NotAvailable(_) => "not_available",
                    U::TooLong(_) => "too_long",
                    U::NoticeTooShort(_) => "notice_too_short",
                    U::Closed => "closed",
                    U::FullyBooked => "fully_booked",
                }
                .to_string()
            }),
        }
    }
}

/// A rule that refuses a slot, with its figure where it has one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Refusal {
    /// not_available, not_allowed, granularity, too_short, too_long, notice_too_short,
    /// too_far_ahead, outside_opening_hours, taken, active_limit, week_limit.
    pub rule: String,
    /// Minutes (granularity, too_short, too_long, notice_too_short, week_limit), days
    /// (too_far_ahead) or bookings (active_limit).
    pub value: Option<i64>,
    /// The resource's status, the audience it admits, or whose limit (person, organisation).
    pub detail: Option<String>,
}

impl From<&RuleViolation> for Refusal {
    fn from(v: &RuleViolation) -> Self {
        let whose = |organisation: bool| {
            Some(
                if organisation {
                    "organisation"
                } else {
                    "person"
                }
                .to_string(),
            )
        };
        let (rule, value, detail) = match *v {
            RuleViolation::NotAvailable(s) => ("not_available", None, Some(s.as_str().into())),
            RuleViolation::NotAllowed(a) => ("not_allowed", None, Some(a.as_str().into())),
            RuleViolation::Granularity(m) => ("granularity", Some(m), None),
            RuleViolation::TooShort(m) => ("too_short", Some(m), None),
            RuleViolation::TooLong(m) => ("too_long", Some(m), None),
            RuleViolation::NoticeTooShort(m) => ("notice_too_short", Some(m), None),
            RuleViolation::TooFarAhead(d) => ("too_far_ahead", Some(d), None),
            RuleViolation::OutsideOpeningHours => ("outside_opening_hours", None, None),
            RuleViolation::Taken => ("taken", None, None),
            RuleViolation::ActiveLimit {
                organisation,
                limit,
            } => ("active_limit", Some(limit), whose(organisation)),
            RuleViolation::WeekLimit {
                organisation,
                minutes,
            } => ("week_limit", Some(minutes), whose(organisation)),
        };
        Refusal {
            rule: rule.into(),
            value,
            detail,
        }
    }
}

/// The price and the rule check of a slot for the caller.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuoteOut {
    /// The rate category that applies: own, zone, sme or external.
    pub category: String,
    pub price_fen: i64,
    pub minutes: i64,
    pub approval_required: bool,
    /// Empty when the slot can be booked.
    pub refusals: Vec<Refusal>,
    /// Nearby slots of the same length that would work.
    pub alternatives: Vec<Span>,
}

impl QuoteOut {
    pub fn of(q: &Quote, tz: &Tz) -> QuoteOut {
        QuoteOut {
            category: q.category.as_str().into(),
            price_fen: q.price.fen(),
            minutes: q.minutes,
            approval_required: q.approval_required,
            refusals: q.violations.iter().map(Refusal::from).collect(),
            alternatives: q.alternatives.iter().map(|s| Span::of(tz, *s)).collect(),
        }
    }
}

/// A booking as its booker, or an admin of the resource's institution, sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Booking {
    pub id: i64,
    pub resource_id: i64,
    pub resource: Name,
    pub institution: Name,
    pub booker: String,
    pub organisation: Name,
    #[schema(format = DateTime)]
    pub starts: String,
    #[schema(format = DateTime)]
    pub ends: String,
    /// pending, confirmed, rejected, cancelled, expired, completed or no_show.
    pub status: String,
    pub price_fen: i64,
    pub purpose: String,
    /// Whether the caller may cancel it now.
    pub can_cancel: bool,
}

impl Booking {
    pub fn of(r: &BookingRow, tz: &Tz) -> Booking {
        Booking {
            id: r.id.0,
            resource_id: r.resource.0,
            resource: (&r.resource_name).into(),
            institution: (&r.institution).into(),
            booker: r.booker_name.clone(),
            organisation: (&r.organisation).into(),
            starts: instant(tz, r.starts_at),
            ends: instant(tz, r.ends_at),
            status: r.status.as_str().into(),
            price_fen: r.price.fen(),
            purpose: r.purpose.clone(),
            can_cancel: r.can_cancel,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryEntry {
    #[schema(format = DateTime)]
    pub at: String,
    pub by: String,
    pub from: Option<String>,
    pub to: String,
    pub reason: String,
}

/// A booking with its details and history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BookingFull {
    pub booking: Booking,
    pub customer_category: String,
    pub sample_description: String,
    pub sample_count: i64,
    pub contact_phone: String,
    pub status_reason: String,
    pub history: Vec<HistoryEntry>,
}

impl BookingFull {
    pub fn of(d: &BookingDetail, tz: &Tz) -> BookingFull {
        BookingFull {
            booking: Booking::of(&d.row, tz),
            customer_category: d.customer_category.as_str().into(),
            sample_description: d.sample_description.clone(),
            sample_count: d.sample_count,
            contact_phone: d.contact_phone.clone(),
            status_reason: d.status_reason.clone(),
            history: d
                .history
                .iter()
                .map(|e| HistoryEntry {
                    at: instant(tz, e.at),
                    by: e.actor.clone(),
                    from: e.from.map(|s| s.as_str().into()),
                    to: e.to.as_str().into(),
                    reason: e.reason.clone(),
                })
                .collect(),
        }
    }
}

/// The caller, as the API knows them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub organisation_id: i64,
    pub organisation: Name,
    /// institution_admin:<id>, zone_manager:<id>, site_admin.
    pub roles: Vec<String>,
    /// read, book or admin (a browser session has every right of the person).
    pub scope: String,
}

impl Me {
    pub fn of(actor: &Actor, scope: &str) -> Me {
        Me {
            id: actor.user.0,
            name: actor.name.clone(),
            email: actor.email.clone(),
            organisation_id: actor.organisation.0,
            organisation: (&actor.organisation_name).into(),
            roles: actor
                .roles
                .iter()
                .map(|r| match r.scope_id() {
                    0 => r.name().as_str().to_string(),
                    id => format!("{}:{id}", r.name().as_str()),
                })
                .collect(),
            scope: scope.into(),
        }
    }
}

/// A blackout: a time a resource cannot be booked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Blackout {
    pub id: i64,
    pub resource_id: i64,
    #[schema(format = DateTime)]
    pub starts: String,
    #[schema(format = DateTime)]
    pub ends: String,
    /// maintenance, calibration or internal.
    pub kind: String,
    pub note: String,
}

/// A new blackout. Times are RFC 3339, or local times of the zone (`2026-12-01T09:00`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBlackout {
    /// maintenance, calibration or internal.
    pub kind: String,
    pub starts: String,
    pub ends: String,
    #[serde(default)]
    pub note: String,
    /// Cancel the active bookings the blackout hits (each booker is mailed `reason`); without
    /// it, such a blackout is refused with the bookings in the way.
    #[serde(default)]
    pub cancel_hits: bool,
    #[serde(default)]
    pub reason: String,
}

/// A booking request. Times are RFC 3339, or local times of the zone (`2026-12-01T09:00`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBooking {
    pub resource_id: i64,
    pub starts: String,
    pub ends: String,
    pub purpose: String,
    #[serde(default)]
    pub sample_description: String,
    #[serde(default)]
    pub sample_count: i64,
    pub contact_phone: String,
}

/// A slot to price, or to move a booking to.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlotRequest {
    /// The resource (for a quote; ignored when moving a booking).
    #[serde(default)]
    pub resource_id: Option<i64>,
    pub starts: String,
    pub ends: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// Told to the booker (cancelling, rejecting).
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// completed or no_show.
    pub outcome: String,
}

/// An institution's requests to decide, coming bookings, and ended ones without an outcome.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Queue {
    pub institution_id: i64,
    pub institution: Name,
    pub pending: Vec<Booking>,
    pub upcoming: Vec<Booking>,
    pub to_record: Vec<Booking>,
}

/// A testing service (检测服务) as search compares it, priced at the caller's rate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Service {
    pub id: i64,
    pub name: Name,
    pub institution_id: i64,
    pub institution: Name,
    /// The standards the test is done to.
    pub standards: Vec<String>,
    pub products: String,
    /// Working days from the samples' arrival to the report.
    pub turnaround_days: i64,
    pub capacity_per_week: i64,
    /// Samples in the institution's accepted work for the service now.
    pub load_samples: i64,
    /// The earliest day a new order's testing could start, given that load.
    #[schema(format = Date)]
    pub earliest_start: String,
    /// The customer category the price is at (own, zone, external or sme), with the price per
    /// sample in fen; absent when the service sets no price for the caller.
    pub customer_category: Option<String>,
    pub price_per_sample_fen: Option<i64>,
    /// The bodies whose valid accreditation covers the standards: CMA, CNAS.
    pub accreditations: Vec<String>,
    /// The day the first of those accreditations ends (the service leaves search after it).
    #[schema(format = Date)]
    pub accredited_until: Option<String>,
}

impl From<&app::domain::services::ServiceSummary> for Service {
    fn from(s: &app::domain::services::ServiceSummary) -> Self {
        Service {
            id: s.id,
            name: (&s.name).into(),
            institution_id: s.institution.id.0,
            institution: (&s.institution.name).into(),
            standards: s.standards.clone(),
            products: s.products.clone(),
            turnaround_days: s.turnaround_days,
            capacity_per_week: s.capacity_per_week,
            load_samples: s.load,
            earliest_start: s.earliest_start.to_string(),
            customer_category: s.price.map(|(c, _)| c.as_str().into()),
            price_per_sample_fen: s.price.map(|(_, m)| m.fen()),
            accreditations: s.bodies.iter().map(|b| b.as_str().into()).collect(),
            accredited_until: s.accredited_until.map(|d| d.to_string()),
        }
    }
}

/// A price per sample for one customer category.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServicePrice {
    /// own, zone, external or sme.
    pub customer_category: String,
    pub per_sample_fen: i64,
}

/// A resource named by id.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResourceRef {
    pub id: i64,
    pub name: Name,
}

/// A service with what an order needs to know.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceFull {
    pub service: Service,
    pub sample_quantity: String,
    pub sample_form: String,
    pub packaging: String,
    pub prices: Vec<ServicePrice>,
    /// The instruments the service uses.
    pub resources: Vec<ResourceRef>,
}

impl ServiceFull {
    pub fn of(d: &app::domain::services::ServiceDetail) -> ServiceFull {
        ServiceFull {
            service: (&d.summary).into(),
            sample_quantity: d.sample_quantity.clone(),
            sample_form: d.sample_form.clone(),
            packaging: d.packaging.clone(),
            prices: d
                .prices
                .iter()
                .map(|(c, m)| ServicePrice {
                    customer_category: c.as_str().into(),
                    per_sample_fen: m.fen(),
                })
                .collect(),
            resources: d
                .resources
                .iter()
                .map(|r| ResourceRef {
                    id: r.id.0,
                    name: (&r.name).into(),
                })
                .collect(),
        }
    }
}

/// A testing order (委托单) in a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Order {
    pub id: i64,
    pub service: Name,
    pub institution: Name,
    pub customer: Name,
    /// submitted, quoted, accepted, rejected, declined, samples_received, testing,
    /// report_issued, closed or cancelled.
    pub status: String,
    pub samples: i64,
    /// The total: the quote's once quoted, else samples × the price per sample.
    pub price_fen: i64,
    #[schema(format = DateTime)]
    pub placed: String,
}

impl Order {
    pub fn of(r: &app::domain::services::OrderRow, tz: &Tz) -> Order {
        Order {
            id: r.id,
            service: (&r.service).into(),
            institution: (&r.institution).into(),
            customer: (&r.customer).into(),
            status: r.status.as_str().into(),
            samples: r.samples,
            price_fen: r.price.fen(),
            placed: instant(tz, r.created_at),
        }
    }
}

/// The orders the caller sees: their organisation's, and those to institutions they run.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Orders {
    pub placed: Vec<Order>,
    pub received: Vec<Order>,
}

/// Instrument time held for an order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HeldTime {
    pub resource: ResourceRef,
    #[schema(format = DateTime)]
    pub starts: String,
    #[schema(format = DateTime)]
    pub ends: String,
}

/// An order with its details, history and the steps the caller may take next.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderFull {
    pub order: Order,
    pub service_id: i64,
    pub requester: String,
    pub sample_description: String,
    /// bring, post or pickup.
    pub delivery: String,
    pub tracking_number: String,
    #[schema(format = Date)]
    pub requested_by: Option<String>,
    pub invoice_title: String,
    pub credit_code: String,
    pub customer_category: String,
    pub quoted_fen: Option<i64>,
    pub promised_days: i64,
    pub status_note: String,
    /// The report's file name, once issued (downloaded from the order's page).
    pub report: Option<String>,
    pub rating: Option<i64>,
    pub history: Vec<HistoryEntry>,
    /// The actions the caller may take now (see `POST /api/v1/orders/{id}/actions`).
    pub next_actions: Vec<String>,
    pub held: Vec<HeldTime>,
}

impl OrderFull {
    pub fn of(d: &app::domain::services::OrderDetail, tz: &Tz) -> OrderFull {
        OrderFull {
            order: Order::of(&d.row, tz),
            service_id: d.service_id,
            requester: d.requester.clone(),
            sample_description: d.sample_description.clone(),
            delivery: d.delivery.as_str().into(),
            tracking_number: d.tracking_number.clone(),
            requested_by: d.requested_by.map(|day| day.to_string()),
            invoice_title: d.invoice_title.clone(),
            credit_code: d.credit_code.clone(),
            customer_category: d.category.as_str().into(),
            quoted_fen: d.quoted.map(|m| m.fen()),
            promised_days: d.promised_days,
            status_note: d.status_note.clone(),
            report: d.report.clone(),
            rating: d.rating.as_ref().map(|(stars, _)| *stars),
            history: d
                .events
                .iter()
                .map(|e| HistoryEntry {
                    at: instant(tz, e.at),
                    by: e.by.clone(),
                    from: e.from.map(|s| s.as_str().into()),
                    to: e.to.as_str().into(),
                    reason: e.note.clone(),
                })
                .collect(),
            next_actions: d
                .actions
                .iter()
                .filter(|a| **a != app::domain::services::OrderAction::IssueReport)
                .map(|a| a.as_str().into())
                .collect(),
            held: d
                .held
                .iter()
                .map(|h| HeldTime {
                    resource: ResourceRef {
                        id: h.resource.id.0,
                        name: (&h.resource.name).into(),
                    },
                    starts: instant(tz, h.starts_at),
                    ends: instant(tz, h.ends_at),
                })
                .collect(),
        }
    }
}

/// An order for a testing service. The price is the service's at the caller's rate.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    pub service_id: i64,
    /// 1–10,000.
    pub samples: i64,
    pub sample_description: String,
    /// bring, post or pickup.
    pub delivery: String,
    #[serde(default)]
    pub tracking_number: String,
    /// The day the report is wanted by, `YYYY-MM-DD`.
    #[serde(default)]
    pub requested_by: Option<String>,
    pub invoice_title: String,
    /// The ordering organisation's unified social credit code (18 characters, checked).
    pub credit_code: String,
}

/// A step on an order.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderStep {
    /// accept, quote, reject, accept_quote, decline_quote, receive_samples, start_testing,
    /// close or cancel (a report is issued by uploading it on the order's page).
    pub action: String,
    /// The reason (rejecting, cancelling) or a quote's terms; the other side reads it.
    #[serde(default)]
    pub note: String,
    /// A quote's total, in fen.
    #[serde(default)]
    pub quoted_fen: Option<i64>,
}
