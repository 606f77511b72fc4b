//! An app's users. Reads are keyset-paged on indexed columns, so a page
//! costs the same at the millionth user as at the first.

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
    messages::remove_messages_of,
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
    auth::{Caller, Permission},
    db::{Arg, Db, Row, Tx},
    error::OnConstraint,
    group_commit::GroupCommit,
};

/// A user as `users` holds them. Public only as the row a public trait
/// names ([`Listable`]); its fields stay inside the service.
#[derive(FromRow)]
pub struct UserRow {
    pub(super) id: i64,
    pub(super) uid: String,
    name: String,
    avatar: Option<String>,
    link: Option<String>,
    role: String,
    metadata: Option<String>,
    status_message: Option<String>,
    status: String,
    created_at: i64,
    updated_at: i64,
    last_active_at: Option<i64>,
    deactivated_at: Option<i64>,
}

pub(super) const USER_COLUMNS: &str = "id, uid, name, avatar, link, role, metadata, status_message, status, created_at, updated_at, \
                            last_active_at, deactivated_at";

impl UserRow {
    fn into_view(self, tags: Vec<String>) -> Result<UserView> {
        Ok(UserView {
            uid: stored(Uid::parse(&self.uid))?,
            name: self.name,
            avatar: self.avatar,
            link: self.link,
            role: stored(RoleId::parse(&self.role))?,
            metadata: self
                .metadata
                .map(|m| serde_json::from_str(&m))
                .transpose()
                .map_err(|e| Error::Internal(e.to_string()))?,
            status_message: self.status_message,
            status: self.status,
            tags,
            created_at: self.created_at,
            updated_at: self.updated_at,
            last_active_at: self.last_active_at,
            deactivated_at: self.deactivated_at,
        })
    }
}

/// What a list of users reads of each and gives: the whole user, as the
/// REST API answers, or the summary a dashboard table shows, which reads
/// neither metadata nor tags.
pub trait Listable: Sized {
    type Row: Row;
    /// The columns of `users` the row reads.
    const COLUMNS: &'static str;
    /// What a page's statement selects of the user whose internal id is
    /// `id`: the columns, and whatever comes with them.
    fn selected(_db: &Db, _id: &str) -> String {
        Self::COLUMNS.to_owned()
    }
    /// Where a cursor after this row places it.
    fn keys(row: &Self::Row) -> SortKeys<'_>;
    fn from_row(row: Self::Row) -> Result<Self>;
}

/// What a keyset cursor places a user by, whatever the order.
pub struct SortKeys<'a> {
    uid: &'a str,
    name: &'a str,
    created_at: i64,
    last_active_at: Option<i64>,
}

impl Listable for UserView {
    type Row = WithTags<UserRow>;
    const COLUMNS: &'static str = USER_COLUMNS;

    fn selected(db: &Db, id: &str) -> String {
        format!("{USER_COLUMNS}, {}", tags::json_of(db, Tagged::User, id))
    }

    fn keys(listed: &Self::Row) -> SortKeys<'_> {
        let row = &listed.row;
        SortKeys { uid: &row.uid, name: &row.name, created_at: row.created_at, last_active_at: row.last_active_at }
    }

    fn from_row(row: Self::Row) -> Result<Self> {
        row.view(UserRow::into_view)
    }
}

/// What [`UserSummary`] is made from.
#[derive(FromRow)]
pub struct SummaryRow {
    uid: String,
    name: String,
    role: String,
    status: String,
    created_at: i64,
    last_active_at: Option<i64>,
    deactivated_at: Option<i64>,
}

impl Listable for UserSummary {
    type Row = SummaryRow;
    const COLUMNS: &'static str = "uid, name, role, status, created_at, last_active_at, deactivated_at";

    fn keys(row: &Self::Row) -> SortKeys<'_> {
        SortKeys { uid: &row.uid, name: &row.name, created_at: row.created_at, last_active_at: row.last_active_at }
    }

    fn from_row(row: Self::Row) -> Result<Self> {
        Ok(UserSummary {
            uid: stored(Uid::parse(&row.uid))?,
            name: row.name,
            role: stored(RoleId::parse(&row.role))?,
            status: row.status,
            created_at: row.created_at,
            last_active_at: row.last_active_at,
            deactivated_at: row.deactivated_at,
        })
    }
}

/// Fails with `ERR_ROLE_NOT_FOUND` unless the app has the role.
async fn require_role(tx: &mut Tx, app: &App, role: &RoleId) -> Result<()> {
    let sql = "SELECT 1 FROM roles WHERE app = $1 AND role = $2";
    let found: Option<i32> = tx.optional_scalar(sql, args![app.id, role.as_str()]).await?;
    found.map(|_| ()).ok_or_else(|| roles::not_found(role))
}

