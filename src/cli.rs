//! The `latchkey` command line: runs the server and covers what an operator scripts.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;
use serde::Serialize;

use crate::clock::{format_utc, SystemClock};
use crate::config::{Config, LogFormat, Overrides, Validated};
use crate::domain::{
    format_duration, parse_duration, parse_switch, AccountStatus, DisplayName, EmailAddress,
    PublicUrl, Role, TenantSlug, Username,
};
use crate::mail::templates::MailKind;
use crate::mail::SmtpSettings;
use crate::service::{
    AccountChanges, Actor, Core, CreateAccount, ServiceError, SmtpInput, SmtpSource,
};
use crate::store::mail::{Filter, LogEntry, Task};
use crate::store::{self, Account, Tenant};

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

#[derive(Subcommand)]
enum ResetCommand {
    /// Queue one personal mail per recipient. Prints the campaign id.
    Send {
        #[arg(long)]
        tenant: String,
        /// A username or e-mail address; repeat for several.
        #[arg(long = "user", value_name = "USER")]
        users: Vec<String>,
        /// Every user of the tenant.
        #[arg(long, conflicts_with_all = ["users", "from_file"])]
        all: bool,
        /// A file with usernames or e-mail addresses, one per line ("-" for standard input).
        #[arg(long, value_name = "FILE", conflicts_with = "users")]
        from_file: Option<PathBuf>,
        /// link, temporary-password or request-link (an invitation to request one's own link).
        #[arg(long, default_value = "link")]
        kind: String,
        /// How long the link or temporary password stays valid, from sending (30m to 7d).
        #[arg(long, value_name = "DURATION", default_value = "24h")]
        valid_for: String,
        /// Send at this time (RFC 3339, e.g. 2026-12-01T08:00:00+01:00).
        #[arg(long, value_name = "TIME", conflicts_with = "delay")]
        at: Option<String>,
        /// Send after the tenant's admin reset delay instead of now.
        #[arg(long)]
        delay: bool,
        /// Your own subject (with --text-file).
        #[arg(long)]
        subject: Option<String>,
        /// Your own text, which must contain the kind's placeholder ({{ reset_link }} …).
        #[arg(long, value_name = "FILE")]
        text_file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create a key. It is printed once; only its hash is stored.
    Create {
        /// The tenant the key may use.
        #[arg(long, required_unless_present = "all_tenants")]
        tenant: Option<String>,
        /// A key for every tenant (as a system administrator would create it).
        #[arg(long, conflicts_with = "tenant")]
        all_tenants: bool,
        /// What the key is for, e.g. "HR sync".
        #[arg(long)]
        name: String,
        /// users:read, users:write, resets:send, mail:read, auth:check, settings:write or
        /// audit:read; repeat for several.
        #[arg(long = "scope", value_name = "SCOPE", required = true)]
        scopes: Vec<String>,
        /// Stop working after this long, e.g. 90d.
        #[arg(long, value_name = "DURATION")]
        expires_in: Option<String>,
    },
    /// List keys (never the keys themselves) with their tenant, scopes, state and last use:
    /// of one tenant, or every key (all-tenants keys and each tenant's).
    List {
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Revoke a key at once: applications using it are refused from then on.
    Revoke {
        /// The key's ID, as shown by `latchkey api-key list`.
        id: i64,
    },
    /// List the scopes a key can have, with what each allows.
    Scopes,
}

#[derive(Args)]
struct AuditLogArgs {
    /// Only this tenant's events (default: every tenant's and the system's).
    #[arg(long, value_name = "SLUG")]
    tenant: Option<String>,
    /// Only actions starting with this text: `account` matches account.created, account.deleted ….
    #[arg(long, value_name = "TEXT")]
    action: Option<String>,
    /// Only actors containing this text (case-insensitive), e.g. alice@acme, cli or api-key:3.
    #[arg(long, value_name = "TEXT")]
    actor: Option<String>,
    /// Only targets containing this text (case-insensitive): a username, a tenant, a key's name.
    #[arg(long, value_name = "TEXT")]
    target: Option<String>,
    /// Only this outcome: success, failure, refused or throttled.
    #[arg(long)]
    outcome: Option<String>,
    /// Only events on or after this day (UTC), e.g. 2026-11-22.
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Only events on or before this day (UTC), e.g. 2026-11-30.
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// Show at most this many events.
    #[arg(long, value_name = "N", default_value_t = 50)]
    limit: i64,
    /// Skip this many events first (to page through a long log).
    #[arg(long, value_name = "N", default_value_t = 0)]
    offset: i64,
}

#[derive(Subcommand)]
enum TemplateCommand {
    /// Every mail kind in every language, and whether the tenant has its own text.
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Print a template: the tenant's own, or the built-in one its mail uses.
    Show {
        #[arg(long)]
        tenant: String,
        /// The mail kind, e.g. reset_link.
        kind: String,
        /// en or de.
        #[arg(long, value_name = "LANG", default_value = "en")]
        lang: String,
    },
    /// Save the tenant's own template; parts not given keep their current text. Checked first:
    /// a refused template changes nothing.
    Set {
        #[arg(long)]
        tenant: String,
        /// The mail kind, e.g. reset_link.
        kind: String,
        /// en or de.
        #[arg(long, value_name = "LANG")]
        lang: String,
        #[command(flatten)]
        parts: TemplateParts,
    },
    /// Go back to the built-in template.
    Reset {
        #[arg(long)]
        tenant: String,
        /// The mail kind, e.g. reset_link.
        kind: String,
        /// en or de.
        #[arg(long, value_name = "LANG")]
        lang: String,
    },
    /// Render a template with sample data (reset links and temporary passwords masked): the
    /// current one, or with the parts given here (nothing is saved).
    Preview {
        #[arg(long)]
        tenant: String,
        /// The mail kind, e.g. reset_link.
        kind: String,
        /// en or de.
        #[arg(long, value_name = "LANG", default_value = "en")]
        lang: String,
        #[command(flatten)]
        parts: TemplateParts,
    },
}

#[derive(Args)]
struct TemplateParts {
    /// The subject (at most 300 characters).
    #[arg(long)]
    subject: Option<String>,
    /// A file with the text part ("-" for standard input).
    #[arg(long, value_name = "FILE")]
    text_file: Option<PathBuf>,
    /// A file with the HTML part ("-" for standard input).
    #[arg(long, value_name = "FILE")]
    html_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum CampaignCommand {
    /// Campaigns of a tenant, newest first, with their status counts.
    List {
        #[arg(long)]
        tenant: String,
    },
    /// One campaign: each recipient's status, and the skipped ones with the reason.
    Show {
        #[arg(long)]
        tenant: String,
        id: i64,
    },
    /// Cancel every waiting mail of a campaign.
    Cancel {
        #[arg(long)]
        tenant: String,
        id: i64,
    },
    /// Queue every failed mail of a campaign again.
    RedoFailed {
        #[arg(long)]
        tenant: String,
        id: i64,
    },
}

#[derive(Subcommand)]
enum TaskCommand {
    /// List mail tasks, newest first.
    List {
        /// Only this tenant's mail (default: every tenant and system mail).
        #[arg(long, value_name = "SLUG")]
        tenant: Option<String>,
        /// Only tasks in this status: waiting, executing, done, failed or cancelled.
        #[arg(long)]
        status: Option<String>,
        /// Only this kind of mail: reset_link, admin_reset_link, temporary_password,
        /// password_changed, reset_email_changed, campaign or smtp_test.
        #[arg(long)]
        kind: Option<String>,
        /// Only recipients whose address contains this text (case-insensitive).
        #[arg(long, value_name = "TEXT")]
        recipient: Option<String>,
        /// Only tasks created on or after this day (UTC), e.g. 2026-11-22.
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Only tasks created on or before this day (UTC).
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
        /// Show at most this many tasks.
        #[arg(long, value_name = "N", default_value_t = 50)]
        limit: i64,
        /// Skip this many tasks first (to page through long lists).
        #[arg(long, value_name = "N", default_value_t = 0)]
        offset: i64,
    },
    /// Show one task: its fields, the message (one-time links and passwords masked) and
    /// every delivery attempt.
    Show {
        /// Task ID, as shown by `latchkey task list`.
        id: i64,
        /// Only find the task if it belongs to this tenant.
        #[arg(long, value_name = "SLUG")]
        tenant: Option<String>,
    },
    /// Queue a failed or done task again, due now with a fresh attempt budget.
    /// A running `latchkey serve` sends it within its poll interval.
    Redo {
        /// Task ID, as shown by `latchkey task list`.
        id: i64,
        /// Only act on the task if it belongs to this tenant.
        #[arg(long, value_name = "SLUG")]
        tenant: Option<String>,
    },
    /// Cancel a waiting task so it is never sent.
    Cancel {
        /// Task ID, as shown by `latchkey task list`.
        id: i64,
        /// Only act on the task if it belongs to this tenant.
        #[arg(long, value_name = "SLUG")]
        tenant: Option<String>,
    },
}

#[derive(Args)]
struct MailLogArgs {
    /// Only this tenant's mail (default: every tenant and system mail).
    #[arg(long, value_name = "SLUG")]
    tenant: Option<String>,
    /// Only attempts with this result: success or failure.
    #[arg(long)]
    result: Option<String>,
    /// Only this kind of mail: reset_link, admin_reset_link, temporary_password,
    /// password_changed, reset_email_changed, campaign or smtp_test.
    #[arg(long)]
    kind: Option<String>,
    /// Only recipients whose address contains this text (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    recipient: Option<String>,
    /// Only attempts of this task (its ID from `latchkey task list`).
    #[arg(long, value_name = "ID")]
    task: Option<i64>,
    /// Only attempts on or after this day (UTC), e.g. 2026-11-22.
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Only attempts on or before this day (UTC).
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// Show at most this many rows.
    #[arg(long, value_name = "N", default_value_t = 50)]
    limit: i64,
    /// Skip this many rows first (to page through a long log).
    #[arg(long, value_name = "N", default_value_t = 0)]
    offset: i64,
}

#[derive(Subcommand)]
enum SmtpCommand {
    /// Show the SMTP settings (the password only as "set"/"not set").
    Show {
        /// A tenant's own override instead of the system settings.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Change SMTP settings; options not given keep their value.
    Set {
        /// Change this tenant's override instead of the system settings.
        #[arg(long)]
        tenant: Option<String>,
        #[command(flatten)]
        values: SmtpArgs,
    },
    /// Connect, encrypt, sign in and (with --to) send a test message, showing each step.
    /// Exits with status 1 when a step fails. Options check unsaved values on top of the
    /// settings in effect (also those of LATCHKEY_SMTP_*); --enabled and --max-per-hour are
    /// refused.
    Check {
        /// Send a test message to this address.
        #[arg(long, value_name = "ADDRESS")]
        to: Option<String>,
        #[arg(long)]
        tenant: Option<String>,
        #[command(flatten)]
        values: SmtpArgs,
    },
}

#[derive(Args, Default)]
struct SmtpArgs {
    /// Send mail at all: on or off.
    #[arg(long, value_name = "on|off")]
    enabled: Option<String>,
    /// Mail server host: a DNS name or an IP address (IPv6 without brackets; the port goes in
    /// --port).
    #[arg(long)]
    host: Option<String>,
    /// Port: 587 for starttls, 465 for tls, 25 for a local relay.
    #[arg(long)]
    port: Option<u16>,
    /// starttls (default), tls (implicit, port 465) or none (no encryption: trusted relays only).
    #[arg(long, value_name = "MODE")]
    security: Option<String>,
    /// Sign in to the server: on or off.
    #[arg(long, value_name = "on|off")]
    auth: Option<String>,
    #[arg(long)]
    username: Option<String>,
    /// Read the password from standard input. `env:NAME` or `file:/path` store a reference
    /// instead of the password.
    #[arg(long)]
    password_stdin: bool,
    /// Sender address.
    #[arg(long, value_name = "ADDRESS")]
    from: Option<String>,
    /// Sender display name.
    #[arg(long, value_name = "NAME")]
    from_name: Option<String>,
    #[arg(long, value_name = "ADDRESS")]
    reply_to: Option<String>,
    /// Name to introduce ourselves with (EHLO); default "localhost".
    #[arg(long, value_name = "NAME")]
    helo_name: Option<String>,
    /// How long to wait for the server, e.g. 30s.
    #[arg(long, value_name = "DURATION")]
    timeout: Option<String>,
    /// PEM file of an extra CA to trust (for an internal mail server); "" removes it.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// At most N mails per hour through this server (a provider's quota); 0 = no limit.
    /// Mail over the limit waits for the next hour; none is dropped.
    #[arg(long, value_name = "N")]
    max_per_hour: Option<u32>,
}

impl SmtpArgs {
    fn any(&self) -> bool {
        self.enabled.is_some()
            || self.host.is_some()
            || self.port.is_some()
            || self.security.is_some()
            || self.auth.is_some()
            || self.username.is_some()
            || self.password_stdin
            || self.from.is_some()
            || self.from_name.is_some()
            || self.reply_to.is_some()
            || self.helo_name.is_some()
            || self.timeout.is_some()
            || self.ca_file.is_some()
            || self.max_per_hour.is_some()
    }

    /// These values on top of `base`.
    fn apply(&self, mut s: SmtpSettings) -> anyhow::Result<SmtpInput> {
        if let Some(v) = &self.enabled {
            s.enabled = parse_switch("--enabled", v)?;
        }
        if let Some(v) = &self.host {
            s.host = v.trim().to_owned();
        }
        if let Some(v) = self.port {
            s.port = v;
        }
        if let Some(v) = &self.security {
            s.security = v.parse()?;
        }
        if let Some(v) = &self.auth {
            s.auth = parse_switch("--auth", v)?;
        }
        if let Some(v) = &self.username {
            s.username = v.clone();
        }
        if let Some(v) = &self.from {
            s.from_address = v.clone();
        }
        if let Some(v) = &self.from_name {
            s.from_name = v.clone();
        }
        if let Some(v) = &self.reply_to {
            s.reply_to = v.clone();
        }
        if let Some(v) = &self.helo_name {
            s.helo_name = v.clone();
        }
        if let Some(v) = &self.timeout {
            s.timeout_secs = parse_duration("--timeout", v)?.as_secs();
        }
        if let Some(p) = &self.ca_file {
            s.extra_ca_pem = if p.as_os_str().is_empty() {
                String::new()
            } else {
                std::fs::read_to_string(p)
                    .map_err(|e| anyhow::anyhow!("--ca-file {}: {e}", p.display()))?
            };
        }
        if let Some(n) = self.max_per_hour {
            s.max_per_hour = n;
        }
        let new_password = if self.password_stdin {
            Some(read_password_stdin()?)
        } else {
            None
        };
        Ok(SmtpInput {
            settings: s,
            new_password,
        })
    }
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a tenant. Its pages live under /t/SLUG/.
    Create {
        /// Short name used in addresses: lowercase letters, digits, dashes.
        slug: String,
        /// Display name (default: the slug).
        #[arg(long)]
        name: Option<String>,
        /// Public URL for this tenant's links, if it differs from the system's.
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
    },
    /// List all tenants.
    List,
    /// Show a tenant and its settings.
    Show { slug: String },
    /// Change a tenant's name, public URL or settings.
    Set(TenantSet),
}

#[derive(Args)]
struct TenantSet {
    slug: String,
    #[arg(long)]
    name: Option<String>,
    /// Public URL for this tenant's links; "" removes it.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Self-service password reset: on or off.
    #[arg(long, value_name = "on|off")]
    password_reset: Option<String>,
    /// How long a reset link stays valid, e.g. 30m (5m to 24h).
    #[arg(long, value_name = "DURATION")]
    reset_link_ttl: Option<String>,
    /// Minimum password length (8 to 64).
    #[arg(long, value_name = "N")]
    min_password_length: Option<i64>,
    /// Default delay for admin-triggered resets, e.g. 10m.
    #[arg(long, value_name = "DURATION")]
    admin_reset_delay: Option<String>,
    /// Send reset links to the primary address when no reset address is set: on or off.
    #[arg(long, value_name = "on|off")]
    reset_fallback_to_primary: Option<String>,
    /// Default language of pages and mail: en or de.
    #[arg(long, value_name = "LANG")]
    default_language: Option<String>,
    /// Enable or disable the whole tenant: on or off.
    #[arg(long, value_name = "on|off")]
    enabled: Option<String>,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account.
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        username: String,
        /// Primary e-mail address.
        #[arg(long)]
        email: Option<String>,
        /// E-mail address for password reset (may differ from the primary one).
        #[arg(long)]
        reset_email: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from the first line of standard input. Without it the account has
        /// no password until one is set.
        #[arg(long)]
        password_stdin: bool,
        /// Make the account a system administrator (Admin-Center; default tenant only).
        #[arg(long, conflicts_with = "tenant_admin")]
        system_admin: bool,
        /// Make the account an administrator of its tenant.
        #[arg(long)]
        tenant_admin: bool,
        /// With --password-stdin: the person must choose a new password at the first sign-in.
        #[arg(long, requires = "password_stdin")]
        must_change_password: bool,
    },
    /// List accounts, optionally filtered by a keyword (username, name or e-mail).
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        query: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[arg(long, default_value_t = 0)]
        offset: i64,
    },
    /// Show one account.
    Show {
        #[arg(long)]
        tenant: String,
        username: String,
    },
    /// Change an account's addresses, name, role or password.
    Set {
        #[arg(long)]
        tenant: String,
        username: String,
        /// Primary e-mail address; "" removes it.
        #[arg(long)]
        email: Option<String>,
        /// E-mail address for password reset; "" removes it.
        #[arg(long)]
        reset_email: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// user, tenant-admin or system-admin.
        #[arg(long)]
        role: Option<String>,
        /// Read a new password from standard input; ends the account's sessions.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account: it can't sign in, its sessions end and the API keys it made in the
    /// console are revoked.
    Disable {
        #[arg(long)]
        tenant: String,
        username: String,
    },
    /// Enable a disabled account.
    Enable {
        #[arg(long)]
        tenant: String,
        username: String,
    },
    /// Delete an account for good: its sessions and reset links end with it and the API keys it
    /// made in the console are revoked (the audit log keeps what happened). To stop sign-ins but keep the account, disable it instead.
    Delete {
        #[arg(long)]
        tenant: String,
        username: String,
    },
    /// Create accounts from a CSV file: all rows, or — when any row has an error — none.
    ///
    /// The first line names the columns: username (required), email, reset_email, display_name,
    /// role (user or tenant-admin; user when empty). Quotes, a UTF-8 byte-order mark and CRLF
    /// line ends are fine; at most 5000 rows. Imported accounts have no password. Prints every
    /// row with OK or its errors; exit status 1 when nothing was imported.
    Import {
        #[arg(long)]
        tenant: String,
        /// The CSV file; `-` reads standard input.
        file: PathBuf,
        /// Check every row and print the report, but create nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write every account of a tenant to standard output as CSV: username, email, reset_email,
    /// display_name, role, status (never password hashes).
    Export {
        #[arg(long)]
        tenant: String,
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
fn error_json(e: &anyhow::Error) -> serde_json::Value {
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

/// `GET {base}/readyz` over plain HTTP/1.1 on loopback or the listen address; no TLS.
async fn healthcheck(base: String) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let url = url::Url::parse(&base).map_err(|e| anyhow::anyhow!("--url {base}: {e}"))?;
    anyhow::ensure!(
        url.scheme() == "http",
        "--url must be http:// (health checks talk to the instance directly)"
    );
    let host = url.host_str().unwrap_or("127.0.0.1").to_owned();
    let port = url.port_or_known_default().unwrap_or(80);
    let check = async {
        let mut stream = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
        let req = format!("GET /readyz HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        stream.write_all(req.as_bytes()).await?;
        let mut buf = Vec::new();
        stream.read_to_end(&mut buf).await?;
        Ok::<_, std::io::Error>(String::from_utf8_lossy(&buf).into_owned())
    };
    let answer = tokio::time::timeout(std::time::Duration::from_secs(5), check)
        .await
        .map_err(|_| anyhow::anyhow!("{base}/readyz did not answer within 5 s"))?
        .map_err(|e| anyhow::anyhow!("{base}/readyz: {e}"))?;
    let status = answer.split_whitespace().nth(1).unwrap_or("");
    anyhow::ensure!(
        status == "200",
        "{base}/readyz answered {status}: {}",
        answer.lines().last().unwrap_or("")
    );
    Ok(())
}

async fn reset_command(core: &Core, cmd: ResetCommand, json: bool) -> anyhow::Result<()> {
    use crate::service::admin_reset::{AdminReset, Recipients, ResetKind, When};
    let ResetCommand::Send {
        tenant,
        users,
        all,
        from_file,
        kind,
        valid_for,
        at,
        delay,
        subject,
        text_file,
    } = cmd;
    let tenant = core.tenant(&tenant).await?;
    let kind = ResetKind::parse(&kind)?;
    let recipients = if all {
        Recipients::All
    } else if let Some(path) = from_file {
        let text = if path.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin())?
        } else {
            std::fs::read_to_string(&path)
                .map_err(|e| anyhow::anyhow!("--from-file {}: {e}", path.display()))?
        };
        Recipients::Identifiers(Core::parse_identifiers(&text))
    } else if !users.is_empty() {
        Recipients::Identifiers(users)
    } else {
        anyhow::bail!("say who gets the mail: --user U (repeatable), --all or --from-file F");
    };
    let when = match (at, delay) {
        (Some(t), _) => {
            let parsed =
                time::OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339)
                    .map_err(|_| {
                        anyhow::anyhow!("--at: `{t}` is not a time like 2026-12-01T08:00:00+01:00")
                    })?;
            When::At(parsed.unix_timestamp())
        }
        (None, true) => When::AfterDelay,
        (None, false) => When::Now,
    };
    let custom = match (subject, text_file) {
        (s, Some(path)) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| anyhow::anyhow!("--text-file {}: {e}", path.display()))?;
            Some((
                s.unwrap_or_else(|| "{{ tenant_name }}: your password".into()),
                text.replace("\r\n", "\n"),
            ))
        }
        (Some(_), None) => anyhow::bail!("--subject needs --text-file"),
        (None, None) => None,
    };
    let valid_for_secs = parse_duration("--valid-for", &valid_for)?.as_secs() as i64;
    let req = AdminReset {
        kind,
        when,
        valid_for_secs,
        recipients,
        custom,
        may_reset_system_admins: true,
    };
    let id = core
        .create_campaign(&Actor::Cli, &tenant, req, None)
        .await?;
    print_campaign(core, &tenant, id, json).await
}

async fn print_campaign(core: &Core, tenant: &Tenant, id: i64, json: bool) -> anyhow::Result<()> {
    let c = core.campaign_in_scope(Some(tenant), id).await?;
    let counts = store::mail::counts(&core.db, Some(tenant.id), Some(id)).await?;
    let skipped = store::campaigns::skipped(&core.db, id).await?;
    let tasks = store::mail::list(
        &core.db,
        &store::mail::Filter {
            tenant_id: Some(tenant.id),
            campaign_id: Some(id),
            limit: 100_000,
            ..Default::default()
        },
    )
    .await?;
    if json {
        return print_json(&serde_json::json!({
            "campaign": c,
            "counts": counts.iter().map(|(s, n)| (s.clone(), *n)).collect::<std::collections::BTreeMap<_, _>>(),
            "recipients": tasks.iter().map(|t| serde_json::json!({
                "task": t.id, "recipient": t.recipient, "status": t.status, "attempts": t.attempts, "last_error": t.last_error,
            })).collect::<Vec<_>>(),
            "skipped": skipped,
        }));
    }
    println!(
        "campaign {} ({}), scheduled {}, by {}",
        c.id,
        c.kind,
        format_utc(c.scheduled_at),
        c.created_by
    );
    let summary: Vec<String> = counts.iter().map(|(s, n)| format!("{s}: {n}")).collect();
    println!(
        "status: {}{}",
        summary.join(", "),
        if skipped.is_empty() {
            String::new()
        } else {
            format!(", skipped: {}", skipped.len())
        }
    );
    for t in tasks.iter().rev() {
        println!("  {:<8} {:<10} {}", t.id, t.status, t.recipient);
    }
    for s in &skipped {
        println!("  skipped  {:<24} {}", s.identifier, s.reason);
    }
    Ok(())
}

async fn campaign_command(core: &Core, cmd: CampaignCommand, json: bool) -> anyhow::Result<()> {
    match cmd {
        CampaignCommand::List { tenant } => {
            let tenant = core.tenant(&tenant).await?;
            let list = store::campaigns::list(&core.db, tenant.id, 1000, 0).await?;
            if json {
                return print_json(&list);
            }
            println!(
                "{:<6} {:<20} {:<22} {:<24} STATUS",
                "ID", "KIND", "SCHEDULED", "BY"
            );
            for c in list {
                let counts = store::mail::counts(&core.db, Some(tenant.id), Some(c.id)).await?;
                let summary: Vec<String> = counts.iter().map(|(s, n)| format!("{s}:{n}")).collect();
                println!(
                    "{:<6} {:<20} {:<22} {:<24} {}",
                    c.id,
                    c.kind,
                    format_utc(c.scheduled_at),
                    c.created_by,
                    summary.join(" ")
                );
            }
            Ok(())
        }
        CampaignCommand::Show { tenant, id } => {
            let tenant = core.tenant(&tenant).await?;
            print_campaign(core, &tenant, id, json).await
        }
        CampaignCommand::Cancel { tenant, id } => {
            let tenant = core.tenant(&tenant).await?;
            let n = core.cancel_campaign(&Actor::Cli, &tenant, id, None).await?;
            if json {
                return print_json(&serde_json::json!({ "campaign": id, "cancelled": n }));
            }
            println!("cancelled {n} waiting mails of campaign {id}");
            Ok(())
        }
        CampaignCommand::RedoFailed { tenant, id } => {
            let tenant = core.tenant(&tenant).await?;
            let n = core
                .redo_campaign_failures(&Actor::Cli, &tenant, id, None)
                .await?;
            if json {
                return print_json(&serde_json::json!({ "campaign": id, "queued": n }));
            }
            println!("queued {n} failed mails of campaign {id} again");
            Ok(())
        }
    }
}

async fn serve(config: Validated) -> anyhow::Result<()> {
    let app = crate::App::build(config).await?;
    let public = app.core().config.public_url.as_str().to_owned();
    tracing::info!(listen = %app.core().config.listen, public_url = %public, "Latchkey is running");
    if let Some(link) = app.setup_link() {
        // Printed to the console on purpose, and never through the logger.
        eprintln!(
            "\nNo administrator exists yet. Open this one-time link within 24 hours to create one:\n\n    {link}\n\n\
             (or run: latchkey user create --tenant {} --username admin --system-admin --password-stdin)\n",
            app.core().config.raw.default_tenant
        );
    }
    app.run_until_stopped().await
}

fn read_password_stdin() -> anyhow::Result<SecretString> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let pw = line.strip_suffix('\n').unwrap_or(&line);
    let pw = pw.strip_suffix('\r').unwrap_or(pw);
    if pw.is_empty() {
        anyhow::bail!("--password-stdin: no password on standard input (pipe it in, e.g. `printf '%s' \"$PW\" | latchkey …`)");
    }
    Ok(SecretString::from(pw.to_owned()))
}

fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn onoff(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

fn print_tenant(t: &Tenant) {
    let s = &t.settings;
    println!("tenant:                    {}", t.slug);
    println!("name:                      {}", t.display_name);
    println!(
        "status:                    {}",
        if t.enabled { "enabled" } else { "disabled" }
    );
    println!(
        "public url:                {}",
        t.public_url.as_deref().unwrap_or("(system public_url)")
    );
    println!(
        "password reset:            {}",
        onoff(s.password_reset_enabled)
    );
    println!(
        "reset link ttl:            {}",
        format_duration(s.reset_link_ttl_secs)
    );
    println!("min password length:       {}", s.password_min_length);
    println!(
        "admin reset delay:         {}",
        format_duration(s.admin_reset_delay_secs)
    );
    println!(
        "reset fallback to primary: {}",
        onoff(s.reset_fallback_to_primary)
    );
    println!("default language:          {}", s.default_language.as_str());
    println!("created:                   {}", format_utc(t.created_at));
}

async fn tenant_command(core: &Core, cmd: TenantCommand, json: bool) -> anyhow::Result<()> {
    let actor = Actor::Cli;
    match cmd {
        TenantCommand::Create {
            slug,
            name,
            public_url,
        } => {
            let slug = TenantSlug::parse(&slug)?;
            let name = name.as_deref().map(DisplayName::parse).transpose()?;
            let url = public_url.as_deref().map(PublicUrl::parse).transpose()?;
            let t = core
                .create_tenant(&actor, &slug, name.as_ref(), url.as_ref())
                .await?;
            if json {
                return print_json(&t);
            }
            println!(
                "created tenant `{}`: {}",
                t.slug,
                core.config.public_url.join(&format!("/t/{}/login", t.slug))
            );
        }
        TenantCommand::List => {
            let tenants = store::tenants::list(&core.db).await?;
            if json {
                return print_json(&tenants);
            }
            println!(
                "{:<24} {:<8} {:<14} NAME",
                "SLUG", "STATUS", "PASSWORD-RESET"
            );
            for t in tenants {
                let status = if t.enabled { "enabled" } else { "disabled" };
                println!(
                    "{:<24} {:<8} {:<14} {}",
                    t.slug,
                    status,
                    onoff(t.settings.password_reset_enabled),
                    t.display_name
                );
            }
        }
        TenantCommand::Show { slug } => {
            let t = core.tenant(&slug).await?;
            if json {
                return print_json(&t);
            }
            print_tenant(&t);
        }
        TenantCommand::Set(set) => {
            let mut t = core.tenant(&set.slug).await?;
            let before = t.settings.clone();
            if let Some(n) = &set.name {
                t.display_name = DisplayName::parse(n)?.as_str().to_owned();
            }
            if let Some(u) = &set.public_url {
                t.public_url = if u.trim().is_empty() {
                    None
                } else {
                    Some(PublicUrl::parse(u)?.as_str().to_owned())
                };
            }
            let s = &mut t.settings;
            if let Some(v) = &set.password_reset {
                s.password_reset_enabled = parse_switch("--password-reset", v)?;
            }
            if let Some(v) = &set.reset_link_ttl {
                s.reset_link_ttl_secs = parse_duration("--reset-link-ttl", v)?.as_secs() as i64;
            }
            if let Some(n) = set.min_password_length {
                s.password_min_length = n;
            }
            if let Some(v) = &set.admin_reset_delay {
                s.admin_reset_delay_secs =
                    parse_duration("--admin-reset-delay", v)?.as_secs() as i64;
            }
            if let Some(v) = &set.reset_fallback_to_primary {
                s.reset_fallback_to_primary = parse_switch("--reset-fallback-to-primary", v)?;
            }
            if let Some(v) = &set.default_language {
                s.default_language = v.parse()?;
            }
            if let Some(v) = &set.enabled {
                t.enabled = parse_switch("--enabled", v)?;
            }
            core.update_tenant(&actor, &t, &before).await?;
            if json {
                return print_json(&t);
            }
            print_tenant(&t);
        }
    }
    Ok(())
}

fn print_account(a: &Account, tenant: &Tenant) {
    println!("tenant:               {}", tenant.slug);
    println!("username:             {}", a.username);
    println!("name:                 {}", a.display_name);
    println!(
        "e-mail:               {}",
        a.email.as_deref().unwrap_or("-")
    );
    println!(
        "reset e-mail:         {}",
        a.reset_email.as_deref().unwrap_or("-")
    );
    println!("role:                 {}", a.role.as_str());
    println!("status:               {}", a.status.as_str());
    println!(
        "password:             {}",
        if a.password_hash.is_some() {
            "set"
        } else {
            "not set"
        }
    );
    println!(
        "must change password: {}",
        if a.must_change_password { "yes" } else { "no" }
    );
    println!("created:              {}", format_utc(a.created_at));
}

/// `""` means "remove"; anything else must be a valid address.
fn optional_email(raw: Option<&str>) -> anyhow::Result<Option<Option<EmailAddress>>> {
    Ok(match raw {
        None => None,
        Some(s) if s.trim().is_empty() => Some(None),
        Some(s) => Some(Some(EmailAddress::parse(s)?)),
    })
}

async fn user_command(core: &Core, cmd: UserCommand, json: bool) -> anyhow::Result<()> {
    let actor = Actor::Cli;
    match cmd {
        UserCommand::Create {
            tenant,
            username,
            email,
            reset_email,
            display_name,
            password_stdin,
            system_admin,
            tenant_admin,
            must_change_password,
        } => {
            let tenant = core.tenant(&tenant).await?;
            let role = if system_admin {
                Role::SystemAdmin
            } else if tenant_admin {
                Role::TenantAdmin
            } else {
                Role::User
            };
            let new = CreateAccount {
                username: Username::parse(&username)?,
                display_name: display_name
                    .as_deref()
                    .map(DisplayName::parse)
                    .transpose()?,
                email: optional_email(email.as_deref())?.flatten(),
                reset_email: optional_email(reset_email.as_deref())?.flatten(),
                password: if password_stdin {
                    Some(read_password_stdin()?)
                } else {
                    None
                },
                role,
            };
            let a = core
                .create_account_with(&actor, &tenant, new, must_change_password, None)
                .await?;
            if json {
                return print_json(&a);
            }
            println!(
                "created {} `{}` in tenant `{}`",
                a.role.as_str(),
                a.username,
                tenant.slug
            );
            if a.password_hash.is_none() {
                println!("note: the account has no password yet; set one with `latchkey user set --tenant {} {} --password-stdin`", tenant.slug, a.username);
            }
        }
        UserCommand::List {
            tenant,
            query,
            limit,
            offset,
        } => {
            let tenant = core.tenant(&tenant).await?;
            let accounts = store::accounts::search(
                &core.db,
                tenant.id,
                query.as_deref().unwrap_or(""),
                limit.clamp(1, 10_000),
                offset.max(0),
            )
            .await?;
            if json {
                return print_json(&accounts);
            }
            println!(
                "{:<24} {:<13} {:<9} {:<32} RESET-EMAIL",
                "USERNAME", "ROLE", "STATUS", "E-MAIL"
            );
            for a in accounts {
                println!(
                    "{:<24} {:<13} {:<9} {:<32} {}",
                    a.username,
                    a.role.as_str(),
                    a.status.as_str(),
                    a.email.as_deref().unwrap_or("-"),
                    a.reset_email.as_deref().unwrap_or("-")
                );
            }
        }
        UserCommand::Show { tenant, username } => {
            let tenant = core.tenant(&tenant).await?;
            let a = core.account_by_username(&tenant, &username).await?;
            if json {
                return print_json(&a);
            }
            print_account(&a, &tenant);
        }
        UserCommand::Set {
            tenant,
            username,
            email,
            reset_email,
            display_name,
            role,
            password_stdin,
        } => {
            let tenant = core.tenant(&tenant).await?;
            let a = core.account_by_username(&tenant, &username).await?;
            let changes = AccountChanges {
                display_name: display_name
                    .as_deref()
                    .map(DisplayName::parse)
                    .transpose()?,
                email: optional_email(email.as_deref())?,
                reset_email: optional_email(reset_email.as_deref())?,
                role: role.as_deref().map(str::parse::<Role>).transpose()?,
            };
            let password = if password_stdin {
                Some(read_password_stdin()?)
            } else {
                None
            };
            let a = core.update_account(&actor, &tenant, a, changes).await?;
            if let Some(pw) = password {
                core.admin_set_password(&actor, &tenant, &a, &pw).await?;
            }
            let a = core.account_by_username(&tenant, &username).await?;
            if json {
                return print_json(&a);
            }
            print_account(&a, &tenant);
        }
        UserCommand::Disable { tenant, username } => {
            let tenant = core.tenant(&tenant).await?;
            let a = core.account_by_username(&tenant, &username).await?;
            core.set_account_status(&actor, &tenant, &a, AccountStatus::Disabled)
                .await?;
            if json {
                return print_json(&core.account_by_username(&tenant, &a.username).await?);
            }
            println!("disabled `{}`; its sessions have ended", a.username);
        }
        UserCommand::Import {
            tenant,
            file,
            dry_run,
        } => return user_import(core, &tenant, &file, dry_run, json).await,
        UserCommand::Export { tenant } => {
            let tenant = core.tenant(&tenant).await?;
            if json {
                return user_export_json(core, &tenant).await;
            }
            let csv = core.export_users_csv(&actor, &tenant, None).await?;
            print!("{csv}");
        }
        UserCommand::Enable { tenant, username } => {
            let tenant = core.tenant(&tenant).await?;
            let a = core.account_by_username(&tenant, &username).await?;
            core.set_account_status(&actor, &tenant, &a, AccountStatus::Active)
                .await?;
            if json {
                return print_json(&core.account_by_username(&tenant, &a.username).await?);
            }
            println!("enabled `{}`", a.username);
        }
        UserCommand::Delete { tenant, username } => {
            let tenant = core.tenant(&tenant).await?;
            let a = core.account_by_username(&tenant, &username).await?;
            core.delete_account(&actor, &tenant, &a, None).await?;
            if json {
                return print_json(&serde_json::json!({
                    "deleted": true, "tenant": tenant.slug, "username": a.username,
                }));
            }
            println!(
                "deleted `{}` from tenant `{}`; its sessions and reset links have ended",
                a.username, tenant.slug
            );
        }
    }
    Ok(())
}

/// `latchkey user export --json`: the CSV's columns as one JSON array (values as stored: the
/// spreadsheet-formula defusing of the CSV is not needed here). Audited like the CSV export.
async fn user_export_json(core: &Core, tenant: &Tenant) -> anyhow::Result<()> {
    const PAGE: i64 = 1000;
    let mut rows = Vec::new();
    loop {
        let page =
            store::accounts::search(&core.db, tenant.id, "", PAGE, rows.len() as i64).await?;
        let n = page.len() as i64;
        rows.extend(page.into_iter().map(|a| {
            serde_json::json!({
                "username": a.username,
                "email": a.email,
                "reset_email": a.reset_email,
                "display_name": a.display_name,
                "role": a.role.as_str(),
                "status": a.status.as_str(),
            })
        }));
        if n < PAGE {
            break;
        }
    }
    core.audit(crate::service::AuditEntry {
        tenant_id: Some(tenant.id),
        actor: &Actor::Cli,
        action: "account.exported",
        target: None,
        ip: None,
        outcome: "success",
        detail: serde_json::json!({ "count": rows.len(), "format": "json" }),
    })
    .await;
    print_json(&rows)
}

/// `latchkey user import`: the same check and all-or-nothing import as the console's page.
async fn user_import(
    core: &Core,
    tenant: &str,
    file: &std::path::Path,
    dry_run: bool,
    json: bool,
) -> anyhow::Result<()> {
    let tenant = core.tenant(tenant).await?;
    let bytes = if file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut buf)?;
        buf
    } else {
        std::fs::read(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?
    };
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{}: the file is not UTF-8 text", file.display()))?;
    let report = core
        .import_users(&Actor::Cli, &tenant, &text, dry_run, None)
        .await?;
    if json {
        print_json(&report)?;
    } else {
        for r in &report.rows {
            let check = if r.errors.is_empty() {
                "OK".to_owned()
            } else {
                format!("error: {}", r.errors.join("; "))
            };
            println!("line {:<6} {:<24} {check}", r.line, r.username);
        }
    }
    if let Some(e) = &report.error {
        anyhow::bail!("nothing was imported: {e}");
    }
    if !report.ok() {
        anyhow::bail!(
            "nothing was imported: {} of {} rows have errors",
            report.bad_rows(),
            report.rows.len()
        );
    }
    if !json {
        if dry_run {
            println!(
                "dry run: all {} rows are fine; nothing was changed",
                report.rows.len()
            );
        } else {
            println!(
                "imported {} users into tenant `{}` (without passwords)",
                report.imported, tenant.slug
            );
        }
    }
    Ok(())
}

fn print_smtp(s: &SmtpSettings, source: SmtpSource) {
    let source = match source {
        SmtpSource::Environment => "set by environment (LATCHKEY_SMTP_*)",
        SmtpSource::System => "system settings",
        SmtpSource::Tenant => "tenant override",
        SmtpSource::Unset => "not configured yet",
    };
    println!("source:      {source}");
    println!("enabled:     {}", onoff(s.enabled));
    println!("host:        {}", s.host);
    println!("port:        {}", s.port);
    println!("security:    {}", s.security.as_str());
    println!("auth:        {}", onoff(s.auth));
    println!("username:    {}", s.username);
    println!("password:    {}", s.password_state());
    println!("from:        {} <{}>", s.from_name, s.from_address);
    println!("reply-to:    {}", s.reply_to);
    println!(
        "helo name:   {}",
        if s.helo_name.is_empty() {
            "localhost"
        } else {
            &s.helo_name
        }
    );
    println!("timeout:     {}s", s.timeout_secs);
    if s.max_per_hour == 0 {
        println!("rate limit:  none");
    } else {
        println!("rate limit:  {} mails per hour", s.max_per_hour);
    }
    println!(
        "extra CA:    {}",
        if s.extra_ca_pem.trim().is_empty() {
            "none"
        } else {
            "set"
        }
    );
}

/// The settings as shown to people: the password replaced by how it is kept.
fn smtp_json(s: &SmtpSettings, source: SmtpSource) -> serde_json::Value {
    let mut v = serde_json::to_value(s).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "password".into(),
            serde_json::Value::String(s.password_state()),
        );
        o.insert(
            "source".into(),
            serde_json::to_value(source).unwrap_or_default(),
        );
    }
    v
}

