//! The dashboard's groups and group pages: their server functions called
//! over HTTP as the dashboard calls them, for each operator role.

use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use switchboard::{
    domain::OperatorRole,
    ui::{
        group_bans::ListBanned,
        group_form::SaveGroup,
        group_members::{ChangeMembers, ListMembers},
        group_page::{DeleteGroup, LoadGroup},
        groups_page::ListGroups,
        user_groups::ListUserGroups,
    },
};

use crate::common::{Backend, data_of, error_of, path_of};
use crate::dashboard_users::Dashboard;
use crate::on_both_backends;

on_both_backends!(
    a_group_is_created_edited_found_and_deleted_from_the_dashboard,
    members_are_added_moved_kicked_banned_and_unbanned_with_each_refusal_named,
    each_operator_role_does_only_its_own_part_to_groups,
);

impl Dashboard {
    async fn users(&self, uids: &[&str]) {
        for uid in uids {
            self.user(json!({"uid": uid, "name": format!("User {uid}")})).await;
        }
    }

    /// Applies a member change as `who`, to the group `guid`.
    async fn members(&self, who: &Client, guid: &str, action: &str, uids: &[&str], scope: &str) -> Response {
        let mut form: Vec<(&str, &str)> = uids.iter().map(|uid| ("uids[]", *uid)).collect();
        form.extend([("guid", guid), ("action", action), ("scope", scope)]);
        // The page's kick and ban forms come with their box ticked.
        if matches!(action, "kick" | "ban") {
            form.push(("confirm", "yes"));
        }
        self.call_as(who, path_of::<ChangeMembers>(), &form).await
    }

    async fn member_scopes(&self, guid: &str) -> Vec<(String, String)> {
        let page = self.ok(path_of::<ListMembers>(), &[("guid", guid), ("search", ""), ("scope", "")]).await;
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["uid"].as_str().unwrap().to_owned(), m["scope"].as_str().unwrap().to_owned()))
            .collect()
    }
}

fn guids(page: &Value) -> Vec<&str> {
    page["items"].as_array().unwrap().iter().map(|g| g["guid"].as_str().unwrap()).collect()
}

async fn a_group_is_created_edited_found_and_deleted_from_the_dashboard(backend: Backend) {
    let dash = Dashboard::new(backend).await;
    let save = path_of::<SaveGroup>();
    let club = [("guid", "Book-Club"), ("name", "Book club"), ("group_type", "password"), ("tags", "books, weekly")];
    let res = dash.call(save, &club).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_EMPTY_GROUP_PASS".into()));
    let res =
        dash.call(save, &[("guid", "lounge"), ("name", "Lounge"), ("group_type", "public"), ("password", "x")]).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_INVALID_GROUP_PASSWORD".into()));
    let res = dash.call(save, &[("guid", "no way"), ("name", "X"), ("group_type", "public")]).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_INVALID_GUID".into()));
    let res = dash.call(save, &[("guid", "x"), ("name", "X"), ("group_type", "secret")]).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_BAD_REQUEST".into()));
    assert_eq!(dash.app.count("groups").await, 0, "nothing half made");

    let mut with_password = club.to_vec();
    with_password.push(("password", "chapter one"));
    assert!(dash.call(save, &with_password).await.status().is_success());
    dash.ok(save, &[("guid", "lounge"), ("name", "Lounge"), ("group_type", "public")]).await;
    let group = data_of(dash.rest("GET", "/v3/groups/book-club", None).await).await;
    assert_eq!((group["type"].clone(), group["tags"].clone()), (json!("password"), json!(["books", "weekly"])));

    // Edited without a password, a password group keeps its own.
    let edit = [
        ("guid", "book-club"),
        ("name", "Readers"),
        ("group_type", "password"),
        ("description", "Weekly"),
        ("update", "true"),
    ];
    dash.ok(save, &edit).await;
    let loaded = dash.ok(path_of::<LoadGroup>(), &[("guid", "book-club")]).await;
    assert_eq!((loaded["name"].clone(), loaded["description"].clone()), (json!("Readers"), json!("Weekly")));
    dash.users(&["ana"]).await;
    let join = |password: &'static str| {
        dash.app
            .api
            .post(dash.app.url("/v3/groups/book-club/join"))
            .header("appid", &dash.app_id)
            .header("apikey", &dash.key)
            .header("onbehalfof", "ana")
            .json(&json!({"password": password}))
            .send()
    };
    assert_eq!(join("chapter one").await.unwrap().status(), StatusCode::OK);

    let list = async |search: &str, group_type: &str| {
        dash.ok(path_of::<ListGroups>(), &[("search", search), ("group_type", group_type)]).await
    };
    assert_eq!(guids(&list("", "").await), ["lounge", "book-club"], "by name: Lounge, Readers");
    assert_eq!(guids(&list("rea", "").await), ["book-club"]);
    assert_eq!(guids(&list("", "public").await), ["lounge"]);
    assert_eq!(list("", "").await["total"], 2);

    let delete = path_of::<DeleteGroup>();
    let res = dash.call(delete, &[("guid", "book-club")]).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_CONFIRMATION_REQUIRED".into()));
    assert!(dash.call(delete, &[("guid", "book-club"), ("confirm", "yes")]).await.status().is_success());
    let gone = dash.rest("GET", "/v3/groups/book-club", None).await;
    assert_eq!(error_of(gone).await, (StatusCode::NOT_FOUND, "ERR_GUID_NOT_FOUND".into()));
    assert_eq!(dash.app.count("group_members").await, 0, "its members went with it");
    assert_eq!(list("", "").await["total"], 1, "the kept total follows");
}

