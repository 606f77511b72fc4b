//! Changing users: their fields, their role, deactivation, deletion for good.

use super::*;

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
