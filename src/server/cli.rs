//! `switchboard ...`: serve, migrate and bootstrap without a browser. The
//! CLI goes through the same services as the dashboard and the REST API.

use clap::{Args, Parser, Subcommand};
use serde_json::json;

use super::{
    auth::{Caller, password::PasswordChecks},
    db::Db,
    service::{api_keys, apps, operators, seed, sign_in, two_factor},
};
use crate::domain::{
    AppId, AppName, Email, Environment, KeyName, KeyScope, OperatorName, OperatorRole, Password, Region,
    format_timestamp,
};

#[derive(Parser, Debug)]
#[command(name = "switchboard", version, about = "Self-hosted control plane for in-app chat")]
pub struct Cli {
    /// Database to use: sqlite://FILE or postgres://...
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://switchboard.db", global = true)]
    pub database_url: String,
    #[command(subcommand)]
    pub command: Option<Command>,
    /// With no subcommand, these serve.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the dashboard and the REST API (the default).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage dashboard operators.
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// Manage apps.
    #[command(subcommand)]
    App(AppCommand),
    /// Manage an app's API keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Fill an app with realistic demo users, roles, tags and auth tokens,
    /// groups of those users, and messages between them.
    SeedDemo {
        #[arg(long)]
        app: String,
        /// How many users to add.
        #[arg(long, default_value_t = 1000)]
        users: u64,
        /// How many groups of five members to add, besides `town-square`.
        #[arg(long, default_value_t = 0)]
        groups: u64,
        /// How many of the app's users `town-square` holds (with --groups).
        #[arg(long, default_value_t = 1000)]
        crowd: u64,
        /// How many messages to add, sent over the last 30 days.
        #[arg(long, default_value_t = 0)]
        messages: u64,
    },
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SWITCHBOARD_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: std::net::SocketAddr,
    /// Mark the session cookie Secure; use when served over https.
    #[arg(long, env = "SWITCHBOARD_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Seconds a realtime connection may go without a ping before it is closed.
    #[arg(long, env = "SWITCHBOARD_PING_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub ping_timeout: u64,
    /// Reverse proxies (addresses or CIDR networks) whose `Forwarded` or
    /// `X-Forwarded-For` header names the client, for the sign-in throttle
    /// and the audit log. Repeat the flag, or separate them by commas.
    #[arg(long = "trusted-proxy", env = "SWITCHBOARD_TRUSTED_PROXIES", value_delimiter = ',', value_parser = crate::server::client_address::parse_network)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Password checks run at once (about 19 MiB each); default, one per core.
    #[arg(long, env = "SWITCHBOARD_PASSWORD_CHECKS", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub password_checks: Option<u16>,
}

#[derive(Subcommand, Debug)]
pub enum OperatorCommand {
    /// Create an operator. The password is asked for on a terminal, or
    /// read from standard input with --password-stdin; never an argument.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        /// owner, admin, developer, support or viewer.
        #[arg(long, default_value = "owner")]
        role: String,
        /// Read the password from standard input (its first line), for scripts.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Give an operator a new password (asked for as `create` asks): their
    /// sessions end, their known browsers are forgotten, and a lock-out of
    /// their account is lifted.
    ResetPassword {
        #[arg(long)]
        email: String,
        /// Read the password from standard input (its first line), for scripts.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Take away an operator's second factor, when they lost it and their
    /// recovery codes: their sessions end, and they sign in with their
    /// password alone (setting one up again if their role must).
    ResetTwoFactor {
        #[arg(long)]
        email: String,
    },
    /// List operators.
    List,
}

#[derive(Subcommand, Debug)]
pub enum AppCommand {
    /// Create an app and print its App ID.
    Create {
        #[arg(long)]
        name: String,
        /// development or production.
        #[arg(long)]
        env: String,
        /// us, eu or in.
        #[arg(long, default_value = "us")]
        region: String,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// List apps.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Create an API key and print it, once.
    Create {
        #[arg(long)]
        app: String,
        #[arg(long)]
        name: String,
        /// authOnly (Auth Key) or fullAccess (REST API Key).
        #[arg(long)]
        scope: String,
        /// Confirm an Auth Key for a production app.
        #[arg(long)]
        yes_auth_key_in_production: bool,
        #[arg(long)]
        json: bool,
    },
    /// List an app's keys (never the keys themselves).
    List {
        #[arg(long)]
        app: String,
        #[arg(long)]
        json: bool,
    },
}

/// A new password: the first line of standard input with `--password-stdin`,
/// else asked for twice on the terminal, without echo.
fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("no terminal to ask for the password on: pipe it in with --password-stdin");
    }
    let password = rpassword::prompt_password("Password (at least 12 characters): ")?;
    if rpassword::prompt_password("Again: ")? != password {
        anyhow::bail!("the two passwords differ");
    }
    Ok(password)
}

/// Runs one management command; `serve` is handled by `main`.
pub async fn run(db: &Db, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(_) | Command::Migrate => Ok(()),
        Command::Operator(command) => operator(db, command).await,
        Command::App(command) => app(db, command).await,
        Command::Key(command) => key(db, command).await,
        Command::SeedDemo { app, users, groups, crowd, messages } => {
            seed_demo(db, &app, Demo { users, groups, crowd, messages }).await
        }
    }
}

