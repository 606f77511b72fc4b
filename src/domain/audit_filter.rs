//! The activity page's filters: who, what, on what, and when. They live in
//! the address, so a filtered log can be reloaded and shared.

use serde::{Deserialize, Serialize};

use super::{Invalid, format_date, parse_date, storable};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Who made the change, as the log names them (an email, `key:…`, `cli`).
    pub actor: Option<String>,
    /// An action or the start of one: `user` finds `user.create` and `user.update`.
    pub action: Option<String>,
    /// The object, as the log names it (`user:ana`, `group:club`).
    pub object: Option<String>,
    /// From the start of this day (Unix seconds, UTC).
    pub from: Option<i64>,
    /// Up to the end of this day (the start of the day, Unix seconds, UTC).
    pub until: Option<i64>,
}

impl AuditFilter {
    /// Reads the filter from query parameters; an absent or empty one keeps
    /// its default.
    pub fn from_params(param: impl Fn(&str) -> Option<String>) -> Result<Self, Invalid> {
        let given = |key: &str| param(key).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let text = |key: &str, what: &str| given(key).map(|v| storable(v, what)).transpose();
        Ok(Self {
            actor: text("actor", "An actor")?,
            action: text("action", "An action")?,
            object: text("object", "An object")?,
            from: given("from").as_deref().map(parse_date).transpose()?,
            until: given("until").as_deref().map(parse_date).transpose()?,
        })
    }

    /// The query string that `from_params` reads back.
    pub fn to_query(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in [("actor", &self.actor), ("action", &self.action), ("object", &self.object)] {
            if let Some(value) = value {
                query.append_pair(key, value);
            }
        }
        for (key, day) in [("from", self.from), ("until", self.until)] {
            if let Some(day) = day {
                query.append_pair(key, &format_date(day));
            }
        }
        query.finish()
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_reads_back_from_its_own_query() {
        let params = [("actor", "ana@example.com"), ("action", "user"), ("from", "2026-12-01"), ("object", "")];
        let filter = AuditFilter::from_params(|k| params.iter().find(|(p, _)| *p == k).map(|(_, v)| v.to_string()));
        let filter = filter.unwrap();
        assert_eq!(filter.object, None, "empty is any");
        let query = filter.to_query();
        let back = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect::<Vec<(String, String)>>();
        let again = AuditFilter::from_params(|k| back.iter().find(|(p, _)| p == k).map(|(_, v)| v.clone()));
        assert_eq!(again.unwrap(), filter);
        assert_eq!(AuditFilter::from_params(|_| Some("tomorrow".into())).unwrap_err().code, "ERR_INVALID_DATE");
    }
}
