//! What a message's text points at: the users it mentions, written
//! `<@uid:UID>` as CometChat's clients write them, and links; and the
//! reactions users leave on a message.

use super::{Invalid, Uid};

/// A reaction is at most this many characters: an emoji sequence, or a short word.
pub const MAX_REACTION_CHARS: usize = 32;

/// A reaction as a user leaves it: an emoji (`😀`) or a short word, without
/// spaces or control characters.
pub fn parse_reaction(raw: &str) -> Result<String, Invalid> {
    let chars = raw.chars().count();
    if chars == 0 || chars > MAX_REACTION_CHARS || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Invalid::new(
            "ERR_INVALID_REACTION",
            format!("A reaction is 1 to {MAX_REACTION_CHARS} characters, such as an emoji, without spaces."),
        ));
    }
    Ok(raw.to_owned())
}

/// How a mention opens; it closes at the next `>`.
pub const MENTION_OPEN: &str = "<@uid:";

/// What marks a link in a text, in any case: a message "has links" when its
/// text holds one of these.
pub const LINK_MARKS: [&str; 3] = ["http://", "https://", "www."];

/// The users `text` mentions, each once, in the order first mentioned. A
/// mention of something that is no UID is plain text.
pub fn mentioned_uids(text: &str) -> Vec<Uid> {
    let mut found: Vec<Uid> = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(MENTION_OPEN) {
        rest = &rest[at + MENTION_OPEN.len()..];
        let Some(end) = rest.find('>') else { break };
        if let Ok(uid) = Uid::parse(&rest[..end])
            && !found.contains(&uid)
        {
            found.push(uid);
        }
        rest = &rest[end + 1..];
    }
    found
}

/// How user `uid` is mentioned in a text, in lowercase, as a search for
/// their mentions looks for it.
pub fn mention_of(uid: &Uid) -> String {
    format!("{MENTION_OPEN}{uid}>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uids(text: &str) -> Vec<String> {
        mentioned_uids(text).into_iter().map(String::from).collect()
    }

    #[test]
    fn mentions_are_read_in_order_each_once_and_in_lowercase() {
        assert_eq!(uids("hi <@uid:Bob> and <@uid:ana>, <@uid:bob>"), ["bob", "ana"]);
        assert_eq!(uids("no mention here"), Vec::<String>::new());
    }

    #[test]
    fn a_mention_that_names_no_uid_or_never_closes_is_plain_text() {
        assert_eq!(uids("<@uid:not a uid> <@uid:> <@uid:ok"), Vec::<String>::new());
        assert_eq!(uids("<@uid:a b> then <@uid:carol>"), ["carol"]);
    }

    #[test]
    fn a_reaction_is_an_emoji_or_a_short_word() {
        assert_eq!(parse_reaction("😀").unwrap(), "😀");
        assert_eq!(parse_reaction("👍🏽").unwrap(), "👍🏽");
        assert_eq!(parse_reaction("+1").unwrap(), "+1");
        for bad in ["", "a b", "x\n", &"y".repeat(MAX_REACTION_CHARS + 1)] {
            assert_eq!(parse_reaction(bad).unwrap_err().code, "ERR_INVALID_REACTION", "{bad:?}");
        }
    }

    #[test]
    fn a_mention_is_searched_for_as_it_is_written() {
        assert_eq!(mention_of(&Uid::parse("Bob").unwrap()), "<@uid:bob>");
    }
}
