use axum::Json;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, SecurityScheme},
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
shown once, at creation; keys are addressed by a numeric id, never by the key itself; one host \
serves every app, chosen by the `appid` header instead of per-app host names; `DELETE /v3/apikeys/{id}` \
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
Messages: `POST /v3/messages` sends as the `onbehalfof` user. A conversation's id is `user:<uid>:<uid>` \
(the two UIDs in order) or `group:<guid>`, where CometChat writes `<uid>_user_<uid>` and `group_<guid>`: \
UIDs may hold underscores, so that form can name two pairs alike, and a colon is in no UID. Lists of \
messages are newest first and page with `cursor` (`meta.next` of the previous page): ids only grow, so \
messages sent while a client pages never shift its pages. `action` messages (category `action`, sender \
`app_system`) are written by the server when a group member or a message changes; they cannot be sent. \
Roles carry `settings.listUsers` and `settings.sendMessagesTo` (`all` or `friendsOnly`), which \
`GET /v3/users` and `POST /v3/messages` apply with `onbehalfof`.\n\nClient apps: the endpoints a client uses also take a user's own auth token, in an `authtoken` header with `appid` and no `apikey`; the call then acts as that user, exactly as `onbehalfof` would, and an `onbehalfof` naming anyone else is refused (`ERR_ONBEHALFOF_NOT_ALLOWED`). They are `GET /v3/me`, `GET /v3/users`, `GET /v3/groups`, `POST /v3/groups/{guid}/join`, `POST /v3/groups/{guid}/leave`, `POST /v3/messages`, `GET /v3/messages/{id}`, `GET /v3/users/{uid}/messages`, `GET /v3/groups/{guid}/messages`, `GET /v3/users/{uid}/conversations` and `POST /v3/users/{uid}/conversations/read`. A revoked token is refused on its next call (`ERR_AUTH_TOKEN_NOT_FOUND`).\n\nRealtime: `GET /v3/realtime?appid=<App ID>` upgrades to a WebSocket of JSON text frames tagged by `type`. The first frame logs in: `{\"type\": \"login\", \"authToken\": \"...\"}`, or, where the app allows it (development apps until told otherwise, production apps once told to), `{\"type\": \"login\", \"authKey\": \"...\", \"uid\": \"...\"}`, which mints a token for the device; `\"presence\": \"all\" | \"friends\" | \"none\"` chooses whose presence to be told of (a role with `listUsers: friendsOnly` narrows `all` to friends). The server answers `loggedIn`, then pushes `message`, `messageEdited`, `messageDeleted`, `presence`, `typing` and `receipt` frames; the client sends `ping` (answered `pong`) at least once per `pingTimeout` seconds, `typing` and `delivered`. A frame the server cannot take gets an `error` frame with a code; the server closes with 4001 (login failed), 4002 (token revoked), 4003 (user deactivated or deleted), 4004 (app deleted), 4005 (no ping in time), 4008 (too many frames), 4009 (events not read fast enough) or 1009 (a frame over 64 KB)."
    ),
    paths(
        super::users::me, super::apikeys::list, super::apikeys::create, super::apikeys::get, super::apikeys::update, super::apikeys::revoke,
        super::users::create, super::users::list, super::users::get, super::users::update, super::users::delete,
        super::users::activate, super::users::deactivate,
        super::users::issue_token, super::users::list_tokens, super::users::revoke_tokens, super::users::get_token,
        super::users::revoke_token, super::users::list_friends, super::users::add_friends, super::users::remove_friends,
        super::roles::create, super::roles::list, super::roles::get, super::roles::update, super::roles::delete,
        super::groups::create, super::groups::list, super::groups::of_user, super::groups::get, super::groups::update,
        super::groups::delete, super::groups::transfer_ownership, super::groups::add_members,
        super::groups::list_members, super::groups::change_scope, super::groups::kick, super::groups::join,
        super::groups::leave, super::groups::list_banned, super::groups::ban, super::groups::unban,
        super::messages::send, super::messages::list, super::messages::between, super::messages::of_group,
        super::messages::get, super::messages::thread, super::messages::edit, super::messages::delete,
        super::messages::conversations, super::messages::mark_read,
    ),
    components(schemas(
        ApiKeyView, NewApiKey, super::apikeys::CreateKeyBody, super::apikeys::UpdateKeyBody,
        UserView, AuthTokenView, NewAuthToken, RoleView,
        super::users::CreateUserBody, super::users::UpdateUserBody, super::users::DeleteUserBody,
        super::users::ActivateUsersBody, super::users::DeactivateUsersBody, super::users::IssueTokenBody,
        super::users::AddFriendsBody, super::users::RemoveFriendsBody,
        super::roles::CreateRoleBody, super::roles::UpdateRoleBody,
        GroupView, MemberView, BannedUserView, super::groups::CreateGroupBody, super::groups::UpdateGroupBody,
        super::groups::MembersBody, super::groups::OwnerBody, super::groups::ScopeBody, super::groups::JoinBody,
        MessageView, ConversationView, RoleSettings, super::messages::SendBody, super::messages::EditBody,
        super::messages::DeleteBody, super::messages::ReadBody, super::roles::SettingsBody,
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

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
