use leptos::prelude::*;

use crate::domain::format_date;

/// A figure per day as bars, drawn as SVG on the server: the chart reads
/// the same with JavaScript off. Each bar names its day and value.
#[component]
pub fn DailyChart(
    caption: String,
    /// `(the unix second a day begins, its value)`, oldest first.
    days: Vec<(i64, i64)>,
    #[prop(optional)] small: bool,
) -> impl IntoView {
    let (width, height) = if small { (300.0, 48.0) } else { (600.0, 160.0) };
    let top = days.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let total: i64 = days.iter().map(|(_, n)| *n).sum();
    let scale = if top == 0 { 0.0 } else { height / top as f64 };
    let slot = width / days.len().max(1) as f64;
    let first = days.first().map(|(day, _)| format_date(*day)).unwrap_or_default();
    let last = days.last().map(|(day, _)| format_date(*day)).unwrap_or_default();
    let label = format!("{caption}: {total} in all from {first} to {last}, at most {top} a day");
    let bars = days
        .into_iter()
        .enumerate()
        .map(|(i, (day, n))| {
            let bar = (n as f64 * scale).max(if n > 0 { 1.0 } else { 0.0 });
            view! {
                <rect
                    class="bar"
                    x=format!("{:.1}", i as f64 * slot + 1.0)
                    y=format!("{:.1}", height - bar)
                    width=format!("{:.1}", (slot - 2.0).max(1.0))
                    height=format!("{bar:.1}")
                >
                    <title>{format!("{}: {n}", format_date(day))}</title>
                </rect>
            }
        })
        .collect_view();
    view! {
        <figure class=if small { "chart chart-small" } else { "chart" }>
            <figcaption>
                {caption} <span class="muted">{format!(" {total} in 30 days, at most {top} a day")}</span>
            </figcaption>
            <svg viewBox=format!("0 0 {width} {height}") preserveAspectRatio="none" role="img" aria-label=label>
                <line class="axis" x1="0" y1=height x2=width y2=height />
                {bars}
            </svg>
            {(!small).then(|| view! { <div class="chart-dates muted"><span>{first}</span><span>{last}</span></div> })}
        </figure>
    }
}
