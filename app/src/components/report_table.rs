//! Report tables in the reader's language: headings, cells as text, and the table itself. The
//! page and the exports (CSV, XLSX) use the same headings and figures.

use crate::domain::catalogue::{AccreditationBody, AccreditationStanding};
use crate::domain::report::{Cell, Column, Table, TableName};
use crate::i18n::*;
use leptos::prelude::*;

pub fn column_label(locale: Locale, column: Column) -> &'static str {
    match column {
        Column::Indicator => td_string!(locale, report.col.indicator),
        Column::Value => td_string!(locale, report.col.value),
        Column::Institution => td_string!(locale, report.col.institution),
        Column::Category => td_string!(locale, report.col.category),
        Column::Resource => td_string!(locale, report.col.resource),
        Column::Month => td_string!(locale, report.col.month),
        Column::Weekday => td_string!(locale, report.col.weekday),
        Column::Resources => td_string!(locale, report.col.resources),
        Column::Available => td_string!(locale, report.col.available),
        Column::Used => td_string!(locale, report.col.used),
        Column::Utilisation => td_string!(locale, report.col.utilisation),
        Column::External => td_string!(locale, report.col.external),
        Column::ShareRate => td_string!(locale, report.col.share_rate),
        Column::Sme => td_string!(locale, report.col.sme),
        Column::NoShowTime => td_string!(locale, report.col.no_show_time),
        Column::Bookings => td_string!(locale, report.col.bookings),
        Column::Cancelled => td_string!(locale, report.col.cancelled),
        Column::CancellationRate => td_string!(locale, report.col.cancellation_rate),
        Column::NoShows => td_string!(locale, report.col.no_shows),
        Column::NoShowRate => td_string!(locale, report.col.no_show_rate),
        Column::Organisations => td_string!(locale, report.col.organisations),
        Column::Income => td_string!(locale, report.col.income),
        Column::Body => td_string!(locale, report.col.body),
        Column::Certificate => td_string!(locale, report.col.certificate),
        Column::ValidUntil => td_string!(locale, report.col.valid_until),
        Column::Standing => td_string!(locale, report.col.standing),
        Column::Orders => td_string!(locale, report.col.orders),
        Column::SamplesTested => td_string!(locale, report.col.samples_tested),
        Column::MedianTurnaround => td_string!(locale, report.col.median_turnaround),
        Column::MedianPromised => td_string!(locale, report.col.median_promised),
        Column::OnTime => td_string!(locale, report.col.on_time),
        Column::ServiceIncome => td_string!(locale, report.col.service_income),
        Column::SmeOrders => td_string!(locale, report.col.sme_orders),
        Column::NeedsPosted => td_string!(locale, report.col.needs_posted),
        Column::NeedsAnswered => td_string!(locale, report.col.needs_answered),
        Column::NeedsMatched => td_string!(locale, report.col.needs_matched),
        Column::FirstOffer => td_string!(locale, report.col.first_offer),
    }
}

/// The name of a table, as a section heading and a worksheet name.
pub fn table_label(locale: Locale, name: TableName) -> &'static str {
    match name {
        TableName::Summary => td_string!(locale, report.sheet.summary),
        TableName::Institutions => td_string!(locale, report.sheet.institutions),
        TableName::Categories => td_string!(locale, report.sheet.categories),
        TableName::Resources => td_string!(locale, report.sheet.resources),
        TableName::Months => td_string!(locale, report.sheet.months),
        TableName::Heatmap => td_string!(locale, report.sheet.heatmap),
        TableName::Idle => td_string!(locale, report.sheet.idle),
        TableName::Accreditation => td_string!(locale, report.sheet.accreditation),
        TableName::Services => td_string!(locale, report.sheet.services),
    }
}

pub fn weekday_label(locale: Locale, weekday: u8) -> &'static str {
    match weekday {
        1 => td_string!(locale, weekday.mon),
        2 => td_string!(locale, weekday.tue),
        3 => td_string!(locale, weekday.wed),
        4 => td_string!(locale, weekday.thu),
        5 => td_string!(locale, weekday.fri),
        6 => td_string!(locale, weekday.sat),
        _ => td_string!(locale, weekday.sun),
    }
}

