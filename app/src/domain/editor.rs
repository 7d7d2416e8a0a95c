//! The resource editor: what an institution admin fills in (as the form sends it, all text), and
//! its checking into a resource the database can take. Every refusal names the field and the
//! translation of its message.

use super::catalogue::{
    AccreditationBody, Audience, Bilingual, BlackoutKind, CustomerCategory, ResourceKind,
    Specification,
};
use super::money::Money;
use super::rules::BookingRules;
use super::schedule::OpeningPeriod;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub const MAX_NAME_CHARS: usize = 120;
pub const MAX_SHORT_CHARS: usize = 80;
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
pub const MAX_SPECIFICATIONS: usize = 40;
pub const MAX_CLOSED_DAYS: usize = 120;

/// The editor's fields as the form sends them. Weekly hours are one field per weekday
/// (`hours_1` = Monday … `hours_7` = Sunday) such as "08:30-12:00, 13:30-17:30"; empty = closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResourceForm {
    pub id: Option<i64>,
    pub institution: i64,
    pub kind: String,
    pub category: i64,
    pub name_zh: String,
    pub name_en: String,
    pub model: String,
    pub manufacturer: String,
    pub serial_number: String,
    pub purchase_year: String,
    /// 原值 in yuan.
    pub original_value: String,
    pub building: String,
    pub room: String,
    pub description_zh: String,
    pub description_en: String,
    /// One per line: "中文名 / English name: value".
    pub specifications: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub slot_minutes: String,
    pub min_duration_minutes: String,
    pub max_duration_minutes: String,
    pub min_notice_hours: String,
    pub max_notice_days: String,
    pub buffer_before_minutes: String,
    pub buffer_after_minutes: String,
    pub cancel_cutoff_hours: String,
    /// Quotas (empty: no limit): active bookings a person / an organisation may hold, and hours
    /// a person / an organisation may book in one week.
    pub person_active_limit: String,
    pub person_week_hours: String,
    pub organisation_active_limit: String,
    pub organisation_week_hours: String,
    /// A checkbox: present ("on") when approval is required.
    pub approval: Option<String>,
    pub audience: String,
    pub hours_1: String,
    pub hours_2: String,
    pub hours_3: String,
    pub hours_4: String,
    pub hours_5: String,
    pub hours_6: String,
    pub hours_7: String,
    /// One per line: "2026-10-01" or "2026-10-01 国庆节".
    pub closed_days: String,
    /// Yuan per hour for each customer category; empty = not offered to them.
    pub rate_own: String,
    pub rate_zone: String,
    pub rate_external: String,
    pub rate_sme: String,
    pub minimum_own: String,
    pub minimum_zone: String,
    pub minimum_external: String,
    pub minimum_sme: String,
}

/// A checked resource, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidResource {
    pub kind: ResourceKind,
    pub category: i64,
    pub name: Bilingual,
    pub model: String,
    pub manufacturer: String,
    pub serial_number: String,
    pub purchase_year: Option<i64>,
    pub original_value: Money,
    pub building: String,
    pub room: String,
    pub description: Bilingual,
    pub specifications: Vec<Specification>,
    pub contact_name: String,
    pub contact_phone: String,
    pub rules: BookingRules,
    pub hours: Vec<OpeningPeriod>,
    pub closed_days: Vec<(NaiveDate, String)>,
    pub rates: Vec<(CustomerCategory, Money, Money)>,
    pub quotas: super::rules::Quotas,
}

/// A refusal: the field, and the translation key of the message.
pub type Refusal = (&'static str, &'static str);

/// One line of text: no control characters at all (a line break in a name would cut a mail's
/// subject, an escape sequence would reach a log).
fn text(raw: &str, field: &'static str, max: usize, required: bool) -> Result<String, Refusal> {
    let value = paragraph(raw, field, max, required)?;
    if value.contains(['\n', '\r', '\t']) {
        return Err((field, "text_control"));
    }
    Ok(value)
}

