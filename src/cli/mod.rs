//! The `latchkey` command line: runs the server and covers what an operator scripts.
//!
//! One file per command area; this one holds the top-level clap types and the dispatcher.

mod api_keys;
mod audit;
mod campaigns;
mod input;
mod mail;
mod output;
mod server;
mod smtp;
mod templates;
mod tenants;
mod users;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::clock::SystemClock;
use crate::config::{Config, LogFormat, Overrides, Validated};
use crate::service::{Core, ServiceError};

use api_keys::{api_key_command, ApiKeyCommand};
use audit::{audit_log_command, AuditLogArgs};
use campaigns::{campaign_command, reset_command, CampaignCommand, ResetCommand};
use mail::{mail_log_command, task_command, MailLogArgs, TaskCommand};
use output::print_json;
use server::{healthcheck, serve};
use smtp::{smtp_command, SmtpCommand};
use templates::{template_command, TemplateCommand};
use tenants::{tenant_command, TenantCommand};
use users::{user_command, UserCommand};

#[derive(Parser)]
#[command(
    name = "latchkey",
    version,
    about = "Latchkey: accounts, sign-in and password self-service for one or many tenants",
    long_about = "Latchkey: accounts, sign-in and password self-service for one or many tenants.\n\n\
        Start the server with `latchkey serve` (SQLite in ./latchkey-data, nothing else to set up), \
        then open the setup link it prints to create the first administrator.\n\n\
        Every setting can also come from latchkey.toml (--config) or a LATCHKEY_* environment variable; \
        flags win over the environment, which wins over the file."
)]
struct Cli {
    /// Configuration file (default: ./latchkey.toml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory for the SQLite database and other files [env: LATCHKEY_DATA_DIR] [default: ./latchkey-data].
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Database: postgres://user@host/db or sqlite://path [env: LATCHKEY_DATABASE_URL] [default: SQLite in the data directory].
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    /// Log format: text or json [env: LATCHKEY_LOG_FORMAT].
    #[arg(long, global = true, value_name = "FORMAT", value_parser = ["text", "json"])]
    log_format: Option<String>,
    /// Print one machine-readable JSON document on standard output instead of text (every
    /// command that prints a result). Errors then go to standard error as
    /// {"error": {"code": …, "message": …}}, still with exit status 1.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (migrates the database first).
    Serve {
        /// Address to listen on [env: LATCHKEY_LISTEN] [default: 127.0.0.1:8080].
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Base URL people use to reach Latchkey; links in mail are built from it [env: LATCHKEY_PUBLIC_URL].
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage tenants (organisations).
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Show, change and check the SMTP settings mail is sent with.
    #[command(subcommand)]
    Smtp(SmtpCommand),
    /// Look into the outbox: list, show, redo and cancel queued mail ("tasks").
    ///
    /// Every mail Latchkey sends is first queued as a task, then delivered by the worker of a
    /// running `latchkey serve`. A task is waiting (queued, or retrying later), executing (being
    /// sent), done (accepted by the mail server), failed (given up) or cancelled.
    #[command(subcommand)]
    Task(TaskCommand),
    /// List delivery attempts from the mail log, newest first, with the SMTP server's reply.
    MailLog(MailLogArgs),
    /// Send reset links, temporary passwords or invitations to one or many users (a campaign).
    #[command(subcommand)]
    Reset(ResetCommand),
    /// List, show, cancel and redo campaigns (admin-triggered resets).
    #[command(subcommand)]
    Campaign(CampaignCommand),
    /// Create, list and revoke API keys for /api/v1.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Read the audit log, newest first: who did what to whom, when, from where, how it ended.
    AuditLog(AuditLogArgs),
    /// List, show, change, preview and reset a tenant's mail templates.
    ///
    /// Mail kinds: reset_link, admin_reset_link, temporary_password, password_changed,
    /// reset_email_changed, campaign. Languages: en, de. Templates are checked as in the console:
    /// variables only (optionally through upper, lower, title, capitalize, trim or default) and
    /// {% if %} blocks; a reset or temporary-password template must print its secret in both
    /// parts, and never in the subject.
    #[command(subcommand)]
    Template(TemplateCommand),
    /// Exit 0 when the server at --url answers /readyz with 200 (for container health checks).
    Healthcheck {
        /// Base URL of the server [default: http:// + the `listen` setting].
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
    /// Write a consistent snapshot of the SQLite database to FILE (safe while `serve` runs).
    /// For PostgreSQL use pg_dump.
    Backup {
        /// Where to write the snapshot; must not exist yet.
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if json => {
            eprintln!("{}", error_json(&e));
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// An error as `--json` reports it (on standard error): `{"error": {"code", "message"}}`, with
/// the codes of the REST API where they fit.
pub(super) fn error_json(e: &anyhow::Error) -> serde_json::Value {
    let code = match e.downcast_ref::<ServiceError>() {
        Some(ServiceError::NotFound(_)) => "not_found",
        Some(ServiceError::Conflict(_)) => "conflict",
        Some(ServiceError::Throttled(_)) => "too_many_requests",
        Some(ServiceError::Internal(_)) => "internal",
        Some(_) => "validation_failed",
        None if e.downcast_ref::<crate::domain::InvalidInput>().is_some() => "validation_failed",
        None => "failed",
    };
    serde_json::json!({ "error": { "code": code, "message": format!("{e:#}") } })
}

fn init_logging(config: &Validated, serving: bool) {
    let default = if serving {
        config.raw.log_level.clone()
    } else {
        "warn".to_owned()
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match config.raw.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
    };
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut overrides = Overrides {
        data_dir: cli.data_dir.clone(),
        database_url: cli.database_url.clone(),
        log_format: cli.log_format.as_deref().map(|f| {
            if f == "json" {
                LogFormat::Json
            } else {
                LogFormat::Text
            }
        }),
        ..Default::default()
    };
    if let Command::Serve { listen, public_url } = &cli.command {
        overrides.listen = listen.clone();
        overrides.public_url = public_url.clone();
    }
    let config = Config::load(cli.config.as_deref(), &overrides)?;
    init_logging(&config, matches!(cli.command, Command::Serve { .. }));
    let json = cli.json;
    match cli.command {
        Command::Serve { .. } => serve(config).await,
        Command::Migrate => {
            let core = Core::open(config, Arc::new(SystemClock)).await?;
            core.db.close().await;
            if json {
                return print_json(&serde_json::json!({ "database": "up to date" }));
            }
            println!("database is up to date");
            Ok(())
        }
        Command::AuditLog(args) => {
            let core = Core::open(config, Arc::new(SystemClock)).await?;
            let r = audit_log_command(&core, args, json).await;
            core.db.close().await;
            r
        }
        Command::Template(cmd) => {
            let core = Core::open(config, Arc::new(SystemClock)).await?;
            let r = template_command(&core, cmd, json).await;
            core.db.close().await;
            r
        }
        Command::Tenant(cmd) => {
            let core = Core::open(config, Arc::new(SystemClock)).await?;
            let r = tenant_command(&core, cmd, json).await;
            core.db.close().await;
            r
        }
        Command::User(cmd) => {
            let core = Core::open(config, Arc::new(SystemClock)).await?;
            let r = user_command(&core, cmd, json).await;
            core.db.close().await;
            r
        }
        Command::Smtp(cmd) => {
            let core = Core::open(config, Arc::new(SystemClock)).await?;
            let r = smtp_command(&core, cmd, json).await;
            core.db.close().await;
            r
        }
        Command::Task(cmd) => {
            let core = Core::open(config, Arc::new(SystemClock)).await?;
            let r = task_command(&core, cmd, json).await;
            core.db.close().await;
            r
        }
        Command::MailLog(args) => {
            let core = Core::open(config, Arc::new(SystemClock)).await?;
            let r = mail_log_command(&core, args, json).await;
            core.db.close().await;
            r
        }
        Command::Reset(cmd) => {
            let core = Core::open(config, Arc::new(SystemClock)).await?;
            let r = reset_command(&core, cmd, json).await;
            core.db.close().await;
            r
        }
        Command::Campaign(cmd) => {
            let core = Core::open(config, Arc::new(SystemClock)).await?;
            let r = campaign_command(&core, cmd, json).await;
            core.db.close().await;
            r
        }
        Command::ApiKey(cmd) => {
            let core = Core::open(config, Arc::new(SystemClock)).await?;
            let r = api_key_command(&core, cmd, json).await;
            core.db.close().await;
            r
        }
        Command::Healthcheck { url } => {
            healthcheck(url.unwrap_or_else(|| {
                let l = config.listen;
                let host = if l.ip().is_unspecified() {
                    "127.0.0.1".to_owned()
                } else {
                    l.ip().to_string()
                };
                format!("http://{host}:{}", l.port())
            }))
            .await?;
            if json {
                return print_json(&serde_json::json!({ "ready": true }));
            }
            println!("ready");
            Ok(())
        }
        Command::Backup { to } => {
            let core = Core::open(config, Arc::new(SystemClock)).await?;
            let r = core.db.backup(&to).await.map_err(anyhow::Error::from);
            core.db.close().await;
            r?;
            if json {
                return print_json(&serde_json::json!({ "snapshot": to }));
            }
            println!("wrote a consistent snapshot to {}", to.display());
            Ok(())
        }
    }
}
