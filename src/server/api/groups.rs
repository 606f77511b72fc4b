use axum::{
    body::Bytes,
    extract::{Query, State},
    http::HeaderMap,
};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{
    ApiJson, ApiPath, ClientCall, Data, Listed, OnBehalfOf, Params,
    answers::{CreatedGroup, Envelope, MemberChanged, MemberOutcomes, Outcome, Success},
    checked_metadata, listed, optional, optional_body, paging, search_key, split, uid, uids,
};
use crate::domain::{
    BannedUserView, GroupPassword, GroupSort, GroupType, GroupView, Guid, MemberView, Presence, Scope, SortOrder, Uid,
    parse_description, parse_group_name, parse_tags, parse_web_url,
};
use crate::server::{
    Error, Result,
    auth::api_key::ApiCaller,
    service::{
        groups::{self, Acting, GroupFields, GroupQuery, GroupSearchIn, MemberLists, NewGroup},
        members::{self, MemberChange, MemberQuery},
    },
    state::AppState,
};

fn guid(raw: &str) -> Result<Guid> {
    Ok(Guid::parse(raw)?)
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MembersBody {
    #[serde(default)]
    admins: Vec<String>,
    #[serde(default)]
    moderators: Vec<String>,
    #[serde(default)]
    participants: Vec<String>,
    #[serde(default)]
    users_to_ban: Vec<String>,
}

impl MembersBody {
    fn lists(&self) -> Result<MemberLists> {
        Ok(MemberLists {
            admins: uids(&self.admins)?,
            moderators: uids(&self.moderators)?,
            participants: uids(&self.participants)?,
            banned: uids(&self.users_to_ban)?,
        })
    }
}

/// `{"admins": {uid: outcome}, "moderators": ..., "participants": ..., "usersToBan": ...}`,
/// each list only when something was asked of it.
fn member_outcomes(outcomes: Vec<members::Outcome>) -> MemberOutcomes {
    let mut lists = MemberOutcomes::default();
    for (uid, change, done) in outcomes {
        let list = match change {
            MemberChange::Add(Scope::Admin) => &mut lists.admins,
            MemberChange::Add(Scope::Moderator) => &mut lists.moderators,
            MemberChange::Add(Scope::Participant) => &mut lists.participants,
            _ => &mut lists.users_to_ban,
        };
        list.insert(uid.to_string(), Outcome::from(&done));
    }
    lists
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateGroupBody {
    /// Same rules as a UID; stored lowercase.
    guid: String,
    name: String,
    /// `public` (default), `password` or `private`.
    #[serde(rename = "type")]
    group_type: Option<String>,
    /// Required for, and only for, a password group.
    password: Option<String>,
    icon: Option<String>,
    description: Option<String>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<Value>,
    /// Becomes the first admin; defaults to the `onbehalfof` user.
    owner: Option<String>,
    tags: Option<Vec<String>>,
    /// At most 25 users in all; answered per user under `members`.
    members: Option<MembersBody>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateGroupBody {
    name: Option<String>,
    #[serde(rename = "type")]
    group_type: Option<String>,
    /// A new password; required when the group becomes a password group.
    password: Option<String>,
    icon: Option<String>,
    description: Option<String>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<Value>,
    tags: Option<Vec<String>>,
    /// A member's UID: hands them the group, as `PATCH /groups/{guid}/owner`
    /// does. Ignored with `onbehalfof`, as CometChat documents.
    owner: Option<String>,
    /// Fields to clear: any of `icon`, `description`, `metadata`.
    #[serde(default)]
    unset: Vec<String>,
}

fn group_password(raw: Option<String>) -> Result<Option<GroupPassword>> {
    optional(raw, GroupPassword::parse)
}

/// Create a group. Its owner becomes its first admin; with `members`, the
/// answer says per user what became of them.
#[utoipa::path(post, path = "/groups", tag = "Groups", request_body = CreateGroupBody,
    responses((status = 200, body = Envelope<CreatedGroup>)))]
pub async fn create(
    State(state): State<AppState>,
    api: ApiCaller,
    OnBehalfOf(acting): OnBehalfOf,
    ApiJson(body): ApiJson<CreateGroupBody>,
) -> Result<Data<CreatedGroup>> {
    let guid = guid(&body.guid)?;
    let fields = GroupFields {
        name: Some(parse_group_name(&body.name)?),
        group_type: optional(body.group_type, GroupType::parse)?,
        password: group_password(body.password)?,
        icon: Some(optional(body.icon, |v| parse_web_url(v, "ERR_INVALID_ICON"))?),
        description: Some(optional(body.description, parse_description)?),
        metadata: Some(body.metadata.map(checked_metadata).transpose()?),
        tags: body.tags.as_deref().map(parse_tags).transpose()?,
        owner: None,
    };
    let owner = optional(body.owner, Uid::parse)?;
    let lists = body.members.as_ref().map(MembersBody::lists).transpose()?.unwrap_or_default();
    let new = NewGroup { guid, fields, owner, members: lists };
    let (group, outcomes) = groups::create(&state.db, &state.passwords, &api.caller, &api.app, &acting, new).await?;
    let members = (!outcomes.is_empty()).then(|| member_outcomes(outcomes));
    Ok(Data(CreatedGroup { group, members }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListGroupsParams {
    /// A prefix of the name or the GUID, any case.
    search_key: Option<String>,
    /// `name`, `guid`, or both as `name,guid` (the default).
    search_in: Option<String>,
    /// Unix seconds: only the groups changed after it (`affix=append`, the
    /// default) or before it (`affix=prepend`).
    updated_at: Option<i64>,
    /// `append` or `prepend`; see `updatedAt`.
    affix: Option<String>,
    /// Accepted as CometChat documents it: groups always carry their `tags`.
    #[serde(default)]
    #[allow(dead_code)]
    with_tags: bool,
    /// `public`, `password` or `private`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    group_type: Option<String>,
    /// Comma-separated types.
    types: Option<String>,
    /// Comma-separated tags: groups with any of them.
    tags: Option<String>,
    /// Only the groups the `onbehalfof` user is a member of.
    #[serde(default)]
    has_joined: bool,
    /// `name` (default), `guid` or `createdAt`.
    sort_by: Option<String>,
    /// `asc` (default) or `desc`.
    sort_order: Option<String>,
    /// 1 to 1000; 100 when left out.
    per_page: Option<i64>,
    /// Offset paging; prefer `cursor` for deep pages.
    page: Option<i64>,
    /// `meta.cursor.next` of the previous page.
    cursor: Option<String>,
}

fn group_query(params: Params<ListGroupsParams>, default_sort: GroupSort) -> Result<GroupQuery> {
    let Query(p) = params.map_err(|e| Error::BadRequest(e.body_text()))?;
    let mut types = split(p.types, "types")?;
    types.extend(p.group_type);
    let after = match p.affix.as_deref() {
        None | Some("append") => true,
        Some("prepend") => false,
        Some(_) => return Err(Error::invalid("ERR_INVALID_AFFIX", "affix is append or prepend.")),
    };
    Ok(GroupQuery {
        search: search_key(p.search_key)?,
        search_in: group_search_in(p.search_in.as_deref())?,
        updated: p.updated_at.map(|at| (at, after)),
        types: types.iter().map(|t| GroupType::parse(t)).collect::<std::result::Result<_, _>>()?,
        tags: split(p.tags, "tags")?,
        has_joined: p.has_joined,
        sort: optional(p.sort_by, GroupSort::parse)?.unwrap_or(default_sort),
        descending: optional(p.sort_order, SortOrder::parse)? == Some(SortOrder::Desc),
        paging: paging(p.per_page, p.page, p.cursor)?,
    })
}

/// Where `searchKey` looks: `name`, `guid`, or both (in any order).
fn group_search_in(given: Option<&str>) -> Result<GroupSearchIn> {
    Ok(match super::one_of_two(given, ["name", "guid"])? {
        Some(0) => GroupSearchIn::Name,
        Some(_) => GroupSearchIn::Guid,
        None => GroupSearchIn::Either,
    })
}

/// List the groups the caller sees: with `onbehalfof`, public and password
/// groups and that user's private groups; without it, every group.
#[utoipa::path(get, path = "/groups", tag = "Groups", params(ListGroupsParams),
    responses((status = 200, body = Listed<GroupView>)))]
pub async fn list(
    State(state): State<AppState>,
    ClientCall { api, on_behalf_of: OnBehalfOf(acting) }: ClientCall,
    params: Params<ListGroupsParams>,
) -> Result<Listed<GroupView>> {
    let query = group_query(params, GroupSort::Name)?;
    let paging = query.paging.clone();
    let found = groups::list(&state.db, &api.caller, &api.app, &acting, query).await?;
    Ok(listed(found, &paging))
}

/// The groups a user is a member of, by GUID unless sorted otherwise.
#[utoipa::path(get, path = "/users/{uid}/groups", tag = "Groups", params(ListGroupsParams),
    responses((status = 200, body = Listed<GroupView>)))]
