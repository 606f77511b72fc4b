//! CometChat's published v3 document as the client: every operation of it
//! that Switchboard routes, sent as CometChat documents it (its example
//! values, on seeded data), answers 2xx with a body that the documented
//! answer schema accepts, checked by a JSON Schema validator. The document
//! and where it came from: `tests/cometchat/`.

use std::collections::{BTreeMap, BTreeSet};

use jsonschema::Validator;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Api, Backend};
use crate::on_both_backends;

on_both_backends!(every_routed_operation_answers_its_documented_example_with_a_valid_body);

const SPEC: &str = include_str!("../cometchat/chat-apis.subset.json");

/// CometChat's document, and what it says of one operation.
struct Spec {
    doc: Value,
    /// operationId -> (method, path template)
    operations: BTreeMap<String, (String, String)>,
}

impl Spec {
    fn load() -> Spec {
        let doc: Value = serde_json::from_str(SPEC).unwrap();
        let mut operations = BTreeMap::new();
        for (path, methods) in doc["paths"].as_object().unwrap() {
            for (method, op) in methods.as_object().unwrap() {
                let id = op["operationId"].as_str().unwrap().to_owned();
                operations.insert(id, (method.to_uppercase(), path.clone()));
            }
        }
        Spec { doc, operations }
    }

    fn operation(&self, id: &str) -> &Value {
        let (method, path) = self.operations.get(id).unwrap_or_else(|| panic!("{id} is not in the document"));
        &self.doc["paths"][path][method.to_lowercase()]
    }

    /// A validator for `schema`, whose `$ref`s point into the document's components.
    fn validator(&self, schema: &Value) -> Validator {
        let mut root = schema.clone();
        root.as_object_mut().unwrap().insert("components".into(), self.doc["components"].clone());
        jsonschema::draft4::new(&root).unwrap()
    }

    fn answer_schema(&self, id: &str) -> Validator {
        self.validator(&self.operation(id)["responses"]["200"]["content"]["application/json"]["schema"])
    }

    fn body_schema(&self, id: &str) -> Option<Validator> {
        let schema = &self.operation(id)["requestBody"]["content"]["application/json"]["schema"];
        (!schema.is_null()).then(|| self.validator(schema))
    }

    /// The names of the query parameters the operation documents.
    fn query_names(&self, id: &str) -> BTreeSet<String> {
        let params = self.operation(id)["parameters"].as_array().cloned().unwrap_or_default();
        params
            .iter()
            .map(|p| match p["$ref"].as_str() {
                Some(r) => self.doc["components"]["parameters"][r.rsplit('/').next().unwrap()].clone(),
                None => p.clone(),
            })
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The names of the top-level fields the operation's body documents.
    fn body_fields(&self, id: &str) -> BTreeSet<String> {
        let schema = &self.operation(id)["requestBody"]["content"]["application/json"]["schema"];
        fields_of(schema, &self.doc)
    }

    /// Each documented operation that our own document routes, by operationId.
    fn routed_by(&self, ours: &Value) -> BTreeSet<String> {
        let shape = |method: &str, path: &str| {
            let path = path.strip_prefix("/v3").unwrap_or(path);
            let segments: Vec<&str> = path.split('/').map(|s| if s.starts_with('{') { "{}" } else { s }).collect();
            format!("{method} {}", segments.join("/"))
        };
        let served: BTreeSet<String> = ours["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, methods)| {
                methods.as_object().unwrap().keys().map(move |m| shape(&m.to_uppercase(), path))
            })
            .collect();
        self.operations
            .iter()
            .filter(|(_, (method, path))| served.contains(&shape(method, path)))
            .map(|(id, _)| id.clone())
            .collect()
    }
}

/// One documented request: the operation, its path parameters, query,
/// `onBehalfOf` user and body.
struct Request<'a> {
    op: &'a str,
    params: Vec<(&'a str, String)>,
    query: &'a str,
    on_behalf_of: Option<&'a str>,
    body: Option<Value>,
}

fn req(op: &str) -> Request<'_> {
    Request { op, params: vec![], query: "", on_behalf_of: None, body: None }
}

impl<'a> Request<'a> {
    fn param(mut self, name: &'a str, value: impl ToString) -> Self {
        self.params.push((name, value.to_string()));
        self
    }
    fn query(mut self, query: &'a str) -> Self {
        self.query = query;
        self
    }
    fn as_user(mut self, uid: &'a str) -> Self {
        self.on_behalf_of = Some(uid);
        self
    }
    fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
}

