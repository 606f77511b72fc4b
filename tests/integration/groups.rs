//! Groups, members, scopes and bans over `/v3`, on both databases: the
//! scope table of DESIGN.md, visibility, passwords, bans and counts.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use switchboard::{
    domain::{AppId, GroupSort, GroupType, Uid},
    server::{
        auth::Caller,
        service::{
            Paging, apps,
            groups::{self, Acting, GroupQuery},
            seed,
        },
    },
};

use crate::common::{Api, Backend, data_of, error_of};
use crate::on_both_backends;

on_both_backends!(
    the_scope_table_holds_for_every_actor_target_and_action,
    nobody_acts_on_themselves_or_on_the_owner,
    a_private_group_is_invisible_to_non_members_and_its_members_too,
    a_password_group_is_joined_only_with_its_password,
    a_banned_user_cannot_join_or_be_added_until_unbanned,
    member_counts_stay_exact_under_concurrent_joins_and_leaves,
    each_kind_of_bad_group_input_gets_its_code_and_writes_nothing,
    the_owner_hands_the_group_over_before_leaving,
    a_users_groups_are_listed_and_go_with_them,
    group_lists_search_filter_sort_and_page_every_group_once,
    seeded_groups_keep_exact_counts_and_a_crowd_pages_every_member_once,
    no_group_list_walks_a_table_or_a_whole_app_to_find_a_few,
);

const SCOPES: [&str; 3] = ["admin", "moderator", "participant"];

/// The scope table of DESIGN.md, written out again rather than asked of the
/// code under test: what `actor` may do to a member holding `target`.
/// The code a refusal carries, as CometChat's error guide names each case:
/// what takes an admin, what takes a moderator, a member out of reach, a
/// change of scope out of reach.
fn refusal(actor: &str, action: &str) -> &'static str {
    match (actor, action) {
        (_, "add" | "delete") => "ERR_GROUP_NO_ADMIN_SCOPE",
        ("participant", _) => "ERR_GROUP_NO_MODERATOR_SCOPE",
        (_, "kick" | "ban") => "ERR_GROUP_NO_CLEARANCE",
        _ => "ERR_GROUP_NO_SCOPE_CLEARANCE",
    }
}

fn allowed(actor: &str, action: &str, target: &str) -> bool {
    match (actor, action) {
        ("admin", _) => true,
        ("moderator", "admin") => false,
        ("moderator", "moderator" | "participant") => target != "admin",
        ("moderator", "kick" | "ban") => target == "participant",
        ("moderator", "update") => true,
        _ => false,
    }
}

impl Api {
    async fn group(&self, body: Value) -> Value {
        self.ok("POST", "/v3/groups", Some(body)).await
    }

    async fn as_user(&self, uid: &str, method: &str, path: &str, body: Option<Value>) -> reqwest::Response {
        self.call_as(uid, method, path, body).await
    }

    /// Each member's scope, as the app reads the members list.
    async fn scopes(&self, guid: &str) -> Vec<(String, String)> {
        let members = self.ok("GET", &format!("/v3/groups/{guid}/members?perPage=1000"), None).await;
        members
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["uid"].as_str().unwrap().to_owned(), m["scope"].as_str().unwrap().to_owned()))
            .collect()
    }

    async fn members_count(&self, guid: &str) -> i64 {
        self.ok("GET", &format!("/v3/groups/{guid}"), None).await["membersCount"].as_i64().unwrap()
    }
}

/// The status and code an answer carries: 200 and "OK" for a success.
async fn answer(res: reqwest::Response) -> (StatusCode, String) {
    if res.status() == StatusCode::OK { (StatusCode::OK, "OK".into()) } else { error_of(res).await }
}

