//! Groups and their members: identifiers, types, scopes, and the rules of
//! who may do what to whom. The rules are here, with no I/O, so the server
//! enforces exactly what the dashboard offers.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::{
    Invalid,
    ids::checked_string,
    kinds::named_enum,
    users::{parse_identifier, parse_text},
};

checked_string!(
    /// A group's id within an app: the UID rules, stored lowercase.
    Guid
);

impl Guid {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        parse_identifier(raw, "ERR_INVALID_GUID", "A GUID").map(Self)
    }
}

named_enum!(
    /// Who sees a group and how one gets in.
    GroupType, "ERR_INVALID_GROUP_TYPE", "A group type" {
        Public = "public",
        Password = "password",
        Private = "private",
    }
);

named_enum!(
    /// A member's standing in a group, from most to least.
    Scope, "ERR_INVALID_SCOPE", "A scope" {
        Admin = "admin",
        Moderator = "moderator",
        Participant = "participant",
    }
);

named_enum!(
    /// The columns a groups list sorts on.
    GroupSort, "ERR_INVALID_SORT", "sortBy" {
        Name = "name",
        Guid = "guid",
        CreatedAt = "createdAt",
    }
);

named_enum!(
    /// What the dashboard's member controls do to the users they name.
    MemberAction, "ERR_INVALID_MEMBER_ACTION", "A member action" {
        Add = "add",
        ChangeScope = "changeScope",
        Kick = "kick",
        Ban = "ban",
        Unban = "unban",
    }
);

impl GroupType {
    pub fn label(self) -> &'static str {
        match self {
            GroupType::Public => "Public",
            GroupType::Password => "Password",
            GroupType::Private => "Private",
        }
    }
}

impl Scope {
    pub fn label(self) -> &'static str {
        match self {
            Scope::Admin => "Admin",
            Scope::Moderator => "Moderator",
            Scope::Participant => "Participant",
        }
    }
}

/// A password a group is joined with: 1 to 100 characters, compared exactly.
#[derive(Clone, PartialEq, Eq)]
pub struct GroupPassword(String);

impl GroupPassword {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.is_empty() || raw.chars().count() > 100 {
            return Err(Invalid::new("ERR_INVALID_GROUP_PASSWORD", "A group password is 1 to 100 characters."));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for GroupPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GroupPassword(***)")
    }
}

pub fn parse_group_name(raw: &str) -> Result<String, Invalid> {
    parse_text(raw, 100, true, "ERR_INVALID_GROUP_NAME", "A group name")
}

/// What one member may try on a group or on another member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupAction {
    ChangeScope {
        to: Scope,
    },
    AddMembers,
    Kick,
    Ban,
    Unban,
    UpdateGroup,
    DeleteGroup,
    /// Delete messages other members sent to the group.
    DeleteMessages,
}

impl GroupAction {
    pub const ALL: [GroupAction; 10] = [
        GroupAction::ChangeScope { to: Scope::Admin },
        GroupAction::ChangeScope { to: Scope::Moderator },
        GroupAction::ChangeScope { to: Scope::Participant },
        GroupAction::AddMembers,
        GroupAction::Kick,
        GroupAction::Ban,
        GroupAction::Unban,
        GroupAction::UpdateGroup,
        GroupAction::DeleteGroup,
        GroupAction::DeleteMessages,
    ];

    /// Whether the action is done to one member, rather than to the group.
    pub fn has_target(self) -> bool {
        matches!(self, GroupAction::ChangeScope { .. } | GroupAction::Kick | GroupAction::Ban | GroupAction::Unban)
    }
}

/// Why a member may not do something, as CometChat's error codes name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A participant asks for what takes a moderator.
    NoModeratorScope,
    /// Someone below admin asks for what takes an admin.
    NoAdminScope,
    /// Their scope does not reach the member (or the member owns the group).
    NoClearance,
    /// Their scope does not reach that change of scope.
    NoScopeClearance,
    /// Nobody changes their own scope, or kicks or bans themselves: they leave.
    OnSelf,
    /// The member holds that scope already.
    SameScope,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NoModeratorScope => "ERR_GROUP_NO_MODERATOR_SCOPE",
            Refusal::NoAdminScope => "ERR_GROUP_NO_ADMIN_SCOPE",
            Refusal::NoClearance => "ERR_GROUP_NO_CLEARANCE",
            Refusal::NoScopeClearance => "ERR_GROUP_NO_SCOPE_CLEARANCE",
            Refusal::OnSelf => "ERR_GROUP_NO_SELF_ACTION",
            Refusal::SameScope => "ERR_SAME_SCOPE",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Refusal::NoModeratorScope => "That takes a moderator or an admin of the group.",
            Refusal::NoAdminScope => "That takes an admin of the group.",
            Refusal::NoClearance => "This member's scope does not allow that.",
            Refusal::NoScopeClearance => "This member's scope does not allow that change of scope.",
            Refusal::OnSelf => "A member cannot do that to themselves.",
            Refusal::SameScope => "The member holds that scope already.",
        }
    }

    /// Whether the request is refused as not allowed (rather than as not making sense).
    pub fn is_forbidden(self) -> bool {
        self != Refusal::SameScope
    }
}

