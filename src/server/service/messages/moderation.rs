//! Changing a message once sent: edits by its sender, deletions by its
//! sender, its group's admins and moderators, or the app.

use super::*;

/// Who changes a message, once they may: the app, its sender, or an admin
/// or moderator of its group. Editing is for the sender alone.
async fn check_author(db: &Db, app: &App, acting: &Acting, row: &MessageRow, moderating: bool) -> Result<()> {
    let Acting::User(uid) = acting else { return Ok(()) };
    if row.sender == uid.as_str() {
        return Ok(());
    }
    let receiver = stored(Receiver::parse(&row.receiver, &row.receiver_type))?;
    if let (true, Receiver::Group(guid)) = (moderating, &receiver) {
        let user = user_rows::find(db, app, uid).await?.id;
        let scope = match group_rows::find(db, app, Some(user), guid).await {
            Ok(group) => group.scope.map(|s| stored(Scope::parse(&s))).transpose()?,
            Err(Error::NotFound { .. }) => None,
            Err(other) => return Err(other),
        };
        if scope.is_some_and(|scope| may(scope, GroupAction::DeleteMessages, None).is_ok()) {
            return Ok(());
        }
    }
    if !is_party(db, app, uid, &row.conversation, &receiver).await? {
        return Err(message_not_found(row.id));
    }
    Err(Error::Refused {
        code: "ERR_MESSAGE_NOT_A_SENDER",
        message: if moderating {
            format!("Only the sender, or an admin or moderator of its group, may delete message {}.", row.id)
        } else {
            format!("Only the sender may edit message {}.", row.id)
        },
    })
}

/// What an edit changes; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct Edit {
    pub data: Option<Value>,
    /// `Some(None)` removes the metadata.
    pub metadata: Option<Option<Value>>,
    pub tags: Option<Vec<String>>,
}

/// A message as a change left it, and the action message that told its
/// conversation of the change.
#[derive(Debug)]
pub struct Changed {
    pub message: MessageView,
    pub action: MessageView,
}

fn already_deleted(id: i64) -> Error {
    Error::conflict("ERR_MESSAGE_ACTION_NOT_ALLOWED", format!("Message {id} is deleted."))
}

/// Who a change is told as: the acting user, or the app. Users read
/// action messages and deletion marks; an operator's name stays in the
/// audit log.
fn actor_of(acting: &Acting) -> &str {
    acting_uid(acting).map_or(SYSTEM_SENDER, Uid::as_str)
}

/// The message `id` as a change to it finds it, once `acting` may make
/// the change, and the action message that will tell its conversation.
async fn about_to_change(
    db: &Db,
    app: &App,
    acting: &Acting,
    id: i64,
    event: MessageEvent,
) -> Result<(MessageRow, NewMessage)> {
    let row = find(db, app, id).await?;
    check_author(db, app, acting, &row, event == MessageEvent::Deleted).await?;
    let receiver = stored(Receiver::parse(&row.receiver, &row.receiver_type))?;
    let receiver_id = receiver_id(db, app, &receiver).await?;
    let content = Content::message_event(event, actor_of(acting), id);
    let notice = NewMessage::system(app.id, row.conversation.clone(), receiver, receiver_id, content, now());
    Ok((row, notice))
}