async fn members_are_added_moved_kicked_banned_and_unbanned_with_each_refusal_named(backend: Backend) {
    let dash = Dashboard::new(backend).await;
    dash.users(&["ana", "bo", "cy"]).await;
    dash.ok(path_of::<SaveGroup>(), &[("guid", "team"), ("name", "Team"), ("group_type", "private")]).await;
    let me = &dash.browser;
    let refused: Value =
        dash.members(me, "team", "add", &["ana", "bo", "cy", "ghost"], "participant").await.json().await.unwrap();
    let refused: Vec<&str> = refused.as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert_eq!(refused.len(), 1);
    assert!(refused[0].starts_with("ghost: "), "{refused:?}");
    let again = dash.members(me, "team", "add", &["ana"], "participant").await;
    assert_eq!(
        error_of(again).await,
        (StatusCode::CONFLICT, "ERR_ALREADY_JOINED".into()),
        "one user's refusal is the error"
    );

    dash.members(me, "team", "changeScope", &["bo"], "moderator").await.error_for_status().unwrap();
    dash.members(me, "team", "kick", &["cy"], "").await.error_for_status().unwrap();
    dash.members(me, "team", "ban", &["ana"], "").await.error_for_status().unwrap();
    assert_eq!(dash.member_scopes("team").await, [("bo".to_owned(), "moderator".to_owned())]);
    let banned = dash.ok(path_of::<ListBanned>(), &[("guid", "team")]).await;
    assert_eq!(banned["items"][0]["uid"], "ana");
    assert_eq!(banned["items"][0]["bannedBy"], "dev@example.com");
    let res = dash.members(me, "team", "add", &["ana"], "participant").await;
    assert_eq!(error_of(res).await, (StatusCode::CONFLICT, "ERR_BANNED_GROUPMEMBER".into()));
    dash.members(me, "team", "unban", &["ana"], "").await.error_for_status().unwrap();
    dash.members(me, "team", "add", &["ana"], "admin").await.error_for_status().unwrap();
    let res = dash.members(me, "team", "changeScope", &["ana"], "").await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_INVALID_SCOPE".into()));
    let res = dash.members(me, "team", "promote", &["ana"], "admin").await;
    assert_eq!(error_of(res).await.0, StatusCode::BAD_REQUEST);
    let res = dash.members(me, "team", "kick", &[], "").await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_NO_UIDS".into()));

    // A user's page lists their groups with their scope in each, private ones included.
    let groups = dash.ok(path_of::<ListUserGroups>(), &[("uid", "ana")]).await;
    assert_eq!(
        (groups["items"][0]["guid"].clone(), groups["items"][0]["scope"].clone()),
        (json!("team"), json!("admin"))
    );
    let actions: Vec<String> = dash.app.audit_rows().await.into_iter().map(|row| row.1).collect();
    for action in ["member.add", "member.scope", "member.kick", "member.ban", "member.unban"] {
        assert!(actions.iter().any(|a| a == action), "{action} is in the audit log");
    }
}

