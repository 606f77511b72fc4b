//! Blocked users, on both databases: a user blocks and unblocks others and
//! lists them as CometChat does; two users one of whom blocked the other
//! write to each other neither way; lists read for the blocker may hide
//! what the blocked sent, and say who blocked whom among those mentioned.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Api, Backend, data_of, error_of, message_texts};
use crate::on_both_backends;

on_both_backends!(
    a_user_blocks_and_unblocks_others_each_answered_on_its_own,
    blocked_users_are_listed_with_when_and_their_conversation,
    two_users_one_of_whom_blocked_the_other_write_to_each_other_neither_way,
    lists_read_for_the_blocker_hide_the_blocked_and_mentions_say_who_blocked_whom,
);

async fn blocked(api: &Api, uid: &str) -> Value {
    let res = api.call("GET", &format!("/v3/users/{uid}/blockedusers"), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

fn uids(listed: &Value) -> Vec<&str> {
    listed["data"].as_array().unwrap().iter().map(|u| u["uid"].as_str().unwrap()).collect()
}

fn text(to: &str, receiver_type: &str, text: &str) -> Value {
    json!({"receiver": to, "receiverType": receiver_type, "category": "message", "type": "text",
           "data": {"text": text}})
}

async fn a_user_blocks_and_unblocks_others_each_answered_on_its_own(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "cat", "dan"]).await;
    let body = json!({"blockedUids": ["ben", "ana", "nobody", "cat"]});
    let done = api.ok("POST", "/v3/users/ana/blockedusers", Some(body)).await;
    assert_eq!(done["ben"]["success"], true);
    assert_eq!(done["ben"]["message"], "The user with UID ana has blocked user with UID ben successfully.");
    assert_eq!(done["ana"]["error"]["code"], "ERR_CANNOT_BLOCK_SELF");
    assert_eq!(done["nobody"]["error"]["code"], "ERR_UID_NOT_FOUND");
    assert_eq!(done["cat"]["success"], true);
    let again = api.ok("POST", "/v3/users/ana/blockedusers", Some(json!({"blockedUids": ["ben"]}))).await;
    assert_eq!(again["ben"]["success"], true, "blocking twice changes nothing");
    assert_eq!(api.app.count("blocked_users").await, 2);

    let undone = api.ok("DELETE", "/v3/users/ana/blockedusers", Some(json!({"blockedUids": ["ben", "dan"]}))).await;
    assert_eq!(undone["ben"]["success"], true);
    assert_eq!(undone["dan"]["error"]["code"], "ERR_NOT_BLOCKED");
    assert_eq!(uids(&blocked(&api, "ana").await), ["cat"]);
    let actions: Vec<String> = api.app.audit_rows().await.into_iter().map(|row| row.1).collect();
    let blocks: Vec<&String> = actions.iter().filter(|a| a.ends_with("block")).collect();
    assert_eq!(blocks, ["user.block", "user.block", "user.unblock"], "each change once, and no change none");

    let too_many: Vec<String> = (0..26).map(|n| format!("u{n}")).collect();
    let res = api.call("POST", "/v3/users/ana/blockedusers", Some(json!({"blockedUids": too_many}))).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_BLOCKED_LIMIT".into()));
    let res = api.call("POST", "/v3/users/ana/blockedusers", Some(json!({"uids": ["ben"]}))).await;
    assert_eq!(error_of(res).await.0, StatusCode::BAD_REQUEST, "blockedUids is the documented field");
    let res = api.call("POST", "/v3/users/nobody/blockedusers", Some(json!({"blockedUids": ["ben"]}))).await;
    assert_eq!(error_of(res).await, (StatusCode::NOT_FOUND, "ERR_UID_NOT_FOUND".into()));
    assert_eq!(api.app.count("blocked_users").await, 1, "a refused call writes nothing");
}

async fn blocked_users_are_listed_with_when_and_their_conversation(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "cat", "dan"]).await;
    api.ok("POST", "/v3/users/cat/blockedusers", Some(json!({"blockedUids": ["ana", "ben", "dan"]}))).await;
    let listed = blocked(&api, "cat").await;
    assert_eq!(uids(&listed), ["ana", "ben", "dan"]);
    let ana = &listed["data"][0];
    assert_eq!((ana["blockedByMe"].as_bool(), ana["conversationId"].as_str()), (Some(true), Some("ana_user_cat")));
    assert!(ana["blockedAt"].as_i64().unwrap() > 0);
    assert_eq!(ana["blockedByMeAt"], ana["blockedAt"]);
    assert_eq!(listed["meta"]["pagination"]["total"], 3);
    let second = api.call("GET", "/v3/users/cat/blockedusers?perPage=2&page=2", None).await;
    assert_eq!(uids(&second.json::<Value>().await.unwrap()), ["dan"]);
    assert!(uids(&blocked(&api, "ana").await).is_empty(), "blocking goes one way");

    api.ok("DELETE", "/v3/users/ben", Some(json!({"permanent": true}))).await;
    assert_eq!(uids(&blocked(&api, "cat").await), ["ana", "dan"], "a user deleted for good leaves the list");
    let res = api.call("GET", "/v3/users/cat/blockedusers?perPage=0", None).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_INVALID_PER_PAGE".into()));
}

