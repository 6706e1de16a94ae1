//! The `zoufang` command line: every operation is scriptable.

use crate::demo;
use crate::services::accounts;
use crate::settings::Settings;
use crate::startup::{build_state, run, spawn_audit_chainer, spawn_housekeeping};
use crate::store::{audit, devices, users};
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use std::io::Read;
use std::net::TcpListener;
use std::path::PathBuf;
use zoufang_schemas::{RegionCode, Role};

/// Zoufang 走访: the server for offline door-to-door household data collection.
#[derive(Debug, Parser)]
#[command(name = "zoufang", version)]
pub struct Cli {
    /// A TOML configuration file (defaults, then this file, then ZOUFANG__… variables).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// The data folder (SQLite database, token key); overrides the configuration.
    #[arg(long, global = true)]
    pub data: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the HTTP server.
    Serve {
        /// Address to listen on (port 0 picks a free port).
        #[arg(long)]
        listen: Option<String>,
        /// Seeds demo data if the database has no accounts.
        #[arg(long)]
        demo: bool,
        /// Households per village for `--demo` (81 villages).
        #[arg(long, default_value_t = 40)]
        demo_households_per_village: usize,
    },
    /// Projects every household again from its document (after an upgrade that added
    /// projected columns: incomes, measures).
    Reproject {
        /// A region code prefix (default: everything).
        #[arg(long, default_value = "")]
        region: String,
    },
    /// Applies database migrations.
    Migrate,
    /// Seeds the demo prefecture and prints the demo logins.
    Demo {
        /// Households per village (81 villages).
        #[arg(long, default_value_t = 40)]
        households_per_village: usize,
    },
    /// Manages accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manages devices.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Checks the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Exports a round's verified records (CSV, NDJSON or XLSX with Chinese headers).
    Export(crate::cli_pull::ExportArgs),
    /// Writes a quarterly report as XLSX: `scale` (规模统计表), `measures`
    /// (帮扶措施落实情况统计表) or `risks` (风险化解情况报告).
    #[command(subcommand)]
    Report(ReportCommand),
    /// Imports the region tree or households from CSV/XLSX files.
    #[command(subcommand)]
    Import(crate::cli_import::ImportCommand),
}

/// Reports.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The scale statistics table of a round, per county → township → village, as XLSX.
    Scale(crate::cli_pull::ReportArgs),
    /// 帮扶措施落实情况统计表: measures per kind, households and people covered by group,
    /// progress and funds.
    Measures(crate::cli_pull::ReportArgs),
    /// 风险化解情况报告: eliminated and remaining by category and risk type, eliminations by
    /// mode, the doubtful data.
    Risks(crate::cli_pull::ReportArgs),
    /// The plan's training calendar of a year, printed.
    Training {
        /// The year (default: this year).
        #[arg(long)]
        year: Option<i32>,
    },
}

/// Account commands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Creates an account; the password is read from standard input.
    Add {
        /// Login name.
        #[arg(long)]
        username: String,
        /// helper, township_supervisor, county_officer, prefecture_officer, department, admin.
        #[arg(long)]
        role: String,
        /// Region-code prefix of the account's scope.
        #[arg(long)]
        region: String,
        /// For a department account: its department (HEALTH, MEDICAL_INSURANCE, ... or 卫健, 医保, ...).
        #[arg(long)]
        department: Option<String>,
        /// Read the password from standard input (required).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Sets a new password read from standard input.
    Passwd {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Read the password from standard input (required).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Disables an account.
    Disable {
        /// Login name.
        #[arg(long)]
        username: String,
    },
}

/// Device commands.
#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Lists devices, all or one user's.
    List {
        /// Only this user's devices.
        #[arg(long)]
        username: Option<String>,
    },
    /// Revokes a device: its next sync fails with `device-revoked` and the tablet wipes.
    Revoke {
        /// Device id.
        #[arg(long)]
        id: String,
    },
}

/// Audit commands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walks the hash chain; exits 1 if any entry was altered or removed.
    Verify,
}

