use leptos::prelude::*;

use super::{
    app_layout::use_app_id,
    checked_input::CheckedInput,
    confirmed_submit::ConfirmedSubmit,
    error_notice::{ActionError, ErrorNotice},
    outcome::use_outcome,
    timestamp::Timestamp,
};
use leptos::server_fn::ServerFn;

#[cfg(feature = "ssr")]
use crate::domain::KeyName;
use crate::domain::{ApiError, ApiKeyView, AppView, Environment, FieldCheck, KeyScope, NewApiKey, Outcome, Powers};

/// An app and its keys, fetched together for the keys page, with what the
/// operator may do to them.
#[server]
pub async fn list_keys(app_id: String) -> Result<(AppView, Vec<ApiKeyView>, Powers), ApiError> {
    use crate::server::{auth::session::dashboard_app, service::api_keys};
    let (state, caller, app) = dashboard_app(&app_id).await?;
    let keys = api_keys::list(&state.db, &caller, &app).await?;
    let powers = caller.operator_role().map(|role| Powers::of(role, app.view.environment)).unwrap_or_default();
    Ok((app.view, keys, powers))
}

#[server]
pub async fn create_key(
    app_id: String,
    name: String,
    scope: String,
    #[server(default)] expires_on: String,
    #[server(default)] confirm_auth_key: Option<String>,
) -> Result<NewApiKey, ApiError> {
    use crate::domain::parse_date;
    use crate::server::{auth::session::dashboard_app, service::api_keys};
    let new = api_keys::NewKey {
        name: KeyName::parse(&name)?,
        scope: KeyScope::parse(&scope)?,
        expires_at: Some(expires_on.trim()).filter(|d| !d.is_empty()).map(parse_date).transpose()?,
        confirm_auth_key_in_production: confirm_auth_key.is_some(),
    };
    let (state, caller, app) = dashboard_app(&app_id).await?;
    let created = api_keys::create(&state.db, &caller, &app, new).await?;
    crate::ui::outcome::keep(Outcome::KeyCreated(created.clone())).await?;
    Ok(created)
}

/// Revokes a key, once its form's box is ticked: whatever uses it stops
/// working at once.
#[server]
pub async fn revoke_key(app_id: String, id: i64, #[server(default)] confirm: Option<String>) -> Result<(), ApiError> {
    use crate::server::{auth::session::dashboard_app, service::api_keys};
    use crate::ui::confirmed_submit::require_confirmation;
    require_confirmation(&confirm, "revoke the key")?;
    let (state, caller, app) = dashboard_app(&app_id).await?;
    api_keys::revoke(&state.db, &caller, &app, &crate::domain::ApiKeyRef::Id(id)).await?;
    Ok(())
}

