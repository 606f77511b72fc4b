//! Demo data at scale: realistic users, roles, tags and auth tokens, written
//! in batched multi-row inserts, one transaction per batch.

use serde_json::json;

use super::{
    apps::App,
    audit::{Change, record},
    auth_tokens::{Device, NewToken, insert_tokens},
    daily::{Figure, add_daily, day_of},
    groups::count_groups,
    message_writes::{NewMessage, write_messages},
    now, roles, stored,
    users::{NewUser, adjust_counts, insert_users},
};
use crate::args;
use crate::domain::{Content, GroupType, Guid, Receiver, RoleId, Scope, Uid};
use crate::server::{
    Result,
    access::{Caller, Permission, password::PasswordChecks},
    db::{Arg, Db},
};

const FIRST: &[&str] = &[
    "Ana", "Ben", "Chloe", "Dev", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Luca", "Maya", "Noor",
    "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wen", "Xavi", "Yara", "Zoe",
];
const LAST: &[&str] = &[
    "Smith", "Garcia", "Kim", "Okafor", "Novak", "Rossi", "Sato", "Muller", "Singh", "Haddad", "Silva", "Larsen",
    "Nguyen", "Ivanova", "Cohen", "Mensah", "Costa", "Weber", "Ali", "Dubois",
];
const TAGS: &[&str] =
    &["beta", "vip", "ios", "android", "web", "trial", "churn-risk", "support", "creator", "moderator-candidate"];
const ROLES: &[(&str, &str)] = &[("premium", "Premium"), ("moderator", "Moderator")];

/// Users per transaction. A bulk load into SQLite costs what it writes
/// back: each commit writes every index page its inserts touched, and
/// random keys touch a page per insert unless the batch is large enough
/// for many to share one.
const BATCH: u64 = 50_000;

pub struct SeedReport {
    pub users: u64,
    pub tags: u64,
    pub tokens: u64,
}

/// A small deterministic generator, so seeded data is the same on every run.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

/// A user to seed, and whether they get an auth token.
struct SeedUser {
    user: NewUser,
    token: bool,
}

/// Adds `count` users to the app (a third with an auth token, most with
/// tags), calling `progress` with the number written so far.
pub async fn users(db: &Db, caller: &Caller, app: &App, count: u64, progress: impl Fn(u64)) -> Result<SeedReport> {
    caller.require_app(app.id)?;
    caller.require(Permission::ManageUsers)?;
    let at = now();
    let mut tx = db.begin_write().await?;
    for (role, name) in ROLES {
        let sql = "INSERT INTO roles (app, role, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
                   ON CONFLICT DO NOTHING";
        tx.execute(sql, args![app.id, *role, *name, at]).await?;
    }
    roles::roles_changed(&mut tx, app.id).await?;
    let start: i64 = tx.scalar("SELECT COUNT(*) FROM users WHERE app = $1", args![app.id]).await?;
    tx.commit().await?;
    let mut mix = Mix(app.id as u64 ^ start as u64);
    let mut report = SeedReport { users: 0, tags: 0, tokens: 0 };
    let mut done = 0;
    while done < count {
        let size = BATCH.min(count - done);
        let batch: Vec<SeedUser> = (0..size)
            .map(|i| {
                let n = start as u64 + done + i;
                let (first, last) = (mix.pick(FIRST), mix.pick(LAST));
                let created_at = at - (mix.next() % (365 * 86_400)) as i64;
                let role = match mix.next() % 10 {
                    0 => "premium",
                    1 if n.is_multiple_of(50) => "moderator",
                    _ => "default",
                };
                let tags = (0..mix.next() % 4).map(|_| mix.pick(TAGS)).collect::<std::collections::BTreeSet<_>>();
                let user = NewUser {
                    app: app.id,
                    uid: stored(Uid::parse(&format!("{}_{}_{n}", first.to_lowercase(), last.to_lowercase())))?,
                    name: format!("{first} {last}"),
                    avatar: None,
                    link: None,
                    role: stored(RoleId::parse(role))?,
                    metadata: None,
                    status_message: None,
                    tags: tags.into_iter().map(str::to_owned).collect(),
                    created_at,
                    last_active_at: (!mix.next().is_multiple_of(3)).then(|| created_at + (mix.next() % 86_400) as i64),
                };
                Ok(SeedUser { user, token: n.is_multiple_of(3) })
            })
            .collect::<Result<_>>()?;
        let (tags, tokens) = write_batch(db, app, &batch).await?;
        report.users += size;
        report.tags += tags;
        report.tokens += tokens;
        done += size;
        progress(done);
    }
    finish(
        db,
        caller,
        "users, user_tags, auth_tokens",
        Change {
            app: Some(app.id),
            action: "seed.users",
            object: format!("users:{}", report.users),
            details: json!({"users": report.users, "tags": report.tags, "tokens": report.tokens}),
        },
    )
    .await?;
    Ok(report)
}

