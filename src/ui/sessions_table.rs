use leptos::prelude::*;

use super::{
    error_notice::{ActionError, ErrorNotice},
    timestamp::Timestamp,
};
use crate::domain::{ApiError, SessionView};

/// The signed-in operator's own sessions.
#[server]
pub async fn list_own_sessions() -> Result<Vec<SessionView>, ApiError> {
    use crate::server::{
        auth::session::{dashboard_caller, own_key},
        service::operator_sessions,
        state::AppState,
    };
    let (state, caller) = (expect_context::<AppState>(), dashboard_caller().await?);
    Ok(operator_sessions::list_own(&state.db, &caller, &own_key().await?).await?)
}

/// Every operator's sessions, for owners and admins.
#[server]
pub async fn list_team_sessions() -> Result<Vec<SessionView>, ApiError> {
    use crate::server::{
        auth::session::{dashboard_caller, own_key},
        service::operator_sessions,
        state::AppState,
    };
    let (state, caller) = (expect_context::<AppState>(), dashboard_caller().await?);
    Ok(operator_sessions::list_all(&state.db, &caller, &own_key().await?).await?)
}

/// Signs session `id` out: one's own, or, for owners and admins, anyone's.
#[server]
pub async fn end_session(id: i64) -> Result<(), ApiError> {
    use crate::server::{auth::session::dashboard_caller, service::operator_sessions, state::AppState};
    Ok(operator_sessions::end(&expect_context::<AppState>().db, &dashboard_caller().await?, id).await?)
}

#[server]
pub async fn end_other_sessions() -> Result<(), ApiError> {
    use crate::server::{
        auth::session::{dashboard_caller, own_key},
        service::operator_sessions,
        state::AppState,
    };
    let (state, caller) = (expect_context::<AppState>(), dashboard_caller().await?);
    Ok(operator_sessions::end_others(&state.db, &caller, &own_key().await?).await?)
}

/// Sessions, each with a Sign out button but the one this page is seen in
/// (signing out of it is the header's Sign out).
#[component]
pub fn SessionsTable(
    sessions: Resource<Result<Vec<SessionView>, ApiError>>,
    end: ServerAction<EndSession>,
    show_operator: bool,
) -> impl IntoView {
    view! {
        <ActionError value=end.value() />
        <Transition fallback=|| view! { <p class="muted">"Loading sessions…"</p> }>
            {move || Suspend::new(async move {
                match sessions.await {
                    Ok(sessions) => view! {
                        <div class="table-scroll">
                            <table class="sessions">
                                <thead>
                                    <tr>
                                        {show_operator.then(|| view! { <th>"Operator"</th> })}
                                        <th>"Device"</th><th>"Address"</th><th>"Signed in"</th><th>"Last seen"</th><th></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {sessions.into_iter().map(|s| view! { <SessionRow s end show_operator /> }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                    .into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn SessionRow(s: SessionView, end: ServerAction<EndSession>, show_operator: bool) -> impl IntoView {
    let email = s.operator_email.to_string();
    let shown = show_operator.then(|| email.clone());
    view! {
        <tr data-email=email class:this-one=s.this_one>
            {shown.map(|email| view! { <td>{email}</td> })}
            <td>{s.device}{s.two_factor.then_some(" · two-factor")}</td>
            <td>{s.address.unwrap_or_else(|| "—".to_owned())}</td>
            <td><Timestamp at=Some(s.created_at) /></td>
            <td><Timestamp at=Some(s.last_seen_at) /></td>
            <td>
                {if s.this_one {
                    view! { <span class="badge">"This browser"</span> }.into_any()
                } else if !s.may_end {
                    ().into_any()
                } else {
                    view! {
                        <ActionForm action=end attr:class="inline">
                            <input type="hidden" name="id" value=s.id />
                            <button type="submit" class="secondary">"Sign out"</button>
                        </ActionForm>
                    }
                    .into_any()
                }}
            </td>
        </tr>
    }
}
