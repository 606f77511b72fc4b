//! The dashboard's server functions, called over HTTP as the dashboard
//! calls them: first run, sign-in, roles, sessions and the audit log.

use reqwest::StatusCode;
use serde_json::Value;
use switchboard::{
    domain::{AppId, Email, Environment, KeyScope, OperatorRole, Password},
    server::{
        access::password::PasswordChecks,
        auth::{Caller, session::SessionBackend},
        service::{apps, sign_in},
    },
    ui::{
        account_page::ChangePassword,
        activity_page::LoadAuditPage,
        app_settings_page::{DeleteApp, RenameApp},
        apps_page::{CreateApp, ListApps},
        keys_page::{CreateKey, ListKeys, RevokeKey},
        reset_password_page::SetPasswordWithLink,
        session::{CurrentVisitor, SignOut},
        setup_page::CreateOwner,
        sign_in_page::SignIn,
        team_page::{AddOperator, ChangeOperatorRole, CreateResetLink, SetOperatorDisabled},
    },
};

use tower_sessions::{
    SessionStore,
    session::{Id, Record},
};

use crate::common::{Backend, PASSWORD, error_of, new_browser, path_of, spawn_app, spawn_on};
use crate::on_both_backends;

on_both_backends!(
    the_first_visitor_creates_the_owner_and_nobody_after_them,
    wrong_password_and_unknown_email_answer_alike,
    repeated_failures_for_one_account_are_throttled,
    repeated_failures_from_one_address_are_throttled_whatever_the_account,
    a_signed_out_visitor_can_change_nothing,
    a_viewer_is_refused_every_change_made_directly,
    a_developer_manages_development_apps_only,
    disabling_an_operator_ends_their_session_at_once,
    a_password_reset_signs_the_operator_out_everywhere_and_lifts_their_lock_out,
    changing_your_password_signs_out_your_other_sessions_only,
    a_password_link_works_once_and_signs_its_operator_in,
    an_invited_operator_sets_their_own_password_with_the_link,
    signing_in_returns_to_the_page_asked_for_on_this_site_only,
    an_app_page_shows_its_operator_and_app_and_says_which_is_missing,
    a_session_works_on_every_server_process_and_ends_on_sign_out,
    the_session_cookie_is_http_only_and_same_site_lax,
    a_session_in_use_lasts_a_week_from_its_last_day_of_use,
    a_session_past_its_expiry_signs_no_one_in,
    dashboard_changes_are_audited_with_the_operator_and_address,
    only_an_owner_makes_owners,
    arguments_that_do_not_decode_get_bad_request,
    team_changes_are_listed_as_team_activity,
    activity_is_filtered_by_who_what_object_and_day_and_reads_as_names_and_links,
    a_key_made_by_a_plain_form_is_shown_once_on_the_page_it_returns_to,
);

async fn json_of(res: reqwest::Response) -> Value {
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap()
}

async fn the_first_visitor_creates_the_owner_and_nobody_after_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = new_browser();
    let visitor = json_of(app.server_fn(&browser, path_of::<CurrentVisitor>(), &[]).await).await;
    assert_eq!(visitor, "NeedsSetup");

    let weak = [("email", "ana@example.com"), ("name", "Ana"), ("password", "short")];
    let res = app.server_fn(&browser, path_of::<CreateOwner>(), &weak).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_WEAK_PASSWORD".into()));
    assert_eq!(app.count("operators").await, 0);

    let owner = [("email", "Ana@Example.com"), ("name", "Ana"), ("password", PASSWORD)];
    json_of(app.server_fn(&browser, path_of::<CreateOwner>(), &owner).await).await;
    let visitor = json_of(app.server_fn(&browser, path_of::<CurrentVisitor>(), &[]).await).await;
    assert_eq!(visitor["SignedIn"]["operator"]["role"], "owner");
    assert_eq!(visitor["SignedIn"]["operator"]["email"], "ana@example.com");

    let intruder = [("email", "eve@example.com"), ("name", "Eve"), ("password", PASSWORD)];
    let res = app.server_fn(&new_browser(), path_of::<CreateOwner>(), &intruder).await;
    assert_eq!(error_of(res).await, (StatusCode::CONFLICT, "ERR_ALREADY_SET_UP".into()));
    assert_eq!(app.count("operators").await, 1);
    let visitor = json_of(app.server_fn(&new_browser(), path_of::<CurrentVisitor>(), &[]).await).await;
    assert_eq!(visitor, "SignedOut");
}

async fn wrong_password_and_unknown_email_answer_alike(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("ana@example.com", OperatorRole::Owner).await;
    let mut answers = Vec::new();
    for (email, password) in [("ana@example.com", "not the password"), ("nobody@example.com", PASSWORD)] {
        let res = app.server_fn(&new_browser(), path_of::<SignIn>(), &[("email", email), ("password", password)]).await;
        let status = res.status();
        answers.push((status, res.text().await.unwrap()));
    }
    assert_eq!(answers[0].0, StatusCode::UNAUTHORIZED);
    assert_eq!(answers[0], answers[1], "the two answers are the same, byte for byte");
    assert!(answers[0].1.contains("ERR_WRONG_CREDENTIALS"));
}

