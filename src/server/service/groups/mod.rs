//! An app's groups. Who sees a group depends on its type and on who asks:
//! the app (an operator or a REST API Key) sees every group, a user acting
//! through `onbehalfof` sees public and password groups and the private
//! groups they are a member of.

mod list;

pub use list::*;

pub use super::group_rows::{Acting, get, guid_not_found};
use super::group_rows::{
    GroupRow, LockedGroup, OWNER_JOIN, Seat, VISIBLE_TO_USER, acting_id, acting_scope, acting_uid, find, group_columns,
    insert_member, lock_group, membership_join, not_a_member, scope_of, with_tags,
};

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{
    apps::App,
    audit::{Change, record},
    keyset::{self, Conditions, Paging, PrefixRange},
    members::{self, MemberChange, Outcome},
    message_writes, now,
    tags::{self, Tagged, WithTags, insert_tags, replace_tags},
    user_rows,
};
use crate::args;
use crate::domain::{
    Content, GroupAction, GroupPassword, GroupSort, GroupType, GroupView, Guid, MemberEvent, Page, SYSTEM_SENDER,
    Scope, Uid, may,
};
use crate::server::{
    Error, Result,
    access::{Caller, Permission, password::PasswordChecks},
    db::{Arg, Constraint, Db, Tx},
    error::OnConstraint,
};

/// A group's fields as the caller checked them; `None` leaves one as it is,
/// `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct GroupFields {
    pub name: Option<String>,
    pub group_type: Option<GroupType>,
    pub password: Option<GroupPassword>,
    pub icon: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub metadata: Option<Option<Value>>,
    pub tags: Option<Vec<String>>,
    /// A member to hand the group to, as `transfer_ownership` does.
    pub owner: Option<Uid>,
}

/// Who a new group starts with, by scope, and who is banned from it.
#[derive(Debug, Default)]
pub struct MemberLists {
    pub admins: Vec<Uid>,
    pub moderators: Vec<Uid>,
    pub participants: Vec<Uid>,
    pub banned: Vec<Uid>,
}

impl MemberLists {
    pub fn changes(self) -> Vec<(Uid, MemberChange)> {
        let add = |uids: Vec<Uid>, scope| uids.into_iter().map(move |uid| (uid, MemberChange::Add(scope)));
        add(self.admins, Scope::Admin)
            .chain(add(self.moderators, Scope::Moderator))
            .chain(add(self.participants, Scope::Participant))
            .chain(self.banned.into_iter().map(|uid| (uid, MemberChange::Ban)))
            .collect()
    }
}

/// The password hash a group of `group_type` keeps: a password group must
/// be given one, other groups have none.
async fn password_hash(
    passwords: &PasswordChecks,
    group_type: GroupType,
    password: Option<&GroupPassword>,
) -> Result<Option<String>> {
    match (group_type, password) {
        (GroupType::Password, Some(password)) => Ok(Some(passwords.hash(password.expose()).await?)),
        (GroupType::Password, None) => {
            Err(Error::invalid("ERR_EMPTY_GROUP_PASS", "A password group needs a password."))
        }
        (_, Some(_)) => Err(Error::invalid("ERR_INVALID_GROUP_PASSWORD", "Only password groups have a password.")),
        (_, None) => Ok(None),
    }
}

/// Creates a group. Its owner (`owner`, else the acting user) becomes its
/// first admin; the members given are then added one by one, each with its
/// own outcome, as `POST /groups/{guid}/members` would.
/// A group to create: its id, fields, owner and first members.
#[derive(Debug)]
pub struct NewGroup {
    pub guid: Guid,
    pub fields: GroupFields,
    /// Defaults to the acting user.
    pub owner: Option<Uid>,
    pub members: MemberLists,
}

