//! `/reports` (zone managers) and `/institution/report` (institution admins, and the zone's
//! managers for any institution): utilisation and sharing for a period, as figures, SVG charts
//! with their tables, and downloads. A plain GET form chooses the period, like every search.

use crate::api::report::{institution_report, zone_report, ReportQuery, Which};
use crate::components::charts::{Bar, Columns, HeatmapGrid, HorizontalBars};
use crate::components::data::page_resource;
use crate::components::error_view::ErrorView;
use crate::components::report_table::{cell_text, hours, table_label, weekday_label, DataTable};
use crate::domain::report::{PeriodKind, Report, ReportScope, TableName, RESOURCE_ROWS_SHOWN};
use crate::domain::utilisation::BELOW_CHOICES;
use crate::i18n::*;
use chrono::Datelike;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ZoneReportPage() -> impl IntoView {
    view! { <ReportPage which=Which::Zone /> }
}

#[component]
pub fn InstitutionReportPage() -> impl IntoView {
    view! { <ReportPage which=Which::Institution /> }
}

fn page_path(which: Which) -> &'static str {
    match which {
        Which::Zone => "/reports",
        Which::Institution => "/institution/report",
    }
}

/// The query string of `query` (without the leading `?`).
fn query_string(query: &ReportQuery) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={v}"));
        }
    };
    put("kind", query.kind.clone());
    put("year", query.year.map(|y| y.to_string()));
    put("number", query.number.map(|n| n.to_string()));
    put("from", query.from.clone());
    put("to", query.to.clone());
    put("below", query.below.map(|b| b.to_string()));
    put("institution", query.institution.map(|i| i.to_string()));
    parts.join("&")
}

