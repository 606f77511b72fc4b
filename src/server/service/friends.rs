//! Friendships: symmetric, stored in both directions. The app decides who is
//! friends; Switchboard only keeps the list.

use serde_json::json;

pub use super::user_batch::Outcome;
use super::{
    apps::App,
    audit::{Change, record},
    now,
    user_batch::{check_batch, in_given_order, resolve},
    user_rows,
};
use crate::args;
use crate::domain::Uid;
use crate::server::{
    Error, Result,
    access::{Caller, Permission},
    db::Db,
};

/// Makes each UID a friend of `uid` (and `uid` a friend of each), in one transaction.
pub async fn add(db: &Db, caller: &Caller, app: &App, uid: &Uid, friends: &[Uid]) -> Result<Vec<Outcome>> {
    caller.require_app(app.id)?;
    caller.require(Permission::ManageUsers)?;
    check_batch(friends, "ERR_FRIENDS_LIMIT")?;
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
    check_batch(friends, "ERR_FRIENDS_LIMIT")?;
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
