//! Reactions to messages, on both databases: a user reacts once per
//! reaction and takes it back; messages carry the counts; who reacted is
//! listed a page at a time; only the parties of a conversation react.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Api, Backend, data_of, error_of};
use crate::on_both_backends;

on_both_backends!(
    a_user_reacts_once_per_reaction_and_the_message_counts_them,
    who_reacted_is_listed_oldest_first_a_page_at_a_time,
    only_the_parties_react_and_each_kind_of_bad_reaction_gets_its_code,
    has_reactions_lists_the_messages_reacted_to_and_reactions_go_with_their_message,
);

/// Ana writes to ben; answers the message's id.
async fn a_message(api: &Api) -> String {
    let body = json!({"receiver": "ben", "receiverType": "user", "category": "message", "type": "text",
                      "data": {"text": "lunch?"}});
    let sent = data_of(api.call_as("ana", "POST", "/v3/messages", Some(body)).await).await;
    sent["id"].as_str().unwrap().to_owned()
}

async fn react(api: &Api, uid: &str, method: &str, id: &str, reaction: &str) -> reqwest::Response {
    api.call_as(uid, method, &format!("/v3/messages/{id}/reactions/{reaction}"), None).await
}

fn counts(message: &Value) -> Vec<(String, i64, Option<bool>)> {
    let reactions = message["reactions"].as_array().cloned().unwrap_or_default();
    reactions
        .iter()
        .map(|r| (r["reaction"].as_str().unwrap().to_owned(), r["count"].as_i64().unwrap(), r["reactedByMe"].as_bool()))
        .collect()
}

async fn a_user_reacts_once_per_reaction_and_the_message_counts_them(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben"]).await;
    let id = a_message(&api).await;
    let answered = data_of(react(&api, "ben", "POST", &id, "😀").await).await;
    assert_eq!(counts(&answered), [("😀".to_owned(), 1, Some(true))]);
    assert_eq!(answered["data"]["entities"]["sender"]["entity"]["uid"], "ana", "the message, as REST shows it");
    let again = data_of(react(&api, "ben", "POST", &id, "😀").await).await;
    assert_eq!(counts(&again), [("😀".to_owned(), 1, Some(true))], "reacting twice changes nothing");
    data_of(react(&api, "ana", "POST", &id, "😀").await).await;
    data_of(react(&api, "ana", "POST", &id, "👍").await).await;

    let for_ben = data_of(api.call_as("ben", "GET", &format!("/v3/messages/{id}"), None).await).await;
    assert_eq!(counts(&for_ben), [("😀".to_owned(), 2, Some(true)), ("👍".to_owned(), 1, Some(false))]);
    let for_the_app = api.ok("GET", &format!("/v3/messages/{id}"), None).await;
    assert_eq!(counts(&for_the_app), [("😀".to_owned(), 2, None), ("👍".to_owned(), 1, None)]);
    let in_list = api.listed_at("/v3/messages?conversationId=ana_user_ben").await;
    assert_eq!(counts(&in_list["data"][0]).len(), 2, "lists carry the counts too");

    let taken = data_of(react(&api, "ben", "DELETE", &id, "😀").await).await;
    assert_eq!(counts(&taken), [("😀".to_owned(), 1, Some(false)), ("👍".to_owned(), 1, Some(false))]);
    let res = react(&api, "ben", "DELETE", &id, "😀").await;
    assert_eq!(error_of(res).await, (StatusCode::NOT_FOUND, "ERR_REACTION_NOT_FOUND".into()));
    assert_eq!(api.app.count("message_reactions").await, 2);
}

async fn who_reacted_is_listed_oldest_first_a_page_at_a_time(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben"]).await;
    let id = a_message(&api).await;
    for (uid, reaction) in [("ben", "😀"), ("ana", "😀"), ("ana", "👍")] {
        data_of(react(&api, uid, "POST", &id, reaction).await).await;
    }
    let all = api.listed_at(&format!("/v3/messages/{id}/reactions")).await;
    let who: Vec<(&str, &str)> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["uid"].as_str().unwrap(), r["reaction"].as_str().unwrap()))
        .collect();
    assert_eq!(who, [("ben", "😀"), ("ana", "😀"), ("ana", "👍")]);
    let first = &all["data"][0];
    assert_eq!(
        (first["messageId"].as_str(), first["reactedBy"]["name"].as_str()),
        (Some(id.as_str()), Some("User ben"))
    );
    assert!(first["id"].is_string() && first["reactedAt"].is_i64());
    assert_eq!(all["meta"]["current"], json!({"limit": 100, "count": 3}));
    assert!(all["meta"].get("next").is_none());

    let smiles = api.listed_at(&format!("/v3/messages/{id}/reactions/😀?limit=1")).await;
    assert_eq!(smiles["data"][0]["uid"], "ben");
    let next = smiles["meta"]["next"]["id"].as_str().unwrap();
    assert_eq!(smiles["meta"]["next"]["affix"], "append");
    let rest = api.listed_at(&format!("/v3/messages/{id}/reactions/😀?limit=1&id={next}")).await;
    assert_eq!(rest["data"][0]["uid"], "ana");
    assert!(rest["meta"].get("next").is_none(), "{rest}");
    let as_ben = api.call_as("ben", "GET", &format!("/v3/messages/{id}/reactions"), None).await;
    assert_eq!(as_ben.status(), StatusCode::OK, "a party reads who reacted");
}

