use leptos::prelude::*;

use super::error_notice::ActionError;
use crate::domain::{ApiError, ImportReport};

/// Creates a user for each row of a CSV file and reports which rows were
/// accepted and why the others were not.
#[server]
pub async fn import_users(app_id: String, csv: String) -> Result<ImportReport, ApiError> {
    use crate::server::{Error, auth::session::dashboard_app, csv::read_import, service::users};
    /// The most CSV text one import takes: room for 10,000 full rows.
    const MAX_IMPORT_BYTES: usize = 4 * 1024 * 1024;
    if csv.len() > MAX_IMPORT_BYTES {
        return Err(Error::invalid(
            "ERR_IMPORT_TOO_LARGE",
            format!("Import at most {} MB at a time; split the file.", MAX_IMPORT_BYTES >> 20),
        )
        .into());
    }
    let (state, caller, app) = dashboard_app(&app_id).await?;
    let rows = read_import(&csv)?;
    Ok(users::import(&state.db, &caller, &app, rows).await?)
}

/// Choose a CSV file (or paste one), import it, read the report.
#[component]
pub fn UserImport(app_id: String, import: ServerAction<ImportUsers>) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let read_file = move |ev: leptos::ev::Event| {
        let file = event_target::<web_sys::HtmlInputElement>(&ev).files().and_then(|files| files.get(0));
        if let Some(file) = file {
            leptos::task::spawn_local(async move {
                if let Ok(read) = wasm_bindgen_futures::JsFuture::from(file.text()).await {
                    text.set(read.as_string().unwrap_or_default());
                }
            });
        }
    };
    view! {
        <details class="card import">
            <summary>"Import CSV"</summary>
            <ActionForm action=import attr:class="form">
                <input type="hidden" name="app_id" value=app_id />
                <p class="muted">
                    "A header row, then one user a row. Columns: uid and name, and any of role, tags, statusMessage, "
                    "avatar, link, metadata. An exported file imports as it is. Each row is imported whole or not at all."
                </p>
                <label for="import-file">"CSV file"</label>
                <input id="import-file" type="file" accept=".csv,text/csv" on:change=read_file />
                <label for="import-text">"or paste it"</label>
                <textarea id="import-text" name="csv" rows="6" spellcheck="false" required prop:value=text on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                <ActionError value=import.value() />
                <button type="submit">"Import"</button>
            </ActionForm>
            {move || match import.value().get() {
                Some(Ok(report)) => Some(view! { <ImportReportView report /> }),
                _ => None,
            }}
        </details>
    }
}

#[component]
fn ImportReportView(report: ImportReport) -> impl IntoView {
    let counted = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let summary = format!(
        "{} imported, {} rejected.",
        counted(report.accepted, "user", "users"),
        counted(report.rejected.len() as u64, "row", "rows")
    );
    view! {
        <div class="import-report" role="status">
            <p class="notice">{summary}</p>
            {(!report.rejected.is_empty()).then(|| view! {
                <table class="rejected">
                    <thead><tr><th>"Line"</th><th>"UID"</th><th>"Reason"</th></tr></thead>
                    <tbody>
                        {report
                            .rejected
                            .into_iter()
                            .map(|row| view! {
                                <tr>
                                    <td>{row.line}</td>
                                    <td><code>{row.uid}</code></td>
                                    <td>{row.message} " " <code class="code">{row.code}</code></td>
                                </tr>
                            })
                            .collect_view()}
                    </tbody>
                </table>
            })}
        </div>
    }
}
