//! Users in and out in bulk: CSV imports and streamed exports.

use super::*;

/// One row of an import: where it was, the UID it named, and its fields as
/// parsed, or why they could not be.
#[derive(Debug)]
pub struct ImportRow {
    pub line: u64,
    pub uid: String,
    pub parsed: std::result::Result<(Uid, UserFields), Invalid>,
}

/// Creates a user for each row, each in its own transaction, so a row is
/// imported whole or not at all. A row the app refuses (a taken UID, an
/// unknown role) is reported and the rest go on; if the database fails,
/// the import stops and the rows not reached are reported as such.
pub async fn import(db: &Db, caller: &Caller, app: &App, rows: Vec<ImportRow>) -> Result<ImportReport> {
    caller.require_app(app.id)?;
    caller.require(Permission::ManageUsers)?;
    let mut report = ImportReport { accepted: 0, rejected: Vec::new() };
    let mut stopped: Option<Error> = None;
    for row in rows {
        let refused = |code: &str, message: String| RejectedRow {
            line: row.line,
            uid: row.uid.clone(),
            code: code.to_owned(),
            message,
        };
        if let Some(error) = &stopped {
            report.rejected.push(refused(error.code(), format!("Not imported: the import stopped. {error}")));
            continue;
        }
        let outcome = match row.parsed {
            Err(invalid) => Err(Error::Invalid(invalid)),
            Ok((uid, fields)) => create(db, caller, app, uid, fields, None).await.map(|_| ()),
        };
        match outcome {
            Ok(()) => report.accepted += 1,
            Err(error) if error.is_about_input() => report.rejected.push(refused(error.code(), error.to_string())),
            Err(error) => {
                report.rejected.push(refused(error.code(), format!("Not imported: {error}")));
                stopped = Some(error);
            }
        }
    }
    Ok(report)
}

/// How many users an export reads at a time.
const EXPORT_PAGE: i64 = 1000;

/// Every user `filter` picks, a page at a time by cursor, for a download
/// that is never held in memory whole. The first page is read before this
/// answers, so a refused filter or permission is an error, not a broken file.
pub async fn export(
    db: &Db,
    caller: &Caller,
    app: &App,
    filter: UserFilter,
) -> Result<impl Stream<Item = Result<Vec<UserView>>> + Send + 'static> {
    let details = json!({"filter": filter.to_query()});
    let first = list::<UserView>(db, caller, app, UserQuery::filtered(filter.clone(), EXPORT_PAGE, None)).await?;
    let mut tx = db.begin_write().await?;
    record(&mut tx, caller, Change { app: Some(app.id), action: "users.export", object: "users".to_owned(), details })
        .await?;
    tx.commit().await?;
    let (db, caller, app) = (db.clone(), caller.clone(), app.clone());
    let pages = stream::try_unfold(Some(first), move |page| {
        let (db, caller, app, filter) = (db.clone(), caller.clone(), app.clone(), filter.clone());
        async move {
            let Some(page) = page else { return Ok(None) };
            let next = match page.next_cursor {
                Some(cursor) => {
                    Some(list(&db, &caller, &app, UserQuery::filtered(filter, EXPORT_PAGE, Some(cursor))).await?)
                }
                None => None,
            };
            Ok(Some((page.items, next)))
        }
    });
    Ok(pages)
}
