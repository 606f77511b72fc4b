//! What the realtime gateway keeps in the database: who is connected, to
//! which server process, and so who is online. Rows rather than memory, so
//! that presence is right across every process of one Postgres database.

use std::collections::{HashMap, HashSet};

use rand::Rng;

use super::{
    api_keys, apps,
    apps::App,
    auth_tokens::{self, Device},
    events::{self, Event},
    now, roles,
    users::{self, UserFields},
};
use crate::args;
use crate::domain::{
    AppId, CloseReason, Environment, LiveCounts, PlaygroundLogin, PresenceSubscription, Reach, Uid, parse_user_name,
};
use crate::server::{
    Error, Result,
    access::Caller,
    db::{Arg, Db},
};

/// A server silent this long is gone, and so are its connections.
pub const SERVER_SILENT_AFTER: i64 = 60;

/// Who a connection logged in as, and what the gateway needs to know of them.
#[derive(Debug, Clone)]
pub struct Login {
    pub token_id: i64,
    pub user_id: i64,
    pub uid: Uid,
    /// Whose presence the user is told of: what their role's `listUsers`
    /// allows, narrowed to what the client asked for.
    pub presence: PresenceSubscription,
    /// The GUIDs of the groups the user is a member of.
    pub groups: Vec<String>,
    /// The token an Auth Key login minted for this device, shown once.
    pub minted_token: Option<String>,
}

/// The app a client names, if it exists.
pub async fn app(db: &Db, app_id: &str) -> Result<App> {
    let app_id = AppId::parse(app_id).map_err(|_| Error::InvalidAppId)?;
    apps::find(db, &app_id).await?.ok_or(Error::InvalidAppId)
}

/// Logs a device in with its auth token.
pub async fn log_in(db: &Db, app: &App, token: &str) -> Result<Login> {
    let auth_tokens::Holder { token_id, user_id, uid } = auth_tokens::authenticate(db, app, token).await?;
    let presence = match roles::settings_of(db, app, &uid).await?.list_users {
        Reach::All => PresenceSubscription::All,
        Reach::FriendsOnly => PresenceSubscription::Friends,
    };
    let sql = "SELECT g.guid FROM group_members m JOIN groups g ON g.id = m.group_id WHERE m.user_id = $1";
    let groups: Vec<String> = db.scalars(sql, args![user_id]).await?;
    Ok(Login { token_id, user_id, uid, presence, groups, minted_token: None })
}

/// Logs a device in with an Auth Key and a UID, minting a token for it:
/// for trying an app out, so development apps allow it until told not to,
/// and production apps refuse it until told otherwise.
pub async fn log_in_with_key(db: &Db, app: &App, key: &str, uid: &Uid, device: Device) -> Result<Login> {
    if !app.view.auth_key_login {
        return Err(Error::invalid(
            "ERR_AUTH_KEY_LOGIN_DISABLED",
            "This app logs clients in with auth tokens only: issue one over the REST API.",
        ));
    }
    let (_, actor) = api_keys::authenticate(db, &app.view.app_id, key).await?;
    let minted = auth_tokens::issue(db, &Caller { actor, ip: None }, app, uid, device).await?;
    let login = log_in(db, app, &minted.auth_token).await?;
    Ok(Login { minted_token: Some(minted.auth_token), ..login })
}

/// An operator tries a development app as one of its users: `uid`, made
/// first with the name `name` when given and the user does not exist yet.
/// Answers a token for the browser tab, as a client app would hold one.
pub async fn playground_log_in(
    db: &Db,
    caller: &Caller,
    app: &App,
    uid: Uid,
    name: Option<String>,
) -> Result<PlaygroundLogin> {
    if app.view.environment == Environment::Production {
        return Err(Error::invalid(
            "ERR_PLAYGROUND_DEVELOPMENT_ONLY",
            "The Playground is for development apps: production users are real people.",
        ));
    }
    if let Some(name) = name {
        let fields = UserFields { name: Some(parse_user_name(&name)?), ..UserFields::default() };
        match users::create(db, caller, app, uid.clone(), fields, None).await {
            Ok(_) => {}
            Err(error) if error.code() == "ERR_UID_ALREADY_EXISTS" => {}
            Err(error) => return Err(error),
        }
    }
    let device = Device { platform: Some("playground".into()), user_agent: None };
    let issued = auth_tokens::issue(db, caller, app, &uid, device).await?;
    Ok(PlaygroundLogin { uid: uid.to_string(), auth_token: issued.auth_token })
}