async fn smtp_command(core: &Core, cmd: SmtpCommand, json: bool) -> anyhow::Result<()> {
    let actor = Actor::Cli;
    match cmd {
        SmtpCommand::Show { tenant } => {
            let tenant = match tenant {
                Some(t) => Some(core.tenant(&t).await?),
                None => None,
            };
            let eff = core.smtp_for(tenant.as_ref()).await?;
            if json {
                return print_json(&smtp_json(&eff.settings, eff.source));
            }
            print_smtp(&eff.settings, eff.source);
        }
        SmtpCommand::Set { tenant, values } => {
            let tenant = match tenant {
                Some(t) => Some(core.tenant(&t).await?),
                None => None,
            };
            let current = match &tenant {
                // The tenant's own override (also when switched off), never the system's settings.
                Some(t) => core.tenant_smtp(t).await?.unwrap_or_default(),
                None => core.system_smtp().await?.settings,
            };
            let saved = core
                .save_smtp(&actor, tenant.as_ref(), values.apply(current)?, None)
                .await?;
            let source = if tenant.is_some() {
                SmtpSource::Tenant
            } else {
                SmtpSource::System
            };
            if json {
                return print_json(&smtp_json(&saved, source));
            }
            print_smtp(&saved, source);
        }
        SmtpCommand::Check { to, tenant, values } => {
            let tenant = match tenant {
                Some(t) => Some(core.tenant(&t).await?),
                None => None,
            };
            let to = to.as_deref().map(EmailAddress::parse).transpose()?;
            // A check connects whatever the switch or the quota says: refuse them rather than
            // seem to apply them.
            for (given, option) in [
                (values.enabled.is_some(), "--enabled"),
                (values.max_per_hour.is_some(), "--max-per-hour"),
            ] {
                if given {
                    anyhow::bail!(
                        "{option} has no effect on a check (it connects and signs in whatever that setting says); change it with `latchkey smtp set`"
                    );
                }
            }
            // Every other option applies on top of the settings in effect, `LATCHKEY_SMTP_*`
            // included.
            let input = if values.any() {
                Some(values.apply(core.smtp_for(tenant.as_ref()).await?.settings)?)
            } else {
                None
            };
            let report = core
                .check_smtp(&actor, tenant.as_ref(), input, to, None)
                .await?;
            if json {
                print_json(&report)?;
            } else {
                for s in &report.steps {
                    println!(
                        "{} {:<13} {}",
                        if s.ok { "ok  " } else { "FAIL" },
                        s.label,
                        s.sent.as_deref().unwrap_or("")
                    );
                    for line in s.reply.lines() {
                        println!("                   {line}");
                    }
                    if let Some(h) = &s.hint {
                        println!("     hint: {h}");
                    }
                }
                for skipped in &report.skipped {
                    println!("--   {skipped:<13} skipped (no --to address)");
                }
                println!("{}", report.summary);
            }
            if !report.ok {
                anyhow::bail!("the SMTP check failed");
            }
        }
    }
    Ok(())
}

