use leptos::prelude::*;

use super::{
    checked_input::CheckedInput,
    error_notice::{ActionError, ErrorNotice},
    timestamp::Timestamp,
};
use crate::domain::{ApiError, Email, OperatorName, OperatorRole, OperatorView, Password};

/// The team, and who is looking at it (their own row is not editable).
#[server]
pub async fn list_operators() -> Result<(OperatorView, Vec<OperatorView>), ApiError> {
    use crate::server::{
        auth::session::dashboard_caller, auth::session::signed_in_operator, service::operators, state::AppState,
    };
    let state = expect_context::<AppState>();
    let caller = dashboard_caller().await?;
    let me = signed_in_operator().await?.ok_or(crate::server::Error::NotSignedIn)?;
    Ok((me, operators::list(&state.db, &caller).await?))
}

/// Adds an operator: with a password given, that one; without, an
/// invitation, whose one-time link (a path) is answered to send them.
#[server]
pub async fn add_operator(
    email: String,
    name: String,
    role: String,
    password: String,
) -> Result<Option<String>, ApiError> {
    use crate::server::{
        auth::session::dashboard_caller,
        service::{operators, password_links},
        state::AppState,
    };
    let (email, name, role) = (Email::parse(&email)?, OperatorName::parse(&name)?, OperatorRole::parse(&role)?);
    let (state, caller) = (expect_context::<AppState>(), dashboard_caller().await?);
    if password.is_empty() {
        let (_, token) = password_links::invite(&state.db, &state.passwords, &caller, &email, &name, role).await?;
        return Ok(Some(format!("/reset-password?token={token}")));
    }
    let new = operators::NewOperator { email, name, role, password: Password::parse(&password)? };
    operators::create(&state.db, &state.passwords, &caller, new).await?;
    Ok(None)
}

#[server]
pub async fn change_operator_role(id: i64, role: String) -> Result<(), ApiError> {
    use crate::server::{auth::session::dashboard_caller, service::operators, state::AppState};
    let state = expect_context::<AppState>();
    operators::change_role(&state.db, &dashboard_caller().await?, id, OperatorRole::parse(&role)?).await?;
    Ok(())
}

#[server]
pub async fn set_operator_disabled(id: i64, disabled: bool) -> Result<(), ApiError> {
    use crate::server::{auth::session::dashboard_caller, service::operators, state::AppState};
    let state = expect_context::<AppState>();
    operators::set_disabled(&state.db, &dashboard_caller().await?, id, disabled).await?;
    Ok(())
}

/// A one-time link that sets operator `id`'s password, as a path: the
/// operator's sessions end once it is used.
#[server]
pub async fn create_reset_link(id: i64) -> Result<String, ApiError> {
    use crate::server::{auth::session::dashboard_caller, service::password_links, state::AppState};
    let state = expect_context::<AppState>();
    let token = password_links::reset_link(&state.db, &dashboard_caller().await?, id).await?;
    Ok(format!("/reset-password?token={token}"))
}

