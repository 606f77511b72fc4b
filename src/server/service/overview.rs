//! An app at a glance: its totals, and its last 30 days of new users,
//! messages and REST requests per key.

use std::collections::HashMap;

use super::{apps::App, daily::day_of, now, stored, usage};
use crate::args;
use crate::domain::{DayFigures, KeyRequestsView, KeyScope, OverviewView};
use crate::server::{
    Result,
    access::{Caller, Permission},
    db::Db,
};

/// Days the overview's charts cover, today the last.
pub const DAYS: i64 = 30;

pub async fn overview(db: &Db, caller: &Caller, app: &App) -> Result<OverviewView> {
    caller.require_app(app.id)?;
    caller.require(Permission::Read)?;
    let at = now();
    let today = day_of(at);
    let first = today - (DAYS - 1);
    let totals: (i64, i64, i64, i64) = db
        .one(
            "SELECT (SELECT active + deactivated FROM user_counts WHERE app = $1), \
             (SELECT COUNT(*) FROM users WHERE app = $1 AND last_active_at >= $2), \
             (SELECT total FROM group_counts WHERE app = $1), \
             (SELECT total FROM message_counts WHERE app = $1)",
            args![app.id, at - 86_400],
        )
        .await?;
    let sql = "SELECT day, users, messages FROM daily_counts WHERE app = $1 AND day >= $2 ORDER BY day";
    let days: Vec<(i64, i64, i64)> = db.all(sql, args![app.id, first]).await?;
    let sql = "SELECT id, name, prefix, scope FROM api_keys WHERE app = $1 ORDER BY id";
    let keys: Vec<(i64, String, String, String)> = db.all(sql, args![app.id]).await?;
    let sql = "SELECT r.key_id, r.day, r.requests FROM key_requests r JOIN api_keys k ON k.id = r.key_id \
               WHERE k.app = $1 AND r.day >= $2";
    let requests: Vec<(i64, i64, i64)> = db.all(sql, args![app.id, first]).await?;
    let index = |day: i64| usize::try_from(day - first).ok().filter(|i| *i < DAYS as usize);
    let mut figures: Vec<DayFigures> =
        (first..=today).map(|day| DayFigures { day: day * 86_400, new_users: 0, messages: 0 }).collect();
    for (day, users, messages) in days {
        if let Some(i) = index(day) {
            figures[i].new_users = users;
            figures[i].messages = messages;
        }
    }
    let key_ids: Vec<i64> = keys.iter().map(|(id, ..)| *id).collect();
    let mut per_key: HashMap<i64, Vec<i64>> = key_ids.iter().map(|id| (*id, vec![0; DAYS as usize])).collect();
    for (key, day, n) in requests.into_iter().chain(usage::unwritten(db, &key_ids)) {
        if let (Some(counts), Some(i)) = (per_key.get_mut(&key), index(day)) {
            counts[i] += n;
        }
    }
    let keys = keys
        .into_iter()
        .map(|(id, name, prefix, scope)| {
            Ok(KeyRequestsView {
                name,
                prefix,
                scope: stored(KeyScope::parse(&scope))?,
                requests: per_key.remove(&id).unwrap_or_default(),
            })
        })
        .collect::<Result<_>>()?;
    let (users, active_last_day, groups, messages) = totals;
    Ok(OverviewView { users, active_last_day, groups, messages, days: figures, keys })
}
