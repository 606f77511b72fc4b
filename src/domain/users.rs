//! The parts of an app's users: identifiers and profile fields, each checked
//! once here and trusted everywhere after.

use super::{Invalid, ids::checked_string};

/// What UIDs, GUIDs and role ids may hold: 1 to 100 of `A-Z a-z 0-9 _ -`.
/// They compare without case and are kept lowercase.
pub(super) fn parse_identifier(raw: &str, code: &'static str, what: &str) -> Result<String, Invalid> {
    let ok = (1..=100).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(raw.to_ascii_lowercase())
    } else {
        Err(Invalid::new(
            code,
            format!(
                "{what} is 1 to 100 characters, each a letter (A-Z, a-z), a digit, an underscore (_) or a hyphen (-); spaces and other punctuation are not allowed."
            ),
        ))
    }
}

checked_string!(
    /// A user's id within an app.
    Uid
);
checked_string!(
    /// A role's id within an app, such as `default` or `premium`.
    RoleId
);

impl Uid {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        parse_identifier(raw, "ERR_INVALID_UID", "A UID").map(Self)
    }
}

impl RoleId {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        parse_identifier(raw, "ERR_INVALID_ROLE", "A role id").map(Self)
    }

    pub const DEFAULT: &str = "default";

    pub fn default_role() -> Self {
        Self(Self::DEFAULT.to_owned())
    }

    pub fn is_default(&self) -> bool {
        self.0 == Self::DEFAULT
    }
}

/// Bounded free text (names, status messages): trimmed, no control characters.
pub(super) fn parse_text(
    raw: &str,
    max: usize,
    required: bool,
    code: &'static str,
    what: &str,
) -> Result<String, Invalid> {
    let text = raw.trim();
    if required && text.is_empty() {
        return Err(Invalid::new(code, format!("{what} is required.")));
    }
    if text.chars().count() > max {
        return Err(Invalid::new(code, format!("{what} is at most {max} characters.")));
    }
    if text.chars().any(char::is_control) {
        return Err(Invalid::new(code, format!("{what} cannot contain control characters.")));
    }
    Ok(text.to_owned())
}

pub fn parse_user_name(raw: &str) -> Result<String, Invalid> {
    parse_text(raw, 100, true, "ERR_INVALID_NAME", "A name")
}

pub fn parse_status_message(raw: &str) -> Result<String, Invalid> {
    parse_text(raw, 150, false, "ERR_INVALID_STATUS_MESSAGE", "A status message")
}

pub fn parse_role_name(raw: &str) -> Result<String, Invalid> {
    parse_text(raw, 100, true, "ERR_INVALID_ROLE_NAME", "A role name")
}

pub fn parse_description(raw: &str) -> Result<String, Invalid> {
    parse_text(raw, 500, false, "ERR_INVALID_DESCRIPTION", "A description")
}

/// An http(s) URL for an avatar or a profile link.
pub fn parse_web_url(raw: &str, code: &'static str) -> Result<String, Invalid> {
    let refuse = || Invalid::new(code, "Give a full http:// or https:// URL of at most 1000 characters.");
    let trimmed = raw.trim();
    if trimmed.contains('\0') {
        return Err(super::storable(trimmed.to_owned(), "A URL").unwrap_err());
    }
    if trimmed.len() > 1000 {
        return Err(refuse());
    }
    let url = url::Url::parse(trimmed).map_err(|_| refuse())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(refuse());
    }
    Ok(trimmed.to_owned())
}

/// Free JSON an app keeps on a user: an object of at most 5 KB.
pub const MAX_METADATA_BYTES: usize = 5 * 1024;

pub fn check_metadata(value: &serde_json::Value) -> Result<(), Invalid> {
    if !value.is_object() {
        return Err(Invalid::new("ERR_INVALID_METADATA", "Metadata is a JSON object."));
    }
    if value.to_string().len() > MAX_METADATA_BYTES {
        return Err(Invalid::new("ERR_INVALID_METADATA", "Metadata is at most 5 KB of JSON."));
    }
    super::storable_json(value, "Metadata")
}

/// Metadata as typed into a form: empty for none, else a JSON object.
pub fn parse_metadata(raw: &str) -> Result<Option<serde_json::Value>, Invalid> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let value = serde_json::from_str(raw)
        .map_err(|e| Invalid::new("ERR_INVALID_METADATA", format!("Metadata is not valid JSON: {e}.")))?;
    check_metadata(&value)?;
    Ok(Some(value))
}

/// Tags as typed into a form or a CSV cell: separated by commas.
pub fn parse_tag_list(raw: &str) -> Result<Vec<String>, Invalid> {
    parse_tags(&raw.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect::<Vec<_>>())
}

