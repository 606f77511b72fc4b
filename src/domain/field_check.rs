use serde::{Deserialize, Serialize};

use super::{
    AppName, Email, GroupPassword, Guid, Invalid, KeyName, OperatorName, Password, RoleId, Uid, parse_description,
    parse_group_name, parse_role_name, parse_status_message, parse_tag_list, parse_user_name, parse_web_url,
};

/// What a form field holds, named so that a page can hand it to the
/// browser, which checks the field as it is typed with the parser the
/// server will use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldCheck {
    AppName,
    KeyName,
    Email,
    OperatorName,
    Password,
    Uid,
    UserName,
    Tags,
    StatusMessage,
    Avatar,
    Link,
    RoleId,
    RoleName,
    Description,
    Guid,
    GroupName,
    GroupPassword,
}

impl FieldCheck {
    /// Why `typed` would be refused, if it would.
    pub fn check(self, typed: &str) -> Result<(), Invalid> {
        match self {
            FieldCheck::AppName => AppName::parse(typed).map(drop),
            FieldCheck::KeyName => KeyName::parse(typed).map(drop),
            FieldCheck::Email => Email::parse(typed).map(drop),
            FieldCheck::OperatorName => OperatorName::parse(typed).map(drop),
            FieldCheck::Password => Password::parse(typed).map(drop),
            FieldCheck::Uid => Uid::parse(typed).map(drop),
            FieldCheck::UserName => parse_user_name(typed).map(drop),
            FieldCheck::Tags => parse_tag_list(typed).map(drop),
            FieldCheck::StatusMessage => parse_status_message(typed).map(drop),
            FieldCheck::Avatar => parse_web_url(typed, "ERR_INVALID_AVATAR").map(drop),
            FieldCheck::Link => parse_web_url(typed, "ERR_INVALID_LINK").map(drop),
            FieldCheck::RoleId => RoleId::parse(typed).map(drop),
            FieldCheck::RoleName => parse_role_name(typed).map(drop),
            FieldCheck::Description => parse_description(typed).map(drop),
            FieldCheck::Guid => Guid::parse(typed).map(drop),
            FieldCheck::GroupName => parse_group_name(typed).map(drop),
            FieldCheck::GroupPassword => GroupPassword::parse(typed).map(drop),
        }
    }
}
