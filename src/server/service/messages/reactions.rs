//! Reactions to messages, as CometChat keeps them: a user reacts to a
//! message of their conversations, once per reaction; a message carries
//! each reaction's count, and who left which is listed a page at a time.

use super::*;

/// A page of reactions, oldest first, and whether more follow.
pub struct ReactionPage {
    pub items: Vec<ReactionView>,
    pub more: bool,
}

/// The message `id` as user `uid` may react to it: one of their
/// conversations', neither an action nor deleted.
async fn reactable(db: &Db, app: &App, uid: &Uid, id: i64) -> Result<MessageRow> {
    let row = find(db, app, id).await?;
    let receiver = stored(Receiver::parse(&row.receiver, &row.receiver_type))?;
    if !is_party(db, app, uid, &row.conversation, &receiver).await? {
        return Err(message_not_found(id));
    }
    if row.category == MessageCategory::Action.as_str() || row.deleted_at.is_some() {
        return Err(Error::conflict(
            "ERR_MESSAGE_ACTION_NOT_ALLOWED",
            format!("Message {id} takes no reactions: it is deleted, or an action."),
        ));
    }
    Ok(row)
}

/// User `uid` reacts to message `id` with `reaction`; reacting twice
/// changes nothing. Answers the message.
pub async fn react(db: &Db, caller: &Caller, app: &App, uid: &Uid, id: i64, reaction: &str) -> Result<MessageView> {
    caller.require_app(app.id)?;
    caller.require(Permission::SendMessages)?;
    let row = reactable(db, app, uid, id).await?;
    let user = user_rows::find(db, app, uid).await?.id;
    let mut tx = db.begin_write().await?;
    let sql = "INSERT INTO message_reactions (app, message_id, user_id, reaction, reacted_at) \
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
    tx.execute(sql, args![app.id, id, user, reaction, now()]).await?;
    tx.commit().await?;
    with_tags(db, vec![row]).await?.pop().ok_or_else(|| message_not_found(id))
}

/// User `uid` takes their `reaction` to message `id` back. Answers the message.
pub async fn unreact(db: &Db, caller: &Caller, app: &App, uid: &Uid, id: i64, reaction: &str) -> Result<MessageView> {
    caller.require_app(app.id)?;
    caller.require(Permission::SendMessages)?;
    let row = find(db, app, id).await?;
    let user = user_rows::find(db, app, uid).await?.id;
    let mut tx = db.begin_write().await?;
    let sql = "DELETE FROM message_reactions WHERE message_id = $1 AND reaction = $2 AND user_id = $3";
    if tx.execute(sql, args![id, reaction, user]).await? == 0 {
        return Err(Error::not_found(
            "ERR_REACTION_NOT_FOUND",
            format!("{uid} has not reacted to message {id} with {reaction}."),
        ));
    }
    tx.commit().await?;
    with_tags(db, vec![row]).await?.pop().ok_or_else(|| message_not_found(id))
}

/// Who reacted to message `id` (with `reaction` alone, if given), oldest
/// first, after the reaction with id `after`: for the app, or a user who
/// may read the message.
pub async fn reactions(
    db: &Db,
    caller: &Caller,
    app: &App,
    acting: &Acting,
    id: i64,
    (reaction, after, limit): (Option<&str>, i64, i64),
) -> Result<ReactionPage> {
    get(db, caller, app, acting, id).await?;
    let mut filter = Conditions::default();
    let message = filter.placeholder(id);
    filter.parts.push(format!("r.message_id = {message}"));
    if let Some(reaction) = reaction {
        let reaction = filter.placeholder(reaction.to_owned());
        filter.parts.push(format!("r.reaction = {reaction}"));
    }
    let after = filter.placeholder(after);
    filter.parts.push(format!("r.id > {after}"));
    let limit = limit.clamp(1, MAX_LIMIT);
    let sql = format!(
        "SELECT r.id, r.reaction, u.uid, r.reacted_at FROM message_reactions r JOIN users u ON u.id = r.user_id \
         WHERE {} ORDER BY r.id LIMIT {}",
        filter.sql(),
        limit + 1
    );
    let mut rows: Vec<(i64, String, String, i64)> = db.all(&sql, &filter.args).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let users = users_by_uid(db, app, rows.iter().map(|r| r.2.clone()).collect(), false).await?;
    let items = rows
        .into_iter()
        .map(|(reaction_id, reaction, uid, reacted_at)| ReactionView {
            id: reaction_id,
            message_id: id,
            reaction,
            reacted_by: users.get(&uid).map(|user| user.entity.clone()).unwrap_or_else(|| json!({"uid": uid})),
            uid,
            reacted_at,
        })
        .collect();
    Ok(ReactionPage { items, more })
}

/// Each message's reactions with their counts, in the order first left,
/// and whether `reader` (internal id) left each.
pub(super) async fn counts(db: &Db, ids: &[i64], reader: Option<i64>) -> Result<HashMap<i64, Vec<ReactionCount>>> {
    let mut counts: HashMap<i64, Vec<ReactionCount>> = HashMap::new();
    if ids.is_empty() {
        return Ok(counts);
    }
    let listed: Vec<Arg> = ids.iter().map(|id| Arg::from(*id)).collect();
    let sql = "SELECT r.message_id, r.reaction, COUNT(*), SUM(CASE WHEN r.user_id = $1 THEN 1 ELSE 0 END) \
               FROM message_reactions r WHERE r.message_id IN ({}) GROUP BY r.message_id, r.reaction \
               ORDER BY r.message_id, MIN(r.id)";
    let rows: Vec<(i64, String, i64, i64)> = db.all_in(sql, args![reader.unwrap_or(0)], &listed).await?;
    for (message, reaction, count, mine) in rows {
        let reacted_by_me = reader.map(|_| mine > 0);
        counts.entry(message).or_default().push(ReactionCount { reaction, count, reacted_by_me });
    }
    Ok(counts)
}
