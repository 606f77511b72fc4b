//! The OpenAPI document of `/v3`. Each operation comes from its handler's
//! `#[utoipa::path]` (see `api::router`); [`finish`] then adds what every
//! operation shares: the `/v3` prefix, its path parameters, and its error
//! answers with their codes.

use utoipa::{
    Modify, OpenApi,
    openapi::{
        PathItem, RefOr, Required,
        content::ContentBuilder,
        extensions::Extensions,
        header::HeaderBuilder,
        path::{Operation, Parameter, ParameterBuilder, ParameterIn},
        response::{Response, ResponseBuilder},
        schema::{ObjectBuilder, Ref, Type},
        security::{ApiKey, ApiKeyValue, SecurityScheme},
    },
};

use crate::domain::{
    ApiKeyView, AuthTokenView, BannedUserView, ConversationView, GroupView, MemberView, MessageView, NewApiKey,
    NewAuthToken, RoleSettings, RoleView, UserView,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard REST API",
        description = "Server-side API of a Switchboard app. Every request carries the `appid` and `apikey` \
headers. Answers are `{\"data\": ...}`; errors are an HTTP status with \
`{\"error\": {\"code\": \"AUTH_ERR_APIKEY_NOT_FOUND\", \"message\": \"...\"}}`.\n\n\
Shaped after the CometChat Chat API v3, with deliberate differences: API keys are stored hashed and \
shown once, at creation, and lists never show them (`GET /v3/apikeys/{apiKey}` finds a key by the key \
itself, or by the numeric id the dashboard shows, and echoes back only a key it was given); one host \
serves every app, chosen by the `appid` header instead of per-app host names; `DELETE /v3/apikeys/{apiKey}` \
revokes a key and keeps it listed, marked revoked; auth tokens are stored hashed too, so \
`POST /v3/users/{uid}/auth_tokens` always mints a new token (`force` is accepted and changes nothing) \
and lists show a token's id and prefix, never the token. An Auth Key (`authOnly`) may call only \
`POST /v3/users` and `POST /v3/users/{uid}/auth_tokens`. A filtered users list counts at most \
1,000 matches: `meta.pagination.total_is_exact` is false when there were more (unfiltered totals are \
always exact); page through any number with `meta.cursor.next`.\n\n\
Groups: a REST API Key acts with admin rights on every group; with the `onbehalfof: <uid>` header it acts \
as that user, under the scope rules of each group (admin, moderator, participant) and seeing only the \
groups that user may see (public and password groups, and the private groups they are a member of). \
Joining and leaving are `POST /v3/groups/{guid}/join` and `POST /v3/groups/{guid}/leave` with \
`onbehalfof`. A group's members list (`searchKey` is a UID prefix) and its banned users are readable by \
its members and by its admins and moderators respectively.\n\n\
Messages: `POST /v3/messages` sends as the `onbehalfof` user. A conversation's id is \
`<uid>_user_<uid>` (the two UIDs in order) or `group_<guid>`, as CometChat writes it. Message \
ids are text, as in CometChat. Lists of messages page as CometChat's do: `affix=append` (the messages \
after `id` or `sentAt`) or `affix=prepend` (those before), oldest first, with `meta.current` and \
`meta.next` (`affix`, `id`, `sentAt`) naming the next page; `limit` is 1 to 1,000 (100 when left out). \
Without `affix`, `id` or `sentAt`, a list is newest first and pages with Switchboard's `cursor` \
(`meta.cursor.next`): ids only grow, so messages sent while a client pages never shift its pages. \
`GET /v3/messages` with `onbehalfof` lists the messages of that user's conversations, with other \
users and in their groups. A text message mentions a user as `<@uid:UID>`; a message carries the users \
it mentions in `mentionedUsers` (with their `tags` under `mentionsWithTagInfo`) and, read with \
`onbehalfof`, `mentionedMe`. `searchKey` (text, in any case), `hasLinks`, `hasMentions`, \
`mentionedUids` and `myMentionsOnly` filter on a message's text and narrow what the other filters \
walk; no index serves them. `unread` (with `onbehalfof`) lists what the user has not read: others' \
messages past their read mark, actions and deleted messages aside; `undelivered`, those also past \
the last message a device of theirs confirmed with a realtime `delivered` frame; `count` adds `meta.unreadCount`, \
that number for the whole list (up to 100). \
Conversations, as CometChat addresses one by whom it is with: `GET /v3/users/{uid}/conversation` \
and `GET /v3/groups/{guid}/conversation` read the `onbehalfof` user's conversation whole \
(`unreadMessageCount` is text, as CometChat writes it); `POST .../conversation/read`, \
`DELETE .../conversation/read` (unread from the message on) and `POST .../conversation/delivered` \
mark it up to `messageId`, or its last message. A conversation begins with its first message; \
before, it is `ERR_CONVERSATION_NOT_ACCESSIBLE`. \
Reactions: a user reacts to a message of their conversations with `POST \
/v3/messages/{id}/reactions/{reaction}` (an emoji or a short word, once per reaction) and takes it \
back with `DELETE`; both answer the message. Messages carry `reactions`: each reaction with its \
`count`, and `reactedByMe` when read for a user. The lists of who reacted page oldest first by \
`limit` and `id` (`meta.next`). `hasReactions` lists the messages someone reacted to. \
Blocked users: a user blocks others with `POST /v3/users/{uid}/blockedusers`; while a block stands, \
neither of the two sends the other a message (`ERR_BLOCKED_RECEIVER` for the blocker, \
`ERR_BLOCKED_SENDER` for the blocked), group messages aside; lists read for the blocker with \
`hideMessagesFromBlockedUsers` leave out what the blocked sent, and `mentionsWithBlockedInfo` adds \
`blockedByMe` and `hasBlockedMe` to mentioned users. \
Answers leave out a value that is absent; none is ever `null`. A user's presence is `available` or \
`offline`. Query parameters and body fields that neither CometChat nor Switchboard documents are \
refused (`ERR_BAD_REQUEST`). `POST /v3/messages` with `multipleReceivers` (which CometChat documents \
without its answer) answers each receiver's outcome: `{\"uids\": {\"<uid>\": {\"success\": true, \"data\": \
<message>}}, \"guids\": {...}}`. `action` messages (category `action`, sender \
`app_system`) are written by the server when a group member or a message changes; they cannot be sent. \
Roles carry `settings.listUsers` and `settings.sendMessagesTo` (`all` or `friendsOnly`), which \
`GET /v3/users` and `POST /v3/messages` apply with `onbehalfof`.\n\nClient apps: the endpoints a client uses also take a user's own auth token, in an `authtoken` header with `appid` and no `apikey`; the call then acts as that user, exactly as `onbehalfof` would, and an `onbehalfof` naming anyone else is refused (`ERR_ONBEHALFOF_NOT_ALLOWED`). They are `GET /v3/me`, `GET /v3/users`, `GET /v3/groups`, `POST /v3/groups/{guid}/join`, `POST /v3/groups/{guid}/leave`, `POST /v3/messages`, `GET /v3/messages/{id}`, `GET /v3/users/{uid}/messages`, `GET /v3/groups/{guid}/messages`, `GET /v3/users/{uid}/conversations`, `POST /v3/users/{uid}/conversations/read`, and the reactions of a message (`GET /v3/messages/{id}/reactions`, `GET`, `POST` and `DELETE /v3/messages/{id}/reactions/{reaction}`). A revoked token is refused on its next call (`AUTH_ERR_AUTH_TOKEN_NOT_FOUND`, as CometChat names an auth token in the headers that does not exist; `ERR_AUTH_TOKEN_NOT_FOUND` is for one named in a path).\n\nRealtime: `GET /v3/realtime?appid=<App ID>` upgrades to a WebSocket of JSON text frames tagged by `type`. The first frame logs in: `{\"type\": \"login\", \"authToken\": \"...\"}`, or, where the app allows it (development apps until told otherwise, production apps once told to), `{\"type\": \"login\", \"authKey\": \"...\", \"uid\": \"...\"}`, which mints a token for the device; `\"presence\": \"all\" | \"friends\" | \"none\"` chooses whose presence to be told of (a role with `listUsers: friendsOnly` narrows `all` to friends). The server answers `loggedIn`, then pushes `message`, `messageEdited`, `messageDeleted`, `presence`, `typing` and `receipt` frames; the client sends `ping` (answered `pong`) at least once per `pingTimeout` seconds, `typing` and `delivered`. A frame the server cannot take gets an `error` frame with a code; the server closes with 4001 (login failed), 4002 (token revoked), 4003 (user deactivated or deleted), 4004 (app deleted), 4005 (no ping in time), 4008 (too many frames), 4009 (events not read fast enough) or 1009 (a frame over 64 KB)."
    ),
    components(schemas(
        ApiKeyView, NewApiKey, super::apikeys::CreateKeyBody, super::apikeys::UpdateKeyBody,
        UserView, AuthTokenView, NewAuthToken, RoleView,
        super::users::CreateUserBody, super::users::UpdateUserBody, super::users::DeleteUserBody,
        super::users::ActivateUsersBody, super::users::DeactivateUsersBody, super::users::IssueTokenBody,
        super::users::UpdateTokenBody,
        super::users::AddFriendsBody, super::users::RemoveFriendsBody,
        super::roles::CreateRoleBody, super::roles::UpdateRoleBody,
        GroupView, MemberView, BannedUserView, super::groups::CreateGroupBody, super::groups::UpdateGroupBody,
        super::groups::MembersBody, super::groups::OwnerBody, super::groups::ScopeBody, super::groups::JoinBody,
        MessageView, ConversationView, RoleSettings, super::messages::SendBody, super::messages::EditBody,
        super::messages::DeleteBody, super::messages::ReadBody, super::roles::SettingsBody,
        super::answers::ErrorAnswer, super::answers::ErrorDetail,
    )),
    modifiers(&Headers),
    security(("appid" = [], "apikey" = []))
)]
struct ApiDoc;

