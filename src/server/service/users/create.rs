//! Writing new users: one at a time through a group commit, or in bulk
//! (imports, seeding), with their tags, counts and first tokens.

use super::*;

/// Fails with `ERR_ROLE_NOT_FOUND` unless the app has the role.
pub(super) async fn require_role(tx: &mut Tx, app: &App, role: &RoleId) -> Result<()> {
    let sql = "SELECT 1 FROM roles WHERE app = $1 AND role = $2";
    let found: Option<i32> = tx.optional_scalar(sql, args![app.id, role.as_str()]).await?;
    found.map(|_| ()).ok_or_else(|| roles::not_found(role))
}

/// Moves the user counts of the app with internal id `app` by the given amounts.
pub(in crate::server::service) async fn adjust_counts(
    tx: &mut Tx,
    app: i64,
    active: i64,
    deactivated: i64,
) -> Result<()> {
    let sql = "UPDATE user_counts SET active = active + $1, deactivated = deactivated + $2 WHERE app = $3";
    tx.execute(sql, args![active, deactivated, app]).await?;
    Ok(())
}

/// A user about to be written, every field checked.
pub(in crate::server::service) struct NewUser {
    pub(in crate::server::service) app: i64,
    pub(in crate::server::service) uid: Uid,
    pub(in crate::server::service) name: String,
    pub(in crate::server::service) avatar: Option<String>,
    pub(in crate::server::service) link: Option<String>,
    pub(in crate::server::service) role: RoleId,
    pub(in crate::server::service) metadata: Option<String>,
    pub(in crate::server::service) status_message: Option<String>,
    pub(in crate::server::service) tags: Vec<String>,
    pub(in crate::server::service) created_at: i64,
    pub(in crate::server::service) last_active_at: Option<i64>,
}

/// A written user's row, with the app it is in.
#[derive(FromRow)]
pub(in crate::server::service) struct Inserted {
    pub(in crate::server::service) app: i64,
    #[sqlx(flatten)]
    pub(in crate::server::service) row: UserRow,
}

/// Inserts `users` with their tags in `tx`, in multi-row statements;
/// answers their rows in the same order.
pub(in crate::server::service) async fn insert_users<'u>(
    tx: &mut Tx,
    users: impl IntoIterator<Item = &'u NewUser>,
) -> Result<Vec<UserRow>> {
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
    let not_written = |uid: &Uid| Error::Internal(format!("the user {uid} was not written"));
    users
        .iter()
        .map(|user| written.remove(&(user.app, user.uid.to_string())).ok_or_else(|| not_written(&user.uid)))
        .collect()
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
    let rows = insert_users(&mut tx, creations.iter().map(|c| &*c.user))
        .await
        .on_constraint(Constraint::Uid, || {
            Error::conflict("ERR_UID_ALREADY_EXISTS", format!("The user {} exists already.", first.uid))
        })
        .on_constraint(Constraint::UserRole, || roles::not_found(&first.role))?;
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