/// Sends documented requests and keeps what each answered.
struct Client<'a> {
    api: &'a Api,
    spec: &'a Spec,
    checked: BTreeSet<String>,
    failures: Vec<String>,
}

impl Client<'_> {
    /// Sends the request, checks its answer, and returns its `data`.
    async fn send(&mut self, request: Request<'_>) -> Value {
        let Request { op, params, query, on_behalf_of, body } = request;
        let (method, template) = self.spec.operations[op].clone();
        let path = self.documented_path(op, &template, &params, query, body.as_ref());

        let mut call = self.api.app.api.request(method.parse().unwrap(), self.api.app.url(&format!("/v3{path}")));
        call = call.header("appId", &self.api.app_id).header("apiKey", &self.api.key);
        if let Some(uid) = on_behalf_of {
            call = call.header("onBehalfOf", uid);
        }
        if let Some(body) = &body {
            call = call.json(body);
        }
        let res = call.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        self.checked.insert(op.to_owned());
        let Ok(answer) = serde_json::from_str::<Value>(&text) else {
            self.failures.push(format!("{op} {method} {path}: {status}, not JSON: {text}"));
            return Value::Null;
        };
        if status != StatusCode::OK {
            self.failures.push(format!("{op} {method} {path}: {status} {answer}"));
            return Value::Null;
        }
        let validator = self.spec.answer_schema(op);
        let mut wrong = BTreeSet::new();
        for error in validator.iter_errors(&answer) {
            wrong.insert(format!("at {}: {error}", any_item(&error.instance_path().to_string())));
        }
        for null in nulls(&answer, String::new()) {
            wrong.insert(format!("{} is null; absent values are left out", any_item(&null)));
        }
        self.failures.extend(wrong.into_iter().map(|w| format!("{op} {method} {path}: {w}")));
        answer["data"].clone()
    }

    /// The path with its parameters filled in, after checking that the
    /// request is one the document describes: its query parameters are
    /// documented and its body validates against the documented schema.
    fn documented_path(
        &self,
        op: &str,
        template: &str,
        params: &[(&str, String)],
        query: &str,
        body: Option<&Value>,
    ) -> String {
        let documented = self.spec.query_names(op);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let name = pair.split('=').next().unwrap();
            assert!(documented.contains(name), "{op}: `{name}` is not a documented query parameter");
        }
        match (self.spec.body_schema(op), body) {
            (Some(schema), Some(body)) => {
                let errors: Vec<String> = schema.iter_errors(body).map(|e| e.to_string()).collect();
                assert!(errors.is_empty(), "{op}: the example body is not as documented: {errors:?}");
            }
            (None, Some(_)) => panic!("{op} documents no body"),
            _ => {}
        }
        let mut path = template.to_owned();
        for (name, value) in params {
            let slot = format!("{{{name}}}");
            assert!(path.contains(&slot), "{op} has no path parameter {name}");
            path = path.replace(&slot, value);
        }
        assert!(!path.contains('{'), "{op}: {path} has a parameter left to fill");
        if query.is_empty() { path } else { format!("{path}?{query}") }
    }
}

/// Where a JSON value holds `null`.
fn nulls(value: &Value, at: String) -> Vec<String> {
    match value {
        Value::Null => vec![if at.is_empty() { "the answer".into() } else { at }],
        Value::Array(items) => items.iter().enumerate().flat_map(|(i, v)| nulls(v, format!("{at}/{i}"))).collect(),
        Value::Object(fields) => fields.iter().flat_map(|(k, v)| nulls(v, format!("{at}/{k}"))).collect(),
        _ => vec![],
    }
}