pub async fn of_user(
    State(state): State<AppState>,
    api: ApiCaller,
    OnBehalfOf(acting): OnBehalfOf,
    ApiPath(raw): ApiPath<String>,
    params: Params<ListGroupsParams>,
) -> Result<Listed<GroupView>> {
    let query = group_query(params, GroupSort::Guid)?;
    let paging = query.paging.clone();
    let found = groups::of_user(&state.db, &api.caller, &api.app, &acting, &uid(&raw)?, query).await?;
    Ok(listed(found, &paging))
}

#[utoipa::path(get, path = "/groups/{guid}", tag = "Groups",
    responses((status = 200, body = Envelope<GroupView>)))]
pub async fn get(
    State(state): State<AppState>,
    api: ApiCaller,
    OnBehalfOf(acting): OnBehalfOf,
    ApiPath(raw): ApiPath<String>,
) -> Result<Data<GroupView>> {
    groups::get(&state.db, &api.caller, &api.app, &acting, &guid(&raw)?).await.map(Data)
}

/// Update a group: its admins and moderators may. `unset` clears icon,
/// description or metadata.
#[utoipa::path(put, path = "/groups/{guid}", tag = "Groups", request_body = UpdateGroupBody,
    responses((status = 200, body = Envelope<GroupView>)))]
