//! Booking pages: book a slot (with the quote and the rules' verdict before confirming), my
//! bookings, and a booking's detail with its history.

use crate::components::format::{duration, moment};
use crate::domain::catalogue::BookingStatus;
use crate::domain::rules::RuleViolation;
use crate::i18n::*;
use chrono::{DateTime, FixedOffset, Utc};
use leptos::prelude::*;
use leptos_i18n::I18nContext;

macro_rules! tr {
    ($i18n:ident, $($key:tt)+) => {
        Signal::derive(move || t_string!($i18n, $($key)+).to_string())
    };
}

pub(super) fn offset(seconds: i32) -> FixedOffset {
    FixedOffset::east_opt(seconds).unwrap_or(FixedOffset::east_opt(0).expect("zero offset"))
}

pub(super) fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

pub(super) fn span(i18n: I18nContext<Locale>, from: i64, to: i64, off: FixedOffset) -> String {
    let (a, b) = (at(from).with_timezone(&off), at(to).with_timezone(&off));
    let end = if a.date_naive() == b.date_naive() {
        b.format("%H:%M").to_string()
    } else {
        moment(i18n, at(to), off)
    };
    format!("{} – {end}", moment(i18n, at(from), off))
}

pub fn status_label(i18n: I18nContext<Locale>, status: BookingStatus) -> &'static str {
    match status {
        BookingStatus::Pending => t_string!(i18n, booking.status.pending),
        BookingStatus::Confirmed => t_string!(i18n, booking.status.confirmed),
        BookingStatus::Rejected => t_string!(i18n, booking.status.rejected),
        BookingStatus::Expired => t_string!(i18n, booking.status.expired),
        BookingStatus::Cancelled => t_string!(i18n, booking.status.cancelled),
        BookingStatus::Completed => t_string!(i18n, booking.status.completed),
        BookingStatus::NoShow => t_string!(i18n, booking.status.no_show),
    }
}

#[component]
pub(super) fn BookingStatusBadge(status: BookingStatus) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <span class=format!("badge badge--booking-{}", status.as_str()) data-status=status.as_str()>
            {move || status_label(i18n, status)}
        </span>
    }
}

/// What a rule refusal says, in the reader's language.
pub fn violation_text(i18n: I18nContext<Locale>, v: RuleViolation) -> String {
    match v {
        RuleViolation::NotAvailable(_) => t_string!(i18n, booking.rule.not_available).to_string(),
        RuleViolation::NotAllowed(_) => t_string!(i18n, booking.rule.not_allowed).to_string(),
        RuleViolation::Granularity(m) => {
            t_string!(i18n, booking.rule.granularity, step = duration(i18n, m)).to_string()
        }
        RuleViolation::TooShort(m) => {
            t_string!(i18n, booking.rule.too_short, min = duration(i18n, m)).to_string()
        }
        RuleViolation::TooLong(m) => {
            t_string!(i18n, booking.rule.too_long, max = duration(i18n, m)).to_string()
        }
        RuleViolation::NoticeTooShort(m) => {
            t_string!(i18n, booking.rule.notice, min = duration(i18n, m)).to_string()
        }
        RuleViolation::TooFarAhead(d) => {
            t_string!(i18n, booking.rule.too_far, days = d).to_string()
        }
        RuleViolation::OutsideOpeningHours => t_string!(i18n, booking.rule.closed).to_string(),
        RuleViolation::Taken => t_string!(i18n, booking.rule.taken).to_string(),
        RuleViolation::ActiveLimit {
            organisation: false,
            limit,
        } => t_string!(i18n, booking.rule.active_limit, limit = limit).to_string(),
        RuleViolation::ActiveLimit {
            organisation: true,
            limit,
        } => t_string!(i18n, booking.rule.active_limit_organisation, limit = limit).to_string(),
        RuleViolation::WeekLimit {
            organisation: false,
            minutes,
        } => t_string!(
            i18n,
            booking.rule.week_limit,
            time = duration(i18n, minutes)
        )
        .to_string(),
        RuleViolation::WeekLimit {
            organisation: true,
            minutes,
        } => t_string!(
            i18n,
            booking.rule.week_limit_organisation,
            time = duration(i18n, minutes)
        )
        .to_string(),
    }
}

mod book;
mod detail;
mod mine;
mod queue;

pub use book::BookPage;
pub use detail::BookingPage;
pub use mine::MyBookingsPage;
pub use queue::{InstitutionRequestsPage, InstitutionTabs};
