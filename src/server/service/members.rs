//! Who is in a group, as what, and who is banned from it. Every change runs
//! in a transaction that first locks the group's row, so the scope checks
//! and the member count hold under concurrent joins, leaves and kicks.

use serde_json::json;
use sqlx::FromRow;

use super::{
    apps::App,
    audit::{Change, record},
    groups::{self, Acting, acting_id, acting_scope, acting_uid, guid_not_found},
    keyset::{self, Arg, Conditions, Paging, bind_all},
    messages::{NewMessage, insert_messages},
    now, stored,
    users::{self, COUNT_CAP},
};
use crate::domain::{
    BannedUserView, Content, GroupAction, GroupPassword, GroupType, GroupView, Guid, MemberEvent, MemberView, Page,
    SYSTEM_SENDER, Scope, Target, Uid, may,
};
use crate::server::{
    Error, Result,
    auth::{Caller, Permission, password::PasswordChecks},
    db::{BeginWrite, Db},
};
use crate::with_db;

/// At most this many users in one call.
pub const MAX_PER_CALL: usize = 25;

/// A group's row as a change sees it, locked for the change's transaction.
pub struct LockedGroup {
    pub id: i64,
    pub group_type: GroupType,
    pub owner_id: Option<i64>,
}

/// Locks the app's group `$guid` in write transaction `$tx` (a no-op update
/// takes its row lock on Postgres; SQLite's write turn is held already);
/// evaluates to the `LockedGroup` or `ERR_GUID_NOT_FOUND`.
macro_rules! lock_group {
    ($tx:ident, $app:expr, $guid:expr) => {{
        let guid: &$crate::domain::Guid = $guid;
        let row: Option<(i64, String, Option<i64>)> = sqlx::query_as(
            "UPDATE groups SET members_count = members_count WHERE app = $1 AND guid = $2 RETURNING id, type, owner_id",
        )
        .bind($app.id)
        .bind(guid.as_str())
        .fetch_optional(&mut *$tx)
        .await?;
        match row {
            None => Err($crate::server::service::groups::guid_not_found(guid)),
            Some((id, group_type, owner_id)) => {
                $crate::server::service::stored($crate::domain::GroupType::parse(&group_type))
                    .map(|group_type| $crate::server::service::members::LockedGroup { id, group_type, owner_id })
            }
        }
    }};
}