/// Moves the user counts of the app with internal id `app` by the given amounts.
pub(super) async fn adjust_counts(tx: &mut Tx, app: i64, active: i64, deactivated: i64) -> Result<()> {
    let sql = "UPDATE user_counts SET active = active + $1, deactivated = deactivated + $2 WHERE app = $3";
    tx.execute(sql, args![active, deactivated, app]).await?;
    Ok(())
}

/// A user about to be written, every field checked.
pub(super) struct NewUser {
    pub(super) app: i64,
    pub(super) uid: Uid,
    pub(super) name: String,
    pub(super) avatar: Option<String>,
    pub(super) link: Option<String>,
    pub(super) role: RoleId,
    pub(super) metadata: Option<String>,
    pub(super) status_message: Option<String>,
    pub(super) tags: Vec<String>,
    pub(super) created_at: i64,
    pub(super) last_active_at: Option<i64>,
}

/// A written user's row, with the app it is in.
#[derive(FromRow)]
pub(super) struct Inserted {
    pub(super) app: i64,
    #[sqlx(flatten)]
    pub(super) row: UserRow,
}

/// Inserts `users` with their tags in `tx`, in multi-row statements;
/// answers their rows in the same order.
pub(super) async fn insert_users<'u>(
    tx: &mut Tx,
    users: impl IntoIterator<Item = &'u NewUser>,
) -> std::result::Result<Vec<UserRow>, sqlx::Error> {
    let users: Vec<&NewUser> = users.into_iter().collect();
    let rows: Vec<Arg> = users
        .iter()
        .flat_map(|user| {
            [
                user.app.into(),
                user.uid.as_str().into(),
                user.name.as_str().into(),
                user.name.to_lowercase().into(),
                user.avatar.as_deref().into(),
                user.link.as_deref().into(),
                user.role.as_str().into(),
                user.metadata.as_deref().into(),
                user.status_message.as_deref().into(),
                user.created_at.into(),
                user.created_at.into(),
                user.last_active_at.into(),
            ]
        })
        .collect();
    let sql = format!(
        "INSERT INTO users (app, uid, name, name_lower, avatar, link, role, metadata, status_message, \
         created_at, updated_at, last_active_at) VALUES {{}} RETURNING app, {USER_COLUMNS}"
    );
    let inserted: Vec<Inserted> = tx.all_rows(&sql, 12, &rows).await?;
    let mut written: HashMap<(i64, String), UserRow> =
        inserted.into_iter().map(|i| ((i.app, i.row.uid.clone()), i.row)).collect();
    let tags = users.iter().flat_map(|user| {
        let id = written.get(&(user.app, user.uid.to_string())).map_or(0, |row| row.id);
        user.tags.iter().map(move |tag| (user.app, id, tag.as_str()))
    });
    tags::insert_tags(tx, Tagged::User, tags.collect::<Vec<_>>()).await?;
    // Every user was written, or its insert failed above.
    users.iter().map(|user| written.remove(&(user.app, user.uid.to_string())).ok_or(sqlx::Error::RowNotFound)).collect()
}

/// The internal ids of the users named by `keys` (`(app, &Uid)`), read in
/// `tx`: a map from `(app, uid)` that leaves out the users who do not exist.
pub(super) async fn ids_of<'u>(
    tx: &mut Tx,
    keys: impl IntoIterator<Item = (i64, &'u Uid)>,
) -> Result<HashMap<(i64, String), i64>> {
    let rows: Vec<Arg> = keys.into_iter().flat_map(|(app, uid)| [app.into(), uid.as_str().into()]).collect();
    // A join on a list of values, which both databases answer from the
    // (app, uid) index; `(app, uid) IN (VALUES ...)` scans on SQLite.
    let sql = "WITH wanted (app, uid) AS (VALUES {}) \
               SELECT u.app, u.uid, u.id FROM wanted JOIN users u ON u.app = wanted.app AND u.uid = wanted.uid";
    let found: Vec<(i64, String, i64)> = tx.all_rows(sql, 2, &rows).await?;
    Ok(found.into_iter().map(|(app, uid, id)| ((app, uid), id)).collect())
}

pub fn uid_not_found(uid: &Uid) -> Error {
    Error::not_found("ERR_UID_NOT_FOUND", format!("This app has no user {uid}."))
}

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

