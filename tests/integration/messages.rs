//! Messages over `/v3`, on both databases: the four categories, who may
//! send, the system's action messages, edits and deletes, paging,
//! conversations and read marks.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use switchboard::{
    domain::{AppId, Guid, MessageCategory, Receiver, Uid},
    server::{
        auth::Caller,
        service::{
            apps,
            messages::{self, MessageQuery},
            seed,
        },
    },
};

use crate::common::{Api, Backend, data_of, error_of};
use crate::on_both_backends;

on_both_backends!(
    each_category_is_sent_with_its_data_and_read_back,
    each_kind_of_bad_message_gets_its_code_and_writes_nothing,
    only_members_write_to_a_group_and_friends_only_roles_write_to_friends,
    a_friends_only_role_lists_only_the_viewers_friends,
    each_member_change_writes_one_action_message_and_a_refused_one_none,
    edits_and_deletes_are_told_by_action_messages_and_only_authors_make_them,
    paging_newest_first_loses_and_repeats_nothing_while_messages_arrive,
    conversations_show_their_last_message_and_unread_count_until_read,
    a_thread_collects_the_replies_to_its_message,
    the_explorer_filters_by_sender_receiver_category_type_tags_and_time,
    deleting_a_user_or_a_group_for_good_takes_its_messages_and_counts_stay_exact,
    concurrent_sends_each_get_their_own_answer,
    every_message_list_is_led_by_the_index_of_its_narrowest_filter,
    seeded_messages_keep_exact_totals_and_their_conversations_point_at_their_newest,
);

impl Api {
    async fn send_as(&self, uid: &str, body: Value) -> reqwest::Response {
        self.call_as(uid, "POST", "/v3/messages", Some(body)).await
    }

    /// Sends a text and answers the message.
    pub(crate) async fn text(&self, from: &str, to: &str, receiver_type: &str, text: &str) -> Value {
        let body = json!({"receiver": to, "receiverType": receiver_type, "category": "message", "type": "text", "data": {"text": text}});
        data_of(self.send_as(from, body).await).await
    }

    /// The whole answer of a message list: `data` and `meta`.
    async fn page_as(&self, uid: Option<&str>, path: &str) -> Value {
        let res = match uid {
            Some(uid) => self.call_as(uid, "GET", path, None).await,
            None => self.call("GET", path, None).await,
        };
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        res.json().await.unwrap()
    }

    async fn ids(&self, path: &str) -> Vec<i64> {
        ids_of(&self.page_as(None, path).await)
    }

    /// The `data` of each action message in the group, oldest first.
    async fn actions_in(&self, guid: &str) -> Vec<Value> {
        let page = self.page_as(None, &format!("/v3/groups/{guid}/messages?limit=100")).await;
        let mut actions: Vec<Value> = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["category"] == "action")
            .map(|m| {
                assert_eq!(m["sender"], "app_system");
                without_entities(&m["data"])
            })
            .collect();
        actions.reverse();
        actions
    }

    async fn message_count(&self) -> i64 {
        self.app.count("messages").await
    }
}

/// A message's data as it was sent: without the parties that answers add.
fn without_entities(data: &Value) -> Value {
    let mut data = data.clone();
    data.as_object_mut().unwrap().remove("entities");
    data
}

