// The dashboard's views are deep nested types (see src/lib.rs); every
// crate that renders them needs the raised limit.
#![recursion_limit = "256"]

use std::time::Duration;

use clap::Parser;
use switchboard::server::{
    cli::{self, Cli, Command, ServeArgs},
    client_address::TrustedProxies,
    config::Config,
    db::Db,
    http,
};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    init_tracing();
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let db = Db::connect(&cli.database_url).await?;
    db.migrate().await?;
    let command = cli.command.unwrap_or(Command::Serve(cli.serve));
    let result = match command {
        Command::Serve(args) => serve(db.clone(), args).await,
        other => cli::run(&db, other).await,
    };
    db.close().await;
    result
}

async fn serve(db: Db, args: ServeArgs) -> anyhow::Result<()> {
    let mut leptos_options = leptos::config::get_configuration(None)?.leptos_options;
    leptos_options.site_addr = args.addr;
    // cargo-leptos names the browser bundle at build time; a plain `cargo
    // build` leaves the name empty, so default to the crate's.
    if leptos_options.output_name.is_empty() {
        leptos_options.output_name = env!("CARGO_PKG_NAME").into();
    }
    let defaults = Config::default();
    let config = Config {
        secure_cookies: args.secure_cookies,
        ping_timeout: Duration::from_secs(args.ping_timeout),
        trusted_proxies: TrustedProxies::new(args.trusted_proxies),
        password_checks: args.password_checks.map_or(defaults.password_checks, usize::from),
    };
    http::serve(http::app(db, config, leptos_options).await?, args.addr).await
}

/// Logs go to stderr; `SWITCHBOARD_LOG_FORMAT=json` makes them one JSON
/// object a line for log collectors; `RUST_LOG` sets the levels.
fn init_tracing() {
    use tracing_subscriber::{EnvFilter, fmt};
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tower_http=info,sqlx=warn"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if std::env::var("SWITCHBOARD_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