/// A JSON pointer with its array indexes as `*`, so that a fault of every
/// item of a list is told once.
fn any_item(pointer: &str) -> String {
    pointer.split('/').map(|s| if s.parse::<usize>().is_ok() { "*" } else { s }).collect::<Vec<_>>().join("/")
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn every_routed_operation_answers_its_documented_example_with_a_valid_body(backend: Backend) {
    let api = Api::new(backend).await;
    let spec = Spec::load();
    let ours: Value = api.app.api.get(api.app.url("/v3/openapi.json")).send().await.unwrap().json().await.unwrap();
    let routed = spec.routed_by(&ours);
    the_operations_cometchat_lacks_are_marked_as_ours(&spec, &ours);
    every_documented_field_is_one_we_take(&spec, &ours, &routed);
    let mut client = Client { api: &api, spec: &spec, checked: BTreeSet::new(), failures: vec![] };

    api_keys(&mut client).await;
    users_and_their_tokens_and_friends(&mut client).await;
    roles(&mut client).await;
    groups_and_members(&mut client).await;
    messages(&mut client).await;
    what_deletes(&mut client).await;

    let unchecked: Vec<&String> = routed.difference(&client.checked).collect();
    assert!(unchecked.is_empty(), "routed but not checked against the document: {unchecked:?}");
    assert!(
        client.failures.is_empty(),
        "{} of {} routed operations answered against the document:\n{}",
        client.failures.iter().map(|f| f.split(' ').next().unwrap()).collect::<BTreeSet<_>>().len(),
        routed.len(),
        client.failures.join("\n")
    );
}

/// Every operation of our document that CometChat's does not have carries
/// `x-switchboard-extension`, and none that it has does.
fn the_operations_cometchat_lacks_are_marked_as_ours(spec: &Spec, ours: &Value) {
    let theirs: BTreeSet<String> =
        spec.operations.values().map(|(method, path)| format!("{method} {}", any_param(path))).collect();
    for (path, methods) in ours["paths"].as_object().unwrap() {
        for (method, operation) in methods.as_object().unwrap() {
            let name = format!("{} {}", method.to_uppercase(), any_param(path.strip_prefix("/v3").unwrap()));
            let marked = operation["x-switchboard-extension"] == true;
            assert_eq!(marked, !theirs.contains(&name), "{name} is marked as ours exactly when CometChat lacks it");
        }
    }
}

/// Every query parameter and body field CometChat documents for an
/// operation we route is one our own document takes for it: a client
/// sending any of them is never refused as sending something unknown.
fn every_documented_field_is_one_we_take(spec: &Spec, ours: &Value, routed: &BTreeSet<String>) {
    // The reading of both documents finds fields at all, through their `$ref`s.
    assert!(spec.body_fields("send-message").contains("multipleReceivers"));
    let send = &ours["paths"]["/v3/messages"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    assert!(fields_of(send, ours).contains("multipleReceivers"), "{send}");
    let mut missing = Vec::new();
    for op in routed {
        let (method, path) = &spec.operations[op];
        let (our_path, ours_op) = ours["paths"]
            .as_object()
            .unwrap()
            .iter()
            .find_map(|(p, methods)| {
                let same = any_param(p.strip_prefix("/v3").unwrap_or(p)) == any_param(path);
                same.then(|| (p, methods.get(method.to_lowercase())))
            })
            .and_then(|(p, op)| Some((p, op?)))
            .unwrap_or_else(|| panic!("{op} is routed but not in our document"));
        let our_query: BTreeSet<String> = ours_op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect();
        for name in spec.query_names(op).difference(&our_query) {
            missing.push(format!("{op} ({method} {our_path}): query parameter `{name}`"));
        }
        let our_body = fields_of(&ours_op["requestBody"]["content"]["application/json"]["schema"], ours);
        for name in spec.body_fields(op).difference(&our_body) {
            missing.push(format!("{op} ({method} {our_path}): body field `{name}`"));
        }
    }
    assert!(missing.is_empty(), "documented, and not taken by us:\n{}", missing.join("\n"));
}

/// The top-level property names of `schema`, through `$ref`s (into `doc`'s
/// components) and `allOf`/`oneOf`/`anyOf`.
fn fields_of(schema: &Value, doc: &Value) -> BTreeSet<String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let pointer = reference.trim_start_matches('#');
        return doc.pointer(pointer).map(|target| fields_of(target, doc)).unwrap_or_default();
    }
    let mut names: BTreeSet<String> =
        schema["properties"].as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default();
    for combined in ["allOf", "oneOf", "anyOf"] {
        for part in schema[combined].as_array().into_iter().flatten() {
            names.extend(fields_of(part, doc));
        }
    }
    names
}

fn any_param(path: &str) -> String {
    path.split('/').map(|s| if s.starts_with('{') { "{}" } else { s }).collect::<Vec<_>>().join("/")
}

