//! Dates, times, durations and money as a person reads them, in the chosen language.

use crate::i18n::*;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc, Weekday};
use leptos_i18n::I18nContext;

pub fn weekday_name(i18n: I18nContext<Locale>, weekday: Weekday) -> String {
    match weekday {
        Weekday::Mon => t_string!(i18n, weekday.mon),
        Weekday::Tue => t_string!(i18n, weekday.tue),
        Weekday::Wed => t_string!(i18n, weekday.wed),
        Weekday::Thu => t_string!(i18n, weekday.thu),
        Weekday::Fri => t_string!(i18n, weekday.fri),
        Weekday::Sat => t_string!(i18n, weekday.sat),
        Weekday::Sun => t_string!(i18n, weekday.sun),
    }
    .to_string()
}

fn month_name(i18n: I18nContext<Locale>, month: u32) -> String {
    match month {
        1 => t_string!(i18n, month.m1),
        2 => t_string!(i18n, month.m2),
        3 => t_string!(i18n, month.m3),
        4 => t_string!(i18n, month.m4),
        5 => t_string!(i18n, month.m5),
        6 => t_string!(i18n, month.m6),
        7 => t_string!(i18n, month.m7),
        8 => t_string!(i18n, month.m8),
        9 => t_string!(i18n, month.m9),
        10 => t_string!(i18n, month.m10),
        11 => t_string!(i18n, month.m11),
        _ => t_string!(i18n, month.m12),
    }
    .to_string()
}

/// "11月25日 周三" / "Wed 25 Nov".
pub fn day_label(i18n: I18nContext<Locale>, date: NaiveDate) -> String {
    let month = month_name(i18n, date.month());
    let md = t_string!(i18n, date.month_day, month = month, day = date.day()).to_string();
    let wd = weekday_name(i18n, date.weekday());
    if i18n.get_locale() == Locale::en {
        format!("{wd} {md}")
    } else {
        format!("{md} {wd}")
    }
}

/// "2026年11月25日" / "25 Nov 2026".
pub fn full_date(i18n: I18nContext<Locale>, date: NaiveDate) -> String {
    let month = month_name(i18n, date.month());
    t_string!(
        i18n,
        date.full,
        year = date.year(),
        month = month,
        day = date.day()
    )
    .to_string()
}

/// "08:30", 24-hour clock.
pub fn minute_of_day(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// A moment in the zone's time: "11月25日 周三 09:00" / "Wed 25 Nov, 09:00".
pub fn moment(i18n: I18nContext<Locale>, at: DateTime<Utc>, offset: FixedOffset) -> String {
    let local = at.with_timezone(&offset);
    let day = day_label(i18n, local.date_naive());
    let sep = if i18n.get_locale() == Locale::en {
        ", "
    } else {
        " "
    };
    format!("{day}{sep}{}", local.format("%H:%M"))
}

/// "2 小时 30 分" / "2 h 30 min".
pub fn duration(i18n: I18nContext<Locale>, minutes: i64) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    match (h, m) {
        (0, 0) => t_string!(i18n, duration.none).to_string(),
        (0, m) => t_string!(i18n, duration.minutes, m = m).to_string(),
        (h, 0) => t_string!(i18n, duration.hours, h = h).to_string(),
        (h, m) => t_string!(i18n, duration.hours_minutes, h = h, m = m).to_string(),
    }
}
