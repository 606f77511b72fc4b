//! Timestamps are unix seconds (UTC) everywhere: in the database, on the wire
//! (as the REST contract has them) and in the browser, which formats them
//! with the same code the server renders with, so hydration sees equal text.

use time::{Date, OffsetDateTime, format_description::BorrowedFormatItem, macros::format_description};

use super::Invalid;

const SHOWN: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
const DATE: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

pub fn format_timestamp(unix_seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix_seconds)
        .ok()
        .and_then(|t| t.format(SHOWN).ok())
        .unwrap_or_else(|| unix_seconds.to_string())
}

/// The calendar date (`YYYY-MM-DD`, UTC) a unix second falls on.
pub fn format_date(unix_seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix_seconds)
        .ok()
        .and_then(|t| t.format(DATE).ok())
        .unwrap_or_else(|| unix_seconds.to_string())
}

/// A calendar date (`YYYY-MM-DD`) as the unix second its day begins in UTC.
pub fn parse_date(raw: &str) -> Result<i64, Invalid> {
    Date::parse(raw.trim(), DATE)
        .map(|d| d.midnight().assume_utc().unix_timestamp())
        .map_err(|_| Invalid::new("ERR_INVALID_DATE", "Enter a date as YYYY-MM-DD."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_show_as_utc_minutes() {
        assert_eq!(format_timestamp(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_timestamp(1_795_000_000), "2026-11-18 11:06 UTC");
    }

    #[test]
    fn dates_parse_to_the_start_of_their_day() {
        assert_eq!(parse_date("2026-11-18"), Ok(1_795_000_000 - 11 * 3600 - 6 * 60 - 40));
        assert_eq!(parse_date("19/11/2026").unwrap_err().code, "ERR_INVALID_DATE");
        assert_eq!(format_date(parse_date("2026-11-18").unwrap() + 3600), "2026-11-18");
    }
}