async fn only_the_parties_react_and_each_kind_of_bad_reaction_gets_its_code(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "cat"]).await;
    let id = a_message(&api).await;
    api.ok("POST", "/v3/groups", Some(json!({"guid": "club", "name": "Club", "owner": "ana"}))).await;
    api.ok("POST", "/v3/groups/club/members", Some(json!({"participants": ["ben"]}))).await;
    let told = api.listed_at("/v3/groups/club/messages?category=action").await;
    let action = told["data"][0]["id"].as_str().unwrap().to_owned();
    let gone = a_message(&api).await;
    api.call_as("ana", "DELETE", &format!("/v3/messages/{gone}"), None).await;
    for (uid, method, path, status, code) in [
        ("cat", "POST", format!("/v3/messages/{id}/reactions/😀"), StatusCode::NOT_FOUND, "ERR_MESSAGE_ID_NOT_FOUND"),
        ("cat", "GET", format!("/v3/messages/{id}/reactions"), StatusCode::NOT_FOUND, "ERR_MESSAGE_ID_NOT_FOUND"),
        ("ben", "POST", format!("/v3/messages/{id}/reactions/a%20b"), StatusCode::BAD_REQUEST, "ERR_INVALID_REACTION"),
        ("ben", "POST", "/v3/messages/x/reactions/😀".into(), StatusCode::BAD_REQUEST, "ERR_INVALID_MESSAGE_ID"),
        ("ben", "POST", "/v3/messages/999999/reactions/😀".into(), StatusCode::NOT_FOUND, "ERR_MESSAGE_ID_NOT_FOUND"),
        (
            "ana",
            "POST",
            format!("/v3/messages/{action}/reactions/😀"),
            StatusCode::CONFLICT,
            "ERR_MESSAGE_ACTION_NOT_ALLOWED",
        ),
        (
            "ben",
            "POST",
            format!("/v3/messages/{gone}/reactions/😀"),
            StatusCode::CONFLICT,
            "ERR_MESSAGE_ACTION_NOT_ALLOWED",
        ),
        ("ben", "GET", format!("/v3/messages/{id}/reactions?limit=0"), StatusCode::BAD_REQUEST, "ERR_INVALID_LIMIT"),
    ] {
        let res = api.call_as(uid, method, &path, None).await;
        assert_eq!(error_of(res).await, (status, code.into()), "{uid}: {method} {path}");
    }
    let res = api.call("POST", &format!("/v3/messages/{id}/reactions/😀"), None).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_ONBEHALFOF_REQUIRED".into()));
    assert_eq!(api.app.count("message_reactions").await, 0, "a refused reaction writes nothing");
}

async fn has_reactions_lists_the_messages_reacted_to_and_reactions_go_with_their_message(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben"]).await;
    let (liked, plain) = (a_message(&api).await, a_message(&api).await);
    data_of(react(&api, "ben", "POST", &liked, "❤️").await).await;
    let reacted = api.listed_at("/v3/messages?hasReactions=true").await;
    let ids: Vec<&str> = reacted["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [liked.as_str()]);
    assert!(api.listed_at("/v3/messages?hasReactions=false").await["data"].as_array().unwrap().len() >= 2);
    assert!(counts(&api.ok("GET", &format!("/v3/messages/{plain}"), None).await).is_empty());

    api.ok("DELETE", &format!("/v3/messages/{liked}"), Some(json!({"permanent": true}))).await;
    assert_eq!(api.app.count("message_reactions").await, 0, "a message removed for good takes its reactions");
    let again = a_message(&api).await;
    data_of(react(&api, "ben", "POST", &again, "😀").await).await;
    api.ok("DELETE", "/v3/users/ben", Some(json!({"permanent": true}))).await;
    assert_eq!(api.app.count("message_reactions").await, 0, "a user removed for good takes theirs");
}