/// Text of several lines: line breaks and tabs, but no other control characters.
fn paragraph(
    raw: &str,
    field: &'static str,
    max: usize,
    required: bool,
) -> Result<String, Refusal> {
    let value = raw.trim();
    if required && value.is_empty() {
        return Err((field, "text_missing"));
    }
    if value.chars().count() > max {
        return Err((field, "text_long"));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err((field, "text_control"));
    }
    Ok(value.to_string())
}

/// A whole number in `range`; empty means `default` when there is one.
fn number(
    raw: &str,
    field: &'static str,
    range: std::ops::RangeInclusive<i64>,
    default: Option<i64>,
) -> Result<i64, Refusal> {
    let raw = raw.trim();
    if raw.is_empty() {
        return default.ok_or((field, "number_invalid"));
    }
    match raw.parse::<i64>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err((field, "number_invalid")),
    }
}

fn money(raw: &str, field: &'static str) -> Result<Option<Money>, Refusal> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    Money::parse(raw)
        .map(Some)
        .map_err(|_| (field, "price_invalid"))
}

/// "HH:MM" → minutes after midnight; "24:00" is the end of the day.
fn clock(raw: &str) -> Option<u16> {
    let (h, m) = raw.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.trim().parse().ok()?, m.trim().parse().ok()?);
    (h < 24 && m < 60 || h == 24 && m == 0).then_some(h * 60 + m)
}