/// Creates a user, and with `with_token` their first auth token, in one transaction.
pub async fn create(
    db: &Db,
    caller: &Caller,
    app: &App,
    uid: Uid,
    fields: UserFields,
    with_token: Option<Device>,
) -> Result<(UserView, Option<NewAuthToken>)> {
    caller.require_app(app.id)?;
    caller.require(Permission::CreateUsers)?;
    if with_token.is_some() {
        caller.require(Permission::IssueTokens)?;
    }
    let name = fields.name.ok_or_else(|| Error::invalid("ERR_INVALID_NAME", "A name is required."))?;
    let at = now();
    let user = NewUser {
        app: app.id,
        uid,
        name,
        avatar: fields.avatar.flatten(),
        link: fields.link.flatten(),
        role: fields.role.unwrap_or_else(RoleId::default_role),
        metadata: fields.metadata.flatten().map(|m| m.to_string()),
        status_message: fields.status_message.flatten(),
        tags: fields.tags.unwrap_or_default(),
        created_at: at,
        last_active_at: None,
    };
    creations(db).write(db, Creation { caller: caller.clone(), user: Arc::new(user), with_token }).await
}

/// A user to create, waiting for its group to be written.
#[derive(Clone)]
struct Creation {
    caller: Caller,
    user: Arc<NewUser>,
    with_token: Option<Device>,
}

type Created = (UserView, Option<NewAuthToken>);

/// User creations queue to be written together (see `group_commit`).
fn creations(db: &Db) -> Arc<GroupCommit<Creation, Created>> {
    db.kept(|| GroupCommit::new(|db, creations| Box::pin(write_creations(db, creations))))
}

async fn write_creations(db: Db, creations: Arc<[Creation]>) -> Result<Vec<Created>> {
    // Which constraint failed is only known for a group of one, the way a
    // failed group is tried again; a larger group's error is never shown.
    let first = &creations[0].user;
    let mut added: BTreeMap<i64, i64> = BTreeMap::new();
    for creation in creations.iter() {
        *added.entry(creation.user.app).or_default() += 1;
    }
    let mut tx = db.begin_write().await?;
    let rows = insert_users(&mut tx, creations.iter().map(|c| &*c.user)).await.on_constraint(
        || Error::conflict("ERR_UID_ALREADY_EXISTS", format!("The user {} exists already.", first.uid)),
        || roles::not_found(&first.role),
    )?;
    for (app, count) in &added {
        adjust_counts(&mut tx, *app, *count, 0).await?;
    }
    let per_app_day: Vec<_> = added.iter().map(|(app, count)| ((*app, day_of(first.created_at)), *count)).collect();
    add_daily(&mut tx, Figure::Users, &per_app_day).await?;
    let tokens: Vec<(usize, NewToken)> = creations
        .iter()
        .zip(&rows)
        .enumerate()
        .filter_map(|(n, (c, row))| Some((n, NewToken::new(c.user.app, row.id, c.with_token.clone()?))))
        .collect();
    let token_ids = auth_tokens::insert_tokens(&mut tx, tokens.iter().map(|(_, token)| token)).await?;
    let user_changes = creations.iter().map(|c| {
        let change = Change {
            app: Some(c.user.app),
            action: "user.create",
            object: format!("user:{}", c.user.uid),
            details: json!({"name": c.user.name, "role": c.user.role}),
        };
        (&c.caller, change)
    });
    let token_changes = tokens
        .iter()
        .zip(&token_ids)
        .map(|((n, token), id)| (&creations[*n].caller, token.change(&creations[*n].user.uid, *id)));
    record_all(&mut tx, user_changes.chain(token_changes)).await?;
    tx.commit().await?;
    let mut minted: HashMap<usize, NewAuthToken> = tokens
        .into_iter()
        .zip(token_ids)
        .map(|((n, token), id)| (n, token.shown(creations[n].user.uid.clone(), id)))
        .collect();
    creations
        .iter()
        .zip(rows)
        .enumerate()
        .map(|(n, (creation, row))| Ok((row.into_view(creation.user.tags.clone())?, minted.remove(&n))))
        .collect()
}

/// The user row and internal id behind a UID, or `ERR_UID_NOT_FOUND`.
pub(super) async fn find(db: &Db, app: &App, uid: &Uid) -> Result<UserRow> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.app = $1 AND u.uid = $2");
    let row: Option<UserRow> = db.optional(&sql, args![app.id, uid.as_str()]).await?;
    row.ok_or_else(|| uid_not_found(uid))
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

