//! An app's figures per day, for the overview's charts: new users and
//! messages, added to as they are written rather than counted later.

/// The day, counted from 1970-01-01 (UTC), that a time falls on.
pub fn day_of(at: i64) -> i64 {
    at.div_euclid(86_400)
}

/// Adds `$per_app_day` (`(app, day) -> n`) to column `$column` (`users` or
/// `messages`) of the daily figures, in `$tx`; evaluates to a `sqlx` result.
macro_rules! add_daily {
    ($tx:ident, $column:literal, $per_app_day:expr) => {
        'add: {
            for ((app, day), n) in $per_app_day {
                let added = sqlx::query(concat!(
                    "INSERT INTO daily_counts (app, day, ",
                    $column,
                    ") VALUES ($1, $2, $3) ON CONFLICT (app, day) DO UPDATE SET ",
                    $column,
                    " = daily_counts.",
                    $column,
                    " + excluded.",
                    $column
                ))
                .bind(app)
                .bind(day)
                .bind(n)
                .execute(&mut *$tx)
                .await;
                if let Err(error) = added {
                    break 'add Err::<(), sqlx::Error>(error);
                }
            }
            Ok(())
        }
    };
}
pub(crate) use add_daily;
