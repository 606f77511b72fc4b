//! The permission matrix: which operator role may do what. The server
//! enforces it (`access::Caller::require`); the dashboard offers a control
//! only to the roles it allows ([`Powers`]), from this same table.

use serde::{Deserialize, Serialize};

use super::{Environment, OperatorRole};

/// What an action needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Read,
    ChangeApp(Environment),
    DeleteApp,
    ManageKeys(Environment),
    ManageTeam,
    /// Create users: what an Auth Key is for.
    CreateUsers,
    /// Issue auth tokens: what an Auth Key is for.
    IssueTokens,
    /// Change users, roles and friends.
    ManageUsers,
    /// Revoke auth tokens, deactivate users: support's work.
    ModerateUsers,
    /// Create, change and delete groups; add members, change their scopes.
    ManageGroups,
    /// Have a user join or leave a group, by the group's own rules.
    JoinGroups,
    /// Kick, ban and unban group members: support's work.
    ModerateGroups,
    /// Send, edit and delete messages as the app's users.
    SendMessages,
    /// Delete any message: support's work.
    ModerateMessages,
}

impl Permission {
    /// What it allows, to finish "Your role may not …".
    pub fn described(self) -> &'static str {
        match self {
            Permission::Read => "read this",
            Permission::ChangeApp(Environment::Development) => "create or change development apps",
            Permission::ChangeApp(Environment::Production) => "create or change production apps",
            Permission::DeleteApp => "delete apps",
            Permission::ManageKeys(Environment::Development) => "manage development apps' keys",
            Permission::ManageKeys(Environment::Production) => "manage production apps' keys",
            Permission::ManageTeam => "manage the team",
            Permission::CreateUsers => "create users",
            Permission::IssueTokens => "issue auth tokens",
            Permission::ManageUsers => "change users, roles or friends",
            Permission::ModerateUsers => "revoke auth tokens or deactivate users",
            Permission::ManageGroups => "change groups or their members' scopes",
            Permission::JoinGroups => "have users join or leave groups",
            Permission::ModerateGroups => "kick or ban group members",
            Permission::SendMessages => "send messages as users",
            Permission::ModerateMessages => "delete messages",
        }
    }

    /// The least role that may; every role above it may too.
    pub fn least_role(self) -> OperatorRole {
        match self {
            Permission::Read => OperatorRole::Viewer,
            Permission::ChangeApp(Environment::Development)
            | Permission::ManageKeys(Environment::Development)
            | Permission::CreateUsers
            | Permission::IssueTokens
            | Permission::ManageUsers
            | Permission::ManageGroups
            | Permission::JoinGroups
            | Permission::SendMessages => OperatorRole::Developer,
            Permission::ModerateUsers | Permission::ModerateGroups | Permission::ModerateMessages => {
                OperatorRole::Support
            }
            Permission::ChangeApp(Environment::Production)
            | Permission::ManageKeys(Environment::Production)
            | Permission::DeleteApp
            | Permission::ManageTeam => OperatorRole::Admin,
        }
    }
}

impl OperatorRole {
    pub fn may(self, permission: Permission) -> bool {
        self.at_least(permission.least_role())
    }
}

/// What the signed-in operator may do in one app, so that its pages offer
/// only that. The server checks every action again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Powers {
    /// Rename the app and change its settings.
    pub change_app: bool,
    pub delete_app: bool,
    /// Create and revoke the app's keys.
    pub manage_keys: bool,
    /// Create, edit and delete users, roles, friendships, groups and
    /// memberships; import users.
    pub manage: bool,
    /// Revoke auth tokens, deactivate users, kick and ban members, delete
    /// messages.
    pub moderate: bool,
    /// Act as the app's users: the Playground.
    pub act_as_users: bool,
}

impl Powers {
    /// An operator of role `role`'s powers in an app of `environment`.
    pub fn of(role: OperatorRole, environment: Environment) -> Self {
        Powers {
            change_app: role.may(Permission::ChangeApp(environment)),
            delete_app: role.may(Permission::DeleteApp),
            manage_keys: role.may(Permission::ManageKeys(environment)),
            manage: role.may(Permission::ManageUsers) && role.may(Permission::ManageGroups),
            moderate: role.may(Permission::ModerateUsers)
                && role.may(Permission::ModerateGroups)
                && role.may(Permission::ModerateMessages),
            act_as_users: role.may(Permission::IssueTokens) && role.may(Permission::SendMessages),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_developer_may_change_development_apps_only_and_support_moderates_only() {
        let dev = Powers::of(OperatorRole::Developer, Environment::Development);
        assert!(dev.change_app && dev.manage_keys && dev.manage && dev.moderate && dev.act_as_users);
        assert!(!dev.delete_app);
        let prod = Powers::of(OperatorRole::Developer, Environment::Production);
        assert!(!prod.change_app && !prod.manage_keys && prod.manage);
        let support = Powers::of(OperatorRole::Support, Environment::Development);
        assert_eq!(support, Powers { moderate: true, ..Powers::default() });
        assert_eq!(Powers::of(OperatorRole::Viewer, Environment::Development), Powers::default());
    }
}