/// Ends a bulk load of `tables` (on Postgres; SQLite takes the whole
/// file) and records it in the audit log.
async fn finish(db: &Db, caller: &Caller, tables: &str, change: Change) -> Result<()> {
    db.after_bulk_load(tables).await?;
    let mut tx = db.begin_write().await?;
    record(&mut tx, caller, change).await?;
    tx.commit().await?;
    Ok(())
}

/// Writes one batch of users with their tags and tokens, in one
/// transaction; answers how many tags and tokens it wrote.
async fn write_batch(db: &Db, app: &App, batch: &[SeedUser]) -> Result<(u64, u64)> {
    let mut tx = db.begin_write().await?;
    tx.bulk_cache(true).await?;
    let rows = insert_users(&mut tx, batch.iter().map(|seeded| &seeded.user)).await?;
    let new_tokens: Vec<NewToken> = batch
        .iter()
        .zip(&rows)
        .filter(|(seeded, _)| seeded.token)
        .map(|(seeded, row)| NewToken {
            created_at: seeded.user.created_at,
            ..NewToken::new(app.id, row.id, Device { platform: Some("web".into()), user_agent: None })
        })
        .collect();
    insert_tokens(&mut tx, &new_tokens).await?;
    adjust_counts(&mut tx, app.id, batch.len() as i64, 0).await?;
    let mut per_day: std::collections::BTreeMap<(i64, i64), i64> = std::collections::BTreeMap::new();
    for seeded in batch {
        *per_day.entry((app.id, day_of(seeded.user.created_at))).or_default() += 1;
    }
    add_daily(&mut tx, Figure::Users, &per_day.into_iter().collect::<Vec<_>>()).await?;
    // Back to the size every connection has: the clean pages go now, the
    // dirty ones once the commit has written them.
    tx.bulk_cache(false).await?;
    tx.commit().await?;
    let tokens = new_tokens.len() as u64;
    let tags = batch.iter().map(|seeded| seeded.user.tags.len() as u64).sum();
    Ok((tags, tokens))
}

const TOPICS: &[&str] = &[
    "Book",
    "Chess",
    "Cooking",
    "Cycling",
    "Design",
    "Film",
    "Gardening",
    "Hiking",
    "Jazz",
    "Photo",
    "Running",
    "Science",
    "Travel",
    "Yoga",
];
const KINDS: &[&str] = &["club", "corner", "circle", "crew", "lounge", "room", "squad", "talk"];

/// Members of each seeded group besides the crowd's.
const MEMBERS_PER_GROUP: usize = 5;

/// Groups per transaction.
const GROUP_BATCH: u64 = 10_000;

/// The GUID of the seeded group that holds the crowd.
pub const CROWD_GUID: &str = "town-square";

pub struct GroupSeedReport {
    pub groups: u64,
    pub memberships: u64,
}

/// A group to seed and its members, as `(user id, uid, scope)`; the first
/// member owns it.
struct SeedGroup {
    guid: String,
    name: String,
    group_type: GroupType,
    created_at: i64,
    members: Vec<(i64, String, Scope)>,
}