#[component]
pub fn TeamPage() -> impl IntoView {
    let add = ServerAction::<AddOperator>::new();
    let change_role = ServerAction::<ChangeOperatorRole>::new();
    let set_disabled = ServerAction::<SetOperatorDisabled>::new();
    let reset_link = ServerAction::<CreateResetLink>::new();
    let team = Resource::new(
        move || (add.version().get(), change_role.version().get(), set_disabled.version().get()),
        |_| list_operators(),
    );
    view! {
        <main>
            <h1>"Team"</h1>
            <p><a href="/team/activity">"Team activity"</a></p>
            <ActionError value=change_role.value() />
            <ActionError value=set_disabled.value() />
            <ActionError value=reset_link.value() />
            {move || {
                reset_link.value().get().and_then(Result::ok).map(|link| view! {
                    <p class="notice" role="status">
                        "Send them this link: it sets their password, once, within a day. "
                        <code class="reset-link">{link}</code>
                    </p>
                })
            }}
            <Transition fallback=|| view! { <p class="muted">"Loading the team…"</p> }>
                {move || Suspend::new(async move {
                    match team.await {
                        Ok((me, team)) => {
                            let may_manage = me.role.at_least(OperatorRole::Admin);
                            view! {
                                <TeamTable team me=me.id change_role set_disabled reset_link may_manage />
                                {may_manage.then(|| view! { <AddOperatorForm add /> })}
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn TeamTable(
    team: Vec<OperatorView>,
    me: i64,
    change_role: ServerAction<ChangeOperatorRole>,
    set_disabled: ServerAction<SetOperatorDisabled>,
    reset_link: ServerAction<CreateResetLink>,
    may_manage: bool,
) -> impl IntoView {
    view! {
        <table class="team">
            <thead>
                <tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Since"</th><th>"Status"</th></tr>
            </thead>
            <tbody>
                {team
                    .into_iter()
                    .map(|op| {
                        let editable = may_manage && op.id != me;
                        view! { <OperatorRow op change_role set_disabled reset_link editable /> }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn OperatorRow(
    op: OperatorView,
    change_role: ServerAction<ChangeOperatorRole>,
    set_disabled: ServerAction<SetOperatorDisabled>,
    reset_link: ServerAction<CreateResetLink>,
    editable: bool,
) -> impl IntoView {
    let disabled = op.disabled_at.is_some();
    let role_cell = if editable {
        view! {
            <ActionForm action=change_role attr:class="inline">
                <input type="hidden" name="id" value=op.id />
                <select name="role" aria-label="Role">
                    {OperatorRole::ALL
                        .iter()
                        .map(|r| view! { <option value=r.as_str() selected=*r == op.role>{r.label()}</option> })
                        .collect_view()}
                </select>
                <button type="submit" class="secondary">"Change"</button>
            </ActionForm>
        }
        .into_any()
    } else {
        view! { <span class="badge role">{op.role.label()}</span> }.into_any()
    };
    view! {
        <tr class:disabled=disabled data-email=op.email.to_string()>
            <td>{op.name.to_string()}</td>
            <td>{op.email.to_string()}</td>
            <td>{role_cell}</td>
            <td><Timestamp at=Some(op.created_at) /></td>
            <td>
                {if disabled { "Disabled" } else { "Active" }}
                {editable.then(|| view! {
                    <ActionForm action=set_disabled attr:class="inline">
                        <input type="hidden" name="id" value=op.id />
                        <input type="hidden" name="disabled" value=(!disabled).to_string() />
                        <button type="submit" class=if disabled { "secondary" } else { "danger" }>
                            {if disabled { "Enable" } else { "Disable" }}
                        </button>
                    </ActionForm>
                    <ActionForm action=reset_link attr:class="inline">
                        <input type="hidden" name="id" value=op.id />
                        <button type="submit" class="secondary">"Password link"</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}

#[component]
fn AddOperatorForm(add: ServerAction<AddOperator>) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Add an operator"</h2>
            <ActionForm action=add attr:class="form" attr:id="add-operator">
                <CheckedInput label="Email" name="email" kind="email" check=|v| Email::parse(v).map(|_| ()) />
                <CheckedInput label="Name" name="name" check=|v| OperatorName::parse(v).map(|_| ()) />
                <label for="role">"Role"</label>
                <select id="role" name="role">
                    {OperatorRole::ALL
                        .iter()
                        .map(|r| view! { <option value=r.as_str() selected=*r == OperatorRole::Developer>{r.label()}</option> })
                        .collect_view()}
                </select>
                <CheckedInput label="Initial password (leave empty to invite them with a one-time link instead)"
                    name="password" kind="password" autocomplete="new-password" optional=true
                    check=|v| Password::parse(v).map(|_| ()) />
                <ActionError value=add.value() />
                {move || {
                    add.value().get().and_then(Result::ok).flatten().map(|link| view! {
                        <p class="notice" role="status">
                            "Send them this invitation: it sets their password, once, within a week. "
                            <code class="invite-link">{link}</code>
                        </p>
                    })
                }}
                <button type="submit">"Add operator"</button>
            </ActionForm>
        </section>
    }
}
