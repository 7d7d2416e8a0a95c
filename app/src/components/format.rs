//! Dates, times, durations and labels as a person reads them, in the reader's language: the
//! page-side door to [`crate::wording`], which the mails use too.

use crate::domain::catalogue::CustomerCategory;
use crate::i18n::*;
use crate::wording;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc, Weekday};
use leptos_i18n::I18nContext;

pub fn weekday_name(i18n: I18nContext<Locale>, weekday: Weekday) -> String {
    wording::weekday_name(i18n.get_locale(), weekday).to_string()
}

/// "11月25日 周三" / "Wed 25 Nov".
pub fn day_label(i18n: I18nContext<Locale>, date: NaiveDate) -> String {
    wording::day_label(i18n.get_locale(), date)
}

/// "2026年11月25日" / "25 Nov 2026".
pub fn full_date(i18n: I18nContext<Locale>, date: NaiveDate) -> String {
    wording::full_date(i18n.get_locale(), date)
}

/// "08:30", 24-hour clock.
pub fn minute_of_day(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// A moment in the zone's time: "11月25日 周三 09:00" / "Wed 25 Nov, 09:00".
pub fn moment(i18n: I18nContext<Locale>, at: DateTime<Utc>, offset: FixedOffset) -> String {
    wording::moment(i18n.get_locale(), at, offset)
}

/// "2 小时 30 分" / "2 h 30 min".
pub fn duration(i18n: I18nContext<Locale>, minutes: i64) -> String {
    wording::duration(i18n.get_locale(), minutes)
}

/// The price category, as the rates table and the booking call it.
pub fn category_label(i18n: I18nContext<Locale>, category: CustomerCategory) -> &'static str {
    wording::category_label(i18n.get_locale(), category)
}

/// The value of a `datetime-local` input for an instant.
pub fn local_input(at: DateTime<Utc>, offset: FixedOffset) -> String {
    at.with_timezone(&offset)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// A link to the booking page with the slot filled in.
pub fn book_href(
    resource: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    offset: FixedOffset,
) -> String {
    format!(
        "/resources/{resource}/book?starts={}&ends={}",
        local_input(from, offset),
        local_input(to, offset)
    )
}

/// Where a testing order stands.
pub fn order_status(
    i18n: I18nContext<Locale>,
    status: crate::domain::services::OrderStatus,
) -> &'static str {
    wording::order_status(i18n.get_locale(), status)
}

/// What a step of a testing order is called on its button.
pub fn order_action(
    i18n: I18nContext<Locale>,
    action: crate::domain::services::OrderAction,
) -> &'static str {
    wording::order_action(i18n.get_locale(), action)
}

/// How samples reach the institution.
pub fn delivery_label(
    i18n: I18nContext<Locale>,
    delivery: crate::domain::services::Delivery,
) -> &'static str {
    wording::delivery_label(i18n.get_locale(), delivery)
}