pub async fn create(
    db: &Db,
    passwords: &PasswordChecks,
    caller: &Caller,
    app: &App,
    acting: &Acting,
    new: NewGroup,
) -> Result<(GroupView, Vec<Outcome>)> {
    let NewGroup { guid, fields, owner, members } = new;
    caller.require_app(app.id)?;
    caller.require(Permission::ManageGroups)?;
    let changes = members.changes();
    if !changes.is_empty() {
        members::check_batch(&changes)?;
    }
    let name = fields.name.ok_or_else(|| Error::invalid("ERR_INVALID_GROUP_NAME", "A group name is required."))?;
    let group_type = fields.group_type.unwrap_or(GroupType::Public);
    let password_hash = password_hash(passwords, group_type, fields.password.as_ref()).await?;
    let owner = owner.or(match acting {
        Acting::User(uid) => Some(uid.clone()),
        Acting::App => None,
    });
    let owner_id = match &owner {
        Some(uid) => Some(user_rows::find(db, app, uid).await?.id),
        None => None,
    };
    let at = now();
    let tags = fields.tags.unwrap_or_default();
    let mut tx = db.begin_write().await?;
    let sql = "INSERT INTO groups (app, guid, name, name_lower, type, password_hash, icon, description, metadata, \
               owner_id, members_count, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id";
    let args = args![
        app.id,
        guid.as_str(),
        &name,
        name.to_lowercase(),
        group_type.as_str(),
        &password_hash,
        fields.icon.flatten(),
        fields.description.flatten(),
        fields.metadata.flatten(),
        owner_id,
        i64::from(owner_id.is_some()),
        at,
    ];
    let id: i64 = tx.scalar(sql, args).await.on_constraint(Constraint::Guid, || {
        Error::conflict("ERR_GUID_ALREADY_EXISTS", format!("The group {guid} exists already."))
    })?;
    if let (Some(owner_id), Some(owner)) = (owner_id, &owner) {
        let seat = Seat { group_id: id, user_id: owner_id, guid: &guid, uid: owner, scope: Scope::Admin, at };
        insert_member(&mut tx, seat).await?;
    }
    insert_tags(&mut tx, Tagged::Group, tags.iter().map(|tag| (app.id, id, tag.as_str()))).await?;
    count_groups(&mut tx, app.id, 1).await?;
    let details = json!({"name": name, "type": group_type, "owner": owner, "onBehalfOf": acting_uid(acting)});
    record(
        &mut tx,
        caller,
        Change { app: Some(app.id), action: "group.create", object: format!("group:{guid}"), details },
    )
    .await?;
    tx.commit().await?;
    // The members are added as the app: whoever may create a group may
    // seat its first members.
    let outcomes = if changes.is_empty() {
        Vec::new()
    } else {
        members::change(db, caller, app, &Acting::App, &guid, changes).await?
    };
    Ok((get(db, caller, app, acting, &guid).await?, outcomes))
}

/// Moves the group count of the app with internal id `app` by `by`.
pub(super) async fn count_groups(tx: &mut Tx, app: i64, by: i64) -> Result<()> {
    tx.execute("UPDATE group_counts SET total = total + $1 WHERE app = $2", args![by, app]).await?;
    Ok(())
}

pub async fn update(
    db: &Db,
    passwords: &PasswordChecks,
    caller: &Caller,
    app: &App,
    acting: &Acting,
    guid: &Guid,
    fields: GroupFields,
) -> Result<GroupView> {
    caller.require_app(app.id)?;
    caller.require(Permission::ManageGroups)?;
    let acting_id = acting_id(db, app, acting).await?;
    let current = with_tags(db, vec![find(db, app, acting_id, guid).await?], false).await?.pop();
    let current = current.ok_or_else(|| guid_not_found(guid))?;
    let group_type = fields.group_type.unwrap_or(current.group_type);
    // A password group keeps its password unless given a new one.
    let keeps_password =
        group_type == GroupType::Password && current.group_type == GroupType::Password && fields.password.is_none();
    let new_hash =
        if keeps_password { None } else { Some(password_hash(passwords, group_type, fields.password.as_ref()).await?) };
    let name = fields.name.unwrap_or(current.name);
    let icon = fields.icon.unwrap_or(current.icon);
    let description = fields.description.unwrap_or(current.description);
    let metadata = fields.metadata.unwrap_or(current.metadata);
    let tags_changed = fields.tags.is_some();
    let tags = fields.tags.unwrap_or(current.tags);
    let new_owner = match fields.owner.filter(|owner| current.owner.as_ref() != Some(owner)) {
        Some(owner) => Some((user_rows::find(db, app, &owner).await?.id, owner)),
        None => None,
    };
    let mut tx = db.begin_write().await?;
    let group = lock_group(&mut tx, app, guid).await?;
    let scope = acting_scope(&mut tx, &group, acting_id, guid).await?;
    may(scope, GroupAction::UpdateGroup, None)?;
    if let Some((owner_id, owner)) = &new_owner {
        let by = Handing { caller, app, acting, acting_id };
        hand_over(&mut tx, &by, &group, guid, (*owner_id, owner)).await?;
    }
    let sql = format!(
        "UPDATE groups SET name = $1, name_lower = $2, type = $3, icon = $4, description = $5, metadata = $6, \
         updated_at = $7{} WHERE id = $8",
        if new_hash.is_some() { ", password_hash = $9" } else { "" }
    );
    let mut args = vec![
        Arg::from(&name),
        name.to_lowercase().into(),
        group_type.as_str().into(),
        (&icon).into(),
        (&description).into(),
    ];
    args.extend([Arg::from(&metadata), now().into(), group.id.into()]);
    args.extend(new_hash.map(Arg::from));
    tx.execute(&sql, &args).await?;
    if tags_changed {
        replace_tags(&mut tx, Tagged::Group, app.id, group.id, &tags).await?;
    }
    let details = json!({"name": name, "type": group_type, "onBehalfOf": acting_uid(acting)});
    record(
        &mut tx,
        caller,
        Change { app: Some(app.id), action: "group.update", object: format!("group:{guid}"), details },
    )
    .await?;
    tx.commit().await?;
    get(db, caller, app, acting, guid).await
}