async fn each_operator_role_does_only_its_own_part_to_groups(backend: Backend) {
    let dash = Dashboard::new(backend).await;
    dash.users(&["ana", "bo"]).await;
    dash.ok(path_of::<SaveGroup>(), &[("guid", "team"), ("name", "Team"), ("group_type", "public")]).await;
    dash.members(&dash.browser, "team", "add", &["ana", "bo"], "participant").await.error_for_status().unwrap();
    let viewer = dash.app.browser_signed_in_as("view@example.com", OperatorRole::Viewer).await;
    let support = dash.app.browser_signed_in_as("help@example.com", OperatorRole::Support).await;
    let forbidden = || (StatusCode::FORBIDDEN, "ERR_FORBIDDEN".to_owned());
    for (action, scope) in [("add", "participant"), ("changeScope", "moderator")] {
        assert_eq!(
            error_of(dash.members(&support, "team", action, &["bo"], scope).await).await,
            forbidden(),
            "support: {action}"
        );
    }
    for (action, scope) in [("kick", ""), ("ban", ""), ("unban", ""), ("add", "participant")] {
        assert_eq!(
            error_of(dash.members(&viewer, "team", action, &["bo"], scope).await).await,
            forbidden(),
            "viewer: {action}"
        );
    }
    let edit = [("guid", "team"), ("name", "Mine"), ("group_type", "public"), ("update", "true")];
    assert_eq!(error_of(dash.call_as(&support, path_of::<SaveGroup>(), &edit).await).await, forbidden());
    let delete = [("guid", "team"), ("confirm", "yes")];
    assert_eq!(error_of(dash.call_as(&support, path_of::<DeleteGroup>(), &delete).await).await, forbidden());
    // Support staff kick, ban and unban.
    dash.members(&support, "team", "kick", &["ana"], "").await.error_for_status().unwrap();
    dash.members(&support, "team", "ban", &["bo"], "").await.error_for_status().unwrap();
    dash.members(&support, "team", "unban", &["bo"], "").await.error_for_status().unwrap();
    // Everyone reads, and sees only the controls they may use.
    dash.members(&dash.browser, "team", "add", &["ana"], "participant").await.error_for_status().unwrap();
    for (who, manage, moderate) in [(&viewer, false, false), (&support, false, true), (&dash.browser, true, true)] {
        let res = dash.call_as(who, path_of::<ListGroups>(), &[("search", ""), ("group_type", "")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let page = who.get(dash.app.url(&format!("/apps/{}/groups/team", dash.app_id))).send().await.unwrap();
        let html = page.text().await.unwrap();
        assert!(html.contains("Team"), "the group is there for everyone");
        assert_eq!(html.contains("Edit group"), manage, "viewer/support/developer: edit");
        assert_eq!(html.contains("Add members"), manage, "add members");
        assert!(html.contains("data-uid=\"ana\""), "the members are there for everyone");
        assert_eq!(html.contains("value=\"kick\""), moderate, "kick");
        let groups_page = who.get(dash.app.url(&format!("/apps/{}/groups", dash.app_id))).send().await.unwrap();
        assert_eq!(groups_page.text().await.unwrap().contains("New group"), manage);
    }
    let res =
        dash.call_as(&reqwest::Client::new(), path_of::<ListGroups>(), &[("search", ""), ("group_type", "")]).await;
    assert_eq!(error_of(res).await, (StatusCode::UNAUTHORIZED, "ERR_NOT_SIGNED_IN".into()));
    // The member search is in the address: a link to it shows what it found.
    let url = dash.app.url(&format!("/apps/{}/groups/team?member=zz&scope=", dash.app_id));
    let html = dash.browser.get(url).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("tr data-uid=\"ana\""), "ana is not a zz");
    assert!(html.contains("name=\"member\" value=\"zz\""), "the search box holds the search");
    let url = dash.app.url(&format!("/apps/{}/groups/team?member=an", dash.app_id));
    let html = dash.browser.get(url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("tr data-uid=\"ana\""));
}
