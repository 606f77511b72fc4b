//! Who is in a group, as what, and who is banned from it. Every change runs
//! in a transaction that first locks the group's row, so the scope checks
//! and the member count hold under concurrent joins, leaves and kicks.

use serde_json::json;
use sqlx::FromRow;

use super::{
    apps::App,
    audit::{Change, record},
    group_rows::{
        self, Acting, LockedGroup, Seat, acting_id, acting_scope, acting_uid, add_to_count, guid_not_found,
        insert_member, lock_group, scope_of,
    },
    keyset::{self, Conditions, Paging},
    message_writes::{NewMessage, insert_messages},
    now, stored, user_rows,
};
use crate::args;
use crate::domain::{
    BanTerms, BannedUserView, Content, GroupAction, GroupPassword, GroupType, GroupView, Guid, MemberEvent, MemberView,
    Page, Presence, SYSTEM_SENDER, Scope, Target, Uid, may,
};
use crate::server::{
    Error, Result,
    access::{Caller, Permission, password::PasswordChecks},
    db::{Arg, Db, Row, Tx},
};

pub use super::group_rows::not_a_member;

/// At most this many users in one call.
pub const MAX_PER_CALL: usize = 25;

/// Whether user `user_id` is banned from group `group_id`.
/// A ban counts until its end, if it has one.
async fn is_banned(tx: &mut Tx, group_id: i64, user_id: i64) -> Result<bool> {
    let sql = "SELECT 1 FROM group_bans WHERE group_id = $1 AND user_id = $2 AND (until IS NULL OR until > $3)";
    Ok(tx.optional_scalar::<i32>(sql, args![group_id, user_id, now()]).await?.is_some())
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
    change_banning(db, caller, app, acting, guid, changes, &BanTerms::default()).await
}

/// [`change`], with the reason and length of its bans.
pub async fn change_banning(
    db: &Db,
    caller: &Caller,
    app: &App,
    acting: &Acting,
    guid: &Guid,
    changes: Vec<(Uid, MemberChange)>,
    ban: &BanTerms,
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
    let mut tx = db.begin_write().await?;
    let group = lock_group(&mut tx, app, guid).await?;
    let actor = acting_scope(&mut tx, &group, acting_id, guid).await?;
    let mut done = Vec::with_capacity(changes.len());
    let mut notices: Vec<NewMessage> = Vec::new();
    let mut joined: i64 = 0;
    // The users named, read in one statement.
    let ids = user_rows::ids_of(&mut tx, changes.iter().map(|(uid, _)| (app.id, uid))).await?;
    let acting = Changing { caller, app, acting, acting_id, actor, actor_uid, group: &group, guid, at, ban };
    for (uid, change) in &changes {
        let Some(&user_id) = ids.get(&(app.id, uid.to_string())) else {
            done.push(Err(user_rows::uid_not_found(uid)));
            continue;
        };
        match apply(&mut tx, &acting, uid, user_id, *change).await? {
            Ok((moved, notice)) => {
                joined += moved;
                notices.push(notice);
                done.push(Ok(()));
            }
            Err(refused) => done.push(Err(refused)),
        }
    }
    add_to_count(&mut tx, group.id, joined).await?;
    insert_messages(&mut tx, &notices).await?;
    tx.commit().await?;
    Ok(changes.into_iter().zip(done).map(|((uid, change), outcome)| (uid, change, outcome)).collect())
}

/// Who makes a batch of member changes, and where.
struct Changing<'a> {
    caller: &'a Caller,
    app: &'a App,
    acting: &'a Acting,
    acting_id: Option<i64>,
    /// The acting user's scope in the group.
    actor: Scope,
    actor_uid: &'a str,
    group: &'a LockedGroup,
    guid: &'a Guid,
    at: i64,
    ban: &'a BanTerms,
}