/// Adds `count` groups to an app that has users: a tenth private, a tenth
/// password groups, each with five members, and one more public group,
/// `town-square`, that the first `crowd` users are in (one in a hundred a
/// moderator). Calls `progress` with the number of groups written so far.
pub async fn groups(
    db: &Db,
    caller: &Caller,
    app: &App,
    count: u64,
    crowd: u64,
    progress: impl Fn(u64),
) -> Result<GroupSeedReport> {
    caller.require_app(app.id)?;
    caller.require(Permission::ManageGroups)?;
    let users: Vec<(i64, String)> =
        db.all("SELECT id, uid FROM users WHERE app = $1 ORDER BY id", args![app.id]).await?;
    if users.is_empty() {
        return Err(crate::server::Error::invalid("ERR_NO_USERS", "Seed users first: groups are made of them."));
    }
    let at = now();
    // Every seeded password group opens with the same password; one hash serves them all.
    let password_hash = PasswordChecks::new(1).hash("letmein").await?;
    let mut mix = Mix(app.id as u64 ^ 0x6752_6f75_7073);
    let mut report = GroupSeedReport { groups: 0, memberships: 0 };
    let mut done = 0;
    while done < count {
        let size = GROUP_BATCH.min(count - done);
        let batch: Vec<SeedGroup> = (done..done + size).map(|n| seeded_group(&mut mix, &users, n, at)).collect();
        report.memberships += write_groups(db, app, &batch, &password_hash).await?;
        report.groups += size;
        done += size;
        progress(done);
    }
    let square = town_square(&users, crowd, at);
    report.memberships += write_groups(db, app, std::slice::from_ref(&square), &password_hash).await?;
    report.groups += 1;
    finish(
        db,
        caller,
        "groups, group_members",
        Change {
            app: Some(app.id),
            action: "seed.groups",
            object: format!("groups:{}", report.groups),
            details: json!({"groups": report.groups, "memberships": report.memberships}),
        },
    )
    .await?;
    Ok(report)
}

/// Group `n` of a seeded app: a few members picked at random, the first
/// its admin and the second a moderator; one in ten private, one password.
fn seeded_group(mix: &mut Mix, users: &[(i64, String)], n: u64, at: i64) -> SeedGroup {
    let mut picked = std::collections::BTreeSet::new();
    while picked.len() < MEMBERS_PER_GROUP.min(users.len()) {
        picked.insert((mix.next() % users.len() as u64) as usize);
    }
    let members = picked
        .into_iter()
        .enumerate()
        .map(|(k, i)| {
            let scope = match k {
                0 => Scope::Admin,
                1 => Scope::Moderator,
                _ => Scope::Participant,
            };
            (users[i].0, users[i].1.clone(), scope)
        })
        .collect();
    SeedGroup {
        guid: format!("g{n:07}"),
        name: format!("{} {} {n}", mix.pick(TOPICS), mix.pick(KINDS)),
        group_type: match n % 10 {
            0 => GroupType::Private,
            1 => GroupType::Password,
            _ => GroupType::Public,
        },
        created_at: at - (mix.next() % (365 * 86_400)) as i64,
        members,
    }
}

/// The crowd's group: the first `crowd` users, one in a hundred a moderator.
fn town_square(users: &[(i64, String)], crowd: u64, at: i64) -> SeedGroup {
    let members = users
        .iter()
        .take(crowd as usize)
        .enumerate()
        .map(|(k, (id, uid))| {
            let scope = match k {
                0 => Scope::Admin,
                k if k % 100 == 1 => Scope::Moderator,
                _ => Scope::Participant,
            };
            (*id, uid.clone(), scope)
        })
        .collect();
    SeedGroup {
        guid: CROWD_GUID.to_owned(),
        name: "Town square".into(),
        group_type: GroupType::Public,
        created_at: at,
        members,
    }
}

