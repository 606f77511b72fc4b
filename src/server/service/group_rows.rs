//! One group as the concepts that touch it see it: who acts on it, its
//! row and view, the reads that find it, and the helpers a change runs in
//! its transaction (the group's lock, the acting scope, a member's seat).
//! Below `groups`, `members` and `messages`, which all use them.

use sqlx::FromRow;

use super::{apps::App, keyset::Conditions, stored, tags, tags::Tagged, user_rows};
use crate::args;
use crate::domain::{GroupType, GroupView, Guid, Scope, Uid};
use crate::server::{
    Error, Result,
    access::{Caller, Permission},
    db::{Arg, Db, Tx},
};

/// Who acts on a group: the app itself, with admin rights on every group,
/// or one of its users, with the rights of their scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acting {
    App,
    User(Uid),
}

impl Acting {
    /// The acting user, or none when the app acts.
    pub fn user(&self) -> Option<&Uid> {
        match self {
            Acting::App => None,
            Acting::User(uid) => Some(uid),
        }
    }
}

/// The acting user's internal id, or none when the app acts.
pub(in crate::server::service) async fn acting_id(db: &Db, app: &App, acting: &Acting) -> Result<Option<i64>> {
    match acting {
        Acting::App => Ok(None),
        Acting::User(uid) => Ok(Some(user_rows::find(db, app, uid).await?.id)),
    }
}

pub fn guid_not_found(guid: &Guid) -> Error {
    Error::not_found("ERR_GUID_NOT_FOUND", format!("This app has no group {guid}."))
}

#[derive(FromRow)]
pub(in crate::server::service) struct GroupRow {
    pub(in crate::server::service) id: i64,
    pub(in crate::server::service) guid: String,
    pub(in crate::server::service) name: String,
    #[sqlx(rename = "type")]
    pub(in crate::server::service) group_type: String,
    pub(in crate::server::service) icon: Option<String>,
    pub(in crate::server::service) description: Option<String>,
    pub(in crate::server::service) metadata: Option<String>,
    pub(in crate::server::service) owner: Option<String>,
    pub(in crate::server::service) members_count: i64,
    pub(in crate::server::service) created_at: i64,
    pub(in crate::server::service) updated_at: i64,
    /// The acting user's scope, when a user acts and is a member.
    pub(in crate::server::service) scope: Option<String>,
    pub(in crate::server::service) joined_at: Option<i64>,
}

/// The columns of `GroupRow`, for `groups g` joined to its owner `o` and,
/// when a user acts (`user_acts`), to their membership `m`.
pub(in crate::server::service) fn group_columns(user_acts: bool) -> String {
    let membership = if user_acts {
        "m.scope, m.joined_at"
    } else {
        "CAST(NULL AS TEXT) AS scope, CAST(NULL AS BIGINT) AS joined_at"
    };
    format!(
        "g.id, g.guid, g.name, g.type, g.icon, g.description, g.metadata, o.uid AS owner, g.members_count, \
         g.created_at, g.updated_at, {membership}"
    )
}

pub(in crate::server::service) const OWNER_JOIN: &str = "LEFT JOIN users o ON o.id = g.owner_id";

/// Joins the membership `m` of the acting user, whose id is at placeholder `acting`.
pub(in crate::server::service) fn membership_join(acting: &str) -> String {
    format!("LEFT JOIN group_members m ON m.group_id = g.id AND m.user_id = {acting}")
}

/// For a user acting: whether they see the group (`m` being their membership).
pub(in crate::server::service) const VISIBLE_TO_USER: &str = "(g.type <> 'private' OR m.user_id IS NOT NULL)";

impl GroupRow {
    pub(in crate::server::service) fn into_view(self, tags: Vec<String>, user_acts: bool) -> Result<GroupView> {
        let scope = self.scope.as_deref().map(Scope::parse).transpose();
        Ok(GroupView {
            conversation_id: crate::domain::conversation_id(&format!("group:{}", self.guid)),
            guid: stored(Guid::parse(&self.guid))?,
            name: self.name,
            group_type: stored(GroupType::parse(&self.group_type))?,
            icon: self.icon,
            description: self.description,
            metadata: self
                .metadata
                .map(|m| serde_json::from_str(&m))
                .transpose()
                .map_err(|e| Error::Internal(e.to_string()))?,
            owner: self.owner.as_deref().map(Uid::parse).transpose().map_err(|e| Error::Internal(e.message))?,
            tags,
            members_count: self.members_count,
            created_at: self.created_at,
            updated_at: self.updated_at,
            has_joined: user_acts.then_some(self.joined_at.is_some()),
            scope: stored(scope)?,
            joined_at: self.joined_at,
        })
    }
}

/// Views of the rows, each with its tags, fetched in one query.
pub(in crate::server::service) async fn with_tags(
    db: &Db,
    rows: Vec<GroupRow>,
    user_acts: bool,
) -> Result<Vec<GroupView>> {
    tags::with_tags(db, Tagged::Group, rows, |row| row.id, |row, tags| row.into_view(tags, user_acts)).await
}