/// Of the connections logged in with `tokens`, those that may no longer
/// stay open, each with why: its token revoked (or its user deleted with
/// it), its user deactivated, or its app deleted.
pub async fn closed_since_login(db: &Db, tokens: &[i64]) -> Result<HashMap<i64, CloseReason>> {
    let mut closed: HashMap<i64, CloseReason> = tokens.iter().map(|&t| (t, CloseReason::TokenRevoked)).collect();
    let sql = "SELECT t.id, u.deactivated_at IS NOT NULL, a.deleted_at IS NOT NULL FROM auth_tokens t \
               JOIN users u ON u.id = t.user_id JOIN apps a ON a.id = t.app WHERE t.id IN ({})";
    let list: Vec<Arg> = tokens.iter().map(|t| Arg::from(*t)).collect();
    let rows: Vec<(i64, bool, bool)> = db.all_in(sql, &[], &list).await?;
    for (token, user_gone, app_gone) in rows {
        match (user_gone, app_gone) {
            (_, true) => closed.insert(token, CloseReason::AppGone),
            (true, false) => closed.insert(token, CloseReason::UserGone),
            (false, false) => closed.remove(&token),
        };
    }
    Ok(closed)
}

/// The GUIDs of the groups each of `users` is a member of (those in none
/// are left out).
pub async fn groups_of(db: &Db, users: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
    let mut groups: HashMap<i64, Vec<String>> = HashMap::new();
    let sql =
        "SELECT m.user_id, g.guid FROM group_members m JOIN groups g ON g.id = m.group_id WHERE m.user_id IN ({})";
    let list: Vec<Arg> = users.iter().map(|u| Arg::from(*u)).collect();
    let rows: Vec<(i64, String)> = db.all_in(sql, &[], &list).await?;
    for (user, guid) in rows {
        groups.entry(user).or_default().push(guid);
    }
    Ok(groups)
}

/// Registers a server process; answers its id.
pub async fn register_server(db: &Db) -> Result<String> {
    let id = hex::encode(rand::rng().random::<[u8; 8]>());
    let mut tx = db.begin_write().await?;
    tx.execute("INSERT INTO gateway_servers (id, seen_at) VALUES ($1, $2)", args![&id, now()]).await?;
    tx.commit().await?;
    Ok(id)
}

/// Says that server `server` is alive. One found gone (swept while it was
/// stalled) registers again; its connections were counted gone with it.
pub async fn heartbeat(db: &Db, server: &str) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let sql = "INSERT INTO gateway_servers (id, seen_at) VALUES ($1, $2) \
               ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at";
    tx.execute(sql, args![server, now()]).await?;
    tx.commit().await?;
    Ok(())
}

/// Which server processes' connections to end.
#[derive(Debug, Clone, Copy)]
pub enum Servers<'a> {
    /// Those silent since this time: crashed or cut off.
    SilentSince(i64),
    /// This one, stopping.
    Named(&'a str),
}