async fn the_scope_table_holds_for_every_actor_target_and_action(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["owner", "actor", "target", "newcomer"]).await;
    let mut case = 0;
    for actor in SCOPES {
        for target in SCOPES {
            for action in ["admin", "moderator", "participant", "kick", "ban", "add", "update", "delete"] {
                case += 1;
                let guid = format!("g{case}");
                let mut members = json!({"admins": [], "moderators": [], "participants": []});
                members[format!("{actor}s")].as_array_mut().unwrap().push(json!("actor"));
                members[format!("{target}s")].as_array_mut().unwrap().push(json!("target"));
                api.group(json!({"guid": guid, "name": "Case", "owner": "owner", "members": members})).await;
                let path = format!("/v3/groups/{guid}");
                let res = match action {
                    "kick" => api.as_user("actor", "DELETE", &format!("{path}/members/target"), None).await,
                    "ban" => api.as_user("actor", "POST", &format!("{path}/bannedusers/target"), None).await,
                    "add" => {
                        let body = json!({"participants": ["newcomer"]});
                        let outcome =
                            data_of(api.as_user("actor", "POST", &format!("{path}/members"), Some(body)).await).await;
                        let newcomer = &outcome["participants"]["newcomer"];
                        let expected = if actor == "admin" { json!({"success": true}) } else { json!(false) };
                        let got = if newcomer["success"] == json!(true) { newcomer.clone() } else { json!(false) };
                        assert_eq!(got, expected, "{actor} adds a member: {outcome}");
                        if actor != "admin" {
                            assert_eq!(newcomer["error"]["code"], "ERR_GROUP_NO_ADMIN_SCOPE");
                        }
                        continue;
                    }
                    "update" => api.as_user("actor", "PUT", &path, Some(json!({"name": "Renamed"}))).await,
                    "delete" => api.as_user("actor", "DELETE", &path, None).await,
                    to => {
                        let body = json!({"scope": to});
                        api.as_user("actor", "PUT", &format!("{path}/members/target"), Some(body)).await
                    }
                };
                let group_action = matches!(action, "update" | "delete");
                let expected = match () {
                    _ if !allowed(actor, action, target) => (StatusCode::FORBIDDEN, refusal(actor, action)),
                    _ if group_action => (StatusCode::OK, "OK"),
                    _ if action == target => (StatusCode::BAD_REQUEST, "ERR_SAME_SCOPE"),
                    _ => (StatusCode::OK, "OK"),
                };
                let got = answer(res).await;
                assert_eq!((got.0, got.1.as_str()), expected, "{actor} does {action} to {target}");
                if group_action {
                    continue;
                }
                // What the answer claims is what the group holds now.
                let scopes = api.scopes(&guid).await;
                let target_scope = scopes.iter().find(|(uid, _)| uid == "target").map(|(_, s)| s.as_str());
                let expected_scope = match (expected.0, action) {
                    (StatusCode::OK, "kick" | "ban") => None,
                    (StatusCode::OK, to) => Some(to),
                    _ => Some(target),
                };
                assert_eq!(target_scope, expected_scope, "{actor} did {action} to {target}: {scopes:?}");
                assert_eq!(api.members_count(&guid).await, scopes.len() as i64);
                let banned = api.ok("GET", &format!("{path}/bannedusers"), None).await;
                assert_eq!(
                    banned.as_array().unwrap().len(),
                    usize::from(action == "ban" && expected.0 == StatusCode::OK)
                );
            }
        }
    }
}

async fn nobody_acts_on_themselves_or_on_the_owner(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["owner", "admin2", "moderator", "participant", "outsider"]).await;
    let members = json!({"admins": ["admin2"], "moderators": ["moderator"], "participants": ["participant"]});
    api.group(json!({"guid": "team", "name": "Team", "owner": "owner", "members": members})).await;
    for me in ["owner", "admin2", "moderator", "participant"] {
        for (method, path, body) in [
            ("PUT", format!("/v3/groups/team/members/{me}"), Some(json!({"scope": "participant"}))),
            ("DELETE", format!("/v3/groups/team/members/{me}"), None),
            ("POST", format!("/v3/groups/team/bannedusers/{me}"), None),
        ] {
            let res = api.as_user(me, method, &path, body).await;
            assert_eq!(
                error_of(res).await,
                (StatusCode::FORBIDDEN, "ERR_GROUP_NO_SELF_ACTION".into()),
                "{me}: {method} {path}"
            );
        }
    }
    for (method, path, body) in [
        ("PUT", "/v3/groups/team/members/owner", Some(json!({"scope": "participant"}))),
        ("DELETE", "/v3/groups/team/members/owner", None),
        ("POST", "/v3/groups/team/bannedusers/owner", None),
    ] {
        let code = if method == "PUT" { "ERR_GROUP_NO_SCOPE_CLEARANCE" } else { "ERR_GROUP_NO_CLEARANCE" };
        let res = api.as_user("admin2", method, path, body.clone()).await;
        assert_eq!(error_of(res).await, (StatusCode::FORBIDDEN, code.into()), "{method} {path}");
        let res = api.call(method, path, body).await;
        assert_eq!(error_of(res).await, (StatusCode::FORBIDDEN, code.into()), "the app: {method} {path}");
    }
    // Someone outside the group has no scope in it at all.
    let res = api.as_user("outsider", "DELETE", "/v3/groups/team/members/participant", None).await;
    assert_eq!(error_of(res).await, (StatusCode::NOT_FOUND, "ERR_NOT_A_MEMBER".into()));
    assert_eq!(api.scopes("team").await.len(), 4);
}

