//! Users, auth tokens and roles over `/v3`, on both databases.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::domain::{AppId, KeyScope, Presence, RoleId, Showing, Uid, UserSort, UserSummary, UserView};
use switchboard::server::{
    auth::Caller,
    service::{
        Paging, apps, auth_tokens, seed,
        users::{self, SearchIn, UserOrder, UserQuery},
    },
};

use crate::common::{Api, Backend, data_of, error_of};
use crate::on_both_backends;

on_both_backends!(
    a_page_number_past_every_page_answers_an_empty_page,
    an_auth_key_creates_users_and_tokens_but_cannot_list_users,
    uids_follow_the_charset_and_ignore_case,
    each_kind_of_bad_user_input_gets_its_code_and_writes_nothing,
    an_update_changes_given_fields_and_unsets_named_ones,
    delete_deactivates_unless_permanent,
    tokens_are_shown_once_and_a_revoked_token_stops_working,
    roles_follow_their_rules,
    every_change_to_roles_shows_in_the_next_list,
    search_filters_and_sorts_find_the_right_users,
    every_list_brings_each_users_tags_in_tag_order,
    cursor_paging_returns_every_user_exactly_once_while_users_are_added,
    friendship_is_symmetric_and_answered_per_uid,
    a_filtered_total_is_counted_up_to_a_thousand_and_says_so,
    a_search_on_uid_or_name_reads_by_the_text_that_matched,
    no_list_reads_the_users_table_without_an_index,
    creates_and_token_issues_sent_at_once_each_get_their_own_answer,
    a_user_matching_on_uid_and_name_is_listed_once_under_whichever_comes_first,
    the_dashboards_summaries_list_the_same_users_as_whole_users_page_by_page,
);

fn uids_on(pages: &[Value]) -> Vec<String> {
    pages
        .iter()
        .flat_map(|page| page["data"].as_array().unwrap())
        .map(|u| u["uid"].as_str().unwrap().to_owned())
        .collect()
}

async fn an_auth_key_creates_users_and_tokens_but_cannot_list_users(backend: Backend) {
    let api = Api::new(backend).await;
    let (_, auth_key) = api.app.create_key(&api.app_id, KeyScope::AuthOnly).await;
    let with_auth_key = |method: &'static str, path: &'static str, body: Option<Value>| {
        api.app.rest(method, path, &api.app_id, &auth_key, body)
    };
    let created = data_of(
        with_auth_key("POST", "/v3/users", Some(json!({"uid": "ana", "name": "Ana", "withAuthToken": true}))).await,
    )
    .await;
    assert_eq!(created["uid"], "ana");
    assert_eq!(created["authToken"].as_str().unwrap().len(), 40);
    let token = data_of(with_auth_key("POST", "/v3/users/ana/auth_tokens", None).await).await;
    assert_eq!(token["authToken"].as_str().unwrap().len(), 40);
    for (method, path) in [
        ("GET", "/v3/users"),
        ("GET", "/v3/users/ana"),
        ("GET", "/v3/users/ana/auth_tokens"),
        ("DELETE", "/v3/users/ana"),
        ("GET", "/v3/roles"),
        ("GET", "/v3/messages"),
        ("GET", "/v3/users/ana/conversations"),
    ] {
        let res = with_auth_key(method, path, None).await;
        assert_eq!(error_of(res).await, (StatusCode::FORBIDDEN, "AUTH_ERR_NO_ACCESS".into()), "{method} {path}");
    }
}

async fn uids_follow_the_charset_and_ignore_case(backend: Backend) {
    let api = Api::new(backend).await;
    for bad in ["has space", "dot.ted", "ümlaut", "", &"a".repeat(101)] {
        let (status, code) = api.err("POST", "/v3/users", Some(json!({"uid": bad, "name": "X"}))).await;
        assert_eq!((status, code.as_str()), (StatusCode::BAD_REQUEST, "ERR_INVALID_UID"), "{bad:?}");
    }
    let created = api.user("Super_Hero-1", "Super Hero").await;
    assert_eq!(created["uid"], "super_hero-1");
    assert_eq!(
        api.err("POST", "/v3/users", Some(json!({"uid": "SUPER_HERO-1", "name": "Again"}))).await,
        (StatusCode::CONFLICT, "ERR_UID_ALREADY_EXISTS".into())
    );
    assert_eq!(api.ok("GET", "/v3/users/SUPER_hero-1", None).await["name"], "Super Hero");
    assert_eq!(api.err("GET", "/v3/users/nobody", None).await, (StatusCode::NOT_FOUND, "ERR_UID_NOT_FOUND".into()));
    assert_eq!(api.err("GET", "/v3/users/no%20body", None).await.1, "ERR_INVALID_UID");
}

