use serde::{Deserialize, Serialize};

use super::Invalid;

/// Declares a closed set of names with one spelling each, used on the wire,
/// in the database and in forms alike.
macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident, $code:literal, $what:literal { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "&'static str")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                match raw {
                    $($text => Ok($name::$variant),)+
                    _ => Err(Invalid::new(
                        $code,
                        format!(concat!($what, " is one of: {}."), [$($text),+].join(", ")),
                    )),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = Invalid;
            fn try_from(value: String) -> Result<Self, Invalid> {
                Self::parse(&value)
            }
        }

        impl From<$name> for &'static str {
            fn from(value: $name) -> &'static str {
                value.as_str()
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(super) use named_enum;

named_enum!(
    /// Production apps carry real users; the dashboard marks them everywhere.
    Environment, "ERR_INVALID_ENVIRONMENT", "An environment" {
        Development = "development",
        Production = "production",
    }
);

named_enum!(
    /// Where an app's data is meant to live.
    Region, "ERR_INVALID_REGION", "A region" {
        Us = "us",
        Eu = "eu",
        In = "in",
    }
);

named_enum!(
    /// What an API key may do: an Auth Key (`authOnly`) may only create users
    /// and issue auth tokens, a REST API Key (`fullAccess`) everything.
    KeyScope, "ERR_INVALID_APIKEY_SCOPE", "A key scope" {
        AuthOnly = "authOnly",
        FullAccess = "fullAccess",
    }
);

named_enum!(
    /// What an operator may do in the dashboard, from most to least.
    OperatorRole, "ERR_INVALID_OPERATOR_ROLE", "An operator role" {
        Owner = "owner",
        Admin = "admin",
        Developer = "developer",
        Support = "support",
        Viewer = "viewer",
    }
);

impl Environment {
    pub fn label(self) -> &'static str {
        match self {
            Environment::Development => "Development",
            Environment::Production => "Production",
        }
    }
}

impl Region {
    pub fn label(self) -> &'static str {
        match self {
            Region::Us => "United States",
            Region::Eu => "Europe",
            Region::In => "India",
        }
    }
}

impl KeyScope {
    /// The names people know these keys by.
    pub fn label(self) -> &'static str {
        match self {
            KeyScope::AuthOnly => "Auth Key",
            KeyScope::FullAccess => "REST API Key",
        }
    }
}

impl OperatorRole {
    pub fn label(self) -> &'static str {
        match self {
            OperatorRole::Owner => "Owner",
            OperatorRole::Admin => "Admin",
            OperatorRole::Developer => "Developer",
            OperatorRole::Support => "Support",
            OperatorRole::Viewer => "Viewer",
        }
    }

    /// Higher is more powerful; each role can do all that the ones below it can.
    pub fn rank(self) -> u8 {
        match self {
            OperatorRole::Owner => 4,
            OperatorRole::Admin => 3,
            OperatorRole::Developer => 2,
            OperatorRole::Support => 1,
            OperatorRole::Viewer => 0,
        }
    }

    pub fn at_least(self, other: OperatorRole) -> bool {
        self.rank() >= other.rank()
    }
}

named_enum!(
    /// The columns a users list sorts on.
    UserSort, "ERR_INVALID_SORT", "sortBy" {
        Uid = "uid",
        Name = "name",
        CreatedAt = "createdAt",
        LastActiveAt = "lastActiveAt",
    }
);

named_enum!(
    SortOrder, "ERR_INVALID_SORT", "sortOrder" {
        Asc = "asc",
        Desc = "desc",
    }
);

named_enum!(
    /// A user's presence, as the realtime gateway reports it: `available` while
    /// a device of theirs is connected (CometChat's word).
    Presence, "ERR_INVALID_STATUS", "status" {
        Available = "available",
        Offline = "offline",
    }
);

named_enum!(
    /// Which users a list shows: deactivated users are left out unless asked for.
    Showing, "ERR_INVALID_SHOW", "show" {
        Active = "active",
        Deactivated = "deactivated",
        All = "all",
    }
);

named_enum!(
    /// What the users table does to the users ticked in it.
    BulkChange, "ERR_INVALID_BULK_CHANGE", "A bulk change" {
        Deactivate = "deactivate",
        Reactivate = "reactivate",
        Delete = "delete",
        ChangeRole = "changeRole",
    }
);

impl UserSort {
    pub fn label(self) -> &'static str {
        match self {
            UserSort::Uid => "UID",
            UserSort::Name => "Name",
            UserSort::CreatedAt => "Created",
            UserSort::LastActiveAt => "Last active",
        }
    }
}

impl Showing {
    pub fn label(self) -> &'static str {
        match self {
            Showing::Active => "Active users",
            Showing::Deactivated => "Deactivated users",
            Showing::All => "All users",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_to_itself() {
        for e in Environment::ALL {
            assert_eq!(Environment::parse(e.as_str()), Ok(*e));
        }
        for r in Region::ALL {
            assert_eq!(Region::parse(r.as_str()), Ok(*r));
        }
        for s in KeyScope::ALL {
            assert_eq!(KeyScope::parse(s.as_str()), Ok(*s));
        }
        for r in OperatorRole::ALL {
            assert_eq!(OperatorRole::parse(r.as_str()), Ok(*r));
        }
    }

    #[test]
    fn unknown_names_are_refused_with_the_choices_listed() {
        let err = Environment::parse("staging").unwrap_err();
        assert_eq!(err.code, "ERR_INVALID_ENVIRONMENT");
        assert!(err.message.contains("development, production"));
        assert_eq!(Region::parse("US").unwrap_err().code, "ERR_INVALID_REGION");
        assert_eq!(KeyScope::parse("authonly").unwrap_err().code, "ERR_INVALID_APIKEY_SCOPE");
        assert_eq!(OperatorRole::parse("root").unwrap_err().code, "ERR_INVALID_OPERATOR_ROLE");
    }

    #[test]
    fn scopes_go_by_their_product_names() {
        assert_eq!(KeyScope::AuthOnly.label(), "Auth Key");
        assert_eq!(KeyScope::FullAccess.label(), "REST API Key");
        assert_eq!(serde_json::to_string(&KeyScope::FullAccess).unwrap(), "\"fullAccess\"");
    }

    #[test]
    fn roles_are_ordered_from_owner_to_viewer() {
        assert!(OperatorRole::Owner.at_least(OperatorRole::Admin));
        assert!(OperatorRole::Developer.at_least(OperatorRole::Support));
        assert!(!OperatorRole::Viewer.at_least(OperatorRole::Support));
    }
}