async fn a_private_group_is_invisible_to_non_members_and_its_members_too(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["owner", "member", "outsider"]).await;
    api.group(json!({"guid": "secret", "name": "Secret", "type": "private", "owner": "owner", "members": {"participants": ["member"]}})).await;
    api.group(json!({"guid": "open", "name": "Open", "owner": "owner"})).await;
    let guids = |groups: Value| -> Vec<String> {
        groups.as_array().unwrap().iter().map(|g| g["guid"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(guids(data_of(api.as_user("outsider", "GET", "/v3/groups", None).await).await), ["open"]);
    assert_eq!(
        guids(data_of(api.as_user("outsider", "GET", "/v3/groups?searchKey=sec", None).await).await),
        Vec::<String>::new()
    );
    assert_eq!(
        guids(data_of(api.as_user("outsider", "GET", "/v3/groups?types=private", None).await).await),
        Vec::<String>::new()
    );
    for (method, path, body) in [
        ("GET", "/v3/groups/secret", None),
        ("GET", "/v3/groups/secret/members", None),
        ("POST", "/v3/groups/secret/join", None),
        ("PUT", "/v3/groups/secret", Some(json!({"name": "Mine"}))),
        ("GET", "/v3/users/member/groups?perPage=10", None),
    ] {
        let res = api.as_user("outsider", method, path, body).await;
        if path.starts_with("/v3/users") {
            assert_eq!(guids(data_of(res).await), Vec::<String>::new(), "a member's private groups stay hidden");
        } else {
            assert_eq!(error_of(res).await, (StatusCode::NOT_FOUND, "ERR_GUID_NOT_FOUND".into()), "{method} {path}");
        }
    }
    let seen_by_member = data_of(api.as_user("member", "GET", "/v3/groups", None).await).await;
    assert_eq!(guids(seen_by_member.clone()), ["open", "secret"]);
    assert_eq!(seen_by_member[1]["hasJoined"], true);
    assert_eq!(seen_by_member[1]["scope"], "participant");
    assert_eq!(seen_by_member[0]["hasJoined"], false);
    assert_eq!(guids(data_of(api.as_user("member", "GET", "/v3/groups?hasJoined=true", None).await).await), ["secret"]);
    let members = data_of(api.as_user("member", "GET", "/v3/groups/secret/members", None).await).await;
    assert_eq!(members.as_array().unwrap().len(), 2);
    // A public group's members are for its members too.
    let res = api.as_user("outsider", "GET", "/v3/groups/open/members", None).await;
    assert_eq!(error_of(res).await, (StatusCode::NOT_FOUND, "ERR_NOT_A_MEMBER".into()));
    // The app sees every group, and says nothing of membership.
    let seen_by_app = api.ok("GET", "/v3/groups", None).await;
    assert_eq!(guids(seen_by_app.clone()), ["open", "secret"]);
    assert!(seen_by_app[0].get("hasJoined").is_none());
}

async fn a_password_group_is_joined_only_with_its_password(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["owner", "ana"]).await;
    assert_eq!(
        api.err("POST", "/v3/groups", Some(json!({"guid": "locked", "name": "Locked", "type": "password"}))).await,
        (StatusCode::BAD_REQUEST, "ERR_EMPTY_GROUP_PASS".into())
    );
    assert_eq!(
        api.err("POST", "/v3/groups", Some(json!({"guid": "open", "name": "Open", "password": "x"}))).await,
        (StatusCode::BAD_REQUEST, "ERR_INVALID_GROUP_PASSWORD".into())
    );
    let created = api.group(json!({"guid": "locked", "name": "Locked", "type": "password", "password": "open sesame", "owner": "owner"})).await;
    assert!(created.get("password").is_none() && !created.to_string().contains("sesame"));
    let join = |body: Option<Value>| api.as_user("ana", "POST", "/v3/groups/locked/join", body);
    assert_eq!(error_of(join(None).await).await, (StatusCode::BAD_REQUEST, "ERR_EMPTY_GROUP_PASS".into()));
    let wrong = join(Some(json!({"password": "open sesame!"}))).await;
    assert_eq!(error_of(wrong).await, (StatusCode::FORBIDDEN, "ERR_WRONG_GROUP_PASS".into()));
    assert_eq!(api.members_count("locked").await, 1);
    let joined = data_of(join(Some(json!({"password": "open sesame"}))).await).await;
    assert_eq!((joined["hasJoined"].clone(), joined["scope"].clone()), (json!(true), json!("participant")));
    assert_eq!(
        error_of(join(Some(json!({"password": "open sesame"}))).await).await,
        (StatusCode::CONFLICT, "ERR_ALREADY_JOINED".into())
    );
    assert_eq!(api.members_count("locked").await, 2);
    // Joining needs a user to join as.
    let res = api.call("POST", "/v3/groups/locked/join", Some(json!({"password": "open sesame"}))).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_ONBEHALFOF_REQUIRED".into()));
    assert!(
        !api.app.audit_rows().await.iter().any(|row| row.3.contains("sesame")),
        "the password stays out of the log"
    );
}

async fn a_banned_user_cannot_join_or_be_added_until_unbanned(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["owner", "ana", "ben"]).await;
    let created = api.group(json!({"guid": "team", "name": "Team", "owner": "owner", "members": {"participants": ["ana"], "usersToBan": ["ben"]}})).await;
    assert_eq!(created["members"]["usersToBan"]["ben"]["success"], true);
    assert_eq!(api.ok("POST", "/v3/groups/team/bannedusers/ana", None).await["success"], true);
    assert_eq!(api.scopes("team").await, [("owner".to_owned(), "admin".to_owned())]);
    assert_eq!(
        api.err("POST", "/v3/groups/team/bannedusers/ana", None).await,
        (StatusCode::CONFLICT, "ERR_ALREADY_BANNED".into())
    );
    let banned = api.ok("GET", "/v3/groups/team/bannedusers", None).await;
    let banned_uids: Vec<&str> = banned.as_array().unwrap().iter().map(|b| b["uid"].as_str().unwrap()).collect();
    assert_eq!(banned_uids, ["ana", "ben"]);
    assert_eq!(banned[0]["bannedBy"], format!("key:{}", &api.key[..8]));
    for uid in ["ana", "ben"] {
        let res = api.as_user(uid, "POST", "/v3/groups/team/join", None).await;
        assert_eq!(error_of(res).await, (StatusCode::CONFLICT, "ERR_BANNED_GROUPMEMBER".into()), "{uid} joins");
        let added = api.ok("POST", "/v3/groups/team/members", Some(json!({"participants": [uid]}))).await;
        assert_eq!(added["participants"][uid]["error"]["code"], "ERR_BANNED_GROUPMEMBER", "{uid} is added");
    }
    // Once unbanned, they may join. A participant may not see the bans; the owner may.
    api.ok("DELETE", "/v3/groups/team/bannedusers/ana", None).await;
    data_of(api.as_user("ana", "POST", "/v3/groups/team/join", None).await).await;
    let res = api.as_user("ana", "GET", "/v3/groups/team/bannedusers", None).await;
    assert_eq!(error_of(res).await, (StatusCode::FORBIDDEN, "ERR_GROUP_NO_MODERATOR_SCOPE".into()));
    assert_eq!(
        data_of(api.as_user("owner", "GET", "/v3/groups/team/bannedusers", None).await).await.as_array().unwrap().len(),
        1
    );
    assert_eq!(
        api.err("DELETE", "/v3/groups/team/bannedusers/ana", None).await,
        (StatusCode::NOT_FOUND, "ERR_NOT_A_BANNED_USER".into())
    );
    assert_eq!(api.members_count("team").await, 2);
}

