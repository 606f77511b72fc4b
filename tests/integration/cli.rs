//! The CLI binary, on a database of its own.

use std::process::Stdio;

use serde_json::Value;
use tokio::{io::AsyncWriteExt, process::Command};

use switchboard::{
    domain::{Email, OperatorRole, SecondFactor},
    server::{
        access::{Actor, Caller, password::PasswordChecks},
        service::{operator_sessions, sign_in, two_factor},
    },
};

use crate::common::{Backend, fresh_database};
use crate::on_both_backends;

on_both_backends!(
    the_cli_bootstraps_an_owner_an_app_and_a_key,
    the_cli_resets_a_password,
    the_cli_takes_away_a_lost_second_factor
);

async fn switchboard(database_url: &str, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).await.unwrap();
    drop(input);
    let out = child.wait_with_output().await.unwrap();
    (out.status.success(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

async fn the_cli_bootstraps_an_owner_an_app_and_a_key(backend: Backend) {
    let (db, url) = fresh_database(backend).await;
    db.close().await;

    let create_owner = ["operator", "create", "--email", "ops@example.com", "--role", "owner", "--password-stdin"];
    let (ok, _, err) = switchboard(&url, &create_owner, Some("short\n")).await;
    assert!(!ok && err.contains("at least 12"), "a weak password is refused: {err}");
    let (ok, _, err) = switchboard(&url, &create_owner[..6], Some("a long enough password\n")).await;
    assert!(!ok && err.contains("--password-stdin"), "without the flag nor a terminal, nothing is read: {err}");
    let (ok, out, err) = switchboard(&url, &create_owner, Some("a long enough password\n")).await;
    assert!(ok, "{err}");
    assert!(out.contains("owner operator ops@example.com"));

    let (ok, out, err) = switchboard(&url, &["app", "create", "--name", "Chat", "--env", "staging"], None).await;
    assert!(!ok && out.is_empty() && err.contains("development, production"), "{err}");
    let (ok, out, err) =
        switchboard(&url, &["app", "create", "--name", "Chat", "--env", "development", "--json"], None).await;
    assert!(ok, "{err}");
    let app: Value = serde_json::from_str(&out).unwrap();
    let app_id = app["appId"].as_str().unwrap();

    let (ok, out, _) = switchboard(&url, &["app", "list"], None).await;
    assert!(ok && out.contains(app_id) && out.contains("development"));

    let (ok, out, err) = switchboard(
        &url,
        &["key", "create", "--app", app_id, "--name", "backend", "--scope", "fullAccess", "--json"],
        None,
    )
    .await;
    assert!(ok, "{err}");
    let key: Value = serde_json::from_str(&out).unwrap();
    let secret = key["apiKey"].as_str().unwrap();
    assert_eq!(secret.len(), 40);

    let (ok, out, _) = switchboard(&url, &["key", "list", "--app", app_id], None).await;
    assert!(ok && out.contains("backend") && !out.contains(secret), "listed without the key: {out}");

    let seed =
        ["seed-demo", "--app", app_id, "--users", "300", "--groups", "20", "--crowd", "120", "--messages", "2000"];
    let (ok, out, err) = switchboard(&url, &seed, None).await;
    assert!(ok, "{err}");
    assert!(out.contains("seeded 300 users") && out.contains("seeded 21 groups with 220 memberships"), "{out}");
    assert!(out.contains("seeded 2000 messages"), "{out}");

    let (ok, out, _) = switchboard(&url, &["--help"], None).await;
    assert!(ok && out.contains("operator") && out.contains("migrate"));
}

async fn the_cli_resets_a_password(backend: Backend) {
    let (db, url) = fresh_database(backend).await;
    let create = ["operator", "create", "--email", "ops@example.com", "--role", "owner", "--password-stdin"];
    let (ok, _, err) = switchboard(&url, &create, Some("a long enough password\n")).await;
    assert!(ok, "{err}");

    let reset = ["operator", "reset-password", "--email", "ops@example.com", "--password-stdin"];
    let (ok, _, err) = switchboard(&url, &reset, Some("short\n")).await;
    assert!(!ok && err.contains("at least 12"), "a weak password is refused: {err}");
    let unknown = ["operator", "reset-password", "--email", "nobody@example.com", "--password-stdin"];
    let (ok, _, err) = switchboard(&url, &unknown, Some("another long enough password\n")).await;
    assert!(!ok && err.contains("No operator has the email nobody@example.com"), "{err}");
    let (ok, out, err) = switchboard(&url, &reset, Some("another long enough password\n")).await;
    assert!(ok, "{err}");
    assert!(out.contains("reset the password of ops@example.com"), "{out}");

    let attempt = |password: &str| sign_in::Attempt {
        email: "ops@example.com".into(),
        password: password.into(),
        address: None,
        device: None,
    };
    let passwords = PasswordChecks::new(1);
    let old = sign_in::sign_in(&db, &passwords, attempt("a long enough password")).await;
    assert_eq!(old.err().map(|e| e.code()), Some("ERR_WRONG_CREDENTIALS"));
    let new = sign_in::sign_in(&db, &passwords, attempt("another long enough password")).await;
    assert!(new.is_ok(), "the new password signs in");
    db.close().await;
}

async fn the_cli_takes_away_a_lost_second_factor(backend: Backend) {
    let (db, url) = fresh_database(backend).await;
    let create = ["operator", "create", "--email", "ops@example.com", "--role", "owner", "--password-stdin"];
    let (ok, _, err) = switchboard(&url, &create, Some("a long enough password\n")).await;
    assert!(ok, "{err}");
    let attempt = || sign_in::Attempt {
        email: "ops@example.com".into(),
        password: "a long enough password".into(),
        address: None,
        device: None,
    };
    let passwords = PasswordChecks::new(1);
    let id = sign_in::sign_in(&db, &passwords, attempt()).await.unwrap().operator.id;
    let email = Email::parse("ops@example.com").unwrap();
    let owner = Caller { actor: Actor::Operator { id, email, role: OperatorRole::Owner }, ip: None };
    let origin = operator_sessions::Origin { address: None, user_agent: None };
    let key = operator_sessions::start(&db, id, origin, false).await.unwrap();
    let setup = two_factor::begin_setup(&db, &owner).await.unwrap();
    let totp =
        totp_rs::Builder::new().with_secret(totp_rs::Secret::try_from_base32(&setup.secret).unwrap()).build().unwrap();
    let code = SecondFactor::parse(&totp.generate_current().to_string()).unwrap();
    two_factor::confirm_setup(&db, &owner, &code, &key).await.unwrap();
    assert!(sign_in::sign_in(&db, &passwords, attempt()).await.unwrap().two_factor, "a code is asked for");

    let reset = ["operator", "reset-two-factor", "--email", "ops@example.com"];
    let (ok, out, err) = switchboard(&url, &reset, None).await;
    assert!(ok, "{err}");
    assert!(out.contains("took away the second factor of ops@example.com"), "{out}");
    assert!(!sign_in::sign_in(&db, &passwords, attempt()).await.unwrap().two_factor, "the password alone signs in");
    let live: i64 = db.scalar("SELECT COUNT(*) FROM operator_sessions", &[]).await.unwrap();
    assert_eq!(live, 0, "their sessions ended");
    let unknown = ["operator", "reset-two-factor", "--email", "nobody@example.com"];
    let (ok, _, err) = switchboard(&url, &unknown, None).await;
    assert!(!ok && err.contains("No operator has the email nobody@example.com"), "{err}");
    db.close().await;
}