fn ids_of(page: &Value) -> Vec<i64> {
    page["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().parse::<i64>().unwrap()).collect()
}

async fn each_category_is_sent_with_its_data_and_read_back(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben"]).await;
    api.ok("POST", "/v3/groups", Some(json!({"guid": "club", "name": "Club", "owner": "ana"}))).await;
    let file =
        json!({"url": "https://cdn.example.com/cat.png", "name": "cat.png", "mimeType": "image/png", "size": 2048});
    let sends = [
        json!({"receiver": "Ben", "receiverType": "user", "category": "message", "type": "text",
               "data": {"text": "hi ben"}, "metadata": {"lang": "en"}, "tags": ["greeting"]}),
        json!({"receiver": "club", "receiverType": "group", "category": "message", "type": "image",
               "data": {"attachments": [file]}}),
        json!({"receiver": "ben", "receiverType": "user", "category": "custom", "type": "location",
               "data": {"customData": {"lat": 52.5, "lng": 13.4}}}),
        json!({"receiver": "ben", "receiverType": "user", "category": "call", "type": "video",
               "data": {"status": "initiated"}}),
    ];
    for body in sends {
        let sent = data_of(api.send_as("ana", body.clone()).await).await;
        assert_eq!(sent["sender"], "ana");
        assert_eq!(sent["receiver"], body["receiver"].as_str().unwrap().to_lowercase());
        assert_eq!((&sent["category"], &sent["type"]), (&body["category"], &body["type"]));
        assert_eq!(without_entities(&sent["data"]), body["data"]);
        assert_eq!(sent["data"]["entities"]["sender"]["entity"]["uid"], "ana");
        assert_eq!(sent["data"]["entities"]["receiver"]["entityType"], sent["receiverType"]);
        let read = api.ok("GET", &format!("/v3/messages/{}", sent["id"].as_str().unwrap()), None).await;
        assert_eq!(read, sent, "a message reads back as it was answered");
    }
    let text = &api.page_as(None, "/v3/messages?category=message&type=text").await["data"][0];
    assert_eq!(text["conversationId"], "ana_user_ben");
    assert_eq!(text["metadata"], json!({"lang": "en"}));
    assert_eq!(text["tags"], json!(["greeting"]));
    assert_eq!(api.message_count().await, 4);
}

async fn each_kind_of_bad_message_gets_its_code_and_writes_nothing(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "eve"]).await;
    api.ok("POST", "/v3/groups", Some(json!({"guid": "club", "name": "Club", "owner": "ana"}))).await;
    let first = api.text("ana", "ben", "user", "first").await;
    let before = (api.message_count().await, api.app.count("audit_log").await);
    let text = |to: &str, kind: &str| json!({"receiver": to, "receiverType": kind, "category": "message", "type": "text", "data": {"text": "x"}});
    let with = |field: &str, value: Value| {
        let mut body = text("ben", "user");
        body[field] = value;
        body
    };
    let huge = "x".repeat(70 * 1024);
    let cases: Vec<(&str, Value, StatusCode, &str)> = vec![
        ("ana", with("category", json!("action")), StatusCode::BAD_REQUEST, "ERR_INVALID_MESSAGE_CATEGORY"),
        ("ana", with("category", json!("gossip")), StatusCode::BAD_REQUEST, "ERR_INVALID_MESSAGE_CATEGORY"),
        ("ana", with("type", json!("sticker")), StatusCode::BAD_REQUEST, "ERR_INVALID_MESSAGE_TYPE"),
        ("ana", with("data", json!({})), StatusCode::BAD_REQUEST, "ERR_EMPTY_MESSAGE_TEXT"),
        ("ana", with("data", json!({"text": ["x"]})), StatusCode::BAD_REQUEST, "ERR_INVALID_MESSAGE_TEXT"),
        ("ana", with("data", json!("hi")), StatusCode::BAD_REQUEST, "ERR_INVALID_MESSAGE_DATA"),
        ("ana", with("type", json!("file")), StatusCode::BAD_REQUEST, "ERR_EMPTY_MESSAGE_FILE"),
        ("ana", with("data", json!({"text": huge})), StatusCode::PAYLOAD_TOO_LARGE, "ERR_PAYLOAD_TOO_LARGE"),
        ("ana", with("receiverType", json!("channel")), StatusCode::BAD_REQUEST, "ERR_INVALID_RECEIVER_TYPE"),
        ("ana", with("receiver", json!("no one")), StatusCode::BAD_REQUEST, "ERR_INVALID_UID"),
        ("ana", with("receiver", json!("nobody")), StatusCode::NOT_FOUND, "ERR_UID_NOT_FOUND"),
        ("ana", text("nowhere", "group"), StatusCode::NOT_FOUND, "ERR_GUID_NOT_FOUND"),
        ("eve", text("club", "group"), StatusCode::NOT_FOUND, "ERR_NOT_A_MEMBER"),
        ("nobody", text("ben", "user"), StatusCode::NOT_FOUND, "ERR_UID_NOT_FOUND"),
        ("ana", with("metadata", json!([1])), StatusCode::BAD_REQUEST, "ERR_INVALID_METADATA"),
        ("ana", with("tags", json!(["a,b"])), StatusCode::BAD_REQUEST, "ERR_INVALID_TAGS"),
        ("ana", with("parentId", json!(0)), StatusCode::BAD_REQUEST, "ERR_INVALID_MESSAGE_ID"),
        (
            "eve",
            {
                let mut b = text("ben", "user");
                b["parentId"] = first["id"].clone();
                b
            },
            StatusCode::BAD_REQUEST,
            "ERR_WRONG_MESSAGE_THREAD",
        ),
        ("ana", with("unknown", json!(1)), StatusCode::BAD_REQUEST, "ERR_BAD_REQUEST"),
    ];
    for (sender, body, status, code) in cases {
        let (got_status, got_code) = error_of(api.send_as(sender, body.clone()).await).await;
        assert_eq!(
            (got_status, got_code.as_str()),
            (status, code),
            "{sender} sends {}",
            &body.to_string()[..body.to_string().len().min(120)]
        );
    }
    let no_sender = api.err("POST", "/v3/messages", Some(text("ben", "user"))).await;
    assert_eq!(no_sender, (StatusCode::BAD_REQUEST, "ERR_ONBEHALFOF_REQUIRED".into()));
    for (path, code) in [
        ("/v3/messages/abc", "ERR_INVALID_MESSAGE_ID"),
        ("/v3/messages/999999", "ERR_MESSAGE_ID_NOT_FOUND"),
        ("/v3/messages?limit=0", "ERR_INVALID_LIMIT"),
        ("/v3/messages?cursor=zz", "ERR_INVALID_CURSOR"),
        ("/v3/messages?category=gossip", "ERR_INVALID_MESSAGE_CATEGORY"),
        ("/v3/messages?receiver=ben", "ERR_INVALID_RECEIVER_TYPE"),
        ("/v3/messages?from=10&to=5", "ERR_INVALID_TIME_RANGE"),
        ("/v3/messages?color=red", "ERR_BAD_REQUEST"),
    ] {
        assert_eq!(api.err("GET", path, None).await.1, code, "{path}");
    }
    for (path, code) in [
        ("/v3/messages?unread=true", "ERR_ONBEHALFOF_REQUIRED"),
        ("/v3/messages?myMentionsOnly=true", "ERR_ONBEHALFOF_REQUIRED"),
        ("/v3/messages?mentionedUids=ben,not%20a%20uid", "ERR_INVALID_UID"),
        ("/v3/messages?searchKey=a%00b", "ERR_NUL_IN_TEXT"),
    ] {
        assert_eq!(api.err("GET", path, None).await, (StatusCode::BAD_REQUEST, code.into()), "{path}");
    }
    assert_eq!((api.message_count().await, api.app.count("audit_log").await), before, "nothing was written");
}