async fn repeated_failures_for_one_account_are_throttled(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("ana@example.com", OperatorRole::Owner).await;
    for _ in 0..5 {
        let res = app
            .server_fn(
                &new_browser(),
                path_of::<SignIn>(),
                &[("email", "ana@example.com"), ("password", "guess guess guess")],
            )
            .await;
        assert_eq!(error_of(res).await.1, "ERR_WRONG_CREDENTIALS");
    }
    let res = app
        .server_fn(&new_browser(), path_of::<SignIn>(), &[("email", "ana@example.com"), ("password", PASSWORD)])
        .await;
    assert_eq!(
        error_of(res).await,
        (StatusCode::TOO_MANY_REQUESTS, "ERR_TOO_MANY_ATTEMPTS".into()),
        "even the right password waits"
    );
    let other = app.browser_signed_in_as("bo@example.com", OperatorRole::Viewer).await;
    json_of(app.server_fn(&other, path_of::<ListApps>(), &[]).await).await;
}

async fn a_signed_out_visitor_can_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("ana@example.com", OperatorRole::Owner).await;
    let form = [("name", "Chat"), ("environment", "development"), ("region", "us")];
    let res = app.server_fn(&new_browser(), path_of::<CreateApp>(), &form).await;
    assert_eq!(error_of(res).await, (StatusCode::UNAUTHORIZED, "ERR_NOT_SIGNED_IN".into()));
    assert_eq!(app.count("apps").await, 0);
}

async fn a_viewer_is_refused_every_change_made_directly(backend: Backend) {
    let app = spawn_app(backend).await;
    let app_id = app.create_app(Environment::Development).await;
    let (key_id, _) = app.create_key(&app_id, KeyScope::FullAccess).await;
    let owner_id = app.create_operator("owner@example.com", OperatorRole::Owner).await.to_string();
    let viewer = app.browser_signed_in_as("viewer@example.com", OperatorRole::Viewer).await;
    let key_id = key_id.to_string();
    let audit_before = app.count("audit_log").await;
    let calls: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (path_of::<CreateApp>(), vec![("name", "Chat"), ("environment", "development"), ("region", "us")]),
        (path_of::<RenameApp>(), vec![("app_id", &app_id), ("name", "Renamed")]),
        (path_of::<DeleteApp>(), vec![("app_id", &app_id), ("typed_name", "Test app")]),
        (path_of::<CreateKey>(), vec![("app_id", &app_id), ("name", "k"), ("scope", "fullAccess")]),
        (path_of::<RevokeKey>(), vec![("app_id", &app_id), ("id", &key_id), ("confirm", "yes")]),
        (path_of::<AddOperator>(), vec![("email", "x@example.com"), ("name", "X"), ("role", "admin")]),
        (path_of::<ChangeOperatorRole>(), vec![("id", &owner_id), ("role", "viewer")]),
        (path_of::<SetOperatorDisabled>(), vec![("id", &owner_id), ("disabled", "true"), ("confirm", "yes")]),
    ];
    for (path, form) in calls {
        let res = app.server_fn(&viewer, path, &form).await;
        assert_eq!(error_of(res).await, (StatusCode::FORBIDDEN, "ERR_FORBIDDEN".into()), "{path}");
    }
    assert_eq!(app.count("audit_log").await, audit_before, "nothing changed");
    assert_eq!(app.count("apps").await, 1);
    let (_, keys, powers) = serde_json::from_value::<(Value, Value, Value)>(
        json_of(app.server_fn(&viewer, path_of::<ListKeys>(), &[("app_id", &app_id)]).await).await,
    )
    .unwrap();
    assert!(keys[0]["revokedAt"].is_null(), "viewers read, and the key is still active");
    assert_eq!(powers["manage_keys"], false, "and are offered no key controls");
}

async fn a_developer_manages_development_apps_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let developer = app.browser_signed_in_as("dev@example.com", OperatorRole::Developer).await;
    let dev_app = json_of(
        app.server_fn(
            &developer,
            path_of::<CreateApp>(),
            &[("name", "Chat dev"), ("environment", "development"), ("region", "eu")],
        )
        .await,
    )
    .await;
    let app_id = dev_app["appId"].as_str().unwrap();
    assert_eq!(app_id.len(), 16);
    let created = json_of(
        app.server_fn(
            &developer,
            path_of::<CreateKey>(),
            &[("app_id", app_id), ("name", "server"), ("scope", "fullAccess")],
        )
        .await,
    )
    .await;
    assert_eq!(created["apiKey"].as_str().unwrap().len(), 40);
    let listed = app.server_fn(&developer, path_of::<ListKeys>(), &[("app_id", app_id)]).await.text().await.unwrap();
    assert!(!listed.contains(created["apiKey"].as_str().unwrap()), "the dashboard list never holds the key");

    let res = app
        .server_fn(
            &developer,
            path_of::<CreateApp>(),
            &[("name", "Chat"), ("environment", "production"), ("region", "eu")],
        )
        .await;
    assert_eq!(error_of(res).await, (StatusCode::FORBIDDEN, "ERR_FORBIDDEN".into()));
    let prod = app.create_app(Environment::Production).await;
    let res = app
        .server_fn(&developer, path_of::<CreateKey>(), &[("app_id", &prod), ("name", "k"), ("scope", "fullAccess")])
        .await;
    assert_eq!(error_of(res).await, (StatusCode::FORBIDDEN, "ERR_FORBIDDEN".into()));
}

