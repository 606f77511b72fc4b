use leptos::prelude::*;

use leptos::server_fn::ServerFn;

use super::{
    error_notice::{ActionError, ErrorNotice},
    outcome::use_outcome,
};
use crate::domain::{ApiError, Outcome, TotpSetup, TwoFactorView};

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
    let codes = two_factor::confirm_setup(&state.db, &caller, &factor, &own_key().await?).await?;
    crate::ui::outcome::keep(crate::domain::Outcome::RecoveryCodes(codes.clone())).await?;
    Ok(codes)
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
/// The forms that set it up post and come back: the secret being set up
/// is the server's to show until a code turns it on, and the recovery
/// codes are shown once, on the page that comes back.
#[component]
pub fn TwoFactorPage() -> impl IntoView {
    let disable = ServerAction::<DisableTwoFactor>::new();
    let status = Resource::new(|| (), |_| two_factor_status());
    let outcome = use_outcome();
    view! {
        <main class="narrow">
            <h1>"Two-factor sign-in"</h1>
            <p>
                "Sign-in asks for a code from an authenticator app on your phone (any app for TOTP codes) "
                "after your password."
            </p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let codes = match outcome.await {
                        Some(Outcome::RecoveryCodes(codes)) => Some(codes),
                        _ => None,
                    };
                    match status.await {
                        Ok(status) if status.enabled => view! { <TwoFactorOn status codes disable /> }.into_any(),
                        Ok(status) => view! { <TwoFactorSetUp status /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn TwoFactorOn(
    status: TwoFactorView,
    codes: Option<Vec<String>>,
    disable: ServerAction<DisableTwoFactor>,
) -> impl IntoView {
    view! {
        {codes.map(|codes| view! { <RecoveryCodes codes /> })}
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
}

#[component]
fn TwoFactorSetUp(status: TwoFactorView) -> impl IntoView {
    let begin = ServerAction::<BeginTotpSetup>::new();
    let confirm = ServerAction::<ConfirmTotpSetup>::new();
    let again = status.setting_up.is_some();
    view! {
        {status.required.then(|| view! {
            <p class="notice" role="alert">"Your role must sign in with two-factor: set it up to go on."</p>
        })}
        <form method="post" action=BeginTotpSetup::url() class="inline">
            <button type="submit" class:secondary=again>
                {if again { "Start again with a new key" } else { "Set up an authenticator app" }}
            </button>
        </form>
        <ActionError value=begin.value() />
        {status.setting_up.map(|setup| view! {
            <section class="card form">
                <p>"Scan this code with the app, or type the key in."</p>
                <div class="qr" inner_html=setup.qr_svg></div>
                <p>"Key: " <code class="totp-secret">{setup.secret}</code></p>
                <form method="post" action=ConfirmTotpSetup::url() class="form">
                    <label for="code">"The 6-digit code the app shows"</label>
                    <input id="code" name="code" autocomplete="one-time-code" inputmode="numeric" required />
                    <ActionError value=confirm.value() />
                    <button type="submit">"Turn on"</button>
                </form>
            </section>
        })}
    }
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
