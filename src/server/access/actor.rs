pub use crate::domain::Permission;
use crate::domain::{Email, KeyScope, OperatorRole, Uid};
use crate::server::{Error, Result};

/// Who makes a change. Services take one with every call and decide from it.
#[derive(Debug, Clone)]
pub enum Actor {
    Operator {
        id: i64,
        email: Email,
        role: OperatorRole,
    },
    /// An API key acts only inside the app it belongs to.
    Key {
        id: i64,
        app: i64,
        prefix: String,
        scope: KeyScope,
    },
    /// A user of an app, with their own auth token: a client app calling
    /// the endpoints clients use, always as that user.
    User {
        app: i64,
        uid: Uid,
    },
    /// Whoever runs the binary on the server already holds the database, so
    /// the CLI acts with owner rights.
    Cli,
}

/// An actor and where the request came from, for the audit log.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    pub ip: Option<String>,
}

impl Caller {
    pub fn cli() -> Self {
        Caller { actor: Actor::Cli, ip: None }
    }

    /// The audit log's name for this caller. Keys appear by prefix only.
    pub fn label(&self) -> String {
        match &self.actor {
            Actor::Operator { email, .. } => email.to_string(),
            Actor::Key { prefix, .. } => format!("key:{prefix}"),
            Actor::User { uid, .. } => format!("user:{uid}"),
            Actor::Cli => "cli".to_owned(),
        }
    }

    pub fn may(&self, permission: Permission) -> bool {
        self.require(permission).is_ok()
    }

    pub fn require(&self, permission: Permission) -> Result<()> {
        match &self.actor {
            Actor::Cli => Ok(()),
            Actor::Operator { role, .. } if role.may(permission) => Ok(()),
            Actor::Operator { role, .. } => {
                Err(Error::Forbidden { role: role.as_str(), action: permission.described() })
            }
            // Keys act inside their app, never on the app itself or the team;
            // an Auth Key only creates users and issues their tokens.
            Actor::Key { scope: KeyScope::AuthOnly, .. }
                if matches!(permission, Permission::CreateUsers | Permission::IssueTokens) =>
            {
                Ok(())
            }
            Actor::Key { scope: KeyScope::FullAccess, .. }
                if !matches!(permission, Permission::ChangeApp(_) | Permission::DeleteApp | Permission::ManageTeam) =>
            {
                Ok(())
            }
            Actor::Key { .. } => Err(Error::NoAccess),
            // A user reads and writes as themselves: the endpoints that take
            // an auth token pass them on as the acting user, and the services
            // narrow what they see and may do to that user.
            Actor::User { .. }
                if matches!(permission, Permission::Read | Permission::SendMessages | Permission::JoinGroups) =>
            {
                Ok(())
            }
            Actor::User { .. } => Err(Error::NoAccess),
        }
    }

    /// Refuses a key of another app before anything about that app is read.
    pub fn require_app(&self, app: i64) -> Result<()> {
        match &self.actor {
            Actor::Key { app: own, .. } | Actor::User { app: own, .. } if *own != app => Err(Error::ApiKeyNotFound),
            _ => Ok(()),
        }
    }

    pub fn operator_role(&self) -> Option<OperatorRole> {
        match &self.actor {
            Actor::Operator { role, .. } => Some(*role),
            Actor::Cli => Some(OperatorRole::Owner),
            Actor::Key { .. } | Actor::User { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Environment;

    fn operator(role: OperatorRole) -> Caller {
        Caller { actor: Actor::Operator { id: 1, email: Email::parse("a@b.co").unwrap(), role }, ip: None }
    }

    fn key(scope: KeyScope) -> Caller {
        Caller { actor: Actor::Key { id: 1, app: 1, prefix: "abcd1234".into(), scope }, ip: None }
    }

    #[test]
    fn every_role_reads() {
        for role in OperatorRole::ALL {
            assert!(operator(*role).require(Permission::Read).is_ok());
        }
    }

    #[test]
    fn developers_manage_development_apps_but_not_production_ones() {
        let dev = operator(OperatorRole::Developer);
        assert!(dev.require(Permission::ManageKeys(Environment::Development)).is_ok());
        assert!(dev.require(Permission::ChangeApp(Environment::Development)).is_ok());
        assert!(dev.require(Permission::ManageKeys(Environment::Production)).is_err());
        assert!(dev.require(Permission::DeleteApp).is_err());
        assert!(dev.require(Permission::ManageTeam).is_err());
    }

    #[test]
    fn support_and_viewers_change_nothing_here() {
        for role in [OperatorRole::Support, OperatorRole::Viewer] {
            let err = operator(role).require(Permission::ChangeApp(Environment::Development)).unwrap_err();
            assert_eq!(err.code(), "ERR_FORBIDDEN");
        }
    }

    #[test]
    fn admins_do_everything_here() {
        let admin = operator(OperatorRole::Admin);
        for p in [Permission::DeleteApp, Permission::ManageTeam, Permission::ManageKeys(Environment::Production)] {
            assert!(admin.require(p).is_ok());
        }
    }

    #[test]
    fn an_auth_key_may_not_read_keys() {
        assert_eq!(key(KeyScope::AuthOnly).require(Permission::Read).unwrap_err().code(), "AUTH_ERR_NO_ACCESS");
    }

    #[test]
    fn an_auth_key_only_creates_users_and_issues_tokens() {
        let auth = key(KeyScope::AuthOnly);
        assert!(auth.require(Permission::CreateUsers).is_ok());
        assert!(auth.require(Permission::IssueTokens).is_ok());
        for p in [Permission::Read, Permission::ManageUsers, Permission::ModerateUsers] {
            assert_eq!(auth.require(p).unwrap_err().code(), "AUTH_ERR_NO_ACCESS");
        }
    }

    #[test]
    fn support_moderates_users_and_viewers_only_read_them() {
        assert!(operator(OperatorRole::Support).require(Permission::ModerateUsers).is_ok());
        assert!(operator(OperatorRole::Support).require(Permission::ModerateGroups).is_ok());
        assert!(operator(OperatorRole::Support).require(Permission::ManageGroups).is_err());
        assert!(operator(OperatorRole::Viewer).require(Permission::ModerateGroups).is_err());
        assert!(operator(OperatorRole::Support).require(Permission::ManageUsers).is_err());
        assert!(operator(OperatorRole::Viewer).require(Permission::ModerateUsers).is_err());
        assert!(operator(OperatorRole::Developer).require(Permission::ManageUsers).is_ok());
    }

    #[test]
    fn a_rest_api_key_manages_keys_but_never_apps_or_the_team() {
        let full = key(KeyScope::FullAccess);
        assert!(full.require(Permission::ManageKeys(Environment::Production)).is_ok());
        assert!(full.require(Permission::DeleteApp).is_err());
        assert!(full.require(Permission::ManageTeam).is_err());
    }

    #[test]
    fn a_key_of_one_app_is_unknown_to_another() {
        assert!(key(KeyScope::FullAccess).require_app(1).is_ok());
        assert_eq!(key(KeyScope::FullAccess).require_app(2).unwrap_err().code(), "AUTH_ERR_APIKEY_NOT_FOUND");
    }
}