async fn api_keys(client: &mut Client<'_>) {
    let created = client.send(req("create-apikey").body(json!({"name": "John's apiKey", "scope": "authOnly"}))).await;
    let key = text_of(&created["apiKey"]);
    client.send(req("list-apikeys").query("scope=authOnly&searchKey=John")).await;
    client.send(req("get-apikey").param("apiKey", &key)).await;
    client
        .send(req("update-apikey").param("apiKey", &key).body(json!({"name": "John's key", "scope": "fullAccess"})))
        .await;
    client.send(req("delete-apikey").param("apiKey", &key)).await;
}

const METADATA: &str = r#"{"@private": {"email": "user@email.com", "contactNumber": "0123456789"}}"#;

async fn users_and_their_tokens_and_friends(client: &mut Client<'_>) {
    let metadata: Value = serde_json::from_str(METADATA).unwrap();
    client
        .send(req("create-user").body(json!({
            "uid": "cometchat-uid-1", "name": "Andrew Joseph",
            "avatar": "https://assets.cometchat.io/sampleapp/v2/users/cometchat-uid-1.webp",
            "link": "https://cometchat.com", "role": "default", "statusMessage": "Available",
            "metadata": metadata, "tags": ["tag1"], "withAuthToken": true,
        })))
        .await;
    for (uid, name) in [
        ("cometchat-uid-2", "George Alan"),
        ("cometchat-uid-3", "Nancy Grace"),
        ("cometchat-uid-4", "Susan Marie"),
        ("cometchat-uid-5", "John Paul"),
    ] {
        client.send(req("create-user").body(json!({"uid": uid, "name": name}))).await;
    }
    client.send(req("list-users").query("perPage=100&page=1")).await;
    client
        .send(req("list-users").query(
            "searchKey=cometchat&searchIn=name,uid&status=offline&count=true&perPage=10&page=1&role=default&withTags=true&tags=tag1&roles=default&withDeactivated=true",
        ))
        .await;
    client.send(req("get-user").param("uid", "cometchat-uid-1")).await;
    client
        .send(req("update-user").param("uid", "cometchat-uid-1").body(json!({
            "name": "Andrew J.", "link": "https://cometchat.com/andrew", "statusMessage": "Busy",
            "metadata": metadata, "tags": ["tag1"], "unset": ["avatar"],
        })))
        .await;

    let token = client.send(req("create-authtoken").param("uid", "cometchat-uid-1").body(json!({"force": true}))).await;
    let token = text_of(&token["authToken"]);
    client.send(req("list-authtokens").param("uid", "cometchat-uid-1").query("perPage=100&page=1")).await;
    let this_token = |op| req(op).param("uid", "cometchat-uid-1").param("authToken", token.clone());
    client.send(this_token("get-authtoken")).await;
    client
        .send(this_token("update-authtoken").body(json!({
            "platform": "web", "userAgent": "Mozilla/5.0", "appInfo": {"version": "4.0.0"},
        })))
        .await;
    client.send(this_token("delete-authtoken")).await;
    client.send(req("create-authtoken").param("uid", "cometchat-uid-1")).await;
    client.send(req("flush-authtokens").param("uid", "cometchat-uid-1")).await;

    let friends = json!({"accepted": ["cometchat-uid-2", "cometchat-uid-3"]});
    client.send(req("add-friend").param("uid", "cometchat-uid-1").body(friends)).await;
    client
        .send(req("list-all-friends").param("uid", "cometchat-uid-1").query("searchKey=cometchat&perPage=100&page=1"))
        .await;
    client
        .send(req("remove-friend").param("uid", "cometchat-uid-1").body(json!({"friends": ["cometchat-uid-3"]})))
        .await;

    let blocked = json!({"blockedUids": ["cometchat-uid-3", "cometchat-uid-4"]});
    client.send(req("block-users").param("uid", "cometchat-uid-1").body(blocked.clone())).await;
    client.send(req("list-blocked-users").param("uid", "cometchat-uid-1").query("perPage=100&page=1")).await;
    client.send(req("unblock-users").param("uid", "cometchat-uid-1").body(blocked)).await;

    client.send(req("deactivate-users").body(json!({"uidsToDeactivate": ["cometchat-uid-5"]}))).await;
    client.send(req("list-users").query("onlyDeactivated=true")).await;
    client.send(req("reactivate-users").body(json!({"uidsToActivate": ["cometchat-uid-5"]}))).await;
}

