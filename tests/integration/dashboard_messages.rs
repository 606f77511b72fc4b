//! The dashboard's message explorer, conversations and overview: their
//! server functions called as the dashboard calls them, and their
//! pages as the server renders them.

use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::{
    domain::OperatorRole,
    ui::{
        conversation_page::ConversationMessages, message_delete::DeleteMessage, messages_page::ListMessages,
        overview_page::LoadOverview,
    },
};

use crate::common::{Backend, data_of, error_of, path_of};
use crate::dashboard_users::Dashboard;
use crate::on_both_backends;

on_both_backends!(
    the_explorer_finds_messages_by_each_filter_and_pages_back,
    a_conversation_reads_between_two_users_or_in_a_group,
    support_deletes_a_message_with_a_reason_and_viewers_only_read,
    the_overview_counts_users_messages_and_each_keys_requests_per_day,
);

impl Dashboard {
    async fn send(&self, from: &str, to: &str, receiver_type: &str, text: &str) -> Value {
        let body = json!({"receiver": to, "receiverType": receiver_type, "category": "message", "type": "text", "data": {"text": text}});
        let res = self
            .app
            .api
            .post(self.app.url("/v3/messages"))
            .header("appid", &self.app_id)
            .header("apikey", &self.key)
            .header("onbehalfof", from)
            .json(&body)
            .send()
            .await
            .unwrap();
        data_of(res).await
    }

    /// The texts the explorer lists for a filter given as form fields.
    async fn explored(&self, filter: &[(&str, &str)]) -> (Vec<String>, Option<String>) {
        let mut form = vec![("filter[hide_deleted]", "false")];
        form.extend_from_slice(filter);
        texts(&self.ok(path_of::<ListMessages>(), &form).await)
    }
}

/// The texts of a page of messages, and its cursor to older ones.
fn texts(page: &Value) -> (Vec<String>, Option<String>) {
    let texts = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["data"]["text"].as_str().map_or_else(|| m["data"]["action"].to_string(), str::to_owned))
        .collect();
    (texts, page["next_cursor"].as_str().map(str::to_owned))
}

