//! Utilisation and sharing reports: the figures zone managers and institutions report upward, with
//! their definitions. The database sums the bookings (`backend::report`); this module holds the
//! definitions, the period arithmetic and the pure parts (heatmap spreading, totals, tables).
//!
//! For a period of whole local days:
//! - **available hours**: opening hours in the period, less closed days and blackouts;
//! - **used hours**: confirmed and completed bookings, each clipped to the period;
//! - **no-show hours**: held by bookings whose booker did not come (not counted as used);
//! - **utilisation** = used ÷ available;
//! - **external hours**: used hours booked by organisations other than the owning institution;
//! - **share rate (共享率)** = external ÷ used;
//! - **SME hours**: used hours booked at the SME (中小微企业) category;
//! - **bookings**: confirmed, completed and no-show bookings that start in the period; cancelled
//!   ones are counted apart; **cancellation rate** = cancelled ÷ (bookings + cancelled);
//!   **no-show rate** = no-shows ÷ bookings;
//! - **external organisations**: distinct organisations other than the owner with used hours;
//! - **income**: the booked price of confirmed and completed bookings that start in the period.

use super::catalogue::{AccreditationBody, AccreditationStanding, Bilingual, Named};
use super::ids::{OrganisationId, ResourceId};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

text_enum! {
    /// How the period of a report is chosen.
    PeriodKind { Month = "month", Quarter = "quarter", Year = "year", Custom = "custom" }
}

/// Which report is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Zone,
    Institution,
}

/// The longest custom period, in days.
pub const MAX_PERIOD_DAYS: i64 = 3 * 366;

/// A report's period: the local days `from ..= to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub kind: PeriodKind,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// The last day of the month that `first` begins.
fn month_end(first: NaiveDate) -> NaiveDate {
    let next = if first.month() == 12 {
        date(first.year() + 1, 1, 1)
    } else {
        date(first.year(), first.month() + 1, 1)
    };
    next.and_then(|d| d.pred_opt()).unwrap_or(first)
}

impl Period {
    /// The period a report form asks for; `today` supplies what is left out. Errors name the field.
    pub fn choose(
        kind: Option<PeriodKind>,
        year: Option<i32>,
        number: Option<u32>,
        custom: (Option<NaiveDate>, Option<NaiveDate>),
        today: NaiveDate,
    ) -> Result<Period, (&'static str, &'static str)> {
        let kind = kind.unwrap_or(PeriodKind::Year);
        let year = year.unwrap_or(today.year());
        if !(2000..=2100).contains(&year) {
            return Err(("year", "choice_unknown"));
        }
        let (from, to) = match kind {
            PeriodKind::Year => (date(year, 1, 1), date(year, 12, 31)),
            PeriodKind::Quarter => {
                let q = number.unwrap_or((today.month0() / 3) + 1);
                if !(1..=4).contains(&q) {
                    return Err(("number", "choice_unknown"));
                }
                let first = date(year, 3 * q - 2, 1);
                (
                    first,
                    first
                        .and_then(|f| date(f.year(), f.month() + 2, 1))
                        .map(month_end),
                )
            }
            PeriodKind::Month => {
                let m = number.unwrap_or(today.month());
                if !(1..=12).contains(&m) {
                    return Err(("number", "choice_unknown"));
                }
                let first = date(year, m, 1);
                (first, first.map(month_end))
            }
            PeriodKind::Custom => {
                let from = custom.0.ok_or(("from", "period_dates_missing"))?;
                let to = custom.1.ok_or(("to", "period_dates_missing"))?;
                if to < from {
                    return Err(("to", "period_reversed"));
                }
                if (to - from).num_days() >= MAX_PERIOD_DAYS {
                    return Err(("to", "period_too_long"));
                }
                (Some(from), Some(to))
            }
        };
        match (from, to) {
            (Some(from), Some(to)) => Ok(Period { kind, from, to }),
            _ => Err(("year", "choice_unknown")),
        }
    }

    /// The calendar months the period touches, each clipped to the period.
    pub fn months(&self) -> Vec<(NaiveDate, NaiveDate)> {
        let mut out = Vec::new();
        let mut first = self.from;
        while first <= self.to {
            let last = month_end(first).min(self.to);
            out.push((first, last));
            match last.succ_opt() {
                Some(next) => first = next,
                None => break,
            }
        }
        out
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
}

/// The figures of one row of a report (a resource, an institution, a category, a month, the total).
/// Times are in seconds and money in fen; see the module's header for the definitions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub available: i64,
    pub used: i64,
    pub no_show_time: i64,
    pub external: i64,
    pub sme: i64,
    pub bookings: i64,
    pub cancelled: i64,
    pub no_shows: i64,
    pub income_fen: i64,
    pub external_organisations: i64,
}

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

