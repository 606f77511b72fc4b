//! Operators' own accounts over HTTP, as the dashboard calls them:
//! sessions listed and ended, two-factor sign-in, and lock-outs lifted.

use reqwest::{Client, StatusCode};
use serde_json::Value;
use switchboard::{
    domain::OperatorRole,
    server::auth::two_factor_gate::{OPEN_PREFIXES, SET_UP_PAGE},
    ui::{
        apps_page::ListApps,
        reset_password_page::SetPasswordWithLink,
        second_factor_page::ProveSecondFactor,
        session::SignOut,
        sessions_table::{EndOtherSessions, EndSession, ListOwnSessions, ListTeamSessions},
        sign_in_page::SignIn,
        team_page::{CreateResetLink, LiftLockOut, ListOperators, ResetTwoFactor, SetTwoFactorPolicy},
        two_factor_page::{BeginTotpSetup, ConfirmTotpSetup, DisableTwoFactor, TwoFactorStatus},
    },
};
use totp_rs::{Builder, Secret};

use crate::common::{Backend, PASSWORD, TestApp, error_of, new_browser, path_of, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    an_operator_sees_their_sessions_and_signs_out_one_or_all_others,
    an_admin_sees_and_ends_anyones_sessions_and_no_one_else_may,
    two_factor_sign_in_asks_for_a_code_that_works_once,
    a_recovery_code_signs_in_once_and_a_lost_second_factor_is_reset_by_an_admin,
    wrong_codes_are_throttled_apart_from_the_password,
    two_factor_required_for_a_role_refuses_a_password_only_sign_in_on_every_page_and_server_function,
    only_an_owner_sets_who_must_use_two_factor,
    a_password_link_does_not_skip_the_second_factor,
    an_admin_lifts_a_lock_out_and_a_viewer_may_not,
);

