//! An app's users. Reads are keyset-paged on indexed columns, so a page
//! costs the same at the millionth user as at the first.

mod change;
mod create;
mod import;
mod list;

pub use change::*;
pub use create::*;
pub use import::*;
pub use list::*;

pub(super) use super::user_rows::{USER_COLUMNS, find};
pub use super::user_rows::{UserRow, uid_not_found};

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use futures::{Stream, stream};
use serde_json::{Value, json};
use sqlx::FromRow;

use super::{
    apps::App,
    audit::record_all,
    audit::{Change, record},
    auth_tokens::{self, Device, NewToken},
    daily::{Figure, add_daily, day_of},
    events::{self, Event},
    keyset::{self, Conditions, Paging, PrefixRange},
    message_writes::remove_messages_of,
    now, roles, stored,
    tags::{self, Tagged, WithTags, replace_tags},
};
use crate::args;
use crate::domain::{
    ImportReport, Invalid, NewAuthToken, Page, Presence, Reach, RejectedRow, RoleId, Showing, SortOrder, Uid,
    UserFilter, UserSort, UserSummary, UserView, parse_metadata, parse_status_message, parse_tag_list, parse_user_name,
    parse_web_url,
};
use crate::server::{
    Error, Result,
    access::{Caller, Permission},
    db::{Arg, Constraint, Db, Row, Tx},
    error::OnConstraint,
    group_commit::GroupCommit,
};

/// A user's fields as the caller checked them; `None` leaves a field as it is,
/// `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct UserFields {
    pub name: Option<String>,
    pub avatar: Option<Option<String>>,
    pub link: Option<Option<String>>,
    pub role: Option<RoleId>,
    pub metadata: Option<Option<Value>>,
    pub tags: Option<Vec<String>>,
    pub status_message: Option<Option<String>>,
}

/// A user's fields as typed into a form or a CSV row, where an empty
/// optional field means none and an empty role the default one.
pub struct TypedUser<'a> {
    pub name: &'a str,
    pub role: &'a str,
    pub avatar: &'a str,
    pub link: &'a str,
    pub tags: &'a str,
    pub status_message: &'a str,
    pub metadata: &'a str,
}

impl UserFields {
    pub fn typed(typed: TypedUser) -> std::result::Result<Self, Invalid> {
        fn given<T>(
            text: &str,
            parse: impl Fn(&str) -> std::result::Result<T, Invalid>,
        ) -> std::result::Result<Option<T>, Invalid> {
            Some(text.trim()).filter(|t| !t.is_empty()).map(parse).transpose()
        }
        Ok(Self {
            name: Some(parse_user_name(typed.name)?),
            avatar: Some(given(typed.avatar, |v| parse_web_url(v, "ERR_INVALID_AVATAR"))?),
            link: Some(given(typed.link, |v| parse_web_url(v, "ERR_INVALID_LINK"))?),
            role: Some(given(typed.role, RoleId::parse)?.unwrap_or_else(RoleId::default_role)),
            metadata: Some(parse_metadata(typed.metadata)?),
            tags: Some(parse_tag_list(typed.tags)?),
            status_message: Some(given(typed.status_message, parse_status_message)?),
        })
    }
}

/// Views of the rows, each with its tags, fetched in one query.
async fn with_tags(db: &Db, rows: Vec<UserRow>) -> Result<Vec<UserView>> {
    tags::with_tags(db, Tagged::User, rows, |row| row.id, UserRow::into_view).await
}

pub async fn get(db: &Db, caller: &Caller, app: &App, uid: &Uid) -> Result<UserView> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let row = find(db, app, uid).await?;
    with_tags(db, vec![row]).await?.pop().ok_or_else(|| uid_not_found(uid))
}