async fn operator(db: &Db, command: OperatorCommand) -> anyhow::Result<()> {
    let cli = Caller::cli();
    match command {
        OperatorCommand::Create { email, name, role, password_stdin } => {
            let email = Email::parse(&email)?;
            let name =
                OperatorName::parse(name.as_deref().unwrap_or_else(|| email.as_str().split('@').next().unwrap_or("")))?;
            let role = OperatorRole::parse(&role)?;
            let password = Password::parse(&read_password(password_stdin)?)?;
            let op = operators::create(
                db,
                &PasswordChecks::per_core(),
                &cli,
                operators::NewOperator { email, name, role, password },
            )
            .await?;
            println!("created {} operator {}", op.role, op.email);
        }
        OperatorCommand::ResetPassword { email, password_stdin } => {
            let email = Email::parse(&email)?;
            let password = Password::parse(&read_password(password_stdin)?)?;
            sign_in::reset_password(db, &PasswordChecks::per_core(), &cli, &email, password).await?;
            println!("reset the password of {email}: their sessions are signed out");
        }
        OperatorCommand::ResetTwoFactor { email } => {
            let operator = operators::by_email(db, &cli, &Email::parse(&email)?).await?;
            two_factor::reset_for(db, &cli, operator.id).await?;
            println!("took away the second factor of {email}: their sessions are signed out");
        }
        OperatorCommand::List => {
            for op in operators::list(db, &cli).await? {
                let state = if op.disabled_at.is_some() { "disabled" } else { "active" };
                println!("{}\t{}\t{}\t{}", op.email, op.role, state, op.name);
            }
        }
    }
    Ok(())
}

async fn app(db: &Db, command: AppCommand) -> anyhow::Result<()> {
    let cli = Caller::cli();
    match command {
        AppCommand::Create { name, env, region, json } => {
            let new = apps::NewApp {
                name: AppName::parse(&name)?,
                environment: Environment::parse(&env)?,
                region: Region::parse(&region)?,
            };
            let app = apps::create(db, &cli, new).await?;
            if json {
                println!("{}", serde_json::to_string(&app.view)?);
            } else {
                println!("{}", app.view.app_id);
            }
        }
        AppCommand::List { json } => {
            let apps = apps::list(db, &cli).await?;
            if json {
                println!("{}", serde_json::to_string(&apps.iter().map(|a| &a.view).collect::<Vec<_>>())?);
            } else {
                for app in apps {
                    let v = app.view;
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        v.app_id,
                        v.environment,
                        v.region,
                        format_timestamp(v.created_at),
                        v.name
                    );
                }
            }
        }
    }
    Ok(())
}

async fn key(db: &Db, command: KeyCommand) -> anyhow::Result<()> {
    let cli = Caller::cli();
    match command {
        KeyCommand::Create { app, name, scope, yes_auth_key_in_production, json } => {
            let app = apps::get(db, &cli, &AppId::parse(&app)?).await?;
            let new = api_keys::NewKey {
                name: KeyName::parse(&name)?,
                scope: KeyScope::parse(&scope)?,
                expires_at: None,
                confirm_auth_key_in_production: yes_auth_key_in_production,
            };
            let created = api_keys::create(db, &cli, &app, new).await?;
            if json {
                println!("{}", json!(created));
            } else {
                println!("{}", created.api_key);
                eprintln!("Store this key now: it is not shown again.");
            }
        }
        KeyCommand::List { app, json } => {
            let app = apps::get(db, &cli, &AppId::parse(&app)?).await?;
            let keys = api_keys::list(db, &cli, &app).await?;
            if json {
                println!("{}", serde_json::to_string(&keys)?);
            } else {
                for k in keys {
                    let state = if k.revoked_at.is_some() { "revoked" } else { "active" };
                    println!("{}\t{}…\t{}\t{}\t{}", k.id, k.prefix, k.scope, state, k.name);
                }
            }
        }
    }
    Ok(())
}

/// How much demo data to seed.
struct Demo {
    users: u64,
    groups: u64,
    crowd: u64,
    messages: u64,
}

async fn seed_demo(db: &Db, app: &str, Demo { users, groups, crowd, messages }: Demo) -> anyhow::Result<()> {
    let cli = Caller::cli();
    let app = apps::get(db, &cli, &AppId::parse(app)?).await?;
    let bar = indicatif::ProgressBar::new(users)
        .with_style(indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} users, {per_sec}, {eta} left")?);
    let started = std::time::Instant::now();
    let report = seed::users(db, &cli, &app, users, |done| bar.set_position(done)).await?;
    bar.finish();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "seeded {} users, {} tags and {} auth tokens in {seconds:.1} s ({:.0} users/s)",
        report.users,
        report.tags,
        report.tokens,
        report.users as f64 / seconds
    );
    if groups > 0 {
        let bar = indicatif::ProgressBar::new(groups)
            .with_style(indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} groups, {eta} left")?);
        let started = std::time::Instant::now();
        let report = seed::groups(db, &cli, &app, groups, crowd, |done| bar.set_position(done)).await?;
        bar.finish();
        println!(
            "seeded {} groups with {} memberships in {:.1} s",
            report.groups,
            report.memberships,
            started.elapsed().as_secs_f64()
        );
    }
    if messages > 0 {
        let bar = indicatif::ProgressBar::new(messages).with_style(indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} messages, {per_sec}, {eta} left",
        )?);
        let started = std::time::Instant::now();
        let report = seed::messages(db, &cli, &app, messages, |done| bar.set_position(done)).await?;
        bar.finish();
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "seeded {} messages in {seconds:.1} s ({:.0} messages/s)",
            report.messages,
            report.messages as f64 / seconds
        );
    }
    Ok(())
}
