//! Users as CSV, both ways: the dashboard's export of a filtered list,
//! streamed a page at a time, and the import of a file of new users. An
//! exported file imports again as it is.

use std::collections::HashMap;

use axum::{
    body::Body,
    extract::{Multipart, Path, Query, State, multipart::MultipartError},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::domain::{ApiError, AppId, ImportReport, Invalid, Uid, UserFilter, UserView};
use crate::server::{
    Error, Result,
    access::Caller,
    auth::session::{SignedIn, keep_for_next_page, take_kept},
    db::Db,
    service::{
        apps::{self, App},
        users::{self, ImportRow, TypedUser, UserFields},
    },
    state::AppState,
};

/// The columns of an export, in order. Tags are separated by commas
/// inside their cell, metadata is JSON, times are RFC 3339 in UTC.
const COLUMNS: [&str; 12] = [
    "uid",
    "name",
    "role",
    "tags",
    "status",
    "statusMessage",
    "avatar",
    "link",
    "metadata",
    "createdAt",
    "lastActiveAt",
    "deactivatedAt",
];

/// At most this many users in one import; more goes through the REST API.
pub const MAX_IMPORT_ROWS: usize = 10_000;

/// The most CSV text one import takes: room for 10,000 full rows.
pub const MAX_IMPORT_BYTES: usize = 4 * 1024 * 1024;

/// Where the report of an import sent by a plain form waits for the users page.
const KEPT_IMPORT: &str = "import_report";

/// `GET /apps/{app_id}/users.csv?<the users page's filter>`: the list as
/// the dashboard shows it, every page of it, as a download.
pub async fn export(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(app_id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response> {
    let app = apps::get(&state.db, &caller, &AppId::parse(&app_id)?).await?;
    let filter = UserFilter::from_params(|key| params.get(key).cloned())?;
    let pages = users::export(&state.db, &caller, &app, filter).await?;
    let header_row = futures::stream::once(async { Ok(records([COLUMNS.map(str::to_owned)])) });
    let rows = pages.map_ok(|users| records(users.iter().map(user_cells)));
    // An error after the first page can only end the download early; it is
    // logged, and the client sees a truncated transfer rather than a short file.
    let body = header_row.chain(rows).inspect_err(|e: &Error| tracing::error!(error = %e, "export stopped"));
    let file = format!("attachment; filename=\"users-{}.csv\"", app.view.app_id);
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, file)],
        Body::from_stream(body),
    )
        .into_response())
}

/// Imports the text of a CSV file into `app`: the one way in, whether the
/// dashboard's form uploads the file or a server function sends the text.
pub async fn import(db: &Db, caller: &Caller, app: &App, text: &str) -> Result<ImportReport> {
    if text.len() > MAX_IMPORT_BYTES {
        return Err(too_large());
    }
    users::import(db, caller, app, read_import(text)?).await
}

fn too_large() -> Error {
    Error::invalid(
        "ERR_IMPORT_TOO_LARGE",
        format!("Import at most {} MB at a time; split the file.", MAX_IMPORT_BYTES >> 20),
    )
}

/// An import's outcome, kept for the users page of its app.
#[derive(Serialize, Deserialize)]
struct KeptImport {
    app_id: String,
    outcome: std::result::Result<ImportReport, ApiError>,
}

/// `POST /apps/{app_id}/users/import`: the import form as a browser sends
/// it, multipart, with the chosen file (`file`) or pasted text (`csv`). The browser is sent back to the users page, and
/// the report, or why the file was refused, waits in the session for it.
pub async fn import_form(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    session: Session,
    Path(app_id): Path<String>,
    form: Multipart,
) -> Result<Response> {
    let app_id = AppId::parse(&app_id)?;
    let outcome = async {
        let app = apps::get(&state.db, &caller, &app_id).await?;
        import(&state.db, &caller, &app, &uploaded_text(form).await?).await
    };
    let outcome = outcome.await.map_err(ApiError::from);
    keep_for_next_page(&session, KEPT_IMPORT, KeptImport { app_id: app_id.to_string(), outcome }).await?;
    Ok(Redirect::to(&format!("/apps/{app_id}/users?imported=1")).into_response())
}

