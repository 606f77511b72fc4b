//! Blocked users, as CometChat keeps them: one user blocks others, one
//! direction at a time. While a block stands, neither of the two sends the
//! other a message; lists read for the blocker may hide the blocked
//! user's group messages.

use std::collections::HashMap;

use serde_json::json;

use super::{
    apps::App,
    audit::{Change, record},
    now,
    user_batch::{check_batch, in_given_order, resolve},
    user_rows,
    users::{self, UserQuery},
};
use crate::args;
use crate::domain::{Page, Uid, UserView};
use crate::server::{
    Error, Result,
    access::{Caller, Permission},
    db::{Arg, Db},
};

pub use super::user_batch::Outcome;

/// A user someone blocked, and since when.
pub struct Blocked {
    pub user: UserView,
    pub blocked_at: i64,
}

/// User `uid` blocks each UID, in one transaction; blocking twice changes nothing.
pub async fn block(db: &Db, caller: &Caller, app: &App, uid: &Uid, blocked: &[Uid]) -> Result<Vec<Outcome>> {
    caller.require_app(app.id)?;
    caller.require(Permission::ManageUsers)?;
    check_batch(blocked, "ERR_BLOCKED_LIMIT")?;
    let user = user_rows::find(db, app, uid).await?;
    let not_self = |other: &Uid| {
        (other == uid).then(|| Error::invalid("ERR_CANNOT_BLOCK_SELF", "A user cannot block themselves."))
    };
    let (found, mut outcomes) = resolve(db, app, blocked, not_self).await;
    let mut tx = db.begin_write().await?;
    for (other, other_id) in &found {
        let sql = "INSERT INTO blocked_users (app, blocker_id, blocked_id, blocked_at) VALUES ($1, $2, $3, $4) \
                   ON CONFLICT DO NOTHING";
        if tx.execute(sql, args![app.id, user.id, *other_id, now()]).await? > 0 {
            let change = Change {
                app: Some(app.id),
                action: "user.block",
                object: format!("user:{uid}"),
                details: json!({"blocked": other}),
            };
            record(&mut tx, caller, change).await?;
        }
    }
    tx.commit().await?;
    outcomes.extend(found.into_iter().map(|(other, _)| (other, Ok(()))));
    Ok(in_given_order(blocked, outcomes))
}

/// User `uid` unblocks each UID, in one transaction; a UID they had not
/// blocked is reported as such.
pub async fn unblock(db: &Db, caller: &Caller, app: &App, uid: &Uid, blocked: &[Uid]) -> Result<Vec<Outcome>> {
    caller.require_app(app.id)?;
    caller.require(Permission::ManageUsers)?;
    check_batch(blocked, "ERR_BLOCKED_LIMIT")?;
    let user = user_rows::find(db, app, uid).await?;
    let (found, mut outcomes) = resolve(db, app, blocked, |_| None).await;
    let mut tx = db.begin_write().await?;
    for (other, other_id) in found {
        let sql = "DELETE FROM blocked_users WHERE blocker_id = $1 AND blocked_id = $2";
        let outcome = if tx.execute(sql, args![user.id, other_id]).await? > 0 {
            let change = Change {
                app: Some(app.id),
                action: "user.unblock",
                object: format!("user:{uid}"),
                details: json!({"blocked": other}),
            };
            record(&mut tx, caller, change).await?;
            Ok(())
        } else {
            Err(Error::not_found("ERR_NOT_BLOCKED", format!("{uid} has not blocked {other}.")))
        };
        outcomes.push((other, outcome));
    }
    tx.commit().await?;
    Ok(in_given_order(blocked, outcomes))
}

/// The users `uid` blocked, as the users list pages them, each with when.
pub async fn list(db: &Db, caller: &Caller, app: &App, uid: &Uid, query: UserQuery) -> Result<Page<Blocked>> {
    let page: Page<UserView> =
        users::list(db, caller, app, UserQuery { blocked_by: Some(uid.clone()), ..query }).await?;
    let blocker = user_rows::find(db, app, uid).await?.id;
    let ids: Vec<Arg> = page.items.iter().map(|u| Arg::from(u.uid.to_string())).collect();
    let when: HashMap<String, i64> = if ids.is_empty() {
        HashMap::new()
    } else {
        let sql = "SELECT u.uid, b.blocked_at FROM blocked_users b JOIN users u ON u.id = b.blocked_id \
                   WHERE b.blocker_id = $1 AND u.uid IN ({})";
        db.all_in::<(String, i64)>(sql, args![blocker], &ids).await?.into_iter().collect()
    };
    page.try_map(|user| {
        let blocked_at = when.get(user.uid.as_str()).copied().unwrap_or_default();
        Ok(Blocked { user, blocked_at })
    })
}

/// Of the users `others`, those the user with row id `me` blocked and those
/// who blocked them, by UID: what a reader's view of them says
/// (`blockedByMe`, `hasBlockedMe`).
pub async fn between(db: &Db, app: &App, me: i64, others: &[&str]) -> Result<(Vec<String>, Vec<String>)> {
    if others.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let listed: Vec<Arg> = others.iter().map(|o| Arg::from(o.to_string())).collect();
    let sql = "SELECT u.uid, b.blocker_id = $1 FROM blocked_users b JOIN users u \
               ON u.id = CASE WHEN b.blocker_id = $1 THEN b.blocked_id ELSE b.blocker_id END \
               WHERE (b.blocker_id = $1 OR b.blocked_id = $1) AND u.app = $2 AND u.uid IN ({})";
    let rows: Vec<(String, bool)> = db.all_in(sql, args![me, app.id], &listed).await?;
    let (mine, theirs): (Vec<_>, Vec<_>) = rows.into_iter().partition(|(_, by_me)| *by_me);
    Ok((mine.into_iter().map(|r| r.0).collect(), theirs.into_iter().map(|r| r.0).collect()))
}
