//! Sends go through a group commit: the checks that only read run on the
//! pool, concurrently; the writes of every send waiting at that moment
//! then go in one transaction, which checks group membership again so a
//! user kicked in between cannot slip a message in.

use super::*;

/// A message a user asked to send, checked on its own, waiting for its
/// group to be written.
#[derive(Clone)]
struct Send {
    app: i64,
    sender: Uid,
    outgoing: Arc<Outgoing>,
}

type Sent = std::result::Result<MessageView, Error>;

/// Messages sent queue to be written together (see `group_commit`).
fn sends(db: &Db) -> Arc<GroupCommit<Send, Sent>> {
    db.kept(|| GroupCommit::new(|db, sends| Box::pin(write_sends(db, sends))))
}

/// What a group of sends needs to know, read in its transaction: each
/// check is one statement for the whole group, whatever its size.
#[derive(Default)]
struct Standing {
    /// `(app, uid) -> (id, deactivated, sendMessagesTo)`.
    senders: HashMap<(i64, String), (i64, bool, String)>,
    /// `(app, uid) -> id` of receiving users.
    receivers: HashMap<(i64, String), i64>,
    /// `(app, guid, sender id) -> (group id, type, the sender's scope)`.
    groups: HashMap<(i64, String, i64), (i64, String, Option<String>)>,
    /// `(user id, friend id)` pairs that are friends.
    friends: HashSet<(i64, i64)>,
    /// `(blocker id, blocked id)` pairs among the senders and their receivers.
    blocks: HashSet<(i64, i64)>,
    /// `id -> (app, conversation, is a reply itself)` of the parents named.
    parents: HashMap<i64, (i64, String, bool)>,
}

impl Standing {
    /// The message a send makes, or why it may not be sent.
    fn check(&self, send: &Send, at: i64) -> std::result::Result<NewMessage, Error> {
        let (app, sender, outgoing) = (send.app, &send.sender, &send.outgoing);
        let &(sender_id, deactivated, ref reach) =
            self.senders.get(&(app, sender.to_string())).ok_or_else(|| user_rows::uid_not_found(sender))?;
        if deactivated {
            // CometChat names a deactivated user as one not found.
            return Err(Error::not_found(
                "ERR_UID_NOT_FOUND",
                format!("{sender} is deactivated and cannot send messages."),
            ));
        }
        let receiver_id = match &outgoing.receiver {
            Receiver::User(uid) => self.user_receiver(app, (sender, sender_id, reach), uid)?,
            Receiver::Group(guid) => {
                let (id, group_type, scope) = self
                    .groups
                    .get(&(app, guid.to_string(), sender_id))
                    .ok_or_else(|| group_rows::guid_not_found(guid))?;
                match (scope, group_type.as_str()) {
                    (Some(_), _) => *id,
                    (None, "private") => return Err(group_rows::guid_not_found(guid)),
                    (None, _) => return Err(not_a_member(sender, guid)),
                }
            }
        };
        let conversation = outgoing.receiver.conversation_with(sender);
        if let Some(parent) = outgoing.parent_id {
            self.check_parent(app, &conversation, parent)?;
        }
        Ok(NewMessage {
            app,
            conversation,
            sender: Some((sender.clone(), sender_id)),
            receiver: outgoing.receiver.clone(),
            receiver_id,
            content: outgoing.content.clone(),
            metadata: outgoing.metadata.clone(),
            tags: outgoing.tags.clone(),
            parent_id: outgoing.parent_id,
            muid: outgoing.muid.clone(),
            sent_at: at,
        })
    }

    /// The internal id of user `uid`, if `sender` (internal id, role's
    /// reach) may write to them: neither blocked the other, and they are
    /// friends where the sender's role writes to friends only.
    fn user_receiver(&self, app: i64, (sender, sender_id, reach): (&Uid, i64, &str), uid: &Uid) -> Result<i64> {
        let id = *self.receivers.get(&(app, uid.to_string())).ok_or_else(|| user_rows::uid_not_found(uid))?;
        if self.blocks.contains(&(sender_id, id)) {
            return Err(Error::Refused {
                code: "ERR_BLOCKED_RECEIVER",
                message: format!("{sender} has blocked {uid}: unblock them to write to them."),
            });
        }
        if self.blocks.contains(&(id, sender_id)) {
            return Err(Error::Refused { code: "ERR_BLOCKED_SENDER", message: format!("{uid} has blocked {sender}.") });
        }
        let friends_only = reach == Reach::FriendsOnly.as_str();
        if friends_only && id != sender_id && !self.friends.contains(&(sender_id, id)) {
            return Err(Error::Refused {
                code: "ERR_NOT_FRIENDS",
                message: format!("{sender}'s role writes to friends only, and {uid} is not their friend."),
            });
        }
        Ok(id)
    }

    /// Whether message `parent` starts threads in `conversation` of `app`:
    /// it is there, and no reply itself.
    fn check_parent(&self, app: i64, conversation: &str, parent: i64) -> Result<()> {
        match self.parents.get(&parent) {
            Some((in_app, of, false)) if *in_app == app && of == conversation => Ok(()),
            Some((in_app, of, true)) if *in_app == app && of == conversation => Err(Error::invalid(
                "ERR_MESSAGE_THREAD_NESTING",
                format!("Message {parent} is a reply: threads are one level deep."),
            )),
            _ => Err(Error::invalid(
                "ERR_WRONG_MESSAGE_THREAD",
                format!("Message {parent} is not a message of this conversation."),
            )),
        }
    }
}

