//! Types shared by the server and the browser: checked identifiers, enums and
//! the shapes that cross the wire. No I/O here, so the dashboard validates
//! input with exactly the parsers the server trusts.

mod account;
mod audit_filter;
mod error;
mod field_check;
mod groups;
mod ids;
mod kinds;
mod mentions;
mod message_filter;
pub mod message_id;
mod messages;
mod outcome;
mod permission;
mod realtime;
mod return_to;
mod text;
mod time;
mod user_filter;
mod users;
mod views;

pub use account::{SecondFactor, SessionView, SignInStatus, TOTP_DIGITS, TotpSetup, TwoFactorPolicy, TwoFactorView};
pub use audit_filter::AuditFilter;
pub use error::{ApiError, Invalid};
pub use field_check::FieldCheck;
pub use groups::{
    BanLength, BanTerms, GroupAction, GroupPassword, GroupSort, GroupType, Guid, MemberAction, Refusal, Scope, Target,
    may, parse_group_name,
};
pub use ids::{ApiKeyRef, AppId, AppName, Email, KeyName, OperatorName, Password};
pub use kinds::{BulkChange, Environment, KeyScope, OperatorRole, Presence, Region, Showing, SortOrder, UserSort};
pub use mentions::{LINK_MARKS, MAX_REACTION_CHARS, MENTION_OPEN, mention_of, mentioned_uids, parse_reaction};
pub use message_filter::MessageFilter;
pub use messages::{
    CallStatus, CallType, Content, MAX_ATTACHMENTS, MAX_TEXT_CHARS, MediaType, MemberEvent, MessageCategory,
    MessageEvent, Reach, Receiver, ReceiverType, SYSTEM_SENDER, conversation_id, conversation_keys, parse_reason,
};
pub use outcome::Outcome;
pub use permission::{Permission, Powers};
pub use realtime::{ClientFrame, CloseReason, PresenceSubscription, ReceiptKind, ServerFrame};
pub use return_to::{return_path, second_factor_returning_to, sign_in_returning_to};
pub use text::{TEXT_WITH_NUL, storable, storable_json};
pub use time::{format_date, format_timestamp, parse_date};
pub use user_filter::UserFilter;
pub use users::{
    MAX_METADATA_BYTES, MAX_TAGS, RoleId, Uid, check_metadata, parse_description, parse_metadata, parse_role_name,
    parse_status_message, parse_tag_list, parse_tags, parse_user_name, parse_web_url,
};
pub use views::{
    ApiKeyView, AppView, AuditEntryView, AuditPage, AuthTokenView, BannedUserView, ConversationView, DayFigures,
    GroupView, ImportReport, KeyRequestsView, LiveCounts, MemberView, MessagePage, MessageView, NewApiKey,
    NewAuthToken, OperatorView, OverviewView, Page, PlaygroundLogin, ReactionCount, ReactionView, RejectedRow,
    RoleSettings, RoleView, Session, UserDetail, UserListPage, UserSummary, UserSummaryPage, UserView,
};