fn read_password() -> anyhow::Result<String> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("cannot read the password from standard input")?;
    Ok(input.trim_end_matches(['\n', '\r']).to_owned())
}

/// Parses a role given as `helper` or `HELPER`.
pub fn parse_role(text: &str) -> anyhow::Result<Role> {
    Role::from_code(&text.to_ascii_uppercase()).with_context(|| {
        let all: Vec<_> = Role::ALL
            .iter()
            .map(|r| r.code().to_ascii_lowercase())
            .collect();
        format!("unknown role `{text}`; one of {}", all.join(", "))
    })
}

/// Runs the command line.
pub async fn main(cli: Cli) -> anyhow::Result<()> {
    let mut settings = Settings::load(cli.config.as_deref()).context("invalid configuration")?;
    if let Some(data) = cli.data {
        settings.data_dir = data;
    }
    crate::telemetry::init_tracing(settings.log.json, &settings.log.filter);
    match cli.command {
        Command::Serve {
            listen,
            demo,
            demo_households_per_village,
        } => serve(settings, listen, demo, demo_households_per_village).await?,
        Command::Migrate => {
            build_state(settings).await?;
            println!("migrations applied");
        }
        Command::Reproject { region } => {
            let state = build_state(settings).await?;
            let done = crate::services::projection::reproject_all(&state, &region)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{done} households projected again");
        }
        Command::Demo {
            households_per_village,
        } => {
            let state = build_state(settings).await?;
            let seeded = demo::seed(&state, households_per_village)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            print_demo(&seeded);
        }
        Command::User(command) => user_command(settings, command).await?,
        Command::Device(command) => device_command(settings, command).await?,
        Command::Audit(AuditCommand::Verify) => audit_verify(settings).await?,
        Command::Export(args) => {
            let state = build_state(settings).await?;
            let out = args.out.clone();
            let done = crate::cli_pull::export(&state, args).await?;
            println!("{done} verified households exported to {}", out.display());
        }
        Command::Import(command) => {
            let state = build_state(settings).await?;
            crate::cli_import::run(&state, command).await?;
        }
        Command::Report(command) => report_command(settings, command).await?,
    }
    Ok(())
}

/// `zoufang serve`: listens, seeds the demo data when asked and the database is empty,
/// starts the background tasks and serves until stopped.
async fn serve(
    mut settings: Settings,
    listen: Option<String>,
    demo: bool,
    demo_households_per_village: usize,
) -> anyhow::Result<()> {
    if let Some(listen) = listen {
        settings.server.listen = listen;
    }
    let listener = TcpListener::bind(&settings.server.listen)
        .with_context(|| format!("cannot listen on {}", settings.server.listen))?;
    let address = listener.local_addr()?;
    let state = build_state(settings).await?;
    if demo
        && let Some(seeded) = demo::seed_if_empty(&state, demo_households_per_village)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
    {
        print_demo(&seeded);
    }
    spawn_housekeeping(state.clone());
    spawn_audit_chainer(state.clone());
    crate::services::periodic::spawn(state.clone());
    println!("zoufang listening on http://{address}");
    tracing::info!(%address, "listening");
    run(listener, state)?.await?;
    tracing::info!("stopped");
    Ok(())
}

/// `zoufang audit verify`: checks the audit chain and fails where it is broken.
async fn audit_verify(settings: Settings) -> anyhow::Result<()> {
    let state = build_state(settings).await?;
    let report = audit::verify(&state.db, state.digest.as_ref()).await?;
    if !report.is_intact() {
        bail!(
            "audit log broken at entry {}: {}",
            report.first_bad.unwrap_or_default(),
            report.problem.unwrap_or_default()
        );
    }
    println!("audit log intact: {} entries", report.entries);
    Ok(())
}