#[component]
fn ReportPage(which: Which) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let params = move || {
        let q = query.get();
        let text = |k: &str| q.get(k).filter(|v| !v.is_empty());
        ReportQuery {
            kind: text("kind"),
            year: text("year").and_then(|v| v.parse().ok()),
            number: text("number").and_then(|v| v.parse().ok()),
            from: text("from"),
            to: text("to"),
            below: text("below").and_then(|v| v.parse().ok()),
            institution: text("institution").and_then(|v| v.parse().ok()),
        }
    };
    let data = page_resource(params, move |q| async move {
        match which {
            Which::Zone => zone_report(q).await,
            Which::Institution => institution_report(q).await,
        }
    });
    let title = match which {
        Which::Zone => t_string!(i18n, report.zone_title),
        Which::Institution => t_string!(i18n, report.institution_title),
    };
    view! {
        <Title text=title.to_string() />
        <Suspense fallback=move || view! { <h1>{title}</h1><p class="muted">{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(report) => view! { <ReportView report which selected=params() /> }.into_any(),
                    Err(error) => view! { <h1>{title}</h1><ErrorView error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ReportView(report: Report, which: Which, selected: ReportQuery) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let (heading, scope_name) = match &report.scope {
        ReportScope::Zone { name } => (t_string!(i18n, report.zone_title), name.clone()),
        ReportScope::Institution { name, .. } => {
            (t_string!(i18n, report.institution_title), name.clone())
        }
    };
    let period = report.period;
    let range = {
        let (from, to) = (
            period.from.format("%Y-%m-%d").to_string(),
            period.to.format("%Y-%m-%d").to_string(),
        );
        move || t_string!(i18n, report.range, from = from.clone(), to = to.clone()).to_string()
    };
    let export = {
        let base = format!(
            "/reports/export?which={}&{}",
            match which {
                Which::Zone => "zone",
                Which::Institution => "institution",
            },
            query_string(&ReportQuery {
                institution: match &report.scope {
                    ReportScope::Institution { id, .. } => Some(id.0),
                    ReportScope::Zone { .. } => None,
                },
                ..selected.clone()
            })
        );
        // Switching the language reloads the page, so the links are made in the language shown.
        let lang = if english() { "en" } else { "zh-CN" };
        let base = StoredValue::new(format!("{base}&lang={lang}"));
        move |table: Option<TableName>| match table {
            None => format!("{}&format=xlsx", base.read_value()),
            Some(t) => format!("{}&format=csv&table={}", base.read_value(), t.as_str()),
        }
    };
    let csv_link = move |table: TableName| {
        let href = export(Some(table));
        view! { <a class="download" href=href download rel="external">{t!(i18n, report.csv)}</a> }
    };

    let summary = report.summary();
    let cards = summary
        .rows
        .iter()
        .map(|row| {
            let (label, value) = (row[0].clone(), row[1].clone());
            view! {
                <div class="stat">
                    <dt>{move || cell_text(i18n.get_locale(), &label)}</dt>
                    <dd>{move || cell_text(i18n.get_locale(), &value)}</dd>
                </div>
            }
        })
        .collect_view();

    let series = move || {
        vec![
            t_string!(i18n, report.own).to_string(),
            t_string!(i18n, report.external_series).to_string(),
        ]
    };
    let split =
        |f: &crate::domain::report::Figures| vec![hours(f.used - f.external), hours(f.external)];
    let month_bars: Vec<Bar> = report
        .months
        .iter()
        .map(|m| Bar {
            label: if report.months.len() > 12 {
                m.from.format("%y-%m").to_string()
            } else {
                format!("{}", m.from.month())
            },
            values: split(&m.figures),
            text: format!("{:.1} h", hours(m.figures.used)),
        })
        .collect();
    let heat_rows: Vec<(String, Vec<f64>, Vec<String>)> = report
        .heatmap
        .iter()
        .enumerate()
        .map(|(d, cells)| {
            (
                weekday_label(i18n.get_locale(), d as u8 + 1).to_string(),
                cells.iter().map(|s| *s as f64).collect(),
                cells
                    .iter()
                    .map(|s| format!("{:.1} h", hours(*s)))
                    .collect(),
            )
        })
        .collect();
    let line_bars = move |lines: &[crate::domain::report::Line]| {
        lines
            .iter()
            .take(20)
            .map(|l| Bar {
                label: l.name.pick(english()).to_string(),
                values: split(&l.figures),
                text: format!(
                    "{:.0} h · {} · {}",
                    hours(l.figures.used),
                    l.figures
                        .utilisation()
                        .map(|u| format!("{:.1}%", u * 100.0))
                        .unwrap_or_else(|| "—".into()),
                    l.figures
                        .share_rate()
                        .map(|u| format!("{:.1}%", u * 100.0))
                        .unwrap_or_else(|| "—".into())
                ),
            })
            .collect::<Vec<_>>()
    };
    let table = |name: TableName| report.table(name);
    let section = move |name: TableName, body: AnyView| {
        view! {
            <section class="report-section" aria-labelledby=format!("h-{}", name.as_str())>
                <div class="report-section__head">
                    <h2 id=format!("h-{}", name.as_str())>{move || table_label(i18n.get_locale(), name)}</h2>
                    {csv_link(name)}
                </div>
                {body}
            </section>
        }
    };
    let caption = move |name: TableName| table_label(i18n.get_locale(), name).to_string();

    let institutions = (which == Which::Zone).then(|| {
        section(
            TableName::Institutions,
            view! {
                <HorizontalBars title=t_string!(i18n, report.utilisation_caption).to_string() bars=line_bars(&report.institutions) series=series() />
                <DataTable table=table(TableName::Institutions) caption=caption(TableName::Institutions) />
            }
            .into_any(),
        )
    });
    let shown = report.resources.len().min(RESOURCE_ROWS_SHOWN);
    let (total_resources, idle_count) = (report.resource_count, report.idle_count);
    let below = (report.idle_below * 100.0).round() as i64;
    let counts = report.accreditation_counts;
    let listed_accreditation = (counts.expiring + counts.expired) as usize;
    let shown_accreditation = report.accreditation.len();
    let institution_id = match &report.scope {
        ReportScope::Institution { id, .. } => Some(id.0),
        ReportScope::Zone { .. } => None,
    };

    // Each part is type-erased: one view of them all is too deep a type for the compiler.
    let head = view! {
        <div class="report-head">
            <div>
                <h1>{heading}" · "{move || scope_name.pick(english()).to_string()}</h1>
                <p class="lead" data-testid="report-range">{range}</p>
            </div>
            <a class="button button--primary" href=export(None) download rel="external" data-testid="download-xlsx">
                {t!(i18n, report.download)}" · "{t!(i18n, report.xlsx)}
            </a>
        </div>
        <p class="lead">{t!(i18n, report.intro)}</p>
    }
    .into_any();
    let form = view! {
        <PeriodForm which selected=selected.clone() today=report.today institution=institution_id institutions=(which == Which::Institution).then(|| report.institution_choices.clone()) />
    }
    .into_any();
    let totals = view! {
        <section class="report-section" aria-labelledby="h-totals">
            <div class="report-section__head">
                <h2 id="h-totals">{t!(i18n, report.totals)}</h2>
                {csv_link(TableName::Summary)}
            </div>
            <dl class="stats" data-testid="report-totals">{cards}</dl>
        </section>
    }
    .into_any();
    let trend = view! {
        <section class="report-section" aria-labelledby="h-months">
            <div class="report-section__head">
                <h2 id="h-months">{t!(i18n, report.trend)}</h2>
                {csv_link(TableName::Months)}
            </div>
            <Columns title=t_string!(i18n, report.trend_caption).to_string() bars=month_bars series=series() />
            <details>
                <summary>{t!(i18n, report.as_table)}</summary>
                <DataTable table=table(TableName::Months) caption=caption(TableName::Months) />
            </details>
        </section>
    }
    .into_any();
    let heat = view! {
        <section class="report-section" aria-labelledby="h-heatmap">
            <div class="report-section__head">
                <h2 id="h-heatmap">{t!(i18n, report.heatmap)}</h2>
                {csv_link(TableName::Heatmap)}
            </div>
            <HeatmapGrid title=t_string!(i18n, report.heatmap_caption).to_string() rows=heat_rows />
            <details>
                <summary>{t!(i18n, report.as_table)}</summary>
                <DataTable table=table(TableName::Heatmap) caption=caption(TableName::Heatmap) />
            </details>
        </section>
    }
    .into_any();
    let categories = section(TableName::Categories, view! {
        <HorizontalBars title=t_string!(i18n, report.utilisation_caption).to_string() bars=line_bars(&report.categories) series=series() />
        <DataTable table=table(TableName::Categories) caption=caption(TableName::Categories) />
    }.into_any()).into_any();
    let resources = section(TableName::Resources, view! {
        <p class="muted">{t!(i18n, report.rows_shown, shown = shown, total = total_resources)}</p>
        <DataTable table=table(TableName::Resources) caption=caption(TableName::Resources) />
    }.into_any()).into_any();
    let idle = section(TableName::Idle, view! {
        <p class="muted" data-testid="idle-count">{t!(i18n, report.idle_count, count = idle_count, below = below)}</p>
        <DataTable table=table(TableName::Idle) caption=caption(TableName::Idle) />
    }.into_any()).into_any();
    let accreditation = section(TableName::Accreditation, view! {
        <p class="muted">{t!(i18n, report.accreditation_counts, valid = counts.valid, expiring = counts.expiring, expired = counts.expired)}</p>
        {(listed_accreditation > shown_accreditation).then(|| view! {
            <p class="muted">{t!(i18n, report.accreditation_rows_shown, shown = shown_accreditation, total = listed_accreditation)}</p>
        })}
        <DataTable table=table(TableName::Accreditation) caption=caption(TableName::Accreditation) />
    }.into_any()).into_any();
    let services = section(
        TableName::Services,
        view! {
            <p class="muted">{t!(i18n, report.services_note)}</p>
            <DataTable table=table(TableName::Services) caption=caption(TableName::Services) />
        }
        .into_any(),
    )
    .into_any();
    view! {
        {head}
        {form}
        {totals}
        {trend}
        {heat}
        {institutions.map(IntoAny::into_any)}
        {categories}
        {resources}
        {idle}
        {accreditation}
        {services}
        <Definitions />
    }
}

/// The definitions of the figures, as the README gives them.
#[component]
fn Definitions() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <details class="report-definitions">
            <summary>{t!(i18n, report.definitions)}</summary>
            <ul>
                <li>{t!(i18n, report.def_available)}</li>
                <li>{t!(i18n, report.def_used)}</li>
                <li>{t!(i18n, report.def_utilisation)}</li>
                <li>{t!(i18n, report.def_external)}</li>
                <li>{t!(i18n, report.def_sme)}</li>
                <li>{t!(i18n, report.def_bookings)}</li>
                <li>{t!(i18n, report.def_orgs)}</li>
                <li>{t!(i18n, report.def_income)}</li>
                <li>{t!(i18n, report.def_heatmap)}</li>
            </ul>
        </details>
    }
    .into_any()
}

/// The period form (GET) and the quick periods.
#[component]
fn PeriodForm(
    which: Which,
    selected: ReportQuery,
    today: chrono::NaiveDate,
    institution: Option<i64>,
    institutions: Option<Vec<crate::domain::catalogue::Named<crate::domain::ids::OrganisationId>>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let english = move || i18n.get_locale() == Locale::en;
    let path = page_path(which);
    let kind = selected
        .kind
        .as_deref()
        .and_then(PeriodKind::parse)
        .unwrap_or(PeriodKind::Year);
    let kind_options = PeriodKind::ALL
        .iter()
        .map(|k| {
            let k = *k;
            let label = move || match k {
                PeriodKind::Month => t_string!(i18n, report.kind_month),
                PeriodKind::Quarter => t_string!(i18n, report.kind_quarter),
                PeriodKind::Year => t_string!(i18n, report.kind_year),
                PeriodKind::Custom => t_string!(i18n, report.kind_custom),
            };
            view! { <option value=k.as_str() selected=k == kind>{label}</option> }
        })
        .collect_view();
    let number = selected.number.unwrap_or(match kind {
        PeriodKind::Quarter => today.month0() / 3 + 1,
        _ => today.month(),
    });
    let number_options = (1..=12u32)
        .map(|n| view! { <option value=n selected=n == number>{n}</option> })
        .collect_view();
    let below = selected.below.unwrap_or(10);
    let below_options = BELOW_CHOICES
        .iter()
        .map(|b| view! { <option value=*b selected=*b == below>{format!("{b}%")}</option> })
        .collect_view();
    let institution_field = institutions.map(|list| {
        let current = selected.institution;
        view! {
            <div class="field">
                <label for="r-institution">{t!(i18n, report.institution)}</label>
                <select id="r-institution" name="institution">
                    {list.into_iter().map(|n| {
                        let name = n.name.clone();
                        view! { <option value=n.id.0 selected=current == Some(n.id.0)>{move || name.pick(english()).to_string()}</option> }
                    }).collect_view()}
                </select>
            </div>
        }
    });
    // Quick periods, relative to the zone's date (not the browser's).
    let scope = StoredValue::new(
        institution
            .map(|i| format!("&institution={i}"))
            .unwrap_or_default(),
    );
    let quick = move |label: &'static str, q: &str| {
        view! { <a class="chip" href=format!("{path}?{q}{}", scope.read_value())>{label}</a> }
    };
    let last_month = today
        .with_day(1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(today);
    view! {
        <form class="filters" method="get" action=path role="search" data-testid="period-form">
            <fieldset>
                <legend>{t!(i18n, report.period)}</legend>
                <div class="field">
                    <label for="r-kind">{t!(i18n, report.kind)}</label>
                    <select id="r-kind" name="kind">{kind_options}</select>
                </div>
                <div class="field">
                    <label for="r-year">{t!(i18n, report.year)}</label>
                    <input id="r-year" name="year" type="number" min="2000" max="2100" value=selected.year.unwrap_or(today.year()).to_string() />
                </div>
                <div class="field">
                    <label for="r-number">{t!(i18n, report.number)}</label>
                    <select id="r-number" name="number">{number_options}</select>
                </div>
                <div class="field">
                    <label for="r-from">{t!(i18n, report.from)}</label>
                    <input id="r-from" name="from" type="date" value=selected.from.clone().unwrap_or_default() />
                </div>
                <div class="field">
                    <label for="r-to">{t!(i18n, report.to)}</label>
                    <input id="r-to" name="to" type="date" value=selected.to.clone().unwrap_or_default() />
                </div>
                <div class="field">
                    <label for="r-below">{t!(i18n, report.below)}</label>
                    <select id="r-below" name="below">{below_options}</select>
                </div>
                {institution_field}
                <div class="filters__actions">
                    <button type="submit" class="button button--primary">{t!(i18n, report.show)}</button>
                </div>
            </fieldset>
        </form>
        <nav class="chips" aria-label=move || t_string!(i18n, report.quick).to_string()>
            {move || quick(t_string!(i18n, report.this_year), "kind=year")}
            {move || quick(t_string!(i18n, report.last_year), &format!("kind=year&year={}", today.year() - 1))}
            {move || quick(t_string!(i18n, report.this_quarter), &format!("kind=quarter&year={}&number={}", today.year(), today.month0() / 3 + 1))}
            {move || quick(t_string!(i18n, report.this_month), &format!("kind=month&year={}&number={}", today.year(), today.month()))}
            {move || quick(t_string!(i18n, report.last_month), &format!("kind=month&year={}&number={}", last_month.year(), last_month.month()))}
        </nav>
    }
}
