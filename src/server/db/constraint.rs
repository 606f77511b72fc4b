//! The constraints whose violation a service answers with an error of its
//! own, each known by its name: Postgres names the constraint it checked;
//! SQLite names the columns of a UNIQUE one, and no foreign key at all.

/// A constraint a service expects a write may break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constraint {
    /// `apps.app_id` is unique.
    AppId,
    /// `operators.email` is unique.
    OperatorEmail,
    /// An app's role ids are unique.
    RoleId,
    /// An app's UIDs are unique.
    Uid,
    /// A user's role is one of their app's roles.
    UserRole,
    /// An app's GUIDs are unique.
    Guid,
}

/// Each constraint with Postgres's name for it, and what SQLite's message
/// says of it.
const KNOWN: [(Constraint, &str, Sqlite); 6] = [
    (Constraint::AppId, "apps_app_id_key", Sqlite::Unique("apps.app_id")),
    (Constraint::OperatorEmail, "operators_email_key", Sqlite::Unique("operators.email")),
    (Constraint::RoleId, "roles_pkey", Sqlite::Unique("roles.app, roles.role")),
    (Constraint::Uid, "users_app_uid_key", Sqlite::Unique("users.app, users.uid")),
    (Constraint::UserRole, "users_app_role_fkey", Sqlite::ForeignKey),
    (Constraint::Guid, "groups_app_guid_key", Sqlite::Unique("groups.app, groups.guid")),
];

/// How SQLite reports a constraint: a UNIQUE one by its columns; a foreign
/// key by its kind alone, so the only foreign key a request can break (a
/// user's role) is the one any foreign key failure is taken for.
enum Sqlite {
    Unique(&'static str),
    ForeignKey,
}

impl Constraint {
    /// The constraint `error` reports broken, when it is one of these.
    pub fn broken_by(error: &sqlx::Error) -> Option<Constraint> {
        let sqlx::Error::Database(error) = error else { return None };
        if let Some(name) = error.constraint() {
            return KNOWN.iter().find(|(_, pg, _)| *pg == name).map(|(c, ..)| *c);
        }
        let message = error.message();
        KNOWN
            .iter()
            .find(|(.., sqlite)| match sqlite {
                Sqlite::Unique(columns) => {
                    message.strip_prefix("UNIQUE constraint failed: ").is_some_and(|found| found == *columns)
                }
                Sqlite::ForeignKey => error.is_foreign_key_violation(),
            })
            .map(|(c, ..)| *c)
    }
}