async fn each_kind_of_bad_user_input_gets_its_code_and_writes_nothing(backend: Backend) {
    let api = Api::new(backend).await;
    api.user("ana", "Ana").await;
    let before = (api.app.count("users").await, api.app.count("user_tags").await, api.app.count("audit_log").await);
    let many_tags: Vec<String> = (0..26).map(|n| format!("t{n}")).collect();
    let cases: Vec<(&str, &str, Value, StatusCode, &str)> = vec![
        (
            "POST",
            "/v3/users",
            json!({"uid": "bo", "name": "Bo", "role": "nope"}),
            StatusCode::NOT_FOUND,
            "ERR_ROLE_NOT_FOUND",
        ),
        (
            "POST",
            "/v3/users",
            json!({"uid": "bo", "name": "Bo", "role": "no pe"}),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_ROLE",
        ),
        ("POST", "/v3/users", json!({"uid": "bo"}), StatusCode::BAD_REQUEST, "ERR_BAD_REQUEST"),
        ("POST", "/v3/users", json!({"uid": "bo", "name": "  "}), StatusCode::BAD_REQUEST, "ERR_INVALID_NAME"),
        (
            "POST",
            "/v3/users",
            json!({"uid": "bo", "name": "Bo", "isAdmin": true}),
            StatusCode::BAD_REQUEST,
            "ERR_BAD_REQUEST",
        ),
        (
            "POST",
            "/v3/users",
            json!({"uid": "bo", "name": "Bo", "metadata": "text"}),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_METADATA",
        ),
        (
            "POST",
            "/v3/users",
            json!({"uid": "bo", "name": "Bo", "metadata": {"x": "y".repeat(6000)}}),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_METADATA",
        ),
        (
            "POST",
            "/v3/users",
            json!({"uid": "bo", "name": "Bo", "tags": many_tags}),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_TAGS",
        ),
        (
            "POST",
            "/v3/users",
            json!({"uid": "bo", "name": "Bo", "tags": ["gold, vip"]}),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_TAGS",
        ),
        (
            "POST",
            "/v3/users",
            json!({"uid": "bo", "name": "Bo", "avatar": "not a url"}),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_AVATAR",
        ),
        (
            "POST",
            "/v3/users",
            json!({"uid": "bo", "name": "Bo", "tags": "one"}),
            StatusCode::BAD_REQUEST,
            "ERR_BAD_REQUEST",
        ),
        ("PUT", "/v3/users/ana", json!({"role": "nope"}), StatusCode::NOT_FOUND, "ERR_ROLE_NOT_FOUND"),
        ("PUT", "/v3/users/ana", json!({"unset": ["name"]}), StatusCode::BAD_REQUEST, "ERR_INVALID_UNSET"),
        ("PUT", "/v3/users/ana", json!({"link": "ftp://x.org"}), StatusCode::BAD_REQUEST, "ERR_INVALID_LINK"),
        ("PUT", "/v3/users/nobody", json!({"name": "X"}), StatusCode::NOT_FOUND, "ERR_UID_NOT_FOUND"),
        ("DELETE", "/v3/users", json!({"uidsToDeactivate": ["a b"]}), StatusCode::BAD_REQUEST, "ERR_INVALID_UID"),
        (
            "POST",
            "/v3/users/ana/auth_tokens",
            json!({"platform": "x".repeat(201)}),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_DEVICE",
        ),
        ("POST", "/v3/users/ana/auth_tokens", json!({"device": "ios"}), StatusCode::BAD_REQUEST, "ERR_BAD_REQUEST"),
    ];
    for (method, path, body, status, code) in cases {
        let shown = format!("{method} {path} {body}");
        assert_eq!(api.err(method, path, Some(body)).await, (status, code.to_owned()), "{shown}");
    }
    for (query, code) in [
        ("?perPage=0", "ERR_INVALID_PER_PAGE"),
        ("?perPage=1001", "ERR_INVALID_PER_PAGE"),
        ("?page=0", "ERR_INVALID_PAGE"),
        ("?sortBy=age", "ERR_INVALID_SORT"),
        ("?cursor=zz", "ERR_INVALID_CURSOR"),
        ("?status=away", "ERR_INVALID_STATUS"),
        ("?perPage=ten", "ERR_BAD_REQUEST"),
        ("?colour=red", "ERR_BAD_REQUEST"),
    ] {
        assert_eq!(api.err("GET", &format!("/v3/users{query}"), None).await.1, code, "{query}");
    }
    let after = (api.app.count("users").await, api.app.count("user_tags").await, api.app.count("audit_log").await);
    assert_eq!(before, after, "nothing was written");
}

async fn an_update_changes_given_fields_and_unsets_named_ones(backend: Backend) {
    let api = Api::new(backend).await;
    api.ok("POST", "/v3/roles", Some(json!({"role": "premium", "name": "Premium"}))).await;
    api.ok("POST", "/v3/users", Some(json!({"uid": "ana", "name": "Ana", "avatar": "https://example.com/a.png", "metadata": {"plan": "free"}, "tags": ["a", "b"]}))).await;
    let updated = api
        .ok(
            "PUT",
            "/v3/users/ana",
            Some(json!({"name": "Ana B", "role": "Premium", "tags": ["c"], "unset": ["avatar", "metadata"]})),
        )
        .await;
    assert_eq!(updated["name"], "Ana B");
    assert_eq!(updated["role"], "premium");
    assert_eq!(updated["tags"], json!(["c"]));
    assert!(updated["avatar"].is_null() && updated["metadata"].is_null());
    assert_eq!(api.ok("GET", "/v3/users/ana", None).await, updated);
    assert_eq!(api.app.count("user_tags").await, 1);
}