/// Writes groups with their members in one transaction, in multi-row
/// statements; answers how many memberships it wrote.
async fn write_groups(db: &Db, app: &App, batch: &[SeedGroup], password_hash: &str) -> Result<u64> {
    let mut tx = db.begin_write().await?;
    let rows: Vec<Arg> = batch
        .iter()
        .flat_map(|group| {
            [
                app.id.into(),
                group.guid.as_str().into(),
                group.name.as_str().into(),
                group.name.to_lowercase().into(),
                group.group_type.as_str().into(),
                (group.group_type == GroupType::Password).then_some(password_hash).into(),
                group.members.first().map(|(id, ..)| *id).into(),
                group.members.len().into(),
                group.created_at.into(),
                group.created_at.into(),
            ]
        })
        .collect();
    let sql = "INSERT INTO groups (app, guid, name, name_lower, type, password_hash, owner_id, members_count, \
               created_at, updated_at) VALUES {} RETURNING guid, id";
    let ids: std::collections::HashMap<String, i64> =
        tx.all_rows::<(String, i64)>(sql, 10, &rows).await?.into_iter().collect();
    let members: Vec<Arg> = batch
        .iter()
        .flat_map(|group| {
            let id = ids[&group.guid];
            group.members.iter().flat_map(move |(user_id, uid, scope)| -> [Arg; 6] {
                [
                    id.into(),
                    (*user_id).into(),
                    group.guid.as_str().into(),
                    uid.as_str().into(),
                    scope.as_str().into(),
                    group.created_at.into(),
                ]
            })
        })
        .collect();
    let sql = "INSERT INTO group_members (group_id, user_id, guid, uid, scope, joined_at) VALUES {}";
    tx.execute_rows(sql, 6, &members).await?;
    count_groups(&mut tx, app.id, batch.len() as i64).await?;
    tx.commit().await?;
    Ok((members.len() / 6) as u64)
}

/// Messages per transaction.
const MESSAGE_BATCH: u64 = 20_000;

/// Days the seeded messages spread over, ending now.
const MESSAGE_DAYS: i64 = 30;

pub struct MessageSeedReport {
    pub messages: u64,
}

const SAYINGS: &[&str] = &[
    "hey, are you around?",
    "see you at 7",
    "did you get the file?",
    "haha yes",
    "thanks so much!",
    "on my way",
    "can we move it to tomorrow?",
    "love this",
    "who's in for Friday?",
    "sending it now",
];

/// Adds `count` messages to an app with users (and groups), sent over the
/// last 30 days in send order: most between pairs of users who talk again
/// and again, a third in groups by their members, some to the crowd's
/// group; mostly text, with images, custom messages and calls among them.
pub async fn messages(
    db: &Db,
    caller: &Caller,
    app: &App,
    count: u64,
    progress: impl Fn(u64),
) -> Result<MessageSeedReport> {
    caller.require_app(app.id)?;
    caller.require(Permission::SendMessages)?;
    let users: Vec<(i64, String)> =
        db.all("SELECT id, uid FROM users WHERE app = $1 ORDER BY id", args![app.id]).await?;
    let sql = "SELECT m.group_id, m.guid, m.user_id, m.uid FROM group_members m JOIN groups g ON g.id = m.group_id \
               WHERE g.app = $1 ORDER BY m.group_id, m.user_id";
    let members: Vec<(i64, String, i64, String)> = db.all(sql, args![app.id]).await?;
    if users.len() < 2 {
        return Err(crate::server::Error::invalid("ERR_NO_USERS", "Seed users first: messages are sent between them."));
    }
    let (crowd, seats): (Vec<_>, Vec<_>) = members.iter().partition(|m| m.1 == CROWD_GUID);
    let end = now();
    let talk = Talk {
        app: app.id,
        users: &users,
        crowd: &crowd,
        seats: &seats,
        // Most users who write have a few people they talk to; a tenth of
        // the users do most of the talking.
        talkers: (users.len() / 10).max(2),
        start: end - MESSAGE_DAYS * 86_400,
        count,
    };
    let mut mix = Mix(app.id as u64 ^ 0x6d65_7373_6167_6573);
    let mut done = 0;
    while done < count {
        let size = MESSAGE_BATCH.min(count - done);
        let batch: Vec<NewMessage> = (done..done + size).map(|n| talk.message(&mut mix, n)).collect::<Result<_>>()?;
        let mut tx = db.begin_write().await?;
        tx.bulk_cache(true).await?;
        write_messages(&mut tx, &batch).await?;
        tx.bulk_cache(false).await?;
        tx.commit().await?;
        done += size;
        progress(done);
    }
    finish(
        db,
        caller,
        "messages, message_tags, user_conversations",
        Change {
            app: Some(app.id),
            action: "seed.messages",
            object: format!("messages:{count}"),
            details: json!({"messages": count}),
        },
    )
    .await?;
    Ok(MessageSeedReport { messages: count })
}