async fn member_counts_stay_exact_under_concurrent_joins_and_leaves(backend: Backend) {
    let api = Api::new(backend).await;
    let uids: Vec<String> = (0..40).map(|n| format!("u{n:02}")).collect();
    for uid in &uids {
        api.user(uid, uid).await;
    }
    let first_half: Vec<&str> = uids[..20].iter().map(String::as_str).collect();
    api.group(json!({"guid": "busy", "name": "Busy", "members": {"participants": first_half}})).await;
    // The first half leaves while the second half joins, all at once.
    let moves = uids.iter().enumerate().map(|(n, uid)| {
        let path = if n < 20 { "/v3/groups/busy/leave" } else { "/v3/groups/busy/join" };
        api.as_user(uid, "POST", path, None)
    });
    for res in futures::future::join_all(moves).await {
        assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    }
    let members: HashSet<String> = api.scopes("busy").await.into_iter().map(|(uid, _)| uid).collect();
    assert_eq!(members, uids[20..].iter().cloned().collect());
    assert_eq!(api.members_count("busy").await, 20);
    assert_eq!(api.app.count("group_members").await, 20);
}

async fn each_kind_of_bad_group_input_gets_its_code_and_writes_nothing(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["owner", "ana"]).await;
    api.group(json!({"guid": "team", "name": "Team", "owner": "owner"})).await;
    let before =
        (api.app.count("groups").await, api.app.count("group_members").await, api.app.count("audit_log").await);
    let too_many: Vec<String> = (0..26).map(|n| format!("u{n}")).collect();
    let cases: Vec<(&str, String, Option<Value>, StatusCode, &str)> = vec![
        (
            "POST",
            "/v3/groups".into(),
            Some(json!({"guid": "has space", "name": "X"})),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_GUID",
        ),
        (
            "POST",
            "/v3/groups".into(),
            Some(json!({"guid": "g", "name": " "})),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_GROUP_NAME",
        ),
        (
            "POST",
            "/v3/groups".into(),
            Some(json!({"guid": "g", "name": "X", "type": "secret"})),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_GROUP_TYPE",
        ),
        (
            "POST",
            "/v3/groups".into(),
            Some(json!({"guid": "g", "name": "X", "icon": "not a url"})),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_ICON",
        ),
        (
            "POST",
            "/v3/groups".into(),
            Some(json!({"guid": "g", "name": "X", "metadata": [1]})),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_METADATA",
        ),
        (
            "POST",
            "/v3/groups".into(),
            Some(json!({"guid": "g", "name": "X", "tags": too_many})),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_TAGS",
        ),
        (
            "POST",
            "/v3/groups".into(),
            Some(json!({"guid": "g", "name": "X", "members": {"participants": too_many}})),
            StatusCode::BAD_REQUEST,
            "ERR_MEMBERS_LIMIT",
        ),
        (
            "POST",
            "/v3/groups".into(),
            Some(json!({"guid": "g", "name": "X", "members": {"participants": ["no way"]}})),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_UID",
        ),
        (
            "POST",
            "/v3/groups".into(),
            Some(json!({"guid": "g", "name": "X", "owner": "nobody"})),
            StatusCode::NOT_FOUND,
            "ERR_UID_NOT_FOUND",
        ),
        (
            "POST",
            "/v3/groups".into(),
            Some(json!({"guid": "TEAM", "name": "Again"})),
            StatusCode::CONFLICT,
            "ERR_GUID_ALREADY_EXISTS",
        ),
        (
            "POST",
            "/v3/groups".into(),
            Some(json!({"guid": "g", "name": "X", "color": "red"})),
            StatusCode::BAD_REQUEST,
            "ERR_BAD_REQUEST",
        ),
        (
            "POST",
            "/v3/groups".into(),
            Some(json!({"guid": 7, "name": "X"})),
            StatusCode::BAD_REQUEST,
            "ERR_BAD_REQUEST",
        ),
        ("GET", "/v3/groups/nope".into(), None, StatusCode::NOT_FOUND, "ERR_GUID_NOT_FOUND"),
        ("GET", "/v3/groups/no%20pe".into(), None, StatusCode::BAD_REQUEST, "ERR_INVALID_GUID"),
        ("GET", "/v3/groups?sortBy=size".into(), None, StatusCode::BAD_REQUEST, "ERR_INVALID_SORT"),
        ("GET", "/v3/groups?types=public,secret".into(), None, StatusCode::BAD_REQUEST, "ERR_INVALID_GROUP_TYPE"),
        ("GET", "/v3/groups?perPage=0".into(), None, StatusCode::BAD_REQUEST, "ERR_INVALID_PER_PAGE"),
        ("GET", "/v3/groups?cursor=zz".into(), None, StatusCode::BAD_REQUEST, "ERR_INVALID_CURSOR"),
        ("GET", "/v3/groups?hasJoined=true".into(), None, StatusCode::BAD_REQUEST, "ERR_ONBEHALFOF_REQUIRED"),
        ("GET", "/v3/groups/team/members?scopes=owner".into(), None, StatusCode::BAD_REQUEST, "ERR_INVALID_SCOPE"),
        (
            "PUT",
            "/v3/groups/team".into(),
            Some(json!({"unset": ["name"]})),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_UNSET",
        ),
        (
            "PUT",
            "/v3/groups/team".into(),
            Some(json!({"type": "password"})),
            StatusCode::BAD_REQUEST,
            "ERR_EMPTY_GROUP_PASS",
        ),
        (
            "PUT",
            "/v3/groups/team/members/owner".into(),
            Some(json!({"scope": "boss"})),
            StatusCode::BAD_REQUEST,
            "ERR_INVALID_SCOPE",
        ),
        (
            "PUT",
            "/v3/groups/team/members/ana".into(),
            Some(json!({"scope": "moderator"})),
            StatusCode::NOT_FOUND,
            "ERR_NOT_A_MEMBER",
        ),
        ("DELETE", "/v3/groups/team/members/ghost".into(), None, StatusCode::NOT_FOUND, "ERR_UID_NOT_FOUND"),
        ("POST", "/v3/groups/team/members".into(), Some(json!({})), StatusCode::BAD_REQUEST, "ERR_MEMBERS_LIMIT"),
        (
            "PATCH",
            "/v3/groups/team/owner".into(),
            Some(json!({"uid": "ana"})),
            StatusCode::NOT_FOUND,
            "ERR_NOT_A_MEMBER",
        ),
        ("POST", "/v3/groups/team/leave".into(), None, StatusCode::BAD_REQUEST, "ERR_ONBEHALFOF_REQUIRED"),
    ];
    for (method, path, body, status, code) in cases {
        let got = api.err(method, &path, body.clone()).await;
        assert_eq!(got, (status, code.to_owned()), "{method} {path} {body:?}");
    }
    for (on_behalf_of, status, code) in
        [("no way", StatusCode::BAD_REQUEST, "ERR_INVALID_UID"), ("ghost", StatusCode::NOT_FOUND, "ERR_UID_NOT_FOUND")]
    {
        let res = api.as_user(on_behalf_of, "GET", "/v3/groups", None).await;
        assert_eq!(error_of(res).await, (status, code.to_owned()), "onbehalfof: {on_behalf_of}");
    }
    let res = api.as_user("ana", "POST", "/v3/groups/team/leave", None).await;
    assert_eq!(error_of(res).await, (StatusCode::NOT_FOUND, "ERR_NOT_A_MEMBER".into()));
    let after = (api.app.count("groups").await, api.app.count("group_members").await, api.app.count("audit_log").await);
    assert_eq!(before, after, "nothing was written");
}

