//! What CometChat's wire format asks of each answer and request, one shape
//! at a time: keys named by themselves, token updates, values left out
//! rather than null, presence words, message ids as text, and message
//! lists paged by `affix` and `id`.

use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::domain::{Environment, KeyScope};

use crate::common::{Api, Backend, data_of, error_of};
use crate::on_both_backends;

on_both_backends!(
    a_key_is_found_updated_and_revoked_by_the_key_itself,
    a_production_auth_key_is_never_raised_to_full_access,
    an_auth_tokens_device_is_updated_through_the_token,
    absent_values_are_left_out_and_presence_is_available_or_offline,
    a_group_update_with_an_owner_hands_the_group_over_or_changes_nothing,
    a_message_id_is_text_and_a_muid_comes_back_with_its_message,
    message_lists_page_by_affix_and_id_with_cometchats_meta,
    each_removal_answers_success_with_cometchats_words,
    groups_are_searched_in_a_field_and_listed_by_update_time_and_members_by_presence,
    a_message_list_filters_by_conversation_categories_types_and_attachments,
    a_message_to_multiple_receivers_answers_each_receivers_outcome,
);

async fn a_message_to_multiple_receivers_answers_each_receivers_outcome(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "cat"]).await;
    api.ok("POST", "/v3/groups", Some(json!({"guid": "club", "name": "Club", "owner": "ana"}))).await;
    api.ok("POST", "/v3/groups", Some(json!({"guid": "closed", "name": "Closed", "type": "private", "owner": "ben"})))
        .await;
    let body = json!({"receiver": "ben", "receiverType": "user", "category": "message", "type": "text",
                      "data": {"text": "to all"}, "muid": "m-1",
                      "multipleReceivers": {"uids": ["cat", "ben", "nobody"], "guids": ["club", "closed"]}});
    let before = api.app.count("messages").await;
    let sent = data_of(api.call_as("ana", "POST", "/v3/messages", Some(body)).await).await;
    for uid in ["ben", "cat"] {
        assert_eq!(sent["uids"][uid]["success"], true, "{sent}");
        assert_eq!(sent["uids"][uid]["data"]["receiver"], uid);
        assert_eq!(sent["uids"][uid]["data"]["muid"], "m-1");
    }
    assert_eq!(sent["guids"]["club"]["data"]["conversationId"], "group_club");
    assert_eq!(sent["uids"]["nobody"]["error"]["code"], "ERR_UID_NOT_FOUND");
    assert_eq!(sent["guids"]["closed"]["success"], false, "ana is not in the private group: {sent}");
    assert_eq!(api.app.count("messages").await - before, 3, "one message to each receiver that may get it");

    let before = api.app.count("messages").await;
    let uids: Vec<String> = (0..26).map(|n| format!("u{n}")).collect();
    let too_many =
        json!({"category": "message", "type": "text", "data": {"text": "x"}, "multipleReceivers": {"uids": uids}});
    let res = api.call_as("ana", "POST", "/v3/messages", Some(too_many)).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_TOO_MANY_RECEIVERS".into()));
    let nobody = json!({"category": "message", "type": "text", "data": {"text": "x"}});
    let res = api.call_as("ana", "POST", "/v3/messages", Some(nobody)).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_EMPTY_RECEIVER".into()));
    assert_eq!(api.app.count("messages").await, before, "a refused send writes nothing");
}