/// The scope user `$user_id` holds in group `$group_id`, if a member, read in `$tx`.
macro_rules! scope_of {
    ($tx:ident, $group_id:expr, $user_id:expr) => {{
        let scope: Option<String> =
            sqlx::query_scalar("SELECT scope FROM group_members WHERE group_id = $1 AND user_id = $2")
                .bind($group_id)
                .bind($user_id)
                .fetch_optional(&mut *$tx)
                .await?;
        scope.map(|s| $crate::server::service::stored($crate::domain::Scope::parse(&s))).transpose()?
    }};
}
/// Seats user `$user_id` (`$uid`) in group `$group_id` (`$guid`) with `$scope`
/// since `$at`, in `$tx`; the caller moves the member count.
macro_rules! insert_member {
    ($tx:ident, $group_id:expr, $user_id:expr, $guid:expr, $uid:expr, $scope:expr, $at:expr) => {{
        let (guid, uid, scope): (&$crate::domain::Guid, &$crate::domain::Uid, $crate::domain::Scope) = ($guid, $uid, $scope);
        sqlx::query(
            "INSERT INTO group_members (group_id, user_id, guid, uid, scope, joined_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind($group_id)
        .bind($user_id)
        .bind(guid.as_str())
        .bind(uid.as_str())
        .bind(scope.as_str())
        .bind($at)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use {insert_member, lock_group, scope_of};

/// Whether user `$user_id` is banned from group `$group_id`, read in `$tx`.
macro_rules! is_banned {
    ($tx:ident, $group_id:expr, $user_id:expr) => {{
        let banned: Option<i32> = sqlx::query_scalar("SELECT 1 FROM group_bans WHERE group_id = $1 AND user_id = $2")
            .bind($group_id)
            .bind($user_id)
            .fetch_optional(&mut *$tx)
            .await?;
        banned.is_some()
    }};
}

/// `who` (a UID, or "The acting user") is not in group `guid`.
pub fn not_a_member(who: &dyn std::fmt::Display, guid: &Guid) -> Error {
    Error::not_found("ERR_NOT_A_MEMBER", format!("{who} is not a member of the group {guid}."))
}

fn banned(uid: &Uid, guid: &Guid) -> Error {
    Error::conflict("ERR_BANNED_GROUPMEMBER", format!("{uid} is banned from the group {guid}; unban them first."))
}

fn already_joined(uid: &Uid, guid: &Guid) -> Error {
    Error::conflict("ERR_ALREADY_JOINED", format!("{uid} is a member of the group {guid} already."))
}

/// One change to one user's standing in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberChange {
    Add(Scope),
    SetScope(Scope),
    Kick,
    Ban,
    Unban,
}

impl MemberChange {
    fn permission(self) -> Permission {
        match self {
            MemberChange::Add(_) | MemberChange::SetScope(_) => Permission::ManageGroups,
            MemberChange::Kick | MemberChange::Ban | MemberChange::Unban => Permission::ModerateGroups,
        }
    }

    fn action(self) -> GroupAction {
        match self {
            MemberChange::Add(_) => GroupAction::AddMembers,
            MemberChange::SetScope(to) => GroupAction::ChangeScope { to },
            MemberChange::Kick => GroupAction::Kick,
            MemberChange::Ban => GroupAction::Ban,
            MemberChange::Unban => GroupAction::Unban,
        }
    }

    fn event(self) -> MemberEvent {
        match self {
            MemberChange::Add(_) => MemberEvent::Added,
            MemberChange::SetScope(_) => MemberEvent::ScopeChanged,
            MemberChange::Kick => MemberEvent::Kicked,
            MemberChange::Ban => MemberEvent::Banned,
            MemberChange::Unban => MemberEvent::Unbanned,
        }
    }

    fn audit_action(self) -> &'static str {
        match self {
            MemberChange::Add(_) => "member.add",
            MemberChange::SetScope(_) => "member.scope",
            MemberChange::Kick => "member.kick",
            MemberChange::Ban => "member.ban",
            MemberChange::Unban => "member.unban",
        }
    }
}

/// What became of one change: done, or why not.
pub type Outcome = (Uid, MemberChange, std::result::Result<(), Error>);

pub(super) fn check_batch<T>(changes: &[T]) -> Result<()> {
    if changes.is_empty() || changes.len() > MAX_PER_CALL {
        return Err(Error::invalid("ERR_MEMBERS_LIMIT", format!("Send 1 to {MAX_PER_CALL} users at a time.")));
    }
    Ok(())
}

/// Makes each change the acting user's scope allows, in one transaction;
/// answers each change's outcome, in the order given. A change refused
/// (an unknown user, a banned one, a scope that does not reach) leaves the
/// others to go through.
pub async fn change(
    db: &Db,
    caller: &Caller,
    app: &App,
    acting: &Acting,
    guid: &Guid,
    changes: Vec<(Uid, MemberChange)>,
) -> Result<Vec<Outcome>> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    for (_, change) in &changes {
        caller.require(change.permission())?;
    }
    check_batch(&changes)?;
    let acting_id = acting_id(db, app, acting).await?;
    let actor_uid = acting_uid(acting).map_or(SYSTEM_SENDER, Uid::as_str);
    let at = now();
    let done: Vec<std::result::Result<(), Error>> = with_db!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let group = lock_group!(tx, app, guid)?;
        let actor = acting_scope!(tx, &group, acting_id, guid);
        let mut done = Vec::with_capacity(changes.len());
        let mut notices: Vec<NewMessage> = Vec::new();
        let mut joined: i64 = 0;
        // The users named, read in one statement.
        let ids = users::ids_of!(tx, changes.iter().map(|(uid, _)| (app.id, uid)))?;
        for (uid, change) in &changes {
            let Some(&user_id) = ids.get(&(app.id, uid.to_string())) else {
                done.push(Err(users::uid_not_found(uid)));
                continue;
            };
            let scope = scope_of!(tx, group.id, user_id);
            let is_banned = is_banned!(tx, group.id, user_id);
            let target = Target { scope, is_self: acting_id == Some(user_id), is_owner: group.owner_id == Some(user_id) };
            let refused = match change {
                MemberChange::Add(_) if is_banned => Some(banned(uid, guid)),
                MemberChange::Add(_) if scope.is_some() => Some(already_joined(uid, guid)),
                MemberChange::SetScope(_) | MemberChange::Kick if scope.is_none() => Some(not_a_member(uid, guid)),
                MemberChange::Ban if is_banned => Some(Error::conflict("ERR_ALREADY_BANNED", format!("{uid} is banned from the group {guid} already."))),
                MemberChange::Unban if !is_banned => Some(Error::not_found("ERR_NOT_BANNED", format!("{uid} is not banned from the group {guid}."))),
                _ => may(actor, change.action(), Some(target).filter(|_| change.action().has_target())).err().map(Error::from),
            };
            if let Some(refused) = refused {
                done.push(Err(refused));
                continue;
            }
            match change {
                MemberChange::Add(scope) => {
                    insert_member!(tx, group.id, user_id, guid, uid, *scope, at);
                    joined += 1;
                }
                MemberChange::SetScope(scope) => {
                    sqlx::query("UPDATE group_members SET scope = $1 WHERE group_id = $2 AND user_id = $3")
                        .bind(scope.as_str()).bind(group.id).bind(user_id)
                        .execute(&mut *tx).await?;
                }
                MemberChange::Kick | MemberChange::Ban => {
                    let left = sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
                        .bind(group.id).bind(user_id)
                        .execute(&mut *tx).await?;
                    joined -= left.rows_affected() as i64;
                    if *change == MemberChange::Ban {
                        sqlx::query("INSERT INTO group_bans (group_id, user_id, uid, banned_by, banned_at) VALUES ($1, $2, $3, $4, $5)")
                            .bind(group.id).bind(user_id).bind(uid.as_str())
                            .bind(acting_uid(acting).map_or_else(|| caller.label(), Uid::to_string)).bind(at)
                            .execute(&mut *tx).await?;
                    }
                }
                MemberChange::Unban => {
                    sqlx::query("DELETE FROM group_bans WHERE group_id = $1 AND user_id = $2")
                        .bind(group.id).bind(user_id)
                        .execute(&mut *tx).await?;
                }
            }
            let new_scope = match change {
                MemberChange::Add(scope) | MemberChange::SetScope(scope) => Some(*scope),
                _ => None,
            };
            let event = Content::member_event(change.event(), actor_uid, uid, scope, new_scope);
            notices.push(NewMessage::in_group(app.id, group.id, guid, event, at));
            record!(tx, caller, Change {
                app: Some(app.id),
                action: change.audit_action(),
                object: format!("group:{guid}"),
                details: json!({"uid": uid, "scope": new_scope, "onBehalfOf": acting_uid(acting)}),
            })?;
            done.push(Ok(()));
        }
        add_to_count!(tx, group.id, joined);
        insert_messages!(tx, &notices)?;
        tx.commit().await?;
        done
    });
    Ok(changes.into_iter().zip(done).map(|((uid, change), outcome)| (uid, change, outcome)).collect())
}

