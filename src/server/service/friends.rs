//! Friendships: symmetric, stored in both directions. The app decides who is
//! friends; Switchboard only keeps the list.

use serde_json::json;

use super::{
    apps::App,
    audit::{Change, record},
    now, user_rows,
};
use crate::args;
use crate::domain::Uid;
use crate::server::{
    Error, Result,
    access::{Caller, Permission},
    db::Db,
};

/// At most this many friends in one call.
pub const MAX_PER_CALL: usize = 25;

/// What became of one UID in a call: done, or why not.
pub type Outcome = (Uid, std::result::Result<(), Error>);

fn check_batch(friends: &[Uid]) -> Result<()> {
    if friends.is_empty() || friends.len() > MAX_PER_CALL {
        return Err(Error::invalid("ERR_FRIENDS_LIMIT", format!("Send 1 to {MAX_PER_CALL} UIDs at a time.")));
    }
    Ok(())
}

/// Each UID with the internal id of its user, or why it has none. Refused
/// UIDs become outcomes at once; the rest are for the caller to act on.
async fn resolve(
    db: &Db,
    app: &App,
    friends: &[Uid],
    refuse: impl Fn(&Uid) -> Option<Error>,
) -> (Vec<(Uid, i64)>, Vec<Outcome>) {
    let (mut found, mut refused) = (Vec::new(), Vec::new());
    for friend_uid in friends {
        if let Some(err) = refuse(friend_uid) {
            refused.push((friend_uid.clone(), Err(err)));
            continue;
        }
        match user_rows::find(db, app, friend_uid).await {
            Ok(friend) => found.push((friend_uid.clone(), friend.id)),
            Err(err) => refused.push((friend_uid.clone(), Err(err))),
        }
    }
    (found, refused)
}

/// Makes each UID a friend of `uid` (and `uid` a friend of each), in one transaction.
pub async fn add(db: &Db, caller: &Caller, app: &App, uid: &Uid, friends: &[Uid]) -> Result<Vec<Outcome>> {
    caller.require_app(app.id)?;
    caller.require(Permission::ManageUsers)?;
    check_batch(friends)?;
    let user = user_rows::find(db, app, uid).await?;
    let not_self = |friend: &Uid| {
        (friend == uid).then(|| Error::invalid("ERR_CANNOT_FORM_SELF_RELATION", "A user cannot befriend themselves."))
    };
    let (found, mut outcomes) = resolve(db, app, friends, not_self).await;
    let mut tx = db.begin_write().await?;
    for (friend_uid, friend_id) in &found {
        let mut added = 0;
        for (a, b) in [(user.id, *friend_id), (*friend_id, user.id)] {
            let sql = "INSERT INTO friends (app, user_id, friend_id, created_at) VALUES ($1, $2, $3, $4) \
                       ON CONFLICT DO NOTHING";
            added += tx.execute(sql, args![app.id, a, b, now()]).await?;
        }
        if added > 0 {
            let object = format!("user:{uid}");
            let change =
                Change { app: Some(app.id), action: "friend.add", object, details: json!({"friend": friend_uid}) };
            record(&mut tx, caller, change).await?;
        }
    }
    tx.commit().await?;
    outcomes.extend(found.into_iter().map(|(friend_uid, _)| (friend_uid, Ok(()))));
    Ok(in_given_order(friends, outcomes))
}

/// Ends each friendship, in one transaction; a UID that was no friend is reported as such.
pub async fn remove(db: &Db, caller: &Caller, app: &App, uid: &Uid, friends: &[Uid]) -> Result<Vec<Outcome>> {
    caller.require_app(app.id)?;
    caller.require(Permission::ManageUsers)?;
    check_batch(friends)?;
    let user = user_rows::find(db, app, uid).await?;
    let (found, mut outcomes) = resolve(db, app, friends, |_| None).await;
    let mut tx = db.begin_write().await?;
    let mut removed = Vec::with_capacity(found.len());
    for (friend_uid, friend_id) in &found {
        let sql = "DELETE FROM friends WHERE (user_id = $1 AND friend_id = $2) OR (user_id = $2 AND friend_id = $1)";
        let done = tx.execute(sql, args![user.id, *friend_id]).await? > 0;
        if done {
            let object = format!("user:{uid}");
            let change =
                Change { app: Some(app.id), action: "friend.remove", object, details: json!({"friend": friend_uid}) };
            record(&mut tx, caller, change).await?;
        }
        removed.push(done);
    }
    tx.commit().await?;
    for ((friend_uid, _), removed) in found.into_iter().zip(removed) {
        let outcome = if removed {
            Ok(())
        } else {
            Err(Error::not_found("ERR_NOT_A_FRIEND", format!("{friend_uid} is not a friend of {uid}.")))
        };
        outcomes.push((friend_uid, outcome));
    }
    Ok(in_given_order(friends, outcomes))
}

/// Outcomes in the order the UIDs were sent.
fn in_given_order(friends: &[Uid], mut outcomes: Vec<Outcome>) -> Vec<Outcome> {
    outcomes.sort_by_key(|(uid, _)| friends.iter().position(|f| f == uid));
    outcomes
}