async fn only_members_write_to_a_group_and_friends_only_roles_write_to_friends(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "cat", "dan"]).await;
    api.ok(
        "POST",
        "/v3/groups",
        Some(json!({"guid": "club", "name": "Club", "owner": "ana", "members": {"participants": ["ben"]}})),
    )
    .await;
    api.text("ben", "club", "group", "a member writes").await;
    api.ok("POST", "/v3/groups/club/bannedusers/ben", None).await;
    let banned = api.send_as("ben", json!({"receiver": "club", "receiverType": "group", "category": "message", "type": "text", "data": {"text": "still here?"}})).await;
    assert_eq!(error_of(banned).await.1, "ERR_NOT_A_MEMBER", "a banned user is no member");

    api.ok(
        "POST",
        "/v3/roles",
        Some(json!({"role": "kids", "name": "Kids", "settings": {"sendMessagesTo": "friendsOnly"}})),
    )
    .await;
    api.ok("PUT", "/v3/users/cat", Some(json!({"role": "kids"}))).await;
    api.ok("POST", "/v3/users/cat/friends", Some(json!({"accepted": ["dan"]}))).await;
    api.text("cat", "dan", "user", "to a friend").await;
    let stranger = api.send_as("cat", json!({"receiver": "ana", "receiverType": "user", "category": "message", "type": "text", "data": {"text": "hello"}})).await;
    assert_eq!(error_of(stranger).await, (StatusCode::FORBIDDEN, "ERR_NOT_FRIENDS".into()));
    api.text("ana", "cat", "user", "anyone may write to a kid").await;

    api.ok("DELETE", "/v3/users/dan", None).await;
    let deactivated = api.send_as("dan", json!({"receiver": "cat", "receiverType": "user", "category": "message", "type": "text", "data": {"text": "hi"}})).await;
    assert_eq!(
        error_of(deactivated).await,
        (StatusCode::NOT_FOUND, "ERR_UID_NOT_FOUND".into()),
        "as CometChat names it"
    );
}