/// The task statuses `--status` accepts.
const TASK_STATUSES: [&str; 5] = ["waiting", "executing", "done", "failed", "cancelled"];

/// Longest reply or error shown in a list row; `task show` prints them whole.
const LIST_TEXT_WIDTH: usize = 60;

fn parse_task_status(raw: Option<&str>) -> anyhow::Result<Option<String>> {
    let Some(raw) = raw else { return Ok(None) };
    let v = raw.trim().to_ascii_lowercase();
    if TASK_STATUSES.contains(&v.as_str()) {
        Ok(Some(v))
    } else {
        anyhow::bail!(
            "--status: `{}` is not a task status; use one of {}",
            raw.escape_debug(),
            TASK_STATUSES.join(", ")
        )
    }
}

fn parse_log_result(raw: Option<&str>) -> anyhow::Result<Option<String>> {
    let Some(raw) = raw else { return Ok(None) };
    match raw.trim().to_ascii_lowercase().as_str() {
        v @ ("success" | "failure") => Ok(Some(v.to_owned())),
        _ => anyhow::bail!(
            "--result: `{}` is not a result; use success or failure",
            raw.escape_debug()
        ),
    }
}

fn parse_kind(raw: Option<&str>) -> anyhow::Result<Option<String>> {
    let Some(raw) = raw else { return Ok(None) };
    match MailKind::from_str(raw.trim()) {
        Ok(k) => Ok(Some(k.as_str().to_owned())),
        Err(e) => anyhow::bail!(
            "--kind: {e}; use one of {}",
            MailKind::ALL.map(MailKind::as_str).join(", ")
        ),
    }
}