/// Edits a text or custom message, and tells its conversation with an
/// `edited` action message, in one transaction.
pub async fn edit(db: &Db, caller: &Caller, app: &App, acting: &Acting, id: i64, edit: Edit) -> Result<Changed> {
    caller.require_app(app.id)?;
    caller.require(Permission::SendMessages)?;
    let (row, notice) = about_to_change(db, app, acting, id, MessageEvent::Edited).await?;
    if row.deleted_at.is_some() {
        return Err(already_deleted(id));
    }
    let category = stored(MessageCategory::parse(&row.category))?;
    let current = Content::stored(category, row.message_type.clone(), json_column(&row.data)?);
    if !current.is_editable() {
        return Err(Error::invalid("ERR_MESSAGE_ACTION_NOT_ALLOWED", "Only text and custom messages can be edited."));
    }
    let content = match edit.data {
        Some(data) => current.edited(data)?,
        None => current,
    };
    let metadata = match edit.metadata {
        Some(metadata) => metadata,
        None => row.metadata.as_deref().map(json_column).transpose()?,
    };
    let mut tx = db.begin_write().await?;
    let sql = "UPDATE messages SET data = $1, metadata = $2, edited_at = $3 WHERE id = $4 AND deleted_at IS NULL";
    if tx.execute(sql, args![content.data(), &metadata, notice.sent_at, id]).await? == 0 {
        return Err(already_deleted(id));
    }
    if let Some(tags) = &edit.tags {
        replace_tags(&mut tx, Tagged::Message, app.id, id, tags).await?;
    }
    let action = told(&mut tx, &notice).await?;
    let details = json!({"onBehalfOf": acting_uid(acting)});
    record(
        &mut tx,
        caller,
        Change { app: Some(app.id), action: "message.edit", object: format!("message:{id}"), details },
    )
    .await?;
    tx.commit().await?;
    Ok(Changed { message: get(db, caller, app, &Acting::App, id).await?, action })
}

/// Writes the action message that tells a change, and answers it as shown.
async fn told(tx: &mut Tx, notice: &NewMessage) -> Result<MessageView> {
    let ids = insert_messages(tx, std::slice::from_ref(notice)).await?;
    let id = ids.first().copied().ok_or_else(|| Error::Internal("an action message was not written".into()))?;
    Ok(notice.view(id))
}

/// Deletes a message: marks it deleted (its row stays, for the record),
/// or with `permanent` removes it; either way its conversation is told
/// with a `deleted` action message, in the same transaction. The app may
/// delete any message; a user their own, and an admin or moderator those
/// of their group.
pub async fn delete(
    db: &Db,
    caller: &Caller,
    app: &App,
    acting: &Acting,
    id: i64,
    permanent: bool,
    reason: Option<String>,
) -> Result<Changed> {
    caller.require_app(app.id)?;
    caller.require(match acting {
        Acting::App => Permission::ModerateMessages,
        Acting::User(_) => Permission::SendMessages,
    })?;
    let (row, notice) = about_to_change(db, app, acting, id, MessageEvent::Deleted).await?;
    if row.deleted_at.is_some() && !permanent {
        return Err(already_deleted(id));
    }
    let deleted_by = row.deleted_by.clone().unwrap_or_else(|| actor_of(acting).to_owned());
    let (conversation, sender) = (row.conversation.clone(), row.sender.clone());
    let view = with_tags(db, vec![row]).await?.pop().ok_or_else(|| message_not_found(id))?;
    let mut tx = db.begin_write().await?;
    if permanent {
        if tx.execute("DELETE FROM messages WHERE id = $1", args![id]).await? == 0 {
            return Err(message_not_found(id));
        }
        count_messages(&mut tx, &BTreeMap::from([((app.id, None), -1)])).await?;
        refresh_last(&mut tx, app.id, &conversation).await?;
    } else {
        let sql = "UPDATE messages SET deleted_at = $1, deleted_by = $2 WHERE id = $3 AND deleted_at IS NULL";
        if tx.execute(sql, args![notice.sent_at, &deleted_by, id]).await? == 0 {
            return Err(already_deleted(id));
        }
    }
    let action = told(&mut tx, &notice).await?;
    let details = json!({"permanent": permanent, "reason": reason, "onBehalfOf": acting_uid(acting), "sender": sender});
    record(
        &mut tx,
        caller,
        Change { app: Some(app.id), action: "message.delete", object: format!("message:{id}"), details },
    )
    .await?;
    tx.commit().await?;
    let deleted_at = view.deleted_at.unwrap_or(notice.sent_at);
    let message =
        MessageView { deleted_at: Some(deleted_at), deleted_by: Some(deleted_by), updated_at: deleted_at, ..view };
    Ok(Changed { message, action })
}