/// The member an action is done to, as the rules see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// The target's scope, or `None` for a user who is not a member (a
    /// banned user, say): they rank as a participant.
    pub scope: Option<Scope>,
    pub is_self: bool,
    /// The owner keeps their admin seat until they hand the group over.
    pub is_owner: bool,
}

/// The scope table of DESIGN.md: may a member of scope `actor` do `action`
/// (to `target`, for actions on a member)?
///
/// | scope | change scope of | add members | kick / ban | update group | delete group |
/// |---|---|---|---|---|---|
/// | admin | anyone, to any scope | yes | anyone | yes | yes |
/// | moderator | moderators and participants, to moderator or participant | no | participants | yes | no |
/// | participant | — | no | — | no | no |
///
/// Nobody acts on the owner: they keep their admin seat until they hand
/// the group over, which only they (or the app) can do.
pub fn may(actor: Scope, action: GroupAction, target: Option<Target>) -> Result<(), Refusal> {
    use GroupAction::*;
    use Scope::*;
    let beyond_reach = match action {
        ChangeScope { .. } => Refusal::NoScopeClearance,
        _ => Refusal::NoClearance,
    };
    if let Some(target) = target.filter(|_| action.has_target()) {
        if target.is_self {
            return Err(Refusal::OnSelf);
        }
        if target.is_owner {
            return Err(beyond_reach);
        }
    }
    let target_scope = target.and_then(|t| t.scope).unwrap_or(Participant);
    let takes_admin = matches!(action, AddMembers | DeleteGroup);
    let cleared = match (actor, action) {
        (Admin, _) => true,
        (Moderator, _) if takes_admin => return Err(Refusal::NoAdminScope),
        (Moderator, ChangeScope { to }) => target_scope != Admin && to != Admin,
        (Moderator, Kick | Ban | Unban) => target_scope == Participant,
        (Moderator, _) => true,
        (Participant, _) if takes_admin => return Err(Refusal::NoAdminScope),
        (Participant, _) => return Err(Refusal::NoModeratorScope),
    };
    if !cleared {
        return Err(beyond_reach);
    }
    if let (ChangeScope { to }, Some(Target { scope: Some(scope), .. })) = (action, target)
        && scope == to
    {
        return Err(Refusal::SameScope);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(scope: Scope) -> Option<Target> {
        Some(Target { scope: Some(scope), is_self: false, is_owner: false })
    }

    #[test]
    fn a_guid_follows_the_uid_rules_with_its_own_code() {
        assert_eq!(Guid::parse("Team-Chat_1").unwrap().as_str(), "team-chat_1");
        assert_eq!(Guid::parse("team chat").unwrap_err().code, "ERR_INVALID_GUID");
        assert!(Guid::parse(&"g".repeat(101)).is_err());
    }

    #[test]
    fn a_group_password_is_one_to_a_hundred_characters_and_never_printed() {
        assert!(GroupPassword::parse("x").is_ok());
        assert_eq!(GroupPassword::parse("").unwrap_err().code, "ERR_INVALID_GROUP_PASSWORD");
        assert!(GroupPassword::parse(&"p".repeat(101)).is_err());
        assert_eq!(format!("{:?}", GroupPassword::parse("secret").unwrap()), "GroupPassword(***)");
    }

    #[test]
    fn admins_do_anything_to_anyone_but_the_owner_and_themselves() {
        for action in GroupAction::ALL {
            let target = member(Scope::Moderator).filter(|_| action.has_target());
            let allowed = may(Scope::Admin, action, target);
            let expected = if action == (GroupAction::ChangeScope { to: Scope::Moderator }) {
                Err(Refusal::SameScope)
            } else {
                Ok(())
            };
            assert_eq!(allowed, expected, "{action:?}");
        }
        let owner = Some(Target { scope: Some(Scope::Admin), is_self: false, is_owner: true });
        assert_eq!(may(Scope::Admin, GroupAction::Kick, owner), Err(Refusal::NoClearance));
        let me = Some(Target { scope: Some(Scope::Admin), is_self: true, is_owner: false });
        assert_eq!(may(Scope::Admin, GroupAction::ChangeScope { to: Scope::Participant }, me), Err(Refusal::OnSelf));
    }

    #[test]
    fn moderators_reach_moderators_and_participants_but_never_admins() {
        let to = |scope| GroupAction::ChangeScope { to: scope };
        assert_eq!(may(Scope::Moderator, to(Scope::Moderator), member(Scope::Participant)), Ok(()));
        assert_eq!(may(Scope::Moderator, to(Scope::Participant), member(Scope::Moderator)), Ok(()));
        assert_eq!(may(Scope::Moderator, to(Scope::Admin), member(Scope::Participant)), Err(Refusal::NoScopeClearance));
        assert_eq!(may(Scope::Moderator, to(Scope::Participant), member(Scope::Admin)), Err(Refusal::NoScopeClearance));
        assert_eq!(may(Scope::Moderator, GroupAction::Kick, member(Scope::Participant)), Ok(()));
        assert_eq!(may(Scope::Moderator, GroupAction::Kick, member(Scope::Moderator)), Err(Refusal::NoClearance));
        assert_eq!(may(Scope::Moderator, GroupAction::UpdateGroup, None), Ok(()));
        assert_eq!(may(Scope::Moderator, GroupAction::DeleteMessages, None), Ok(()));
        assert_eq!(may(Scope::Moderator, GroupAction::AddMembers, None), Err(Refusal::NoAdminScope));
        assert_eq!(may(Scope::Moderator, GroupAction::DeleteGroup, None), Err(Refusal::NoAdminScope));
    }

    #[test]
    fn participants_do_nothing_to_others() {
        for action in GroupAction::ALL {
            let target = member(Scope::Participant).filter(|_| action.has_target());
            let needs = match action {
                GroupAction::AddMembers | GroupAction::DeleteGroup => Refusal::NoAdminScope,
                _ => Refusal::NoModeratorScope,
            };
            assert_eq!(may(Scope::Participant, action, target), Err(needs), "{action:?}");
        }
    }

    #[test]
    fn giving_a_member_the_scope_they_hold_is_refused_as_such() {
        let same = may(Scope::Admin, GroupAction::ChangeScope { to: Scope::Moderator }, member(Scope::Moderator));
        assert_eq!(same, Err(Refusal::SameScope));
    }
}

/// How long a ban lasts: for good, or for a while, after which the user
/// may join or be added again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BanLength {
    #[default]
    ForGood,
    Seconds(i64),
}