/// Moves group `$group_id`'s member count by `$by`, in `$tx`.
macro_rules! add_to_count {
    ($tx:ident, $group_id:expr, $by:expr) => {{
        let by: i64 = $by;
        if by != 0 {
            sqlx::query("UPDATE groups SET members_count = members_count + $1 WHERE id = $2")
                .bind(by)
                .bind($group_id)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}
use add_to_count;

/// The one outcome of a call that made one change.
pub fn single(mut outcomes: Vec<Outcome>) -> Result<()> {
    match outcomes.pop() {
        Some((_, _, outcome)) => outcome,
        None => Err(Error::Internal("a change answered no outcome".into())),
    }
}

/// The user `uid` joins the group as a participant: a public group at
/// once, a password group with its password; a private group only takes
/// members its admins add.
pub async fn join(
    db: &Db,
    passwords: &PasswordChecks,
    caller: &Caller,
    app: &App,
    uid: &Uid,
    guid: &Guid,
    given_password: Option<GroupPassword>,
) -> Result<GroupView> {
    caller.require_app(app.id)?;
    caller.require(Permission::JoinGroups)?;
    let acting = Acting::User(uid.clone());
    let user_id = users::find(db, app, uid).await?.id;
    let seen = groups::find(db, app, Some(user_id), guid).await?;
    let stored_hash: Option<String> = with_db!(db, pool => {
        sqlx::query_scalar("SELECT password_hash FROM groups WHERE id = $1").bind(seen.id).fetch_one(pool).await?
    });
    // Checked before the write turn: argon2 takes tens of milliseconds.
    if let Some(stored_hash) = stored_hash {
        let given = given_password
            .ok_or_else(|| Error::invalid("ERR_GROUP_PASSWORD_MISSING", "This group is joined with its password."))?;
        if !passwords.verify(given.expose().to_owned(), Some(stored_hash)).await? {
            return Err(Error::Refused {
                code: "ERR_WRONG_GROUP_PASS",
                message: "The group's password is wrong.".into(),
            });
        }
    }
    with_db!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let group = lock_group!(tx, app, guid)?;
        if scope_of!(tx, group.id, user_id).is_some() {
            return Err(already_joined(uid, guid));
        }
        if group.group_type == GroupType::Private {
            return Err(guid_not_found(guid));
        }
        if is_banned!(tx, group.id, user_id) {
            return Err(banned(uid, guid));
        }
        let at = now();
        insert_member!(tx, group.id, user_id, guid, uid, Scope::Participant, at);
        add_to_count!(tx, group.id, 1);
        let event = Content::member_event(MemberEvent::Joined, uid.as_str(), uid, None, Some(Scope::Participant));
        insert_messages!(tx, &[NewMessage::in_group(app.id, group.id, guid, event, at)])?;
        record!(tx, caller, Change { app: Some(app.id), action: "member.join", object: format!("group:{guid}"), details: json!({"uid": uid}) })?;
        tx.commit().await?;
    });
    groups::get(db, caller, app, &acting, guid).await
}

/// The user `uid` leaves the group. The owner hands it over first.
pub async fn leave(db: &Db, caller: &Caller, app: &App, uid: &Uid, guid: &Guid) -> Result<()> {
    caller.require_app(app.id)?;
    caller.require(Permission::JoinGroups)?;
    let user_id = users::find(db, app, uid).await?.id;
    with_db!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let group = lock_group!(tx, app, guid)?;
        let scope = acting_scope!(tx, &group, Some(user_id), guid);
        if group.owner_id == Some(user_id) {
            return Err(Error::conflict("ERR_OWNER_CANNOT_LEAVE", "The owner hands the group to another member before leaving."));
        }
        sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
            .bind(group.id).bind(user_id)
            .execute(&mut *tx).await?;
        add_to_count!(tx, group.id, -1);
        let event = Content::member_event(MemberEvent::Left, uid.as_str(), uid, Some(scope), None);
        insert_messages!(tx, &[NewMessage::in_group(app.id, group.id, guid, event, now())])?;
        record!(tx, caller, Change { app: Some(app.id), action: "member.leave", object: format!("group:{guid}"), details: json!({"uid": uid}) })?;
        tx.commit().await?;
    });
    Ok(())
}

