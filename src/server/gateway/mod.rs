//! The realtime gateway: the clients connected to this process, and the
//! events of every process (see `service::events`) pushed to the ones they
//! concern.
//!
//! One task reads the events in the order they were committed and hands
//! each connection its frames through a bounded queue, so events reach a
//! client in order. A client too slow to drain its queue is closed rather
//! than allowed to hold the others up.

mod socket;

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, PoisonError, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use serde_json::Value;
use tokio::sync::{mpsc, watch};

pub use socket::connect;

use crate::domain::{
    CloseReason, MemberEvent, MessageEvent, Presence, PresenceSubscription, ReceiptKind, ReceiverType, ServerFrame,
};
use crate::server::{
    Result,
    db::Db,
    service::{
        events::{self, Event, Heard, Listener},
        gateway::{self, Login, SERVER_SILENT_AFTER, Servers},
        messages, now,
    },
};

/// Frames a connection may have waiting before it counts as too slow.
const OUTBOX_FRAMES: usize = 256;

/// How long a stopping server waits for its connections to close.
const STOP_WITHIN: Duration = Duration::from_secs(5);

/// How often this process tells the database it is alive.
const HEARTBEAT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    /// This process, as the database's connection rows name it.
    server: String,
    ping_timeout: Duration,
    apps: RwLock<HashMap<i64, AppConnections>>,
    next_id: AtomicU64,
}

/// The connections to one app, and the groups their users are in.
#[derive(Default)]
struct AppConnections {
    users: HashMap<String, Vec<Connection>>,
    /// Each group's members that are connected here, by GUID.
    groups: HashMap<String, HashSet<String>>,
    /// Each connected user's groups, by UID.
    memberships: HashMap<String, HashSet<String>>,
}

struct Connection {
    id: u64,
    token_id: i64,
    user_id: i64,
    presence: PresenceSubscription,
    outbox: mpsc::Sender<Arc<str>>,
    close: watch::Sender<Option<CloseReason>>,
}

impl Connection {
    fn push(&self, frame: &Arc<str>) {
        if self.outbox.try_send(frame.clone()).is_err() {
            self.close.send_replace(Some(CloseReason::TooSlow));
        }
    }
}

/// What a registered connection reads from: its frames, and the reason
/// the gateway closes it, if it does.
struct Registered {
    id: u64,
    outbox: mpsc::Receiver<Arc<str>>,
    close: watch::Receiver<Option<CloseReason>>,
}

/// A frame as sent: JSON text.
fn frame(frame: &ServerFrame) -> Result<Arc<str>> {
    serde_json::to_string(frame).map(Arc::from).map_err(|e| crate::server::Error::Internal(format!("a frame: {e}")))
}

impl Gateway {
    /// Starts this process's gateway on `db`: it registers the process,
    /// listens for events, keeps its heartbeat and sweeps dead servers.
    pub async fn start(db: Db, ping_timeout: Duration) -> Result<Self> {
        // A database of this process's alone holds no other live server:
        // any connection rows are a previous run's, whatever their age.
        let silent_since = if db.is_shared() { now() - SERVER_SILENT_AFTER } else { i64::MAX };
        gateway::end_servers(&db, Servers::SilentSince(silent_since)).await?;
        let server = gateway::register_server(&db).await?;
        let listener = Listener::start(&db).await?;
        let handled = Handled::from(events::last_logged(&db).await?);
        let inner = Arc::new(Inner { db, server, ping_timeout, apps: RwLock::default(), next_id: AtomicU64::new(1) });
        tokio::spawn(dispatch(Arc::downgrade(&inner), listener, handled));
        tokio::spawn(keep_alive(Arc::downgrade(&inner)));
        Ok(Gateway { inner })
    }

    /// Closes every connection of this process (1001, going away) and
    /// notes them gone, so that their users are not left online.
    pub async fn stop(&self) {
        self.inner.close_all(CloseReason::ServerStopping);
        let until = tokio::time::Instant::now() + STOP_WITHIN;
        while !self.inner.apps.read().unwrap_or_else(PoisonError::into_inner).is_empty()
            && tokio::time::Instant::now() < until
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if let Err(error) = gateway::end_servers(&self.inner.db, Servers::Named(&self.inner.server)).await {
            tracing::warn!(%error, "could not note this server's connections gone");
        }
    }
}

