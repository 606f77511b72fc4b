//! The message-list parameters CometChat documents that read a message's
//! text or the reader's state: `searchKey`, `hasLinks`, mentions, a user's
//! own messages across conversations, and what they have not read.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Api, Backend, data_of, error_of, message_texts as texts};
use crate::on_both_backends;

on_both_backends!(
    a_list_searches_the_text_in_any_case_and_finds_links,
    a_message_carries_the_users_it_mentions_and_lists_filter_on_them,
    the_apps_list_read_for_a_user_holds_only_their_conversations,
    unread_lists_what_the_reader_has_not_read_and_count_says_how_many,
);

/// Sends `text` from `from`, and answers the message's id.
async fn send(api: &Api, from: &str, (receiver, receiver_type): (&str, &str), text: &str) -> String {
    api.text(from, receiver, receiver_type, text).await["id"].as_str().unwrap().to_owned()
}

/// A list read as user `uid`.
async fn listed_as(api: &Api, uid: &str, path: &str) -> Value {
    let res = api.call_as(uid, "GET", path, None).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json().await.unwrap()
}

async fn a_list_searches_the_text_in_any_case_and_finds_links(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben"]).await;
    for text in
        ["Lunch at noon?", "see https://example.com/menu", "LUNCH moved", "100% sure", "snake_case", "www.x.org"]
    {
        send(&api, "ana", ("ben", "user"), text).await;
    }
    let found = |query: &'static str| {
        let api = &api;
        async move { texts(&api.listed_at(&format!("/v3/messages?{query}")).await) }
    };
    assert_eq!(found("searchKey=lunch").await, ["Lunch at noon?", "LUNCH moved"]);
    assert_eq!(found("searchKey=100%25").await, ["100% sure"], "a % is a character, not a wildcard");
    assert_eq!(found("searchKey=e_c").await, ["snake_case"], "an _ is a character, not a wildcard");
    assert_eq!(found("searchKey=").await.len(), 6, "an empty searchKey searches nothing");
    assert_eq!(found("hasLinks=true").await, ["see https://example.com/menu", "www.x.org"]);
    assert_eq!(found("hasLinks=true&searchKey=menu").await, ["see https://example.com/menu"]);
    assert_eq!(texts(&listed_as(&api, "ben", "/v3/users/ana/messages?searchKey=lunch").await).len(), 2);
}

async fn a_message_carries_the_users_it_mentions_and_lists_filter_on_them(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "cat"]).await;
    api.ok("PUT", "/v3/users/cat", Some(json!({"tags": ["vip"]}))).await;
    api.club(&["ben", "cat"]).await;
    let both = send(&api, "ana", ("club", "group"), "hi <@uid:Ben> and <@uid:cat>, <@uid:ghost>").await;
    send(&api, "ana", ("club", "group"), "hi <@uid:cat>").await;
    send(&api, "ana", ("club", "group"), "no one").await;

    let read_by_ben = data_of(api.call_as("ben", "GET", &format!("/v3/messages/{both}"), None).await).await;
    let mentioned: Vec<&str> =
        read_by_ben["mentionedUsers"].as_array().unwrap().iter().map(|u| u["uid"].as_str().unwrap()).collect();
    assert_eq!(mentioned, ["ben", "cat"], "in order, each once, and only users that exist");
    assert_eq!(read_by_ben["mentionedUsers"][0]["name"], "User ben");
    assert_eq!(read_by_ben["mentionedMe"], true);
    let for_the_app = api.ok("GET", &format!("/v3/messages/{both}"), None).await;
    assert!(for_the_app.get("mentionedMe").is_none(), "the app is never mentioned: {for_the_app}");
    assert!(for_the_app["mentionedUsers"][1].get("tags").is_none(), "tags only when asked for");

    let group = "/v3/groups/club/messages";
    assert_eq!(texts(&api.listed_at(&format!("{group}?hasMentions=true")).await).len(), 2);
    assert_eq!(texts(&api.listed_at(&format!("{group}?mentionedUids=BEN")).await).len(), 1);
    assert_eq!(texts(&api.listed_at(&format!("{group}?mentionedUids=ben,cat")).await).len(), 2);
    assert_eq!(texts(&listed_as(&api, "ben", &format!("{group}?myMentionsOnly=true")).await).len(), 1);
    assert_eq!(texts(&listed_as(&api, "cat", &format!("{group}?myMentionsOnly=true")).await).len(), 2);
    let tagged = listed_as(&api, "cat", &format!("{group}?hasMentions=true&mentionsWithTagInfo=true")).await;
    let cat = tagged["data"][0]["mentionedUsers"].as_array().unwrap().iter().find(|u| u["uid"] == "cat").unwrap();
    assert_eq!(cat["tags"], json!(["vip"]));
    let plain = api.listed_at(&format!("{group}?searchKey=no%20one")).await;
    assert!(plain["data"][0].get("mentionedUsers").is_none(), "none mentioned, none listed: {plain}");
    let res = api.call("GET", &format!("{group}?myMentionsOnly=true"), None).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_ONBEHALFOF_REQUIRED".into()));
}