#[derive(Debug, Clone)]
pub struct MemberQuery {
    /// A prefix of the UID, any case.
    pub search: Option<String>,
    /// Members of any of these scopes; all when empty.
    pub scopes: Vec<Scope>,
    pub paging: Paging,
}

impl Default for MemberQuery {
    fn default() -> Self {
        Self { search: None, scopes: Vec::new(), paging: Paging::first(100) }
    }
}

#[derive(FromRow)]
struct MemberRow {
    uid: String,
    name: String,
    avatar: Option<String>,
    scope: String,
    joined_at: i64,
}

#[derive(FromRow)]
struct BannedRow {
    uid: String,
    name: String,
    banned_by: String,
    banned_at: i64,
}

impl TryFrom<MemberRow> for MemberView {
    type Error = Error;
    fn try_from(r: MemberRow) -> Result<MemberView> {
        Ok(MemberView {
            uid: stored(Uid::parse(&r.uid))?,
            name: r.name,
            avatar: r.avatar,
            scope: stored(Scope::parse(&r.scope))?,
            joined_at: r.joined_at,
        })
    }
}

impl TryFrom<BannedRow> for BannedUserView {
    type Error = Error;
    fn try_from(r: BannedRow) -> Result<BannedUserView> {
        Ok(BannedUserView {
            uid: stored(Uid::parse(&r.uid))?,
            name: r.name,
            banned_by: r.banned_by,
            banned_at: r.banned_at,
        })
    }
}

/// The group's row as the acting user sees it, once they may read its
/// members: the app reads every group's, a user those of their groups;
/// the bans (`bans`) are for those who may lift them.
async fn readable_group(
    db: &Db,
    caller: &Caller,
    app: &App,
    acting: &Acting,
    guid: &Guid,
    bans: bool,
) -> Result<groups::GroupRow> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let acting_id = acting_id(db, app, acting).await?;
    let group = groups::find(db, app, acting_id, guid).await?;
    if let Acting::User(uid) = acting {
        let scope = group.scope.as_deref().ok_or_else(|| not_a_member(uid, guid))?;
        if bans {
            may(stored(Scope::parse(scope))?, GroupAction::Unban, None)?;
        }
    }
    Ok(group)
}