async fn ok(app: &TestApp, browser: &Client, path: &str, form: &[(&str, &str)]) -> Value {
    let res = app.server_fn(browser, path, form).await;
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(status.is_success(), "{path} answered {status}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn refused(app: &TestApp, browser: &Client, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    error_of(app.server_fn(browser, path, form).await).await
}

async fn signed_in(app: &TestApp, browser: &Client) -> bool {
    app.server_fn(browser, path_of::<ListApps>(), &[]).await.status().is_success()
}

/// The code an authenticator app with this base32 secret shows `ahead`
/// time steps from now.
fn code(secret: &str, ahead: u64) -> String {
    let secret = Secret::try_from_base32(secret).unwrap();
    let totp = Builder::new().with_secret(secret).build().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    totp.generate(now + 30 * ahead).to_string()
}

/// Sets up two-factor for the operator signed in on `browser`: answers the
/// secret and the recovery codes.
async fn turn_on_two_factor(app: &TestApp, browser: &Client) -> (String, Vec<String>) {
    let (secret, codes, _) = turn_on_two_factor_with(app, browser).await;
    (secret, codes)
}

/// As `turn_on_two_factor`, and the code that confirmed the set-up.
async fn turn_on_two_factor_with(app: &TestApp, browser: &Client) -> (String, Vec<String>, String) {
    let setup = ok(app, browser, path_of::<BeginTotpSetup>(), &[]).await;
    let secret = setup["secret"].as_str().unwrap().to_owned();
    assert!(setup["address"].as_str().unwrap().starts_with("otpauth://totp/"), "{setup}");
    assert!(setup["qrSvg"].as_str().unwrap().contains("<svg"), "a QR code to scan");
    let status = ok(app, browser, path_of::<TwoFactorStatus>(), &[]).await;
    assert_eq!(status["settingUp"], setup, "the secret being set up is shown again, until a code turns it on");
    let confirming = code(&secret, 0);
    let codes = ok(app, browser, path_of::<ConfirmTotpSetup>(), &[("code", &confirming)]).await;
    let codes: Vec<String> = serde_json::from_value(codes).unwrap();
    let status = ok(app, browser, path_of::<TwoFactorStatus>(), &[]).await;
    assert!(status.get("settingUp").is_none(), "nothing is being set up once it is on: {status}");
    (secret, codes, confirming)
}

/// Signs in with the password alone: answers the browser and where sign-in
/// sent it.
async fn password_step(app: &TestApp, email: &str) -> (Client, String) {
    let browser = new_browser();
    let res = browser
        .post(app.url(path_of::<SignIn>()))
        .header("accept", "text/html")
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let to = res.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    assert!(res.status().is_redirection() || res.status().is_success(), "{}", res.text().await.unwrap());
    (browser, to)
}

async fn an_operator_sees_their_sessions_and_signs_out_one_or_all_others(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("dev@example.com", OperatorRole::Developer).await;
    let (laptop, phone, tablet) = (
        app.sign_in("dev@example.com").await,
        app.sign_in("dev@example.com").await,
        app.sign_in("dev@example.com").await,
    );
    let sessions = ok(&app, &laptop, path_of::<ListOwnSessions>(), &[]).await;
    let sessions = sessions.as_array().unwrap();
    assert_eq!(sessions.len(), 3);
    assert_eq!(sessions.iter().filter(|s| s["thisOne"] == true).count(), 1, "this browser is marked");
    assert!(sessions.iter().all(|s| s["device"].is_string() && s["lastSeenAt"].is_i64() && s["createdAt"].is_i64()));

    let phone_sessions = ok(&app, &phone, path_of::<ListOwnSessions>(), &[]).await;
    let phone_id = phone_sessions.as_array().unwrap().iter().find(|s| s["thisOne"] == true).unwrap()["id"].to_string();
    ok(&app, &laptop, path_of::<EndSession>(), &[("id", &phone_id)]).await;
    assert!(!signed_in(&app, &phone).await, "the phone is signed out");
    assert!(signed_in(&app, &tablet).await && signed_in(&app, &laptop).await);
    let (status, code) = refused(&app, &laptop, path_of::<EndSession>(), &[("id", &phone_id)]).await;
    assert_eq!((status, code.as_str()), (StatusCode::NOT_FOUND, "ERR_SESSION_NOT_FOUND"), "ended once");

    ok(&app, &laptop, path_of::<EndOtherSessions>(), &[]).await;
    assert!(!signed_in(&app, &tablet).await, "all others are signed out");
    assert!(signed_in(&app, &laptop).await, "this one carries on");
    ok(&app, &laptop, path_of::<SignOut>(), &[]).await;
    assert!(!signed_in(&app, &laptop).await);
    assert_eq!(app.count("operator_sessions").await, 0, "signing out ends the session's row");
}

async fn an_admin_sees_and_ends_anyones_sessions_and_no_one_else_may(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.browser_signed_in_as("admin@example.com", OperatorRole::Admin).await;
    let developer = app.browser_signed_in_as("dev@example.com", OperatorRole::Developer).await;
    let all = ok(&app, &admin, path_of::<ListTeamSessions>(), &[]).await;
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 2);
    let of = |email: &str| all.iter().find(|s| s["operatorEmail"] == email).unwrap()["id"].to_string();
    let (admin_session, dev_session) = (of("admin@example.com"), of("dev@example.com"));

    let (status, code) = refused(&app, &developer, path_of::<ListTeamSessions>(), &[]).await;
    assert_eq!((status, code.as_str()), (StatusCode::FORBIDDEN, "ERR_FORBIDDEN"));
    let (status, _) = refused(&app, &developer, path_of::<EndSession>(), &[("id", &admin_session)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a developer may not end an admin's session");
    assert!(signed_in(&app, &admin).await);

    ok(&app, &admin, path_of::<EndSession>(), &[("id", &dev_session)]).await;
    assert!(!signed_in(&app, &developer).await);
    let actions: Vec<String> = app.audit_rows().await.into_iter().map(|row| row.1).collect();
    assert!(actions.contains(&"operator.session_end".to_owned()), "{actions:?}");
}

async fn two_factor_sign_in_asks_for_a_code_that_works_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let laptop = app.browser_signed_in_as("dev@example.com", OperatorRole::Developer).await;
    let phone = app.sign_in("dev@example.com").await;
    let (status, code_) = refused(&app, &laptop, path_of::<ConfirmTotpSetup>(), &[("code", "123456")]).await;
    assert_eq!((status, code_.as_str()), (StatusCode::BAD_REQUEST, "ERR_NO_TWO_FACTOR_SETUP"), "set-up comes first");
    let (secret, recovery, used_at_set_up) = turn_on_two_factor_with(&app, &laptop).await;
    assert_eq!(recovery.len(), 10);
    assert!(signed_in(&app, &laptop).await, "the session that turned it on carries on");
    assert!(!signed_in(&app, &phone).await, "other sessions, signed in without it, end");
    let status = ok(&app, &laptop, path_of::<TwoFactorStatus>(), &[]).await;
    assert_eq!((status["enabled"].as_bool(), status["recoveryCodesLeft"].as_i64()), (Some(true), Some(10)));

    let (browser, to) = password_step(&app, "dev@example.com").await;
    assert_eq!(to, "/sign-in/code?next=%2Fapps", "the password alone signs no one in");
    assert!(!signed_in(&app, &browser).await);
    let (status, code_) = refused(&app, &browser, path_of::<ProveSecondFactor>(), &[("code", "12345")]).await;
    assert_eq!((status, code_.as_str()), (StatusCode::BAD_REQUEST, "ERR_CODE_INVALID"));
    // The very code, even when the clock has moved to the next time step since.
    let (_, code_) = refused(&app, &browser, path_of::<ProveSecondFactor>(), &[("code", &used_at_set_up)]).await;
    assert_eq!(code_, "ERR_CODE_WRONG", "the code that turned it on is used up");
    let next = code(&secret, 1);
    ok(&app, &browser, path_of::<ProveSecondFactor>(), &[("code", &next)]).await;
    assert!(signed_in(&app, &browser).await);

    let (other, _) = password_step(&app, "dev@example.com").await;
    let (_, code_) = refused(&app, &other, path_of::<ProveSecondFactor>(), &[("code", &next)]).await;
    assert_eq!(code_, "ERR_CODE_WRONG", "a code works once");
    assert!(!signed_in(&app, &other).await);
    let sessions = ok(&app, &browser, path_of::<ListOwnSessions>(), &[]).await;
    assert!(sessions.as_array().unwrap().iter().all(|s| s["twoFactor"] == true), "{sessions}");
}

async fn a_recovery_code_signs_in_once_and_a_lost_second_factor_is_reset_by_an_admin(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.browser_signed_in_as("admin@example.com", OperatorRole::Admin).await;
    let dev = app.browser_signed_in_as("dev@example.com", OperatorRole::Developer).await;
    let (_, recovery) = turn_on_two_factor(&app, &dev).await;
    let (browser, _) = password_step(&app, "dev@example.com").await;
    let typed = recovery[3].to_uppercase().replace('-', " ");
    ok(&app, &browser, path_of::<ProveSecondFactor>(), &[("code", &typed)]).await;
    assert!(signed_in(&app, &browser).await, "a recovery code, however typed, stands in for the app");
    let (again, _) = password_step(&app, "dev@example.com").await;
    let (_, code_) = refused(&app, &again, path_of::<ProveSecondFactor>(), &[("code", &recovery[3])]).await;
    assert_eq!(code_, "ERR_CODE_WRONG", "a recovery code works once");
    let left = ok(&app, &browser, path_of::<TwoFactorStatus>(), &[]).await["recoveryCodesLeft"].as_i64();
    assert_eq!(left, Some(9));

    let team = ok(&app, &admin, path_of::<ListOperators>(), &[]).await;
    let dev_id = team["operators"].as_array().unwrap().iter().find(|o| o["email"] == "dev@example.com").unwrap()["id"]
        .to_string();
    assert!(team["sign_in"]["two_factor"].as_array().unwrap().iter().any(|id| *id == dev_id.parse::<i64>().unwrap()));
    ok(&app, &admin, path_of::<ResetTwoFactor>(), &[("id", &dev_id), ("confirm", "yes")]).await;
    assert!(!signed_in(&app, &browser).await, "their sessions end");
    let (fresh, to) = password_step(&app, "dev@example.com").await;
    assert_eq!(to, "/apps", "the password alone signs them in again");
    assert!(signed_in(&app, &fresh).await);
}

async fn wrong_codes_are_throttled_apart_from_the_password(backend: Backend) {
    let app = spawn_app(backend).await;
    let dev = app.browser_signed_in_as("dev@example.com", OperatorRole::Developer).await;
    let (secret, _) = turn_on_two_factor(&app, &dev).await;
    let wrong = if code(&secret, 1) == "000000" { "111111" } else { "000000" };
    let mut last = String::new();
    for _ in 0..6 {
        // The right password each time does not forgive the wrong codes.
        let (browser, _) = password_step(&app, "dev@example.com").await;
        last = refused(&app, &browser, path_of::<ProveSecondFactor>(), &[("code", wrong)]).await.1;
    }
    assert_eq!(last, "ERR_TOO_MANY_ATTEMPTS");
    let (browser, _) = password_step(&app, "dev@example.com").await;
    let (status, code_) = refused(&app, &browser, path_of::<ProveSecondFactor>(), &[("code", &code(&secret, 1))]).await;
    assert_eq!(
        (status, code_.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "ERR_TOO_MANY_ATTEMPTS"),
        "even the right code waits"
    );
}

async fn two_factor_required_for_a_role_refuses_a_password_only_sign_in_on_every_page_and_server_function(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let owner = app.browser_signed_in_as("owner@example.com", OperatorRole::Owner).await;
    let admin = app.browser_signed_in_as("admin@example.com", OperatorRole::Admin).await;
    let app_id = app.create_app(switchboard::domain::Environment::Development).await;
    ok(&app, &owner, path_of::<SetTwoFactorPolicy>(), &[("admin", "on")]).await;
    let developer_role = app.browser_signed_in_as("dev@example.com", OperatorRole::Developer).await;
    assert!(signed_in(&app, &developer_role).await, "other roles are not held to it");

    // Signed in before the rule, and signed in after it, with a password alone.
    let (fresh, _) = password_step(&app, "admin@example.com").await;
    for browser in [&admin, &fresh] {
        let pages = ["/apps", "/team", "/account", "/team/sessions", "/team/activity"];
        let app_pages = ["", "/users", "/groups", "/messages", "/overview", "/playground", "/settings"];
        let pages = pages.iter().map(|p| p.to_string()).chain(app_pages.iter().map(|p| format!("/apps/{app_id}{p}")));
        for page in pages {
            let res = browser.get(app.url(&page)).send().await.unwrap();
            let to = res.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
            assert_eq!((res.status().is_redirection(), to.as_deref()), (true, Some(SET_UP_PAGE)), "{page}");
        }
        let set_up = browser.get(app.url(SET_UP_PAGE)).send().await.unwrap();
        assert_eq!(set_up.status(), StatusCode::OK);
        let mut gated = 0;
        for (path, _) in leptos::server_fn::axum::server_fn_paths() {
            if OPEN_PREFIXES.iter().any(|prefix| path.starts_with(prefix)) {
                continue;
            }
            let (status, code_) = refused(&app, browser, path, &[]).await;
            assert_eq!((status, code_.as_str()), (StatusCode::FORBIDDEN, "ERR_TWO_FACTOR_REQUIRED"), "{path}");
            gated += 1;
        }
        assert!(gated > 50, "every server function is tried: {gated}");
        let csv = browser.get(app.url(&format!("/apps/{app_id}/users.csv"))).send().await.unwrap();
        assert_eq!(error_of(csv).await, (StatusCode::FORBIDDEN, "ERR_TWO_FACTOR_REQUIRED".into()));
    }
    let status = ok(&app, &fresh, path_of::<TwoFactorStatus>(), &[]).await;
    assert_eq!((status["enabled"].as_bool(), status["required"].as_bool()), (Some(false), Some(true)));
    turn_on_two_factor(&app, &fresh).await;
    assert!(signed_in(&app, &fresh).await, "set up, the session goes on");
    assert!(!signed_in(&app, &admin).await, "the older password-only session ended");
    let (_, code_) = refused(&app, &fresh, path_of::<DisableTwoFactor>(), &[("code", "123456")]).await;
    assert_eq!(code_, "ERR_TWO_FACTOR_REQUIRED_FOR_ROLE", "it stays on while the role requires it");
}

async fn only_an_owner_sets_who_must_use_two_factor(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.browser_signed_in_as("admin@example.com", OperatorRole::Admin).await;
    let (status, code_) = refused(&app, &admin, path_of::<SetTwoFactorPolicy>(), &[("admin", "on")]).await;
    assert_eq!((status, code_.as_str()), (StatusCode::FORBIDDEN, "ERR_FORBIDDEN"));
    assert_eq!(app.count("two_factor_roles").await, 0);
    let owner = app.browser_signed_in_as("owner@example.com", OperatorRole::Owner).await;
    ok(&app, &owner, path_of::<SetTwoFactorPolicy>(), &[("admin", "on"), ("support", "on")]).await;
    let team = ok(&app, &owner, path_of::<ListOperators>(), &[]).await;
    assert_eq!(team["sign_in"]["policy"]["roles"], serde_json::json!(["admin", "support"]));
    ok(&app, &owner, path_of::<SetTwoFactorPolicy>(), &[]).await;
    assert_eq!(app.count("two_factor_roles").await, 0, "nothing ticked, nothing required");
}

async fn a_password_link_does_not_skip_the_second_factor(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.browser_signed_in_as("admin@example.com", OperatorRole::Admin).await;
    let dev = app.browser_signed_in_as("dev@example.com", OperatorRole::Developer).await;
    let (secret, _) = turn_on_two_factor(&app, &dev).await;
    let team = ok(&app, &admin, path_of::<ListOperators>(), &[]).await;
    let dev_id = team["operators"].as_array().unwrap().iter().find(|o| o["email"] == "dev@example.com").unwrap()["id"]
        .to_string();
    let link = ok(&app, &admin, path_of::<CreateResetLink>(), &[("id", &dev_id)]).await;
    let token = link.as_str().unwrap().split("token=").nth(1).unwrap().to_owned();
    let browser = new_browser();
    let form = [("token", token.as_str()), ("password", "another long enough password")];
    let res = browser.post(app.url(path_of::<SetPasswordWithLink>())).header("accept", "text/html").form(&form).send();
    let res = res.await.unwrap();
    assert_eq!(res.headers().get("location").unwrap(), "/sign-in/code");
    assert!(!signed_in(&app, &browser).await, "the link stands in for the password only");
    ok(&app, &browser, path_of::<ProveSecondFactor>(), &[("code", &code(&secret, 1))]).await;
    assert!(signed_in(&app, &browser).await);
}

async fn an_admin_lifts_a_lock_out_and_a_viewer_may_not(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.browser_signed_in_as("admin@example.com", OperatorRole::Admin).await;
    let viewer = app.browser_signed_in_as("viewer@example.com", OperatorRole::Viewer).await;
    let dev_id = app.create_operator("dev@example.com", OperatorRole::Developer).await.to_string();
    for _ in 0..6 {
        let wrong = [("email", "dev@example.com"), ("password", "guess guess guess")];
        app.server_fn(&new_browser(), path_of::<SignIn>(), &wrong).await;
    }
    let right = [("email", "dev@example.com"), ("password", PASSWORD)];
    let res = app.server_fn(&new_browser(), path_of::<SignIn>(), &right).await;
    assert_eq!(error_of(res).await.1, "ERR_TOO_MANY_ATTEMPTS", "the account is locked out");
    let team = ok(&app, &admin, path_of::<ListOperators>(), &[]).await;
    assert_eq!(
        team["sign_in"]["locked_out"].as_array().unwrap().iter().map(Value::to_string).collect::<Vec<_>>(),
        std::slice::from_ref(&dev_id)
    );

    let (status, code_) = refused(&app, &viewer, path_of::<LiftLockOut>(), &[("id", &dev_id)]).await;
    assert_eq!((status, code_.as_str()), (StatusCode::FORBIDDEN, "ERR_FORBIDDEN"));
    ok(&app, &admin, path_of::<LiftLockOut>(), &[("id", &dev_id)]).await;
    let res = app.server_fn(&new_browser(), path_of::<SignIn>(), &right).await;
    assert!(res.status().is_success(), "signed in once the lock-out is lifted");
    let actions: Vec<String> = app.audit_rows().await.into_iter().map(|row| row.1).collect();
    assert!(actions.contains(&"operator.unlock".to_owned()), "{actions:?}");
}