pub const MAX_TAGS: usize = 25;

/// At most 25 distinct tags of 1 to 100 characters; duplicates fold together.
/// No commas: tag lists are written comma-separated (the list filter, the
/// dashboard's tag field, the CSV files), and a tag with a comma would come
/// back from any of them as two.
pub fn parse_tags(raw: &[String]) -> Result<Vec<String>, Invalid> {
    let mut tags: Vec<String> = Vec::with_capacity(raw.len());
    for tag in raw {
        let tag = parse_text(tag, 100, true, "ERR_INVALID_TAGS", "A tag")?;
        if tag.contains(',') {
            return Err(Invalid::new("ERR_INVALID_TAGS", format!("A tag cannot contain a comma: \"{tag}\".")));
        }
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(Invalid::new("ERR_INVALID_TAGS", format!("At most {MAX_TAGS} tags.")));
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_metadata_is_empty_for_none_or_a_json_object_within_five_kilobytes() {
        assert_eq!(parse_metadata("  ").unwrap(), None);
        assert_eq!(parse_metadata(r#"{"plan": "pro"}"#).unwrap(), Some(serde_json::json!({"plan": "pro"})));
        for bad in ["{plan: pro}", "[1, 2]", "\"text\"", &format!(r#"{{"a": "{}"}}"#, "x".repeat(6000))] {
            assert_eq!(parse_metadata(bad).unwrap_err().code, "ERR_INVALID_METADATA", "{bad}");
        }
    }

    #[test]
    fn typed_tags_are_split_on_commas_and_trimmed() {
        assert_eq!(parse_tag_list(" beta, vip ,,beta").unwrap(), vec!["beta", "vip"]);
        assert_eq!(parse_tag_list("").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn a_uid_takes_letters_digits_underscores_and_hyphens_and_is_kept_lowercase() {
        assert_eq!(Uid::parse("Super_Hero-1").unwrap().as_str(), "super_hero-1");
        assert!(Uid::parse(&"a".repeat(100)).is_ok());
    }

    #[test]
    fn a_uid_with_anything_else_is_refused_with_the_allowed_characters_named() {
        for bad in ["", "has space", "dot.ted", "at@sign", "ümlaut", "slash/", &"a".repeat(101)] {
            let err = Uid::parse(bad).unwrap_err();
            assert_eq!(err.code, "ERR_INVALID_UID", "{bad:?}");
            assert!(err.message.contains("underscore"), "{}", err.message);
        }
    }

    #[test]
    fn role_ids_follow_the_uid_rules() {
        assert_eq!(RoleId::parse("Premium").unwrap().as_str(), "premium");
        assert_eq!(RoleId::parse("vip members").unwrap_err().code, "ERR_INVALID_ROLE");
        assert!(RoleId::default_role().is_default());
    }

    #[test]
    fn names_are_required_and_bounded() {
        assert_eq!(parse_user_name("  Ana  ").unwrap(), "Ana");
        assert_eq!(parse_user_name(" ").unwrap_err().code, "ERR_INVALID_NAME");
        assert!(parse_user_name(&"n".repeat(101)).is_err());
        assert_eq!(parse_status_message("").unwrap(), "");
    }

    #[test]
    fn urls_are_full_http_urls() {
        assert!(parse_web_url("https://example.com/a.png", "ERR_INVALID_AVATAR").is_ok());
        for bad in ["example.com/a.png", "javascript:alert(1)", "ftp://example.com/x", ""] {
            assert_eq!(parse_web_url(bad, "ERR_INVALID_AVATAR").unwrap_err().code, "ERR_INVALID_AVATAR", "{bad}");
        }
    }

    #[test]
    fn metadata_is_an_object_of_at_most_5_kb() {
        assert!(check_metadata(&serde_json::json!({"plan": "pro"})).is_ok());
        assert!(check_metadata(&serde_json::json!([1])).is_err());
        assert!(check_metadata(&serde_json::json!({"x": "y".repeat(5 * 1024)})).is_err());
    }

    #[test]
    fn tags_are_distinct_at_most_25_and_free_of_commas() {
        assert_eq!(parse_tags(&["a".into(), "a".into(), "b".into()]).unwrap(), ["a", "b"]);
        let many: Vec<String> = (0..26).map(|n| n.to_string()).collect();
        assert_eq!(parse_tags(&many).unwrap_err().code, "ERR_INVALID_TAGS");
        assert!(parse_tags(&["".into()]).is_err());
        assert_eq!(parse_tags(&["gold, vip".into()]).unwrap_err().code, "ERR_INVALID_TAGS");
        assert_eq!(parse_tag_list("gold, vip").unwrap(), ["gold", "vip"]);
    }
}