/// One page of a group's members, by UID.
pub async fn list(
    db: &Db,
    caller: &Caller,
    app: &App,
    acting: &Acting,
    guid: &Guid,
    query: MemberQuery,
) -> Result<Page<MemberView>> {
    let group = readable_group(db, caller, app, acting, guid, false).await?;
    let unfiltered = query.scopes.is_empty() && query.search.as_deref().is_none_or(|s| s.trim().is_empty());
    let listing = UidListing {
        table: "group_members m",
        columns: "m.uid, u.name, u.avatar, m.scope, m.joined_at",
        scopes: query.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
        known_total: unfiltered.then_some(group.members_count),
    };
    uid_page::<MemberRow>(db, group.id, listing, query).await?.try_map(MemberView::try_from)
}

/// One page of the users banned from a group, by UID.
pub async fn banned_users(
    db: &Db,
    caller: &Caller,
    app: &App,
    acting: &Acting,
    guid: &Guid,
    query: MemberQuery,
) -> Result<Page<BannedUserView>> {
    let group = readable_group(db, caller, app, acting, guid, true).await?;
    let listing = UidListing {
        table: "group_bans m",
        columns: "m.uid, u.name, m.banned_by, m.banned_at",
        scopes: Vec::new(),
        known_total: None,
    };
    uid_page::<BannedRow>(db, group.id, listing, query).await?.try_map(BannedUserView::try_from)
}

/// Rows of one group in a table keyed by group and UID (its members, or
/// its bans), as a page reads them.
struct UidListing {
    /// The table, as `m`.
    table: &'static str,
    /// The columns of a row, from `m` and the user `u` it names.
    columns: &'static str,
    /// Keeps the rows whose scope is one of these; all when empty.
    scopes: Vec<String>,
    /// The total, when it is kept rather than counted.
    known_total: Option<i64>,
}

/// A page of a group's rows in UID order, keyset-paged on the UID.
async fn uid_page<R>(db: &Db, group_id: i64, listing: UidListing, query: MemberQuery) -> Result<Page<R>>
where
    R: for<'r> FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin
        + HasUid,
{
    let (per_page, offset) = (query.paging.size(), query.paging.offset());
    let mut filter = Conditions::default();
    let UidListing { table, columns, scopes, known_total } = listing;
    let group = filter.placeholder(Arg::Int(group_id));
    filter.parts.push(format!("m.group_id = {group}"));
    if !scopes.is_empty() {
        let scopes = filter.list(scopes.into_iter().map(Arg::Text));
        filter.parts.push(format!("m.scope IN ({scopes})"));
    }
    if let Some(prefix) = query.search.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()) {
        let search = filter.prefix_of("m.uid", &prefix);
        filter.parts.push(search.to_string());
    }
    let count_sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {} LIMIT {}) AS counted",
        filter.sql(),
        COUNT_CAP + 1
    );
    let count_args = filter.args.len();
    if let Some(cursor) = &query.paging.cursor {
        let (_, uid) = keyset::parse_cursor(cursor)?;
        let uid = filter.placeholder(Arg::Text(uid));
        filter.parts.push(format!("m.uid > {uid}"));
    }
    let page_sql = format!(
        "SELECT {columns} FROM {table} JOIN users u ON u.id = m.user_id WHERE {} ORDER BY m.uid LIMIT {} OFFSET {offset}",
        filter.sql(),
        per_page + 1
    );
    let (total, mut rows): (i64, Vec<R>) = with_db!(db, pool => {
        let total = match known_total {
            Some(total) => total,
            None => bind_all!(sqlx::query_scalar(&count_sql), &filter.args[..count_args]).fetch_one(pool).await?,
        };
        (total, bind_all!(sqlx::query_as(&page_sql), &filter.args).fetch_all(pool).await?)
    });
    let more = rows.len() as i64 > per_page;
    rows.truncate(per_page as usize);
    let next_cursor = if more { rows.last().map(|r| keyset::cursor(serde_json::Value::Null, r.uid())) } else { None };
    let (total, total_is_exact) =
        if known_total.is_some() || total <= COUNT_CAP { (total, true) } else { (COUNT_CAP, false) };
    Ok(Page { items: rows, total, total_is_exact, next_cursor })
}

trait HasUid {
    fn uid(&self) -> &str;
}

impl HasUid for MemberRow {
    fn uid(&self) -> &str {
        &self.uid
    }
}

impl HasUid for BannedRow {
    fn uid(&self) -> &str {
        &self.uid
    }
}