async fn delete_deactivates_unless_permanent(backend: Backend) {
    let api = Api::new(backend).await;
    for uid in ["ana", "bo", "cy"] {
        api.user(uid, uid).await;
    }
    api.ok("POST", "/v3/users/ana/auth_tokens", None).await;
    api.ok("DELETE", "/v3/users/ana", None).await;
    assert!(api.ok("GET", "/v3/users/ana", None).await["deactivatedAt"].is_i64());
    assert_eq!(api.uids("").await, ["bo", "cy"]);
    assert_eq!(api.uids("?withDeactivated=true").await, ["ana", "bo", "cy"]);
    assert_eq!(api.uids("?onlyDeactivated=true").await, ["ana"]);
    let total = |page: Value| page["meta"]["pagination"]["total"].clone();
    assert_eq!(total(api.listed("").await), 2, "the kept count of active users");
    assert_eq!(total(api.listed("?withDeactivated=true").await), 3);
    assert_eq!(total(api.listed("?onlyDeactivated=true").await), 1);
    assert_eq!(total(api.listed("?withDeactivated=true&searchKey=a").await), 1, "a filter is counted, not kept");

    let changed = api.ok("DELETE", "/v3/users", Some(json!({"uidsToDeactivate": ["bo", "cy", "ana"]}))).await;
    assert_eq!(changed["deactivatedUids"], json!(["bo", "cy"]), "ana was already deactivated");
    let changed = api.ok("PUT", "/v3/users", Some(json!({"uidsToActivate": ["ana", "bo", "cy"]}))).await;
    assert_eq!(changed["nonDeactivatedUids"], json!(["ana", "bo", "cy"]));

    api.ok("DELETE", "/v3/users/ana", Some(json!({"permanent": true}))).await;
    assert_eq!(api.err("GET", "/v3/users/ana", None).await.1, "ERR_UID_NOT_FOUND");
    assert_eq!(total(api.listed("?withDeactivated=true").await), 2, "counts follow permanent deletes");
    assert_eq!(api.app.count("auth_tokens").await, 0, "the user's tokens went with them");
    assert_eq!(api.err("DELETE", "/v3/users/ana", Some(json!({"permanent": true}))).await.1, "ERR_UID_NOT_FOUND");
}

async fn tokens_are_shown_once_and_a_revoked_token_stops_working(backend: Backend) {
    let api = Api::new(backend).await;
    api.user("ana", "Ana").await;
    let first = api
        .ok("POST", "/v3/users/ana/auth_tokens", Some(json!({"platform": "ios", "userAgent": "Ana's iPhone"})))
        .await;
    let second = api.ok("POST", "/v3/users/ana/auth_tokens", Some(json!({"platform": "web", "force": true}))).await;
    let (one, two) =
        (first["authToken"].as_str().unwrap().to_owned(), second["authToken"].as_str().unwrap().to_owned());
    assert_ne!(one, two);

    let app = apps::get(&api.app.db, &switchboard::server::auth::Caller::cli(), &AppId::parse(&api.app_id).unwrap())
        .await
        .unwrap();
    assert_eq!(auth_tokens::authenticate(&api.app.db, &app, &one).await.unwrap().uid.as_str(), "ana");

    let listed = api.call("GET", "/v3/users/ana/auth_tokens", None).await.text().await.unwrap();
    assert!(!listed.contains(&one) && !listed.contains(&two), "lists never hold a token");
    let by_value = api.ok("GET", &format!("/v3/users/ana/auth_tokens/{one}"), None).await;
    assert_eq!(by_value["platform"], "ios");
    let by_id = api.ok("GET", &format!("/v3/users/ana/auth_tokens/{}", by_value["id"]), None).await;
    assert_eq!(by_id, by_value);

    api.ok("DELETE", &format!("/v3/users/ana/auth_tokens/{one}"), None).await;
    assert_eq!(
        auth_tokens::authenticate(&api.app.db, &app, &one).await.unwrap_err().code(),
        "AUTH_ERR_AUTH_TOKEN_NOT_FOUND"
    );
    assert_eq!(
        api.err("GET", &format!("/v3/users/ana/auth_tokens/{one}"), None).await,
        (StatusCode::NOT_FOUND, "ERR_AUTH_TOKEN_NOT_FOUND".into())
    );
    assert!(auth_tokens::authenticate(&api.app.db, &app, &two).await.is_ok());

    let flushed = api.ok("DELETE", "/v3/users/ana/auth_tokens", None).await;
    assert_eq!(flushed["revoked"], 1);
    assert!(auth_tokens::authenticate(&api.app.db, &app, &two).await.is_err());
    for (_, _, object, details) in api.app.audit_rows().await {
        assert!(
            ![&one, &two].iter().any(|t| object.contains(*t) || details.contains(*t)),
            "the audit log holds a token"
        );
    }
}

