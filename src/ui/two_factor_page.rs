use leptos::prelude::*;

use super::error_notice::{ActionError, ErrorNotice};
use crate::domain::{ApiError, TotpSetup, TwoFactorView};

// These server functions stay open to a session that must set up a second
// factor first: their prefix is one of `two_factor_gate::OPEN_PREFIXES`.

#[server(prefix = "/api/two-factor")]
pub async fn two_factor_status() -> Result<TwoFactorView, ApiError> {
    use crate::server::{auth::session::dashboard_caller, service::two_factor, state::AppState};
    Ok(two_factor::status(&expect_context::<AppState>().db, &dashboard_caller().await?).await?)
}

#[server(prefix = "/api/two-factor")]
pub async fn begin_totp_setup() -> Result<TotpSetup, ApiError> {
    use crate::server::{auth::session::dashboard_caller, service::two_factor, state::AppState};
    Ok(two_factor::begin_setup(&expect_context::<AppState>().db, &dashboard_caller().await?).await?)
}

/// Turns two-factor on with a first code; answers the recovery codes.
#[server(prefix = "/api/two-factor")]
pub async fn confirm_totp_setup(code: String) -> Result<Vec<String>, ApiError> {
    use crate::domain::SecondFactor;
    use crate::server::{
        auth::session::{dashboard_caller, own_key},
        service::two_factor,
        state::AppState,
    };
    let factor = SecondFactor::parse(&code)?;
    let (state, caller) = (expect_context::<AppState>(), dashboard_caller().await?);
    Ok(two_factor::confirm_setup(&state.db, &caller, &factor, &own_key().await?).await?)
}

#[server]
pub async fn disable_two_factor(code: String) -> Result<(), ApiError> {
    use crate::domain::SecondFactor;
    use crate::server::{auth::session::dashboard_caller, service::two_factor, state::AppState};
    let factor = SecondFactor::parse(&code)?;
    Ok(two_factor::disable(&expect_context::<AppState>().db, &dashboard_caller().await?, &factor).await?)
}

/// `/account/two-factor`: sets up, shows and turns off the operator's
/// second factor. An operator whose role must use one is sent here first.
#[component]
pub fn TwoFactorPage() -> impl IntoView {
    let begin = ServerAction::<BeginTotpSetup>::new();
    let confirm = ServerAction::<ConfirmTotpSetup>::new();
    let disable = ServerAction::<DisableTwoFactor>::new();
    let status = Resource::new(move || (confirm.version().get(), disable.version().get()), |_| two_factor_status());
    view! {
        <main class="narrow">
            <h1>"Two-factor sign-in"</h1>
            <p>
                "Sign-in asks for a code from an authenticator app on your phone (any app for TOTP codes) "
                "after your password."
            </p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(status) => view! { <TwoFactorState status begin confirm disable /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn TwoFactorState(
    status: TwoFactorView,
    begin: ServerAction<BeginTotpSetup>,
    confirm: ServerAction<ConfirmTotpSetup>,
    disable: ServerAction<DisableTwoFactor>,
) -> impl IntoView {
    let codes = move || confirm.value().get().and_then(Result::ok);
    if status.enabled {
        return view! {
            {move || codes().map(|codes| view! { <RecoveryCodes codes /> })}
            <p class="notice" role="status">
                "Two-factor sign-in is on. Recovery codes left: " {status.recovery_codes_left} "."
            </p>
            {(!status.required).then(|| view! {
                <ActionForm action=disable attr:class="card form">
                    <label for="off-code">"A code, to turn two-factor sign-in off"</label>
                    <input id="off-code" name="code" autocomplete="one-time-code" required />
                    <ActionError value=disable.value() />
                    <button type="submit" class="danger">"Turn off"</button>
                </ActionForm>
            })}
        }
        .into_any();
    }
    view! {
        {status.required.then(|| view! {
            <p class="notice" role="alert">"Your role must sign in with two-factor: set it up to go on."</p>
        })}
        <ActionForm action=begin attr:class="inline">
            <button type="submit">"Set up an authenticator app"</button>
        </ActionForm>
        <ActionError value=begin.value() />
        {move || begin.value().get().and_then(Result::ok).map(|setup| view! {
            <section class="card form">
                <p>"Scan this code with the app, or type the key in."</p>
                <div class="qr" inner_html=setup.qr_svg></div>
                <p>"Key: " <code class="totp-secret">{setup.secret}</code></p>
                <ActionForm action=confirm attr:class="form">
                    <label for="code">"The 6-digit code the app shows"</label>
                    <input id="code" name="code" autocomplete="one-time-code" inputmode="numeric" required />
                    <ActionError value=confirm.value() />
                    <button type="submit">"Turn on"</button>
                </ActionForm>
            </section>
        })}
    }
    .into_any()
}

/// The recovery codes, shown once: each signs in once without the app.
#[component]
fn RecoveryCodes(codes: Vec<String>) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Your recovery codes"</h2>
            <p>"Keep them somewhere safe: each one signs you in once if you lose your phone. They are not shown again."</p>
            <ul class="recovery-codes">
                {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
            </ul>
        </section>
    }
}