impl Figures {
    pub fn utilisation(&self) -> Option<f64> {
        ratio(self.used, self.available)
    }
    pub fn share_rate(&self) -> Option<f64> {
        ratio(self.external, self.used)
    }
    pub fn cancellation_rate(&self) -> Option<f64> {
        ratio(self.cancelled, self.bookings + self.cancelled)
    }
    pub fn no_show_rate(&self) -> Option<f64> {
        ratio(self.no_shows, self.bookings)
    }

    /// Adds `other`'s additive figures; distinct organisations are not additive and are left to
    /// the caller.
    pub fn add(&mut self, other: &Figures) {
        self.available += other.available;
        self.used += other.used;
        self.no_show_time += other.no_show_time;
        self.external += other.external;
        self.sme += other.sme;
        self.bookings += other.bookings;
        self.cancelled += other.cancelled;
        self.no_shows += other.no_shows;
        self.income_fen += other.income_fen;
    }
}

/// One row of a breakdown: a resource (with its institution and category), an institution or a
/// category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub id: i64,
    pub name: Bilingual,
    /// For a resource: its institution and category.
    pub institution: Option<Bilingual>,
    pub category: Option<Bilingual>,
    pub resources: i64,
    pub figures: Figures,
}

/// One month of the trend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthLine {
    /// The first day of the month (or of the period, for a period starting mid-month).
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub figures: Figures,
}

/// Used seconds per local weekday (0 = Monday) and hour.
pub type Heatmap = Vec<[i64; 24]>;

/// Spreads grouped bookings over the weekday × hour grid: each group is the minute of the week
/// (from Monday 00:00 local) its bookings start at, their length in seconds, and how many there
/// are. A booking running past Sunday midnight carries on into Monday.
pub fn spread_heatmap(groups: &[(i64, i64, i64)]) -> Heatmap {
    const WEEK: i64 = 7 * 24 * 3600;
    let mut grid = vec![[0i64; 24]; 7];
    for &(minute, length, count) in groups {
        let mut at = (minute * 60).rem_euclid(WEEK);
        let mut left = length.min(WEEK);
        // Whole weeks are spread evenly; what remains walks hour by hour.
        if length >= WEEK {
            for row in grid.iter_mut() {
                for cell in row.iter_mut() {
                    *cell += (length / WEEK) * 3600 * count;
                }
            }
            left = length % WEEK;
        }
        while left > 0 {
            let hour = at / 3600;
            let take = (3600 - at % 3600).min(left);
            grid[(hour / 24) as usize][(hour % 24) as usize] += take * count;
            left -= take;
            at = (at + take) % WEEK;
        }
    }
    grid
}

/// An accreditation entry in the overview: expired, or expiring within the warning period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccreditationLine {
    pub resource: Named<ResourceId>,
    pub institution: Bilingual,
    pub body: AccreditationBody,
    pub certificate_number: String,
    pub valid_until: NaiveDate,
    pub standing: AccreditationStanding,
}

/// Counts of the accreditation entries of the report's resources by standing, today.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccreditationCounts {
    pub valid: i64,
    pub expiring: i64,
    pub expired: i64,
}

/// Whose report it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ReportScope {
    Zone { name: Bilingual },
    Institution { id: OrganisationId, name: Bilingual },
}

/// A utilisation and sharing report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub scope: ReportScope,
    pub period: Period,
    pub totals: Figures,
    pub institutions: Vec<Line>,
    pub categories: Vec<Line>,
    /// Most used first; the page shows the first [`RESOURCE_ROWS_SHOWN`], the exports all.
    pub resources: Vec<Line>,
    pub resource_count: usize,
    pub months: Vec<MonthLine>,
    pub heatmap: Heatmap,
    /// Resources open in the period and used less than `idle_below` of their open time.
    pub idle_below: f64,
    pub idle: Vec<Line>,
    pub idle_count: usize,
    pub accreditation: Vec<AccreditationLine>,
    pub accreditation_counts: AccreditationCounts,
    /// The zone's date when the report was made (accreditation is judged on it).
    pub today: NaiveDate,
    /// Institutions the reader may switch to (zone managers: every institution of the zone).
    pub institution_choices: Vec<Named<OrganisationId>>,
    /// Testing services and the needs board in the period.
    pub services: ServiceFigures,
}

