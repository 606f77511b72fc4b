use leptos::prelude::*;

use super::{
    checked_input::CheckedInput,
    confirmed_submit::ConfirmedSubmit,
    error_notice::{ActionError, ErrorNotice},
    outcome::{absolute_link, use_outcome},
    session::{Visitor, current_visitor},
    timestamp::Timestamp,
};
use leptos::server_fn::ServerFn;

use crate::domain::{
    ApiError, FieldCheck, OperatorRole, OperatorView, Outcome, Permission, SignInStatus, TwoFactorPolicy,
};
#[cfg(feature = "ssr")]
use crate::domain::{Email, OperatorName};

/// The team, and who is looking at it (their own row is not editable).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Team {
    me: OperatorView,
    operators: Vec<OperatorView>,
    sign_in: SignInStatus,
}

#[server]
pub async fn list_operators() -> Result<Team, ApiError> {
    use crate::server::{
        auth::session::dashboard_caller,
        auth::session::signed_in_operator,
        service::{operators, sign_in, two_factor},
        state::AppState,
    };
    let (state, caller) = (expect_context::<AppState>(), dashboard_caller().await?);
    let me = signed_in_operator().await?.ok_or(crate::server::Error::NotSignedIn)?;
    let sign_in = SignInStatus {
        locked_out: sign_in::locked_out(&state.db, &caller).await?,
        two_factor: two_factor::enabled_operators(&state.db, &caller).await?,
        policy: two_factor::policy(&state.db, &caller).await?,
    };
    Ok(Team { me, operators: operators::list(&state.db, &caller).await?, sign_in })
}

/// Forgives operator `id`'s failed sign-ins, which ends their lock-out.
#[server]
pub async fn lift_lock_out(id: i64) -> Result<(), ApiError> {
    use crate::server::{auth::session::dashboard_caller, service::sign_in, state::AppState};
    Ok(sign_in::lift_lock_out(&expect_context::<AppState>().db, &dashboard_caller().await?, id).await?)
}

/// Takes away operator `id`'s second factor (lost with their recovery
/// codes), once the form's box is ticked.
#[server]
pub async fn reset_two_factor(id: i64, #[server(default)] confirm: Option<String>) -> Result<(), ApiError> {
    use crate::server::{auth::session::dashboard_caller, service::two_factor, state::AppState};
    use crate::ui::confirmed_submit::require_confirmation;
    require_confirmation(&confirm, "take away their second factor")?;
    Ok(two_factor::reset_for(&expect_context::<AppState>().db, &dashboard_caller().await?, id).await?)
}

/// Sets which roles must sign in with a second factor: a form field per
/// role, present when ticked (as a checkbox sends it). Owners only.
#[server]
pub async fn set_two_factor_policy(
    #[server(default)] owner: Option<String>,
    #[server(default)] admin: Option<String>,
    #[server(default)] developer: Option<String>,
    #[server(default)] support: Option<String>,
    #[server(default)] viewer: Option<String>,
) -> Result<(), ApiError> {
    use crate::domain::TwoFactorPolicy;
    use crate::server::{auth::session::dashboard_caller, service::two_factor, state::AppState};
    use OperatorRole::{Admin, Developer, Owner, Support, Viewer};
    let fields = [(Owner, owner), (Admin, admin), (Developer, developer), (Support, support), (Viewer, viewer)];
    let roles = fields.into_iter().filter(|(_, field)| field.is_some()).map(|(role, _)| role).collect();
    let policy = TwoFactorPolicy { roles };
    two_factor::set_policy(&expect_context::<AppState>().db, &dashboard_caller().await?, &policy).await?;
    crate::ui::outcome::keep(Outcome::TwoFactorPolicySaved).await?;
    Ok(())
}