pub async fn update(
    State(state): State<AppState>,
    api: ApiCaller,
    OnBehalfOf(acting): OnBehalfOf,
    ApiPath(raw): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateGroupBody>,
) -> Result<Data<GroupView>> {
    let mut fields = GroupFields {
        name: optional(body.name, parse_group_name)?,
        group_type: optional(body.group_type, GroupType::parse)?,
        password: group_password(body.password)?,
        icon: optional(body.icon, |v| parse_web_url(v, "ERR_INVALID_ICON"))?.map(Some),
        description: optional(body.description, parse_description)?.map(Some),
        metadata: body.metadata.map(checked_metadata).transpose()?.map(Some),
        tags: body.tags.as_deref().map(parse_tags).transpose()?,
        // As CometChat documents: a user acting through `onbehalfof` hands a
        // group over only through `PATCH /groups/{guid}/owner`.
        owner: match acting {
            Acting::App => optional(body.owner, Uid::parse)?,
            Acting::User(_) => None,
        },
    };
    for field in &body.unset {
        match field.as_str() {
            "icon" => fields.icon = Some(None),
            "description" => fields.description = Some(None),
            "metadata" => fields.metadata = Some(None),
            other => {
                return Err(super::cannot_unset(other, "icon, description and metadata"));
            }
        }
    }
    groups::update(&state.db, &state.passwords, &api.caller, &api.app, &acting, &guid(&raw)?, fields).await.map(Data)
}

/// Delete a group with its members and bans: only its admins may.
#[utoipa::path(delete, path = "/groups/{guid}", tag = "Groups",
    responses((status = 200, body = Envelope<Success>)))]
pub async fn delete(
    State(state): State<AppState>,
    api: ApiCaller,
    OnBehalfOf(acting): OnBehalfOf,
    ApiPath(raw): ApiPath<String>,
) -> Result<Data<Success>> {
    let guid = guid(&raw)?;
    groups::delete(&state.db, &api.caller, &api.app, &acting, &guid).await?;
    Ok(Data(Success::said(format!("Group with guid {guid} has been deleted successfully."))))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OwnerBody {
    /// A member, who becomes an admin.
    uid: String,
}

/// Hand the group to another member. Only its owner (or the app) may.
#[utoipa::path(patch, path = "/groups/{guid}/owner", tag = "Groups", request_body = OwnerBody,
    responses((status = 200, body = Envelope<GroupView>)))]