/// Who talks to whom in a seeded app, and over which days.
struct Talk<'a> {
    app: i64,
    users: &'a [(i64, String)],
    /// The crowd's seats, and every other group's: `(group, guid, user, uid)`.
    crowd: &'a [&'a (i64, String, i64, String)],
    seats: &'a [&'a (i64, String, i64, String)],
    talkers: usize,
    start: i64,
    count: u64,
}

impl Talk<'_> {
    /// Message `n`: a twentieth to the crowd, a third in other groups, the
    /// rest between pairs of users; mostly text, with images, custom
    /// messages and calls among them.
    fn message(&self, mix: &mut Mix, n: u64) -> Result<NewMessage> {
        let uid = |raw: &str| stored(Uid::parse(raw));
        let in_group = |seat: &(i64, String, i64, String)| -> Result<_> {
            Ok(((uid(&seat.3)?, seat.2), Receiver::Group(stored(Guid::parse(&seat.1))?), seat.0))
        };
        let sent_at = self.start + (n as i64 * MESSAGE_DAYS * 86_400) / self.count as i64;
        let ((sender, sender_id), receiver, receiver_id) = match mix.next() % 100 {
            0..=4 if !self.crowd.is_empty() => in_group(self.crowd[(mix.next() % self.crowd.len() as u64) as usize])?,
            5..=34 if !self.seats.is_empty() => in_group(self.seats[(mix.next() % self.seats.len() as u64) as usize])?,
            _ => {
                let users = self.users;
                let a = (mix.next() % self.talkers as u64) as usize;
                let b = (a + 1 + (mix.next() % 3) as usize) % users.len();
                let (from, to) = if mix.next().is_multiple_of(2) { (a, b) } else { (b, a) };
                ((uid(&users[from].1)?, users[from].0), Receiver::User(uid(&users[to].1)?), users[to].0)
            }
        };
        let content = match mix.next() % 100 {
            0..=3 => {
                let file = json!({"url": format!("https://cdn.example.com/p/{n}.jpg"), "name": format!("{n}.jpg"), "mimeType": "image/jpeg", "size": 20_000 + n % 90_000});
                Content::parse("message", "image", json!({"attachments": [file]}))
            }
            4..=6 => Content::parse("custom", "location", json!({"customData": {"lat": 52.5, "lng": 13.4}})),
            7..=9 => {
                Content::parse("call", if n.is_multiple_of(2) { "audio" } else { "video" }, json!({"status": "ended"}))
            }
            _ => Content::parse("message", "text", json!({"text": mix.pick(SAYINGS)})),
        };
        Ok(NewMessage {
            app: self.app,
            conversation: receiver.conversation_with(&sender),
            sender: Some((sender, sender_id)),
            receiver,
            receiver_id,
            content: stored(content)?,
            metadata: None,
            tags: if n.is_multiple_of(20) { vec!["important".to_owned()] } else { Vec::new() },
            parent_id: None,
            muid: None,
            sent_at,
        })
    }
}