/// A `YYYY-MM-DD` day (UTC) as its first second, or with `end` its last one.
fn parse_day(flag: &str, raw: Option<&str>, end: bool) -> anyhow::Result<Option<i64>> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(raw, &format).map_err(|_| {
        anyhow::anyhow!(
            "{flag}: `{}` is not a date like 2026-11-22",
            raw.escape_debug()
        )
    })?;
    let start = day.midnight().assume_utc().unix_timestamp();
    Ok(Some(if end { start + 86_399 } else { start }))
}

/// `--tenant SLUG` as the tenant, or `None` for "any tenant".
async fn optional_tenant(core: &Core, slug: Option<&str>) -> anyhow::Result<Option<Tenant>> {
    Ok(match slug {
        Some(s) => Some(core.tenant(s).await?),
        None => None,
    })
}

/// On one line and at most `max` characters, for a list column.
fn one_line(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

fn opt_time(ts: Option<crate::clock::Timestamp>) -> String {
    ts.map(format_utc).unwrap_or_else(|| "-".into())
}

/// The tenant's slug for a task or log row, "-" for system mail (no tenant).
async fn tenant_slug(core: &Core, id: Option<i64>) -> anyhow::Result<String> {
    Ok(match id {
        Some(id) => match store::tenants::by_id(&core.db, id).await? {
            Some(t) => t.slug,
            None => format!("#{id} (deleted)"),
        },
        None => "-".into(),
    })
}

/// A task of `tenant` (any tenant when `None`), with an error naming the scope.
async fn find_task(core: &Core, tenant: Option<&Tenant>, id: i64) -> anyhow::Result<Task> {
    match core.task_in_scope(tenant, id).await {
        Ok(t) => Ok(t),
        Err(ServiceError::NotFound(_)) => match tenant {
            Some(t) => anyhow::bail!(
                "there is no mail task {id} in tenant `{}` (see `latchkey task list --tenant {}`)",
                t.slug,
                t.slug
            ),
            None => anyhow::bail!("there is no mail task {id} (see `latchkey task list`)"),
        },
        Err(e) => Err(e.into()),
    }
}

/// A log row as `--json` prints it: the stored fields plus `result`.
#[derive(Serialize)]
struct LogRow<'a> {
    #[serde(flatten)]
    entry: &'a LogEntry,
    result: &'static str,
}

