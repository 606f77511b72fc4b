use std::fmt;

use super::Invalid;

/// Declares a string newtype whose only way in is `parse`, so holding one
/// proves the value was checked. Serde goes through `parse` as well.
macro_rules! checked_string {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::domain::Invalid;
            fn try_from(value: String) -> Result<Self, $crate::domain::Invalid> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

pub(super) use checked_string;

checked_string!(
    /// An app's public identifier: 16 lowercase hexadecimal characters.
    AppId
);
checked_string!(
    /// An operator's sign-in address, trimmed and lowercased so that one
    /// person cannot hold two accounts differing only in case.
    Email
);
checked_string!(
    /// An app's display name.
    AppName
);
checked_string!(
    /// A person's display name.
    OperatorName
);
checked_string!(
    /// An API key's label, so a team can tell its keys apart.
    KeyName
);

impl AppId {
    pub const LEN: usize = 16;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let is_hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
        if raw.len() == Self::LEN && raw.chars().all(is_hex) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::new("ERR_INVALID_APPID", "An App ID is 16 lowercase hexadecimal characters (0-9, a-f)."))
        }
    }

    /// 64 random bits, enough that two apps never collide in practice; the
    /// unique index catches the case anyway.
    #[cfg(feature = "ssr")]
    pub fn generate() -> Self {
        let bytes: [u8; 8] = rand::random();
        Self(hex::encode(bytes))
    }
}

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let email = raw.trim().to_lowercase();
        if email.len() <= 254 && email_address::EmailAddress::is_valid(&email) {
            Ok(Self(email))
        } else {
            Err(Invalid::new("ERR_INVALID_EMAIL", "Enter an email address such as ana@example.com."))
        }
    }
}

/// Trims and bounds a human-readable label: 1 to `max` characters, no control
/// characters (they break tables, logs and CSV exports).
fn parse_label(raw: &str, max: usize, code: &'static str, what: &str) -> Result<String, Invalid> {
    let label = raw.trim();
    let len = label.chars().count();
    if len == 0 {
        return Err(Invalid::new(code, format!("{what} is required.")));
    }
    if len > max {
        return Err(Invalid::new(code, format!("{what} is at most {max} characters.")));
    }
    if label.chars().any(char::is_control) {
        return Err(Invalid::new(code, format!("{what} cannot contain control characters.")));
    }
    Ok(label.to_owned())
}

impl AppName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        parse_label(raw, 100, "ERR_INVALID_APP_NAME", "An app name").map(Self)
    }
}

impl OperatorName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        parse_label(raw, 100, "ERR_INVALID_NAME", "A name").map(Self)
    }
}

impl KeyName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        parse_label(raw, 100, "ERR_INVALID_APIKEY_NAME", "A key name").map(Self)
    }
}

/// A new password as typed. Never serialised: it only travels inbound.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 12;
    /// Bounds the work one sign-in can ask of argon2.
    pub const MAX_BYTES: usize = 1024;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.chars().count() < Self::MIN_CHARS {
            return Err(Invalid::new(
                "ERR_WEAK_PASSWORD",
                format!("A password has at least {} characters.", Self::MIN_CHARS),
            ));
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(Invalid::new(
                "ERR_WEAK_PASSWORD",
                format!("A password has at most {} bytes.", Self::MAX_BYTES),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_app_id_is_sixteen_lowercase_hex_characters() {
        assert!(AppId::parse("0123456789abcdef").is_ok());
        for bad in
            ["", "0123456789abcde", "0123456789abcdef0", "0123456789ABCDEF", "0123456789abcdeg", "0123456789abcd f"]
        {
            assert_eq!(AppId::parse(bad).unwrap_err().code, "ERR_INVALID_APPID", "{bad:?}");
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn generated_app_ids_parse_and_differ() {
        let a = AppId::generate();
        assert_eq!(AppId::parse(a.as_str()), Ok(a.clone()));
        assert_ne!(a, AppId::generate());
    }

    #[test]
    fn an_email_is_trimmed_and_lowercased() {
        assert_eq!(Email::parse("  Ana@Example.COM ").unwrap().as_str(), "ana@example.com");
    }

    #[test]
    fn a_malformed_email_is_refused() {
        for bad in ["", "ana", "ana@", "@example.com", "ana example@x.com", &format!("{}@x.com", "a".repeat(250))] {
            assert_eq!(Email::parse(bad).unwrap_err().code, "ERR_INVALID_EMAIL", "{bad:?}");
        }
    }

    #[test]
    fn labels_are_trimmed_and_bounded() {
        assert_eq!(AppName::parse("  Chat  ").unwrap().as_str(), "Chat");
        assert_eq!(AppName::parse("   ").unwrap_err().code, "ERR_INVALID_APP_NAME");
        assert!(AppName::parse(&"é".repeat(100)).is_ok());
        assert!(AppName::parse(&"é".repeat(101)).is_err());
        assert!(KeyName::parse("line\nbreak").is_err());
        assert_eq!(OperatorName::parse("").unwrap_err().code, "ERR_INVALID_NAME");
    }

    #[test]
    fn a_password_has_twelve_characters_at_least() {
        assert_eq!(Password::parse("elevenchars").unwrap_err().code, "ERR_WEAK_PASSWORD");
        assert!(Password::parse("twelve chars").is_ok());
        assert!(Password::parse(&"x".repeat(1025)).is_err());
        assert_eq!(format!("{:?}", Password::parse("twelve chars").unwrap()), "Password(***)");
    }

    #[test]
    fn checked_strings_deserialize_only_when_valid() {
        assert!(serde_json::from_str::<AppId>("\"0123456789abcdef\"").is_ok());
        assert!(serde_json::from_str::<AppId>("\"nope\"").is_err());
    }
}

/// How a request names one API key: by the key itself, as CometChat's
/// `/apikeys/{apiKey}` does, or by the numeric id the dashboard shows.
/// Keys are 40 hexadecimal characters; ids are short numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiKeyRef {
    Id(i64),
    Key(String),
}

impl ApiKeyRef {
    pub const KEY_LEN: usize = 40;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let is_hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
        if raw.len() == Self::KEY_LEN && raw.chars().all(is_hex) {
            return Ok(Self::Key(raw.to_owned()));
        }
        match raw.parse::<i64>() {
            Ok(id) if id > 0 && raw.len() < Self::KEY_LEN => Ok(Self::Id(id)),
            _ => Err(Invalid::new(
                "ERR_INVALID_APIKEY",
                "Name an API key by the key itself (40 hexadecimal characters) or by its numeric id.",
            )),
        }
    }
}

#[cfg(test)]
mod api_key_ref_tests {
    use super::ApiKeyRef;

    #[test]
    fn a_key_is_named_by_itself_or_by_its_id_and_nothing_else() {
        let key = "f1915e328e249ffaaafd97fb46a57ba55d233fbf";
        assert_eq!(ApiKeyRef::parse(key), Ok(ApiKeyRef::Key(key.into())));
        assert_eq!(ApiKeyRef::parse("12"), Ok(ApiKeyRef::Id(12)));
        for bad in ["0", "-3", "abc", "F1915E328E249FFAAAFD97FB46A57BA55D233FBF", &key[1..], ""] {
            assert_eq!(ApiKeyRef::parse(bad).unwrap_err().code, "ERR_INVALID_APIKEY", "{bad}");
        }
    }
}