async fn roles_follow_their_rules(backend: Backend) {
    let api = Api::new(backend).await;
    let roles = api.ok("GET", "/v3/roles", None).await;
    assert_eq!(roles[0]["role"], "default", "every app has the default role");
    api.ok("POST", "/v3/roles", Some(json!({"role": "VIP", "name": "Very important", "metadata": {"color": "gold"}})))
        .await;
    assert_eq!(
        api.err("POST", "/v3/roles", Some(json!({"role": "vip"}))).await,
        (StatusCode::CONFLICT, "ERR_ROLE_ALREADY_EXISTS".into())
    );
    assert_eq!(
        api.err("DELETE", "/v3/roles/default", None).await,
        (StatusCode::BAD_REQUEST, "ERR_ROLE_DELETE_DENIED".into())
    );
    let updated =
        api.ok("PUT", "/v3/roles/vip", Some(json!({"description": "Paying users", "unset": ["metadata"]}))).await;
    assert_eq!(
        (updated["name"].clone(), updated["description"].clone(), updated["metadata"].clone()),
        (json!("Very important"), json!("Paying users"), Value::Null)
    );

    api.ok("POST", "/v3/users", Some(json!({"uid": "ana", "name": "Ana", "role": "vip"}))).await;
    assert_eq!(api.err("DELETE", "/v3/roles/vip", None).await, (StatusCode::CONFLICT, "ERR_ROLE_IN_USE".into()));
    api.ok("PUT", "/v3/users/ana", Some(json!({"role": "default"}))).await;
    api.ok("DELETE", "/v3/roles/vip", None).await;
    assert_eq!(api.err("GET", "/v3/roles/vip", None).await, (StatusCode::NOT_FOUND, "ERR_ROLE_NOT_FOUND".into()));

    for n in 1..25 {
        api.ok("POST", "/v3/roles", Some(json!({"role": format!("r{n}")}))).await;
    }
    assert_eq!(
        api.err("POST", "/v3/roles", Some(json!({"role": "r25"}))).await,
        (StatusCode::BAD_REQUEST, "ERR_ROLE_LIMIT_EXCEEDED".into())
    );
}