async fn disabling_an_operator_ends_their_session_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.browser_signed_in_as("admin@example.com", OperatorRole::Admin).await;
    let dev_id = app.create_operator("dev@example.com", OperatorRole::Developer).await.to_string();
    let developer = app.sign_in("dev@example.com").await;
    json_of(app.server_fn(&developer, path_of::<ListApps>(), &[]).await).await;

    json_of(
        app.server_fn(
            &admin,
            path_of::<SetOperatorDisabled>(),
            &[("id", &dev_id), ("disabled", "true"), ("confirm", "yes")],
        )
        .await,
    )
    .await;
    let res = app.server_fn(&developer, path_of::<ListApps>(), &[]).await;
    assert_eq!(error_of(res).await, (StatusCode::UNAUTHORIZED, "ERR_NOT_SIGNED_IN".into()));
    let res = app
        .server_fn(&new_browser(), path_of::<SignIn>(), &[("email", "dev@example.com"), ("password", PASSWORD)])
        .await;
    assert_eq!(error_of(res).await.1, "ERR_WRONG_CREDENTIALS", "a disabled operator cannot sign in");

    json_of(app.server_fn(&admin, path_of::<SetOperatorDisabled>(), &[("id", &dev_id), ("disabled", "false")]).await)
        .await;
    app.sign_in("dev@example.com").await;
}

async fn a_password_reset_signs_the_operator_out_everywhere_and_lifts_their_lock_out(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("dev@example.com", OperatorRole::Developer).await;
    let (laptop, phone) = (app.sign_in("dev@example.com").await, app.sign_in("dev@example.com").await);
    json_of(app.server_fn(&laptop, path_of::<ListApps>(), &[]).await).await;
    for _ in 0..6 {
        let wrong = [("email", "dev@example.com"), ("password", "guess guess guess")];
        app.server_fn(&new_browser(), path_of::<SignIn>(), &wrong).await;
    }
    let right = [("email", "dev@example.com"), ("password", PASSWORD)];
    let res = app.server_fn(&new_browser(), path_of::<SignIn>(), &right).await;
    assert_eq!(error_of(res).await.1, "ERR_TOO_MANY_ATTEMPTS", "the account is locked out");

    let new_password = "another long enough password";
    let email = Email::parse("dev@example.com").unwrap();
    let password = Password::parse(new_password).unwrap();
    sign_in::reset_password(&app.db, &PasswordChecks::new(1), &Caller::cli(), &email, password).await.unwrap();
    for browser in [&laptop, &phone] {
        let res = app.server_fn(browser, path_of::<ListApps>(), &[]).await;
        assert_eq!(error_of(res).await, (StatusCode::UNAUTHORIZED, "ERR_NOT_SIGNED_IN".into()));
    }
    let res = app.server_fn(&new_browser(), path_of::<SignIn>(), &right).await;
    assert_eq!(error_of(res).await.1, "ERR_WRONG_CREDENTIALS", "the old password is gone");
    let browser = new_browser();
    let again = [("email", "dev@example.com"), ("password", new_password)];
    json_of(app.server_fn(&browser, path_of::<SignIn>(), &again).await).await;
    json_of(app.server_fn(&browser, path_of::<ListApps>(), &[]).await).await;
    let actions: Vec<String> = app.audit_rows().await.into_iter().map(|row| row.1).collect();
    assert!(actions.contains(&"operator.password_reset".to_owned()), "{actions:?}");
}

async fn changing_your_password_signs_out_your_other_sessions_only(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("dev@example.com", OperatorRole::Developer).await;
    let (laptop, phone) = (app.sign_in("dev@example.com").await, app.sign_in("dev@example.com").await);
    let new_password = "another long enough password";
    let wrong = [("current", "not my password at all"), ("new", new_password)];
    let res = app.server_fn(&laptop, path_of::<ChangePassword>(), &wrong).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_WRONG_PASSWORD".into()));
    let weak = [("current", PASSWORD), ("new", "short")];
    let res = app.server_fn(&laptop, path_of::<ChangePassword>(), &weak).await;
    assert_eq!(error_of(res).await.0, StatusCode::BAD_REQUEST, "a weak new password is refused");
    json_of(app.server_fn(&phone, path_of::<ListApps>(), &[]).await).await;

    let right = [("current", PASSWORD), ("new", new_password)];
    json_of(app.server_fn(&laptop, path_of::<ChangePassword>(), &right).await).await;
    json_of(app.server_fn(&laptop, path_of::<ListApps>(), &[]).await).await;
    let res = app.server_fn(&phone, path_of::<ListApps>(), &[]).await;
    assert_eq!(error_of(res).await, (StatusCode::UNAUTHORIZED, "ERR_NOT_SIGNED_IN".into()));
    let old = [("email", "dev@example.com"), ("password", PASSWORD)];
    let res = app.server_fn(&new_browser(), path_of::<SignIn>(), &old).await;
    assert_eq!(error_of(res).await.1, "ERR_WRONG_CREDENTIALS", "the old password is gone");
    let again = [("email", "dev@example.com"), ("password", new_password)];
    json_of(app.server_fn(&new_browser(), path_of::<SignIn>(), &again).await).await;
    let res = app.server_fn(&new_browser(), path_of::<ChangePassword>(), &right).await;
    assert_eq!(error_of(res).await, (StatusCode::UNAUTHORIZED, "ERR_NOT_SIGNED_IN".into()));
}