fn log_result(e: &LogEntry) -> &'static str {
    if e.success != 0 {
        "success"
    } else {
        "failure"
    }
}

fn log_rows(entries: &[LogEntry]) -> Vec<LogRow<'_>> {
    entries
        .iter()
        .map(|entry| LogRow {
            entry,
            result: log_result(entry),
        })
        .collect()
}

/// `task show --json`: the task, its tenant, the masked message and the delivery attempts.
#[derive(Serialize)]
struct TaskDetails<'a> {
    #[serde(flatten)]
    task: &'a Task,
    tenant: Option<String>,
    message: Option<MaskedMessage>,
    /// Set when the message could not be rendered.
    render_error: Option<String>,
    deliveries: Vec<LogRow<'a>>,
}

#[derive(Serialize)]
struct MaskedMessage {
    subject: String,
    text: String,
}

async fn task_command(core: &Core, cmd: TaskCommand, json: bool) -> anyhow::Result<()> {
    let actor = Actor::Cli;
    match cmd {
        TaskCommand::List {
            tenant,
            status,
            kind,
            recipient,
            since,
            until,
            limit,
            offset,
        } => {
            let filter = Filter {
                status: parse_task_status(status.as_deref())?,
                kind: parse_kind(kind.as_deref())?,
                tenant_id: optional_tenant(core, tenant.as_deref())
                    .await?
                    .map(|t| t.id),
                recipient: recipient.filter(|r| !r.trim().is_empty()),
                since: parse_day("--since", since.as_deref(), false)?,
                until: parse_day("--until", until.as_deref(), true)?,
                limit: limit.clamp(1, 10_000),
                offset: offset.max(0),
                ..Filter::default()
            };
            let tasks = store::mail::list(&core.db, &filter).await?;
            if json {
                return print_json(&tasks);
            }
            println!(
                "{:<7} {:<20} {:<9} {:<8} {:<19} {:<32} LAST-ERROR",
                "ID", "SCHEDULED", "STATUS", "ATTEMPTS", "KIND", "RECIPIENT"
            );
            for t in tasks {
                println!(
                    "{:<7} {:<20} {:<9} {:<8} {:<19} {:<32} {}",
                    t.id,
                    format_utc(t.scheduled_at),
                    t.status,
                    format!("{}/{}", t.attempts, t.max_attempts),
                    t.kind,
                    t.recipient,
                    t.last_error
                        .as_deref()
                        .map(|e| one_line(e, LIST_TEXT_WIDTH))
                        .unwrap_or_else(|| "-".into())
                );
            }
        }
        TaskCommand::Show { id, tenant } => {
            let tenant = optional_tenant(core, tenant.as_deref()).await?;
            let task = find_task(core, tenant.as_ref(), id).await?;
            let slug = match task.tenant_id {
                Some(_) => Some(tenant_slug(core, task.tenant_id).await?),
                None => None,
            };
            let (message, render_error) = match core.render_masked(&task).await {
                Ok(r) => (
                    Some(MaskedMessage {
                        subject: r.subject,
                        text: r.text,
                    }),
                    None,
                ),
                Err(e) => (None, Some(e.to_string())),
            };
            let log = store::mail::log_list(
                &core.db,
                &Filter {
                    task_id: Some(task.id),
                    limit: 1_000,
                    ..Filter::default()
                },
            )
            .await?;
            if json {
                return print_json(&TaskDetails {
                    task: &task,
                    tenant: slug,
                    message,
                    render_error,
                    deliveries: log_rows(&log),
                });
            }
            print_task(&task, slug.as_deref());
            println!();
            match (&message, &render_error) {
                (Some(m), _) => {
                    println!("message (one-time links and passwords masked):");
                    println!("  Subject: {}", m.subject);
                    println!();
                    for line in m.text.lines() {
                        if line.trim().is_empty() {
                            println!();
                        } else {
                            println!("  {line}");
                        }
                    }
                }
                (None, Some(e)) => println!("message:         cannot be rendered: {e}"),
                (None, None) => {}
            }
            println!();
            if log.is_empty() {
                println!("delivery attempts: none yet");
            } else {
                println!("delivery attempts (newest first):");
                println!(
                    "  {:<20} {:<7} {:<7} {:<4} {:<13} {:>8}  REPLY",
                    "TIME", "ATTEMPT", "RESULT", "CODE", "STEP", "DURATION"
                );
                for e in &log {
                    println!(
                        "  {:<20} {:<7} {:<7} {:<4} {:<13} {:>6}ms  {}",
                        format_utc(e.at),
                        e.attempt,
                        log_result(e),
                        e.smtp_code
                            .map(|c| c.to_string())
                            .unwrap_or_else(|| "-".into()),
                        e.step.as_deref().unwrap_or("-"),
                        e.duration_ms,
                        one_line(&e.smtp_reply, usize::MAX)
                    );
                }
            }
        }
        TaskCommand::Redo { id, tenant } => {
            let tenant = optional_tenant(core, tenant.as_deref()).await?;
            let task = find_task(core, tenant.as_ref(), id).await?;
            if let Err(e) = core.redo_task(&actor, tenant.as_ref(), id, None).await {
                anyhow::bail!("cannot redo task {id} (it is {}): {e}", task.status);
            }
            if json {
                return print_json(&find_task(core, tenant.as_ref(), id).await?);
            }
            println!("queued task {id} again");
        }
        TaskCommand::Cancel { id, tenant } => {
            let tenant = optional_tenant(core, tenant.as_deref()).await?;
            let task = find_task(core, tenant.as_ref(), id).await?;
            if let Err(e) = core.cancel_task(&actor, tenant.as_ref(), id, None).await {
                anyhow::bail!("cannot cancel task {id} (it is {}): {e}", task.status);
            }
            if json {
                return print_json(&find_task(core, tenant.as_ref(), id).await?);
            }
            println!("cancelled task {id}");
        }
    }
    Ok(())
}