/// Ends the connections of `servers` and forgets them: their users go
/// offline unless connected elsewhere.
pub async fn end_servers(db: &Db, servers: Servers<'_>) -> Result<()> {
    let at = now();
    let (which, arg) = match servers {
        Servers::SilentSince(before) => ("seen_at < $1", Arg::from(before)),
        Servers::Named(id) => ("id = $1", Arg::from(id)),
    };
    let ending = format!("SELECT id FROM gateway_servers WHERE {which}");
    // One statement for every user of those connections, before the rows go:
    // active until now, and offline unless connected to another server.
    // Users first, then their connections: the order `connected` and
    // `disconnected` take their locks in. The other order deadlocked with a
    // connection closing at the same moment.
    let users = format!(
        "UPDATE users SET last_active_at = $2, status = CASE WHEN EXISTS \
         (SELECT 1 FROM connections o WHERE o.user_id = users.id AND o.server NOT IN ({ending})) \
         THEN status ELSE 'offline' END \
         WHERE id IN (SELECT c.user_id FROM connections c WHERE c.server IN ({ending})) RETURNING app, uid, status"
    );
    let connections = format!("DELETE FROM connections WHERE server IN ({ending})");
    let servers = format!("DELETE FROM gateway_servers WHERE {which}");
    let mut tx = db.begin_write().await?;
    let users: Vec<(i64, String, String)> = tx.all(&users, &[arg.clone(), at.into()]).await?;
    tx.execute(&connections, std::slice::from_ref(&arg)).await?;
    tx.execute(&servers, &[arg]).await?;
    let offline: Vec<Event> = users
        .into_iter()
        .filter(|(.., status)| status == "offline")
        .map(|(app, uid, _)| Event::Presence { app, uid, online: false, at })
        .collect();
    events::announce(&mut tx, &offline).await?;
    tx.commit().await?;
    Ok(())
}

/// Notes a new connection of the logged-in user on server `server`; the
/// user comes online with their first. Answers the connection's id.
pub async fn connected(db: &Db, server: &str, app: &App, login: &Login) -> Result<i64> {
    let at = now();
    let mut tx = db.begin_write().await?;
    // Updating the user first locks their row: two servers connecting
    // the same user at once take turns, and exactly one sees the first.
    tx.execute("UPDATE users SET last_active_at = $1 WHERE id = $2", args![at, login.user_id]).await?;
    let id: i64 = tx
        .scalar(
            "INSERT INTO connections (app, user_id, server, token_id, connected_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            args![app.id, login.user_id, server, login.token_id, at],
        )
        .await?;
    let came_online = tx
        .execute("UPDATE users SET status = 'available' WHERE id = $1 AND status <> 'available'", args![login.user_id])
        .await?;
    if came_online == 1 {
        events::announce(&mut tx, &[Event::Presence { app: app.id, uid: login.uid.to_string(), online: true, at }])
            .await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// Notes that connection `id` of user `uid` closed; the user goes offline
/// with their last.
pub async fn disconnected(db: &Db, app: i64, id: i64, user_id: i64, uid: &Uid) -> Result<()> {
    let at = now();
    let mut tx = db.begin_write().await?;
    tx.execute("UPDATE users SET last_active_at = $1 WHERE id = $2", args![at, user_id]).await?;
    tx.execute("DELETE FROM connections WHERE id = $1", args![id]).await?;
    let went = tx
        .execute(
            "UPDATE users SET status = 'offline' WHERE id = $1 AND status = 'available' \
             AND NOT EXISTS (SELECT 1 FROM connections c WHERE c.user_id = $1)",
            args![user_id],
        )
        .await?;
    if went == 1 {
        events::announce(&mut tx, &[Event::Presence { app, uid: uid.to_string(), online: false, at }]).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The UIDs of user `uid`'s friends, for viewers who see friends only.
pub async fn friends_of(db: &Db, app: i64, uid: &str) -> Result<HashSet<String>> {
    let sql = "SELECT f2.uid FROM users u JOIN friends f ON f.user_id = u.id JOIN users f2 ON f2.id = f.friend_id \
               WHERE u.app = $1 AND u.uid = $2";
    let friends: Vec<String> = db.scalars(sql, args![app, uid]).await?;
    Ok(friends.into_iter().collect())
}

/// Connections open to the app on every server, and the users behind them.
pub async fn live_counts(db: &Db, caller: &Caller, app: &App) -> Result<LiveCounts> {
    caller.require_app(app.id)?;
    caller.require(crate::server::access::Permission::Read)?;
    let sql = "SELECT COUNT(*), COUNT(DISTINCT user_id) FROM connections WHERE app = $1";
    let (connections, online_users): (i64, i64) = db.one(sql, args![app.id]).await?;
    Ok(LiveCounts { connections, online_users })
}