/// One weekday's hours: "08:30-12:00, 13:30-17:30" (also with – ~ 、 ， ；). Empty = closed.
pub fn parse_day_hours(weekday: u8, raw: &str) -> Option<Vec<OpeningPeriod>> {
    let mut periods: Vec<OpeningPeriod> = Vec::new();
    for part in raw
        .split([',', '，', ';', '；', '、'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (from, until) = part.split_once(['-', '–', '~', '～'])?;
        let (from, until) = (clock(from)?, clock(until)?);
        let period = OpeningPeriod::new(weekday, from, until).ok()?;
        if periods
            .iter()
            .any(|p| p.opens_minute < until && from < p.closes_minute)
        {
            return None;
        }
        periods.push(period);
    }
    periods.sort_by_key(|p| p.opens_minute);
    Some(periods)
}

/// Writes periods back as the form shows them.
pub fn format_day_hours(periods: &[&OpeningPeriod]) -> String {
    let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
    periods
        .iter()
        .map(|p| format!("{}-{}", hm(p.opens_minute), hm(p.closes_minute)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A customer category's rate fields in the editor's form.
pub struct RateFields<'a> {
    /// Yuan per hour, as typed.
    pub rate: &'a str,
    /// The minimum charge in yuan, as typed.
    pub minimum: &'a str,
    pub rate_name: &'static str,
    pub minimum_name: &'static str,
}

impl ResourceForm {
    pub fn day_hours(&self, weekday: u8) -> &str {
        match weekday {
            1 => &self.hours_1,
            2 => &self.hours_2,
            3 => &self.hours_3,
            4 => &self.hours_4,
            5 => &self.hours_5,
            6 => &self.hours_6,
            _ => &self.hours_7,
        }
    }

    /// One customer category's rate and minimum charge as typed, with the names the form posts
    /// them under: the editor's rates section and the check below both go through it.
    pub fn rate_fields(&self, category: CustomerCategory) -> RateFields<'_> {
        let (rate, minimum, rate_name, minimum_name) = match category {
            CustomerCategory::Own => (&self.rate_own, &self.minimum_own, "rate_own", "minimum_own"),
            CustomerCategory::Zone => (
                &self.rate_zone,
                &self.minimum_zone,
                "rate_zone",
                "minimum_zone",
            ),
            CustomerCategory::External => (
                &self.rate_external,
                &self.minimum_external,
                "rate_external",
                "minimum_external",
            ),
            CustomerCategory::Sme => (&self.rate_sme, &self.minimum_sme, "rate_sme", "minimum_sme"),
        };
        RateFields {
            rate,
            minimum,
            rate_name,
            minimum_name,
        }
    }

    /// Checks every field; `this_year` bounds the purchase year.
    pub fn validate(&self, this_year: i64) -> Result<ValidResource, Refusal> {
        let kind = ResourceKind::parse(&self.kind).ok_or(("kind", "choice_unknown"))?;
        if self.category <= 0 {
            return Err(("category", "choice_unknown"));
        }
        let name = Bilingual {
            zh: text(&self.name_zh, "name_zh", MAX_NAME_CHARS, true)?,
            en: text(&self.name_en, "name_en", MAX_NAME_CHARS, false)?,
        };
        let purchase_year = match self.purchase_year.trim() {
            "" => None,
            y => Some(number(y, "purchase_year", 1950..=this_year, None)?),
        };
        let original_value = money(&self.original_value, "original_value")?.unwrap_or_default();
        let mut specifications = Vec::new();
        for line in self
            .specifications
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            let (label, value) = line
                .split_once([':', '：'])
                .ok_or(("specifications", "specification_invalid"))?;
            let (zh, en) = label.split_once('/').unwrap_or((label, ""));
            let (zh, en, value) = (zh.trim(), en.trim(), value.trim());
            if zh.is_empty() || value.is_empty() || line.chars().count() > 200 {
                return Err(("specifications", "specification_invalid"));
            }
            specifications.push(Specification {
                label_zh: zh.into(),
                label_en: en.into(),
                value: value.into(),
            });
        }
        if specifications.len() > MAX_SPECIFICATIONS {
            return Err(("specifications", "text_long"));
        }

        let slot = number(&self.slot_minutes, "slot_minutes", 5..=1440, Some(30))?;
        let min = number(
            &self.min_duration_minutes,
            "min_duration_minutes",
            1..=10_080,
            Some(slot),
        )?;
        let max = number(
            &self.max_duration_minutes,
            "max_duration_minutes",
            1..=43_200,
            Some(480),
        )?;
        if max < min {
            return Err(("max_duration_minutes", "duration_order"));
        }
        if min % slot != 0 || max % slot != 0 || 1440 % slot != 0 && slot % 1440 != 0 {
            return Err(("slot_minutes", "slot_mismatch"));
        }
        let rules = BookingRules {
            slot_minutes: slot,
            min_duration_minutes: min,
            max_duration_minutes: max,
            min_notice_minutes: number(
                &self.min_notice_hours,
                "min_notice_hours",
                0..=8760,
                Some(0),
            )? * 60,
            max_notice_days: number(&self.max_notice_days, "max_notice_days", 1..=730, Some(90))?,
            buffer_before_minutes: number(
                &self.buffer_before_minutes,
                "buffer_before_minutes",
                0..=1440,
                Some(0),
            )?,
            buffer_after_minutes: number(
                &self.buffer_after_minutes,
                "buffer_after_minutes",
                0..=1440,
                Some(0),
            )?,
            approval_required: self.approval.as_deref().is_some_and(|v| !v.is_empty()),
            audience: Audience::parse(&self.audience).ok_or(("audience", "choice_unknown"))?,
            cancel_cutoff_minutes: number(
                &self.cancel_cutoff_hours,
                "cancel_cutoff_hours",
                0..=8760,
                Some(24),
            )? * 60,
        };

        let mut hours = Vec::new();
        const DAY_FIELDS: [&str; 7] = [
            "hours_1", "hours_2", "hours_3", "hours_4", "hours_5", "hours_6", "hours_7",
        ];
        for (weekday, field) in (1..=7u8).zip(DAY_FIELDS) {
            hours.extend(
                parse_day_hours(weekday, self.day_hours(weekday))
                    .ok_or((field, "hours_invalid"))?,
            );
        }

        let mut closed_days = Vec::new();
        for line in self
            .closed_days
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            let (day, note) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let day = NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .ok()
                .filter(|d| super::time::plausible(*d))
                .ok_or(("closed_days", "date_invalid"))?;
            if !closed_days.iter().any(|(d, _)| *d == day) {
                closed_days.push((day, note.trim().chars().take(60).collect()));
            }
        }
        if closed_days.len() > MAX_CLOSED_DAYS {
            return Err(("closed_days", "text_long"));
        }

        let mut rates = Vec::new();
        for category in CustomerCategory::ALL {
            let f = self.rate_fields(*category);
            match (
                money(f.rate, f.rate_name)?,
                money(f.minimum, f.minimum_name)?,
            ) {
                (Some(per_hour), minimum) => {
                    rates.push((*category, per_hour, minimum.unwrap_or_default()))
                }
                (None, Some(_)) => return Err((f.rate_name, "rate_missing")),
                (None, None) => {}
            }
        }

        Ok(ValidResource {
            kind,
            category: self.category,
            name,
            model: text(&self.model, "model", MAX_SHORT_CHARS, false)?,
            manufacturer: text(&self.manufacturer, "manufacturer", MAX_SHORT_CHARS, false)?,
            serial_number: text(&self.serial_number, "serial_number", MAX_SHORT_CHARS, false)?,
            purchase_year,
            original_value,
            building: text(&self.building, "building", MAX_SHORT_CHARS, false)?,
            room: text(&self.room, "room", MAX_SHORT_CHARS, false)?,
            description: Bilingual {
                zh: paragraph(
                    &self.description_zh,
                    "description_zh",
                    MAX_DESCRIPTION_CHARS,
                    false,
                )?,
                en: paragraph(
                    &self.description_en,
                    "description_en",
                    MAX_DESCRIPTION_CHARS,
                    false,
                )?,
            },
            specifications,
            contact_name: text(&self.contact_name, "contact_name", MAX_SHORT_CHARS, false)?,
            contact_phone: match self.contact_phone.trim() {
                "" => String::new(),
                phone => super::account::check_phone(phone)
                    .map_err(|_| ("contact_phone", "phone_invalid"))?,
            },
            rules,
            hours,
            closed_days,
            rates,
            quotas: self.quotas()?,
        })
    }

    fn quotas(&self) -> Result<super::rules::Quotas, Refusal> {
        let optional = |raw: &str, field: &'static str, range: std::ops::RangeInclusive<i64>| {
            if raw.trim().is_empty() {
                Ok(None)
            } else {
                number(raw, field, range, None).map(Some)
            }
        };
        Ok(super::rules::Quotas {
            person_active: optional(&self.person_active_limit, "person_active_limit", 1..=1000)?,
            person_week_minutes: optional(&self.person_week_hours, "person_week_hours", 1..=168)?
                .map(|h| h * 60),
            organisation_active: optional(
                &self.organisation_active_limit,
                "organisation_active_limit",
                1..=1000,
            )?,
            organisation_week_minutes: optional(
                &self.organisation_week_hours,
                "organisation_week_hours",
                1..=168,
            )?
            .map(|h| h * 60),
        })
    }
}

