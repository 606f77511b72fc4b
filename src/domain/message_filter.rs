//! The message explorer's filter as the address holds it, so a moderator's
//! search can be bookmarked, reloaded and shared.

use serde::{Deserialize, Serialize};

use super::{Guid, Invalid, MessageCategory, Uid, format_date, parse_date};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageFilter {
    /// Sent by this user (or by `app_system`).
    pub sender: Option<Uid>,
    /// Sent to this user.
    pub receiver: Option<Uid>,
    /// Sent to this group.
    pub group: Option<Guid>,
    pub category: Option<MessageCategory>,
    /// A type within the category, such as `image`.
    pub message_type: Option<String>,
    /// Sent on or after this day (the unix second it begins).
    pub from: Option<i64>,
    /// Sent on or before this day (the unix second it begins).
    pub until: Option<i64>,
    pub hide_deleted: bool,
}

impl MessageFilter {
    /// Reads the filter from query parameters; an absent or empty one
    /// ("any" in the form) leaves its field open.
    pub fn from_params(param: impl Fn(&str) -> Option<String>) -> Result<Self, Invalid> {
        let given = |key: &str| param(key).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let filter = Self {
            sender: given("sender").as_deref().map(Uid::parse).transpose()?,
            receiver: given("to").as_deref().map(Uid::parse).transpose()?,
            group: given("group").as_deref().map(Guid::parse).transpose()?,
            category: given("category").as_deref().map(MessageCategory::parse).transpose()?,
            message_type: given("type")
                .map(|t| Uid::parse(&t).map(|t| t.to_string()))
                .transpose()
                .map_err(|_| Invalid::new("ERR_INVALID_MESSAGE_TYPE", "A type is a word such as text or image."))?,
            from: given("from").as_deref().map(parse_date).transpose()?,
            until: given("until").as_deref().map(parse_date).transpose()?,
            hide_deleted: given("hide_deleted").is_some(),
        };
        if filter.receiver.is_some() && filter.group.is_some() {
            return Err(Invalid::new("ERR_INVALID_RECEIVER_TYPE", "Filter on a receiving user or a group, not both."));
        }
        if let (Some(from), Some(until)) = (filter.from, filter.until)
            && from > until
        {
            return Err(Invalid::new("ERR_INVALID_TIME_RANGE", "The first day comes before the last."));
        }
        Ok(filter)
    }

    /// The query string that `from_params` reads back.
    pub fn to_query(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        let fields = [
            ("sender", self.sender.as_ref().map(Uid::to_string)),
            ("to", self.receiver.as_ref().map(Uid::to_string)),
            ("group", self.group.as_ref().map(Guid::to_string)),
            ("category", self.category.map(|c| c.as_str().to_owned())),
            ("type", self.message_type.clone()),
            ("from", self.from.map(format_date)),
            ("until", self.until.map(format_date)),
            ("hide_deleted", self.hide_deleted.then(|| "on".to_owned())),
        ];
        for (key, value) in fields {
            if let Some(value) = value {
                query.append_pair(key, &value);
            }
        }
        query.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(query: &str) -> Result<MessageFilter, Invalid> {
        let params: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        MessageFilter::from_params(|key| params.get(key).cloned())
    }

    #[test]
    fn a_filter_survives_the_round_trip_through_the_address() {
        let filter = MessageFilter {
            sender: Some(Uid::parse("ana").unwrap()),
            receiver: None,
            group: Some(Guid::parse("club").unwrap()),
            category: Some(MessageCategory::Message),
            message_type: Some("image".into()),
            from: Some(parse_date("2026-11-01").unwrap()),
            until: Some(parse_date("2026-11-20").unwrap()),
            hide_deleted: true,
        };
        assert_eq!(parse(&filter.to_query()).unwrap(), filter);
        assert_eq!(MessageFilter::default().to_query(), "");
        assert_eq!(parse("sender=&to=&group=&category=&type=&from=&until=").unwrap(), MessageFilter::default());
    }

    #[test]
    fn a_filter_outside_its_choices_is_refused_with_its_code() {
        assert_eq!(parse("sender=no+one").unwrap_err().code, "ERR_INVALID_UID");
        assert_eq!(parse("category=gossip").unwrap_err().code, "ERR_INVALID_MESSAGE_CATEGORY");
        assert_eq!(parse("from=yesterday").unwrap_err().code, "ERR_INVALID_DATE");
        assert_eq!(parse("to=ana&group=club").unwrap_err().code, "ERR_INVALID_RECEIVER_TYPE");
        assert_eq!(parse("from=2026-11-20&until=2026-11-01").unwrap_err().code, "ERR_INVALID_TIME_RANGE");
    }
}