async fn a_password_link_works_once_and_signs_its_operator_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.browser_signed_in_as("admin@example.com", OperatorRole::Admin).await;
    let viewer = app.browser_signed_in_as("viewer@example.com", OperatorRole::Viewer).await;
    let owner_id = app.create_operator("owner@example.com", OperatorRole::Owner).await.to_string();
    let dev_id = app.create_operator("dev@example.com", OperatorRole::Developer).await.to_string();
    let old_session = app.sign_in("dev@example.com").await;

    let res = app.server_fn(&viewer, path_of::<CreateResetLink>(), &[("id", &dev_id)]).await;
    assert_eq!(error_of(res).await.0, StatusCode::FORBIDDEN, "a viewer makes no links");
    let res = app.server_fn(&admin, path_of::<CreateResetLink>(), &[("id", &owner_id)]).await;
    assert_eq!(error_of(res).await.0, StatusCode::FORBIDDEN, "an admin makes none for an owner");
    let link = json_of(app.server_fn(&admin, path_of::<CreateResetLink>(), &[("id", &dev_id)]).await).await;
    let token = link.as_str().unwrap().strip_prefix("/reset-password?token=").unwrap().to_owned();
    assert!(app.audit_rows().await.iter().all(|row| !row.3.contains(&token)), "the audit log never holds a token");
    let page = new_browser().get(app.url(link.as_str().unwrap())).send().await.unwrap();
    assert!(page.status().is_success());

    let new_password = "another long enough password";
    let weak = [("token", token.as_str()), ("password", "short")];
    let res = app.server_fn(&new_browser(), path_of::<SetPasswordWithLink>(), &weak).await;
    assert_eq!(error_of(res).await.0, StatusCode::BAD_REQUEST, "a weak password leaves the link unused");
    let browser = new_browser();
    let form = [("token", token.as_str()), ("password", new_password)];
    json_of(app.server_fn(&browser, path_of::<SetPasswordWithLink>(), &form).await).await;
    json_of(app.server_fn(&browser, path_of::<ListApps>(), &[]).await).await;
    let res = app.server_fn(&old_session, path_of::<ListApps>(), &[]).await;
    assert_eq!(error_of(res).await, (StatusCode::UNAUTHORIZED, "ERR_NOT_SIGNED_IN".into()));
    let res = app.server_fn(&new_browser(), path_of::<SetPasswordWithLink>(), &form).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_LINK_INVALID".into()), "a link works once");
    let again = [("email", "dev@example.com"), ("password", new_password)];
    json_of(app.server_fn(&new_browser(), path_of::<SignIn>(), &again).await).await;

    let second = json_of(app.server_fn(&admin, path_of::<CreateResetLink>(), &[("id", &dev_id)]).await).await;
    let third = json_of(app.server_fn(&admin, path_of::<CreateResetLink>(), &[("id", &dev_id)]).await).await;
    let token_of = |link: &Value| link.as_str().unwrap().rsplit('=').next().unwrap().to_owned();
    let replaced = [("token", token_of(&second)), ("password", new_password.to_owned())];
    let replaced: Vec<(&str, &str)> = replaced.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = app.server_fn(&new_browser(), path_of::<SetPasswordWithLink>(), &replaced).await;
    assert_eq!(error_of(res).await.1, "ERR_LINK_INVALID", "a newer link replaces an older one");
    let expired = token_of(&third);
    let mut tx = app.db.begin_write().await.unwrap();
    tx.execute("UPDATE operator_links SET expires_at = 1", &[]).await.unwrap();
    tx.commit().await.unwrap();
    let res = app
        .server_fn(&new_browser(), path_of::<SetPasswordWithLink>(), &[("token", &expired), ("password", new_password)])
        .await;
    assert_eq!(error_of(res).await.1, "ERR_LINK_INVALID", "an expired link works no more");
}

async fn an_invited_operator_sets_their_own_password_with_the_link(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.browser_signed_in_as("admin@example.com", OperatorRole::Admin).await;
    let viewer = app.browser_signed_in_as("viewer@example.com", OperatorRole::Viewer).await;
    let invite = |email: &'static str, role: &'static str| [("email", email), ("name", "Dev"), ("role", role)];
    let res = app.server_fn(&viewer, path_of::<AddOperator>(), &invite("dev@example.com", "developer")).await;
    assert_eq!(error_of(res).await.0, StatusCode::FORBIDDEN, "a viewer invites nobody");
    let res = app.server_fn(&admin, path_of::<AddOperator>(), &invite("boss@example.com", "owner")).await;
    assert_eq!(error_of(res).await.0, StatusCode::FORBIDDEN, "an admin invites no owner");

    let link =
        json_of(app.server_fn(&admin, path_of::<AddOperator>(), &invite("dev@example.com", "developer")).await).await;
    let token = link.as_str().unwrap().strip_prefix("/reset-password?token=").unwrap().to_owned();
    let res = app.server_fn(&admin, path_of::<AddOperator>(), &invite("dev@example.com", "developer")).await;
    assert_eq!(error_of(res).await.1, "ERR_EMAIL_TAKEN", "an invitation holds the email");
    let guess = [("email", "dev@example.com"), ("password", PASSWORD)];
    let res = app.server_fn(&new_browser(), path_of::<SignIn>(), &guess).await;
    assert_eq!(error_of(res).await.1, "ERR_WRONG_CREDENTIALS", "no password signs in before the link is used");

    let browser = new_browser();
    let form = [("token", token.as_str()), ("password", "my own long password")];
    json_of(app.server_fn(&browser, path_of::<SetPasswordWithLink>(), &form).await).await;
    json_of(app.server_fn(&browser, path_of::<ListApps>(), &[]).await).await;
    let mine = [("email", "dev@example.com"), ("password", "my own long password")];
    json_of(app.server_fn(&new_browser(), path_of::<SignIn>(), &mine).await).await;
    let actions: Vec<String> = app.audit_rows().await.into_iter().map(|row| row.1).collect();
    assert!(actions.contains(&"operator.invite".to_owned()) && actions.contains(&"operator.password_set".to_owned()));
}