impl BanLength {
    /// The lengths the dashboard offers: form value and label.
    pub const OFFERED: [(&'static str, &'static str); 5] =
        [("", "For good"), ("1h", "1 hour"), ("1d", "1 day"), ("7d", "7 days"), ("30d", "30 days")];

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let hour = 3600;
        Ok(match raw.trim() {
            "" => BanLength::ForGood,
            "1h" => BanLength::Seconds(hour),
            "1d" => BanLength::Seconds(24 * hour),
            "7d" => BanLength::Seconds(7 * 24 * hour),
            "30d" => BanLength::Seconds(30 * 24 * hour),
            _ => {
                return Err(Invalid::new("ERR_INVALID_BAN_LENGTH", "A ban lasts 1h, 1d, 7d, 30d or for good (empty)."));
            }
        })
    }

    /// When a ban of this length made at `at` ends, if it does.
    pub fn until(self, at: i64) -> Option<i64> {
        match self {
            BanLength::ForGood => None,
            BanLength::Seconds(seconds) => Some(at + seconds),
        }
    }
}

/// What a moderator says of a ban: why, and for how long.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BanTerms {
    pub reason: Option<String>,
    pub length: BanLength,
}

#[cfg(test)]
mod ban_tests {
    use super::*;

    #[test]
    fn a_ban_lasts_for_good_or_one_of_the_offered_lengths() {
        assert_eq!(BanLength::parse("").unwrap().until(100), None);
        assert_eq!(BanLength::parse("1d").unwrap().until(100), Some(100 + 86_400));
        for (value, _) in BanLength::OFFERED {
            assert!(BanLength::parse(value).is_ok(), "{value}");
        }
        assert_eq!(BanLength::parse("2y").unwrap_err().code, "ERR_INVALID_BAN_LENGTH");
    }
}