async fn a_friends_only_role_lists_only_the_viewers_friends(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "cat", "dan"]).await;
    let role = api
        .ok(
            "POST",
            "/v3/roles",
            Some(json!({"role": "private", "name": "Private", "settings": {"listUsers": "friendsOnly"}})),
        )
        .await;
    assert_eq!(role["settings"], json!({"listUsers": "friendsOnly", "sendMessagesTo": "all"}));
    api.ok("PUT", "/v3/users/ana", Some(json!({"role": "private"}))).await;
    api.ok("POST", "/v3/users/ana/friends", Some(json!({"accepted": ["cat"]}))).await;
    let seen_by = |uid: &'static str| {
        let api = &api;
        async move {
            let page: Value = api.call_as(uid, "GET", "/v3/users", None).await.json().await.unwrap();
            page["data"].as_array().unwrap().iter().map(|u| u["uid"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    assert_eq!(seen_by("ana").await, ["cat"], "a friends-only role lists the viewer's friends");
    assert_eq!(seen_by("ben").await, ["ana", "ben", "cat", "dan"], "the default role lists everyone");
    assert_eq!(api.uids("").await, ["ana", "ben", "cat", "dan"], "the app lists everyone");
    let updated = api.ok("PUT", "/v3/roles/private", Some(json!({"settings": {"listUsers": "all"}}))).await;
    assert_eq!(updated["settings"]["listUsers"], "all");
    assert_eq!(seen_by("ana").await.len(), 4);
    let (status, code) = api.err("PUT", "/v3/roles/private", Some(json!({"settings": {"listUsers": "some"}}))).await;
    assert_eq!((status, code.as_str()), (StatusCode::BAD_REQUEST, "ERR_INVALID_ROLE_SETTING"));
}

async fn each_member_change_writes_one_action_message_and_a_refused_one_none(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["owner", "mod", "ana", "ben"]).await;
    let members = json!({"moderators": ["mod"], "participants": ["ana"]});
    api.ok("POST", "/v3/groups", Some(json!({"guid": "club", "name": "Club", "owner": "owner", "members": members})))
        .await;
    api.ok("PUT", "/v3/groups/club/members/ana", Some(json!({"scope": "moderator"}))).await;
    api.call_as("mod", "DELETE", "/v3/groups/club/members/ana", None).await; // refused: same scope
    api.call_as("owner", "DELETE", "/v3/groups/club/members/ana", None).await;
    data_of(api.call_as("ben", "POST", "/v3/groups/club/join", None).await).await;
    data_of(api.call_as("mod", "POST", "/v3/groups/club/bannedusers/ben", None).await).await;
    let again = api.call_as("mod", "POST", "/v3/groups/club/bannedusers/ben", None).await;
    assert_eq!(error_of(again).await.1, "ERR_ALREADY_BANNED");
    api.ok("DELETE", "/v3/groups/club/bannedusers/ben", None).await;
    data_of(api.call_as("mod", "POST", "/v3/groups/club/leave", None).await).await;
    api.ok("PATCH", "/v3/groups/club/owner", Some(json!({"uid": "owner"}))).await; // already admin: nothing to tell

    // A scope there is not (none before a join, none after a kick) is left out, never null.
    let event = |action: &str, actor: &str, target: &str, old: Option<&str>, new: Option<&str>| {
        let mut event = json!({"action": action, "actor": actor, "target": target});
        for (key, scope) in [("oldScope", old), ("newScope", new)] {
            if let Some(scope) = scope {
                event[key] = json!(scope);
            }
        }
        event
    };
    assert_eq!(
        api.actions_in("club").await,
        [
            event("added", "app_system", "mod", None, Some("moderator")),
            event("added", "app_system", "ana", None, Some("participant")),
            event("scopeChanged", "app_system", "ana", Some("participant"), Some("moderator")),
            event("kicked", "owner", "ana", Some("moderator"), None),
            event("joined", "ben", "ben", None, Some("participant")),
            event("banned", "mod", "ben", Some("participant"), None),
            event("unbanned", "app_system", "ben", None, None),
            event("left", "mod", "mod", Some("moderator"), None),
        ]
    );
    let group = api.ok("GET", "/v3/groups/club", None).await;
    assert_eq!(group["membersCount"], 1);
}

async fn edits_and_deletes_are_told_by_action_messages_and_only_authors_make_them(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "mod", "cat"]).await;
    let members = json!({"moderators": ["mod"], "participants": ["ben", "cat"]});
    api.ok("POST", "/v3/groups", Some(json!({"guid": "club", "name": "Club", "owner": "ana", "members": members})))
        .await;
    let note = api.text("ben", "club", "group", "frist").await;
    let path = format!("/v3/messages/{}", note["id"].as_str().unwrap());

    let by_other = api.call_as("cat", "PUT", &path, Some(json!({"data": {"text": "hacked"}}))).await;
    assert_eq!(error_of(by_other).await, (StatusCode::FORBIDDEN, "ERR_MESSAGE_NOT_A_SENDER".into()));
    let told =
        data_of(api.call_as("ben", "PUT", &path, Some(json!({"data": {"text": "first"}, "tags": ["fixed"]}))).await)
            .await;
    // As in CometChat, the answer is the action message; the edited message is what it is on.
    assert_eq!((told["category"].as_str(), told["data"]["action"].as_str()), (Some("action"), Some("edited")));
    assert_eq!(told["data"]["entities"]["by"]["entity"]["uid"], "ben");
    assert_eq!(told["data"]["entities"]["for"]["entityType"], "group");
    let edited = &told["data"]["entities"]["on"]["entity"];
    assert_eq!((edited["data"]["text"].as_str(), edited["tags"].clone()), (Some("first"), json!(["fixed"])));
    assert!(edited["editedAt"].is_i64());
    let empty = api.call_as("ben", "PUT", &path, Some(json!({"data": {"text": ""}}))).await;
    assert_eq!(error_of(empty).await.1, "ERR_EMPTY_MESSAGE_TEXT");

    let by_participant = api.call_as("cat", "DELETE", &path, None).await;
    assert_eq!(error_of(by_participant).await, (StatusCode::FORBIDDEN, "ERR_MESSAGE_NOT_A_SENDER".into()));
    let told = data_of(api.call_as("mod", "DELETE", &path, None).await).await;
    assert_eq!(told["data"]["action"], "deleted");
    let deleted = &told["data"]["entities"]["on"]["entity"];
    assert_eq!(deleted["deletedBy"], "mod");
    assert!(deleted["deletedAt"].is_i64());
    let twice = api.call_as("ben", "DELETE", &path, None).await;
    assert_eq!(error_of(twice).await.1, "ERR_MESSAGE_ACTION_NOT_ALLOWED");
    let edit_deleted = api.call_as("ben", "PUT", &path, Some(json!({"data": {"text": "x"}}))).await;
    assert_eq!(error_of(edit_deleted).await.1, "ERR_MESSAGE_ACTION_NOT_ALLOWED");

    let id = note["id"].as_str().unwrap().parse::<i64>().unwrap();
    let told: Vec<Value> =
        api.actions_in("club").await.into_iter().filter(|a| a["messageId"] == id.to_string()).collect();
    assert_eq!(
        told,
        [
            json!({"action": "edited", "actor": "ben", "messageId": id.to_string()}),
            json!({"action": "deleted", "actor": "mod", "messageId": id.to_string()}),
        ]
    );
    let shown = ids_of(&api.page_as(None, "/v3/groups/club/messages?hideDeleted=true&category=message").await);
    assert!(!shown.contains(&id), "hideDeleted leaves the deleted message out");

    let gone = api.text("ana", "ben", "user", "for good").await;
    let before = api.message_count().await;
    api.ok(
        "DELETE",
        &format!("/v3/messages/{}", gone["id"].as_str().unwrap()),
        Some(json!({"permanent": true, "reason": "spam"})),
    )
    .await;
    assert_eq!(api.message_count().await, before, "the message went, its deleted notice came");
    assert_eq!(
        api.err("GET", &format!("/v3/messages/{}", gone["id"].as_str().unwrap()), None).await.1,
        "ERR_MESSAGE_ID_NOT_FOUND"
    );
    let audit = api.app.audit_rows().await;
    assert!(audit.iter().any(|(_, action, _, details)| action == "message.delete" && details.contains("spam")));
}

