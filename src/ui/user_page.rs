use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::{
    app_layout::use_app_id,
    confirmed_submit::ConfirmedSubmit,
    error_notice::{ActionError, ErrorNotice},
    outcome::use_outcome,
    permitted::load_user_powers,
    roles_page::list_roles,
    timestamp::Timestamp,
    user_form::UserForm,
    user_friends::UserFriends,
    user_groups::UserGroups,
    users_bulk_bar::ChangeUsers,
};
use crate::domain::{ApiError, AuthTokenView, BulkChange, Outcome, Powers, UserDetail, UserView};

#[server]
pub async fn load_user(app_id: String, uid: String) -> Result<UserDetail, ApiError> {
    use crate::domain::Uid;
    use crate::server::{
        auth::session::dashboard_app,
        service::{auth_tokens, users},
    };
    let (state, caller, app) = dashboard_app(&app_id).await?;
    let uid = Uid::parse(&uid)?;
    let user = users::get(&state.db, &caller, &app, &uid).await?;
    let tokens = auth_tokens::list(&state.db, &caller, &app, &uid).await?;
    Ok(UserDetail { user, tokens })
}

/// Signs the user out of one device, once the form's box is ticked.
#[server]
pub async fn revoke_user_token(
    app_id: String,
    uid: String,
    id: i64,
    #[server(default)] confirm: Option<String>,
) -> Result<(), ApiError> {
    use crate::domain::Uid;
    use crate::server::{auth::session::dashboard_app, service::auth_tokens};
    use crate::ui::confirmed_submit::require_confirmation;
    require_confirmation(&confirm, "sign this device out")?;
    let (state, caller, app) = dashboard_app(&app_id).await?;
    auth_tokens::revoke(&state.db, &caller, &app, &Uid::parse(&uid)?, &id.to_string()).await?;
    Ok(())
}

/// Signs the user out of every device. The form asks for a tick first.
#[server]
pub async fn revoke_all_user_tokens(
    app_id: String,
    uid: String,
    #[server(default)] confirm: Option<String>,
) -> Result<(), ApiError> {
    use crate::domain::Uid;
    use crate::server::{auth::session::dashboard_app, service::auth_tokens};
    use crate::ui::confirmed_submit::require_confirmation;
    require_confirmation(&confirm, "sign this user out of every device")?;
    let (state, caller, app) = dashboard_app(&app_id).await?;
    auth_tokens::revoke_all(&state.db, &caller, &app, &Uid::parse(&uid)?).await?;
    Ok(())
}

/// Removes the user and all that is theirs, then shows the users list.
#[server]
pub async fn delete_user(
    app_id: String,
    uid: String,
    #[server(default)] confirm: Option<String>,
) -> Result<(), ApiError> {
    use crate::domain::Uid;
    use crate::server::{auth::session::dashboard_app, service::users};
    use crate::ui::confirmed_submit::require_confirmation;
    require_confirmation(&confirm, "delete this user for good")?;
    let (state, caller, app) = dashboard_app(&app_id).await?;
    let uid = Uid::parse(&uid)?;
    if users::delete_permanently(&state.db, &caller, &app, std::slice::from_ref(&uid)).await?.is_empty() {
        return Err(users::uid_not_found(&uid).into());
    }
    leptos_axum::redirect(&format!("/apps/{app_id}/users"));
    Ok(())
}

/// One user: profile and its editor, friends, groups, and the auth tokens
/// of their devices, which support staff can revoke one by one or all at
/// once. Deactivating, reactivating and deleting are here too.
#[component]
pub fn UserPage() -> impl IntoView {
    let app_id = use_app_id();
    let params = use_params_map();
    let uid = Memo::new(move |_| params.read().get("uid").unwrap_or_default());
    let revoke = ServerAction::<RevokeUserToken>::new();
    let revoke_all = ServerAction::<RevokeAllUserTokens>::new();
    let change = ServerAction::<ChangeUsers>::new();
    let outcome = use_outcome();
    let delete = ServerAction::<DeleteUser>::new();
    let roles = Resource::new(move || app_id.get(), list_roles);
    let powers = Resource::new(move || app_id.get(), load_user_powers);
    let detail = Resource::new(move || (app_id.get(), uid.get()), |(app_id, uid)| load_user(app_id, uid));
    view! {
        <section class="user-page">
            <ActionError value=revoke.value() />
            <ActionError value=revoke_all.value() />
            <ActionError value=change.value() />
            <Transition fallback=|| view! { <p class="muted">"Loading the user…"</p> }>
                {move || Suspend::new(async move {
                    let powers = powers.await.unwrap_or_default();
                    let saved = outcome.await == Some(Outcome::UserSaved);
                    match detail.await {
                        Ok(UserDetail { user, tokens }) => {
                            let app_id = app_id.get_untracked();
                            view! {
                                <UserProfile user=user.clone() app_id=app_id.clone() powers change delete />
                                <TokenList tokens user=user.clone() app_id=app_id.clone() powers revoke revoke_all />
                                {powers.manage.then(|| view! {
                                    <details class="card" open=saved>
                                        <summary>"Edit profile"</summary>
                                        <UserForm app_id user=Some(user) roles saved />
                                    </details>
                                })}
                            }
                                .into_any()
                        }
                        // What follows is hidden (`.user-missing ~ .user-extras`): it
                        // would only say the same again.
                        Err(error) => view! { <div class="user-missing"><ErrorNotice error /></div> }.into_any(),
                    }
                })}
            </Transition>
            <div class="user-extras">
                <UserFriends app_id uid powers outcome />
                <UserGroups app_id uid />
            </div>
        </section>
    }
}