/// A new accreditation entry as the form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccreditationForm {
    pub resource: i64,
    pub body: String,
    pub certificate_number: String,
    /// Standard codes, one per line or separated by commas / semicolons.
    pub standards: String,
    pub valid_from: String,
    pub valid_until: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidAccreditation {
    pub body: AccreditationBody,
    pub certificate_number: String,
    pub standards: Vec<String>,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
}

impl AccreditationForm {
    pub fn validate(&self) -> Result<ValidAccreditation, Refusal> {
        let body = AccreditationBody::parse(&self.body).ok_or(("body", "choice_unknown"))?;
        let certificate_number = text(
            &self.certificate_number,
            "certificate_number",
            MAX_SHORT_CHARS,
            true,
        )?;
        let mut standards: Vec<String> = Vec::new();
        for code in self
            .standards
            .split(['\n', ',', '，', ';', '；'])
            .map(|c| c.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|c| !c.is_empty())
        {
            if code.chars().count() > 60 {
                return Err(("standards", "text_long"));
            }
            if !standards.contains(&code) {
                standards.push(code);
            }
        }
        if standards.is_empty() {
            return Err(("standards", "text_missing"));
        }
        let day = |raw: &str, field: &'static str| {
            NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
                .ok()
                .filter(|d| super::time::plausible(*d))
                .ok_or((field, "date_invalid"))
        };
        let (valid_from, valid_until) = (
            day(&self.valid_from, "valid_from")?,
            day(&self.valid_until, "valid_until")?,
        );
        if valid_until < valid_from {
            return Err(("valid_until", "date_order"));
        }
        Ok(ValidAccreditation {
            body,
            certificate_number,
            standards,
            valid_from,
            valid_until,
        })
    }
}