struct Headers;

impl Modify for Headers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, about) in [
            ("appid", "The app's App ID."),
            ("apikey", "A REST API Key, or an Auth Key where allowed."),
            ("authtoken", "A user's auth token, instead of an API key, on the endpoints client apps use."),
        ] {
            components.add_security_scheme(
                name,
                SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(name, about))),
            );
        }
    }
}

/// What the document says before the operations are added.
pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The operations Switchboard adds to CometChat's API: marked in the
/// document with `x-switchboard-extension`, so that a client generated from
/// it knows which calls a CometChat server would not answer.
const EXTENSIONS: &[(&str, &str)] = &[
    ("get", "/me"),
    ("get", "/users/{uid}/groups"),
    ("post", "/groups/{guid}/join"),
    ("post", "/groups/{guid}/leave"),
    ("patch", "/groups/{guid}/owner"),
    ("get", "/users/{uid}/conversations"),
    ("post", "/users/{uid}/conversations/read"),
];

/// The document as served: every path under `/v3`, each path parameter
/// declared, each operation's error answers, and Switchboard's own
/// operations marked.
pub fn finish(mut document: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let paths = std::mem::take(&mut document.paths.paths);
    for (path, mut item) in paths {
        for (method, operation) in operations(&mut item) {
            if EXTENSIONS.contains(&(method, path.as_str())) {
                let mark = [("x-switchboard-extension", serde_json::Value::Bool(true))];
                operation.extensions = Some(Extensions::from_iter(mark));
            }
            operation.operation_id = Some(operation_id(method, &path));
            declare_path_parameters(&path, operation);
            add_error_answers(&path, method, operation);
        }
        document.paths.paths.insert(format!("/v3{path}"), item);
    }
    document
}

