//! Text both databases store alike. Postgres refuses the NUL character in
//! text and in JSON, where SQLite keeps it; refused here, in the parsers,
//! a NUL gets the same 400 on either database and from every face.

use serde_json::Value;

use super::Invalid;

/// The code of text that holds a NUL character.
pub const TEXT_WITH_NUL: &str = "ERR_NUL_IN_TEXT";

fn refused(what: &str) -> Invalid {
    Invalid::new(TEXT_WITH_NUL, format!("{what} cannot contain the NUL character (U+0000)."))
}

/// `raw`, unless it holds a NUL.
pub fn storable(raw: String, what: &str) -> Result<String, Invalid> {
    if raw.contains('\0') { Err(refused(what)) } else { Ok(raw) }
}

/// Refuses JSON with a NUL in any string, keys included.
pub fn storable_json(value: &Value, what: &str) -> Result<(), Invalid> {
    let ok = |s: &str| if s.contains('\0') { Err(refused(what)) } else { Ok(()) };
    match value {
        Value::String(s) => ok(s),
        Value::Array(items) => items.iter().try_for_each(|item| storable_json(item, what)),
        Value::Object(fields) => fields.iter().try_for_each(|(key, item)| {
            ok(key)?;
            storable_json(item, what)
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_with_a_nul_is_refused_with_its_own_code() {
        assert_eq!(storable("a\0b".into(), "searchKey").unwrap_err().code, TEXT_WITH_NUL);
        assert_eq!(storable("ab".into(), "searchKey").unwrap(), "ab");
    }

    #[test]
    fn json_with_a_nul_anywhere_is_refused() {
        assert!(storable_json(&json!({"a": [1, {"b": "x\u{0}"}]}), "metadata").is_err());
        assert!(storable_json(&json!({"a\u{0}": 1}), "metadata").is_err());
        assert!(storable_json(&json!({"a": [1, {"b": "x"}], "c": null}), "metadata").is_ok());
    }
}