#[component]
pub fn KeysPage() -> impl IntoView {
    let app_id = use_app_id();
    let revoke = ServerAction::<RevokeKey>::new();
    let page = Resource::new(move || app_id.get(), list_keys);
    let outcome = use_outcome();
    view! {
        <section class="keys-page">
            <Transition>
                {move || Suspend::new(async move {
                    match outcome.await {
                        Some(Outcome::KeyCreated(new)) => Some(view! { <NewKeyShownOnce new /> }),
                        _ => None,
                    }
                })}
            </Transition>
            <Transition fallback=|| view! { <p class="muted">"Loading keys…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok((app, keys, powers)) => {
                            let may_manage = powers.manage_keys;
                            view! {
                                <KeyTable keys revoke app_id=app.app_id.to_string() may_manage />
                                {may_manage.then(|| view! { <NewKeyForm app /> })}
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The new key's secret, the one time it exists outside the caller's hands.
#[component]
fn NewKeyShownOnce(new: NewApiKey) -> impl IntoView {
    view! {
            <section class="card new-key" role="status">
                <h2>{format!("{} created: {}", new.key.scope.label(), new.key.name)}</h2>
                <p>"Copy this key now. Switchboard keeps only its hash and will not show it again."</p>
                <div class="secret">
                    <code data-testid="new-api-key">{new.api_key.clone()}</code>
                    <CopyButton text=new.api_key />
                </div>
            </section>
    }
}

/// Copies `text` (a new key) to the clipboard.
#[island(lazy)]
fn CopyButton(text: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let clipboard = window().navigator().clipboard();
            let _ = clipboard.write_text(&text);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &text;
        copied.set(true);
    };
    view! {
        <button type="button" class="secondary" on:click=copy>
            {move || if copied.get() { "Copied" } else { "Copy" }}
        </button>
    }
}

#[component]
fn KeyTable(keys: Vec<ApiKeyView>, revoke: ServerAction<RevokeKey>, app_id: String, may_manage: bool) -> impl IntoView {
    if keys.is_empty() {
        return view! { <p class="muted">"No keys yet."</p> }.into_any();
    }
    view! {
        <ActionError value=revoke.value() />
        <table class="keys">
            <thead>
                <tr>
                    <th>"Name"</th><th>"Type"</th><th>"Key"</th><th>"Created by"</th>
                    <th>"Created"</th><th>"Last used"</th><th>"Expires"</th><th></th>
                </tr>
            </thead>
            <tbody>
                {keys
                    .into_iter()
                    .map(|key| view! { <KeyRow key revoke app_id=app_id.clone() may_manage /> })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn KeyRow(key: ApiKeyView, revoke: ServerAction<RevokeKey>, app_id: String, may_manage: bool) -> impl IntoView {
    let revoked = key.revoked_at.is_some();
    view! {
        <tr class:revoked=revoked data-key-name=key.name.to_string()>
            <td>{key.name.to_string()}</td>
            <td><span class=format!("badge scope-{}", key.scope.as_str())>{key.scope.label()}</span></td>
            <td><code>{format!("{}…", key.prefix)}</code></td>
            <td>{key.created_by.clone()}</td>
            <td><Timestamp at=Some(key.created_at) /></td>
            <td><Timestamp at=key.last_used_at /></td>
            <td><Timestamp at=key.expires_at /></td>
            <td>
                {if revoked {
                    view! { <span class="badge revoked">"Revoked"</span> }.into_any()
                } else if !may_manage {
                    ().into_any()
                } else {
                    view! {
                        <details class="confirmed-action">
                            <summary>"Revoke"</summary>
                            <ActionForm action=revoke attr:class="form">
                                <input type="hidden" name="app_id" value=app_id />
                                <input type="hidden" name="id" value=key.id />
                                <ConfirmedSubmit consequence="Whatever uses this key stops working at once" button="Revoke key" />
                            </ActionForm>
                        </details>
                    }
                        .into_any()
                }}
            </td>
        </tr>
    }
}

#[component]
fn NewKeyForm(app: AppView) -> impl IntoView {
    let create = ServerAction::<CreateKey>::new();
    let production = app.environment == Environment::Production;
    view! {
        <section class="card">
            <h2>"Create a key"</h2>
            <form method="post" action=CreateKey::url() class="form" id="create-key">
                <input type="hidden" name="app_id" value=app.app_id.to_string() />
                <CheckedInput label="Name" name="name" check=FieldCheck::KeyName />
                <fieldset>
                    <legend>"Type"</legend>
                    {KeyScope::ALL
                        .iter()
                        .map(|s| {
                            let s = *s;
                            view! {
                                <label class="choice">
                                    <input type="radio" name="scope" value=s.as_str() checked=s == KeyScope::FullAccess />
                                    {s.label()}
                                    <small class="muted">{match s {
                                        KeyScope::AuthOnly => " — may only create users and log them in; for client apps",
                                        KeyScope::FullAccess => " — full access; keep it on your servers",
                                    }}</small>
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                {production.then(|| view! {
                    <label class="choice confirm">
                        <input type="checkbox" name="confirm_auth_key" value="yes" />
                        "I understand an Auth Key for this production app will ship inside client code."
                    </label>
                })}
                <label for="expires_on">"Expires on (optional)"</label>
                <input id="expires_on" name="expires_on" type="date" />
                <ActionError value=create.value() />
                <button type="submit">"Create key"</button>
            </form>
        </section>
    }
}
