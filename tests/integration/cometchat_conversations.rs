//! One conversation as CometChat addresses it, by whom it is with, on both
//! databases: read whole, and marked read, unread and delivered up to a
//! message, for a user and in a group.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Api, Backend, data_of, error_of, message_texts};
use crate::on_both_backends;

on_both_backends!(
    a_conversation_is_read_whole_by_whom_it_is_with,
    a_conversation_is_marked_read_unread_and_delivered_up_to_a_message,
);

async fn send(api: &Api, from: &str, (to, receiver_type): (&str, &str), text: &str) -> String {
    api.text(from, to, receiver_type, text).await["id"].as_str().unwrap().to_owned()
}

async fn read_as(api: &Api, uid: &str, path: &str) -> Value {
    data_of(api.call_as(uid, "GET", path, None).await).await
}

async fn mark(api: &Api, uid: &str, method: &str, path: &str, message: Option<&str>) -> Value {
    let body = message.map_or(json!({}), |id| json!({"messageId": id.parse::<i64>().unwrap()}));
    data_of(api.call_as(uid, method, path, Some(body)).await).await
}

async fn a_conversation_is_read_whole_by_whom_it_is_with(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "cat"]).await;
    api.club(&["ben"]).await;
    send(&api, "ana", ("ben", "user"), "one").await;
    send(&api, "ben", ("ana", "user"), "two").await;
    send(&api, "ana", ("club", "group"), "in club").await;

    let with_ben = read_as(&api, "ana", "/v3/users/ben/conversation").await;
    assert_eq!(
        (with_ben["conversationId"].as_str(), with_ben["conversationType"].as_str()),
        (Some("ana_user_ben"), Some("user"))
    );
    assert_eq!(with_ben["unreadMessageCount"], "1", "ben's message, as text, as CometChat writes it");
    assert_eq!(with_ben["lastMessage"]["data"]["text"], "two");
    assert_eq!(with_ben["conversationWith"]["uid"], "ben");
    assert!(with_ben["createdAt"].as_i64().unwrap() <= with_ben["updatedAt"].as_i64().unwrap());
    let with_ana = read_as(&api, "ben", "/v3/users/ana/conversation").await;
    assert_eq!(
        (with_ana["conversationWith"]["uid"].as_str(), with_ana["unreadMessageCount"].as_str()),
        (Some("ana"), Some("0"))
    );
    let club = read_as(&api, "ben", "/v3/groups/club/conversation").await;
    assert_eq!(
        (club["conversationId"].as_str(), club["conversationWith"]["guid"].as_str()),
        (Some("group_club"), Some("club"))
    );
    assert_eq!(club["unreadMessageCount"], "1", "actions are not counted");

    for (uid, path, status, code) in [
        ("cat", "/v3/users/ana/conversation", StatusCode::NOT_FOUND, "ERR_CONVERSATION_NOT_ACCESSIBLE"),
        ("cat", "/v3/groups/club/conversation", StatusCode::NOT_FOUND, "ERR_NOT_A_MEMBER"),
        ("ana", "/v3/users/nobody/conversation", StatusCode::NOT_FOUND, "ERR_UID_NOT_FOUND"),
        ("ana", "/v3/groups/nowhere/conversation", StatusCode::NOT_FOUND, "ERR_GUID_NOT_FOUND"),
    ] {
        assert_eq!(error_of(api.call_as(uid, "GET", path, None).await).await, (status, code.into()), "{uid}: {path}");
    }
    let res = api.call("GET", "/v3/users/ben/conversation", None).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_ONBEHALFOF_REQUIRED".into()));
}

async fn a_conversation_is_marked_read_unread_and_delivered_up_to_a_message(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "cat"]).await;
    api.club(&["ben"]).await;
    let m1 = send(&api, "ana", ("ben", "user"), "m1").await;
    let m2 = send(&api, "ana", ("ben", "user"), "m2").await;
    send(&api, "ana", ("ben", "user"), "m3").await;
    let unread = || {
        let api = &api;
        async move { read_as(api, "ben", "/v3/users/ana/conversation").await["unreadMessageCount"].clone() }
    };
    let path = "/v3/users/ana/conversation/read";
    let done = mark(&api, "ben", "POST", path, Some(&m1)).await;
    assert_eq!(done["success"], true);
    assert_eq!(unread().await, "2");
    mark(&api, "ben", "POST", path, None).await;
    assert_eq!(unread().await, "0", "without a message, up to the last");
    mark(&api, "ben", "DELETE", path, Some(&m2)).await;
    assert_eq!(unread().await, "2", "unread from m2 on");
    mark(&api, "ben", "POST", path, Some(&m1)).await;
    assert_eq!(unread().await, "2", "a read mark never goes back by reading");

    let undelivered = || {
        let api = &api;
        async move { message_texts(&read_as(api, "ben", "/v3/users/ana/messages?undelivered=true").await) }
    };
    mark(&api, "ben", "POST", "/v3/users/ana/conversation/delivered", Some(&m2)).await;
    assert_eq!(undelivered().await, ["m3"]);
    mark(&api, "ben", "POST", "/v3/users/ana/conversation/delivered", None).await;
    assert!(undelivered().await.is_empty());

    let in_club = send(&api, "ana", ("club", "group"), "club").await;
    let club = "/v3/groups/club/conversation";
    assert_eq!(read_as(&api, "ben", club).await["unreadMessageCount"], "1");
    mark(&api, "ben", "POST", &format!("{club}/read"), None).await;
    assert_eq!(read_as(&api, "ben", club).await["unreadMessageCount"], "0");
    mark(&api, "ben", "DELETE", &format!("{club}/read"), Some(&in_club)).await;
    assert_eq!(read_as(&api, "ben", club).await["unreadMessageCount"], "1");

    let other = json!({"messageId": in_club.parse::<i64>().unwrap()});
    let res = api.call_as("ben", "POST", path, Some(other)).await;
    assert_eq!(
        error_of(res).await,
        (StatusCode::NOT_FOUND, "ERR_MESSAGE_ID_NOT_FOUND".into()),
        "a message of another conversation"
    );
    let res = api.call_as("ben", "POST", path, Some(json!({"messageId": 0}))).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_INVALID_MESSAGE_ID".into()));
    let res = api.call_as("ben", "POST", path, Some(json!({"unknown": 1}))).await;
    assert_eq!(error_of(res).await.1, "ERR_BAD_REQUEST");
    let res = api.call_as("cat", "POST", "/v3/users/ana/conversation/read", Some(json!({}))).await;
    assert_eq!(error_of(res).await, (StatusCode::NOT_FOUND, "ERR_CONVERSATION_NOT_ACCESSIBLE".into()));
}