impl Inner {
    fn register(&self, app: i64, login: &Login) -> Registered {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (outbox, outbox_rx) = mpsc::channel(OUTBOX_FRAMES);
        let (close, close_rx) = watch::channel(None);
        let connection = Connection {
            id,
            token_id: login.token_id,
            user_id: login.user_id,
            presence: login.presence,
            outbox,
            close,
        };
        let mut apps = self.apps.write().unwrap_or_else(PoisonError::into_inner);
        let conns = apps.entry(app).or_default();
        let uid = login.uid.to_string();
        conns.users.entry(uid.clone()).or_default().push(connection);
        for guid in &login.groups {
            conns.join(guid, &uid);
        }
        Registered { id, outbox: outbox_rx, close: close_rx }
    }

    fn unregister(&self, app: i64, uid: &str, id: u64) {
        let mut apps = self.apps.write().unwrap_or_else(PoisonError::into_inner);
        let Some(conns) = apps.get_mut(&app) else { return };
        if let Some(list) = conns.users.get_mut(uid) {
            list.retain(|c| c.id != id);
            if list.is_empty() {
                conns.users.remove(uid);
                for guid in conns.memberships.remove(uid).unwrap_or_default() {
                    conns.leave(&guid, uid);
                }
            }
        }
        if conns.users.is_empty() {
            apps.remove(&app);
        }
    }

    /// Whether user `uid` is a member of group `guid`, as this process follows it.
    fn is_member(&self, app: i64, uid: &str, guid: &str) -> bool {
        let apps = self.apps.read().unwrap_or_else(PoisonError::into_inner);
        apps.get(&app).and_then(|a| a.memberships.get(uid)).is_some_and(|groups| groups.contains(guid))
    }