/// The text of the form's file, or the pasted text when no file was chosen.
async fn uploaded_text(mut form: Multipart) -> Result<String> {
    let (mut file, mut pasted) = (String::new(), String::new());
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        let into = match field.name() {
            Some("file") => &mut file,
            Some("csv") => &mut pasted,
            _ => continue,
        };
        let bytes = field.bytes().await.map_err(unreadable)?;
        *into = String::from_utf8(bytes.into())
            .map_err(|_| Error::invalid("ERR_INVALID_CSV", "The file is not UTF-8 text; save it as CSV in UTF-8."))?;
    }
    Ok(if file.trim().is_empty() { pasted } else { file })
}

fn unreadable(err: MultipartError) -> Error {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large();
    }
    Error::invalid("ERR_INVALID_FORM", format!("The form could not be read: {}", err.body_text()))
}

/// The outcome of the last import into `app_id` sent by a plain form, once.
pub async fn take_kept_import(
    session: &Session,
    app_id: &str,
) -> Result<Option<std::result::Result<ImportReport, ApiError>>> {
    let kept = take_kept::<KeptImport>(session, KEPT_IMPORT).await?;
    Ok(kept.filter(|kept| kept.app_id == app_id).map(|kept| kept.outcome))
}

/// Rows as CSV text, one writer for all of them.
fn records<const N: usize>(rows: impl IntoIterator<Item = [String; N]>) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for cells in rows {
        // Writing to memory cannot fail.
        let _ = writer.write_record(&cells);
    }
    writer.into_inner().unwrap_or_default()
}