async fn roles(client: &mut Client<'_>) {
    client
        .send(req("create-role").body(json!({
            "role": "manager", "name": "Manager", "description": "Runs the team",
            "metadata": {"email": "admin@yourcompany.com"}, "settings": {},
        })))
        .await;
    client.send(req("list-roles").query("perPage=100&page=1")).await;
    client.send(req("get-role").param("role", "default")).await;
    client
        .send(req("update-role").param("role", "default").body(json!({
            "name": "Default", "description": "Everyone starts here",
            "metadata": {"email": "admin@yourcompany.com"}, "unset": [],
        })))
        .await;
}

async fn groups_and_members(client: &mut Client<'_>) {
    client
        .send(req("create-group").body(json!({
            "guid": "cometchat-guid-1", "name": "Hiking Group", "type": "public",
            "icon": "https://assets.cometchat.io/sampleapp/v2/groups/cometchat-guid-1.webp",
            "description": "Those who like hiking", "metadata": {"place": "the hills"},
            "owner": "cometchat-uid-1", "tags": ["tag1"],
            "members": {"admins": ["cometchat-uid-2"], "moderators": [], "participants": ["cometchat-uid-3"], "usersToBan": []},
        })))
        .await;
    client.send(req("list-groups").query("perPage=100&page=1")).await;
    client
        .send(req("list-groups").query(
            "searchKey=Hiking&searchIn=name,guid&sortBy=name&sortOrder=asc&perPage=10&withTags=true&tags=tag1&type=public&types=public,private",
        ))
        .await;
    client.send(req("list-groups").as_user("cometchat-uid-1").query("hasJoined=true&affix=append&updatedAt=1")).await;
    client.send(req("get-group").param("guid", "cometchat-guid-1")).await;
    client
        .send(req("update-group").param("guid", "cometchat-guid-1").body(json!({
            "name": "Hikers", "description": "Up the hills", "owner": "cometchat-uid-1", "tags": ["tag1"], "unset": ["icon"],
        })))
        .await;

    let group = |op| req(op).param("guid", "cometchat-guid-1");
    client
        .send(group("add-group-members").body(json!({
            "admins": [], "moderators": [], "participants": ["cometchat-uid-4"], "usersToBan": ["cometchat-uid-5"],
        })))
        .await;
    client.send(group("list-group-members").query("perPage=100&page=1")).await;
    client.send(group("list-group-members").query("status=offline&scopes=admin,participant")).await;
    client
        .send(group("change-group-member-scope").param("uid", "cometchat-uid-4").body(json!({"scope": "moderator"})))
        .await;
    client.send(group("ban-group-user").param("uid", "cometchat-uid-4")).await;
    client.send(group("list-banned-group-users").query("perPage=100&page=1")).await;
    client.send(group("unban-group-user").param("uid", "cometchat-uid-4")).await;
    client.send(group("kick-group-member").param("uid", "cometchat-uid-3")).await;
}

