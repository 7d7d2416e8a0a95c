//! Charts drawn as SVG on the server, readable without the wasm. Each is an image with a name;
//! the page puts the same figures in a table beside it for screen readers and for copying.

use leptos::prelude::*;

/// One bar (or column) of a stacked chart: its label, the stacked values, and the text shown at
/// its end.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub values: Vec<f64>,
    pub text: String,
}

fn short(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_string()
    } else {
        label
            .chars()
            .take(max - 1)
            .chain(std::iter::once('…'))
            .collect()
    }
}

/// The legend of a chart's series, coloured as the bars are.
#[component]
fn Legend(series: Vec<String>) -> impl IntoView {
    view! {
        <ul class="chart-legend" aria-hidden="true">
            {series.into_iter().enumerate().map(|(i, name)| view! {
                <li><span class=format!("chart-swatch series-{i}")></span>{name}</li>
            }).collect_view()}
        </ul>
    }
}

/// Horizontal stacked bars, one per row, scaled to the longest.
#[component]
pub fn HorizontalBars(
    #[prop(into)] title: String,
    bars: Vec<Bar>,
    series: Vec<String>,
) -> impl IntoView {
    const LABEL: f64 = 210.0;
    const AREA: f64 = 420.0;
    const ROW: f64 = 24.0;
    let max = bars
        .iter()
        .map(|b| b.values.iter().sum::<f64>())
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let height = ROW * bars.len() as f64 + 8.0;
    let rows = bars
        .into_iter()
        .enumerate()
        .map(|(i, bar)| {
            let y = 4.0 + ROW * i as f64;
            let mut x = LABEL;
            let segments = bar
                .values
                .iter()
                .enumerate()
                .map(|(s, v)| {
                    let w = AREA * v / max;
                    let rect = view! {
                        <rect class=format!("series-{s}") x=format!("{x:.1}") y=format!("{:.1}", y + 3.0)
                            width=format!("{w:.1}") height=format!("{:.1}", ROW - 8.0) />
                    };
                    x += w;
                    rect
                })
                .collect_view();
            view! {
                <g>
                    <title>{format!("{}: {}", bar.label, bar.text)}</title>
                    <text class="chart-label" x=format!("{:.1}", LABEL - 8.0) y=format!("{:.1}", y + ROW / 2.0 + 4.0) text-anchor="end">{short(&bar.label, 14)}</text>
                    {segments}
                    <text class="chart-value" x=format!("{:.1}", x + 6.0) y=format!("{:.1}", y + ROW / 2.0 + 4.0)>{bar.text}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <svg class="chart-svg" viewBox=format!("0 0 720 {height:.0}") role="img" aria-label=title.clone() preserveAspectRatio="xMinYMin meet">
                {rows}
            </svg>
            <figcaption>{title}<Legend series /></figcaption>
        </figure>
    }
}

/// Vertical stacked columns (a trend), labelled below.
#[component]
pub fn Columns(#[prop(into)] title: String, bars: Vec<Bar>, series: Vec<String>) -> impl IntoView {
    const WIDTH: f64 = 720.0;
    const HEIGHT: f64 = 200.0;
    const LEFT: f64 = 8.0;
    const BOTTOM: f64 = 24.0;
    let max = bars
        .iter()
        .map(|b| b.values.iter().sum::<f64>())
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let n = bars.len().max(1) as f64;
    let slot = (WIDTH - 2.0 * LEFT) / n;
    let every = (bars.len() / 12).max(1);
    let columns = bars
        .into_iter()
        .enumerate()
        .map(|(i, bar)| {
            let x = LEFT + slot * i as f64 + slot * 0.15;
            let w = slot * 0.7;
            let mut top = HEIGHT - BOTTOM;
            let segments = bar
                .values
                .iter()
                .enumerate()
                .map(|(s, v)| {
                    let h = (HEIGHT - BOTTOM - 16.0) * v / max;
                    top -= h;
                    view! {
                        <rect class=format!("series-{s}") x=format!("{x:.1}") y=format!("{top:.1}") width=format!("{w:.1}") height=format!("{h:.1}") />
                    }
                })
                .collect_view();
            let label = (i % every == 0).then(|| view! {
                <text class="chart-label" x=format!("{:.1}", x + w / 2.0) y=format!("{:.1}", HEIGHT - 6.0) text-anchor="middle">{bar.label.clone()}</text>
            });
            view! {
                <g>
                    <title>{format!("{}: {}", bar.label, bar.text)}</title>
                    {segments}
                    {label}
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <svg class="chart-svg" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=title.clone() preserveAspectRatio="xMinYMin meet">
                <line class="chart-axis" x1=LEFT y1=HEIGHT - BOTTOM x2=WIDTH - LEFT y2=HEIGHT - BOTTOM />
                {columns}
            </svg>
            <figcaption>{title}<Legend series /></figcaption>
        </figure>
    }
}

/// A weekday × hour grid shaded by value; `rows` are (weekday label, 24 values, 24 cell texts).
#[component]
pub fn HeatmapGrid(
    #[prop(into)] title: String,
    rows: Vec<(String, Vec<f64>, Vec<String>)>,
) -> impl IntoView {
    const LEFT: f64 = 56.0;
    const TOP: f64 = 18.0;
    const CELL_W: f64 = 27.0;
    const CELL_H: f64 = 22.0;
    let max = rows
        .iter()
        .flat_map(|r| r.1.iter().copied())
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let hours = (0..24)
        .step_by(3)
        .map(|h| view! {
            <text class="chart-label" x=format!("{:.1}", LEFT + CELL_W * h as f64 + CELL_W / 2.0) y="12" text-anchor="middle">{format!("{h:02}")}</text>
        })
        .collect_view();
    let cells = rows
        .into_iter()
        .enumerate()
        .map(|(d, (day, values, texts))| {
            let y = TOP + CELL_H * d as f64;
            let row = values
                .iter()
                .zip(texts)
                .enumerate()
                .map(|(h, (v, text))| {
                    let x = LEFT + CELL_W * h as f64;
                    view! {
                        <rect class="heat" x=format!("{x:.1}") y=format!("{y:.1}") width=CELL_W - 2.0 height=CELL_H - 2.0
                            fill-opacity=format!("{:.2}", 0.06 + 0.94 * v / max)>
                            <title>{format!("{day} {h:02}:00 — {text}")}</title>
                        </rect>
                    }
                })
                .collect_view();
            view! {
                <g>
                    <text class="chart-label" x=format!("{:.1}", LEFT - 8.0) y=format!("{:.1}", y + CELL_H / 2.0 + 4.0) text-anchor="end">{day.clone()}</text>
                    {row}
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <svg class="chart-svg" viewBox=format!("0 0 {:.0} {:.0}", LEFT + CELL_W * 24.0 + 4.0, TOP + CELL_H * 7.0 + 4.0) role="img" aria-label=title.clone() preserveAspectRatio="xMinYMin meet">
                {hours}
                {cells}
            </svg>
            <figcaption>{title}</figcaption>
        </figure>
    }
}