/// A task's fields for people. The one-time secret is never shown.
fn print_task(t: &Task, tenant: Option<&str>) {
    let kind = MailKind::from_str(&t.kind)
        .map(|k| format!("{} ({})", t.kind, k.label()))
        .unwrap_or_else(|_| t.kind.clone());
    println!("task:            {}", t.id);
    println!("tenant:          {}", tenant.unwrap_or("- (system mail)"));
    println!("kind:            {kind}");
    println!("status:          {}", t.status);
    if t.recipient_name.is_empty() {
        println!("recipient:       {}", t.recipient);
    } else {
        println!("recipient:       {} <{}>", t.recipient_name, t.recipient);
    }
    println!("language:        {}", t.language);
    println!("subject:         {}", t.subject);
    println!("attempts:        {}/{}", t.attempts, t.max_attempts);
    println!("scheduled:       {}", format_utc(t.scheduled_at));
    if t.status == "waiting" {
        println!("next attempt:    {}", format_utc(t.next_attempt_at));
    }
    if let (Some(owner), Some(until)) = (&t.lease_owner, t.lease_until) {
        println!("claimed by:      {owner} until {}", format_utc(until));
    }
    println!(
        "last error:      {}",
        t.last_error.as_deref().unwrap_or("-")
    );
    if let Some(c) = t.campaign_id {
        println!("campaign:        {c}");
    }
    if let Some(a) = t.account_id {
        println!("account id:      {a}");
    }
    println!("created by:      {}", t.created_by);
    println!("created:         {}", format_utc(t.created_at));
    println!("updated:         {}", format_utc(t.updated_at));
    println!("finished:        {}", opt_time(t.done_at));
}