/// The heading of column `i` of `table` (the heatmap's hour columns are named by hour).
pub fn heading(locale: Locale, table: &Table, i: usize) -> String {
    match (table.name, i) {
        (TableName::Heatmap, i) if i > 0 => format!("{:02}:00", i - 1),
        _ => table
            .columns
            .get(i)
            .map(|c| column_label(locale, *c).to_string())
            .unwrap_or_default(),
    }
}

/// Hours with one decimal, from seconds.
pub fn hours(seconds: i64) -> f64 {
    (seconds as f64 / 360.0).round() / 10.0
}

/// A cell as text: hours with one decimal, rates as percentages, money in yuan.
pub fn cell_text(locale: Locale, cell: &Cell) -> String {
    let english = locale == Locale::en;
    match cell {
        Cell::Text(b) => b.pick(english).to_string(),
        Cell::Label(c) => column_label(locale, *c).to_string(),
        Cell::Weekday(d) => weekday_label(locale, *d).to_string(),
        Cell::Standing(s) => match s {
            AccreditationStanding::Valid => td_string!(locale, accreditation.valid),
            AccreditationStanding::Expiring => td_string!(locale, accreditation.expiring),
            AccreditationStanding::Expired => td_string!(locale, accreditation.expired),
        }
        .to_string(),
        Cell::Body(b) => match b {
            AccreditationBody::Cma => "CMA",
            AccreditationBody::Cnas => "CNAS",
            AccreditationBody::Other => td_string!(locale, accreditation.other),
        }
        .to_string(),
        Cell::Int(n) => n.to_string(),
        Cell::Hours(s) => format!("{:.1}", hours(*s)),
        Cell::Percent(p) => p
            .map(|p| format!("{:.1}%", p * 100.0))
            .unwrap_or_else(|| "—".into()),
        Cell::Money(fen) => format!("{}.{:02}", fen / 100, fen % 100),
        Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
        Cell::OrderState(state) => crate::wording::order_status(locale, *state).to_string(),
        Cell::Decimal(value) => value
            .map(|v| format!("{v:.1}"))
            .unwrap_or_else(|| "—".into()),
    }
}

fn is_number(cell: &Cell) -> bool {
    matches!(
        cell,
        Cell::Int(_) | Cell::Hours(_) | Cell::Percent(_) | Cell::Money(_) | Cell::Decimal(_)
    )
}

/// A report table with its caption; numbers right-aligned, the first column as row headers.
#[component]
pub fn DataTable(table: Table, #[prop(into)] caption: String) -> impl IntoView {
    let i18n = use_i18n();
    let locale = move || i18n.get_locale();
    let name = table.name.as_str();
    let headings = (0..table.columns.len())
        .map(|i| {
            let table = table.clone();
            let numeric = table
                .rows
                .first()
                .and_then(|r| r.get(i))
                .is_some_and(is_number);
            view! { <th scope="col" class:num=numeric>{move || heading(locale(), &table, i)}</th> }
        })
        .collect_view();
    let rows = table
        .rows
        .into_iter()
        .map(|row| {
            let cells = row
                .into_iter()
                .enumerate()
                .map(|(i, cell)| {
                    let numeric = is_number(&cell);
                    let text = move || cell_text(locale(), &cell);
                    if i == 0 {
                        view! { <th scope="row">{text}</th> }.into_any()
                    } else {
                        view! { <td class:num=numeric>{text}</td> }.into_any()
                    }
                })
                .collect_view();
            view! { <tr>{cells}</tr> }
        })
        .collect_view();
    view! {
        <div class="table-wrap" tabindex="0">
            <table class="table table--report" data-testid=format!("report-{name}")>
                <caption class="visually-hidden">{caption}</caption>
                <thead><tr>{headings}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The heading of the summary table: "<zone>仪器设施共享情况汇总表".
pub fn summary_title(locale: Locale, scope: &str) -> String {
    td_string!(locale, report.summary_title, zone = scope).to_string()
}

/// "统计期间: 2026-01-01 至 2026-12-31".
pub fn period_line(locale: Locale, from: chrono::NaiveDate, to: chrono::NaiveDate) -> String {
    let range = td_string!(
        locale,
        report.range,
        from = from.format("%Y-%m-%d").to_string(),
        to = to.format("%Y-%m-%d").to_string()
    );
    format!("{}: {range}", td_string!(locale, report.period))
}