async fn the_explorer_finds_messages_by_each_filter_and_pages_back(backend: Backend) {
    let dash = Dashboard::new(backend).await;
    for uid in ["ana", "ben", "cat"] {
        dash.user(json!({"uid": uid, "name": uid})).await;
    }
    data_of(dash.rest("POST", "/v3/groups", Some(json!({"guid": "club", "name": "Club", "owner": "ana"}))).await).await;
    dash.send("ana", "ben", "user", "a1").await;
    dash.send("ben", "cat", "user", "b1").await;
    dash.send("ana", "club", "group", "a2").await;
    assert_eq!(dash.explored(&[("filter[sender]", "ana")]).await.0, ["a2", "a1"]);
    assert_eq!(dash.explored(&[("filter[receiver]", "cat")]).await.0, ["b1"]);
    assert_eq!(dash.explored(&[("filter[group]", "club")]).await.0, ["a2"]);
    assert_eq!(dash.explored(&[("filter[category]", "message"), ("filter[message_type]", "text")]).await.0.len(), 3);
    let today = switchboard::domain::format_date(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64,
    );
    let today = switchboard::domain::parse_date(&today).unwrap().to_string();
    assert_eq!(
        dash.explored(&[("filter[from]", &today), ("filter[until]", &today), ("filter[sender]", "ben")]).await.0,
        ["b1"]
    );

    for n in 0..55 {
        dash.send("cat", "ana", "user", &format!("n{n}")).await;
    }
    let (first, older) = dash.explored(&[("filter[sender]", "cat")]).await;
    assert_eq!((first.len(), first[0].as_str()), (50, "n54"));
    let cursor = older.expect("a cursor to older messages");
    let (rest, none) = dash.explored(&[("filter[sender]", "cat"), ("cursor", &cursor)]).await;
    assert_eq!((rest.len(), rest.last().map(String::as_str), none), (5, Some("n0"), None));

    let res =
        dash.call(path_of::<ListMessages>(), &[("filter[sender]", "no one"), ("filter[hide_deleted]", "false")]).await;
    assert_eq!(error_of(res).await.1, "ERR_BAD_REQUEST", "a filter that does not parse is refused");
    let html =
        dash.browser.get(dash.app.url(&format!("/apps/{}/messages?sender=ana", dash.app_id))).send().await.unwrap();
    let html = html.text().await.unwrap();
    // As the text of a message: "b1" alone could be part of the random App ID in the page.
    let shows = |text: &str| html.contains(&format!(">{text}<"));
    assert!(shows("a1") && shows("a2") && !shows("b1"), "the explorer renders on the server");
    let app_id = &dash.app_id;
    for link in [
        format!("/apps/{app_id}/users/ana"),
        format!("/apps/{app_id}/users/ben"),
        format!("/apps/{app_id}/groups/club"),
    ] {
        assert!(html.contains(&format!("href=\"{link}\"")), "sender and receiver lead to their pages: {link}");
    }
    // Action messages (telling a group a member was added, say) are not for deleting.
    let added = json!({"participants": ["cat"]});
    data_of(dash.rest("POST", "/v3/groups/club/members", Some(added)).await).await;
    let html = dash.browser.get(dash.app.url(&format!("/apps/{app_id}/messages?category=action"))).send().await;
    let html = html.unwrap().text().await.unwrap();
    assert!(html.contains("data-message=") && !html.contains("Delete message"), "{html}");
    let html = dash.browser.get(dash.app.url(&format!("/apps/{}/messages?category=gossip", dash.app_id))).send().await;
    assert!(html.unwrap().text().await.unwrap().contains("ERR_INVALID_MESSAGE_CATEGORY"));
}