/// Makes one change to user `uid` (`user_id`), or answers why not: how
/// it moved the member count, and the action message that tells of it.
async fn apply(
    tx: &mut Tx,
    by: &Changing<'_>,
    uid: &Uid,
    user_id: i64,
    change: MemberChange,
) -> Result<std::result::Result<(i64, NewMessage), Error>> {
    let Changing { caller, app, acting, acting_id, actor, actor_uid, group, guid, at, ban } = *by;
    let scope = scope_of(tx, group.id, user_id).await?;
    let is_banned = is_banned(tx, group.id, user_id).await?;
    let target = Target { scope, is_self: acting_id == Some(user_id), is_owner: group.owner_id == Some(user_id) };
    let refused = match change {
        MemberChange::Add(_) if is_banned => Some(banned(uid, guid)),
        MemberChange::Add(_) if scope.is_some() => Some(already_joined(uid, guid)),
        MemberChange::SetScope(_) | MemberChange::Kick if scope.is_none() => Some(not_a_member(uid, guid)),
        MemberChange::Ban if is_banned => {
            Some(Error::conflict("ERR_ALREADY_BANNED", format!("{uid} is banned from the group {guid} already.")))
        }
        MemberChange::Unban if !is_banned => {
            Some(Error::not_found("ERR_NOT_A_BANNED_USER", format!("{uid} is not banned from the group {guid}.")))
        }
        _ => may(actor, change.action(), Some(target).filter(|_| change.action().has_target())).err().map(Error::from),
    };
    if let Some(refused) = refused {
        return Ok(Err(refused));
    }
    let mut moved = 0;
    match change {
        MemberChange::Add(scope) => {
            insert_member(tx, Seat { group_id: group.id, user_id, guid, uid, scope, at }).await?;
            moved = 1;
        }
        MemberChange::SetScope(scope) => {
            let sql = "UPDATE group_members SET scope = $1 WHERE group_id = $2 AND user_id = $3";
            tx.execute(sql, args![scope.as_str(), group.id, user_id]).await?;
        }
        MemberChange::Kick | MemberChange::Ban => {
            let sql = "DELETE FROM group_members WHERE group_id = $1 AND user_id = $2";
            moved = -(tx.execute(sql, args![group.id, user_id]).await? as i64);
            if change == MemberChange::Ban {
                // A ban that has ended may still have its row.
                let sql = "INSERT INTO group_bans (group_id, user_id, uid, banned_by, banned_at, reason, until) \
                           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (group_id, user_id) DO UPDATE \
                           SET banned_by = $4, banned_at = $5, reason = $6, until = $7";
                let banned_by = acting_uid(acting).map_or_else(|| caller.label(), Uid::to_string);
                let (reason, until) = (ban.reason.as_deref(), ban.length.until(at));
                tx.execute(sql, args![group.id, user_id, uid.as_str(), banned_by, at, reason, until]).await?;
            }
        }
        MemberChange::Unban => {
            tx.execute("DELETE FROM group_bans WHERE group_id = $1 AND user_id = $2", args![group.id, user_id]).await?;
        }
    }
    let new_scope = match change {
        MemberChange::Add(scope) | MemberChange::SetScope(scope) => Some(scope),
        _ => None,
    };
    let event = Content::member_event(change.event(), actor_uid, uid, scope, new_scope);
    let mut details = json!({"uid": uid, "scope": new_scope, "onBehalfOf": acting_uid(acting)});
    if change == MemberChange::Ban {
        details["reason"] = json!(ban.reason);
        details["until"] = json!(ban.length.until(at));
    }
    let change = Change { app: Some(app.id), action: change.audit_action(), object: format!("group:{guid}"), details };
    record(tx, caller, change).await?;
    Ok(Ok((moved, NewMessage::in_group(app.id, group.id, guid, event, at))))
}

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
    let user_id = user_rows::find(db, app, uid).await?.id;
    let seen = group_rows::find(db, app, Some(user_id), guid).await?;
    let stored_hash: Option<String> =
        db.scalar("SELECT password_hash FROM groups WHERE id = $1", args![seen.id]).await?;
    // Checked before the write turn: argon2 takes tens of milliseconds.
    if let Some(stored_hash) = stored_hash {
        let given = given_password
            .ok_or_else(|| Error::invalid("ERR_EMPTY_GROUP_PASS", "This group is joined with its password."))?;
        if !passwords.verify(given.expose().to_owned(), Some(stored_hash)).await? {
            return Err(Error::Refused {
                code: "ERR_WRONG_GROUP_PASS",
                message: "The group's password is wrong.".into(),
            });
        }
    }
    let mut tx = db.begin_write().await?;
    let group = lock_group(&mut tx, app, guid).await?;
    if scope_of(&mut tx, group.id, user_id).await?.is_some() {
        return Err(already_joined(uid, guid));
    }
    if group.group_type == GroupType::Private {
        return Err(guid_not_found(guid));
    }
    if is_banned(&mut tx, group.id, user_id).await? {
        return Err(banned(uid, guid));
    }
    let at = now();
    insert_member(&mut tx, Seat { group_id: group.id, user_id, guid, uid, scope: Scope::Participant, at }).await?;
    add_to_count(&mut tx, group.id, 1).await?;
    let event = Content::member_event(MemberEvent::Joined, uid.as_str(), uid, None, Some(Scope::Participant));
    insert_messages(&mut tx, &[NewMessage::in_group(app.id, group.id, guid, event, at)]).await?;
    let details = json!({"uid": uid});
    record(
        &mut tx,
        caller,
        Change { app: Some(app.id), action: "member.join", object: format!("group:{guid}"), details },
    )
    .await?;
    tx.commit().await?;
    group_rows::get(db, caller, app, &acting, guid).await
}