/// Each operation of a path, with its method's name.
fn operations(item: &mut PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("get", &mut item.get),
        ("post", &mut item.post),
        ("put", &mut item.put),
        ("patch", &mut item.patch),
        ("delete", &mut item.delete),
    ]
    .into_iter()
    .filter_map(|(method, operation)| Some((method, operation.as_mut()?)))
    .collect()
}

/// `getUsersUidAuthTokens` for `GET /users/{uid}/auth_tokens`: unique, as
/// generated clients need (handlers' names repeat from module to module).
fn operation_id(method: &str, path: &str) -> String {
    let words = path.split(['/', '_']).map(|w| w.trim_matches(['{', '}'])).filter(|w| !w.is_empty());
    let capitalised = words.map(|w| w[..1].to_uppercase() + &w[1..]);
    std::iter::once(method.to_owned()).chain(capitalised).collect()
}

/// The `{name}`s of a path, in order.
fn path_parameters(path: &str) -> Vec<&str> {
    path.split('/').filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}')).collect()
}

/// What each path parameter names.
fn described(name: &str) -> &'static str {
    match name {
        "uid" => "A user's UID (any case).",
        "guid" => "A group's GUID (any case).",
        "role" => "A role's id (any case).",
        "authToken" => "The auth token itself, or its numeric id.",
        "apiKey" => "The key itself, or its numeric id.",
        "id" => "The message's id.",
        _ => "",
    }
}