/// `zoufang report …`: writes a quarterly report, or prints the training calendar.
async fn report_command(settings: Settings, command: ReportCommand) -> anyhow::Result<()> {
    let state = build_state(settings).await?;
    let (kind, args) = match command {
        ReportCommand::Scale(args) => (crate::cli_pull::ReportKind::Scale, args),
        ReportCommand::Measures(args) => (crate::cli_pull::ReportKind::Measures, args),
        ReportCommand::Risks(args) => (crate::cli_pull::ReportKind::Risks, args),
        ReportCommand::Training { year } => {
            let year = crate::services::reports::training::year_or_this(year)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let calendar = crate::services::reports::training::calendar(&state, year)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            print!("{}", crate::cli_pull::training_text(&calendar));
            return Ok(());
        }
    };
    let out = args.out.clone();
    crate::cli_pull::report(&state, kind, args).await?;
    println!("{} written to {}", kind.title(), out.display());
    Ok(())
}

fn print_demo(seeded: &demo::Seeded) {
    println!(
        "demo data: {} villages, {} households",
        seeded.villages, seeded.households
    );
    println!("demo logins (password `{}`):", demo::DEMO_PASSWORD);
    for (name, role, scope) in &seeded.users {
        println!(
            "  {name:<12} {:<20} scope {scope}",
            role.code().to_ascii_lowercase()
        );
    }
}

async fn user_command(settings: Settings, command: UserCommand) -> anyhow::Result<()> {
    let state = build_state(settings).await?;
    let fail = |e: crate::error::ApiError| anyhow::anyhow!("{} ({})", e, e.code());
    match command {
        UserCommand::Add {
            username,
            role,
            region,
            department,
            ..
        } => {
            let role = parse_role(&role)?;
            let scope = RegionCode::parse(&region).map_err(|e| anyhow::anyhow!("{e}"))?;
            let department = match (role, department.as_deref()) {
                (Role::Department, Some(text)) => Some(
                    zoufang_schemas::Department::from_code(text)
                        .or_else(|| {
                            zoufang_schemas::code_of("Department", text)
                                .and_then(zoufang_schemas::Department::from_code)
                        })
                        .with_context(|| format!("`{text}` is not a department"))?,
                ),
                (Role::Department, None) => {
                    anyhow::bail!("a department account needs --department")
                }
                (_, Some(_)) => anyhow::bail!("--department is for department accounts"),
                _ => None,
            };
            let password = read_password()?;
            let user = accounts::add_user(&state, "cli", &username, &password, role, &scope)
                .await
                .map_err(fail)?;
            if let Some(department) = department {
                accounts::set_department(&state, "cli", &username, department)
                    .await
                    .map_err(fail)?;
            }
            println!(
                "user {} added (id {}, {}, scope {})",
                user.username, user.id, user.role, user.scope
            );
        }
        UserCommand::Passwd { username, .. } => {
            let password = read_password()?;
            accounts::set_password(&state, "cli", &username, &password)
                .await
                .map_err(fail)?;
            println!("password of {username} changed");
        }
        UserCommand::Disable { username } => {
            accounts::disable_user(&state, "cli", &username)
                .await
                .map_err(fail)?;
            println!("user {username} disabled");
        }
    }
    Ok(())
}

async fn device_command(settings: Settings, command: DeviceCommand) -> anyhow::Result<()> {
    let state = build_state(settings).await?;
    match command {
        DeviceCommand::List { username } => {
            let owner = match username {
                Some(name) => Some(
                    users::find_by_username(&state.db, &name)
                        .await?
                        .with_context(|| format!("no user {name}"))?
                        .id,
                ),
                None => None,
            };
            for d in devices::list(&state.db, owner).await? {
                println!(
                    "{}\tuser {}\t{}\t{}",
                    d.id,
                    d.user_id,
                    if d.revoked { "revoked" } else { "active" },
                    d.name
                );
            }
        }
        DeviceCommand::Revoke { id } => {
            accounts::revoke_device(&state, "cli", &id)
                .await
                .map_err(|e| anyhow::anyhow!("{} ({})", e, e.code()))?;
            println!("device {id} revoked");
        }
    }
    Ok(())
}
