//! The tick boxes of a table's rows, for a bulk change: the rows' boxes are
//! plain inputs of the bulk form (`form="bulk-change"`), so the browser
//! sends the ticked ones; these islands tick them all and count them.

use leptos::prelude::*;

/// The rows' tick boxes, as the islands find them in the page.
#[cfg(feature = "hydrate")]
const ROW_BOXES: &str = r#"input[type=checkbox][form=bulk-change][name="uids[]"]"#;

#[cfg(feature = "hydrate")]
fn row_boxes() -> Vec<web_sys::HtmlInputElement> {
    use wasm_bindgen::JsCast;
    let Ok(found) = document().query_selector_all(ROW_BOXES) else { return Vec::new() };
    (0..found.length()).filter_map(|i| found.get(i)?.dyn_into().ok()).collect()
}

/// The heading's box, which ticks (or unticks) every row of the page.
#[island]
pub fn TickAll() -> impl IntoView {
    let all = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        let follow = move || {
            let boxes = row_boxes();
            all.set(!boxes.is_empty() && boxes.iter().all(|b| b.checked()));
        };
        follow();
        let handle = window_event_listener(leptos::ev::change, move |_| follow());
        on_cleanup(move || handle.remove());
    }
    let tick_all = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        #[cfg(feature = "hydrate")]
        for row in row_boxes() {
            row.set_checked(on);
        }
        all.set(on);
        // Setting `checked` fires nothing: tell the counter.
        #[cfg(feature = "hydrate")]
        if let Ok(changed) = web_sys::Event::new_with_event_init_dict("change", &{
            let init = web_sys::EventInit::new();
            init.set_bubbles(true);
            init
        }) {
            let _ = window().dispatch_event(&changed);
        }
    };
    view! {
        <input type="checkbox" aria-label="Tick every user on this page" prop:checked=all on:change=tick_all />
    }
}

/// How many rows are ticked, as the person ticks them.
#[island]
pub fn TickedCount() -> impl IntoView {
    let count = RwSignal::new(0_usize);
    #[cfg(feature = "hydrate")]
    {
        let recount = move || count.set(row_boxes().iter().filter(|b| b.checked()).count());
        recount();
        let handle = window_event_listener(leptos::ev::change, move |_| recount());
        on_cleanup(move || handle.remove());
    }
    view! {
        <span class="ticked" aria-live="polite">
            {move || match count.get() {
                0 => "Tick users to change several at once.".to_owned(),
                1 => "1 user ticked".to_owned(),
                n => format!("{n} users ticked"),
            }}
        </span>
    }
}