/// Writes a group of sends in one transaction, checking each in it: who
/// sends, to whom, their membership or friendship, the thread. A send
/// refused gets its own error; the others are written.
async fn write_sends(db: Db, sends: Arc<[Send]>) -> Result<Vec<Sent>> {
    let at = now();
    let mut tx = db.begin_write().await?;
    let standing = Standing::read(&mut tx, &sends).await?;
    let checked: Vec<std::result::Result<NewMessage, Error>> = sends.iter().map(|s| standing.check(s, at)).collect();
    let written: Vec<NewMessage> = checked.iter().filter_map(|c| c.as_ref().ok().cloned()).collect();
    let ids = insert_messages(&mut tx, &written).await?;
    tx.commit().await?;
    let mut views = written.iter().zip(ids).map(|(m, id)| m.view(id));
    Ok(checked
        .into_iter()
        .map(|c| c.and_then(|_| views.next().ok_or_else(|| Error::Internal("a written message went missing".into()))))
        .collect())
}

impl Standing {
    /// What `sends` need to know, each check one statement for all of them.
    async fn read(tx: &mut Tx, sends: &[Send]) -> Result<Standing> {
        let mut standing = Standing::default();
        let wanted: Vec<Arg> = sends.iter().flat_map(|s| [s.app.into(), s.sender.as_str().into()]).collect();
        let sql = "WITH v (app, uid) AS (VALUES {}) SELECT u.app, u.uid, u.id, u.deactivated_at, r.send_messages_to FROM v \
                   JOIN users u ON u.app = v.app AND u.uid = v.uid JOIN roles r ON r.app = u.app AND r.role = u.role";
        let senders: Vec<(i64, String, i64, Option<i64>, String)> = tx.all_rows(sql, 2, &wanted).await?;
        for (app, uid, id, deactivated_at, reach) in senders {
            standing.senders.insert((app, uid), (id, deactivated_at.is_some(), reach));
        }
        let to_users = sends.iter().filter_map(|s| match &s.outgoing.receiver {
            Receiver::User(uid) => Some((s.app, uid)),
            Receiver::Group(_) => None,
        });
        standing.receivers = user_rows::ids_of(tx, to_users.collect::<Vec<_>>()).await?;
        let sender_id = |s: &Send| standing.senders.get(&(s.app, s.sender.to_string())).map(|found| found.0);
        let to_groups: Vec<Arg> = sends
            .iter()
            .filter_map(|s| match (&s.outgoing.receiver, sender_id(s)) {
                (Receiver::Group(guid), Some(id)) => Some([s.app.into(), guid.as_str().into(), id.into()]),
                _ => None,
            })
            .flatten()
            .collect();
        let sql = "WITH v (app, guid, user_id) AS (VALUES {}) SELECT g.app, g.guid, v.user_id, g.id, g.type, m.scope FROM v \
                   JOIN groups g ON g.app = v.app AND g.guid = v.guid \
                   LEFT JOIN group_members m ON m.group_id = g.id AND m.user_id = v.user_id";
        let seats: Vec<(i64, String, i64, i64, String, Option<String>)> = tx.all_rows(sql, 3, &to_groups).await?;
        for (app, guid, user_id, id, group_type, scope) in seats {
            standing.groups.insert((app, guid, user_id), (id, group_type, scope));
        }
        let any_friends_only = standing.senders.values().any(|(.., reach)| reach == Reach::FriendsOnly.as_str());
        let pairs: Vec<Arg> = sends
            .iter()
            .filter_map(|s| match &s.outgoing.receiver {
                Receiver::User(uid) => {
                    Some([sender_id(s)?.into(), (*standing.receivers.get(&(s.app, uid.to_string()))?).into()])
                }
                Receiver::Group(_) => None,
            })
            .flatten()
            .collect();
        if any_friends_only {
            let sql = "WITH v (user_id, friend_id) AS (VALUES {}) SELECT f.user_id, f.friend_id FROM v \
                       JOIN friends f ON f.user_id = v.user_id AND f.friend_id = v.friend_id";
            let friends: Vec<(i64, i64)> = tx.all_rows(sql, 2, &pairs).await?;
            standing.friends.extend(friends);
        }
        let sql = "WITH v (a, b) AS (VALUES {}) SELECT k.blocker_id, k.blocked_id FROM v JOIN blocked_users k \
                   ON (k.blocker_id = v.a AND k.blocked_id = v.b) OR (k.blocker_id = v.b AND k.blocked_id = v.a)";
        let blocks: Vec<(i64, i64)> = tx.all_rows(sql, 2, &pairs).await?;
        standing.blocks.extend(blocks);
        let parents: Vec<Arg> = sends.iter().filter_map(|s| Some(s.outgoing.parent_id?.into())).collect();
        let sql = "WITH v (id) AS (VALUES {}) SELECT m.id, m.app, m.conversation, m.parent_id IS NOT NULL \
                   FROM v JOIN messages m ON m.id = v.id";
        let parents: Vec<(i64, i64, String, bool)> = tx.all_rows(sql, 1, &parents).await?;
        standing
            .parents
            .extend(parents.into_iter().map(|(id, app, conversation, reply)| (id, (app, conversation, reply))));
        Ok(standing)
    }
}

/// Sends `outgoing` from user `sender`: to a group they are a member of,
/// or to any user, unless the sender's role writes to friends only. The
/// checks and the write run in one transaction, shared with the sends
/// that arrive meanwhile.
pub async fn send(db: &Db, caller: &Caller, app: &App, sender: &Uid, outgoing: Outgoing) -> Result<MessageView> {
    caller.require_app(app.id)?;
    caller.require(Permission::SendMessages)?;
    sends(db).write(db, Send { app: app.id, sender: sender.clone(), outgoing: Arc::new(outgoing) }).await?
}
