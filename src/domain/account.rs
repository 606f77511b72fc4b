//! What the dashboard shows of an operator's own account: their sessions
//! and their second factor.

use serde::{Deserialize, Serialize};

use super::{Email, Invalid, OperatorRole};

/// One signed-in dashboard session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub id: i64,
    pub operator_id: i64,
    pub operator_email: Email,
    pub created_at: i64,
    pub last_seen_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The browser and system, as far as its user agent tells.
    pub device: String,
    pub two_factor: bool,
    /// The session this list is shown in.
    pub this_one: bool,
    /// The viewer may sign it out: any of their own but this one (which
    /// signs out in the header), and, for owners and admins, others' but
    /// an owner's, which only owners end.
    pub may_end: bool,
}

/// Where an operator stands with two-factor sign-in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TwoFactorView {
    pub enabled: bool,
    /// Their role must sign in with a second factor.
    pub required: bool,
    pub recovery_codes_left: i64,
    /// The secret being set up, until a first code turns it on: the page
    /// shows it again after a wrong code or a reload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setting_up: Option<TotpSetup>,
}

/// A secret being set up: what an authenticator app needs to scan or type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TotpSetup {
    /// The secret in base32, for typing in.
    pub secret: String,
    /// The `otpauth://` address the QR code holds.
    pub address: String,
    /// The QR code as an SVG image.
    pub qr_svg: String,
}

/// The team's two-factor rule: which roles must use it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TwoFactorPolicy {
    pub roles: Vec<OperatorRole>,
}

/// What the team page shows of each operator's sign-in, besides their row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SignInStatus {
    /// Operators whose account is locked out now by failed sign-ins.
    pub locked_out: Vec<i64>,
    /// Operators with a second factor on.
    pub two_factor: Vec<i64>,
    pub policy: TwoFactorPolicy,
}

/// What proves the second factor: a code from the authenticator app, or
/// one of the recovery codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactor {
    Totp(String),
    Recovery(String),
}

/// Digits in a TOTP code.
pub const TOTP_DIGITS: usize = 6;

impl SecondFactor {
    /// Six digits are a TOTP code; anything else of letters and digits is
    /// a recovery code. Spaces and dashes are ignored and case too, as
    /// people type them.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let kept: String =
            input.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_lowercase()).collect();
        if kept.len() == TOTP_DIGITS && kept.chars().all(|c| c.is_ascii_digit()) {
            return Ok(SecondFactor::Totp(kept));
        }
        if (8..=32).contains(&kept.len()) && kept.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Ok(SecondFactor::Recovery(kept));
        }
        Err(Invalid::new(
            "ERR_CODE_INVALID",
            "Enter the 6-digit code from your authenticator app, or one of your recovery codes.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digits_are_a_totp_code_and_longer_words_a_recovery_code() {
        assert_eq!(SecondFactor::parse(" 123 456 "), Ok(SecondFactor::Totp("123456".into())));
        assert_eq!(SecondFactor::parse("ABCDE-12345"), Ok(SecondFactor::Recovery("abcde12345".into())));
        for bad in ["", "12345", "1234567", "abc", "abcde/12345"] {
            assert_eq!(SecondFactor::parse(bad).unwrap_err().code, "ERR_CODE_INVALID", "{bad}");
        }
    }
}