pub async fn transfer_ownership(
    State(state): State<AppState>,
    api: ApiCaller,
    OnBehalfOf(acting): OnBehalfOf,
    ApiPath(raw): ApiPath<String>,
    ApiJson(body): ApiJson<OwnerBody>,
) -> Result<Data<GroupView>> {
    let owner = uid(&body.uid)?;
    groups::transfer_ownership(&state.db, &api.caller, &api.app, &acting, &guid(&raw)?, &owner).await.map(Data)
}

/// Add members by scope, and ban users, at most 25 in all; answers per user.
#[utoipa::path(post, path = "/groups/{guid}/members", tag = "Members", request_body = MembersBody,
    responses((status = 200, body = Envelope<MemberOutcomes>)))]
pub async fn add_members(
    State(state): State<AppState>,
    api: ApiCaller,
    OnBehalfOf(acting): OnBehalfOf,
    ApiPath(raw): ApiPath<String>,
    ApiJson(body): ApiJson<MembersBody>,
) -> Result<Data<MemberOutcomes>> {
    let changes = body.lists()?.changes();
    let done = members::change(&state.db, &api.caller, &api.app, &acting, &guid(&raw)?, changes).await?;
    Ok(Data(member_outcomes(done)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListMembersParams {
    /// A prefix of the UID, any case.
    search_key: Option<String>,
    /// Comma-separated scopes: `admin`, `moderator`, `participant`.
    scopes: Option<String>,
    /// `available` (connected now) or `offline`.
    status: Option<String>,
    /// 1 to 1000; 100 when left out.
    per_page: Option<i64>,
    page: Option<i64>,
    cursor: Option<String>,
}

fn member_query(params: Params<ListMembersParams>) -> Result<MemberQuery> {
    let Query(p) = params.map_err(|e| Error::BadRequest(e.body_text()))?;
    Ok(MemberQuery {
        search: search_key(p.search_key)?,
        scopes: split(p.scopes, "scopes")?.iter().map(|s| Scope::parse(s)).collect::<std::result::Result<_, _>>()?,
        status: optional(p.status, Presence::parse)?,
        paging: paging(p.per_page, p.page, p.cursor)?,
    })
}

/// A group's members, by UID. A user acting through `onbehalfof` reads the
/// members of their own groups only.
#[utoipa::path(get, path = "/groups/{guid}/members", tag = "Members", params(ListMembersParams),
    responses((status = 200, body = Listed<MemberView>)))]
pub async fn list_members(
    State(state): State<AppState>,
    api: ApiCaller,
    OnBehalfOf(acting): OnBehalfOf,
    ApiPath(raw): ApiPath<String>,
    params: Params<ListMembersParams>,
) -> Result<Listed<MemberView>> {
    let query = member_query(params)?;
    let paging = query.paging.clone();
    let found = members::list(&state.db, &api.caller, &api.app, &acting, &guid(&raw)?, query).await?;
    Ok(listed(found, &paging))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScopeBody {
    /// `admin`, `moderator` or `participant`.
    scope: String,
}

/// Makes one change to one user's standing and answers it, or its error.
async fn one_change(
    state: &AppState,
    api: &ApiCaller,
    acting: &Acting,
    (raw_guid, raw_uid): (String, String),
    change: MemberChange,
) -> Result<Data<MemberChanged>> {
    let (guid, uid) = (guid(&raw_guid)?, uid(&raw_uid)?);
    let done = members::change(&state.db, &api.caller, &api.app, acting, &guid, vec![(uid.clone(), change)]).await?;
    members::single(done)?;
    let scope = match change {
        MemberChange::Add(scope) | MemberChange::SetScope(scope) => Some(scope),
        _ => None,
    };
    let message = match change {
        MemberChange::Add(scope) => {
            format!("The user with uid {uid} has been added to the Group with {guid} as {scope}.")
        }
        MemberChange::SetScope(scope) => format!("The user with uid {uid} is now {scope} of the Group with {guid}."),
        MemberChange::Kick => format!("The user with uid {uid} has been kicked from the Group with {guid}."),
        MemberChange::Ban => format!("The user with uid {uid} has been banned from the Group with {guid}."),
        MemberChange::Unban => format!("The user with uid {uid} has been unbanned from the Group with {guid}."),
    };
    Ok(Data(MemberChanged { success: true, message, guid: guid.to_string(), uid: uid.to_string(), scope }))
}

/// Change a member's scope, as the scope table allows.
#[utoipa::path(put, path = "/groups/{guid}/members/{uid}", tag = "Members", request_body = ScopeBody,
    responses((status = 200, body = Envelope<MemberChanged>)))]
