//! The realtime gateway's frames: JSON text over one WebSocket per client,
//! tagged by `type`. Shared with the browser, which speaks them in the
//! dashboard's Playground.

use serde::{Deserialize, Serialize};

use super::{MessageView, Presence, ReceiverType};

/// What a client sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase", deny_unknown_fields)]
pub enum ClientFrame {
    /// The first frame: an auth token, or, where the app allows it, an Auth
    /// Key and a UID, which mints a token for this device.
    Login {
        auth_token: Option<String>,
        auth_key: Option<String>,
        uid: Option<String>,
        platform: Option<String>,
        /// Whose presence to be told of; everyone's the role lets the user
        /// see when left out.
        presence: Option<PresenceSubscription>,
    },
    /// Keeps the connection: without one for the ping timeout, it closes.
    /// A struct variant, so that unknown fields are refused as elsewhere.
    Ping {},
    /// The user started or stopped typing to a user or in a group.
    Typing { receiver: String, receiver_type: ReceiverType, started: bool },
    /// The user's device received message `message_id`.
    Delivered {
        #[serde(with = "super::message_id")]
        message_id: i64,
    },
}

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum ServerFrame {
    LoggedIn {
        uid: String,
        /// Seconds without a ping before the server closes the connection.
        ping_timeout: u64,
        /// The token minted by an Auth Key login, shown this once.
        auth_token: Option<String>,
    },
    Pong,
    /// A message sent, or written by the system (an action), in a
    /// conversation or group the user is in.
    Message {
        message: MessageView,
    },
    MessageEdited {
        message: MessageView,
    },
    MessageDeleted {
        message: MessageView,
    },
    Presence {
        uid: String,
        status: Presence,
        last_active_at: Option<i64>,
    },
    Typing {
        sender: String,
        receiver: String,
        receiver_type: ReceiverType,
        started: bool,
    },
    /// `by` received (`delivered`) or read (`read`) the messages up to `message_id`.
    Receipt {
        kind: ReceiptKind,
        by: String,
        #[serde(with = "super::message_id")]
        message_id: i64,
    },
    /// A frame the server could not take; the connection stays open.
    Error {
        code: String,
        message: String,
    },
}

/// Whose presence a connection is told of. A role that lists its users
/// only their friends (`listUsers: friendsOnly`) narrows `all` to friends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PresenceSubscription {
    /// Every user the role lets this user see.
    #[default]
    All,
    Friends,
    /// Nobody's: a client that shows no presence spares the server telling it.
    None,
}

impl PresenceSubscription {
    /// The narrower of the two.
    pub fn narrowed_to(self, other: PresenceSubscription) -> PresenceSubscription {
        use PresenceSubscription::*;
        match (self, other) {
            (None, _) | (_, None) => None,
            (Friends, _) | (_, Friends) => Friends,
            (All, All) => All,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ReceiptKind {
    Delivered,
    Read,
}

/// Why the server closed a connection: WebSocket close codes of the
/// application range, each with a fixed meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// No login frame in time, or it failed.
    LoginFailed,
    /// The auth token was revoked.
    TokenRevoked,
    /// The user was deactivated or deleted.
    UserGone,
    /// The app was deleted.
    AppGone,
    /// No ping within the ping timeout.
    PingTimeout,
    /// More frames than the limit allows.
    Flood,
    /// The client reads its events too slowly to keep up.
    TooSlow,
    /// The server is shutting down.
    ServerStopping,
}

impl CloseReason {
    pub const ALL: &'static [CloseReason] = &[
        CloseReason::LoginFailed,
        CloseReason::TokenRevoked,
        CloseReason::UserGone,
        CloseReason::AppGone,
        CloseReason::PingTimeout,
        CloseReason::Flood,
        CloseReason::TooSlow,
        CloseReason::ServerStopping,
    ];

    pub fn code(self) -> u16 {
        match self {
            CloseReason::LoginFailed => 4001,
            CloseReason::TokenRevoked => 4002,
            CloseReason::UserGone => 4003,
            CloseReason::AppGone => 4004,
            CloseReason::PingTimeout => 4005,
            CloseReason::Flood => 4008,
            CloseReason::TooSlow => 4009,
            CloseReason::ServerStopping => 1001,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            CloseReason::LoginFailed => "login failed",
            CloseReason::TokenRevoked => "auth token revoked",
            CloseReason::UserGone => "user deactivated or deleted",
            CloseReason::AppGone => "app deleted",
            CloseReason::PingTimeout => "no ping within the timeout",
            CloseReason::Flood => "too many frames",
            CloseReason::TooSlow => "events not read fast enough",
            CloseReason::ServerStopping => "server stopping",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_frame_reads_its_token() {
        let frame: ClientFrame = serde_json::from_str(r#"{"type":"login","authToken":"abc"}"#).unwrap();
        assert_eq!(
            frame,
            ClientFrame::Login {
                auth_token: Some("abc".into()),
                auth_key: None,
                uid: None,
                platform: None,
                presence: None
            }
        );
    }

    #[test]
    fn unknown_types_and_fields_do_not_parse() {
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"explode"}"#).is_err());
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"ping","extra":1}"#).is_err());
    }

    #[test]
    fn a_subscription_is_narrowed_by_the_role_never_widened() {
        use PresenceSubscription::*;
        assert_eq!(All.narrowed_to(All), All);
        assert_eq!(All.narrowed_to(Friends), Friends);
        assert_eq!(Friends.narrowed_to(All), Friends);
        assert_eq!(Friends.narrowed_to(None), None);
        assert_eq!(None.narrowed_to(All), None);
    }

    #[test]
    fn close_codes_are_distinct() {
        let mut codes: Vec<u16> = CloseReason::ALL.iter().map(|r| r.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), CloseReason::ALL.len());
    }
}