async fn two_users_one_of_whom_blocked_the_other_write_to_each_other_neither_way(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "cat"]).await;
    api.ok("POST", "/v3/users/ana/blockedusers", Some(json!({"blockedUids": ["ben"]}))).await;
    let before = api.app.count("messages").await;
    let res = api.call_as("ana", "POST", "/v3/messages", Some(text("ben", "user", "hi"))).await;
    assert_eq!(error_of(res).await, (StatusCode::FORBIDDEN, "ERR_BLOCKED_RECEIVER".into()));
    let res = api.call_as("ben", "POST", "/v3/messages", Some(text("ana", "user", "hi"))).await;
    assert_eq!(error_of(res).await, (StatusCode::FORBIDDEN, "ERR_BLOCKED_SENDER".into()));
    let mut many = text("cat", "user", "to both");
    many["multipleReceivers"] = json!({"uids": ["ben"]});
    let sent = data_of(api.call_as("ana", "POST", "/v3/messages", Some(many)).await).await;
    assert_eq!(
        (sent["uids"]["cat"]["success"].as_bool(), sent["uids"]["ben"]["error"]["code"].as_str()),
        (Some(true), Some("ERR_BLOCKED_RECEIVER"))
    );
    assert_eq!(api.app.count("messages").await, before + 1, "only the message to cat was written");

    api.ok("DELETE", "/v3/users/ana/blockedusers", Some(json!({"blockedUids": ["ben"]}))).await;
    api.text("ben", "ana", "user", "again").await;
}

async fn lists_read_for_the_blocker_hide_the_blocked_and_mentions_say_who_blocked_whom(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "cat"]).await;
    api.club(&["ben", "cat"]).await;
    for (from, said) in [("ben", "from ben"), ("cat", "hi <@uid:ben> and <@uid:ana>")] {
        api.text(from, "club", "group", said).await;
    }
    api.ok("POST", "/v3/users/ana/blockedusers", Some(json!({"blockedUids": ["ben"]}))).await;
    api.ok("POST", "/v3/users/cat/blockedusers", Some(json!({"blockedUids": ["ana"]}))).await;
    let read = |uid: &'static str, query: &'static str| {
        let api = &api;
        async move {
            let res = api.call_as(uid, "GET", &format!("/v3/groups/club/messages?{query}"), None).await;
            assert_eq!(res.status(), StatusCode::OK, "{query}");
            res.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(
        message_texts(&read("ana", "hideMessagesFromBlockedUsers=true").await),
        ["hi <@uid:ben> and <@uid:ana>"]
    );
    assert_eq!(message_texts(&read("ana", "hideMessagesFromBlockedUsers=false").await).len(), 2);
    assert_eq!(
        message_texts(&read("cat", "hideMessagesFromBlockedUsers=true").await).len(),
        2,
        "cat blocked no sender"
    );
    let for_the_app = api.listed_at("/v3/groups/club/messages?hideMessagesFromBlockedUsers=true").await;
    assert_eq!(message_texts(&for_the_app).len(), 2, "nobody blocks the app");

    let page = read("ana", "hasMentions=true&mentionsWithBlockedInfo=true").await;
    let mentioned = page["data"][0]["mentionedUsers"].as_array().unwrap();
    let flags = |uid: &str| {
        let user = mentioned.iter().find(|u| u["uid"] == uid).unwrap();
        (user["blockedByMe"].as_bool(), user["hasBlockedMe"].as_bool())
    };
    assert_eq!(flags("ben"), (Some(true), Some(false)), "ana blocked ben");
    assert_eq!(flags("ana"), (Some(false), Some(false)), "nobody blocks themselves");
    let page = read("cat", "hasMentions=true&mentionsWithBlockedInfo=true").await;
    let ana = page["data"][0]["mentionedUsers"].as_array().unwrap().iter().find(|u| u["uid"] == "ana").cloned();
    assert_eq!(ana.map(|a| a["blockedByMe"].clone()), Some(json!(true)), "cat blocked ana");
    let plain = read("ana", "hasMentions=true").await;
    assert!(plain["data"][0]["mentionedUsers"][0].get("blockedByMe").is_none(), "only when asked for");
}