    /// Pushes `frame` to every connection of the users `to`.
    fn push_to<'a>(&self, app: i64, to: impl IntoIterator<Item = &'a str>, frame: &Arc<str>) {
        let apps = self.apps.read().unwrap_or_else(PoisonError::into_inner);
        let Some(conns) = apps.get(&app) else { return };
        for uid in to {
            for connection in conns.users.get(uid).into_iter().flatten() {
                connection.push(frame);
            }
        }
    }

    fn close_all(&self, reason: CloseReason) {
        let apps = self.apps.read().unwrap_or_else(PoisonError::into_inner);
        for connection in apps.values().flat_map(|a| a.users.values()).flatten() {
            connection.close.send_replace(Some(reason));
        }
    }

    fn close_where(&self, app: i64, uid: Option<&str>, token: Option<i64>, reason: CloseReason) {
        let apps = self.apps.read().unwrap_or_else(PoisonError::into_inner);
        let Some(conns) = apps.get(&app) else { return };
        let users = conns.users.iter().filter(|(u, _)| uid.is_none_or(|uid| uid == u.as_str()));
        for connection in users.flat_map(|(_, list)| list) {
            if token.is_none_or(|token| token == connection.token_id) {
                connection.close.send_replace(Some(reason));
            }
        }
    }

    /// After events may have been lost: closes the connections that a lost
    /// event would have closed, and reads afresh which groups each connected
    /// user is in, which lost joins, kicks and bans would have changed.
    async fn recheck(&self) -> Result<()> {
        let (tokens, users) = {
            let apps = self.apps.read().unwrap_or_else(PoisonError::into_inner);
            let connections = || apps.values().flat_map(|a| a.users.values()).flatten();
            let tokens: Vec<i64> = connections().map(|c| c.token_id).collect::<HashSet<_>>().into_iter().collect();
            let users: HashSet<i64> = connections().map(|c| c.user_id).collect();
            (tokens, users)
        };
        if tokens.is_empty() {
            return Ok(());
        }
        let closed = gateway::closed_since_login(&self.db, &tokens).await?;
        let mut groups = gateway::groups_of(&self.db, &users.iter().copied().collect::<Vec<_>>()).await?;
        let mut apps = self.apps.write().unwrap_or_else(PoisonError::into_inner);
        for conns in apps.values_mut() {
            for connection in conns.users.values().flatten() {
                if let Some(reason) = closed.get(&connection.token_id) {
                    connection.close.send_replace(Some(*reason));
                }
            }
            conns.follow_groups(&users, &mut groups);
        }
        Ok(())
    }

    /// The users connected here whom a message, or typing, in this
    /// conversation reaches: mostly none, and then the message is not read.
    fn parties(&self, app: i64, sender: &str, receiver: &str, to_group: bool) -> Vec<String> {
        let apps = self.apps.read().unwrap_or_else(PoisonError::into_inner);
        let Some(conns) = apps.get(&app) else { return Vec::new() };
        if to_group {
            return conns.groups.get(receiver).map(|members| members.iter().cloned().collect()).unwrap_or_default();
        }
        let mut parties: Vec<String> =
            [sender, receiver].into_iter().filter(|uid| conns.users.contains_key(*uid)).map(str::to_owned).collect();
        parties.dedup();
        parties
    }

    /// Follows a member event of group `guid` in the groups of connected users.
    fn follow_membership(&self, app: i64, guid: &str, action: MemberEvent, target: &str) {
        let mut apps = self.apps.write().unwrap_or_else(PoisonError::into_inner);
        let Some(conns) = apps.get_mut(&app) else { return };
        if !conns.users.contains_key(target) {
            return;
        }
        match action {
            MemberEvent::Joined | MemberEvent::Added => conns.join(guid, target),
            MemberEvent::Left | MemberEvent::Kicked | MemberEvent::Banned => conns.leave(guid, target),
            MemberEvent::Unbanned | MemberEvent::ScopeChanged => {}
        }
    }

    async fn handle(&self, event: Event) -> Result<()> {
        match event {
            Event::Message { app, id, sender, receiver, to_group, action } => {
                let member_event = action.as_ref().and_then(member_event);
                // A joining user receives the message of their own joining.
                if let Some((MemberEvent::Joined | MemberEvent::Added, target)) = &member_event {
                    self.follow_membership(app, &receiver, MemberEvent::Joined, target);
                }
                let parties = self.parties(app, &sender, &receiver, to_group);
                if !parties.is_empty() {
                    let message = messages::pushed(&self.db, app, id).await?;
                    self.push_to(app, parties.iter().map(String::as_str), &frame(&ServerFrame::Message { message })?);
                    if let Some((change, target)) = action.as_ref().and_then(message_event) {
                        let message = messages::pushed(&self.db, app, target).await?;
                        let changed = match change {
                            MessageEvent::Edited => ServerFrame::MessageEdited { message },
                            MessageEvent::Deleted => ServerFrame::MessageDeleted { message },
                        };
                        self.push_to(app, parties.iter().map(String::as_str), &frame(&changed)?);
                    }
                }
                // A user who left is told so, and then hears no more.
                if let Some((event, target)) = member_event {
                    self.follow_membership(app, &receiver, event, &target);
                }
            }
            Event::Presence { app, uid, online, at } => {
                let status = if online { Presence::Available } else { Presence::Offline };
                let frame = frame(&ServerFrame::Presence { uid: uid.clone(), status, last_active_at: Some(at) })?;
                let needs_friends = {
                    let apps = self.apps.read().unwrap_or_else(PoisonError::into_inner);
                    apps.get(&app).is_some_and(|a| {
                        a.users.values().flatten().any(|c| c.presence == PresenceSubscription::Friends)
                    })
                };
                let friends =
                    if needs_friends { gateway::friends_of(&self.db, app, &uid).await? } else { HashSet::new() };
                let apps = self.apps.read().unwrap_or_else(PoisonError::into_inner);
                let Some(conns) = apps.get(&app) else { return Ok(()) };
                for (viewer, list) in conns.users.iter().filter(|(viewer, _)| **viewer != uid) {
                    for connection in list {
                        let told = match connection.presence {
                            PresenceSubscription::All => true,
                            PresenceSubscription::Friends => friends.contains(viewer),
                            PresenceSubscription::None => false,
                        };
                        if told {
                            connection.push(&frame);
                        }
                    }
                }
            }
            Event::TokensRevoked { app, uid, token } => {
                self.close_where(app, Some(&uid), token, CloseReason::TokenRevoked)
            }
            Event::UserGone { app, uid } => self.close_where(app, Some(&uid), None, CloseReason::UserGone),
            Event::AppGone { app } => self.close_where(app, None, None, CloseReason::AppGone),
            Event::Typing { app, sender, receiver, to_group, started } => {
                let receiver_type = if to_group { ReceiverType::Group } else { ReceiverType::User };
                let parties = self.parties(app, &sender, &receiver, to_group);
                let typing = frame(&ServerFrame::Typing { sender: sender.clone(), receiver, receiver_type, started })?;
                self.push_to(app, parties.iter().map(String::as_str).filter(|p| *p != sender), &typing);
            }
            Event::Receipt { app, read, by, to, message_id } => {
                let kind = if read { ReceiptKind::Read } else { ReceiptKind::Delivered };
                self.push_to(app, [to.as_str()], &frame(&ServerFrame::Receipt { kind, by, message_id })?);
            }
        }
        Ok(())
    }
}