fn user_cells(user: &UserView) -> [String; 12] {
    let time = |at: Option<i64>| {
        at.and_then(|at| time::OffsetDateTime::from_unix_timestamp(at).ok())
            .and_then(|at| at.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_default()
    };
    [
        user.uid.to_string(),
        user.name.clone(),
        user.role.to_string(),
        user.tags.join(", "),
        user.status.clone(),
        user.status_message.clone().unwrap_or_default(),
        user.avatar.clone().unwrap_or_default(),
        user.link.clone().unwrap_or_default(),
        user.metadata.as_ref().map(|m| m.to_string()).unwrap_or_default(),
        time(Some(user.created_at)),
        time(user.last_active_at),
        time(user.deactivated_at),
    ]
}

/// Reads an import file: a header row naming its columns (`uid` and `name`
/// required, any of the export's columns allowed, in any order), then one
/// user a row. Status and times are the server's to keep, so those columns
/// are read past. A file that cannot be read at all is refused whole; a row
/// that is wrong is kept with its reason, for the report.
///
/// No cell of a user holds a line break, so each line is read as its own
/// row: a quote left open costs its own row, not the rows after it.
pub fn read_import(text: &str) -> Result<Vec<ImportRow>> {
    let refuse = |message: String| Error::invalid("ERR_INVALID_CSV", message);
    let mut lines =
        text.lines().enumerate().map(|(n, line)| (n as u64 + 1, line)).filter(|(_, l)| !l.trim().is_empty());
    // A spreadsheet's UTF-8 file may start with a byte-order mark.
    let header = lines.next().map(|(_, line)| line.trim_start_matches('\u{feff}')).unwrap_or_default();
    let headers = read_line(header).map_err(|e| refuse(format!("The header row cannot be read: {e}.")))?;
    let mut at = HashMap::new();
    for (n, column) in headers.iter().enumerate() {
        if !COLUMNS.contains(&column) {
            return Err(refuse(format!("Unknown column \"{column}\"; the columns are {}.", COLUMNS.join(", "))));
        }
        if at.insert(column, n).is_some() {
            return Err(refuse(format!("The column \"{column}\" appears twice.")));
        }
    }
    if !(at.contains_key("uid") && at.contains_key("name")) {
        return Err(refuse("The header row needs at least the columns uid and name.".into()));
    }
    let mut rows = Vec::new();
    for (n, (line, text)) in lines.enumerate() {
        if n == MAX_IMPORT_ROWS {
            return Err(Error::invalid(
                "ERR_IMPORT_TOO_LARGE",
                format!("Import at most {MAX_IMPORT_ROWS} users at a time; split the file."),
            ));
        }
        let record = read_line(text).unwrap_or_default();
        let cell = |column: &str| at.get(column).and_then(|&i| record.get(i)).unwrap_or_default();
        let uid = cell("uid").to_owned();
        let parsed = if text.matches('"').count() % 2 == 1 {
            Err(Invalid::new("ERR_CSV_UNCLOSED_QUOTE", "A quote opens in this row and is not closed."))
        } else if record.len() != headers.len() {
            Err(Invalid::new(
                "ERR_INVALID_CSV_ROW",
                format!("This row has {} cells; the header has {}.", record.len(), headers.len()),
            ))
        } else {
            parse_row(cell)
        };
        rows.push(ImportRow { line, uid, parsed });
    }
    Ok(rows)
}

/// One line of CSV as its cells, trimmed.
fn read_line(line: &str) -> std::result::Result<csv::StringRecord, csv::Error> {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(line.as_bytes());
    reader.records().next().unwrap_or_else(|| Ok(csv::StringRecord::new()))
}

fn parse_row<'r>(cell: impl Fn(&str) -> &'r str) -> std::result::Result<(Uid, UserFields), Invalid> {
    let uid = Uid::parse(cell("uid"))?;
    let fields = UserFields::typed(TypedUser {
        name: cell("name"),
        role: cell("role"),
        avatar: cell("avatar"),
        link: cell("link"),
        tags: cell("tags"),
        status_message: cell("statusMessage"),
        metadata: cell("metadata"),
    })?;
    Ok((uid, fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_row_of_an_import_is_parsed_on_its_own_with_its_line() {
        let rows = read_import("uid,name,tags\nana,Ana,\"beta, vip\"\nbad uid,Bob,\ncara,,\n").unwrap();
        let outcome: Vec<_> = rows.iter().map(|r| (r.line, r.parsed.as_ref().err().map(|e| e.code))).collect();
        assert_eq!(outcome, [(2, None), (3, Some("ERR_INVALID_UID")), (4, Some("ERR_INVALID_NAME"))]);
        let (_, ana) = rows[0].parsed.as_ref().unwrap();
        assert_eq!(ana.tags.as_deref(), Some(&["beta".to_owned(), "vip".to_owned()][..]));
    }

    #[test]
    fn a_file_whose_header_is_wrong_is_refused_whole() {
        for bad in ["uid,email\nana,a@b.c\n", "name\nAna\n", "uid,name,uid\n", ""] {
            assert_eq!(read_import(bad).unwrap_err().code(), "ERR_INVALID_CSV", "{bad:?}");
        }
    }

    #[test]
    fn an_unclosed_quote_costs_its_own_row_and_no_other() {
        let rows = read_import("uid,name\nana,\"Ana\nbob,Bob\ncara,\"Cara \"\"C\"\"\"\n").unwrap();
        let outcome: Vec<_> = rows.iter().map(|r| (r.line, r.parsed.as_ref().err().map(|e| e.code))).collect();
        assert_eq!(outcome, [(2, Some("ERR_CSV_UNCLOSED_QUOTE")), (3, None), (4, None)]);
        assert_eq!(rows[2].parsed.as_ref().unwrap().1.name.as_deref(), Some("Cara \"C\""));
    }

    #[test]
    fn a_row_with_too_few_or_too_many_cells_is_refused_alone() {
        let rows = read_import("uid,name\nana\nbob,Bob,extra\ncara,Cara\n").unwrap();
        let codes: Vec<_> = rows.iter().map(|r| r.parsed.as_ref().err().map(|e| e.code)).collect();
        assert_eq!(codes, [Some("ERR_INVALID_CSV_ROW"), Some("ERR_INVALID_CSV_ROW"), None]);
    }
}