async fn the_owner_hands_the_group_over_before_leaving(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["owner", "admin2", "ana"]).await;
    api.group(json!({"guid": "team", "name": "Team", "owner": "owner", "members": {"admins": ["admin2"], "participants": ["ana"]}})).await;
    let res = api.as_user("owner", "POST", "/v3/groups/team/leave", None).await;
    assert_eq!(error_of(res).await, (StatusCode::CONFLICT, "ERR_OWNER_CANNOT_LEAVE".into()));
    let res = api.as_user("admin2", "PATCH", "/v3/groups/team/owner", Some(json!({"uid": "admin2"}))).await;
    assert_eq!(error_of(res).await, (StatusCode::FORBIDDEN, "ERR_GROUP_NO_CLEARANCE".into()));
    let handed =
        data_of(api.as_user("owner", "PATCH", "/v3/groups/team/owner", Some(json!({"uid": "ana"}))).await).await;
    assert_eq!(handed["owner"], "ana");
    assert!(api.scopes("team").await.contains(&("ana".to_owned(), "admin".to_owned())));
    data_of(api.as_user("owner", "POST", "/v3/groups/team/leave", None).await).await;
    assert_eq!(api.members_count("team").await, 2);
    // The app hands a group over too, and the new owner is then beyond reach.
    assert_eq!(api.ok("PATCH", "/v3/groups/team/owner", Some(json!({"uid": "admin2"}))).await["owner"], "admin2");
    let res = api.as_user("ana", "DELETE", "/v3/groups/team/members/admin2", None).await;
    assert_eq!(error_of(res).await, (StatusCode::FORBIDDEN, "ERR_GROUP_NO_CLEARANCE".into()));
    let actions: Vec<String> = api.app.audit_rows().await.into_iter().map(|row| row.1).collect();
    assert_eq!(actions.iter().filter(|a| *a == "group.owner").count(), 2);
    assert!(actions.contains(&"member.leave".to_owned()));
}