async fn a_message_list_filters_by_conversation_categories_types_and_attachments(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "cat"]).await;
    api.ok("POST", "/v3/groups", Some(json!({"guid": "club", "name": "Club", "owner": "ana"}))).await;
    let send = |to: &str, kind: &str, category: &str, message_type: &str, data: Value| json!({"receiver": to, "receiverType": kind, "category": category, "type": message_type, "data": data});
    let image = json!({"attachments": [{"url": "https://x.example/a.png", "name": "a.png", "mimeType": "image/png", "size": 1}]});
    let mut ids = std::collections::HashMap::new();
    for (name, body) in [
        ("text to ben", send("ben", "user", "message", "text", json!({"text": "hi"}))),
        ("image to ben", send("ben", "user", "message", "image", image)),
        ("custom to ben", send("ben", "user", "custom", "location", json!({"customData": {"lat": 1}}))),
        ("text to cat", send("cat", "user", "message", "text", json!({"text": "hi"}))),
        ("text to club", send("club", "group", "message", "text", json!({"text": "hi"}))),
    ] {
        let sent = data_of(api.call_as("ana", "POST", "/v3/messages", Some(body)).await).await;
        ids.insert(sent["id"].as_str().unwrap().to_owned(), name);
    }
    let names = |page: Value| -> Vec<&str> {
        let mut found: Vec<&str> = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| ids.get(m["id"].as_str().unwrap()).copied())
            .collect();
        found.sort_unstable();
        found
    };
    let with_ben = api.listed_at("/v3/messages?conversationId=ana_user_ben").await;
    assert_eq!(names(with_ben), ["custom to ben", "image to ben", "text to ben"]);
    assert_eq!(names(api.listed_at("/v3/messages?conversationId=group_club&category=message").await), ["text to club"]);
    let kinds = api.listed_at("/v3/messages?categories=custom,message&types=location,image").await;
    assert_eq!(names(kinds), ["custom to ben", "image to ben"]);
    assert_eq!(names(api.listed_at("/v3/messages?hasAttachments=true").await), ["image to ben"]);
    assert_eq!(names(api.listed_at("/v3/messages?attachmentTypes=video").await), Vec::<&str>::new());
    assert!(api.listed_at("/v3/messages?hasReactions=true").await["data"].as_array().unwrap().is_empty());
    for (query, code) in [
        ("conversationId=ben_user_ana", "ERR_INVALID_CONVERSATION_ID"),
        ("attachmentTypes=text", "ERR_INVALID_ATTACHMENT_TYPE"),
        ("categories=gossip", "ERR_INVALID_MESSAGE_CATEGORY"),
    ] {
        assert_eq!(
            api.err("GET", &format!("/v3/messages?{query}"), None).await,
            (StatusCode::BAD_REQUEST, code.into()),
            "{query}"
        );
    }
}