/// Invites an operator: their one-time link (a path) is answered for the
/// inviter to send them, and they choose their own password with it. Nobody
/// types another's password.
#[server]
pub async fn add_operator(email: String, name: String, role: String) -> Result<String, ApiError> {
    use crate::server::{auth::session::dashboard_caller, service::password_links, state::AppState};
    let (email, name, role) = (Email::parse(&email)?, OperatorName::parse(&name)?, OperatorRole::parse(&role)?);
    let (state, caller) = (expect_context::<AppState>(), dashboard_caller().await?);
    let (_, token) = password_links::invite(&state.db, &state.passwords, &caller, &email, &name, role).await?;
    let link = format!("/reset-password?token={token}");
    crate::ui::outcome::keep(Outcome::Invited(link.clone())).await?;
    Ok(link)
}

#[server]
pub async fn change_operator_role(id: i64, role: String) -> Result<(), ApiError> {
    use crate::server::{auth::session::dashboard_caller, service::operators, state::AppState};
    let state = expect_context::<AppState>();
    operators::change_role(&state.db, &dashboard_caller().await?, id, OperatorRole::parse(&role)?).await?;
    Ok(())
}

/// Disables an operator (once the form's box is ticked: their sessions
/// end at once) or enables them again.
#[server]
pub async fn set_operator_disabled(
    id: i64,
    disabled: bool,
    #[server(default)] confirm: Option<String>,
) -> Result<(), ApiError> {
    use crate::server::{auth::session::dashboard_caller, service::operators, state::AppState};
    use crate::ui::confirmed_submit::require_confirmation;
    if disabled {
        require_confirmation(&confirm, "disable this operator")?;
    }
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
    let link = format!("/reset-password?token={token}");
    crate::ui::outcome::keep(Outcome::ResetLink(link.clone())).await?;
    Ok(link)
}