async fn paging_newest_first_loses_and_repeats_nothing_while_messages_arrive(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben"]).await;
    let mut sent = Vec::new();
    for n in 0..45 {
        sent.push(
            api.text("ana", "ben", "user", &format!("m{n}")).await["id"].as_str().unwrap().parse::<i64>().unwrap(),
        );
    }
    let mut walked: Vec<i64> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut extra = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v3/users/ben/messages?limit=7&cursor={c}"),
            None => "/v3/users/ben/messages?limit=7".to_owned(),
        };
        // New messages arrive between every two pages.
        let (page, _) = tokio::join!(api.page_as(Some("ana"), &path), async {
            for _ in 0..3 {
                api.text("ben", "ana", "user", "meanwhile").await;
            }
        });
        extra += 3;
        walked.extend(ids_of(&page));
        match page["meta"]["cursor"]["next"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let first_page_newest = walked[0];
    let expected: Vec<i64> = sent.iter().rev().copied().filter(|id| *id <= first_page_newest).collect();
    let walked_before: Vec<i64> = walked.iter().copied().filter(|id| sent.contains(id)).collect();
    assert_eq!(walked_before, expected, "every message there at the start, once, newest first");
    let unique: HashSet<i64> = walked.iter().copied().collect();
    assert_eq!(unique.len(), walked.len(), "no message twice");
    assert!(walked.windows(2).all(|w| w[0] > w[1]));
    assert!(extra > 0);
}