async fn groups_are_searched_in_a_field_and_listed_by_update_time_and_members_by_presence(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben"]).await;
    api.ok("POST", "/v3/groups", Some(json!({"guid": "hikers", "name": "Climbers", "owner": "ana"}))).await;
    api.ok("POST", "/v3/groups", Some(json!({"guid": "climbers", "name": "Hikers"}))).await;
    let guids = |page: Value| -> Vec<String> {
        page["data"].as_array().unwrap().iter().map(|g| g["guid"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(guids(api.listed_at("/v3/groups?searchKey=hik&searchIn=guid").await), ["hikers"]);
    assert_eq!(guids(api.listed_at("/v3/groups?searchKey=hik&searchIn=name").await), ["climbers"]);
    assert_eq!(guids(api.listed_at("/v3/groups?searchKey=hik&searchIn=name,guid").await).len(), 2);
    assert_eq!(api.err("GET", "/v3/groups?searchIn=owner", None).await.1, "ERR_INVALID_SEARCH_IN");

    let hikers = api.ok("GET", "/v3/groups/hikers", None).await;
    let at = hikers["updatedAt"].as_i64().unwrap();
    assert_eq!(guids(api.listed_at(&format!("/v3/groups?updatedAt={}&affix=append", at - 1)).await).len(), 2);
    assert!(guids(api.listed_at(&format!("/v3/groups?updatedAt={at}&affix=prepend")).await).is_empty());
    assert_eq!(api.err("GET", "/v3/groups?updatedAt=1&affix=sideways", None).await.1, "ERR_INVALID_AFFIX");

    let members = api.listed_at("/v3/groups/hikers/members?status=offline").await;
    assert_eq!(members["data"][0]["uid"], "ana");
    assert!(api.listed_at("/v3/groups/hikers/members?status=available").await["data"].as_array().unwrap().is_empty());
    assert_eq!(api.err("GET", "/v3/groups/hikers/members?status=away", None).await.1, "ERR_INVALID_STATUS");
}

async fn each_removal_answers_success_with_cometchats_words(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "cat"]).await;
    api.ok("POST", "/v3/roles", Some(json!({"role": "vip", "name": "VIP"}))).await;
    let members = json!({"participants": ["ben", "cat"]});
    api.ok("POST", "/v3/groups", Some(json!({"guid": "club", "name": "Club", "owner": "ana", "members": members})))
        .await;
    let token = api.ok("POST", "/v3/users/cat/auth_tokens", None).await["authToken"].as_str().unwrap().to_owned();
    let removals = [
        (
            "DELETE",
            "/v3/groups/club/members/ben".to_owned(),
            "The user with uid ben has been kicked from the Group with club.",
        ),
        (
            "POST",
            "/v3/groups/club/bannedusers/cat".to_owned(),
            "The user with uid cat has been banned from the Group with club.",
        ),
        (
            "DELETE",
            "/v3/groups/club/bannedusers/cat".to_owned(),
            "The user with uid cat has been unbanned from the Group with club.",
        ),
        ("DELETE", "/v3/groups/club".to_owned(), "Group with guid club has been deleted successfully."),
        ("DELETE", "/v3/roles/vip".to_owned(), "Role vip has been deleted successfully."),
        ("DELETE", "/v3/users/cat/auth_tokens".to_owned(), "Cleared Auth Tokens successfully for uid cat."),
        ("DELETE", "/v3/users/ben".to_owned(), "User with ben has been deleted successfully."),
    ];
    for (method, path, message) in removals {
        let done = api.ok(method, &path, None).await;
        assert_eq!(
            (done["success"].clone(), done["message"].as_str()),
            (json!(true), Some(message)),
            "{method} {path}"
        );
    }
    let gone = api
        .ok(
            "DELETE",
            &format!(
                "/v3/users/ana/auth_tokens/{}",
                api.ok("POST", "/v3/users/ana/auth_tokens", None).await["authToken"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(gone["success"], true);
    assert!(gone["message"].as_str().unwrap().ends_with("of uid ana has been deleted successfully."));
    assert_eq!(api.err("GET", &format!("/v3/users/cat/auth_tokens/{token}"), None).await.1, "ERR_AUTH_TOKEN_NOT_FOUND");
}

async fn a_key_is_found_updated_and_revoked_by_the_key_itself(backend: Backend) {
    let api = Api::new(backend).await;
    let created = api.ok("POST", "/v3/apikeys", Some(json!({"name": "Worker", "scope": "authOnly"}))).await;
    let key = created["apiKey"].as_str().unwrap().to_owned();

    let found = api.ok("GET", &format!("/v3/apikeys/{key}"), None).await;
    assert_eq!((found["id"].clone(), found["apiKey"].as_str()), (created["id"].clone(), Some(key.as_str())));
    let by_id = api.ok("GET", &format!("/v3/apikeys/{}", created["id"]), None).await;
    assert!(by_id.get("apiKey").is_none(), "a key named by its id is not shown");

    let changed =
        api.ok("PUT", &format!("/v3/apikeys/{key}"), Some(json!({"name": "Server", "scope": "fullAccess"}))).await;
    assert_eq!((changed["name"].as_str(), changed["scope"].as_str()), (Some("Server"), Some("fullAccess")));
    let revoked = api.ok("DELETE", &format!("/v3/apikeys/{key}"), None).await;
    assert_eq!(revoked["success"], true);
    assert_eq!(revoked["message"], format!("The Api Key {key} has been deleted successfully."));
    assert!(revoked["revokedAt"].is_i64());

    let listed = api.listed_at("/v3/apikeys?scope=fullAccess&searchKey=serv").await;
    let names: Vec<&str> = listed["data"].as_array().unwrap().iter().map(|k| k["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Server"]);
    assert_eq!(listed["meta"]["pagination"]["total"], 1);
    let unknown = api.err("GET", &format!("/v3/apikeys/{}", "f".repeat(40)), None).await;
    assert_eq!(unknown, (StatusCode::NOT_FOUND, "ERR_APIKEY_NOT_FOUND".into()));
}

async fn a_production_auth_key_is_never_raised_to_full_access(backend: Backend) {
    let development = Api::new(backend).await;
    let app_id = development.app.create_app(Environment::Production).await;
    let (_, rest_key) = development.app.create_key(&app_id, KeyScope::FullAccess).await;
    let (id, _) = development.app.create_key(&app_id, KeyScope::AuthOnly).await;
    let api = Api { app: development.app, app_id, key: rest_key };

    let raise = api.err("PUT", &format!("/v3/apikeys/{id}"), Some(json!({"scope": "fullAccess"}))).await;
    assert_eq!(raise, (StatusCode::BAD_REQUEST, "ERR_APIKEY_SCOPE_RAISE".into()));
    assert_eq!(api.ok("GET", &format!("/v3/apikeys/{id}"), None).await["scope"], "authOnly", "nothing changed");
    let unknown = api.err("PUT", &format!("/v3/apikeys/{id}"), Some(json!({"scope": "root"}))).await;
    assert_eq!(unknown, (StatusCode::BAD_REQUEST, "ERR_INVALID_APIKEY_SCOPE".into()));
}

async fn an_auth_tokens_device_is_updated_through_the_token(backend: Backend) {
    let api = Api::new(backend).await;
    api.user("ana", "Ana").await;
    let token = api.ok("POST", "/v3/users/ana/auth_tokens", None).await["authToken"].as_str().unwrap().to_owned();
    let path = format!("/v3/users/ana/auth_tokens/{token}");

    let device = json!({"platform": "ios", "userAgent": "Chat/4.0", "appInfo": {"version": "4.0.0"}});
    let updated = api.ok("PUT", &path, Some(device)).await;
    assert_eq!((updated["platform"].as_str(), updated["userAgent"].as_str()), (Some("ios"), Some("Chat/4.0")));
    assert_eq!(updated["appInfo"], r#"{"version":"4.0.0"}"#, "appInfo is given back as text, as documented");
    let kept = api.ok("PUT", &path, Some(json!({"platform": "android"}))).await;
    assert_eq!((kept["platform"].as_str(), kept["userAgent"].as_str()), (Some("android"), Some("Chat/4.0")));

    let audit_before = api.app.count("audit_log").await;
    for (body, code) in [
        (json!({"appInfo": "4.0"}), "ERR_INVALID_DEVICE"),
        (json!({"platform": "x".repeat(201)}), "ERR_INVALID_DEVICE"),
        (json!({"colour": "red"}), "ERR_BAD_REQUEST"),
    ] {
        assert_eq!(api.err("PUT", &path, Some(body.clone())).await, (StatusCode::BAD_REQUEST, code.into()), "{body}");
    }
    let unknown = api.err("PUT", "/v3/users/ana/auth_tokens/ana_no_such_token", Some(json!({}))).await;
    assert_eq!(unknown, (StatusCode::NOT_FOUND, "ERR_AUTH_TOKEN_NOT_FOUND".into()));
    assert_eq!(api.app.count("audit_log").await, audit_before, "refused updates write nothing");
}

async fn absent_values_are_left_out_and_presence_is_available_or_offline(backend: Backend) {
    let api = Api::new(backend).await;
    let user = api.user("ana", "Ana").await;
    for absent in ["avatar", "link", "metadata", "statusMessage", "lastActiveAt", "deactivatedAt"] {
        assert!(user.get(absent).is_none(), "{absent} is left out, not null: {user}");
    }
    assert_eq!(user["status"], "offline");
    let listed = api.listed_at("/v3/users?status=offline").await;
    assert_eq!(listed["data"][0]["uid"], "ana");
    assert!(listed["meta"]["cursor"].get("next").is_none(), "the last page names no next cursor");
    assert!(api.listed_at("/v3/users?status=available").await["data"].as_array().unwrap().is_empty());
    assert_eq!(api.err("GET", "/v3/users?status=online", None).await.1, "ERR_INVALID_STATUS");

    let group = api.ok("POST", "/v3/groups", Some(json!({"guid": "club", "name": "Club"}))).await;
    for absent in ["icon", "description", "metadata", "owner"] {
        assert!(group.get(absent).is_none(), "{absent} is left out, not null: {group}");
    }
    assert_eq!(group["conversationId"], "group_club");
    let token = api.ok("POST", "/v3/users/ana/auth_tokens", None).await;
    for absent in ["platform", "userAgent", "appInfo", "lastUsedAt"] {
        assert!(token.get(absent).is_none(), "{absent} is left out, not null: {token}");
    }
}

async fn a_group_update_with_an_owner_hands_the_group_over_or_changes_nothing(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben", "cat"]).await;
    let members = json!({"participants": ["ben"]});
    api.ok("POST", "/v3/groups", Some(json!({"guid": "club", "name": "Club", "owner": "ana", "members": members})))
        .await;

    let refused = api.err("PUT", "/v3/groups/club", Some(json!({"name": "Cat's club", "owner": "cat"}))).await;
    assert_eq!(refused, (StatusCode::NOT_FOUND, "ERR_NOT_A_MEMBER".into()));
    assert_eq!(api.ok("GET", "/v3/groups/club", None).await["name"], "Club", "nothing of a refused update is written");

    // As CometChat documents, `owner` is ignored when a user acts.
    api.ok("PUT", "/v3/groups/club/members/ben", Some(json!({"scope": "admin"}))).await;
    let by_ben = data_of(api.call_as("ben", "PUT", "/v3/groups/club", Some(json!({"owner": "ben"}))).await).await;
    assert_eq!(by_ben["owner"], "ana");

    let updated = api.ok("PUT", "/v3/groups/club", Some(json!({"name": "Ben's club", "owner": "ben"}))).await;
    assert_eq!((updated["name"].as_str(), updated["owner"].as_str()), (Some("Ben's club"), Some("ben")));
    let ben = api.listed_at("/v3/groups/club/members?scopes=admin").await;
    let admins: Vec<&str> = ben["data"].as_array().unwrap().iter().map(|m| m["uid"].as_str().unwrap()).collect();
    assert!(admins.contains(&"ben"), "the new owner is an admin: {admins:?}");
}

async fn a_message_id_is_text_and_a_muid_comes_back_with_its_message(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben"]).await;
    let body = json!({"receiver": "ben", "receiverType": "user", "category": "message", "type": "text",
                      "data": {"text": "hi"}, "muid": "web-7"});
    let sent = data_of(api.call_as("ana", "POST", "/v3/messages", Some(body)).await).await;
    let id = sent["id"].as_str().expect("a message id is text");
    assert!(id.parse::<i64>().is_ok());
    assert_eq!(sent["muid"], "web-7");
    assert_eq!(sent["updatedAt"], sent["sentAt"]);
    for absent in ["parentId", "editedAt", "deletedAt", "deletedBy", "metadata"] {
        assert!(sent.get(absent).is_none(), "{absent} is left out, not null: {sent}");
    }
    let read = api.ok("GET", &format!("/v3/messages/{id}"), None).await;
    assert_eq!((read["id"].as_str(), read["muid"].as_str()), (Some(id), Some("web-7")));

    let reply = json!({"receiver": "ana", "receiverType": "user", "category": "message", "type": "text",
                       "data": {"text": "hello"}, "parentId": id});
    let reply = data_of(api.call_as("ben", "POST", "/v3/messages", Some(reply)).await).await;
    assert_eq!(reply["parentId"], id, "a parent id is text too, and is taken as text");
    let in_thread = json!({"receiver": "ana", "receiverType": "user", "category": "message", "type": "text",
                           "data": {"text": "and again"}});
    let path = format!("/v3/messages/{id}/thread");
    let threaded = data_of(api.call_as("ben", "POST", &path, Some(in_thread.clone())).await).await;
    assert_eq!(threaded["parentId"], id, "POST /messages/{{id}}/thread replies in that thread");
    let mut elsewhere = in_thread;
    elsewhere["parentId"] = json!(reply["id"].clone());
    let res = api.call_as("ben", "POST", &path, Some(elsewhere)).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_INVALID_MESSAGE_ID".into()));
    let media = json!({"receiver": "ben", "receiverType": "user", "category": "message", "type": "image",
                       "data": {"attachments": [{"url": "https://x.example/a.png", "name": "a.png",
                                                 "mimeType": "image/png", "extension": "png", "size": "2048"}]}});
    assert!(api.call_as("ana", "POST", "/v3/messages", Some(media)).await.status().is_success(), "a size as text");

    let too_long = json!({"receiver": "ben", "receiverType": "user", "category": "message", "type": "text",
                          "data": {"text": "hi"}, "muid": "m".repeat(101)});
    let before = api.app.count("messages").await;
    assert_eq!(error_of(api.call_as("ana", "POST", "/v3/messages", Some(too_long)).await).await.1, "ERR_INVALID_MUID");
    assert_eq!(api.app.count("messages").await, before);
}

fn ids(page: &Value) -> Vec<i64> {
    page["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().parse().unwrap()).collect()
}

async fn message_lists_page_by_affix_and_id_with_cometchats_meta(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "ben"]).await;
    let mut sent = Vec::new();
    for n in 0..5 {
        let body = json!({"receiver": "ben", "receiverType": "user", "category": "message", "type": "text",
                          "data": {"text": format!("m{n}")}});
        let message = data_of(api.call_as("ana", "POST", "/v3/messages", Some(body)).await).await;
        sent.push(message["id"].as_str().unwrap().parse::<i64>().unwrap());
    }
    let api = &api;
    let list = |query: String| async move {
        let res = api.call_as("ana", "GET", &format!("/v3/users/ben/messages?{query}"), None).await;
        assert_eq!(res.status(), StatusCode::OK, "{query}");
        res.json::<Value>().await.unwrap()
    };

    let first = list("affix=append&limit=2".into()).await;
    assert_eq!(ids(&first), sent[..2]);
    assert_eq!(first["meta"]["current"], json!({"limit": 2, "count": 2}));
    let next = &first["meta"]["next"];
    assert_eq!((next["affix"].as_str(), next["id"].clone()), (Some("append"), json!(sent[1].to_string())));
    assert!(next["sentAt"].is_i64());
    let second = list(format!("affix=append&limit=2&id={}", next["id"].as_str().unwrap())).await;
    assert_eq!(ids(&second), sent[2..4]);
    let last = list(format!("affix=append&limit=2&id={}", sent[3])).await;
    assert_eq!(ids(&last), sent[4..]);
    assert!(last["meta"].get("next").is_none(), "the last page has no next");

    let before = list(format!("affix=prepend&limit=2&id={}", sent[4])).await;
    assert_eq!(ids(&before), sent[2..4], "the messages before an id, oldest first");
    assert_eq!(before["meta"]["next"]["affix"], "prepend");
    assert_eq!(before["meta"]["next"]["id"], sent[2].to_string());
    let newest = list("affix=prepend&limit=2".into()).await;
    assert_eq!(ids(&newest), sent[3..]);

    assert_eq!(ids(&list("limit=1000".into()).await).len(), 5, "up to 1,000 a page");
    for (query, code) in [
        ("limit=1001", "ERR_INVALID_LIMIT"),
        ("affix=sideways", "ERR_INVALID_AFFIX"),
        ("id=abc", "ERR_INVALID_MESSAGE_ID"),
    ] {
        let res = api.call_as("ana", "GET", &format!("/v3/users/ben/messages?{query}"), None).await;
        assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, code.into()), "{query}");
    }
}
