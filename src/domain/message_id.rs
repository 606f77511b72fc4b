//! A message's id on the wire: CometChat sends it as a string of digits
//! (`"100"`). Switchboard numbers messages with growing integers, kept as
//! `i64`; these serde helpers write them as text and read either form.

use serde::{Deserialize, Deserializer, Serializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum Given {
    Number(i64),
    Text(String),
}

impl Given {
    fn id<E: serde::de::Error>(self) -> Result<i64, E> {
        match self {
            Given::Number(id) => Ok(id),
            Given::Text(text) => text.parse().map_err(|_| E::custom("a message id is a whole number, as digits")),
        }
    }
}

pub fn serialize<S: Serializer>(id: &i64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(id)
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    Given::deserialize(deserializer)?.id()
}

/// The same for an id that may be absent.
pub mod optional {
    use super::Given;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(id: &Option<i64>, serializer: S) -> Result<S::Ok, S::Error> {
        match id {
            Some(id) => serializer.collect_str(id),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
        Option::<Given>::deserialize(deserializer)?.map(Given::id).transpose()
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Message {
        #[serde(with = "super")]
        id: i64,
        #[serde(default, with = "super::optional", skip_serializing_if = "Option::is_none")]
        parent_id: Option<i64>,
    }

    #[test]
    fn an_id_is_written_as_text_and_read_as_text_or_number() {
        let message = Message { id: 100, parent_id: Some(7) };
        assert_eq!(serde_json::to_string(&message).unwrap(), r#"{"id":"100","parent_id":"7"}"#);
        let read: Message = serde_json::from_str(r#"{"id":"100","parent_id":7}"#).unwrap();
        assert_eq!(read, message);
        let no_parent: Message = serde_json::from_str(r#"{"id":100}"#).unwrap();
        assert_eq!(no_parent, Message { id: 100, parent_id: None });
        assert!(serde_json::from_str::<Message>(r#"{"id":"ten"}"#).is_err());
    }
}