async fn conversations_show_their_last_message_and_unread_count_until_read(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "cat"]).await;
    api.ok(
        "POST",
        "/v3/groups",
        Some(json!({"guid": "club", "name": "Club", "owner": "ana", "members": {"participants": ["ben"]}})),
    )
    .await;
    api.text("ana", "ben", "user", "one").await;
    let two = api.text("ana", "ben", "user", "two").await;
    api.text("cat", "ben", "user", "from cat").await;
    api.text("ben", "cat", "user", "reply to cat").await;
    let in_club = api.text("ana", "club", "group", "hello club").await;

    let listed = api.page_as(Some("ben"), "/v3/users/ben/conversations").await;
    let summary: Vec<(String, String, i64)> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["conversationWith"].as_str().unwrap().to_owned(),
                c["lastMessage"]["data"]["text"].as_str().unwrap().to_owned(),
                c["unreadMessageCount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("club".to_owned(), "hello club".to_owned(), 1),
            ("cat".to_owned(), "reply to cat".to_owned(), 0),
            ("ana".to_owned(), "two".to_owned(), 2),
        ]
    );
    assert_eq!(listed["data"][0]["conversationType"], "group");

    api.call_as("ben", "POST", "/v3/users/ben/conversations/read", Some(json!({"messageId": two["id"]}))).await;
    api.call_as("ben", "POST", "/v3/users/ben/conversations/read", Some(json!({"messageId": in_club["id"]}))).await;
    let unread: Vec<i64> = api.page_as(Some("ben"), "/v3/users/ben/conversations").await["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["unreadMessageCount"].as_i64().unwrap())
        .collect();
    assert_eq!(unread, [0, 0, 0]);

    let paged = api.page_as(None, "/v3/users/ben/conversations?limit=2").await;
    let next = paged["meta"]["next"].as_str().unwrap().to_owned();
    let rest = api.page_as(None, &format!("/v3/users/ben/conversations?limit=2&cursor={next}")).await;
    assert_eq!(rest["data"][0]["conversationWith"], "ana");
    assert!(rest["meta"]["next"].is_null());

    let (status, code) = error_of(api.call_as("cat", "GET", "/v3/users/ben/conversations", None).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::FORBIDDEN, "ERR_CONVERSATION_NOT_ACCESSIBLE"));
    let not_party =
        api.call_as("cat", "POST", "/v3/users/cat/conversations/read", Some(json!({"messageId": two["id"]}))).await;
    assert_eq!(error_of(not_party).await.1, "ERR_MESSAGE_ID_NOT_FOUND");
    let hidden = api.call_as("cat", "GET", &format!("/v3/messages/{}", two["id"].as_str().unwrap()), None).await;
    assert_eq!(error_of(hidden).await.1, "ERR_MESSAGE_ID_NOT_FOUND", "a user reads only their conversations");

    // A badge counts to 100: more unread show as 100.
    let pings: Vec<String> = (0..101).map(|n| format!("ping {n}")).collect();
    futures::future::join_all(pings.iter().map(|ping| api.text("cat", "ben", "user", ping))).await;
    let with_cat = &api.page_as(Some("ben"), "/v3/users/ben/conversations?limit=1").await["data"][0];
    assert_eq!((&with_cat["conversationWith"], &with_cat["unreadMessageCount"]), (&json!("cat"), &json!(100)));
}

async fn a_thread_collects_the_replies_to_its_message(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben"]).await;
    let root = api.text("ana", "ben", "user", "question").await;
    for answer in ["yes", "no"] {
        let body = json!({"receiver": "ana", "receiverType": "user", "category": "message", "type": "text", "data": {"text": answer}, "parentId": root["id"]});
        data_of(api.send_as("ben", body).await).await;
    }
    let thread = api.page_as(Some("ana"), &format!("/v3/messages/{}/thread", root["id"].as_str().unwrap())).await;
    let texts: Vec<&str> =
        thread["data"].as_array().unwrap().iter().map(|m| m["data"]["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["no", "yes"]);
    assert_eq!(api.ok("GET", &format!("/v3/messages/{}", root["id"].as_str().unwrap()), None).await["repliesCount"], 2);
    let reply_id = thread["data"][0]["id"].clone();
    let nested = json!({"receiver": "ana", "receiverType": "user", "category": "message", "type": "text", "data": {"text": "deeper"}, "parentId": reply_id});
    let res = api.send_as("ben", nested).await;
    assert_eq!(error_of(res).await.1, "ERR_MESSAGE_THREAD_NESTING", "threads are one level deep");
}

async fn the_explorer_filters_by_sender_receiver_category_type_tags_and_time(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "cat"]).await;
    api.ok("POST", "/v3/groups", Some(json!({"guid": "club", "name": "Club", "owner": "ana"}))).await;
    let a = api.text("ana", "ben", "user", "a").await["id"].as_str().unwrap().parse::<i64>().unwrap();
    let b = api.text("ben", "cat", "user", "b").await["id"].as_str().unwrap().parse::<i64>().unwrap();
    let c = api.text("ana", "club", "group", "c").await["id"].as_str().unwrap().parse::<i64>().unwrap();
    let call = json!({"receiver": "cat", "receiverType": "user", "category": "call", "type": "audio", "data": {"status": "ended"}, "tags": ["support", "billing"]});
    let d = data_of(api.send_as("ana", call).await).await["id"].as_str().unwrap().parse::<i64>().unwrap();
    assert_eq!(api.ids("/v3/messages?sender=ana").await, [d, c, a]);
    assert_eq!(api.ids("/v3/messages?receiver=cat&receiverType=user").await, [d, b]);
    assert_eq!(api.ids("/v3/messages?receiver=club&receiverType=group").await, [c]);
    assert_eq!(api.ids("/v3/messages?category=call").await, [d]);
    assert_eq!(api.ids("/v3/messages?category=message&type=text&sender=ben").await, [b]);
    assert_eq!(api.ids("/v3/messages?tags=support,other").await, [d]);
    let listed = api.page_as(None, "/v3/messages?sender=ana").await;
    let tags: Vec<&Value> = listed["data"].as_array().unwrap().iter().map(|m| &m["tags"]).collect();
    assert_eq!(tags, [&json!(["billing", "support"]), &json!([]), &json!([])], "each with its tags, in tag order");
    let sent_at = api.ok("GET", &format!("/v3/messages/{a}"), None).await["sentAt"].as_i64().unwrap();
    let all = api.ids(&format!("/v3/messages?from={sent_at}")).await;
    assert_eq!(all, [d, c, b, a]);
    assert!(api.ids(&format!("/v3/messages?to={sent_at}")).await.is_empty());
    assert!(api.ids(&format!("/v3/messages?from={}", sent_at + 3600)).await.is_empty());
    assert_eq!(api.ids(&format!("/v3/messages?from={}&to={}", sent_at - 60, sent_at + 3600)).await, [d, c, b, a]);
}