pub async fn update(db: &Db, caller: &Caller, app: &App, uid: &Uid, fields: UserFields) -> Result<UserView> {
    caller.require_app(app.id)?;
    caller.require(Permission::ManageUsers)?;
    let current = find(db, app, uid).await?;
    let id = current.id;
    let mut user = with_tags(db, vec![current]).await?.pop().ok_or_else(|| uid_not_found(uid))?;
    let tags_changed = fields.tags.is_some();
    if let Some(name) = fields.name {
        user.name = name;
    }
    if let Some(avatar) = fields.avatar {
        user.avatar = avatar;
    }
    if let Some(link) = fields.link {
        user.link = link;
    }
    if let Some(role) = fields.role {
        user.role = role;
    }
    if let Some(metadata) = fields.metadata {
        user.metadata = metadata;
    }
    if let Some(tags) = fields.tags {
        user.tags = tags;
    }
    if let Some(status_message) = fields.status_message {
        user.status_message = status_message;
    }
    user.updated_at = now();
    let mut tx = db.begin_write().await?;
    require_role(&mut tx, app, &user.role).await?;
    let sql = "UPDATE users SET name = $1, name_lower = $2, avatar = $3, link = $4, role = $5, metadata = $6, \
               status_message = $7, updated_at = $8 WHERE id = $9";
    let args = args![
        &user.name,
        user.name.to_lowercase(),
        &user.avatar,
        &user.link,
        user.role.as_str(),
        &user.metadata,
        &user.status_message,
        user.updated_at,
        id,
    ];
    tx.execute(sql, args).await?;
    if tags_changed {
        replace_tags(&mut tx, Tagged::User, app.id, id, &user.tags).await?;
    }
    let details = json!({"name": user.name, "role": user.role});
    record(
        &mut tx,
        caller,
        Change { app: Some(app.id), action: "user.update", object: format!("user:{uid}"), details },
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

/// At most this many UIDs in one bulk call.
pub const MAX_BULK: usize = 100;

/// Deactivates (or reactivates) users; answers the UIDs that changed. A
/// deactivated user keeps their data and can be reactivated.
pub async fn set_deactivated(db: &Db, caller: &Caller, app: &App, uids: &[Uid], deactivated: bool) -> Result<Vec<Uid>> {
    caller.require_app(app.id)?;
    caller.require(if deactivated { Permission::ModerateUsers } else { Permission::ManageUsers })?;
    require_bulk_size(uids)?;
    let (action, at) = if deactivated { ("user.deactivate", Some(now())) } else { ("user.reactivate", None) };
    let mut changed = Vec::new();
    let sql = format!(
        "UPDATE users SET deactivated_at = $1 WHERE app = $2 AND uid = $3 AND deactivated_at IS {}NULL",
        if deactivated { "" } else { "NOT " }
    );
    let mut tx = db.begin_write().await?;
    for uid in uids {
        if tx.execute(&sql, args![at, app.id, uid.as_str()]).await? == 1 {
            let moved = if deactivated { 1 } else { -1 };
            adjust_counts(&mut tx, app.id, -moved, moved).await?;
            let change = Change { app: Some(app.id), action, object: format!("user:{uid}"), details: json!({}) };
            record(&mut tx, caller, change).await?;
            if deactivated {
                events::announce(&mut tx, &[Event::UserGone { app: app.id, uid: uid.to_string() }]).await?;
            }
            changed.push(uid.clone());
        }
    }
    tx.commit().await?;
    Ok(changed)
}

/// Removes users and everything that belongs to them: tags, auth tokens,
/// friendships, group memberships and bans. Answers the UIDs that were there to remove.
pub async fn delete_permanently(db: &Db, caller: &Caller, app: &App, uids: &[Uid]) -> Result<Vec<Uid>> {
    caller.require_app(app.id)?;
    caller.require(Permission::ManageUsers)?;
    require_bulk_size(uids)?;
    let mut deleted = Vec::new();
    let mut tx = db.begin_write().await?;
    for uid in uids {
        // Their memberships go with them (the foreign key cascades), and
        // so do their seats in the member counts, and every message they
        // sent or were sent: their UID may be taken again.
        let sql = "UPDATE groups SET members_count = members_count - 1 WHERE id IN \
                   (SELECT m.group_id FROM group_members m JOIN users u ON u.id = m.user_id WHERE u.app = $1 AND u.uid = $2)";
        tx.execute(sql, args![app.id, uid.as_str()]).await?;
        let sql = "SELECT id FROM users WHERE app = $1 AND uid = $2";
        if let Some(user_id) = tx.optional_scalar::<i64>(sql, args![app.id, uid.as_str()]).await? {
            remove_messages_of(&mut tx, app.id, uid, user_id).await?;
        }
        let sql = "DELETE FROM users WHERE app = $1 AND uid = $2 RETURNING deactivated_at";
        let was: Option<Option<i64>> = tx.optional_scalar(sql, args![app.id, uid.as_str()]).await?;
        match was {
            None => continue,
            Some(None) => adjust_counts(&mut tx, app.id, -1, 0).await?,
            Some(Some(_)) => adjust_counts(&mut tx, app.id, 0, -1).await?,
        }
        let details = json!({"permanent": true});
        record(
            &mut tx,
            caller,
            Change { app: Some(app.id), action: "user.delete", object: format!("user:{uid}"), details },
        )
        .await?;
        events::announce(&mut tx, &[Event::UserGone { app: app.id, uid: uid.to_string() }]).await?;
        deleted.push(uid.clone());
    }
    tx.commit().await?;
    Ok(deleted)
}

/// Gives users another role; answers the UIDs whose role changed.
pub async fn set_role(db: &Db, caller: &Caller, app: &App, uids: &[Uid], role: &RoleId) -> Result<Vec<Uid>> {
    caller.require_app(app.id)?;
    caller.require(Permission::ManageUsers)?;
    require_bulk_size(uids)?;
    let mut changed = Vec::new();
    let mut tx = db.begin_write().await?;
    require_role(&mut tx, app, role).await?;
    for uid in uids {
        let sql = "UPDATE users SET role = $1, updated_at = $2 WHERE app = $3 AND uid = $4 AND role <> $1";
        if tx.execute(sql, args![role.as_str(), now(), app.id, uid.as_str()]).await? == 1 {
            let details = json!({"role": role});
            let change = Change { app: Some(app.id), action: "user.update", object: format!("user:{uid}"), details };
            record(&mut tx, caller, change).await?;
            changed.push(uid.clone());
        }
    }
    tx.commit().await?;
    Ok(changed)
}

fn require_bulk_size(uids: &[Uid]) -> Result<()> {
    if uids.len() > MAX_BULK {
        return Err(Error::invalid("ERR_TOO_MANY_UIDS", format!("Send at most {MAX_BULK} UIDs at a time.")));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserOrder {
    Uid,
    Name,
    CreatedAt,
    /// Users never seen count as seen at time zero, so they come last when
    /// the most recently active come first.
    LastActiveAt,
    /// For a search on UID or name: by the text that matched, the UID if it
    /// did, else the name. Each half then reads in its own index order.
    Match,
}

impl UserOrder {
    /// A search reads by the text it matched unless told otherwise: that is
    /// the order its index gives, so a broad prefix costs no sort.
    pub fn chosen(sort: Option<UserSort>, search_in: SearchIn, searching: bool) -> Self {
        match (sort, search_in) {
            (Some(sort), _) => sort.into(),
            (None, SearchIn::Name) if searching => UserOrder::Name,
            (None, SearchIn::Either) if searching => UserOrder::Match,
            (None, _) => UserOrder::Uid,
        }
    }
}

impl From<UserSort> for UserOrder {
    fn from(sort: UserSort) -> Self {
        match sort {
            UserSort::Uid => UserOrder::Uid,
            UserSort::Name => UserOrder::Name,
            UserSort::CreatedAt => UserOrder::CreatedAt,
            UserSort::LastActiveAt => UserOrder::LastActiveAt,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchIn {
    Uid,
    Name,
    Either,
}

#[derive(Debug, Clone)]
pub struct UserQuery {
    /// A prefix of the UID or the name, any case.
    pub search: Option<String>,
    pub search_in: SearchIn,
    pub roles: Vec<RoleId>,
    /// Users with any of these tags.
    pub tags: Vec<String>,
    /// Only this user's friends.
    pub friends_of: Option<Uid>,
    pub status: Option<Presence>,
    pub showing: Showing,
    pub order: UserOrder,
    pub descending: bool,
    pub paging: Paging,
}

impl UserQuery {
    /// The dashboard's list: a filter as the address holds it.
    pub fn filtered(filter: UserFilter, per_page: i64, cursor: Option<String>) -> Self {
        let searching = !filter.search.trim().is_empty();
        Self {
            order: UserOrder::chosen(filter.sort, SearchIn::Either, searching),
            search: Some(filter.search),
            search_in: SearchIn::Either,
            roles: filter.role.into_iter().collect(),
            tags: filter.tag.into_iter().collect(),
            friends_of: None,
            status: filter.status,
            showing: filter.show,
            descending: filter.order == SortOrder::Desc,
            paging: Paging::after(per_page, cursor),
        }
    }
}

/// A filtered list counts its matches up to here: counting every match of a
/// broad prefix among millions would cost more than the page itself. Past
/// a thousand, an operator narrows the search rather than reads the number;
/// counting to ten thousand took half of a search's time at a million users.
pub const COUNT_CAP: i64 = 1_000;

/// The last-active sort key, as its index holds it.
const LAST_ACTIVE: &str = "COALESCE(u.last_active_at, 0)";

/// The keyset position after a row: its sort value and UID.
fn cursor_after(order: UserOrder, descending: bool, user: SortKeys<'_>, search: Option<&str>) -> String {
    let at = match order {
        UserOrder::Uid => Value::Null,
        UserOrder::Name => json!(user.name.to_lowercase()),
        UserOrder::CreatedAt => json!(user.created_at),
        UserOrder::LastActiveAt => json!(user.last_active_at.unwrap_or(0)),
        UserOrder::Match => json!(match_key(user.uid, &user.name.to_lowercase(), search, descending)),
    };
    keyset::cursor(at, user.uid)
}

/// Which text a search listed a user under: their UID or their name,
/// whichever matched, or when both did, whichever comes first in the
/// order (the UID on a tie).
fn match_key<'a>(uid: &'a str, name_lower: &'a str, search: Option<&str>, descending: bool) -> &'a str {
    let matches = |text: &str| search.is_none_or(|prefix| text.starts_with(prefix));
    let name_first = if descending { name_lower > uid } else { name_lower < uid };
    if matches(uid) && !(matches(name_lower) && name_first) { uid } else { name_lower }
}

fn parse_cursor(order: UserOrder, raw: &str) -> Result<(Option<Arg<'static>>, String)> {
    let invalid = keyset::invalid_cursor;
    let (at, uid) = keyset::parse_cursor(raw)?;
    let at = match (order, at) {
        (UserOrder::Uid, Value::Null) => None,
        (UserOrder::Name | UserOrder::Match, Value::String(text)) => Some(Arg::from(text)),
        (UserOrder::CreatedAt | UserOrder::LastActiveAt, Value::Number(n)) => {
            Some(Arg::from(n.as_i64().ok_or_else(invalid)?))
        }
        _ => return Err(invalid()),
    };
    Ok((at, uid))
}

/// One page of the users `query` picks, each as `L` gives them, with the
/// total that match.
pub async fn list<L: Listable>(db: &Db, caller: &Caller, app: &App, query: UserQuery) -> Result<Page<L>> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let friend_of = match &query.friends_of {
        Some(uid) => Some(find(db, app, uid).await?.id),
        None => None,
    };
    let statements = list_statements::<L>(db, app, query, friend_of)?;
    let ListStatements { count_sql, page_sql, args, count_args, per_page, unfiltered, order, descending, prefix } =
        statements;
    let (mut rows, total) = keyset::read_listed::<L::Row>(db, &page_sql, &count_sql, &args, count_args).await?;
    let more = rows.len() as i64 > per_page;
    rows.truncate(per_page as usize);
    let next_cursor = match rows.last() {
        Some(last) if more => Some(cursor_after(order, descending, L::keys(&last.item), prefix.as_deref())),
        _ => None,
    };
    let users = rows.into_iter().map(|listed| L::from_row(listed.item)).collect::<Result<Vec<_>>>()?;
    let (total, total_is_exact) = if unfiltered || total <= COUNT_CAP { (total, true) } else { (COUNT_CAP, false) };
    Ok(Page { items: users, total, total_is_exact, next_cursor })
}

/// The users list as user `viewer` sees it: their friends alone when
/// their role lists friends only (`listUsers: friendsOnly`).
pub async fn list_seen_by<L: Listable>(
    db: &Db,
    caller: &Caller,
    app: &App,
    viewer: &Uid,
    query: UserQuery,
) -> Result<Page<L>> {
    caller.require_app(app.id)?;
    let query = match roles::settings_of(db, app, viewer).await?.list_users {
        Reach::All => query,
        Reach::FriendsOnly => UserQuery { friends_of: Some(viewer.clone()), ..query },
    };
    list(db, caller, app, query).await
}

/// How the database would run a list of `L`: the plans of its count and of
/// its page, as `keyset::plans` tells them.
pub async fn explain<L: Listable>(db: &Db, caller: &Caller, app: &App, query: UserQuery) -> Result<Vec<String>> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    // Any id will do: the plan does not depend on which user's friends.
    let friend_of = query.friends_of.as_ref().map(|_| 0);
    let ListStatements { count_sql, page_sql, args, count_args, .. } = list_statements::<L>(db, app, query, friend_of)?;
    keyset::plans(db, &[(&count_sql, &args[..count_args]), (&page_sql, &args)]).await
}

/// The statements behind a list of `L`: a capped count, and one page whose
/// rows bring that count with them (see [`keyset::Listed`]).
/// The count takes the first `count_args` of the page's arguments.
struct ListStatements {
    count_sql: String,
    page_sql: String,
    args: Vec<Arg<'static>>,
    count_args: usize,
    per_page: i64,
    /// Counted from the kept totals rather than the table.
    unfiltered: bool,
    order: UserOrder,
    descending: bool,
    /// The search, trimmed and lowercased.
    prefix: Option<String>,
}

fn list_statements<L: Listable>(
    db: &Db,
    app: &App,
    query: UserQuery,
    friend_of: Option<i64>,
) -> Result<ListStatements> {
    let per_page = query.paging.size();
    let offset = query.paging.offset();
    let mut filter = Conditions::default();
    let app_arg = filter.placeholder(Arg::from(app.id));
    filter.parts.push(format!("u.app = {app_arg}"));
    match query.showing {
        Showing::Active => filter.parts.push("u.deactivated_at IS NULL".into()),
        Showing::Deactivated => filter.parts.push("u.deactivated_at IS NOT NULL".into()),
        Showing::All => {}
    }
    let base_conditions = filter.parts.len();
    // Where a search on UID or name sits among the conditions, and its two halves.
    let mut either: Option<(usize, PrefixRange, PrefixRange)> = None;
    let prefix = query.search.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
    if let Some(prefix) = prefix.clone() {
        let search = match query.search_in {
            SearchIn::Uid => filter.prefix_of("u.uid", &prefix).to_string(),
            SearchIn::Name => filter.prefix_of("u.name_lower", &prefix).to_string(),
            SearchIn::Either => {
                let (by_uid, by_name) = (filter.prefix_of("u.uid", &prefix), filter.prefix_of("u.name_lower", &prefix));
                either = Some((filter.parts.len(), by_uid.clone(), by_name.clone()));
                format!("({by_uid} OR {by_name})")
            }
        };
        filter.parts.push(search);
    }
    if !query.roles.is_empty() {
        let roles = filter.list(query.roles.iter().map(|r| Arg::from(r.to_string())));
        filter.parts.push(format!("u.role IN ({roles})"));
    }
    if let Some(status) = query.status {
        let status = filter.placeholder(Arg::from(status.as_str().to_owned()));
        filter.parts.push(format!("u.status = {status}"));
    }
    if !query.tags.is_empty() {
        let tags = filter.list(query.tags.into_iter().map(Arg::from));
        filter.parts.push(format!("EXISTS (SELECT 1 FROM user_tags t WHERE t.user_id = u.id AND t.tag IN ({tags}))"));
    }
    if let Some(friend_of) = friend_of {
        let user = filter.placeholder(Arg::from(friend_of));
        filter.parts.push(format!("EXISTS (SELECT 1 FROM friends f WHERE f.user_id = {user} AND f.friend_id = u.id)"));
    }
    // With no filter but the active/deactivated one, the kept counts answer.
    let unfiltered = filter.parts.len() == base_conditions;
    let count_sql = if unfiltered {
        let counted = match query.showing {
            Showing::Active => "active",
            Showing::Deactivated => "deactivated",
            Showing::All => "active + deactivated",
        };
        format!("SELECT {counted} FROM user_counts WHERE app = {app_arg}")
    } else if let Some((at, by_uid, by_name)) = &either {
        // Users whose UID matches, then, only if they are not already past
        // the cap, those whose name alone does. Each count reads its own
        // index; an OR of the two ranges would walk the whole app. The
        // second count meets at most as many UID-matched users as the
        // first counted, so neither reads far past the cap.
        let count = |search: String| {
            let mut parts = filter.parts.clone();
            parts[*at] = search;
            format!(
                "SELECT COUNT(*) AS n FROM (SELECT 1 FROM users u WHERE {} LIMIT {}) AS half",
                parts.join(" AND "),
                COUNT_CAP + 1
            )
        };
        format!(
            "SELECT CASE WHEN n > {COUNT_CAP} THEN n ELSE n + ({}) END FROM ({}) AS counted",
            count(format!("({} AND NOT {})", by_name.hidden_from_planner(), by_uid.hidden_from_planner())),
            count(by_uid.to_string())
        )
    } else {
        format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM users u WHERE {} LIMIT {}) AS counted",
            filter.sql(),
            COUNT_CAP + 1
        )
    };
    let count_args = filter.args.len();
    // What a page selects of the user whose internal id is `id`.
    let listed = |id: &str| keyset::listed(&L::selected(db, id), &count_sql);
    let order = if query.order == UserOrder::Match && either.is_none() { UserOrder::Uid } else { query.order };

    let column = match order {
        UserOrder::Uid | UserOrder::Match => "u.uid",
        UserOrder::Name => "u.name_lower",
        UserOrder::CreatedAt => "u.created_at",
        UserOrder::LastActiveAt => LAST_ACTIVE,
    };
    let (direction, after) = if query.descending { ("DESC", "<") } else { ("ASC", ">") };
    let mut match_after: Option<(String, String)> = None;
    if let Some(cursor) = &query.paging.cursor {
        let (at, uid) = parse_cursor(order, cursor)?;
        let uid = filter.placeholder(Arg::from(uid));
        let keyset = match at {
            Some(at) if order == UserOrder::Match => {
                // Each half of the union compares with its own key, below.
                match_after = Some((filter.placeholder(at), uid));
                String::new()
            }
            None => format!("u.uid {after} {uid}"),
            Some(at) => {
                let at = filter.placeholder(at);
                format!("({column}, u.uid) {after} ({at}, {uid})")
            }
        };
        if !keyset.is_empty() {
            filter.parts.push(keyset);
        }
    }
    let page_sql = match either {
        Some((at, by_uid, by_name)) if order == UserOrder::Match => {
            let (by_uid, by_name) = (by_uid.to_string(), by_name.to_string());
            // A user whose UID and name both match is listed once, under
            // whichever of the two comes first in this order (the UID on a
            // tie); see `match_key`. Each half takes its first rows from its
            // index and drops, after its LIMIT, the users the other half lists. The
            // page is still whole: every row a half passes over before a
            // user of the page is a distinct user listed earlier on the same
            // page. Filtering before the LIMIT instead made a half walk past
            // every user the other half lists: all of "ana_smith_…" for "ana".
            let before = if query.descending { ">" } else { "<" };
            let half = |search: &str, key: &str, other_search: &str, other: &str, listed_here: &str| {
                let mut parts = filter.parts.clone();
                parts[at] = search.to_owned();
                if let Some((after_key, after_uid)) = &match_after {
                    parts.push(format!("({key}, u.uid) {after} ({after_key}, {after_uid})"));
                    // Users an earlier page listed under their other key.
                    parts.push(format!(
                        "NOT ({other_search} AND NOT (({other}, u.uid) {after} ({after_key}, {after_uid})))"
                    ));
                }
                format!(
                    "SELECT hit_id, hit_key, hit_uid FROM (SELECT u.id AS hit_id, {key} AS hit_key, u.uid AS hit_uid, \
                     CASE WHEN {other_search} THEN {other} END AS other_key \
                     FROM users u WHERE {} ORDER BY {key} {direction}, u.uid {direction} LIMIT {}) AS half \
                     WHERE other_key IS NULL OR {listed_here}",
                    parts.join(" AND "),
                    per_page + 1 + offset
                )
            };
            format!(
                "SELECT {} FROM users JOIN ({} UNION ALL {} ORDER BY hit_key {direction}, hit_uid {direction} \
                 LIMIT {} OFFSET {offset}) AS hits ON hits.hit_id = users.id \
                 ORDER BY hit_key {direction}, hit_uid {direction}",
                listed("users.id"),
                half(&by_uid, "u.uid", &by_name, "u.name_lower", &format!("NOT (other_key {before} hit_key)")),
                half(&by_name, "u.name_lower", &by_uid, "u.uid", &format!("hit_key {before} other_key")),
                per_page + 1
            )
        }
        None => format!(
            "SELECT {} FROM users u WHERE {} ORDER BY {column} {direction}, u.uid {direction} LIMIT {} OFFSET {offset}",
            listed("u.id"),
            filter.sql(),
            per_page + 1
        ),
        // An OR of two ranges makes the planner walk one index and filter;
        // a union of two range reads, each cut to the page, stays on indexes.
        Some((at, by_uid, by_name)) => {
            let (by_uid, by_name) = (by_uid.to_string(), by_name.to_string());
            let half = |search: &str| {
                let mut parts = filter.parts.clone();
                parts[at] = search.to_owned();
                format!(
                    "SELECT {}, name_lower FROM users u WHERE {} ORDER BY {column} {direction}, u.uid {direction} LIMIT {}",
                    L::COLUMNS,
                    parts.join(" AND "),
                    per_page + 1 + offset
                )
            };
            let outer = column.replace("u.", "");
            format!(
                "SELECT {} FROM (SELECT * FROM ({}) AS by_uid UNION SELECT * FROM ({}) AS by_name) AS hits \
                 ORDER BY {outer} {direction}, uid {direction} LIMIT {} OFFSET {offset}",
                listed("hits.id"),
                half(&by_uid),
                half(&by_name),
                per_page + 1
            )
        }
    };

    Ok(ListStatements {
        count_sql,
        page_sql,
        args: filter.args,
        count_args,
        per_page,
        unfiltered,
        order,
        descending: query.descending,
        prefix,
    })
}

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
