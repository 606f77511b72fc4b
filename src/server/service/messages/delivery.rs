//! How far each user's conversations reached their devices. The realtime
//! gateway's `delivered` frames move a delivery mark, as reading moves a
//! read mark; what lies past both marks is undelivered. Marks of many
//! frames go to the database together (see `group_commit`).

use super::*;

/// The delivery mark of one user in one conversation.
#[derive(Clone)]
pub(super) enum Mark {
    /// Their side of a conversation with another user.
    Pair { user_id: i64, conversation: String },
    /// Their membership of a group.
    Member { group_id: i64, user_id: i64 },
}

#[derive(Clone)]
struct Delivery {
    mark: Mark,
    id: i64,
}

fn deliveries(db: &Db) -> Arc<GroupCommit<Delivery, ()>> {
    db.kept(|| GroupCommit::new(|db, marks| Box::pin(write_deliveries(db, marks))))
}

/// User `uid` has message `id` of app `app` on a device: their delivery
/// mark moves up to it (never back), and its sender is told. Only its
/// receiver says so: the user it went to, or a member of its group.
pub(crate) async fn mark_delivered(db: &Db, app: i64, uid: &Uid, id: i64) -> Result<()> {
    let row = find_in(db, app, id).await?;
    let receiver = stored(Receiver::parse(&row.receiver, &row.receiver_type))?;
    let mark = match &receiver {
        _ if row.sender == uid.as_str() => None,
        Receiver::User(to) if to != uid => None,
        Receiver::User(_) => {
            let sql = "SELECT id FROM users WHERE app = $1 AND uid = $2";
            let user: Option<i64> = db.optional_scalar(sql, args![app, uid.as_str()]).await?;
            user.map(|user_id| Mark::Pair { user_id, conversation: row.conversation.clone() })
        }
        Receiver::Group(guid) => {
            let sql = "SELECT gm.group_id, gm.user_id FROM group_members gm JOIN groups g ON g.id = gm.group_id \
                       JOIN users u ON u.id = gm.user_id WHERE g.app = $1 AND g.guid = $2 AND u.uid = $3";
            let member: Option<(i64, i64)> = db.optional(sql, args![app, guid.as_str(), uid.as_str()]).await?;
            member.map(|(group_id, user_id)| Mark::Member { group_id, user_id })
        }
    };
    let mark = mark.ok_or_else(|| message_not_found(id))?;
    deliver(db, mark, id).await?;
    let receipt = Event::Receipt { app, read: false, by: uid.to_string(), to: row.sender, message_id: id };
    events::publish(db, &[receipt]).await
}

/// Moves `mark` up to message `id` (never back), with the marks other
/// requests move at the same time.
pub(super) async fn deliver(db: &Db, mark: Mark, id: i64) -> Result<()> {
    deliveries(db).write(db, Delivery { mark, id }).await
}

/// Moves a group of delivery marks, each to the furthest message it was told of.
async fn write_deliveries(db: Db, marks: Arc<[Delivery]>) -> Result<Vec<()>> {
    let mut pairs: BTreeMap<(i64, &str), i64> = BTreeMap::new();
    let mut members: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    for Delivery { mark, id } in marks.iter() {
        let furthest = match mark {
            Mark::Pair { user_id, conversation } => pairs.entry((*user_id, conversation.as_str())).or_default(),
            Mark::Member { group_id, user_id } => members.entry((*group_id, *user_id)).or_default(),
        };
        *furthest = (*furthest).max(*id);
    }
    let pair_rows: Vec<Arg> = pairs
        .into_iter()
        .flat_map(|((user, conversation), id)| [user.into(), conversation.into(), id.into()])
        .collect();
    let member_rows: Vec<Arg> =
        members.into_iter().flat_map(|((group, user), id)| [group.into(), user.into(), id.into()]).collect();
    let mut tx = db.begin_write().await?;
    let sql = "WITH v (user_id, conversation, id) AS (VALUES {}) UPDATE user_conversations \
               SET last_delivered_id = v.id FROM v WHERE user_conversations.user_id = v.user_id \
               AND user_conversations.conversation = v.conversation AND user_conversations.last_delivered_id < v.id";
    tx.execute_rows(sql, 3, &pair_rows).await?;
    let sql = "WITH v (group_id, user_id, id) AS (VALUES {}) UPDATE group_members \
               SET last_delivered_id = v.id FROM v WHERE group_members.group_id = v.group_id \
               AND group_members.user_id = v.user_id AND group_members.last_delivered_id < v.id";
    tx.execute_rows(sql, 3, &member_rows).await?;
    tx.commit().await?;
    Ok(vec![(); marks.len()])
}
