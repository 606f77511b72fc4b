//! Calls that name up to 25 other users at once (friends, blocks), and
//! answer for each of them on its own.

use super::{apps::App, user_rows};
use crate::domain::Uid;
use crate::server::{Error, Result, db::Db};

/// At most this many users in one call.
pub const MAX_PER_CALL: usize = 25;

/// What became of one UID in a call: done, or why not.
pub type Outcome = (Uid, std::result::Result<(), Error>);

/// Refuses a call that names no user, or more than [`MAX_PER_CALL`];
/// `code` says which call.
pub(super) fn check_batch(uids: &[Uid], code: &'static str) -> Result<()> {
    if uids.is_empty() || uids.len() > MAX_PER_CALL {
        return Err(Error::invalid(code, format!("Send 1 to {MAX_PER_CALL} UIDs at a time.")));
    }
    Ok(())
}

/// Each UID with the internal id of its user, or why it has none. Refused
/// UIDs become outcomes at once; the rest are for the caller to act on.
pub(super) async fn resolve(
    db: &Db,
    app: &App,
    uids: &[Uid],
    refuse: impl Fn(&Uid) -> Option<Error>,
) -> (Vec<(Uid, i64)>, Vec<Outcome>) {
    let (mut found, mut refused) = (Vec::new(), Vec::new());
    for uid in uids {
        if let Some(err) = refuse(uid) {
            refused.push((uid.clone(), Err(err)));
            continue;
        }
        match user_rows::find(db, app, uid).await {
            Ok(user) => found.push((uid.clone(), user.id)),
            Err(err) => refused.push((uid.clone(), Err(err))),
        }
    }
    (found, refused)
}

/// Outcomes in the order the UIDs were sent.
pub(super) fn in_given_order(uids: &[Uid], mut outcomes: Vec<Outcome>) -> Vec<Outcome> {
    outcomes.sort_by_key(|(uid, _)| uids.iter().position(|u| u == uid));
    outcomes
}