async fn mail_log_command(core: &Core, args: MailLogArgs, json: bool) -> anyhow::Result<()> {
    let filter = Filter {
        status: parse_log_result(args.result.as_deref())?,
        kind: parse_kind(args.kind.as_deref())?,
        tenant_id: optional_tenant(core, args.tenant.as_deref())
            .await?
            .map(|t| t.id),
        recipient: args.recipient.filter(|r| !r.trim().is_empty()),
        task_id: args.task,
        since: parse_day("--since", args.since.as_deref(), false)?,
        until: parse_day("--until", args.until.as_deref(), true)?,
        limit: args.limit.clamp(1, 10_000),
        offset: args.offset.max(0),
        ..Filter::default()
    };
    let entries = store::mail::log_list(&core.db, &filter).await?;
    if json {
        return print_json(&log_rows(&entries));
    }
    println!(
        "{:<20} {:<7} {:<4} {:<19} {:<32} {:<60} TASK",
        "TIME", "RESULT", "CODE", "KIND", "RECIPIENT", "REPLY"
    );
    for e in &entries {
        println!(
            "{:<20} {:<7} {:<4} {:<19} {:<32} {:<60} {}",
            format_utc(e.at),
            log_result(e),
            e.smtp_code
                .map(|c| c.to_string())
                .unwrap_or_else(|| "-".into()),
            e.kind,
            e.recipient,
            one_line(&e.smtp_reply, LIST_TEXT_WIDTH),
            e.task_id
                .map(|t| t.to_string())
                .unwrap_or_else(|| "-".into())
        );
    }
    Ok(())
}

/// A key as the CLI shows it: the stored fields (never the key, only its hash is stored) plus
/// its tenant's slug (`null` for an all-tenants key) and its state.
async fn key_json(core: &Core, k: &store::api_keys::ApiKey) -> anyhow::Result<serde_json::Value> {
    let mut v = serde_json::to_value(k)?;
    v["tenant"] = match k.tenant_id {
        Some(_) => serde_json::Value::String(tenant_slug(core, k.tenant_id).await?),
        None => serde_json::Value::Null,
    };
    v["state"] = serde_json::Value::String(k.state(core.now()).to_owned());
    Ok(v)
}

async fn api_key_command(core: &Core, cmd: ApiKeyCommand, json: bool) -> anyhow::Result<()> {
    match cmd {
        ApiKeyCommand::Create {
            tenant,
            all_tenants: _,
            name,
            scopes,
            expires_in,
        } => {
            let tenant = optional_tenant(core, tenant.as_deref()).await?;
            let expires_at = expires_in
                .map(|d| {
                    parse_duration("--expires-in", &d).map(|d| {
                        core.now()
                            .saturating_add(i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
                    })
                })
                .transpose()?;
            let (key, secret) = core
                .create_api_key(&Actor::Cli, tenant.as_ref(), &name, &scopes, expires_at)
                .await?;
            if json {
                let mut v = key_json(core, &key).await?;
                v["key"] = serde_json::Value::String(
                    secrecy::ExposeSecret::expose_secret(&secret).to_owned(),
                );
                return print_json(&v);
            }
            println!(
                "created API key {} \"{}\" for {} with scopes {}",
                key.id,
                key.name,
                tenant
                    .as_ref()
                    .map(|t| format!("tenant `{}`", t.slug))
                    .unwrap_or_else(|| "all tenants".into()),
                key.scopes
            );
            println!("the key (shown only now; store it safely):");
            println!("{}", secrecy::ExposeSecret::expose_secret(&secret));
        }
        ApiKeyCommand::List { tenant } => {
            let tenant = optional_tenant(core, tenant.as_deref()).await?;
            let keys = store::api_keys::list(&core.db, tenant.as_ref().map(|t| t.id)).await?;
            if json {
                let mut all = Vec::with_capacity(keys.len());
                for k in &keys {
                    all.push(key_json(core, k).await?);
                }
                return print_json(&all);
            }
            println!(
                "{:<5} {:<12} {:<24} {:<16} {:<8} {:<20} {:<20} SCOPES",
                "ID", "PREFIX", "NAME", "TENANT", "STATE", "LAST USED", "EXPIRES"
            );
            for k in keys {
                let tenant = match k.tenant_id {
                    Some(_) => tenant_slug(core, k.tenant_id).await?,
                    None => "(all tenants)".into(),
                };
                println!(
                    "{:<5} {:<12} {:<24} {:<16} {:<8} {:<20} {:<20} {}",
                    k.id,
                    k.prefix,
                    k.name,
                    tenant,
                    k.state(core.now()),
                    k.last_used_at
                        .map(format_utc)
                        .unwrap_or_else(|| "never".into()),
                    k.expires_at
                        .map(format_utc)
                        .unwrap_or_else(|| "never".into()),
                    k.scopes
                );
            }
        }
        ApiKeyCommand::Revoke { id } => {
            core.revoke_api_key(&Actor::Cli, None, id).await?;
            if json {
                let key = store::api_keys::get(&core.db, id)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("API key {id} vanished"))?;
                return print_json(&key_json(core, &key).await?);
            }
            println!("revoked API key {id}");
        }
        ApiKeyCommand::Scopes => {
            let scopes = crate::service::api_keys::SCOPES;
            if json {
                let list: Vec<_> = scopes
                    .iter()
                    .map(|(s, d)| serde_json::json!({ "scope": s, "description": d }))
                    .collect();
                return print_json(&list);
            }
            for (s, d) in scopes {
                println!("{s:<16} {d}");
            }
        }
    }
    Ok(())
}

/// The audit outcomes `--outcome` accepts.
const AUDIT_OUTCOMES: [&str; 4] = ["success", "failure", "refused", "throttled"];

