//! The words people read, in one vocabulary for the pages and the mails: labels and dates in a
//! language, all from the translations (`app/locales`). The pages call these through
//! `components::format` with the reader's language; the mails with the recipient's.

use crate::domain::account::Language;
use crate::domain::catalogue::CustomerCategory;
use crate::i18n::*;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc, Weekday};

/// The translations' locale for a person's language.
pub fn locale_of(language: Language) -> Locale {
    match language {
        Language::ZhCn => Locale::zh_CN,
        Language::En => Locale::en,
    }
}

pub fn platform_name(locale: Locale) -> &'static str {
    td_string!(locale, platform_name)
}

/// The price category a booking was quoted in.
pub fn category_label(locale: Locale, category: CustomerCategory) -> &'static str {
    match category {
        CustomerCategory::Own => td_string!(locale, customer.own),
        CustomerCategory::Zone => td_string!(locale, customer.zone),
        CustomerCategory::External => td_string!(locale, customer.external),
        CustomerCategory::Sme => td_string!(locale, customer.sme),
    }
}

/// Where a testing order stands.
pub fn order_status(locale: Locale, status: crate::domain::services::OrderStatus) -> &'static str {
    use crate::domain::services::OrderStatus as S;
    match status {
        S::Submitted => td_string!(locale, order_status.submitted),
        S::Quoted => td_string!(locale, order_status.quoted),
        S::Accepted => td_string!(locale, order_status.accepted),
        S::Rejected => td_string!(locale, order_status.rejected),
        S::Declined => td_string!(locale, order_status.declined),
        S::SamplesReceived => td_string!(locale, order_status.samples_received),
        S::Testing => td_string!(locale, order_status.testing),
        S::ReportIssued => td_string!(locale, order_status.report_issued),
        S::Closed => td_string!(locale, order_status.closed),
        S::Cancelled => td_string!(locale, order_status.cancelled),
    }
}

/// What a button on an order does.
pub fn order_action(locale: Locale, action: crate::domain::services::OrderAction) -> &'static str {
    use crate::domain::services::OrderAction as A;
    match action {
        A::Accept => td_string!(locale, order_action.accept),
        A::Quote => td_string!(locale, order_action.quote),
        A::Reject => td_string!(locale, order_action.reject),
        A::AcceptQuote => td_string!(locale, order_action.accept_quote),
        A::DeclineQuote => td_string!(locale, order_action.decline_quote),
        A::ReceiveSamples => td_string!(locale, order_action.receive_samples),
        A::StartTesting => td_string!(locale, order_action.start_testing),
        A::IssueReport => td_string!(locale, order_action.issue_report),
        A::Close => td_string!(locale, order_action.close),
        A::Cancel => td_string!(locale, order_action.cancel),
    }
}

/// How samples travel to the institution.
pub fn delivery_label(locale: Locale, delivery: crate::domain::services::Delivery) -> &'static str {
    use crate::domain::services::Delivery as D;
    match delivery {
        D::Bring => td_string!(locale, delivery.bring),
        D::Post => td_string!(locale, delivery.post),
        D::Pickup => td_string!(locale, delivery.pickup),
    }
}

pub fn weekday_name(locale: Locale, weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => td_string!(locale, weekday.mon),
        Weekday::Tue => td_string!(locale, weekday.tue),
        Weekday::Wed => td_string!(locale, weekday.wed),
        Weekday::Thu => td_string!(locale, weekday.thu),
        Weekday::Fri => td_string!(locale, weekday.fri),
        Weekday::Sat => td_string!(locale, weekday.sat),
        Weekday::Sun => td_string!(locale, weekday.sun),
    }
}

fn month_name(locale: Locale, month: u32) -> &'static str {
    match month {
        1 => td_string!(locale, month.m1),
        2 => td_string!(locale, month.m2),
        3 => td_string!(locale, month.m3),
        4 => td_string!(locale, month.m4),
        5 => td_string!(locale, month.m5),
        6 => td_string!(locale, month.m6),
        7 => td_string!(locale, month.m7),
        8 => td_string!(locale, month.m8),
        9 => td_string!(locale, month.m9),
        10 => td_string!(locale, month.m10),
        11 => td_string!(locale, month.m11),
        _ => td_string!(locale, month.m12),
    }
}