async fn messages(client: &mut Client<'_>) {
    let text = |receiver: &str, receiver_type: &str, text: &str| json!({"receiver": receiver, "receiverType": receiver_type, "category": "message", "type": "text", "data": {"text": text}});
    let mut first = text("cometchat-uid-2", "user", "Hi George");
    first["muid"] = json!("web-1");
    first["tags"] = json!(["tag1"]);
    first["data"]["metadata"] = json!({"latitude": "50.6192171633316"});
    let first = client.send(req("send-message").as_user("cometchat-uid-1").body(first)).await;
    let id = text_of(&first["id"]);
    client.send(req("send-message").as_user("cometchat-uid-1").body(text("cometchat-guid-1", "group", "Hi all"))).await;
    let custom = json!({
        "receiver": "cometchat-uid-2", "receiverType": "user", "category": "custom", "type": "location",
        "data": {"customData": {"latitude": "50.6192171633316", "longitude": "-72.68182268750002"}},
    });
    client.send(req("send-message").as_user("cometchat-uid-1").body(custom)).await;
    let mut everyone = text("cometchat-uid-2", "user", "Hello everyone");
    everyone["multipleReceivers"] = json!({"uids": ["cometchat-uid-4"], "guids": ["cometchat-guid-1"]});
    client.send(req("send-message").as_user("cometchat-uid-1").body(everyone)).await;

    client.send(req("list-all-messages")).await;
    client
        .send(req("list-all-messages").query(
            "receiverType=user&category=message&type=text&sender=cometchat-uid-1&hideDeleted=true&withTags=true&count=true&limit=10&affix=prepend",
        ))
        .await;
    client
        .send(req("list-all-messages").query(
            "conversationId=cometchat-uid-1_user_cometchat-uid-2&categories=message,custom&types=text,location&hideMessagesFromBlockedUsers=true&fromTimestamp=1&toTimestamp=4102444800",
        ))
        .await;
    client.send(req("list-all-messages").query("hasAttachments=true&attachmentTypes=image&hasReactions=false")).await;
    let mention = text("cometchat-guid-1", "group", "Look, <@uid:cometchat-uid-2>: https://www.cometchat.com");
    client.send(req("send-message").as_user("cometchat-uid-1").body(mention)).await;
    client
        .send(req("list-all-messages").as_user("cometchat-uid-2").query(
            "searchKey=look&hasLinks=true&hasMentions=true&mentionedUids=cometchat-uid-2&mentionsWithTagInfo=true&mentionsWithBlockedInfo=false&unread=true&count=true&onlyDeleted=false&sentAt=1",
        ))
        .await;
    client.send(req("get-message-details").param("id", &id)).await;
    client
        .send(req("update-message").param("id", &id).as_user("cometchat-uid-1").body(json!({
            "data": {"text": "Hi George!", "metadata": {"edited": "by hand"}}, "tags": ["tag1"],
        })))
        .await;

    let numeric: i64 = id.parse().unwrap();
    for (op, with) in [
        ("get-user-conversations", "cometchat-uid-2"),
        ("mark-conversation-as-delivered", "cometchat-uid-2"),
        ("mark-conversation-as-read", "cometchat-uid-2"),
        ("mark-conversation-as-unread", "cometchat-uid-2"),
    ] {
        let marks = op.starts_with("mark");
        let request = req(op).param("uid", with).as_user("cometchat-uid-1");
        client.send(if marks { request.body(json!({"messageId": numeric})) } else { request }).await;
    }
    for op in [
        "get-group-conversations",
        "mark-group-conversation-as-delivered",
        "mark-group-conversation-as-read",
        "mark-group-conversation-as-unread",
    ] {
        let request = req(op).param("guid", "cometchat-guid-1").as_user("cometchat-uid-2");
        client.send(if op.starts_with("mark") { request.body(json!({})) } else { request }).await;
    }
    let reaction = |op: &'static str| req(op).param("id", &id).param("reaction", "😀");
    client.send(reaction("add-message-reactions").as_user("cometchat-uid-2")).await;
    client.send(req("list-all-reactions").param("id", &id).as_user("cometchat-uid-1")).await;
    client.send(reaction("get-message-reactions")).await;
    client.send(reaction("remove-message-reactions").as_user("cometchat-uid-2")).await;

    let reply = text("cometchat-uid-1", "user", "A reply");
    client.send(req("send-thread-message").param("id", &id).as_user("cometchat-uid-2").body(reply)).await;
    client.send(req("list-all-thread-messages").param("id", &id).query("perPage=100&page=1")).await;

    client.send(req("user-list-user-messages").param("uid", "cometchat-uid-2").as_user("cometchat-uid-1")).await;
    client
        .send(
            req("user-list-user-messages")
                .param("uid", "cometchat-uid-2")
                .as_user("cometchat-uid-1")
                .query("limit=10&affix=prepend&hideReplies=true&withTags=true&category=message&type=text&count=true"),
        )
        .await;
    client.send(req("user-list-group-messages").param("guid", "cometchat-guid-1").as_user("cometchat-uid-1")).await;
    client
        .send(
            req("user-list-group-messages")
                .param("guid", "cometchat-guid-1")
                .as_user("cometchat-uid-1")
                .query("limit=10&affix=prepend&hideReplies=true"),
        )
        .await;
    client
        .send(
            req("user-list-group-messages").param("guid", "cometchat-guid-1").as_user("cometchat-uid-2").query(
                "searchKey=look&myMentionsOnly=true&mentionsWithTagInfo=true&unread=true&undelivered=true&count=true&hasLinks=true",
            ),
        )
        .await;
    client
        .send(req("delete-message").param("id", &id).as_user("cometchat-uid-1").body(json!({"permanent": false})))
        .await;
}

async fn what_deletes(client: &mut Client<'_>) {
    client.send(req("delete-role").param("role", "manager")).await;
    client.send(req("delete-group").param("guid", "cometchat-guid-1")).await;
    client.send(req("delete-user").param("uid", "cometchat-uid-1").body(json!({"permanent": true}))).await;
}