async fn a_users_groups_are_listed_and_go_with_them(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["owner", "ana"]).await;
    for (guid, scope) in [("b-team", "moderators"), ("a-team", "participants"), ("c-team", "admins")] {
        api.group(json!({"guid": guid, "name": guid, "owner": "owner", "members": {scope: ["ana"]}})).await;
    }
    api.group(json!({"guid": "other", "name": "Other", "owner": "owner"})).await;
    let listed = api.ok("GET", "/v3/users/ana/groups", None).await;
    let seen: Vec<(String, String)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["guid"].as_str().unwrap().to_owned(), g["membersCount"].to_string()))
        .collect();
    assert_eq!(seen, [("a-team".into(), "2".into()), ("b-team".into(), "2".into()), ("c-team".into(), "2".into())]);
    let as_ana = data_of(api.as_user("ana", "GET", "/v3/users/ana/groups", None).await).await;
    let scopes: Vec<&str> = as_ana.as_array().unwrap().iter().map(|g| g["scope"].as_str().unwrap()).collect();
    assert_eq!(scopes, ["participant", "moderator", "admin"]);
    let paged = api.listed_at("/v3/users/ana/groups?perPage=2").await;
    assert_eq!(paged["meta"]["pagination"]["total"], 3);
    let next = paged["meta"]["cursor"]["next"].as_str().unwrap();
    let rest = api.ok("GET", &format!("/v3/users/ana/groups?perPage=2&cursor={next}"), None).await;
    assert_eq!(rest[0]["guid"], "c-team");
    api.ok("DELETE", "/v3/users/ana", Some(json!({"permanent": true}))).await;
    for guid in ["a-team", "b-team", "c-team"] {
        assert_eq!(api.members_count(guid).await, 1, "{guid}");
    }
    assert_eq!(api.app.count("group_members").await, 4);
}

