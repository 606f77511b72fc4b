//! A user's conversations, their unread counts, and read marks.

use super::*;

/// A page of a user's conversations, the most recently active first.
pub struct ConversationPage {
    pub items: Vec<ConversationView>,
    pub next_cursor: Option<String>,
}

/// User `uid`'s conversations, with other users and in their groups, the
/// one with the newest message first; each with its last message and
/// how many messages others wrote in it since `uid` last read it.
pub async fn conversations(
    db: &Db,
    caller: &Caller,
    app: &App,
    uid: &Uid,
    limit: i64,
    cursor: Option<String>,
) -> Result<ConversationPage> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let user = user_rows::find(db, app, uid).await?.id;
    let limit = limit.clamp(1, MAX_LIMIT);
    let before = cursor.as_deref().map(parse_cursor).transpose()?.unwrap_or(i64::MAX);
    // Each side is read in its own order and the two are merged: the
    // newest `limit` of both are among the newest `limit` of each.
    let sql = "SELECT conversation, peer_uid, last_message_id, last_read_id FROM user_conversations \
               WHERE user_id = $1 AND last_message_id < $2 ORDER BY last_message_id DESC LIMIT $3";
    let peers: Vec<(String, String, i64, i64)> = db.all(sql, args![user, before, limit + 1]).await?;
    let sql = "SELECT 'group:' || g.guid, g.guid, g.last_message_id, m.last_read_id FROM group_members m \
               JOIN groups g ON g.id = m.group_id WHERE m.user_id = $1 AND g.last_message_id < $2 \
               ORDER BY g.last_message_id DESC LIMIT $3";
    let groups: Vec<(String, String, i64, i64)> = db.all(sql, args![user, before, limit + 1]).await?;
    let mut found: Vec<(ReceiverType, String, String, i64, i64)> = peers
        .into_iter()
        .map(|(c, with, last, read)| (ReceiverType::User, c, with, last, read))
        .chain(groups.into_iter().map(|(c, with, last, read)| (ReceiverType::Group, c, with, last, read)))
        .collect();
    found.sort_by_key(|f| std::cmp::Reverse(f.3));
    let (found, next_cursor) = keyset::page_end(found, limit as usize, |f| f.3.to_string());

    let last_ids: Vec<i64> = found.iter().map(|f| f.3).collect();
    let mut lasts: HashMap<i64, MessageView> = HashMap::new();
    if !last_ids.is_empty() {
        let ids: Vec<Arg> = last_ids.iter().map(|id| Arg::from(*id)).collect();
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.id IN ({{}})");
        let rows: Vec<MessageRow> = db.all_in(&sql, &[], &ids).await?;
        lasts.extend(with_tags(db, rows).await?.into_iter().map(|m| (m.id, m)));
    }
    let unread = unread_counts(db, app, uid, &found).await?;
    let items = found
        .into_iter()
        .zip(unread)
        .map(|((conversation_type, conversation, with, last, _), unread_message_count)| ConversationView {
            conversation_id: crate::domain::conversation_id(&conversation),
            conversation_type,
            conversation_with: with,
            last_message: lasts.remove(&last),
            unread_message_count,
        })
        .collect();
    Ok(ConversationPage { items, next_cursor })
}

/// For each conversation, the messages others wrote (actions aside) past
/// the user's read mark that are not deleted, up to `UNREAD_CAP`; in one
/// statement of capped counts.
pub(super) async fn unread_counts(
    db: &Db,
    app: &App,
    uid: &Uid,
    found: &[(ReceiverType, String, String, i64, i64)],
) -> Result<Vec<i64>> {
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let mut filter = Conditions::default();
    let (app_arg, me) = (filter.placeholder(Arg::from(app.id)), filter.placeholder(Arg::from(uid.to_string())));
    let counts: Vec<String> = found
        .iter()
        .enumerate()
        .map(|(n, (_, conversation, _, _, read))| {
            let conversation = filter.placeholder(Arg::from(conversation.clone()));
            let read = filter.placeholder(Arg::from(*read));
            format!(
                "SELECT CAST({n} AS BIGINT) AS n, COUNT(*) AS unread FROM (SELECT 1 FROM messages m WHERE m.app = {app_arg} \
                 AND m.conversation = {conversation} AND m.id > {read} AND m.sender <> {me} \
                 AND m.category <> 'action' AND m.deleted_at IS NULL LIMIT {UNREAD_CAP}) AS c{n}"
            )
        })
        .collect();
    let sql = counts.join(" UNION ALL ");
    let rows: Vec<(i64, i64)> = db.all(&sql, &filter.args).await?;
    let mut unread = vec![0; found.len()];
    for (n, count) in rows {
        unread[n as usize] = count;
    }
    Ok(unread)
}

/// User `uid` has read their conversation up to message `id` (and never
/// back from a later mark).
pub async fn mark_read(db: &Db, caller: &Caller, app: &App, uid: &Uid, id: i64) -> Result<()> {
    caller.require_app(app.id)?;
    caller.require(Permission::SendMessages)?;
    let row = find(db, app, id).await?;
    let receiver = stored(Receiver::parse(&row.receiver, &row.receiver_type))?;
    if !is_party(db, app, uid, &row.conversation, &receiver).await? {
        return Err(message_not_found(id));
    }
    let user = user_rows::find(db, app, uid).await?.id;
    let receiver_id = receiver_id(db, app, &receiver).await?;
    let mut tx = db.begin_write().await?;
    match receiver {
        Receiver::User(_) => {
            let sql = "UPDATE user_conversations SET last_read_id = $1 \
                       WHERE user_id = $2 AND conversation = $3 AND last_read_id < $1";
            tx.execute(sql, args![id, user, &row.conversation]).await?;
        }
        Receiver::Group(_) => {
            let sql =
                "UPDATE group_members SET last_read_id = $1 WHERE group_id = $2 AND user_id = $3 AND last_read_id < $1";
            tx.execute(sql, args![id, receiver_id, user]).await?;
        }
    }
    if row.sender != uid.as_str() {
        let receipt =
            Event::Receipt { app: app.id, read: true, by: uid.to_string(), to: row.sender.clone(), message_id: id };
        events::announce(&mut tx, &[receipt]).await?;
    }
    tx.commit().await?;
    Ok(())
}
