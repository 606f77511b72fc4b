//! An app's figures per day, for the overview's charts: new users and
//! messages, added to as they are written rather than counted later.

use crate::args;
use crate::server::{Result, db::Tx};

/// The day, counted from 1970-01-01 (UTC), that a time falls on.
pub fn day_of(at: i64) -> i64 {
    at.div_euclid(86_400)
}

/// A figure kept per app and day.
#[derive(Debug, Clone, Copy)]
pub(super) enum Figure {
    Users,
    Messages,
}

/// Adds `per_app_day` (`((app, day), n)`) to `figure`'s daily counts, in `tx`.
pub(super) async fn add_daily(tx: &mut Tx, figure: Figure, per_app_day: &[((i64, i64), i64)]) -> Result<()> {
    let column = match figure {
        Figure::Users => "users",
        Figure::Messages => "messages",
    };
    let sql = format!(
        "INSERT INTO daily_counts (app, day, {column}) VALUES ($1, $2, $3) \
         ON CONFLICT (app, day) DO UPDATE SET {column} = daily_counts.{column} + excluded.{column}"
    );
    for ((app, day), n) in per_app_day {
        tx.execute(&sql, args![*app, *day, *n]).await?;
    }
    Ok(())
}