async fn group_lists_search_filter_sort_and_page_every_group_once(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["owner"]).await;
    for n in 0..23 {
        let group_type = ["public", "password", "private"][n % 3];
        let mut body = json!({"guid": format!("g{n:02}"), "name": format!("Room {}", 22 - n), "type": group_type, "owner": "owner", "tags": [format!("t{}", n % 2)]});
        if group_type == "password" {
            body["password"] = json!("letmein");
        }
        api.group(body).await;
    }
    api.group(json!({"guid": "lobby", "name": "Lobby"})).await;
    let guids = |page: &Value| -> Vec<String> {
        page["data"].as_array().unwrap().iter().map(|g| g["guid"].as_str().unwrap().to_owned()).collect()
    };
    // Every group once, in name order, page after page by cursor.
    let mut seen = Vec::new();
    let mut page = api.listed_at("/v3/groups?perPage=5").await;
    assert_eq!(page["meta"]["pagination"]["total"], 24);
    loop {
        seen.extend(guids(&page));
        let Some(next) = page["meta"]["cursor"]["next"].as_str() else { break };
        page = api.listed_at(&format!("/v3/groups?perPage=5&cursor={next}")).await;
    }
    let mut by_name: Vec<String> = (0..23).map(|n| format!("g{n:02}")).collect();
    // "Room 0" (g22) ... "Room 22" (g00) compare as text: "Room 1" < "Room 10" < ... < "Room 2".
    by_name.sort_by_key(|guid| format!("room {}", 22 - guid[1..].parse::<usize>().unwrap()));
    by_name.insert(0, "lobby".into());
    assert_eq!(seen, by_name);
    // A prefix of the name or of the GUID, paged by cursor like the whole list.
    let mut found = Vec::new();
    let mut page = api.listed_at("/v3/groups?searchKey=ROOM&perPage=4").await;
    loop {
        found.extend(guids(&page));
        let Some(next) = page["meta"]["cursor"]["next"].as_str() else { break };
        page = api.listed_at(&format!("/v3/groups?searchKey=ROOM&perPage=4&cursor={next}")).await;
    }
    assert_eq!(found, by_name[1..]);
    let either = api.listed_at("/v3/groups?searchKey=g&perPage=100").await;
    assert_eq!(guids(&either), by_name[1..], "every GUID starts with g; the lobby's name does not");
    assert_eq!(guids(&api.listed_at("/v3/groups?searchKey=LOB").await), ["lobby"]);
    assert_eq!(guids(&api.listed_at("/v3/groups?searchKey=g2&sortBy=guid").await), ["g20", "g21", "g22"]);
    assert_eq!(guids(&api.listed_at("/v3/groups?searchKey=room%2021").await), ["g01"]);
    // Types and tags.
    let private = api.listed_at("/v3/groups?type=private&perPage=100").await;
    assert_eq!(private["data"].as_array().unwrap().len(), 7);
    let tagged = api.listed_at("/v3/groups?tags=t1&types=public,password&sortBy=guid").await;
    assert_eq!(guids(&tagged), ["g01", "g03", "g07", "g09", "g13", "g15", "g19", "g21"]);
    // Newest first, and the order is stable across pages.
    let newest = api.listed_at("/v3/groups?sortBy=createdAt&sortOrder=desc&perPage=100").await;
    assert_eq!(guids(&newest).len(), 24);
    let sorted_by_guid_desc = api.listed_at("/v3/groups?sortBy=guid&sortOrder=desc&perPage=3").await;
    assert_eq!(guids(&sorted_by_guid_desc), ["lobby", "g22", "g21"]);
    // Each group comes with its tags, from a plain list and a search alike.
    for path in ["/v3/groups?sortBy=guid&perPage=100", "/v3/groups?searchKey=g&sortBy=guid&perPage=100"] {
        let page = api.listed_at(path).await;
        let tagged: Vec<(&str, &Value)> =
            page["data"].as_array().unwrap().iter().map(|g| (g["guid"].as_str().unwrap(), &g["tags"])).collect();
        assert_eq!(tagged.len(), if path.contains("searchKey") { 23 } else { 24 }, "{path}");
        for (guid, tags) in tagged {
            let expected = match guid.strip_prefix('g') {
                Some(n) => json!([format!("t{}", n.parse::<usize>().unwrap() % 2)]),
                None => json!([]),
            };
            assert_eq!(tags, &expected, "{guid} in {path}");
        }
    }
    let past_the_end = api.listed_at("/v3/groups?perPage=10&page=4").await;
    assert_eq!(past_the_end["data"], json!([]));
    assert_eq!(past_the_end["meta"]["pagination"]["total"], 24, "a page past the end still counts the list");
}

async fn seeded_groups_keep_exact_counts_and_a_crowd_pages_every_member_once(backend: Backend) {
    let api = Api::new(backend).await;
    let cli = Caller::cli();
    let app = apps::get(&api.app.db, &cli, &AppId::parse(&api.app_id).unwrap()).await.unwrap();
    seed::users(&api.app.db, &cli, &app, 300, |_| {}).await.unwrap();
    let seeded = seed::groups(&api.app.db, &cli, &app, 40, 250, |_| {}).await.unwrap();
    assert_eq!((seeded.groups, seeded.memberships), (41, 40 * 5 + 250));
    assert_eq!(api.app.count("group_members").await, 450);
    let groups = api.listed_at("/v3/groups?perPage=100").await;
    assert_eq!(groups["meta"]["pagination"]["total"], 41);
    for group in groups["data"].as_array().unwrap() {
        let guid = group["guid"].as_str().unwrap();
        let members = api.listed_at(&format!("/v3/groups/{guid}/members?perPage=1")).await;
        assert_eq!(members["meta"]["pagination"]["total"], group["membersCount"], "{guid}");
        let owner = group["owner"].as_str().unwrap();
        let admins = api.ok("GET", &format!("/v3/groups/{guid}/members?scopes=admin"), None).await;
        assert_eq!(admins[0]["uid"], owner, "{guid}: the owner is its admin");
    }
    let mut seen = Vec::new();
    let mut path = format!("/v3/groups/{}/members?perPage=40", seed::CROWD_GUID);
    loop {
        let page = api.listed_at(&path).await;
        seen.extend(page["data"].as_array().unwrap().iter().map(|m| m["uid"].as_str().unwrap().to_owned()));
        let Some(next) = page["meta"]["cursor"]["next"].as_str() else { break };
        path = format!("/v3/groups/{}/members?perPage=40&cursor={next}", seed::CROWD_GUID);
    }
    assert_eq!(seen.len(), 250);
    assert!(seen.windows(2).all(|pair| pair[0] < pair[1]), "by UID, each once");
    let moderators =
        api.listed_at(&format!("/v3/groups/{}/members?scopes=moderator&perPage=100", seed::CROWD_GUID)).await;
    assert_eq!(moderators["meta"]["pagination"]["total"], 3);
}