/// Testing orders and needs in a report's period. Orders are counted when placed (by the state
/// they are in now); samples, turnaround and income when their report was issued; needs when
/// posted, with their answers whenever they came.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceFigures {
    pub orders: i64,
    pub by_state: Vec<(super::services::OrderStatus, i64)>,
    /// Of the orders placed, the share placed by SMEs (at the SME rate).
    pub sme_share: Option<f64>,
    pub samples_tested: i64,
    /// Working days from the samples' arrival (or the acceptance) to the report, median.
    pub median_turnaround_days: Option<f64>,
    pub median_promised_days: Option<f64>,
    /// Share of the reports issued within the promised working days.
    pub on_time: Option<f64>,
    pub income_fen: i64,
    pub needs_posted: i64,
    pub needs_answered: i64,
    pub needs_matched: i64,
    pub median_first_offer_hours: Option<f64>,
}

/// The median of `values` (the mean of the middle two for an even count); none when empty.
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

/// How many resource rows (and idle rows) the page shows; the exports carry all of them.
pub const RESOURCE_ROWS_SHOWN: usize = 50;

/// Groups resource lines by a key (institution or category), summing their figures; distinct
/// external organisations are counted from `organisations` (by resource id).
pub fn roll_up<K: Copy + Eq + std::hash::Hash + Ord>(
    resources: &[(Line, K)],
    name_of: impl Fn(K) -> Bilingual,
    id_of: impl Fn(K) -> i64,
    organisations: &HashMap<i64, Vec<i64>>,
) -> Vec<Line> {
    use std::collections::BTreeMap;
    let mut groups: BTreeMap<K, (Figures, i64, IdSet)> = BTreeMap::new();
    for (line, key) in resources {
        let g = groups.entry(*key).or_default();
        g.0.add(&line.figures);
        g.1 += 1;
        g.2.extend(organisations.get(&line.id).into_iter().flatten().copied());
    }
    let mut out: Vec<Line> = groups
        .into_iter()
        .map(|(key, (mut figures, count, orgs))| {
            figures.external_organisations = orgs.len() as i64;
            Line {
                id: id_of(key),
                name: name_of(key),
                institution: None,
                category: None,
                resources: count,
                figures,
            }
        })
        .collect();
    out.sort_by(|a, b| b.figures.used.cmp(&a.figures.used).then(a.id.cmp(&b.id)));
    out
}

/// A set of ids, as bits for the small non-negative ones database keys are: a zone report of a
/// year unions ~400,000 (resource, organisation) pairs three times (by institution, by category,
/// in all), where a hash set's inserts cost tens of nanoseconds each.
#[derive(Debug, Default)]
pub struct IdSet {
    bits: Vec<u64>,
    others: std::collections::HashSet<i64>,
    len: usize,
}

impl IdSet {
    /// Ids up to this are kept as bits (a set of them all is 2 MB).
    const BITS_UP_TO: i64 = 1 << 24;