pub async fn change_scope(
    State(state): State<AppState>,
    api: ApiCaller,
    OnBehalfOf(acting): OnBehalfOf,
    ApiPath(path): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<ScopeBody>,
) -> Result<Data<MemberChanged>> {
    let scope = Scope::parse(&body.scope)?;
    one_change(&state, &api, &acting, path, MemberChange::SetScope(scope)).await
}

/// Kick a member: they may join again, unlike a banned user.
#[utoipa::path(delete, path = "/groups/{guid}/members/{uid}", tag = "Members",
    responses((status = 200, body = Envelope<MemberChanged>)))]
pub async fn kick(
    State(state): State<AppState>,
    api: ApiCaller,
    OnBehalfOf(acting): OnBehalfOf,
    ApiPath(path): ApiPath<(String, String)>,
) -> Result<Data<MemberChanged>> {
    one_change(&state, &api, &acting, path, MemberChange::Kick).await
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JoinBody {
    /// A password group's password.
    password: Option<String>,
}

/// The `onbehalfof` user joins a public group, or a password group with
/// its password.
#[utoipa::path(post, path = "/groups/{guid}/join", tag = "Members", request_body = Option<JoinBody>,
    responses((status = 200, body = Envelope<GroupView>)))]
pub async fn join(
    State(state): State<AppState>,
    ClientCall { api, on_behalf_of }: ClientCall,
    ApiPath(raw): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Data<GroupView>> {
    let body: JoinBody = optional_body(&headers, &body)?;
    let (uid, guid) = (on_behalf_of.user()?, guid(&raw)?);
    let password = group_password(body.password)?;
    members::join(&state.db, &state.passwords, &api.caller, &api.app, &uid, &guid, password).await.map(Data)
}

/// The `onbehalfof` user leaves the group.
#[utoipa::path(post, path = "/groups/{guid}/leave", tag = "Members",
    responses((status = 200, body = Envelope<Success>)))]
pub async fn leave(
    State(state): State<AppState>,
    ClientCall { api, on_behalf_of }: ClientCall,
    ApiPath(raw): ApiPath<String>,
) -> Result<Data<Success>> {
    let (uid, guid) = (on_behalf_of.user()?, guid(&raw)?);
    members::leave(&state.db, &api.caller, &api.app, &uid, &guid).await?;
    Ok(Data(Success::said(format!("The user with uid {uid} has left the Group with {guid}."))))
}

/// The users banned from a group, by UID.
#[utoipa::path(get, path = "/groups/{guid}/bannedusers", tag = "Members", params(ListMembersParams),
    responses((status = 200, body = Listed<BannedUserView>)))]
pub async fn list_banned(
    State(state): State<AppState>,
    api: ApiCaller,
    OnBehalfOf(acting): OnBehalfOf,
    ApiPath(raw): ApiPath<String>,
    params: Params<ListMembersParams>,
) -> Result<Listed<BannedUserView>> {
    let query = member_query(params)?;
    let paging = query.paging.clone();
    let found = members::banned_users(&state.db, &api.caller, &api.app, &acting, &guid(&raw)?, query).await?;
    Ok(listed(found, &paging))
}

/// Ban a user: a member is removed, and nobody can add them back or let
/// them join until they are unbanned.
#[utoipa::path(post, path = "/groups/{guid}/bannedusers/{uid}", tag = "Members",
    responses((status = 200, body = Envelope<MemberChanged>)))]
pub async fn ban(
    State(state): State<AppState>,
    api: ApiCaller,
    OnBehalfOf(acting): OnBehalfOf,
    ApiPath(path): ApiPath<(String, String)>,
) -> Result<Data<MemberChanged>> {
    one_change(&state, &api, &acting, path, MemberChange::Ban).await
}

#[utoipa::path(delete, path = "/groups/{guid}/bannedusers/{uid}", tag = "Members",
    responses((status = 200, body = Envelope<MemberChanged>)))]
pub async fn unban(
    State(state): State<AppState>,
    api: ApiCaller,
    OnBehalfOf(acting): OnBehalfOf,
    ApiPath(path): ApiPath<(String, String)>,
) -> Result<Data<MemberChanged>> {
    one_change(&state, &api, &acting, path, MemberChange::Unban).await
}