async fn deleting_a_user_or_a_group_for_good_takes_its_messages_and_counts_stay_exact(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "cat"]).await;
    api.ok(
        "POST",
        "/v3/groups",
        Some(json!({"guid": "club", "name": "Club", "owner": "ana", "members": {"participants": ["ben"]}})),
    )
    .await;
    api.text("ana", "ben", "user", "to ben").await;
    api.text("ben", "ana", "user", "to ana").await;
    api.text("cat", "ana", "user", "cat to ana").await;
    api.text("ben", "club", "group", "ben in club").await;
    api.ok("DELETE", "/v3/users/ben", Some(json!({"permanent": true}))).await;
    let left: Vec<String> = api.page_as(None, "/v3/messages").await["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["category"] != "action")
        .map(|m| m["data"]["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(left, ["cat to ana"]);
    let conversations = api.page_as(None, "/v3/users/ana/conversations").await;
    let with: Vec<&str> =
        conversations["data"].as_array().unwrap().iter().map(|c| c["conversationWith"].as_str().unwrap()).collect();
    assert_eq!(with, ["cat", "club"], "ben's conversation went with him");
    api.user("ben", "A new Ben").await;
    assert!(
        api.page_as(Some("ana"), "/v3/users/ben/messages").await["data"].as_array().unwrap().is_empty(),
        "a new ben inherits nothing"
    );
    api.ok("DELETE", "/v3/groups/club", None).await;
    assert_eq!(api.message_count().await, 1);
    let total: i64 = kept_total(&api).await;
    assert_eq!(total, 1, "the kept total follows every removal");
}

/// The app's kept message total.
async fn kept_total(api: &Api) -> i64 {
    api.app.scalar("SELECT total FROM message_counts").await
}

async fn concurrent_sends_each_get_their_own_answer(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "eve"]).await;
    api.ok(
        "POST",
        "/v3/groups",
        Some(json!({"guid": "club", "name": "Club", "owner": "ana", "members": {"participants": ["ben"]}})),
    )
    .await;
    let sends = (0..60).map(|n| {
        let (from, to, kind) = match n % 3 {
            0 => ("ana", "ben", "user"),
            1 => ("ben", "club", "group"),
            _ => ("eve", "club", "group"),
        };
        let body = json!({"receiver": to, "receiverType": kind, "category": "message", "type": "text", "data": {"text": format!("m{n}")}});
        api.send_as(from, body)
    });
    let answers = futures::future::join_all(sends).await;
    let mut texts = HashSet::new();
    for (n, res) in answers.into_iter().enumerate() {
        if n % 3 == 2 {
            assert_eq!(error_of(res).await.1, "ERR_NOT_A_MEMBER");
        } else {
            let sent = data_of(res).await;
            assert_eq!(sent["data"]["text"], format!("m{n}"), "each answer is its own message");
            texts.insert(sent["id"].as_str().unwrap().parse::<i64>().unwrap());
        }
    }
    assert_eq!(texts.len(), 40);
    // With the action message that told of ben's being added.
    assert_eq!(api.message_count().await, 41);
    assert_eq!(kept_total(&api).await, 41);
    let club = api.ok("GET", "/v3/groups/club", None).await;
    assert_eq!(club["membersCount"], 2);
}