/// A new blackout as the form sends it: local date-times "2026-12-01T09:00".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BlackoutForm {
    pub resource: i64,
    pub kind: String,
    pub starts: String,
    pub ends: String,
    pub note: String,
    /// Present when the admin chose to cancel the bookings the blackout hits.
    pub cancel_hits: Option<String>,
    /// Sent to each booker whose booking is cancelled.
    pub reason: String,
}

impl BlackoutForm {
    pub fn kind(&self) -> Result<BlackoutKind, Refusal> {
        BlackoutKind::parse(&self.kind).ok_or(("kind", "choice_unknown"))
    }

    pub fn cancels(&self) -> bool {
        self.cancel_hits.as_deref().is_some_and(|v| !v.is_empty())
    }
}

/// A booking a planned blackout would cancel, as the admin sees it before deciding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlackoutHit {
    pub booking: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub booker: String,
    pub organisation: Bilingual,
    pub status: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_fields_refuse_line_breaks_and_control_characters() {
        let f = ResourceForm {
            name_zh: "盐雾\r\nBcc: x@evil.example".into(),
            ..form()
        };
        assert_eq!(f.validate(2026).err(), Some(("name_zh", "text_control")));
        let f = ResourceForm {
            room: "A\u{1b}[2J".into(),
            ..form()
        };
        assert_eq!(f.validate(2026).err(), Some(("room", "text_control")));
        let f = ResourceForm {
            description_zh: "第一行\n第二行".into(),
            ..form()
        };
        assert!(f.validate(2026).is_ok(), "a description has lines");
    }

    fn form() -> ResourceForm {
        ResourceForm {
            institution: 1,
            kind: "facility".into(),
            category: 2,
            name_zh: "盐雾试验箱".into(),
            audience: "everyone".into(),
            hours_1: "08:30-12:00, 13:30-17:30".into(),
            hours_6: "09:00-12:00".into(),
            rate_external: "120".into(),
            minimum_external: "240".into(),
            specifications: "容积 / Volume: 1000 L\n温度：35 ℃".into(),
            closed_days: "2027-01-01 元旦\n2027-01-01".into(),
            ..ResourceForm::default()
        }
    }

    #[test]
    fn a_complete_form_becomes_a_resource_with_defaults_for_empty_rules() {
        let r = form().validate(2026).unwrap();
        assert_eq!(r.rules.slot_minutes, 30);
        assert_eq!(r.rules.min_duration_minutes, 30);
        assert_eq!(r.rules.cancel_cutoff_minutes, 24 * 60);
        assert!(!r.rules.approval_required);
        assert_eq!(r.hours.len(), 3);
        assert_eq!(
            (
                r.hours[0].weekday,
                r.hours[0].opens_minute,
                r.hours[0].closes_minute
            ),
            (1, 510, 720)
        );
        assert_eq!(r.specifications.len(), 2);
        assert_eq!(r.specifications[0].label_en, "Volume");
        assert_eq!(r.specifications[1].value, "35 ℃");
        assert_eq!(r.closed_days.len(), 1, "duplicates dropped");
        assert_eq!(
            r.rates,
            [(
                CustomerCategory::External,
                Money::yuan(120),
                Money::yuan(240)
            )]
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        type Change = fn(&mut ResourceForm);
        let cases: Vec<(Change, Refusal)> = vec![
            (|f| f.name_zh = " ".into(), ("name_zh", "text_missing")),
            (|f| f.kind = "robot".into(), ("kind", "choice_unknown")),
            (
                |f| f.purchase_year = "2031".into(),
                ("purchase_year", "number_invalid"),
            ),
            (
                |f| f.original_value = "lots".into(),
                ("original_value", "price_invalid"),
            ),
            (
                |f| f.hours_1 = "17:00-08:00".into(),
                ("hours_1", "hours_invalid"),
            ),
            (
                |f| f.hours_2 = "08:00-12:00, 11:00-13:00".into(),
                ("hours_2", "hours_invalid"),
            ),
            (|f| f.hours_3 = "9点".into(), ("hours_3", "hours_invalid")),
            (
                |f| {
                    f.min_duration_minutes = "120".into();
                    f.max_duration_minutes = "60".into();
                },
                ("max_duration_minutes", "duration_order"),
            ),
            (
                |f| f.min_duration_minutes = "45".into(),
                ("slot_minutes", "slot_mismatch"),
            ),
            (
                |f| f.closed_days = "next monday".into(),
                ("closed_days", "date_invalid"),
            ),
            (
                |f| f.minimum_sme = "50".into(),
                ("rate_sme", "rate_missing"),
            ),
            (
                |f| f.specifications = "no colon".into(),
                ("specifications", "specification_invalid"),
            ),
            (
                |f| f.contact_phone = "abc".into(),
                ("contact_phone", "phone_invalid"),
            ),
            (
                |f| f.audience = "friends".into(),
                ("audience", "choice_unknown"),
            ),
        ];
        for (change, refusal) in cases {
            let mut f = form();
            change(&mut f);
            assert_eq!(f.validate(2026), Err(refusal));
        }
    }

    #[test]
    fn day_hours_round_trip() {
        let periods = parse_day_hours(3, "13:30-17:30，08:00–12:00").unwrap();
        assert_eq!(
            format_day_hours(&periods.iter().collect::<Vec<_>>()),
            "08:00-12:00, 13:30-17:30"
        );
        assert_eq!(parse_day_hours(3, "").unwrap(), []);
        assert_eq!(
            parse_day_hours(3, "00:00-24:00").unwrap()[0].closes_minute,
            1440
        );
    }

    #[test]
    fn accreditation_needs_a_body_a_number_standards_and_ordered_dates() {
        let good = AccreditationForm {
            resource: 1,
            body: "CNAS".into(),
            certificate_number: "CNAS L1234".into(),
            standards: "GB/T 17626.3,  IEC  61000-4-3\nGB/T 17626.3".into(),
            valid_from: "2025-01-01".into(),
            valid_until: "2028-01-01".into(),
        };
        let v = good.validate().unwrap();
        assert_eq!(v.standards, ["GB/T 17626.3", "IEC 61000-4-3"]);
        let mut bad = good.clone();
        bad.valid_until = "2024-01-01".into();
        assert_eq!(bad.validate(), Err(("valid_until", "date_order")));
        let mut bad = good.clone();
        bad.standards = " ".into();
        assert_eq!(bad.validate(), Err(("standards", "text_missing")));
        let mut bad = good;
        bad.body = "ISO".into();
        assert_eq!(bad.validate(), Err(("body", "choice_unknown")));
    }
}