pub async fn delete(db: &Db, caller: &Caller, app: &App, acting: &Acting, guid: &Guid) -> Result<()> {
    caller.require_app(app.id)?;
    caller.require(Permission::ManageGroups)?;
    let acting_id = acting_id(db, app, acting).await?;
    let mut tx = db.begin_write().await?;
    let group = lock_group(&mut tx, app, guid).await?;
    let scope = acting_scope(&mut tx, &group, acting_id, guid).await?;
    may(scope, GroupAction::DeleteGroup, None)?;
    // Its messages go with it: its GUID may be taken again.
    let sql = "DELETE FROM messages WHERE app = $1 AND conversation = $2";
    let removed = tx.execute(sql, args![app.id, format!("group:{guid}")]).await?;
    message_writes::count_messages(&mut tx, &BTreeMap::from([((app.id, None), -(removed as i64))])).await?;
    tx.execute("DELETE FROM groups WHERE id = $1", args![group.id]).await?;
    count_groups(&mut tx, app.id, -1).await?;
    let details = json!({"onBehalfOf": acting_uid(acting)});
    record(
        &mut tx,
        caller,
        Change { app: Some(app.id), action: "group.delete", object: format!("group:{guid}"), details },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Who hands a group over: the caller, in an app, as the user it acts for
/// (`onBehalfOf`, with that user's row id) or as the app itself.
struct Handing<'a> {
    caller: &'a Caller,
    app: &'a App,
    acting: &'a Acting,
    acting_id: Option<i64>,
}

/// Hands the locked group to `new_owner`, a member, who becomes an admin;
/// writes the scope change's action message and the audit row. Only the
/// owner (or the app) may.
async fn hand_over(
    tx: &mut Tx,
    by: &Handing<'_>,
    group: &LockedGroup,
    guid: &Guid,
    (new_owner_id, new_owner): (i64, &Uid),
) -> Result<()> {
    let Handing { caller, app, acting, acting_id } = *by;
    if acting_id.is_some_and(|id| group.owner_id != Some(id)) {
        return Err(Error::Refused {
            code: "ERR_GROUP_NO_CLEARANCE",
            message: "Only the group's owner can hand it over.".into(),
        });
    }
    let Some(scope) = scope_of(tx, group.id, new_owner_id).await? else {
        return Err(not_a_member(new_owner, guid));
    };
    if scope != Scope::Admin {
        let actor = acting_uid(acting).map_or(SYSTEM_SENDER, Uid::as_str);
        let event = Content::member_event(MemberEvent::ScopeChanged, actor, new_owner, Some(scope), Some(Scope::Admin));
        let message = message_writes::NewMessage::in_group(app.id, group.id, guid, event, now());
        message_writes::insert_messages(tx, &[message]).await?;
    }
    let sql = "UPDATE groups SET owner_id = $1, updated_at = $2 WHERE id = $3";
    tx.execute(sql, args![new_owner_id, now(), group.id]).await?;
    let sql = "UPDATE group_members SET scope = $1 WHERE group_id = $2 AND user_id = $3";
    tx.execute(sql, args![Scope::Admin.as_str(), group.id, new_owner_id]).await?;
    let details = json!({"owner": new_owner, "onBehalfOf": acting_uid(acting)});
    let change = Change { app: Some(app.id), action: "group.owner", object: format!("group:{guid}"), details };
    record(tx, caller, change).await
}

/// Hands the group to another member, who becomes an admin. Only the owner
/// (or the app) may.
pub async fn transfer_ownership(
    db: &Db,
    caller: &Caller,
    app: &App,
    acting: &Acting,
    guid: &Guid,
    new_owner: &Uid,
) -> Result<GroupView> {
    caller.require_app(app.id)?;
    caller.require(Permission::ManageGroups)?;
    let acting_id = acting_id(db, app, acting).await?;
    let new_owner_id = user_rows::find(db, app, new_owner).await?.id;
    let mut tx = db.begin_write().await?;
    let group = lock_group(&mut tx, app, guid).await?;
    acting_scope(&mut tx, &group, acting_id, guid).await?;
    let by = Handing { caller, app, acting, acting_id };
    hand_over(&mut tx, &by, &group, guid, (new_owner_id, new_owner)).await?;
    tx.commit().await?;
    get(db, caller, app, acting, guid).await
}