async fn every_message_list_is_led_by_the_index_of_its_narrowest_filter(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben"]).await;
    api.ok("POST", "/v3/groups", Some(json!({"guid": "club", "name": "Club", "owner": "ana"}))).await;
    let first = api.text("ana", "ben", "user", "hi").await["id"].as_str().unwrap().parse::<i64>().unwrap();
    api.text("ana", "club", "group", "hello").await;
    let cli = Caller::cli();
    let app = apps::get(&api.app.db, &cli, &AppId::parse(&api.app_id).unwrap()).await.unwrap();
    let base = MessageQuery { limit: 50, ..MessageQuery::default() };
    let ana = || Some("ana".to_owned());
    let cases: Vec<(&str, MessageQuery)> = vec![
        ("messages_by_app", base.clone()),
        (
            "messages_by_sender",
            MessageQuery { sender: ana(), category: Some(MessageCategory::Message), ..base.clone() },
        ),
        ("messages_by_sender", MessageQuery { sender: ana(), message_type: Some("text".into()), ..base.clone() }),
        (
            "messages_by_receiver",
            MessageQuery {
                receiver: Some(Receiver::User(Uid::parse("ben").unwrap())),
                category: Some(MessageCategory::Call),
                ..base.clone()
            },
        ),
        (
            "messages_by_receiver",
            MessageQuery { receiver: Some(Receiver::Group(Guid::parse("club").unwrap())), ..base.clone() },
        ),
        (
            "messages_by_conversation",
            MessageQuery { conversations: vec!["user:ana:ben".into()], sender: ana(), ..base.clone() },
        ),
        (
            "messages_by_category",
            MessageQuery { category: Some(MessageCategory::Call), message_type: Some("audio".into()), ..base.clone() },
        ),
        ("messages_by_parent", MessageQuery { parent_id: Some(first), sender: ana(), ..base.clone() }),
        ("messages_by_app", MessageQuery { from: Some(0), to: Some(i64::MAX / 2), hide_deleted: true, ..base.clone() }),
        (
            "messages_by_sender",
            MessageQuery { sender: ana(), from: Some(0), cursor: Some(first.to_string()), ..base.clone() },
        ),
    ];
    for (index, query) in cases {
        let plan = messages::explain(&api.app.db, &cli, &app, query.clone()).await.unwrap();
        let described = format!("{query:?}:\n{}", plan.join("\n"));
        match backend {
            Backend::Sqlite => {
                let main: Vec<&String> =
                    plan.iter().filter(|line| line.contains(" m ") || line.ends_with(" m")).collect();
                assert!(
                    main.iter().any(|line| line.contains(index)
                        || (index == "messages_by_app" && line.contains("INTEGER PRIMARY KEY"))),
                    "{index} leads {described}"
                );
                assert!(!plan.iter().any(|line| line.contains("TEMP B-TREE")), "no sort: {described}");
            }
            Backend::Postgres => {
                assert!(!plan.iter().any(|line| line.contains("Seq Scan on messages")), "{described}");
                assert!(!plan.iter().any(|line| line.trim_start().starts_with("Sort")), "no sort: {described}");
            }
        }
    }
}

async fn seeded_messages_keep_exact_totals_and_their_conversations_point_at_their_newest(backend: Backend) {
    let api = Api::new(backend).await;
    let cli = Caller::cli();
    let app = apps::get(&api.app.db, &cli, &AppId::parse(&api.app_id).unwrap()).await.unwrap();
    seed::users(&api.app.db, &cli, &app, 200, |_| {}).await.unwrap();
    seed::groups(&api.app.db, &cli, &app, 10, 50, |_| {}).await.unwrap();
    let seeded = seed::messages(&api.app.db, &cli, &app, 3000, |_| {}).await.unwrap();
    assert_eq!(seeded.messages, 3000);
    assert_eq!(api.message_count().await, 3000);
    assert_eq!(kept_total(&api).await, 3000);
    assert_eq!(api.app.scalar("SELECT CAST(SUM(messages) AS BIGINT) FROM daily_counts").await, 3000);
    assert!(
        api.app.scalar("SELECT COUNT(DISTINCT day) FROM daily_counts WHERE messages > 0").await >= 29,
        "a month of days"
    );
    let stale = "SELECT COUNT(*) FROM user_conversations c WHERE c.last_message_id <> \
                 (SELECT MAX(m.id) FROM messages m WHERE m.conversation = c.conversation)";
    assert_eq!(api.app.scalar(stale).await, 0, "each side of a conversation points at its newest message");
    let stale = "SELECT COUNT(*) FROM groups g WHERE g.last_message_id IS DISTINCT FROM \
                 (SELECT MAX(m.id) FROM messages m WHERE m.conversation = 'group:' || g.guid)";
    assert_eq!(api.app.scalar(stale).await, 0, "each group points at its newest message");
    let newest = api.page_as(None, "/v3/messages?limit=100").await;
    assert_eq!(ids_of(&newest).len(), 100);
    for message in newest["data"].as_array().unwrap() {
        let read = api.ok("GET", &format!("/v3/messages/{}", message["id"].as_str().unwrap()), None).await;
        assert_eq!(&read, message, "seeded messages read back through the API");
    }
}