#[component]
pub fn TeamPage() -> impl IntoView {
    let add = ServerAction::<AddOperator>::new();
    let change_role = ServerAction::<ChangeOperatorRole>::new();
    let set_disabled = ServerAction::<SetOperatorDisabled>::new();
    let reset_link = ServerAction::<CreateResetLink>::new();
    let sign_in_actions = SignInActions {
        lift: ServerAction::<LiftLockOut>::new(),
        reset_two_factor: ServerAction::<ResetTwoFactor>::new(),
        policy: ServerAction::<SetTwoFactorPolicy>::new(),
    };
    let visitor = Resource::new(|| (), |_| current_visitor());
    let outcome = use_outcome();
    let team = Resource::new(|| (), |_| list_operators());
    view! {
        <main>
            <h1>"Team"</h1>
            <p><a href="/team/activity">"Team activity"</a></p>
            <ActionError value=change_role.value() />
            <ActionError value=set_disabled.value() />
            <ActionError value=reset_link.value() />
            <ActionError value=sign_in_actions.lift.value() />
            <ActionError value=sign_in_actions.reset_two_factor.value() />
            <Transition>
                {move || Suspend::new(async move {
                    match outcome.await {
                        Some(Outcome::ResetLink(link)) => Some(view! {
                            <p class="notice" role="status">
                                "Send them this link: it sets their password, once, within a day. "
                                <code class="reset-link">{absolute_link(&link)}</code>
                            </p>
                        }),
                        _ => None,
                    }
                })}
            </Transition>
            <Transition fallback=|| view! { <p class="muted">"Loading the team…"</p> }>
                {move || Suspend::new(async move {
                    match team.await {
                        Ok(Team { me, operators, sign_in }) => {
                            let may_manage = me.role.at_least(OperatorRole::Admin);
                            let is_owner = me.role == OperatorRole::Owner;
                            let policy = sign_in.policy.clone();
                            let rows = TeamRows { me: me.id, me_role: me.role, may_manage, sign_in };
                            let saved = outcome.await == Some(Outcome::TwoFactorPolicySaved);
                            view! {
                                {may_manage.then(|| view! { <p><a href="/team/sessions">"Team sessions"</a></p> })}
                                <TeamTable team=operators rows change_role set_disabled sign_in_actions />
                                <TwoFactorPolicyForm policy action=sign_in_actions.policy editable=is_owner saved />
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
            <Transition>
                {move || Suspend::new(async move {
                    let Ok(Visitor::SignedIn(session)) = visitor.await else { return None };
                    let role = session.operator.role;
                    let invited = match outcome.await {
                        Some(Outcome::Invited(link)) => Some(link),
                        _ => None,
                    };
                    role.may(Permission::ManageTeam).then(|| view! { <AddOperatorSection add assigner=role invited /> })
                })}
            </Transition>
        </main>
    }
}

/// The team page's sign-in controls.
#[derive(Clone, Copy)]
struct SignInActions {
    lift: ServerAction<LiftLockOut>,
    reset_two_factor: ServerAction<ResetTwoFactor>,
    policy: ServerAction<SetTwoFactorPolicy>,
}

/// What each row of the team table needs to know besides its operator.
struct TeamRows {
    me: i64,
    me_role: OperatorRole,
    may_manage: bool,
    sign_in: SignInStatus,
}

#[component]
fn TeamTable(
    team: Vec<OperatorView>,
    rows: TeamRows,
    change_role: ServerAction<ChangeOperatorRole>,
    set_disabled: ServerAction<SetOperatorDisabled>,
    sign_in_actions: SignInActions,
) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="team">
                <thead>
                    <tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Since"</th><th>"Sign-in"</th><th>"Status"</th></tr>
                </thead>
                <tbody>
                    {team
                        .into_iter()
                        .map(|op| {
                            // Only an owner changes owners (or makes them): the server's rule.
                            let owner_only = op.role == OperatorRole::Owner && rows.me_role != OperatorRole::Owner;
                            let editable = rows.may_manage && op.id != rows.me && !owner_only;
                            let locked_out = rows.sign_in.locked_out.contains(&op.id);
                            let two_factor = rows.sign_in.two_factor.contains(&op.id);
                            let id = op.id;
                            view! {
                                <OperatorRow op change_role set_disabled editable assigner=rows.me_role>
                                    <SignInCell id locked_out two_factor editable actions=sign_in_actions />
                                </OperatorRow>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// An operator's lock-out and second factor, with the controls to lift
/// the one and take away the other.
#[component]
fn SignInCell(id: i64, locked_out: bool, two_factor: bool, editable: bool, actions: SignInActions) -> impl IntoView {
    view! {
        <td class="sign-in">
            {two_factor.then(|| view! { <span class="badge">"Two-factor"</span> })}
            {locked_out.then(|| view! { <span class="badge danger">"Locked out"</span> })}
            {(editable && locked_out).then(|| view! {
                <ActionForm action=actions.lift attr:class="inline">
                    <input type="hidden" name="id" value=id />
                    <button type="submit" class="secondary">"Lift lock-out"</button>
                </ActionForm>
            })}
            {(editable && two_factor).then(|| view! {
                <details class="confirmed-action">
                    <summary>"Reset two-factor"</summary>
                    <ActionForm action=actions.reset_two_factor attr:class="form">
                        <input type="hidden" name="id" value=id />
                        <ConfirmedSubmit consequence="Their sessions end; they sign in with their password alone" button="Reset two-factor" />
                    </ActionForm>
                </details>
            })}
        </td>
    }
}

/// Which roles must sign in with two-factor: a form for owners, a sentence
/// for everyone else.
#[component]
fn TwoFactorPolicyForm(
    policy: TwoFactorPolicy,
    action: ServerAction<SetTwoFactorPolicy>,
    editable: bool,
    /// The page came back from saving it.
    saved: bool,
) -> impl IntoView {
    if !editable {
        let roles: Vec<&str> = policy.roles.iter().map(|r| r.label()).collect();
        let said = if roles.is_empty() { "no role".to_owned() } else { roles.join(", ") };
        return view! { <p class="muted">"Two-factor sign-in is required of: " {said} "."</p> }.into_any();
    }
    view! {
        <section class="card">
            <h2>"Two-factor sign-in"</h2>
            <form method="post" action=SetTwoFactorPolicy::url() class="form" id="two-factor-policy">
                <p>"Require it of these roles. Their operators signed in with a password alone must set it up first."</p>
                {OperatorRole::ALL
                    .iter()
                    .map(|role| view! {
                        <label class="choice">
                            <input type="checkbox" name=role.as_str() value="on" checked=policy.roles.contains(role) />
                            {role.label()}
                        </label>
                    })
                    .collect_view()}
                <ActionError value=action.value() />
                {saved.then(|| view! { <p class="notice" role="status">"Saved."</p> })}
                <button type="submit">"Save"</button>
            </form>
        </section>
    }
    .into_any()
}

#[component]
fn OperatorRow(
    op: OperatorView,
    change_role: ServerAction<ChangeOperatorRole>,
    set_disabled: ServerAction<SetOperatorDisabled>,
    editable: bool,
    assigner: OperatorRole,
    children: Children,
) -> impl IntoView {
    let disabled = op.disabled_at.is_some();
    let role_cell = if editable {
        view! {
            <ActionForm action=change_role attr:class="inline">
                <input type="hidden" name="id" value=op.id />
                <select name="role" aria-label="Role">
                    {assignable_roles(assigner)
                        .map(|r| view! { <option value=r.as_str() selected=r == op.role>{r.label()}</option> })
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
            {children()}
            <td>
                <span>{if disabled { "Disabled" } else { "Active" }}</span>
                {editable.then(|| view! {
                    {if disabled {
                        view! {
                            <ActionForm action=set_disabled attr:class="inline">
                                <input type="hidden" name="id" value=op.id />
                                <input type="hidden" name="disabled" value="false" />
                                <button type="submit" class="secondary">"Enable"</button>
                            </ActionForm>
                        }
                        .into_any()
                    } else {
                        view! {
                            <details class="confirmed-action">
                                <summary>"Disable"</summary>
                                <ActionForm action=set_disabled attr:class="form">
                                    <input type="hidden" name="id" value=op.id />
                                    <input type="hidden" name="disabled" value="true" />
                                    <ConfirmedSubmit consequence="They are signed out at once and cannot sign in" button="Disable operator" />
                                </ActionForm>
                            </details>
                        }
                        .into_any()
                    }}
                    <form method="post" action=CreateResetLink::url() class="inline">
                        <input type="hidden" name="id" value=op.id />
                        <button type="submit" class="secondary">"Password link"</button>
                    </form>
                })}
            </td>
        </tr>
    }
}

/// The roles an operator of role `assigner` may give: only an owner makes owners.
fn assignable_roles(assigner: OperatorRole) -> impl Iterator<Item = OperatorRole> {
    OperatorRole::ALL.iter().copied().filter(move |r| *r != OperatorRole::Owner || assigner == OperatorRole::Owner)
}

/// The invitation form, and the link to send for the invitation it made
/// last. It posts and the page comes back, empty again.
#[component]
fn AddOperatorSection(
    add: ServerAction<AddOperator>,
    assigner: OperatorRole,
    invited: Option<String>,
) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Invite an operator"</h2>
            {invited.map(|link| view! {
                <p class="notice" role="status">
                    "Invited. Send them this invitation: it sets their password, once, within a week. "
                    <code class="invite-link">{absolute_link(&link)}</code>
                </p>
            })}
            <form method="post" action=AddOperator::url() class="form" id="add-operator">
                <CheckedInput label="Email" name="email" kind="email" check=FieldCheck::Email />
                <CheckedInput label="Name" name="name" check=FieldCheck::OperatorName />
                <label for="role">"Role"</label>
                <select id="role" name="role">
                    {assignable_roles(assigner)
                        .map(|r| view! { <option value=r.as_str() selected=r == OperatorRole::Developer>{r.label()}</option> })
                        .collect_view()}
                </select>
                <ActionError value=add.value() />
                <button type="submit">"Invite"</button>
            </form>
        </section>
    }
}