/// On a fresh database, which has no planner statistics (as a connection
/// opened before the last `ANALYZE` has none), every plan still reads from
/// indexes; and a search or a user's groups never walks the app's groups.
async fn no_group_list_walks_a_table_or_a_whole_app_to_find_a_few(backend: Backend) {
    let api = Api::new(backend).await;
    api.users(&["ana", "bo"]).await;
    for n in 0..3 {
        api.group(json!({"guid": format!("g{n}"), "name": format!("Room {n}"), "owner": "ana", "tags": ["blue"]}))
            .await;
    }
    let cli = Caller::cli();
    let app = apps::get(&api.app.db, &cli, &AppId::parse(&api.app_id).unwrap()).await.unwrap();
    let ana = Uid::parse("ana").unwrap();
    let first = |search: Option<&str>, sort| GroupQuery {
        search: search.map(str::to_owned),
        sort,
        paging: Paging::first(1),
        ..GroupQuery::default()
    };
    let mut cases: Vec<(Acting, Option<Uid>, GroupQuery)> = Vec::new();
    for acting in [Acting::App, Acting::User(Uid::parse("bo").unwrap())] {
        for sort in GroupSort::ALL {
            for search in [None, Some("ro"), Some("g1")] {
                cases.push((acting.clone(), None, first(search, *sort)));
                cases.push((acting.clone(), Some(ana.clone()), first(search, *sort)));
            }
        }
        cases.push((
            acting.clone(),
            None,
            GroupQuery { types: vec![GroupType::Private], ..first(None, GroupSort::Name) },
        ));
        cases.push((acting.clone(), None, GroupQuery { tags: vec!["blue".into()], ..first(None, GroupSort::Name) }));
    }
    cases.push((
        Acting::User(ana.clone()),
        None,
        GroupQuery { has_joined: true, ..first(Some("ro"), GroupSort::Name) },
    ));
    let walks = |line: &str| match backend {
        Backend::Sqlite => {
            let words: Vec<&str> = line.split_whitespace().collect();
            let tables = ["g", "groups", "m", "um", "group_members", "t", "group_tags", "o", "users"];
            words.first() == Some(&"SCAN")
                && !line.contains("USING")
                && words.get(1).is_some_and(|t| tables.contains(t))
        }
        Backend::Postgres => {
            ["groups", "group_members", "group_tags"].iter().any(|t| line.contains(&format!("Seq Scan on {t}")))
        }
    };
    // SQLite's way of saying it reads every group of the app.
    let walks_the_app =
        |line: &str| backend_is_sqlite(backend) && line.starts_with("SEARCH g ") && line.ends_with("(app=?)");
    for (acting, of_user, query) in cases {
        let described = format!("{acting:?} {of_user:?} {:?} {:?} {:?}", query.search, query.sort, query.types);
        let page = match &of_user {
            Some(uid) => groups::of_user(&api.app.db, &cli, &app, &acting, uid, query.clone()).await.unwrap(),
            None => groups::list(&api.app.db, &cli, &app, &acting, query.clone()).await.unwrap(),
        };
        let narrow = query.search.is_some() || of_user.is_some() || query.has_joined;
        let after = GroupQuery { paging: Paging::after(1, page.next_cursor), ..query.clone() };
        for query in [query, after] {
            let plan = groups::explain(&api.app.db, &cli, &app, &acting, of_user.as_ref(), query).await.unwrap();
            assert!(!plan.iter().any(|line| walks(line)), "{described}:\n{}", plan.join("\n"));
            if narrow {
                assert!(!plan.iter().any(|line| walks_the_app(line)), "{described}:\n{}", plan.join("\n"));
            }
        }
    }
}

fn backend_is_sqlite(backend: Backend) -> bool {
    matches!(backend, Backend::Sqlite)
}