/// "11月25日 周三" / "Wed 25 Nov".
pub fn day_label(locale: Locale, date: NaiveDate) -> String {
    let month = month_name(locale, date.month());
    let md = td_string!(locale, date.month_day, month = month, day = date.day()).to_string();
    let wd = weekday_name(locale, date.weekday());
    if locale == Locale::en {
        format!("{wd} {md}")
    } else {
        format!("{md} {wd}")
    }
}

/// "2026年11月25日" / "25 Nov 2026".
pub fn full_date(locale: Locale, date: NaiveDate) -> String {
    let month = month_name(locale, date.month());
    td_string!(
        locale,
        date.full,
        year = date.year(),
        month = month,
        day = date.day()
    )
    .to_string()
}

/// "2026年11月25日 周三" / "Wed 25 Nov 2026".
pub fn full_day(locale: Locale, date: NaiveDate) -> String {
    let wd = weekday_name(locale, date.weekday());
    if locale == Locale::en {
        format!("{wd} {}", full_date(locale, date))
    } else {
        format!("{} {wd}", full_date(locale, date))
    }
}

/// A moment in the zone's time: "11月25日 周三 09:00" / "Wed 25 Nov, 09:00".
pub fn moment(locale: Locale, at: DateTime<Utc>, offset: FixedOffset) -> String {
    let local = at.with_timezone(&offset);
    let day = day_label(locale, local.date_naive());
    let sep = if locale == Locale::en { ", " } else { " " };
    format!("{day}{sep}{}", local.format("%H:%M"))
}

/// "2 小时 30 分" / "2 h 30 min".
pub fn duration(locale: Locale, minutes: i64) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    match (h, m) {
        (0, 0) => td_string!(locale, duration.none).to_string(),
        (0, m) => td_string!(locale, duration.minutes, m = m).to_string(),
        (h, 0) => td_string!(locale, duration.hours, h = h).to_string(),
        (h, m) => td_string!(locale, duration.hours_minutes, h = h, m = m).to_string(),
    }
}

/// A booked time as a mail states it, with the year (a mail is read later and elsewhere):
/// "2026年12月1日 周二 09:00–12:00" / "Tue 1 Dec 2026, 09:00–12:00"; the end in full when it
/// falls on another day.
pub fn time_span<Tz: TimeZone>(locale: Locale, tz: &Tz, starts: i64, ends: i64) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let (Some(from), Some(until)) = (
        tz.timestamp_opt(starts, 0).single(),
        tz.timestamp_opt(ends, 0).single(),
    ) else {
        return String::new();
    };
    let sep = if locale == Locale::en { ", " } else { " " };
    let start = format!(
        "{}{sep}{}",
        full_day(locale, from.date_naive()),
        from.format("%H:%M")
    );
    let end = if from.date_naive() == until.date_naive() {
        until.format("%H:%M").to_string()
    } else {
        format!(
            "{}{sep}{}",
            full_day(locale, until.date_naive()),
            until.format("%H:%M")
        )
    };
    format!("{start}–{end}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_naturally_in_both_languages() {
        let tz = FixedOffset::east_opt(8 * 3600).expect("offset");
        // 2026-12-01 01:00Z = 09:00 in Shanghai, a Tuesday.
        let starts = 1_796_086_800;
        assert_eq!(
            time_span(Locale::zh_CN, &tz, starts, starts + 3 * 3600),
            "2026年12月1日 周二 09:00–12:00"
        );
        assert_eq!(
            time_span(Locale::en, &tz, starts, starts + 3 * 3600),
            "Tue 1 Dec 2026, 09:00–12:00"
        );
        assert_eq!(
            time_span(Locale::en, &tz, starts, starts + 24 * 3600),
            "Tue 1 Dec 2026, 09:00–Wed 2 Dec 2026, 09:00"
        );
        assert_eq!(
            time_span(Locale::zh_CN, &tz, starts, starts + 24 * 3600),
            "2026年12月1日 周二 09:00–2026年12月2日 周三 09:00"
        );
    }

    #[test]
    fn labels_come_from_the_translations() {
        assert_eq!(platform_name(Locale::zh_CN), "检验检测仪器设施共享平台");
        assert_eq!(
            category_label(Locale::zh_CN, CustomerCategory::Sme),
            "中小微企业"
        );
        assert_eq!(
            category_label(Locale::en, CustomerCategory::Zone),
            "Zone member"
        );
        assert_eq!(duration(Locale::en, 150), "2 h 30 min");
    }
}
