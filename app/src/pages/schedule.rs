//! `/schedule`: one day across the zone's resources — when each is open, booked or blacked out —
//! up to a thousand rows a page, drawn by the server. A plain GET form chooses the day and filter.

use crate::api::catalogue::{day_schedule, ScheduleQuery};
use crate::components::data::page_resource;
use crate::components::error_view::Loaded;
use crate::components::format::minute_of_day;
use crate::components::options::ResourceFilterFields;
use crate::components::query::use_form_query;
use crate::domain::schedule::{DayRow, DaySchedule, DaySpan, SCHEDULE_SIZES};
use crate::i18n::*;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SchedulePage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_form_query::<ScheduleQuery>();
    let data = page_resource(
        move || query.get(),
        |q| async move { day_schedule(q?).await },
    );
    view! {
        <Title text=t_string!(i18n, schedule.title).to_string() />
        <h1>{t!(i18n, schedule.title)}</h1>
        <p class="lead">{t!(i18n, schedule.intro)}</p>
        <Loaded resource=data view=move |schedule| view! { <Schedule schedule selected=query.get().unwrap_or_default() /> } />
    }
}

/// "08:30–12:00, 13:30–17:30".
fn spans_text(spans: &[DaySpan]) -> String {
    spans
        .iter()
        .map(|(a, b)| format!("{}–{}", minute_of_day(*a), minute_of_day(*b)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A row's day as the stops of one CSS gradient (`--g`; the stylesheet wraps them in
/// `linear-gradient(90deg, …)`, 23 bytes a row not sent): closed (`--c`), open (`--f`), booked
/// (`--b`), and transparent where a blackout lets the striped layer under it show. One element
/// per row instead of one per span.
fn day_gradient(row: &DayRow) -> String {
    // What shows at each minute: booked over blackout over open over closed.
    let mut edges: Vec<u16> = vec![0, 1440];
    for (a, b) in row.open.iter().chain(&row.booked).chain(&row.blackout) {
        edges.extend([*a, *b]);
    }
    edges.sort_unstable();
    edges.dedup();
    let within = |spans: &[DaySpan], m: u16| spans.iter().any(|(a, b)| *a <= m && m < *b);
    let mut segments: Vec<(&str, u16, u16)> = Vec::new();
    for pair in edges.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let colour = if within(&row.booked, a) {
            "var(--b)"
        } else if within(&row.blackout, a) {
            "transparent"
        } else if within(&row.open, a) {
            "var(--f)"
        } else {
            "var(--c)"
        };
        match segments.last_mut() {
            Some(last) if last.0 == colour => last.2 = b,
            _ => segments.push((colour, a, b)),
        }
    }
    // Hard stops: each colour from where the last ended ("0" clamps to it) to its own end.
    let stops: Vec<String> = segments
        .iter()
        .map(|(c, _, b)| {
            if *b == 1440 {
                format!("{c} 0")
            } else {
                // One decimal, none when it is zero ("50%", not "50.0%": a thousand rows).
                let at = format!("{:.1}", f64::from(*b) / 14.4);
                format!("{c} 0 {}%", at.strip_suffix(".0").unwrap_or(&at))
            }
        })
        .collect();
    format!("--g:{}", stops.join(","))
}

#[component]
fn Schedule(schedule: DaySchedule, selected: ScheduleQuery) -> impl IntoView {
    let i18n = use_i18n();
    let day = schedule.day.format("%Y-%m-%d").to_string();
    let size = schedule.size;
    let size_options = SCHEDULE_SIZES
        .iter()
        .map(|s| view! { <option value=*s selected=*s == size>{*s}</option> })
        .collect_view();
    let pages = schedule.total.div_ceil(size.max(1)).max(1);
    let link = {
        let base = format!(
            "/schedule?day={day}&size={size}{}{}{}",
            selected
                .kind
                .as_ref()
                .map(|k| format!("&kind={k}"))
                .unwrap_or_default(),
            selected
                .category
                .map(|c| format!("&category={c}"))
                .unwrap_or_default(),
            selected
                .institution
                .map(|c| format!("&institution={c}"))
                .unwrap_or_default(),
        );
        move |page: usize| format!("{base}&page={page}")
    };
    let pager = (pages > 1).then(|| {
        let (prev, next) = (schedule.page.saturating_sub(1), schedule.page + 1);
        view! {
            <nav class="pager" aria-label=move || t_string!(i18n, catalogue.pages).to_string()>
                {(prev >= 1).then(|| view! { <a href=link(prev) rel="prev">{t!(i18n, catalogue.previous)}</a> })}
                <span>{t!(i18n, catalogue.page_of, page = schedule.page, pages = pages)}</span>
                {(next <= pages).then(|| view! { <a href=link(next) rel="next">{t!(i18n, catalogue.next)}</a> })}
            </nav>
        }
    });
    let hours = (0..24)
        .step_by(2)
        .map(|h| {
            let style = format!("left:{:.2}%", f64::from(h) * 100.0 / 24.0);
            view! { <span class="day-scale__hour" style=style>{format!("{h:02}")}</span> }
        })
        .collect_view();
    let form = view! {
        <form class="filters" method="get" action="/schedule" role="search">
            <fieldset>
                <legend>{t!(i18n, catalogue.filters)}</legend>
                <div class="field">
                    <label for="s-day">{t!(i18n, schedule.day)}</label>
                    <input id="s-day" name="day" type="date" value=day.clone() />
                </div>
                <ResourceFilterFields categories=schedule.categories.clone() institutions=schedule.institutions.clone() kind=selected.kind.clone() category=selected.category institution=selected.institution />
                <div class="field">
                    <label for="s-size">{t!(i18n, schedule.size)}</label>
                    <select id="s-size" name="size">{size_options}</select>
                </div>
                <div class="filters__actions">
                    <button type="submit" class="button button--primary">{t!(i18n, catalogue.apply)}</button>
                </div>
            </fieldset>
        </form>
    }
    .into_any();
    let total = schedule.total;
    view! {
        {form}
        <p class="result-count" role="status" data-testid="schedule-count">{t!(i18n, schedule.count, count = total, day = day.clone())}</p>
        <ul class="legend" aria-hidden="true">
            <li><span class="day-open legend__swatch"></span>{t!(i18n, schedule.open)}</li>
            <li><span class="day-booked legend__swatch"></span>{t!(i18n, schedule.booked)}</li>
            <li><span class="day-blackout legend__swatch"></span>{t!(i18n, schedule.blackout)}</li>
        </ul>
        <ul class="day-schedule" data-testid="schedule">
            <li class="day-row--scale" aria-hidden="true">
                <span></span>
                <span class="day-scale">{hours}</span>
            </li>
            {schedule.rows.into_iter().map(|row| view! { <Row row /> }).collect_view()}
        </ul>
        {pager}
    }
    .into_any()
}

/// One resource's day: its name and institution, and its day as one bar described in words for
/// screen readers. Drawn once on the server (the language only changes with a page load), so the
/// thousand rows carry no reactive parts.
#[component]
fn Row(row: DayRow) -> impl IntoView {
    let i18n = use_i18n();
    let english = i18n.get_locale_untracked() == Locale::en;
    let (open, booked, blackout) = (
        spans_text(&row.open),
        spans_text(&row.booked),
        spans_text(&row.blackout),
    );
    let mut parts = vec![if open.is_empty() {
        t_string!(i18n, schedule.closed).to_string()
    } else {
        format!("{} {open}", t_string!(i18n, schedule.open))
    }];
    if !booked.is_empty() {
        parts.push(format!("{} {booked}", t_string!(i18n, schedule.booked)));
    }
    if !blackout.is_empty() {
        parts.push(format!("{} {blackout}", t_string!(i18n, schedule.blackout)));
    }
    let summary = parts.join("; ");
    let style = day_gradient(&row);
    view! {
        <li>
            <a href=format!("/resources/{}", row.resource.id)>
                {row.resource.name.pick(english).to_string()}
                <small>{row.institution.pick(english).to_string()}</small>
            </a>
            <span role="img" aria-label=summary style=style></span>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::ResourceId;
    use crate::domain::vocabulary::{Bilingual, Named};

    #[test]
    fn a_day_is_one_gradient_with_bookings_over_blackouts_over_opening_hours() {
        let row = DayRow {
            resource: Named {
                id: ResourceId(1),
                name: Bilingual::default(),
            },
            institution: Bilingual::default(),
            open: vec![(510, 1050)],
            booked: vec![(540, 660)],
            blackout: vec![(600, 720)],
        };
        assert_eq!(
            day_gradient(&row),
            "--g:var(--c) 0 35.4%,var(--f) 0 37.5%,var(--b) 0 45.8%,\
             transparent 0 50%,var(--f) 0 72.9%,var(--c) 0"
        );
    }
}