fn declare_path_parameters(path: &str, operation: &mut Operation) {
    let declared = operation.parameters.get_or_insert_with(Vec::new);
    for name in path_parameters(path) {
        let is_declared = |p: &Parameter| p.name == name && p.parameter_in == ParameterIn::Path;
        if declared.iter().any(is_declared) {
            continue;
        }
        let parameter = ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Path)
            .required(Required::True)
            .description(Some(described(name)))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
            .build();
        declared.push(parameter);
    }
}

/// The codes a missing thing named in the path answers 404 with.
fn not_found_codes(path: &str) -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = path_parameters(path)
        .into_iter()
        .filter_map(|name| match name {
            "uid" => Some("ERR_UID_NOT_FOUND"),
            "guid" => Some("ERR_GUID_NOT_FOUND"),
            "role" => Some("ERR_ROLE_NOT_FOUND"),
            "authToken" => Some("ERR_AUTH_TOKEN_NOT_FOUND"),
            "apiKey" => Some("ERR_APIKEY_NOT_FOUND"),
            "id" => Some("ERR_MESSAGE_ID_NOT_FOUND"),
            _ => None,
        })
        .collect();
    if path.starts_with("/groups/{guid}/members/") {
        codes.push("ERR_NOT_A_MEMBER");
    }
    if path.starts_with("/groups/{guid}/bannedusers/") {
        codes.push("ERR_NOT_A_BANNED_USER");
    }
    if path.ends_with("/friends") {
        codes.push("ERR_NOT_A_FRIEND");
    }
    if path.starts_with("/messages") || path.starts_with("/users/{uid}/messages") || path.ends_with("/read") {
        codes.push("ERR_MESSAGE_ID_NOT_FOUND");
    }
    codes.dedup();
    codes
}

fn add_error_answers(path: &str, method: &str, operation: &mut Operation) {
    let changes = method != "get";
    let takes_body = operation.request_body.is_some();
    let listed = |codes: &[&str]| codes.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ");
    let mut answers: Vec<(&str, String)> = vec![
        (
            "400",
            format!(
                "The request does not parse: {}, or the code of the field at fault (`ERR_INVALID_UID`, `ERR_INVALID_NAME`, ...).",
                listed(&["ERR_BAD_REQUEST", "ERR_NUL_IN_TEXT"])
            ),
        ),
        (
            "401",
            format!(
                "No app or key, or not one of the app's: {}.",
                listed(&[
                    "AUTH_ERR_EMPTY_APPID",
                    "AUTH_ERR_INVALID_APPID",
                    "AUTH_ERR_EMPTY_APIKEY",
                    "AUTH_ERR_APIKEY_NOT_FOUND",
                    "AUTH_ERR_AUTH_TOKEN_NOT_FOUND"
                ])
            ),
        ),
        (
            "403",
            format!(
                "The key, or the `onbehalfof` user, may not do this: {}.",
                listed(&[
                    "AUTH_ERR_NO_ACCESS",
                    "ERR_ONBEHALFOF_NOT_ALLOWED",
                    "ERR_GROUP_NO_MODERATOR_SCOPE",
                    "ERR_GROUP_NO_ADMIN_SCOPE",
                    "ERR_GROUP_NO_CLEARANCE",
                    "ERR_GROUP_NO_SCOPE_CLEARANCE",
                    "ERR_GROUP_NO_SELF_ACTION"
                ])
            ),
        ),
    ];
    let missing = not_found_codes(path);
    if !missing.is_empty() {
        answers.push(("404", format!("Not found: {}.", listed(&missing))));
    }
    if changes {
        answers.push(("409", "The change conflicts with what exists, e.g. `ERR_UID_ALREADY_EXISTS`, `ERR_GUID_ALREADY_EXISTS`, `ERR_ALREADY_JOINED`.".to_owned()));
    }
    if takes_body {
        answers.push(("413", listed(&["ERR_PAYLOAD_TOO_LARGE"]) + ": the body is over 64 KB."));
    }
    answers.push((
        "503",
        listed(&["ERR_UNAVAILABLE"]) + ": the database is unreachable; try again after `Retry-After` seconds.",
    ));
    for (status, description) in answers {
        operation.responses.responses.entry(status.to_owned()).or_insert_with(|| error_answer(status, description));
    }
}

fn error_answer(status: &str, description: String) -> RefOr<Response> {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorAnswer"))).build();
    let mut answer = ResponseBuilder::new().description(description).content("application/json", content);
    if status == "503" {
        let seconds = HeaderBuilder::new().schema(ObjectBuilder::new().schema_type(Type::Integer)).build();
        answer = answer.header("Retry-After", seconds);
    }
    RefOr::T(answer.build())
}