#[component]
fn UserProfile(
    user: UserView,
    app_id: String,
    powers: Powers,
    change: ServerAction<ChangeUsers>,
    delete: ServerAction<DeleteUser>,
) -> impl IntoView {
    let deactivated = user.deactivated_at.is_some();
    let metadata = user.metadata.as_ref().map(|m| serde_json::to_string_pretty(m).unwrap_or_default());
    let uid = user.uid.to_string();
    let switch = if deactivated { BulkChange::Reactivate } else { BulkChange::Deactivate };
    let (shown_uid, change_uid, change_app) = (uid.clone(), uid.clone(), app_id.clone());
    view! {
        <section class="card">
            <h2>{user.name.clone()} " " <code>{shown_uid}</code></h2>
            <dl class="profile">
                <dt>"Role"</dt><dd><span class="badge">{user.role.to_string()}</span></dd>
                <dt>"Status"</dt><dd>{if deactivated { "Deactivated".to_owned() } else { user.status.clone() }}</dd>
                <dt>"Status message"</dt><dd>{user.status_message.clone().unwrap_or_default()}</dd>
                <dt>"Avatar"</dt><dd>{user.avatar.clone().unwrap_or_default()}</dd>
                <dt>"Link"</dt><dd>{user.link.clone().unwrap_or_default()}</dd>
                <dt>"Tags"</dt><dd>{user.tags.join(", ")}</dd>
                <dt>"Created"</dt><dd><Timestamp at=Some(user.created_at) /></dd>
                <dt>"Last active"</dt><dd><Timestamp at=user.last_active_at /></dd>
                <dt>"Metadata"</dt><dd><pre class="metadata">{metadata}</pre></dd>
            </dl>
            <div class="row-actions">
                // Support may deactivate; reactivating is a change to the user, for those who manage.
                {match (deactivated, powers.manage, powers.moderate) {
                    (true, true, _) => view! {
                        <ActionForm action=change attr:class="inline">
                            <input type="hidden" name="app_id" value=change_app />
                            <input type="hidden" name="uids[]" value=change_uid />
                            <button type="submit" name="change" value=switch.as_str() class="secondary">"Reactivate"</button>
                        </ActionForm>
                    }
                    .into_any(),
                    (false, _, true) => view! {
                        <details class="confirmed-action">
                            <summary>"Deactivate"</summary>
                            <ActionForm action=change attr:class="form">
                                <input type="hidden" name="app_id" value=change_app />
                                <input type="hidden" name="uids[]" value=change_uid />
                                <input type="hidden" name="change" value=switch.as_str() />
                                <ConfirmedSubmit consequence="They are signed out everywhere and cannot sign in" button="Deactivate user" />
                            </ActionForm>
                        </details>
                    }
                    .into_any(),
                    _ => ().into_any(),
                }}
                {powers.manage.then(|| view! {
                    <ActionForm action=delete attr:class="inline delete-user">
                        <input type="hidden" name="app_id" value=app_id />
                        <input type="hidden" name="uid" value=uid />
                        <ConfirmedSubmit consequence="Delete this user, their tokens, friendships and group memberships for good" button="Delete" />
                    </ActionForm>
                })}
            </div>
            <ActionError value=delete.value() />
        </section>
    }
}

/// A token's device as its client said: platform, and user agent if any.
fn device_of(platform: Option<String>, user_agent: Option<String>) -> String {
    match (platform, user_agent) {
        (Some(platform), Some(agent)) => format!("{platform} · {agent}"),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => "—".to_owned(),
    }
}

#[component]
fn TokenList(
    tokens: Vec<AuthTokenView>,
    user: UserView,
    app_id: String,
    powers: Powers,
    revoke: ServerAction<RevokeUserToken>,
    revoke_all: ServerAction<RevokeAllUserTokens>,
) -> impl IntoView {
    let uid = user.uid.to_string();
    let none = tokens.is_empty();
    view! {
        <section class="card">
            <h2>"Auth tokens"</h2>
            {none.then(|| view! { <p class="muted">"No devices are signed in."</p> })}
            <table class="tokens" class:hidden=none>
                <thead>
                    <tr><th>"Token"</th><th>"Device"</th><th>"Created"</th><th>"Last used"</th><th></th></tr>
                </thead>
                <tbody>
                    {tokens
                        .into_iter()
                        .map(|token| {
                            let (app_id, uid) = (app_id.clone(), uid.clone());
                            view! {
                                <tr data-token=token.prefix.clone()>
                                    <td><code>{format!("{}…", token.prefix)}</code></td>
                                    <td>{device_of(token.platform, token.user_agent)}</td>
                                    <td><Timestamp at=Some(token.created_at) /></td>
                                    <td><Timestamp at=token.last_used_at /></td>
                                    <td>
                                        {powers.moderate.then(|| view! {
                                            <details class="confirmed-action">
                                                <summary>"Revoke"</summary>
                                                <ActionForm action=revoke attr:class="form">
                                                    <input type="hidden" name="app_id" value=app_id />
                                                    <input type="hidden" name="uid" value=uid />
                                                    <input type="hidden" name="id" value=token.id />
                                                    <ConfirmedSubmit consequence="This device is signed out at once" button="Revoke token" />
                                                </ActionForm>
                                            </details>
                                        })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            {powers.moderate.then(|| view! {
                <ActionForm action=revoke_all attr:class="inline revoke-all">
                    <input type="hidden" name="app_id" value=app_id />
                    <input type="hidden" name="uid" value=uid />
                    <ConfirmedSubmit consequence="Sign this user out of every device" button="Revoke all" />
                </ActionForm>
            })}
        </section>
    }
}