/// The user `uid` leaves the group. The owner hands it over first.
pub async fn leave(db: &Db, caller: &Caller, app: &App, uid: &Uid, guid: &Guid) -> Result<()> {
    caller.require_app(app.id)?;
    caller.require(Permission::JoinGroups)?;
    let user_id = user_rows::find(db, app, uid).await?.id;
    let mut tx = db.begin_write().await?;
    let group = lock_group(&mut tx, app, guid).await?;
    let scope = acting_scope(&mut tx, &group, Some(user_id), guid).await?;
    if group.owner_id == Some(user_id) {
        return Err(Error::conflict(
            "ERR_OWNER_CANNOT_LEAVE",
            "The owner hands the group to another member before leaving.",
        ));
    }
    tx.execute("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2", args![group.id, user_id]).await?;
    add_to_count(&mut tx, group.id, -1).await?;
    let event = Content::member_event(MemberEvent::Left, uid.as_str(), uid, Some(scope), None);
    insert_messages(&mut tx, &[NewMessage::in_group(app.id, group.id, guid, event, now())]).await?;
    let details = json!({"uid": uid});
    record(
        &mut tx,
        caller,
        Change { app: Some(app.id), action: "member.leave", object: format!("group:{guid}"), details },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct MemberQuery {
    /// A prefix of the UID, any case.
    pub search: Option<String>,
    /// Members of any of these scopes; all when empty.
    pub scopes: Vec<Scope>,
    /// Only the members who are connected (`available`), or not.
    pub status: Option<Presence>,
    pub paging: Paging,
}

impl Default for MemberQuery {
    fn default() -> Self {
        Self { search: None, scopes: Vec::new(), status: None, paging: Paging::first(100) }
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
    reason: Option<String>,
    until: Option<i64>,
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
            reason: r.reason,
            until: r.until,
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
) -> Result<group_rows::GroupRow> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let acting_id = acting_id(db, app, acting).await?;
    let group = group_rows::find(db, app, acting_id, guid).await?;
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
    let unfiltered = query.scopes.is_empty()
        && query.status.is_none()
        && query.search.as_deref().is_none_or(|s| s.trim().is_empty());
    let listing = UidListing {
        table: "group_members m",
        columns: "m.uid, u.name, u.avatar, m.scope, m.joined_at",
        scopes: query.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
        known_total: unfiltered.then_some(group.members_count),
        in_force_at: None,
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
        columns: "m.uid, u.name, m.banned_by, m.banned_at, m.reason, m.until",
        scopes: Vec::new(),
        known_total: None,
        in_force_at: Some(now()),
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
    /// Keeps only the bans in force at this moment.
    in_force_at: Option<i64>,
}

/// A page of a group's rows in UID order, keyset-paged on the UID.
async fn uid_page<R>(db: &Db, group_id: i64, listing: UidListing, query: MemberQuery) -> Result<Page<R>>
where
    R: Row + HasUid,
{
    let (per_page, offset) = (query.paging.size(), query.paging.offset());
    let mut filter = Conditions::default();
    let UidListing { table, columns, scopes, known_total, in_force_at } = listing;
    let group = filter.placeholder(group_id);
    filter.parts.push(format!("m.group_id = {group}"));
    if let Some(at) = in_force_at {
        let at = filter.placeholder(at);
        filter.parts.push(format!("(m.until IS NULL OR m.until > {at})"));
    }
    if !scopes.is_empty() {
        let scopes = filter.list(scopes.into_iter().map(Arg::from));
        filter.parts.push(format!("m.scope IN ({scopes})"));
    }
    if let Some(prefix) = query.search.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()) {
        let search = filter.prefix_of("m.uid", &prefix);
        filter.parts.push(search.to_string());
    }
    // Presence is the user's: only then does the count read the users too.
    let counted = match query.status {
        Some(status) => {
            let status = filter.placeholder(status.as_str().to_owned());
            filter.parts.push(format!("u.status = {status}"));
            format!("{table} JOIN users u ON u.id = m.user_id")
        }
        None => table.to_owned(),
    };
    let count_sql = keyset::capped_count(&counted, &filter.sql());
    let count_args = filter.args.len();
    if let Some(cursor) = &query.paging.cursor {
        let (_, uid) = keyset::parse_cursor(cursor)?;
        let uid = filter.placeholder(uid);
        filter.parts.push(format!("m.uid > {uid}"));
    }
    let page_sql = format!(
        "SELECT {columns} FROM {table} JOIN users u ON u.id = m.user_id WHERE {} ORDER BY m.uid LIMIT {} OFFSET {offset}",
        filter.sql(),
        per_page + 1
    );
    let total = match known_total {
        Some(total) => total,
        None => db.scalar(&count_sql, &filter.args[..count_args]).await?,
    };
    let rows: Vec<R> = db.all(&page_sql, &filter.args).await?;
    let (rows, next_cursor) =
        keyset::page_end(rows, per_page as usize, |r| keyset::cursor(serde_json::Value::Null, r.uid()));
    let (total, total_is_exact) = keyset::capped_total(total, known_total.is_some());
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