async fn signing_in_returns_to_the_page_asked_for_on_this_site_only(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("dev@example.com", OperatorRole::Developer).await;
    let sign_in_to = |next: &'static str| {
        let form = [("email", "dev@example.com"), ("password", PASSWORD), ("next", next)];
        let request = new_browser().post(app.url(path_of::<SignIn>())).header("accept", "text/html").form(&form).send();
        async move {
            let res = request.await.unwrap();
            res.headers().get("location").map(|l| l.to_str().unwrap().to_owned())
        }
    };
    assert_eq!(sign_in_to("/team?tab=1").await.as_deref(), Some("/team?tab=1"));
    for away in ["//evil.example/apps", "https://evil.example", "/\\evil.example", ""] {
        assert_eq!(sign_in_to(away).await.as_deref(), Some("/apps"), "{away:?} is not followed");
    }
    let page = new_browser().get(app.url("/sign-in?next=%2Fteam")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(r#"name="next" value="/team""#), "the sign-in form carries the page on");
}

/// A page about an app reads its operator and the app in one query (see
/// `operators::signed_in`); when that finds nothing, the page still tells
/// a missing app from a missing operator.
async fn an_app_page_shows_its_operator_and_app_and_says_which_is_missing(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = app.browser_signed_in_as("owner@example.com", OperatorRole::Owner).await;
    let app_id = app.create_app(Environment::Development).await;
    let gone_app = app.create_app(Environment::Development).await;
    apps::delete(&app.db, &Caller::cli(), &AppId::parse(&gone_app).unwrap(), "Test app").await.unwrap();
    let page = |browser: &reqwest::Client, path: String| {
        let request = browser.get(app.url(&path)).header("accept", "text/html").send();
        async move {
            let res = request.await.unwrap();
            (
                res.status(),
                res.headers().get("location").map(|l| l.to_str().unwrap().to_owned()),
                res.text().await.unwrap(),
            )
        }
    };

    let (status, _, html) = page(&owner, format!("/apps/{app_id}/users")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Test Operator"), "the top bar names the operator");
    assert!(
        crate::common::texts_of(&html, "h1").contains(&"Test app".to_owned()) && html.contains(&app_id),
        "the header names the app"
    );

    for missing in ["0123456789abcdef".to_owned(), gone_app] {
        let (status, _, html) = page(&owner, format!("/apps/{missing}/users")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(html.contains("Test Operator"), "the operator is still signed in on a page about no app");
        assert!(html.contains(&format!("No app has the App ID {missing}.")), "the page says there is no such app");
        assert_eq!(shown_alerts(&html), 1, "once");
        // The page below is hidden by the stylesheet: `main.app-missing + main.app-page`.
        assert!(html.contains(r#"<main class="app-missing">"#) && html.contains(r#"<main class="app-page">"#));
    }
    let (status, _, html) = page(&owner, format!("/apps/{app_id}/users/nobody")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a missing user is a 404");
    assert!(html.contains("ERR_UID_NOT_FOUND"));
    assert_eq!(shown_alerts(&html), 1, "said once");

    let (status, location, _) = page(&new_browser(), format!("/apps/{app_id}/users?search=ana")).await;
    let back_here = format!("/sign-in?next=%2Fapps%2F{app_id}%2Fusers%3Fsearch%3Dana");
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::FOUND, Some(back_here.as_str())),
        "a visitor is sent to sign in, and back to the page after"
    );
    let owner_id = app.scalar("SELECT id FROM operators WHERE email = 'owner@example.com'").await.to_string();
    let admin = app.browser_signed_in_as("admin@example.com", OperatorRole::Owner).await;
    json_of(
        app.server_fn(
            &admin,
            path_of::<SetOperatorDisabled>(),
            &[("id", &owner_id), ("disabled", "true"), ("confirm", "yes")],
        )
        .await,
    )
    .await;
    let (status, location, _) = page(&owner, format!("/apps/{app_id}/users")).await;
    let back_here = format!("/sign-in?next=%2Fapps%2F{app_id}%2Fusers");
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::FOUND, Some(back_here.as_str())),
        "a disabled operator is signed out"
    );
}

async fn a_session_works_on_every_server_process_and_ends_on_sign_out(backend: Backend) {
    let first = spawn_app(backend).await;
    first.create_operator("ana@example.com", OperatorRole::Owner).await;
    let cookie = signed_in_cookie(&first, "ana@example.com").await;
    // Another process on the same database: as after a restart, or behind a load balancer.
    let second = spawn_on(first.db.clone(), first.database_url.clone()).await;
    let call =
        |app: &crate::common::TestApp, path: &'static str| app.api.post(app.url(path)).header("cookie", &cookie).send();
    assert_eq!(
        call(&second, path_of::<ListApps>()).await.unwrap().status(),
        StatusCode::OK,
        "the second process knows the session"
    );

    json_of(call(&first, path_of::<SignOut>()).await.unwrap()).await;
    let res = call(&second, path_of::<ListApps>()).await.unwrap();
    assert_eq!(error_of(res).await.1, "ERR_NOT_SIGNED_IN", "signing out on one process ends the session on all");
}

/// Signs in and returns the session cookie as `name=value`.
async fn signed_in_cookie(app: &crate::common::TestApp, email: &str) -> String {
    let res = new_browser()
        .post(app.url(path_of::<SignIn>()))
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    set_cookie(&res, "switchboard_session=").split(';').next().unwrap().to_owned()
}

/// The `Set-Cookie` header of an answer that sets the cookie `name=`.
fn set_cookie(res: &reqwest::Response, name: &str) -> String {
    let mut cookies = res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap());
    cookies.find(|c| c.starts_with(name)).unwrap_or_else(|| panic!("no {name} cookie set")).to_owned()
}

async fn the_session_cookie_is_http_only_and_same_site_lax(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("ana@example.com", OperatorRole::Owner).await;
    let res = new_browser()
        .post(app.url(path_of::<SignIn>()))
        .form(&[("email", "ana@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = set_cookie(&res, "switchboard_session=");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http gets no Secure flag: {cookie}");
    // The known-browser cookie is never sent along with a request from another site.
    let device = set_cookie(&res, "switchboard_device=");
    assert!(device.contains("HttpOnly") && device.contains("SameSite=Strict"), "{device}");
    assert!(!device.contains("Secure"), "{device}");
}

/// Signs an owner in and gives their session cookie, the session as the
/// store holds it, and the store.
async fn stored_session(app: &crate::common::TestApp) -> (String, Record, SessionBackend) {
    app.create_operator("ana@example.com", OperatorRole::Owner).await;
    let cookie = signed_in_cookie(app, "ana@example.com").await;
    let id: Id = cookie.trim_start_matches("switchboard_session=").parse().unwrap();
    let store = SessionBackend::for_db(&app.db).await.unwrap();
    let record = store.load(&id).await.unwrap().expect("a fresh session loads");
    (cookie, record, store)
}

/// Session `id` as the database holds it: a fresh store keeps none in memory.
async fn saved_session(app: &crate::common::TestApp, id: &Id) -> Option<Record> {
    SessionBackend::for_db(&app.db).await.unwrap().load(id).await.unwrap()
}

async fn a_session_in_use_lasts_a_week_from_its_last_day_of_use(backend: Backend) {
    let signed_in_on = spawn_app(backend).await;
    let (cookie, mut record, store) = stored_session(&signed_in_on).await;
    let id = record.id;
    // As if signed in two days ago, and not used since: the store keeps
    // the whole session, its expiry too. The process it was used on would
    // keep it as it was then; this one reads it, as after a restart.
    let now = time::OffsetDateTime::now_utc();
    record.expiry_date = now + time::Duration::days(5);
    store.save(&record).await.unwrap();
    let app = spawn_on(signed_in_on.db.clone(), signed_in_on.database_url.clone()).await;

    let visit = || new_browser().get(app.url("/apps")).header("cookie", &cookie).send();
    let used = visit().await.unwrap();
    assert_eq!(used.status(), StatusCode::OK);
    let renewed = used.headers().get("set-cookie").expect("the cookie is sent again").to_str().unwrap();
    assert!(renewed.contains("Max-Age=604800"), "a week from now: {renewed}");
    let expiry = saved_session(&app, &id).await.unwrap().expiry_date;
    assert!(expiry > now + time::Duration::days(7) - time::Duration::minutes(1), "{expiry}");

    let again = visit().await.unwrap();
    assert!(again.headers().get("set-cookie").is_none(), "renewed once a day, not on every page");
}

// The process the operator signed in on keeps their session in memory, as
// it was: the expiry in the database still ends it.
async fn a_session_past_its_expiry_signs_no_one_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let (cookie, mut record, store) = stored_session(&app).await;
    record.expiry_date = time::OffsetDateTime::now_utc() - time::Duration::minutes(1);
    store.save(&record).await.unwrap();

    assert!(saved_session(&app, &record.id).await.is_none(), "an expired session loads as none");
    let res = app.api.post(app.url(path_of::<ListApps>())).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(error_of(res).await.1, "ERR_NOT_SIGNED_IN");
}

async fn dashboard_changes_are_audited_with_the_operator_and_address(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = app.browser_signed_in_as("ana@example.com", OperatorRole::Owner).await;
    let created = json_of(
        app.server_fn(
            &owner,
            path_of::<CreateApp>(),
            &[("name", "Chat"), ("environment", "production"), ("region", "in")],
        )
        .await,
    )
    .await;
    let app_id = created["appId"].as_str().unwrap().to_owned();
    let key = json_of(
        app.server_fn(
            &owner,
            path_of::<CreateKey>(),
            &[("app_id", &app_id), ("name", "web"), ("scope", "authOnly"), ("confirm_auth_key", "yes")],
        )
        .await,
    )
    .await;
    let key_id = key["id"].to_string();
    json_of(
        app.server_fn(&owner, path_of::<RevokeKey>(), &[("app_id", &app_id), ("id", &key_id), ("confirm", "yes")])
            .await,
    )
    .await;
    json_of(app.server_fn(&owner, path_of::<RenameApp>(), &[("app_id", &app_id), ("name", "Chat 2")]).await).await;
    let res = app.server_fn(&owner, path_of::<DeleteApp>(), &[("app_id", &app_id), ("typed_name", "Chat")]).await;
    assert_eq!(error_of(res).await.1, "ERR_CONFIRMATION_MISMATCH");
    json_of(app.server_fn(&owner, path_of::<DeleteApp>(), &[("app_id", &app_id), ("typed_name", "Chat 2")]).await)
        .await;

    let sql = "SELECT actor, action, ip FROM audit_log WHERE app IS NOT NULL ORDER BY id";
    let rows: Vec<(String, String, Option<String>)> = app.db.all(sql, &[]).await.unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(actions, ["app.create", "apikey.create", "apikey.revoke", "app.rename", "app.delete"]);
    for (actor, _, ip) in &rows {
        assert_eq!(actor, "ana@example.com");
        assert_eq!(ip.as_deref(), Some("127.0.0.1"));
    }
}

async fn only_an_owner_makes_owners(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner_id = app.create_operator("owner@example.com", OperatorRole::Owner).await.to_string();
    let admin = app.browser_signed_in_as("admin@example.com", OperatorRole::Admin).await;
    let res = app
        .server_fn(&admin, path_of::<AddOperator>(), &[("email", "o2@example.com"), ("name", "O"), ("role", "owner")])
        .await;
    assert_eq!(error_of(res).await.1, "ERR_FORBIDDEN");
    let res = app
        .server_fn(
            &admin,
            path_of::<SetOperatorDisabled>(),
            &[("id", &owner_id), ("disabled", "true"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(error_of(res).await.1, "ERR_FORBIDDEN");
    json_of(
        app.server_fn(
            &admin,
            path_of::<AddOperator>(),
            &[("email", "sup@example.com"), ("name", "S"), ("role", "support")],
        )
        .await,
    )
    .await;
    let res = app
        .server_fn(
            &admin,
            path_of::<AddOperator>(),
            &[("email", "SUP@example.com"), ("name", "S"), ("role", "support")],
        )
        .await;
    assert_eq!(error_of(res).await, (StatusCode::CONFLICT, "ERR_EMAIL_TAKEN".into()));
}

async fn arguments_that_do_not_decode_get_bad_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let app_id = app.create_app(Environment::Development).await;
    let owner = app.browser_signed_in_as("ana@example.com", OperatorRole::Owner).await;
    let audit_before = app.count("audit_log").await;
    let res = app.server_fn(&owner, path_of::<RevokeKey>(), &[("app_id", &app_id), ("id", "abc")]).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_BAD_REQUEST".into()), "an id that is no number");
    let res = app.server_fn(&owner, path_of::<CreateApp>(), &[("name", "Chat")]).await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_BAD_REQUEST".into()), "missing fields");
    let res = app
        .server_fn(&owner, path_of::<CreateApp>(), &[("name", "Chat"), ("environment", "staging"), ("region", "us")])
        .await;
    assert_eq!(error_of(res).await, (StatusCode::BAD_REQUEST, "ERR_INVALID_ENVIRONMENT".into()));
    assert_eq!(app.count("audit_log").await, audit_before);
}

async fn team_changes_are_listed_as_team_activity(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_app(Environment::Development).await;
    let admin = app.browser_signed_in_as("admin@example.com", OperatorRole::Admin).await;
    let form = [("email", "sup@example.com"), ("name", "Sam"), ("role", "support")];
    json_of(app.server_fn(&admin, path_of::<AddOperator>(), &form).await).await;
    let page = json_of(app.server_fn(&admin, path_of::<LoadAuditPage>(), &[]).await).await;
    let entries = page["entries"].as_array().unwrap();
    let newest: Vec<(&str, &str)> =
        entries.iter().map(|e| (e["actor"].as_str().unwrap(), e["action"].as_str().unwrap())).collect();
    assert_eq!(newest[0], ("admin@example.com", "operator.invite"));
    assert!(newest.iter().all(|(_, action)| action.starts_with("operator.")), "no app's changes: {newest:?}");
}

async fn repeated_failures_from_one_address_are_throttled_whatever_the_account(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_operator("ana@example.com", OperatorRole::Owner).await;
    for n in 0..20 {
        let email = format!("guess{n}@example.com");
        let res =
            app.server_fn(&new_browser(), path_of::<SignIn>(), &[("email", &email), ("password", PASSWORD)]).await;
        assert_eq!(error_of(res).await.1, "ERR_WRONG_CREDENTIALS");
    }
    let res = app
        .server_fn(&new_browser(), path_of::<SignIn>(), &[("email", "ana@example.com"), ("password", PASSWORD)])
        .await;
    assert_eq!(error_of(res).await, (StatusCode::TOO_MANY_REQUESTS, "ERR_TOO_MANY_ATTEMPTS".into()));
}

/// Starting an app lists the dashboard's routes, and listing them pauses
/// every resource in the process (a global flag in leptos_server): a page
/// that another app in the same process began meanwhile waited forever.
/// Only the process matters here, not the backend.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_keep_answering_while_other_apps_start_in_the_same_process() {
    let app = spawn_app(Backend::Sqlite).await;
    let browser = app.browser_signed_in_as("owner@example.com", OperatorRole::Owner).await;
    let pages = async {
        for _ in 0..300 {
            let page = browser.get(app.url("/apps")).send().await.expect("the page answers");
            assert_eq!(page.status(), StatusCode::OK);
            assert!(page.text().await.unwrap().contains("Switchboard"));
        }
    };
    let starts = async {
        for _ in 0..15 {
            spawn_app(Backend::Sqlite).await;
        }
    };
    tokio::join!(pages, starts);
}

async fn activity_is_filtered_by_who_what_object_and_day_and_reads_as_names_and_links(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = app.browser_signed_in_as("owner@example.com", OperatorRole::Owner).await;
    let app_id = app.create_app(Environment::Development).await;
    let (_, key) = app.create_key(&app_id, KeyScope::FullAccess).await;
    for uid in ["ana", "bo"] {
        let res =
            app.rest("POST", "/v3/users", &app_id, &key, Some(serde_json::json!({"uid": uid, "name": uid}))).await;
        assert!(res.status().is_success());
    }
    let res = app.rest("PUT", "/v3/users/ana", &app_id, &key, Some(serde_json::json!({"name": "Ana B"}))).await;
    assert!(res.status().is_success());
    let form = [("app_id", app_id.as_str()), ("name", "Renamed")];
    json_of(app.server_fn(&owner, path_of::<RenameApp>(), &form).await).await;

    let entries = |filter: Vec<(&'static str, String)>| {
        let mut form = vec![("app_id", app_id.clone())];
        form.extend(filter.into_iter().map(|(k, v)| (k, v)));
        let request = owner.post(app.url(path_of::<LoadAuditPage>())).form(&form).send();
        async move {
            let page: Value = request.await.unwrap().json().await.unwrap();
            let entries = page["entries"].as_array().unwrap_or_else(|| panic!("{page}")).clone();
            entries
                .iter()
                .map(|e| format!("{} {}", e["action"].as_str().unwrap(), e["object"].as_str().unwrap()))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        entries(vec![("filter[object]", "user:ana".into())]).await,
        ["user.update user:ana", "user.create user:ana"]
    );
    assert_eq!(
        entries(vec![("filter[action]", "user.create".into())]).await,
        ["user.create user:bo", "user.create user:ana"]
    );
    assert_eq!(entries(vec![("filter[action]", "user".into())]).await.len(), 3, "an action's start finds its kind");
    assert_eq!(entries(vec![("filter[action]", "use".into())]).await.len(), 0, "but not a word's start");
    assert_eq!(entries(vec![("filter[actor]", "owner@example.com".into())]).await, [format!("app.rename {app_id}")]);
    // The page sends days as the Unix second of their midnight.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let today = switchboard::domain::parse_date(&switchboard::domain::format_date(now)).unwrap();
    let day = |offset: i64| (today + offset * 86_400).to_string();
    let all = entries(vec![]).await;
    assert_eq!(all.len(), 6, "{all:?}");
    assert_eq!(entries(vec![("filter[from]", day(0)), ("filter[until]", day(0))]).await, all, "all of it today");
    assert_eq!(entries(vec![("filter[from]", day(1))]).await.len(), 0, "nothing tomorrow");
    assert_eq!(entries(vec![("filter[until]", day(-1))]).await.len(), 0, "nothing yesterday");

    let page = owner.get(app.url(&format!("/apps/{app_id}/activity?object=user%3Aana"))).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("href=\"/apps/{app_id}/users/ana\"")), "the object leads to its page");
    let names = crate::common::texts_of(&html, "dl > dt");
    let values = crate::common::texts_of(&html, "dl > dt + dd");
    assert!(
        names.iter().zip(&values).any(|(n, v)| n == "name" && v == "Ana B"),
        "details read as names and values: {html}"
    );
    assert!(html.contains("name=\"object\" value=\"user:ana\""), "the form shows the filter");
    let res = owner.get(app.url(&format!("/apps/{app_id}/activity?from=someday"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

/// The alerts a page shows: those outside what the stylesheet hides after
/// a missing thing's message (`main.app-missing + main.app-page`,
/// `.user-missing ~ .user-extras`).
fn shown_alerts(html: &str) -> usize {
    let page = scraper::Html::parse_document(html);
    let found = |css: &str| page.select(&scraper::Selector::parse(css).unwrap()).next().is_some();
    let hidden: Vec<&str> = [("main.app-missing", "app-page"), (".user-missing", "user-extras")]
        .into_iter()
        .filter(|(missing, _)| found(missing))
        .map(|(_, hidden)| hidden)
        .collect();
    page.select(&scraper::Selector::parse("[role=alert]").unwrap())
        .filter(|alert| {
            !alert
                .ancestors()
                .filter_map(scraper::ElementRef::wrap)
                .any(|a| a.value().classes().any(|c| hidden.contains(&c)))
        })
        .count()
}

/// A form posts, and the browser is sent back to the page it came from
/// (post/redirect/get): the page shows the new key's secret once, a reload
/// does not, and the secret never reaches the session's database row. A
/// call from an island, which reads the answer itself, leaves
/// nothing for the page.
async fn a_key_made_by_a_plain_form_is_shown_once_on_the_page_it_returns_to(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = app.browser_signed_in_as("owner@example.com", OperatorRole::Owner).await;
    let app_id = app.create_app(Environment::Development).await;
    let page_url = app.url(&format!("/apps/{app_id}"));
    let form = [("app_id", app_id.as_str()), ("name", "Backend"), ("scope", KeyScope::FullAccess.as_str())];
    let post = |accept: &'static str| {
        let request = owner.post(app.url(path_of::<CreateKey>())).header("accept", accept).header("referer", &page_url);
        request.form(&form).send()
    };
    let page =
        || async { owner.get(&page_url).header("accept", "text/html").send().await.unwrap().text().await.unwrap() };
    let shown_key = |html: &str| {
        let at = html.find(r#"data-testid="new-api-key">"#)? + r#"data-testid="new-api-key">"#.len();
        Some(html[at..].split('<').next().unwrap().to_owned())
    };

    let res = post("text/html").await.unwrap();
    assert!(res.status().is_redirection(), "a plain form is sent back: {}", res.status());
    // server_fn strips its error fields from the address, leaving an empty query.
    assert_eq!(res.headers()["location"].to_str().unwrap().trim_end_matches('?'), page_url);
    let key = shown_key(&page().await).expect("the page it returns to shows the new key");
    assert_eq!(key.len(), 40);
    assert_eq!(app.rest("GET", "/v3/apikeys", &app_id, &key, None).await.status(), StatusCode::OK);
    assert_eq!(shown_key(&page().await), None, "a reload shows it no more");

    let sessions = match backend {
        Backend::Sqlite => "SELECT data FROM tower_sessions",
        Backend::Postgres => r#"SELECT data FROM "tower_sessions"."session""#,
    };
    let rows: Vec<(Vec<u8>,)> = app.db.all(sessions, &[]).await.unwrap();
    assert!(!rows.is_empty());
    for (data,) in rows {
        assert!(!data.windows(key.len()).any(|w| w == key.as_bytes()), "the secret is not saved with the session");
    }

    assert!(post("application/json").await.unwrap().status().is_success());
    assert_eq!(shown_key(&page().await), None, "a script's call leaves nothing for the page");
}