async fn audit_log_command(core: &Core, args: AuditLogArgs, json: bool) -> anyhow::Result<()> {
    let outcome = match args.outcome.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(o) => {
            let o = o.to_ascii_lowercase();
            anyhow::ensure!(
                AUDIT_OUTCOMES.contains(&o.as_str()),
                "--outcome: `{}` is not an outcome; use one of {}",
                o.escape_debug(),
                AUDIT_OUTCOMES.join(", ")
            );
            Some(o)
        }
    };
    let filter = store::audit::Filter {
        tenant_id: optional_tenant(core, args.tenant.as_deref())
            .await?
            .map(|t| t.id),
        action: args.action,
        actor: args.actor,
        target: args.target,
        outcome,
        since: parse_day("--since", args.since.as_deref(), false)?,
        until: parse_day("--until", args.until.as_deref(), true)?,
        limit: args.limit.clamp(1, 10_000),
        offset: args.offset.max(0),
    };
    let events = store::audit::search(&core.db, &filter).await?;
    let tenants: std::collections::HashMap<i64, String> = store::tenants::list(&core.db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.slug))
        .collect();
    let slug = |id: Option<i64>| {
        id.map(|id| {
            tenants
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("#{id} (deleted)"))
        })
    };
    if json {
        let rows: Vec<serde_json::Value> = events
            .iter()
            .map(|e| {
                let mut v = serde_json::to_value(e).unwrap_or_default();
                v["tenant"] = slug(e.tenant_id).map_or(serde_json::Value::Null, Into::into);
                // The detail is stored as JSON text; give it back as JSON.
                v["detail"] = serde_json::from_str(&e.detail)
                    .unwrap_or_else(|_| serde_json::Value::String(e.detail.clone()));
                v
            })
            .collect();
        return print_json(&rows);
    }
    println!(
        "{:<20} {:<14} {:<24} {:<28} {:<20} {:<16} {:<9} DETAIL",
        "TIME", "TENANT", "ACTOR", "ACTION", "TARGET", "FROM", "OUTCOME"
    );
    for e in &events {
        let detail = if e.detail == "{}" { "" } else { &e.detail };
        println!(
            "{:<20} {:<14} {:<24} {:<28} {:<20} {:<16} {:<9} {}",
            format_utc(e.at),
            slug(e.tenant_id).unwrap_or_else(|| "-".into()),
            e.actor,
            e.action,
            e.target.as_deref().unwrap_or("-"),
            e.ip.as_deref().unwrap_or("-"),
            e.outcome,
            one_line(detail, LIST_TEXT_WIDTH)
        );
    }
    Ok(())
}

/// `KIND` and `--lang` of a template command.
fn template_target(kind: &str, lang: &str) -> anyhow::Result<(MailKind, crate::domain::Language)> {
    let editable: Vec<&str> = MailKind::ALL
        .into_iter()
        .filter(|k| k.editable())
        .map(MailKind::as_str)
        .collect();
    let kind = match MailKind::from_str(kind.trim()) {
        Ok(k) if k.editable() => k,
        _ => anyhow::bail!(
            "`{}` is not a mail kind with a template; use one of {}",
            kind.escape_debug(),
            editable.join(", ")
        ),
    };
    let lang = lang
        .trim()
        .parse::<crate::domain::Language>()
        .map_err(|e| anyhow::anyhow!("--lang: {e}"))?;
    Ok((kind, lang))
}

impl TemplateParts {
    fn any(&self) -> bool {
        self.subject.is_some() || self.text_file.is_some() || self.html_file.is_some()
    }

    /// These parts on top of `current`.
    fn apply(
        &self,
        mut current: crate::mail::templates::TemplateSource,
    ) -> anyhow::Result<crate::mail::templates::TemplateSource> {
        anyhow::ensure!(
            !(self.text_file.as_deref() == Some(std::path::Path::new("-"))
                && self.html_file.as_deref() == Some(std::path::Path::new("-"))),
            "only one of --text-file and --html-file can read standard input"
        );
        let read = |flag: &str, path: &std::path::Path| -> anyhow::Result<String> {
            let text = if path.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("{flag} {}: {e}", path.display()))?
            };
            Ok(text.replace("\r\n", "\n"))
        };
        if let Some(s) = &self.subject {
            current.subject = s.clone();
        }
        if let Some(p) = &self.text_file {
            current.text = read("--text-file", p)?;
        }
        if let Some(p) = &self.html_file {
            current.html = read("--html-file", p)?;
        }
        Ok(current)
    }
}

/// A template for people: whose it is, then its three parts.
fn print_template(
    tenant: &Tenant,
    kind: MailKind,
    lang: crate::domain::Language,
    saved: Option<(crate::clock::Timestamp, &str)>,
    src: &crate::mail::templates::TemplateSource,
) {
    println!("tenant:    {}", tenant.slug);
    println!("kind:      {} ({})", kind.as_str(), kind.label());
    println!("language:  {}", lang.as_str());
    match saved {
        Some((at, by)) => println!(
            "template:  the tenant's own, saved {} by {by}",
            format_utc(at)
        ),
        None => println!("template:  built-in"),
    }
    println!("subject:   {}", src.subject);
    println!();
    println!("--- text part ---");
    println!("{}", src.text.trim_end());
    println!("--- HTML part ---");
    println!("{}", src.html.trim_end());
}

async fn template_command(core: &Core, cmd: TemplateCommand, json: bool) -> anyhow::Result<()> {
    let actor = Actor::Cli;
    match cmd {
        TemplateCommand::List { tenant } => {
            let tenant = core.tenant(&tenant).await?;
            let all = core.template_overview(&tenant).await?;
            if json {
                let rows: Vec<_> = all
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "kind": t.kind.as_str(),
                            "language": t.language.as_str(),
                            "customised": t.customised,
                            "updated_at": t.updated_at,
                            "updated_by": t.updated_by,
                        })
                    })
                    .collect();
                return print_json(&rows);
            }
            println!(
                "{:<20} {:<5} {:<9} {:<20} BY",
                "KIND", "LANG", "TEMPLATE", "SAVED"
            );
            for t in &all {
                println!(
                    "{:<20} {:<5} {:<9} {:<20} {}",
                    t.kind.as_str(),
                    t.language.as_str(),
                    if t.customised { "own" } else { "built-in" },
                    opt_time(t.updated_at),
                    t.updated_by.as_deref().unwrap_or("-")
                );
            }
        }
        TemplateCommand::Show { tenant, kind, lang } => {
            let tenant = core.tenant(&tenant).await?;
            let (kind, lang) = template_target(&kind, &lang)?;
            let t = core.effective_template(&tenant, kind, lang).await?;
            if json {
                return print_json(&t);
            }
            let saved = match (t.customised, t.updated_at, t.updated_by.as_deref()) {
                (true, Some(at), Some(by)) => Some((at, by)),
                _ => None,
            };
            print_template(&tenant, kind, lang, saved, &t.source);
        }
        TemplateCommand::Set {
            tenant,
            kind,
            lang,
            parts,
        } => {
            let tenant = core.tenant(&tenant).await?;
            let (kind, lang) = template_target(&kind, &lang)?;
            anyhow::ensure!(
                parts.any(),
                "say what to change: --subject, --text-file and/or --html-file"
            );
            let current = core.effective_template(&tenant, kind, lang).await?;
            let src = parts.apply(current.source)?;
            core.save_template(&actor, &tenant, kind, lang, &src, None)
                .await?;
            let t = core.effective_template(&tenant, kind, lang).await?;
            if json {
                return print_json(&t);
            }
            println!(
                "saved the {} ({}) template of tenant `{}`; new mail of this kind uses it",
                kind.as_str(),
                lang.as_str(),
                tenant.slug
            );
        }
        TemplateCommand::Reset { tenant, kind, lang } => {
            let tenant = core.tenant(&tenant).await?;
            let (kind, lang) = template_target(&kind, &lang)?;
            let was_own = core
                .effective_template(&tenant, kind, lang)
                .await?
                .customised;
            core.reset_template(&actor, &tenant, kind, lang, None)
                .await?;
            let t = core.effective_template(&tenant, kind, lang).await?;
            if json {
                return print_json(&t);
            }
            if was_own {
                println!(
                    "the {} ({}) template of tenant `{}` is the built-in one again",
                    kind.as_str(),
                    lang.as_str(),
                    tenant.slug
                );
            } else {
                println!(
                    "the {} ({}) template of tenant `{}` already was the built-in one",
                    kind.as_str(),
                    lang.as_str(),
                    tenant.slug
                );
            }
        }
        TemplateCommand::Preview {
            tenant,
            kind,
            lang,
            parts,
        } => {
            let tenant = core.tenant(&tenant).await?;
            let (kind, lang) = template_target(&kind, &lang)?;
            let current = core.effective_template(&tenant, kind, lang).await?;
            let src = parts.apply(current.source)?;
            let rendered = core.preview_template(kind, &src)?;
            if json {
                return print_json(&rendered);
            }
            println!("Subject: {}", rendered.subject);
            println!();
            println!("--- text part ---");
            println!("{}", rendered.text.trim_end());
            println!("--- HTML part ---");
            println!("{}", rendered.html.trim_end());
        }
    }
    Ok(())
}