/// A planned or current blackout as the editor lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlackoutView {
    pub id: i64,
    pub kind: BlackoutKind,
    pub starts_at: i64,
    pub ends_at: i64,
    pub note: String,
}

/// An accreditation entry as the editor lists it (with its id, for removal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccreditationEntry {
    pub id: i64,
    pub view: super::catalogue::AccreditationView,
}

/// Everything the resource editor shows: the form (empty for a new resource), the choices, and
/// for an existing resource its accreditation and blackouts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceEditor {
    pub form: ResourceForm,
    pub categories: Vec<super::catalogue::Named<super::ids::CategoryId>>,
    /// The institutions the person runs (a new resource belongs to one of them).
    pub institutions: Vec<super::catalogue::Named<super::ids::OrganisationId>>,
    pub accreditations: Vec<AccreditationEntry>,
    pub blackouts: Vec<BlackoutView>,
    pub photos: Vec<super::catalogue::PhotoView>,
    pub utc_offset_seconds: i32,
}

/// An institution's own equipment list, with what needs the admin's attention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstitutionResources {
    pub institution: super::catalogue::Named<super::ids::OrganisationId>,
    pub institutions: Vec<super::catalogue::Named<super::ids::OrganisationId>>,
    pub resources: Vec<super::catalogue::ResourceSummary>,
    /// Accreditation expired or expiring within 60 days: resource, name, body, certificate, until.
    pub warnings: Vec<AccreditationWarning>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccreditationWarning {
    pub resource: super::ids::ResourceId,
    pub name: Bilingual,
    pub body: AccreditationBody,
    pub certificate_number: String,
    pub valid_until: NaiveDate,
    pub expired: bool,
}