/// A process keeps the roles it read under the app's count of role
/// changes (see `roles::list`): each kind of change shows in the very
/// next list.
async fn every_change_to_roles_shows_in_the_next_list(backend: Backend) {
    let api = Api::new(backend).await;
    let listed = || async {
        let roles = api.ok("GET", "/v3/roles", None).await;
        roles.as_array().unwrap().iter().map(|r| format!("{}: {}", r["role"], r["name"])).collect::<Vec<_>>().join(", ")
    };
    assert_eq!(listed().await, r#""default": "Default""#);

    api.ok("POST", "/v3/roles", Some(json!({"role": "vip", "name": "VIP"}))).await;
    assert_eq!(listed().await, r#""default": "Default", "vip": "VIP""#, "a created role");
    api.ok("PUT", "/v3/roles/vip", Some(json!({"name": "Very important"}))).await;
    assert_eq!(listed().await, r#""default": "Default", "vip": "Very important""#, "a renamed role");

    api.ok("DELETE", "/v3/roles/vip", None).await;
    assert_eq!(listed().await, r#""default": "Default""#, "a deleted role");
    let app = apps::get(&api.app.db, &Caller::cli(), &AppId::parse(&api.app_id).unwrap()).await.unwrap();
    seed::users(&api.app.db, &Caller::cli(), &app, 1, |_| {}).await.unwrap();
    assert!(listed().await.contains(r#""moderator": "Moderator""#), "roles added by the seed: {}", listed().await);
}

async fn search_filters_and_sorts_find_the_right_users(backend: Backend) {
    let api = Api::new(backend).await;
    api.ok("POST", "/v3/roles", Some(json!({"role": "premium"}))).await;
    for (uid, name, role, tags) in [
        ("ana", "Zoe Ana", "default", vec!["blue"]),
        ("anabel", "Bel", "premium", vec!["red"]),
        ("bo", "Anton", "premium", vec!["red", "blue"]),
        ("cy", "Cy", "default", vec![]),
    ] {
        api.ok("POST", "/v3/users", Some(json!({"uid": uid, "name": name, "role": role, "tags": tags}))).await;
    }
    assert_eq!(api.uids("?searchKey=AN&searchIn=uid").await, ["ana", "anabel"]);
    assert_eq!(api.uids("?searchKey=an&searchIn=name").await, ["bo"], "a name prefix, not a substring");
    assert_eq!(api.uids("?searchKey=an").await, ["ana", "anabel", "bo"]);
    let pages = api.pages("?searchKey=an&perPage=1").await;
    assert!(pages.iter().all(|page| page["meta"]["pagination"]["total"] == 3));
    assert_eq!(uids_on(&pages), ["ana", "anabel", "bo"], "one at a time by cursor, each once");
    assert_eq!(api.uids("?searchKey=an&sortBy=name").await, ["bo", "anabel", "ana"], "Anton, Bel, Zoe Ana");
    assert_eq!(api.uids("?role=premium").await, ["anabel", "bo"]);
    assert_eq!(api.uids("?roles=premium,default&tags=red").await, ["anabel", "bo"]);
    assert_eq!(api.uids("?tags=blue").await, ["ana", "bo"]);
    assert_eq!(api.uids("?sortBy=name").await, ["bo", "anabel", "cy", "ana"]);
    assert_eq!(api.uids("?sortBy=uid&sortOrder=desc").await, ["cy", "bo", "anabel", "ana"]);
    let page = api.listed("?perPage=3&page=2").await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        page["meta"]["pagination"],
        json!({"total": 4, "total_is_exact": true, "count": 1, "per_page": 3, "current_page": 2, "total_pages": 2})
    );
    assert_eq!(page["data"][0]["tags"], json!([]), "tags come with each user");
    let past_the_end = api.listed("?perPage=3&page=3").await;
    assert_eq!(past_the_end["data"], json!([]));
    assert_eq!(past_the_end["meta"]["pagination"]["total"], 4, "a page past the end still counts the list");
}

async fn every_list_brings_each_users_tags_in_tag_order(backend: Backend) {
    let api = Api::new(backend).await;
    for (uid, name, tags) in
        [("ana", "Ana", vec!["red", "amber", "Blue"]), ("anton", "Bo", vec![]), ("bo", "Anna", vec!["x"])]
    {
        api.ok("POST", "/v3/users", Some(json!({"uid": uid, "name": name, "tags": tags}))).await;
    }
    let tags_of = |uid: &str| match uid {
        // By their bytes, on both databases: capitals first.
        "ana" => json!(["Blue", "amber", "red"]),
        "bo" => json!(["x"]),
        _ => json!([]),
    };
    // A plain list, a search on UID or name, on one of them, a sorted
    // search, a numbered page: each read by a statement of its own shape.
    for (query, listed) in [
        ("", vec!["ana", "anton", "bo"]),
        ("?searchKey=an", vec!["ana", "bo", "anton"]),
        ("?searchKey=an&searchIn=uid", vec!["ana", "anton"]),
        ("?searchKey=an&sortBy=name", vec!["ana", "bo", "anton"]),
        ("?perPage=1&page=2", vec!["anton"]),
    ] {
        let page = api.listed(query).await;
        let users: Vec<(&str, &Value)> =
            page["data"].as_array().unwrap().iter().map(|u| (u["uid"].as_str().unwrap(), &u["tags"])).collect();
        let expected: Vec<(&str, Value)> = listed.into_iter().map(|uid| (uid, tags_of(uid))).collect();
        assert_eq!(users, expected.iter().map(|(uid, tags)| (*uid, tags)).collect::<Vec<_>>(), "{query:?}");
    }
    assert_eq!(api.ok("GET", "/v3/users/ana", None).await["tags"], tags_of("ana"), "a single read, the same order");
}

async fn cursor_paging_returns_every_user_exactly_once_while_users_are_added(backend: Backend) {
    let api = Api::new(backend).await;
    for n in 0..60 {
        api.user(&format!("u{n:03}"), &format!("User {n}")).await;
    }
    for order in ["uid", "name", "createdAt"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut added = 0;
        loop {
            let query = match &cursor {
                Some(c) => format!("?perPage=7&sortBy={order}&cursor={c}"),
                None => format!("?perPage=7&sortBy={order}"),
            };
            let page = api.listed(&query).await;
            seen.extend(page["data"].as_array().unwrap().iter().map(|u| u["uid"].as_str().unwrap().to_owned()));
            // Users arrive while paging: before and after the reader's position.
            api.user(&format!("a{order}{added}"), &format!("A {added}")).await;
            api.user(&format!("z{order}{added}"), &format!("Z {added}")).await;
            added += 1;
            match page["meta"]["cursor"]["next"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "no user twice ({order})");
        for n in 0..60 {
            assert!(unique.contains(&format!("u{n:03}")), "u{n:03} seen ({order})");
        }
    }
}

async fn friendship_is_symmetric_and_answered_per_uid(backend: Backend) {
    let api = Api::new(backend).await;
    for (uid, name) in [("ana", "Ana"), ("bo", "Bo"), ("bea", "Bea"), ("cy", "Cy")] {
        api.user(uid, name).await;
    }
    let added =
        api.ok("POST", "/v3/users/ana/friends", Some(json!({"accepted": ["bo", "BEA", "nobody", "ana"]}))).await;
    assert_eq!(added["accepted"]["bo"], json!({"success": true}));
    assert_eq!(added["accepted"]["bea"], json!({"success": true}));
    assert_eq!(added["accepted"]["nobody"]["error"]["code"], "ERR_UID_NOT_FOUND");
    assert_eq!(added["accepted"]["ana"]["error"]["code"], "ERR_CANNOT_FORM_SELF_RELATION");

    assert_eq!(api.uids_of("/v3/users/ana/friends").await, ["bea", "bo"]);
    assert_eq!(api.uids_of("/v3/users/bo/friends").await, ["ana"], "both ways");
    assert_eq!(api.uids_of("/v3/users/ana/friends?searchKey=bo").await, ["bo"]);
    assert_eq!(api.uids_of("/v3/users/cy/friends").await, Vec::<String>::new());

    let removed = api.ok("DELETE", "/v3/users/bo/friends", Some(json!({"friends": ["ana", "cy"]}))).await;
    assert_eq!(removed["removed"]["ana"], json!({"success": true}));
    assert_eq!(removed["removed"]["cy"]["error"]["code"], "ERR_NOT_A_FRIEND");
    assert_eq!(api.uids_of("/v3/users/ana/friends").await, ["bea"]);

    let too_many: Vec<String> = (0..26).map(|n| format!("u{n}")).collect();
    assert_eq!(
        api.err("POST", "/v3/users/ana/friends", Some(json!({"accepted": too_many}))).await.1,
        "ERR_FRIENDS_LIMIT"
    );
    api.ok("DELETE", "/v3/users/bea", Some(json!({"permanent": true}))).await;
    assert_eq!(api.uids_of("/v3/users/ana/friends").await, Vec::<String>::new(), "a deleted user's friendships go too");
    assert_eq!(api.app.count("friends").await, 0);
}

async fn a_filtered_total_is_counted_up_to_a_thousand_and_says_so(backend: Backend) {
    let api = Api::new(backend).await;
    let cli = switchboard::server::auth::Caller::cli();
    let app = apps::get(&api.app.db, &cli, &AppId::parse(&api.app_id).unwrap()).await.unwrap();
    let seeded = switchboard::server::service::seed::users(&api.app.db, &cli, &app, 1_050, |_| {}).await.unwrap();
    assert_eq!(seeded.users, 1_050);
    let pagination = |page: Value| page["meta"]["pagination"].clone();
    let all = pagination(api.listed("?perPage=1").await);
    assert_eq!((all["total"].clone(), all["total_is_exact"].clone()), (json!(1_050), json!(true)));
    let offline = pagination(api.listed("?perPage=1&status=offline").await);
    assert_eq!((offline["total"].clone(), offline["total_is_exact"].clone()), (json!(1_000), json!(false)));
    let few = pagination(api.listed("?perPage=1&role=moderator").await);
    assert_eq!(few["total_is_exact"], json!(true));
}

async fn a_search_on_uid_or_name_reads_by_the_text_that_matched(backend: Backend) {
    let api = Api::new(backend).await;
    for (uid, name) in [("annie", "Annie"), ("zz1", "Ann"), ("ann_b", "Zed"), ("bob", "Bob"), ("zz2", "Anna")] {
        api.user(uid, name).await;
    }
    // Matched text: "ann" (zz1's name), "ann_b" (uid), "anna" (zz2's name), "annie" (uid and name: once).
    assert_eq!(api.uids("?searchKey=ann").await, ["zz1", "ann_b", "zz2", "annie"]);
    let walked = uids_on(&api.pages("?searchKey=ann&perPage=1").await);
    assert_eq!(walked, ["zz1", "ann_b", "zz2", "annie"], "by cursor, each once, in the same order");
    assert_eq!(api.uids("?searchKey=ann&sortOrder=desc").await, ["annie", "zz2", "ann_b", "zz1"]);
    assert_eq!(api.uids("?searchKey=ann&sortBy=uid").await, ["ann_b", "annie", "zz1", "zz2"], "an explicit order wins");
}

/// Every list the API and the dashboard can ask for, as the planner sees
/// it: each statement reads users, tags and friends through an index, and
/// never walks a whole table.
async fn no_list_reads_the_users_table_without_an_index(backend: Backend) {
    let api = Api::new(backend).await;
    for (uid, name) in [("ana", "Ana Lee"), ("anabel", "Anabel"), ("bo", "Anton")] {
        api.ok("POST", "/v3/users", Some(json!({"uid": uid, "name": name, "tags": ["blue"]}))).await;
    }
    let app = apps::get(&api.app.db, &Caller::cli(), &AppId::parse(&api.app_id).unwrap()).await.unwrap();
    let query = |search: Option<&str>, search_in, sort: Option<UserSort>, showing| UserQuery {
        order: UserOrder::chosen(sort, search_in, search.is_some()),
        search: search.map(str::to_owned),
        search_in,
        roles: Vec::new(),
        tags: Vec::new(),
        friends_of: None,
        blocked_by: None,
        status: None,
        showing,
        descending: false,
        paging: Paging::first(1),
    };
    let mut queries = Vec::new();
    for showing in Showing::ALL {
        for sort in
            [None, Some(UserSort::Uid), Some(UserSort::Name), Some(UserSort::CreatedAt), Some(UserSort::LastActiveAt)]
        {
            for (search, search_in) in [
                (None, SearchIn::Either),
                (Some("an"), SearchIn::Either),
                (Some("an"), SearchIn::Uid),
                (Some("an"), SearchIn::Name),
            ] {
                queries.push(query(search, search_in, sort, *showing));
            }
        }
    }
    let plain = || query(None, SearchIn::Either, None, Showing::Active);
    queries.push(UserQuery { roles: vec![RoleId::default_role()], ..plain() });
    queries.push(UserQuery { tags: vec!["blue".into()], ..plain() });
    queries.push(UserQuery { status: Some(Presence::Offline), ..plain() });
    queries.push(UserQuery { friends_of: Some(Uid::parse("ana").unwrap()), ..plain() });
    queries.push(UserQuery { blocked_by: Some(Uid::parse("ana").unwrap()), ..plain() });

    let is_table_walk = |line: &str| match backend {
        Backend::Sqlite => {
            let words: Vec<&str> = line.split_whitespace().collect();
            words.first() == Some(&"SCAN")
                && ["u", "users", "t", "user_tags", "f", "friends", "b", "blocked_users"]
                    .contains(&words.get(1).copied().unwrap_or(""))
                && !line.contains("USING")
        }
        Backend::Postgres => ["users", "user_tags", "friends", "blocked_users"]
            .iter()
            .any(|t| line.contains(&format!("Seq Scan on {t}"))),
    };
    for query in queries {
        // The first page's plan, then the plan of a page after a cursor.
        let described = format!("{:?} {:?} {:?} {:?}", query.search, query.search_in, query.order, query.showing);
        let page = users::list::<UserView>(&api.app.db, &Caller::cli(), &app, query.clone()).await.unwrap();
        let after = UserQuery { paging: Paging::after(1, page.next_cursor), ..query.clone() };
        for query in [query, after] {
            // As the REST API lists whole users, and as the dashboard lists them in a table.
            let plans = [
                users::explain::<UserView>(&api.app.db, &Caller::cli(), &app, query.clone()).await.unwrap(),
                users::explain::<UserSummary>(&api.app.db, &Caller::cli(), &app, query).await.unwrap(),
            ];
            for plan in plans {
                assert!(!plan.iter().any(|line| is_table_walk(line)), "{described}:\n{}", plan.join("\n"));
            }
        }
    }
}

/// Writes that arrive together are written together (see `group_commit`);
/// a bad one among them must still fail alone and take nothing with it.
async fn creates_and_token_issues_sent_at_once_each_get_their_own_answer(backend: Backend) {
    let api = Api::new(backend).await;
    api.user("taken", "Taken").await;
    let creates = (0..40).map(|n| {
        let body = match n {
            7 => json!({"uid": "TAKEN", "name": "Again", "withAuthToken": true}),
            21 => json!({"uid": "c21", "name": "No role", "role": "nope", "withAuthToken": true}),
            _ => json!({"uid": format!("c{n}"), "name": format!("User {n}"), "tags": ["t"], "withAuthToken": true}),
        };
        api.call("POST", "/v3/users", Some(body))
    });
    let issues = (0..22).map(|n| {
        let path = if n % 10 == 5 { "/v3/users/ghost/auth_tokens" } else { "/v3/users/taken/auth_tokens" };
        api.call("POST", path, None)
    });
    let (created, issued) = futures::join!(futures::future::join_all(creates), futures::future::join_all(issues));

    let mut tokens = HashSet::new();
    for (n, res) in created.into_iter().enumerate() {
        match n {
            7 => assert_eq!(error_of(res).await, (StatusCode::CONFLICT, "ERR_UID_ALREADY_EXISTS".into())),
            21 => assert_eq!(error_of(res).await, (StatusCode::NOT_FOUND, "ERR_ROLE_NOT_FOUND".into())),
            _ => {
                let user = data_of(res).await;
                assert_eq!(
                    (user["uid"].as_str(), user["tags"].clone()),
                    (Some(format!("c{n}").as_str()), json!(["t"]))
                );
                tokens.insert(user["authToken"].as_str().unwrap().to_owned());
            }
        }
    }
    for (n, res) in issued.into_iter().enumerate() {
        if n % 10 == 5 {
            assert_eq!(error_of(res).await, (StatusCode::NOT_FOUND, "ERR_UID_NOT_FOUND".into()));
        } else {
            tokens.insert(data_of(res).await["authToken"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(tokens.len(), 38 + 20, "every token is new");

    assert_eq!(api.ok("GET", "/v3/users/taken", None).await["name"], "Taken", "the taken UID kept its user");
    assert_eq!(api.err("GET", "/v3/users/c21", None).await.1, "ERR_UID_NOT_FOUND", "the refused user left nothing");
    assert_eq!(api.listed("?perPage=100").await["meta"]["pagination"]["total"], 1 + 38);
    assert_eq!(api.ok("GET", "/v3/users/taken/auth_tokens", None).await.as_array().unwrap().len(), 20);
    assert_eq!(api.app.count("auth_tokens").await, 38 + 20);
    let actions: Vec<String> = api.app.audit_rows().await.into_iter().map(|(_, action, _, _)| action).collect();
    let count = |action: &str| actions.iter().filter(|a| *a == action).count();
    assert_eq!((count("user.create"), count("authtoken.create")), (1 + 38, 38 + 20), "one audit row per change");
}

async fn a_user_matching_on_uid_and_name_is_listed_once_under_whichever_comes_first(backend: Backend) {
    let api = Api::new(backend).await;
    let users = [
        ("ann_smith_1", "Ann Smith"), // both match; "ann smith" sorts before "ann_smith_1"
        ("ann_smith_2", "Ann Smith"),
        ("ann_lee", "Anna Lee"), // both match; "ann_lee" sorts before "anna lee"
        ("ann", "Ann"),          // both match on the same text: listed under the UID
        ("zed_1", "Ann Zed"),    // the name alone matches
        ("zed_2", "Anne"),
        ("ann_z", "Zora"), // the UID alone matches
        ("annika", "Bo"),
        ("bob", "Bob"), // neither
    ];
    for (uid, name) in users {
        api.user(uid, name).await;
    }
    for descending in [false, true] {
        // The order the rule gives: each user once, under the first of their matching texts.
        let mut expected: Vec<(String, &str)> = users
            .iter()
            .filter_map(|(uid, name)| {
                let name = name.to_lowercase();
                let keys = [uid.to_string(), name].into_iter().filter(|key| key.starts_with("ann"));
                let key = if descending { keys.max() } else { keys.min() }?;
                Some((key, *uid))
            })
            .collect();
        expected.sort();
        if descending {
            expected.reverse();
        }
        let expected: Vec<&str> = expected.into_iter().map(|(_, uid)| uid).collect();
        let order = if descending { "&sortOrder=desc" } else { "" };
        for per_page in 1..=4 {
            let walked = uids_on(&api.pages(&format!("?searchKey=ann&perPage={per_page}{order}")).await);
            assert_eq!(walked, expected, "{per_page} a page, descending: {descending}");
        }
        let total = api.listed(&format!("?searchKey=ann{order}")).await["meta"]["pagination"]["total"].clone();
        assert_eq!(total, expected.len());
    }
}

/// The dashboard's table reads a summary of each user, not the whole user
/// the REST API answers with: the same users on the same pages, in the
/// same order, counted the same, with the same cursor to the next page.
async fn the_dashboards_summaries_list_the_same_users_as_whole_users_page_by_page(backend: Backend) {
    let api = Api::new(backend).await;
    api.ok("POST", "/v3/roles", Some(json!({"role": "premium"}))).await;
    for (uid, name, role) in [
        ("ann_1", "Ann Smith", "default"),
        ("ann_2", "Zed", "premium"),
        ("bo", "Anna", "default"),
        ("cy", "Cy", "premium"),
        ("anton", "Anton", "default"),
    ] {
        let user = json!({"uid": uid, "name": name, "role": role, "tags": ["blue", uid], "metadata": {"plan": uid}});
        api.ok("POST", "/v3/users", Some(user)).await;
    }
    api.ok("DELETE", "/v3/users/cy", None).await;
    let app = apps::get(&api.app.db, &Caller::cli(), &AppId::parse(&api.app_id).unwrap()).await.unwrap();
    let summary_of = |user: UserView| UserSummary {
        uid: user.uid,
        name: user.name,
        role: user.role,
        status: user.status,
        created_at: user.created_at,
        last_active_at: user.last_active_at,
        deactivated_at: user.deactivated_at,
    };
    for search in [None, Some("ann")] {
        for sort in [None, Some(UserSort::Name), Some(UserSort::CreatedAt), Some(UserSort::LastActiveAt)] {
            for (showing, descending) in [(Showing::All, false), (Showing::Active, true)] {
                let query = UserQuery {
                    order: UserOrder::chosen(sort, SearchIn::Either, search.is_some()),
                    search: search.map(str::to_owned),
                    search_in: SearchIn::Either,
                    roles: Vec::new(),
                    tags: Vec::new(),
                    friends_of: None,
                    blocked_by: None,
                    status: None,
                    showing,
                    descending,
                    paging: Paging::first(2),
                };
                let described = format!("{search:?} {sort:?} {showing:?} descending: {descending}");
                let (mut cursor, mut seen) = (None, 0);
                loop {
                    let query = UserQuery { paging: Paging::after(2, cursor), ..query.clone() };
                    let whole =
                        users::list::<UserView>(&api.app.db, &Caller::cli(), &app, query.clone()).await.unwrap();
                    let summaries = users::list::<UserSummary>(&api.app.db, &Caller::cli(), &app, query).await.unwrap();
                    assert_eq!(summaries.total, whole.total, "{described}");
                    assert_eq!(summaries.next_cursor, whole.next_cursor, "{described}");
                    assert_eq!(
                        summaries.items,
                        whole.items.into_iter().map(summary_of).collect::<Vec<_>>(),
                        "{described}"
                    );
                    seen += summaries.items.len();
                    match summaries.next_cursor {
                        Some(next) => cursor = Some(next),
                        None => break,
                    }
                }
                assert!(seen >= 3, "{described}: pages enough to compare, {seen} users");
            }
        }
    }
}

/// The fuzzer's find: a page number so large that its offset overflows.
async fn a_page_number_past_every_page_answers_an_empty_page(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "anton"]).await;
    api.ok("POST", "/v3/users/ana/friends", Some(json!({"accepted": ["anton"]}))).await;
    api.ok("POST", "/v3/groups", Some(json!({"guid": "annex", "name": "Annex", "owner": "ana"}))).await;
    for path in [
        "/v3/users?page=92233720368547759",
        "/v3/users?searchKey=an&page=92233720368547759",
        "/v3/users?searchKey=an&searchIn=name&page=92233720368547759",
        "/v3/users/ana/friends?searchKey=an&page=92233720368547759",
        "/v3/groups?page=92233720368547759",
        "/v3/groups?searchKey=an&page=92233720368547759",
        "/v3/groups/annex/members?page=92233720368547759",
    ] {
        let listed = api.listed_at(path).await;
        assert!(listed["data"].as_array().unwrap().is_empty(), "{path}: {listed}");
    }
}