/// A group as the acting user may see it, or `ERR_GUID_NOT_FOUND`.
pub(in crate::server::service) async fn find(db: &Db, app: &App, acting: Option<i64>, guid: &Guid) -> Result<GroupRow> {
    let mut filter = Conditions::default();
    let membership = acting.map(|id| membership_join(&filter.placeholder(Arg::from(id)))).unwrap_or_default();
    let (app_arg, guid_arg) = (filter.placeholder(app.id), filter.placeholder(guid.to_string()));
    filter.parts.push(format!("g.app = {app_arg} AND g.guid = {guid_arg}"));
    if acting.is_some() {
        filter.parts.push(VISIBLE_TO_USER.to_owned());
    }
    let sql = format!(
        "SELECT {} FROM groups g {OWNER_JOIN} {membership} WHERE {}",
        group_columns(acting.is_some()),
        filter.sql()
    );
    let row: Option<GroupRow> = db.optional(&sql, &filter.args).await?;
    row.ok_or_else(|| guid_not_found(guid))
}

pub async fn get(db: &Db, caller: &Caller, app: &App, acting: &Acting, guid: &Guid) -> Result<GroupView> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let acting_id = acting_id(db, app, acting).await?;
    let row = find(db, app, acting_id, guid).await?;
    with_tags(db, vec![row], acting_id.is_some()).await?.pop().ok_or_else(|| guid_not_found(guid))
}

pub(in crate::server::service) fn acting_uid(acting: &Acting) -> Option<&Uid> {
    match acting {
        Acting::App => None,
        Acting::User(uid) => Some(uid),
    }
}

/// `who` (a UID, or "The acting user") is not in group `guid`.
pub fn not_a_member(who: &dyn std::fmt::Display, guid: &Guid) -> Error {
    Error::not_found("ERR_NOT_A_MEMBER", format!("{who} is not a member of the group {guid}."))
}

/// A group's row as a change sees it, locked for the change's transaction.
pub struct LockedGroup {
    pub id: i64,
    pub group_type: GroupType,
    pub owner_id: Option<i64>,
}

/// Locks the app's group `guid` in `tx` (a no-op update takes its row lock
/// on Postgres; SQLite's write turn is held already).
pub(in crate::server::service) async fn lock_group(tx: &mut Tx, app: &App, guid: &Guid) -> Result<LockedGroup> {
    let sql =
        "UPDATE groups SET members_count = members_count WHERE app = $1 AND guid = $2 RETURNING id, type, owner_id";
    let row: Option<(i64, String, Option<i64>)> = tx.optional(sql, args![app.id, guid.as_str()]).await?;
    let (id, group_type, owner_id) = row.ok_or_else(|| guid_not_found(guid))?;
    Ok(LockedGroup { id, group_type: stored(GroupType::parse(&group_type))?, owner_id })
}

/// The scope user `user_id` holds in group `group_id`, if a member.
pub(in crate::server::service) async fn scope_of(tx: &mut Tx, group_id: i64, user_id: i64) -> Result<Option<Scope>> {
    let sql = "SELECT scope FROM group_members WHERE group_id = $1 AND user_id = $2";
    let scope: Option<String> = tx.optional_scalar(sql, args![group_id, user_id]).await?;
    scope.map(|s| stored(Scope::parse(&s))).transpose()
}

/// The scope the acting user (`acting_id`, none for the app, which counts
/// as an admin) holds in `group`, locked in `tx`. A user who is not a
/// member is refused: with `ERR_GUID_NOT_FOUND` for a private group, which
/// they may not know of, else `ERR_NOT_A_MEMBER`.
pub(in crate::server::service) async fn acting_scope(
    tx: &mut Tx,
    group: &LockedGroup,
    acting_id: Option<i64>,
    guid: &Guid,
) -> Result<Scope> {
    let Some(user_id) = acting_id else { return Ok(Scope::Admin) };
    match scope_of(tx, group.id, user_id).await? {
        Some(scope) => Ok(scope),
        None if group.group_type == GroupType::Private => Err(guid_not_found(guid)),
        None => Err(not_a_member(&"The acting user", guid)),
    }
}

/// A seat in a group about to be taken.
pub(in crate::server::service) struct Seat<'a> {
    pub(in crate::server::service) group_id: i64,
    pub(in crate::server::service) user_id: i64,
    pub(in crate::server::service) guid: &'a Guid,
    pub(in crate::server::service) uid: &'a Uid,
    pub(in crate::server::service) scope: Scope,
    pub(in crate::server::service) at: i64,
}

/// Seats a user in a group; the caller moves the member count.
pub(in crate::server::service) async fn insert_member(tx: &mut Tx, seat: Seat<'_>) -> Result<()> {
    let Seat { group_id, user_id, guid, uid, scope, at } = seat;
    let sql =
        "INSERT INTO group_members (group_id, user_id, guid, uid, scope, joined_at) VALUES ($1, $2, $3, $4, $5, $6)";
    tx.execute(sql, args![group_id, user_id, guid.as_str(), uid.as_str(), scope.as_str(), at]).await?;
    Ok(())
}

/// Moves group `group_id`'s member count by `by`.
pub(in crate::server::service) async fn add_to_count(tx: &mut Tx, group_id: i64, by: i64) -> Result<()> {
    if by != 0 {
        tx.execute("UPDATE groups SET members_count = members_count + $1 WHERE id = $2", args![by, group_id]).await?;
    }
    Ok(())
}
