use leptos::prelude::*;

use super::error_notice::ErrorNotice;
use crate::domain::{ApiError, ImportReport};

/// Creates a user for each row of a CSV file and reports which rows were
/// accepted and why the others were not.
#[server]
pub async fn import_users(app_id: String, csv: String) -> Result<ImportReport, ApiError> {
    use crate::server::{auth::session::dashboard_app, csv};
    let (state, caller, app) = dashboard_app(&app_id).await?;
    Ok(csv::import(&state.db, &caller, &app, &csv).await?)
}

/// The report of the import that a plain form (sent without the page's
/// script) made into the app, once, for the page it was sent back to.
#[server]
pub async fn take_uploaded_import(app_id: String) -> Result<Option<ImportReport>, ApiError> {
    use crate::server::{auth::session, csv};
    session::dashboard_caller().await?;
    let kept = csv::take_kept_import(&session::current_session()?, &app_id).await?;
    kept.transpose()
}

/// Choose a CSV file (or paste one) and import it. The form uploads the
/// file itself, and the page it comes back to (`?imported=1`) shows the
/// report ([`UploadedImport`]).
#[component]
pub fn UserImport(app_id: String) -> impl IntoView {
    view! {
        <details class="card import">
            <summary>"Import CSV"</summary>
            <form class="form" method="post" enctype="multipart/form-data" action=format!("/apps/{app_id}/users/import")>
                <p class="muted">
                    "A header row, then one user a row. Columns: uid and name, and any of role, tags, statusMessage, "
                    "avatar, link, metadata. An exported file imports as it is. Each row is imported whole or not at all."
                </p>
                <label for="import-file">"CSV file"</label>
                <input id="import-file" name="file" type="file" accept=".csv,text/csv" />
                <label for="import-text">"or paste it"</label>
                <textarea id="import-text" name="csv" rows="6" spellcheck="false"></textarea>
                <button type="submit">"Import"</button>
            </form>
        </details>
    }
}

/// What the import the page came back from did: its report, or why the
/// file was refused. Shown to whoever sent it, even an operator whose
/// role may not import (and so sees no import form).
#[component]
pub fn UploadedImport(uploaded: Resource<Result<Option<ImportReport>, ApiError>>) -> impl IntoView {
    view! {
        <Transition>
            {move || Suspend::new(async move {
                match uploaded.await {
                    Ok(Some(report)) => Some(view! { <ImportReportView report /> }.into_any()),
                    Ok(None) => None,
                    Err(error) => Some(view! { <ErrorNotice error /> }.into_any()),
                }
            })}
        </Transition>
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