async fn the_apps_list_read_for_a_user_holds_only_their_conversations(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "cat"]).await;
    api.club(&["ben"]).await;
    api.ok("POST", "/v3/groups", Some(json!({"guid": "other", "name": "Other", "owner": "cat"}))).await;
    send(&api, "ana", ("ben", "user"), "ana to ben").await;
    send(&api, "cat", ("ben", "user"), "cat to ben").await;
    send(&api, "ana", ("club", "group"), "ana in club").await;
    send(&api, "cat", ("other", "group"), "cat in other").await;
    send(&api, "ana", ("cat", "user"), "ana to cat").await;

    let ben = listed_as(&api, "ben", "/v3/messages").await;
    assert_eq!(texts(&ben), ["ana to ben", "cat to ben", "ana in club"]);
    let from_ana = listed_as(&api, "ben", "/v3/messages?sender=ana").await;
    assert_eq!(texts(&from_ana), ["ana to ben", "ana in club"], "sender narrows to their common conversations");
    assert_eq!(texts(&api.listed_at("/v3/messages?category=message").await).len(), 5, "the app reads them all");
    let res = api.call_as("nobody", "GET", "/v3/messages", None).await;
    assert_eq!(error_of(res).await, (StatusCode::NOT_FOUND, "ERR_UID_NOT_FOUND".into()));
}

async fn unread_lists_what_the_reader_has_not_read_and_count_says_how_many(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben"]).await;
    api.club(&["ben"]).await;
    send(&api, "ben", ("ana", "user"), "ben's own").await;
    let first = send(&api, "ana", ("ben", "user"), "one").await;
    send(&api, "ana", ("ben", "user"), "two").await;
    send(&api, "ana", ("ben", "user"), "three").await;
    send(&api, "ana", ("club", "group"), "in club").await;
    let read = json!({"messageId": first});
    api.call_as("ben", "POST", "/v3/users/ben/conversations/read", Some(read)).await;

    let unread = listed_as(&api, "ben", "/v3/users/ana/messages?unread=true&count=true").await;
    assert_eq!(texts(&unread), ["two", "three"], "past the read mark, and not ben's own");
    assert_eq!(unread["meta"]["unreadCount"], 2);
    let page = listed_as(&api, "ben", "/v3/users/ana/messages?count=true&limit=1").await;
    assert_eq!(page["meta"]["unreadCount"], 2, "the count is the conversation's, not the page's");
    assert_eq!(page["meta"]["current"]["count"], 1);
    let group = listed_as(&api, "ben", "/v3/groups/club/messages?unread=true&count=true").await;
    assert_eq!((texts(&group), &group["meta"]["unreadCount"]), (vec!["in club".to_owned()], &json!(1)));
    let everywhere = listed_as(&api, "ben", "/v3/messages?unread=true").await;
    assert_eq!(texts(&everywhere), ["two", "three", "in club"]);
    let for_the_app = api.listed_at("/v3/groups/club/messages?count=true").await;
    assert!(for_the_app["meta"].get("unreadCount").is_none(), "the app reads nothing: {for_the_app}");
    let as_ana = listed_as(&api, "ana", "/v3/users/ben/messages?unread=true").await;
    assert_eq!(texts(&as_ana), Vec::<String>::new(), "sending reads a conversation up to what one sent");
}
