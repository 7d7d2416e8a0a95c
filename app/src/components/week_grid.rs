use super::format::{day_label, minute_of_day, moment};
use crate::domain::schedule::{CellState, WeekGrid};
use crate::i18n::*;
use chrono::FixedOffset;
use leptos::prelude::*;
use leptos_i18n::I18nContext;

fn cell_label(i18n: I18nContext<Locale>, state: CellState) -> &'static str {
    match state {
        CellState::Free => t_string!(i18n, cell.free),
        CellState::Busy => t_string!(i18n, cell.busy),
        CellState::Blackout => t_string!(i18n, cell.blackout),
        CellState::Closed => t_string!(i18n, cell.closed),
        CellState::Past => t_string!(i18n, cell.past),
    }
}

fn cell_class(state: CellState) -> &'static str {
    match state {
        CellState::Free => "cell cell--free",
        CellState::Busy => "cell cell--busy",
        CellState::Blackout => "cell cell--blackout",
        CellState::Closed => "cell cell--closed",
        CellState::Past => "cell cell--past",
    }
}

/// The week grid's keyboard and mouse model: a small script of its own, so the resource page
/// loads a few kilobytes rather than the islands' wasm (see README "Pages that weigh only what they
/// do"). Without it, every free cell is still a link that books from there.
pub const WEEK_GRID_SCRIPT: &str = "/week-grid.js";

/// The week view: days across, time down; every cell carries its state as text for screen readers
/// and as a pattern or colour for the eye.
#[component]
pub fn WeekGridView(
    grid: WeekGrid,
    offset: FixedOffset,
    /// The resource, for links that book a free window.
    resource: i64,
    /// The shortest booking, the length a "book" link proposes.
    min_minutes: i64,
) -> impl IntoView {
    let i18n = use_i18n();
    let days = grid.days.clone();
    let head = days
        .iter()
        .map(|d| {
            let date = d.date;
            view! { <th scope="col" data-date=date.to_string()>{move || day_label(i18n, date)}</th> }
        })
        .collect_view();
    let free = grid.free_windows.clone();
    let rows = (0..grid.rows())
        .map(|i| {
            let start = grid.row_minute(i);
            let cells = days
                .iter()
                .map(|d| {
                    let state = d.cells[i];
                    // A cell where a booking of the shortest length may start is a link to book it,
                    // judged by the rule-aware free windows, not by the cell's colour alone.
                    let at = d
                        .date
                        .and_hms_opt(u32::from(start / 60), u32::from(start % 60), 0)
                        .and_then(|local| local.and_local_timezone(offset).single())
                        .map(|t| t.with_timezone(&chrono::Utc));
                    let book = at.and_then(|from| {
                        let to = from + chrono::Duration::minutes(min_minutes);
                        free.iter()
                            .any(|w| w.start() <= from && to <= w.end())
                            .then(|| crate::components::format::book_href(resource, from, to, offset))
                    });
                    let date = d.date;
                    view! {
                        <td class=cell_class(state) title=move || cell_label(i18n, state)>
                            {match book {
                                Some(href) => view! {
                                    <a class="cell__book" href=href>
                                        <span class="visually-hidden">{move || format!("{} {} {}", t_string!(i18n, booking.book_title), day_label(i18n, date), minute_of_day(start))}</span>
                                    </a>
                                }.into_any(),
                                None => view! { <span class="visually-hidden">{move || cell_label(i18n, state)}</span> }.into_any(),
                            }}
                        </td>
                    }
                })
                .collect_view();
            view! { <tr><th scope="row" class="week-grid__time">{minute_of_day(start)}</th>{cells}</tr> }
        })
        .collect_view();
    let legend = [CellState::Free, CellState::Busy, CellState::Blackout, CellState::Closed, CellState::Past]
        .into_iter()
        .map(|s| view! { <li><span class=cell_class(s) aria-hidden="true"></span>{move || cell_label(i18n, s)}</li> })
        .collect_view();
    let next: Vec<_> = grid.free_windows.iter().take(5).copied().collect();
    let has_free = !next.is_empty();
    // The words of the keyboard model (public/week-grid.js), in the reader's language; `{from}`,
    // `{to}` and `{at}` are filled in by the script.
    let words = move || {
        (
            t_string!(i18n, resource.grid_hint).to_string(),
            t_string!(i18n, resource.grid_start, from = "{from}").to_string(),
            t_string!(i18n, resource.grid_range, from = "{from}", to = "{to}").to_string(),
            t_string!(i18n, resource.grid_taken, at = "{at}").to_string(),
            t_string!(i18n, resource.grid_cleared).to_string(),
        )
    };
    view! {
        <div class="week-grid__scroll" tabindex="0">
            <table
                class="week-grid"
                data-testid="week-grid"
                aria-label=move || t_string!(i18n, resource.grid_label)
                data-week-grid=""
                data-step=grid.step_minutes
                data-book=format!("/resources/{resource}/book")
                data-status="week-grid-status"
                data-t-hint=move || words().0
                data-t-start=move || words().1
                data-t-range=move || words().2
                data-t-taken=move || words().3
                data-t-cleared=move || words().4
            >
                <thead><tr><th scope="col">{t!(i18n, resource.time)}</th>{head}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <p id="week-grid-status" class="week-grid__status" aria-live="polite" data-testid="week-grid-status"></p>
        <script type="module" src=WEEK_GRID_SCRIPT></script>
        <ul class="legend" aria-label=move || t_string!(i18n, resource.legend)>{legend}</ul>
        <h3>{t!(i18n, resource.next_free)}</h3>
        {if has_free {
            view! {
                <ul class="free-list" data-testid="free-list">
                    {next.into_iter().map(|f| view! {
                        <li>{move || moment(i18n, f.start(), offset)}" – "{move || {
                                let (start, end) = (f.start().with_timezone(&offset), f.end().with_timezone(&offset));
                                // A window running past midnight names its end day too.
                                if start.date_naive() == end.date_naive() { end.format("%H:%M").to_string() } else { moment(i18n, f.end(), offset) }
                            }}
                            " ("{move || super::format::duration(i18n, f.minutes())}") "
                            <a href=crate::components::format::book_href(resource, f.start(), (f.start() + chrono::Duration::minutes(min_minutes)).min(f.end()), offset)>
                                {t!(i18n, booking.book_title)}
                            </a></li>
                    }).collect_view()}
                </ul>
            }.into_any()
        } else {
            view! { <p class="muted">{t!(i18n, resource.no_free)}</p> }.into_any()
        }}
    }
}