impl AppConnections {
    /// Puts each of `read` (connected users whose groups were read, by
    /// user id) in the groups `groups` lists for them; one listed in none
    /// is in none. Users connected since were read at their login.
    fn follow_groups(&mut self, read: &HashSet<i64>, groups: &mut HashMap<i64, Vec<String>>) {
        let users: Vec<(String, i64)> = self
            .users
            .iter()
            .filter_map(|(uid, list)| Some((uid.clone(), list.first()?.user_id)))
            .filter(|(_, user_id)| read.contains(user_id))
            .collect();
        for (uid, user_id) in users {
            for guid in self.memberships.remove(&uid).unwrap_or_default() {
                self.leave(&guid, &uid);
            }
            for guid in groups.remove(&user_id).unwrap_or_default() {
                self.join(&guid, &uid);
            }
        }
    }

    fn join(&mut self, guid: &str, uid: &str) {
        self.groups.entry(guid.to_owned()).or_default().insert(uid.to_owned());
        self.memberships.entry(uid.to_owned()).or_default().insert(guid.to_owned());
    }

    fn leave(&mut self, guid: &str, uid: &str) {
        if let Some(members) = self.groups.get_mut(guid) {
            members.remove(uid);
            if members.is_empty() {
                self.groups.remove(guid);
            }
        }
        if let Some(groups) = self.memberships.get_mut(uid) {
            groups.remove(guid);
        }
    }
}

/// The member event an action message records, and whom it is about.
fn member_event(action: &Value) -> Option<(MemberEvent, String)> {
    let event = MemberEvent::parse(action.get("action")?.as_str()?).ok()?;
    Some((event, action.get("target")?.as_str()?.to_owned()))
}

/// The message event an action message records, and which message it is about.
fn message_event(action: &Value) -> Option<(MessageEvent, i64)> {
    let event = MessageEvent::parse(action.get("action")?.as_str()?).ok()?;
    // Text since message ids went on the wire as text; a number in older rows.
    let id = action.get("messageId")?;
    Some((event, id.as_i64().or_else(|| id.as_str()?.parse().ok())?))
}

/// The logged events this process has handled, as far as a catch-up
/// needs to know: those it heard, from [`LATE_IDS`] below the highest on.
/// Transactions commit out of the order their ids were given in, so a
/// catch-up reads from there too, but never from before the process
/// started listening (`floor`): those events are not its to push.
struct Handled {
    floor: i64,
    high: i64,
    recent: std::collections::BTreeSet<i64>,
}

/// How far below the highest id handled a late commit may still land.
const LATE_IDS: i64 = 10_000;

