//! Friendships: symmetric, stored in both directions. The app decides who is
//! friends; Switchboard only keeps the list.

use serde_json::json;

use super::{
    apps::App,
    audit::{Change, record},
    now, users,
};
use crate::domain::Uid;
use crate::server::{
    Error, Result,
    auth::{Caller, Permission},
    db::{BeginWrite, Db},
};
use crate::with_db;

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

/// Makes each UID a friend of `uid` (and `uid` a friend of each).
pub async fn add(db: &Db, caller: &Caller, app: &App, uid: &Uid, friends: &[Uid]) -> Result<Vec<Outcome>> {
    caller.require_app(app.id)?;
    caller.require(Permission::ManageUsers)?;
    check_batch(friends)?;
    let user = users::find(db, app, uid).await?;
    let mut outcomes = Vec::with_capacity(friends.len());
    for friend_uid in friends {
        if friend_uid == uid {
            outcomes.push((
                friend_uid.clone(),
                Err(Error::invalid("ERR_FRIEND_SELF", "A user cannot befriend themselves.")),
            ));
            continue;
        }
        let friend = match users::find(db, app, friend_uid).await {
            Ok(friend) => friend,
            Err(err) => {
                outcomes.push((friend_uid.clone(), Err(err)));
                continue;
            }
        };
        with_db!(db, pool => {
            let mut tx = pool.begin_write().await?;
            let mut added = 0;
            for (a, b) in [(user.id, friend.id), (friend.id, user.id)] {
                added += sqlx::query(
                    "INSERT INTO friends (app, user_id, friend_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(app.id)
                .bind(a)
                .bind(b)
                .bind(now())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            if added > 0 {
                record!(&mut *tx, caller, Change { app: Some(app.id), action: "friend.add", object: format!("user:{uid}"), details: json!({"friend": friend_uid}) })?;
            }
            tx.commit().await?;
        });
        outcomes.push((friend_uid.clone(), Ok(())));
    }
    Ok(outcomes)
}

/// Ends each friendship; a UID that was no friend is reported as such.
pub async fn remove(db: &Db, caller: &Caller, app: &App, uid: &Uid, friends: &[Uid]) -> Result<Vec<Outcome>> {
    caller.require_app(app.id)?;
    caller.require(Permission::ManageUsers)?;
    check_batch(friends)?;
    let user = users::find(db, app, uid).await?;
    let mut outcomes = Vec::with_capacity(friends.len());
    for friend_uid in friends {
        let friend = match users::find(db, app, friend_uid).await {
            Ok(friend) => friend,
            Err(err) => {
                outcomes.push((friend_uid.clone(), Err(err)));
                continue;
            }
        };
        let removed = with_db!(db, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(
                "DELETE FROM friends WHERE (user_id = $1 AND friend_id = $2) OR (user_id = $2 AND friend_id = $1)",
            )
            .bind(user.id)
            .bind(friend.id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() > 0 {
                record!(&mut *tx, caller, Change { app: Some(app.id), action: "friend.remove", object: format!("user:{uid}"), details: json!({"friend": friend_uid}) })?;
            }
            tx.commit().await?;
            done.rows_affected() > 0
        });
        let outcome = if removed {
            Ok(())
        } else {
            Err(Error::not_found("ERR_NOT_A_FRIEND", format!("{friend_uid} is not a friend of {uid}.")))
        };
        outcomes.push((friend_uid.clone(), outcome));
    }
    Ok(outcomes)
}
