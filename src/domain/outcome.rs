use serde::{Deserialize, Serialize};

use super::{AppView, NewApiKey};

/// What a form post just did, kept for the page the browser is sent back
/// to, which shows it once. A form posts and the page comes back
/// (post/redirect/get), so a reload neither repeats the change nor shows
/// a secret again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    AppCreated(AppView),
    AppRenamed,
    /// A key's secret, the one time it is shown.
    KeyCreated(NewApiKey),
    PasswordChanged,
    UserSaved,
    /// How many of the ticked users a bulk change changed.
    UsersChanged(usize),
    /// What a change that went through in part refused, one line each.
    SomeRefused(Vec<String>),
    TwoFactorPolicySaved,
    /// A one-time password link (a path) for an existing operator.
    ResetLink(String),
    /// The invitation (a path) of an operator just added.
    Invited(String),
    /// The recovery codes of a second factor just turned on.
    RecoveryCodes(Vec<String>),
}