/// Logged events read at once while catching up.
const CATCH_UP_BATCH: i64 = 500;

impl From<i64> for Handled {
    /// Handled nothing yet, and hears every event after `last_logged`.
    fn from(last_logged: i64) -> Self {
        Handled { floor: last_logged, high: last_logged, recent: std::collections::BTreeSet::new() }
    }
}

impl Handled {
    /// Notes `id` handled; false when it was already.
    fn first_time(&mut self, id: i64) -> bool {
        if !self.recent.insert(id) {
            return false;
        }
        self.high = self.high.max(id);
        let forget_below = self.high - LATE_IDS;
        while self.recent.first().is_some_and(|&oldest| oldest <= forget_below) {
            self.recent.pop_first();
        }
        true
    }
}

impl Inner {
    async fn handle_all(&self, events: Vec<Event>) {
        for event in events {
            if let Err(error) = self.handle(event).await {
                tracing::warn!(%error, "could not push an event");
            }
        }
    }

    /// After a gap: handles, in order, the logged events it has not, then
    /// re-checks its sockets for what the log no longer holds.
    async fn catch_up(&self, handled: &mut Handled) -> Result<()> {
        let mut after = (handled.high - LATE_IDS).max(handled.floor);
        loop {
            let batch = events::logged_after(&self.db, after, CATCH_UP_BATCH).await?;
            let done = (batch.len() as i64) < CATCH_UP_BATCH;
            for (id, events) in batch {
                after = id;
                if handled.first_time(id) {
                    self.handle_all(events).await;
                }
            }
            if done {
                break;
            }
        }
        self.recheck().await
    }
}

/// Reads the events of every process, in order, until the gateway or the
/// database is gone. It must end with the database: on Postgres the
/// listener holds a connection, and closing the pool waits for it.
async fn dispatch(gateway: std::sync::Weak<Inner>, mut listener: Listener, mut handled: Handled) {
    loop {
        let events = listener.next().await;
        let Some(gateway) = gateway.upgrade() else { return };
        match events {
            Ok(None) => return,
            Ok(Some(Heard::Events(id, events))) => {
                if id.is_none_or(|id| handled.first_time(id)) {
                    gateway.handle_all(events).await;
                }
            }
            Ok(Some(Heard::Gap)) => {
                // Until it has caught up, no event is trusted to be the
                // latest word: should that fail, it is tried again.
                while let Err(error) = gateway.catch_up(&mut handled).await {
                    tracing::warn!(%error, "could not catch up after lost events; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    if gateway.db.is_closed() {
                        return;
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, "the gateway lost its events; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Tells the database this process is alive, ends the connections of
/// processes that stopped saying so, and forgets old logged events.
async fn keep_alive(gateway: std::sync::Weak<Inner>) {
    let mut every = tokio::time::interval(HEARTBEAT);
    loop {
        every.tick().await;
        let Some(gateway) = gateway.upgrade() else { return };
        let done = async {
            gateway::heartbeat(&gateway.db, &gateway.server).await?;
            gateway::end_servers(&gateway.db, Servers::SilentSince(now() - SERVER_SILENT_AFTER)).await?;
            events::forget_old(&gateway.db).await
        };
        if let Err(error) = done.await {
            tracing::warn!(%error, "the gateway's heartbeat failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_handled_once_however_often_it_is_heard() {
        let mut handled = Handled::from(100);
        assert!(handled.first_time(101));
        assert!(!handled.first_time(101), "heard again while catching up");
        assert!(handled.first_time(103));
        assert!(handled.first_time(102), "committed late, heard late: still handled");
    }

    #[test]
    fn what_a_catch_up_remembers_reaches_back_far_enough_for_late_commits_only() {
        let mut handled = Handled::from(0);
        for id in 1..=LATE_IDS + 50 {
            assert!(handled.first_time(id));
        }
        assert_eq!(handled.recent.len() as i64, LATE_IDS);
        assert_eq!(handled.recent.first().copied(), Some(51));
    }
}