async fn a_conversation_reads_between_two_users_or_in_a_group(backend: Backend) {
    let dash = Dashboard::new(backend).await;
    for uid in ["ana", "ben", "cat"] {
        dash.user(json!({"uid": uid, "name": uid})).await;
    }
    let members = json!({"participants": ["ben"]});
    data_of(
        dash.rest(
            "POST",
            "/v3/groups",
            Some(json!({"guid": "club", "name": "Club", "owner": "ana", "members": members})),
        )
        .await,
    )
    .await;
    dash.send("ana", "ben", "user", "hi ben").await;
    dash.send("ben", "ana", "user", "hi ana").await;
    dash.send("cat", "ana", "user", "not this one").await;
    dash.send("ben", "club", "group", "in the club").await;
    let path = path_of::<ConversationMessages>();
    let pair = dash.ok(path, &[("user", "ben"), ("with", "ana")]).await;
    assert_eq!(texts(&pair).0, ["hi ana", "hi ben"]);
    let club = dash.ok(path, &[("group", "club")]).await;
    assert_eq!(texts(&club).0, ["in the club", "\"added\""]);
    assert_eq!(error_of(dash.call(path, &[("user", "ben")]).await).await.1, "ERR_INVALID_CONVERSATION");
    let page =
        dash.browser.get(dash.app.url(&format!("/apps/{}/conversation?user=ana&with=ben", dash.app_id))).send().await;
    let html = page.unwrap().text().await.unwrap();
    // The transcript is an island: its props (the page's messages) come before the list it draws.
    let list = &html[html.find(r#"class="messages-list""#).expect("the transcript's list")..];
    assert!(list.contains("hi ben") && list.contains("hi ana") && !html.contains("not this one"));
    assert!(list.find("hi ben") < list.find("hi ana"), "the oldest comes first");
}

async fn support_deletes_a_message_with_a_reason_and_viewers_only_read(backend: Backend) {
    let dash = Dashboard::new(backend).await;
    for uid in ["ana", "ben"] {
        dash.user(json!({"uid": uid, "name": uid})).await;
    }
    let spam = dash.send("ana", "ben", "user", "buy now").await;
    let id = spam["id"].as_str().unwrap().to_owned();
    let viewer = dash.app.browser_signed_in_as("view@example.com", OperatorRole::Viewer).await;
    let support = dash.app.browser_signed_in_as("help@example.com", OperatorRole::Support).await;
    let delete = path_of::<DeleteMessage>();
    let form = |reason: &'static str, confirm: bool| {
        let mut form = vec![("id", id.as_str()), ("reason", reason)];
        if confirm {
            form.push(("confirm", "yes"));
        }
        form
    };
    let refused = error_of(dash.call_as(&viewer, delete, &form("spam", true)).await).await;
    assert_eq!(refused, (StatusCode::FORBIDDEN, "ERR_FORBIDDEN".into()));
    assert_eq!(error_of(dash.call_as(&support, delete, &form(" ", true)).await).await.1, "ERR_INVALID_REASON");
    assert_eq!(
        error_of(dash.call_as(&support, delete, &form("spam", false)).await).await.1,
        "ERR_CONFIRMATION_REQUIRED"
    );
    for (who, may_delete) in [(&viewer, false), (&support, true)] {
        let html = who.get(dash.app.url(&format!("/apps/{}/messages", dash.app_id))).send().await.unwrap();
        let html = html.text().await.unwrap();
        assert!(html.contains("buy now"));
        assert_eq!(html.contains("Delete message"), may_delete);
    }
    let res = dash.call_as(&support, delete, &form("spam", true)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let message = data_of(dash.rest("GET", &format!("/v3/messages/{id}"), None).await).await;
    assert_eq!(message["deletedBy"], "app_system", "users see the app, not the operator");
    let audit = dash.app.audit_rows().await;
    let row = audit.iter().find(|(_, action, ..)| action == "message.delete").expect("an audit row");
    assert_eq!(row.0, "help@example.com");
    assert!(row.3.contains("spam"), "{row:?}");
    assert_eq!(
        error_of(dash.call_as(&support, delete, &form("again", true)).await).await.1,
        "ERR_MESSAGE_ACTION_NOT_ALLOWED"
    );
}

async fn the_overview_counts_users_messages_and_each_keys_requests_per_day(backend: Backend) {
    let dash = Dashboard::new(backend).await;
    for uid in ["ana", "ben"] {
        dash.user(json!({"uid": uid, "name": uid})).await;
    }
    data_of(dash.rest("POST", "/v3/groups", Some(json!({"guid": "club", "name": "Club"}))).await).await;
    dash.send("ana", "ben", "user", "one").await;
    dash.send("ben", "ana", "user", "two").await;
    let overview = dash.ok(path_of::<LoadOverview>(), &[]).await;
    assert_eq!(
        (overview["users"].as_i64(), overview["groups"].as_i64(), overview["messages"].as_i64()),
        (Some(2), Some(1), Some(2))
    );
    let days = overview["days"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    let today = days.last().unwrap();
    assert_eq!((today["new_users"].as_i64(), today["messages"].as_i64()), (Some(2), Some(2)));
    assert!(days[..29].iter().all(|d| d["new_users"] == 0 && d["messages"] == 0));
    // Five REST calls so far: two users, one group, two messages.
    let keys = overview["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["requests"].as_array().unwrap().last().unwrap(), 5);
    assert_eq!(keys[0]["requests"].as_array().unwrap().iter().filter_map(Value::as_i64).sum::<i64>(), 5);

    let html = dash.browser.get(dash.app.url(&format!("/apps/{}/overview", dash.app_id))).send().await.unwrap();
    let html = html.text().await.unwrap();
    assert!(html.contains("<svg"), "the charts are drawn on the server");
    assert!(html.contains("Messages per day") && html.contains("New users per day"));
    assert!(crate::common::texts_of(&html, "title").iter().any(|t| t.ends_with(": 2")), "today's bar names its value");
}