    pub fn insert(&mut self, id: i64) {
        if !(0..Self::BITS_UP_TO).contains(&id) {
            if self.others.insert(id) {
                self.len += 1;
            }
            return;
        }
        let (word, bit) = ((id >> 6) as usize, 1u64 << (id & 63));
        if word >= self.bits.len() {
            self.bits.resize(word + 1, 0);
        }
        if self.bits[word] & bit == 0 {
            self.bits[word] |= bit;
            self.len += 1;
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Extend<i64> for IdSet {
    fn extend<I: IntoIterator<Item = i64>>(&mut self, ids: I) {
        for id in ids {
            self.insert(id);
        }
    }
}

text_enum! {
    /// The tables of a report, each exportable on its own.
    TableName {
        Summary = "summary",
        Institutions = "institutions",
        Categories = "categories",
        Resources = "resources",
        Months = "months",
        Heatmap = "heatmap",
        Idle = "idle",
        Accreditation = "accreditation",
        Services = "services",
    }
}

text_enum! {
    /// A column of a report table; its heading is translated where it is shown.
    Column {
        Indicator = "indicator",
        Value = "value",
        Institution = "institution",
        Category = "category",
        Resource = "resource",
        Month = "month",
        Weekday = "weekday",
        Resources = "resources",
        Available = "available",
        Used = "used",
        Utilisation = "utilisation",
        External = "external",
        ShareRate = "share_rate",
        Sme = "sme",
        NoShowTime = "no_show_time",
        Bookings = "bookings",
        Cancelled = "cancelled",
        CancellationRate = "cancellation_rate",
        NoShows = "no_shows",
        NoShowRate = "no_show_rate",
        Organisations = "organisations",
        Income = "income",
        Body = "body",
        Certificate = "certificate",
        ValidUntil = "valid_until",
        Standing = "standing",
        Orders = "orders",
        SamplesTested = "samples_tested",
        MedianTurnaround = "median_turnaround",
        MedianPromised = "median_promised",
        OnTime = "on_time",
        ServiceIncome = "service_income",
        SmeOrders = "sme_orders",
        NeedsPosted = "needs_posted",
        NeedsAnswered = "needs_answered",
        NeedsMatched = "needs_matched",
        FirstOffer = "first_offer",
    }
}

/// One cell of a report table. Times are seconds (shown as hours), money fen (shown as yuan).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Cell {
    Text(Bilingual),
    /// A label the reader's language supplies (an indicator, a weekday, a standing…).
    Label(Column),
    Weekday(u8),
    Standing(AccreditationStanding),
    Body(AccreditationBody),
    Int(i64),
    Hours(i64),
    Percent(Option<f64>),
    Money(i64),
    Date(NaiveDate),
    /// Orders in a state (a row label of the services table).
    OrderState(super::services::OrderStatus),
    /// A figure with one decimal (days, hours), or none.
    Decimal(Option<f64>),
}

/// A table of a report, as shown on the page and exported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub name: TableName,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

/// The figure columns every breakdown carries, after its name columns.
pub const FIGURE_COLUMNS: [Column; 15] = [
    Column::Available,
    Column::Used,
    Column::Utilisation,
    Column::External,
    Column::ShareRate,
    Column::Sme,
    Column::NoShowTime,
    Column::Bookings,
    Column::Cancelled,
    Column::CancellationRate,
    Column::NoShows,
    Column::NoShowRate,
    Column::Organisations,
    Column::Income,
    Column::Resources,
];

fn figure_cells(f: &Figures, resources: i64) -> Vec<Cell> {
    vec![
        Cell::Hours(f.available),
        Cell::Hours(f.used),
        Cell::Percent(f.utilisation()),
        Cell::Hours(f.external),
        Cell::Percent(f.share_rate()),
        Cell::Hours(f.sme),
        Cell::Hours(f.no_show_time),
        Cell::Int(f.bookings),
        Cell::Int(f.cancelled),
        Cell::Percent(f.cancellation_rate()),
        Cell::Int(f.no_shows),
        Cell::Percent(f.no_show_rate()),
        Cell::Int(f.external_organisations),
        Cell::Money(f.income_fen),
        Cell::Int(resources),
    ]
}

fn breakdown(
    name: TableName,
    first: &[Column],
    lines: &[Line],
    names: impl Fn(&Line) -> Vec<Cell>,
) -> Table {
    Table {
        name,
        columns: first.iter().chain(FIGURE_COLUMNS.iter()).copied().collect(),
        rows: lines
            .iter()
            .map(|l| {
                let mut row = names(l);
                row.extend(figure_cells(&l.figures, l.resources));
                row
            })
            .collect(),
    }
}

impl Report {
    /// The key figures as (indicator, value) rows: the head of the summary table (情况汇总表).
    pub fn summary(&self) -> Table {
        let t = &self.totals;
        let rows = [
            (Column::Resources, Cell::Int(self.resource_count as i64)),
            (Column::Available, Cell::Hours(t.available)),
            (Column::Used, Cell::Hours(t.used)),
            (Column::Utilisation, Cell::Percent(t.utilisation())),
            (Column::External, Cell::Hours(t.external)),
            (Column::ShareRate, Cell::Percent(t.share_rate())),
            (Column::Sme, Cell::Hours(t.sme)),
            (Column::Organisations, Cell::Int(t.external_organisations)),
            (Column::Bookings, Cell::Int(t.bookings)),
            (
                Column::CancellationRate,
                Cell::Percent(t.cancellation_rate()),
            ),
            (Column::NoShowRate, Cell::Percent(t.no_show_rate())),
            (Column::NoShowTime, Cell::Hours(t.no_show_time)),
            (Column::Income, Cell::Money(t.income_fen)),
        ];
        Table {
            name: TableName::Summary,
            columns: vec![Column::Indicator, Column::Value],
            rows: rows
                .into_iter()
                .map(|(label, value)| vec![Cell::Label(label), value])
                .collect(),
        }
    }

    /// One table of the report.
    pub fn table(&self, name: TableName) -> Table {
        let text = |b: &Option<Bilingual>| Cell::Text(b.clone().unwrap_or_default());
        match name {
            TableName::Summary => self.summary(),
            TableName::Institutions => {
                breakdown(name, &[Column::Institution], &self.institutions, |l| {
                    vec![Cell::Text(l.name.clone())]
                })
            }
            TableName::Categories => breakdown(name, &[Column::Category], &self.categories, |l| {
                vec![Cell::Text(l.name.clone())]
            }),
            TableName::Resources | TableName::Idle => {
                let lines = if name == TableName::Idle {
                    &self.idle
                } else {
                    &self.resources
                };
                breakdown(
                    name,
                    &[Column::Resource, Column::Institution, Column::Category],
                    lines,
                    |l| {
                        vec![
                            Cell::Text(l.name.clone()),
                            text(&l.institution),
                            text(&l.category),
                        ]
                    },
                )
            }
            TableName::Months => Table {
                name,
                columns: std::iter::once(Column::Month)
                    .chain(FIGURE_COLUMNS[..14].iter().copied())
                    .filter(|c| *c != Column::Organisations)
                    .collect(),
                rows: self
                    .months
                    .iter()
                    .map(|m| {
                        let mut row = vec![Cell::Date(m.from)];
                        let mut cells = figure_cells(&m.figures, 0);
                        cells.truncate(14);
                        cells.remove(12);
                        row.extend(cells);
                        row
                    })
                    .collect(),
            },
            TableName::Heatmap => Table {
                name,
                columns: std::iter::once(Column::Weekday)
                    .chain(std::iter::repeat_n(Column::Used, 24))
                    .collect(),
                rows: self
                    .heatmap
                    .iter()
                    .enumerate()
                    .map(|(day, hours)| {
                        std::iter::once(Cell::Weekday(day as u8 + 1))
                            .chain(hours.iter().map(|s| Cell::Hours(*s)))
                            .collect()
                    })
                    .collect(),
            },
            TableName::Services => {
                let f = &self.services;
                let mut rows = vec![vec![Cell::Label(Column::Orders), Cell::Int(f.orders)]];
                rows.extend(
                    f.by_state
                        .iter()
                        .map(|(state, n)| vec![Cell::OrderState(*state), Cell::Int(*n)]),
                );
                rows.extend(
                    [
                        (Column::SmeOrders, Cell::Percent(f.sme_share)),
                        (Column::SamplesTested, Cell::Int(f.samples_tested)),
                        (
                            Column::MedianTurnaround,
                            Cell::Decimal(f.median_turnaround_days),
                        ),
                        (
                            Column::MedianPromised,
                            Cell::Decimal(f.median_promised_days),
                        ),
                        (Column::OnTime, Cell::Percent(f.on_time)),
                        (Column::ServiceIncome, Cell::Money(f.income_fen)),
                        (Column::NeedsPosted, Cell::Int(f.needs_posted)),
                        (Column::NeedsAnswered, Cell::Int(f.needs_answered)),
                        (Column::NeedsMatched, Cell::Int(f.needs_matched)),
                        (
                            Column::FirstOffer,
                            Cell::Decimal(f.median_first_offer_hours),
                        ),
                    ]
                    .into_iter()
                    .map(|(label, value)| vec![Cell::Label(label), value]),
                );
                Table {
                    name,
                    columns: vec![Column::Indicator, Column::Value],
                    rows,
                }
            }
            TableName::Accreditation => Table {
                name,
                columns: vec![
                    Column::Resource,
                    Column::Institution,
                    Column::Body,
                    Column::Certificate,
                    Column::ValidUntil,
                    Column::Standing,
                ],
                rows: self
                    .accreditation
                    .iter()
                    .map(|a| {
                        vec![
                            Cell::Text(a.resource.name.clone()),
                            Cell::Text(a.institution.clone()),
                            Cell::Body(a.body),
                            Cell::Text(Bilingual {
                                zh: a.certificate_number.clone(),
                                en: a.certificate_number.clone(),
                            }),
                            Cell::Date(a.valid_until),
                            Cell::Standing(a.standing),
                        ]
                    })
                    .collect(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn periods_are_whole_calendar_units() {
        let today = d(2026, 11, 30);
        let p = Period::choose(
            Some(PeriodKind::Quarter),
            Some(2024),
            Some(1),
            (None, None),
            today,
        )
        .unwrap();
        assert_eq!((p.from, p.to), (d(2024, 1, 1), d(2024, 3, 31)));
        assert_eq!(p.months().len(), 3);
        let p =
            Period::choose(Some(PeriodKind::Month), None, Some(2), (None, None), today).unwrap();
        assert_eq!((p.from, p.to), (d(2026, 2, 1), d(2026, 2, 28)));
        let p = Period::choose(None, None, None, (None, None), today).unwrap();
        assert_eq!(
            (p.from, p.to, p.days()),
            (d(2026, 1, 1), d(2026, 12, 31), 365)
        );
        let p = Period::choose(
            Some(PeriodKind::Custom),
            None,
            None,
            (Some(d(2026, 1, 20)), Some(d(2026, 3, 5))),
            today,
        )
        .unwrap();
        assert_eq!(
            p.months(),
            vec![
                (d(2026, 1, 20), d(2026, 1, 31)),
                (d(2026, 2, 1), d(2026, 2, 28)),
                (d(2026, 3, 1), d(2026, 3, 5))
            ]
        );
        let refused =
            |kind, number, custom| Period::choose(Some(kind), None, number, custom, today);
        assert_eq!(
            refused(PeriodKind::Month, Some(13), (None, None)),
            Err(("number", "choice_unknown"))
        );
        assert_eq!(
            refused(
                PeriodKind::Custom,
                None,
                (Some(d(2026, 2, 1)), Some(d(2026, 1, 1)))
            ),
            Err(("to", "period_reversed"))
        );
        assert_eq!(
            refused(
                PeriodKind::Custom,
                None,
                (Some(d(2020, 1, 1)), Some(d(2026, 1, 1)))
            ),
            Err(("to", "period_too_long"))
        );
    }

    #[test]
    fn heatmap_spreads_bookings_over_hours_and_wraps_the_week() {
        // Monday 09:30 for 2 h, three of them; Sunday 23:00 for 2 h, one.
        let grid = spread_heatmap(&[(9 * 60 + 30, 7200, 3), (6 * 1440 + 23 * 60, 7200, 1)]);
        assert_eq!(grid[0][9], 3 * 1800);
        assert_eq!(grid[0][10], 3 * 3600);
        assert_eq!(grid[0][11], 3 * 1800);
        assert_eq!(grid[6][23], 3600);
        assert_eq!(grid[0][0], 3600);
        let total: i64 = grid.iter().flatten().sum();
        assert_eq!(total, 3 * 7200 + 7200);
        // Longer than a week: every hour gets the whole weeks, the rest walks on.
        let grid = spread_heatmap(&[(0, 7 * 24 * 3600 + 3600, 1)]);
        assert_eq!(grid[0][0], 7200);
        assert_eq!(grid[3][5], 3600);
    }

    #[test]
    fn rates_are_none_without_a_denominator() {
        let f = Figures {
            available: 100,
            used: 40,
            external: 30,
            bookings: 4,
            cancelled: 1,
            no_shows: 1,
            ..Figures::default()
        };
        assert_eq!(f.utilisation(), Some(0.4));
        assert_eq!(f.share_rate(), Some(0.75));
        assert_eq!(f.cancellation_rate(), Some(0.2));
        assert_eq!(f.no_show_rate(), Some(0.25));
        assert_eq!(Figures::default().share_rate(), None);
    }
}

#[cfg(test)]
mod id_set_tests {
    use super::IdSet;
    use proptest::prelude::*;

    proptest! {
        /// Counts exactly what a hash set counts, for small, large and negative ids.
        #[test]
        fn id_set_counts_like_a_hash_set(ids in prop::collection::vec(prop_oneof![0i64..5_000, -10i64..0, (1i64 << 24)..(1i64 << 24) + 10, any::<i64>()], 0..400)) {
            let mut set = IdSet::default();
            set.extend(ids.iter().copied());
            let expected: std::collections::HashSet<i64> = ids.into_iter().collect();
            prop_assert_eq!(set.len(), expected.len());
        }
    }
}
