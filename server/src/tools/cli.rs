//! The `tenantry` command line: serve (default), migrate, create-superuser, demo, seed-scale,
//! audit verify.
use crate::config::Config;
use crate::db::Db;
use clap::{Parser, Subcommand};
use std::io::Read;
use std::net::SocketAddr;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "tenantry", version, about = "Tenantry: the multi-tenant portal for MSPs")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the app (the default).
    Serve {
        /// Address to listen on (env TENANTRY_ADDR; default 127.0.0.1:3000).
        #[arg(long)]
        addr: Option<SocketAddr>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Create a superuser (or, with --promote-existing, make an existing user one); the
    /// password is read from stdin.
    CreateSuperuser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        /// Read the password from standard input (required: never pass it as an argument).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Allow an email that already has an account: make it a superuser with this password
        /// and end all its sessions and tokens. Without it, an existing email is refused.
        #[arg(long)]
        promote_existing: bool,
    },
    /// Create the demo MSP "Contoso MSP" with customers, child tenants and people (idempotent).
    Demo,
    /// Generate a large world for benchmarks (batched inserts in one transaction):
    /// MSPs, customers spread over them, users, assets, and a technician per MSP.
    SeedScale {
        #[arg(long, default_value_t = 1)]
        msps: usize,
        #[arg(long, default_value_t = 10_000)]
        customers: usize,
        #[arg(long, default_value_t = 100_000)]
        users: usize,
        #[arg(long, default_value_t = 1_000_000)]
        assets: usize,
        /// Customers each MSP's technician is delegated to.
        #[arg(long, default_value_t = 50)]
        technician_delegations: usize,
        /// The password of every generated account.
        #[arg(long, default_value = crate::tools::seed_scale::SCALE_PASSWORD)]
        password: String,
    },
    /// Audit trail tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain; exits non-zero if any event was edited or removed.
    Verify,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut config = Config::from_env();
    match cli.command.unwrap_or(Command::Serve { addr: None }) {
        Command::Serve { addr } => {
            if let Some(addr) = addr {
                config.addr = addr;
            }
            let addr = config.addr;
            let state = crate::http::api::make_state(config).await?;
            let listener = tokio::net::TcpListener::bind(addr).await?;
            tracing::info!("Tenantry listening on http://{addr}");
            crate::serve(listener, state).await?;
        }
        Command::Migrate => {
            Db::connect(&config.database_url).await?;
            println!("migrations applied");
        }
        Command::CreateSuperuser { email, name, password_stdin: _, promote_existing } => {
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            let db = Db::connect(&config.database_url).await?;
            match crate::tools::demo::create_superuser_with(&db, &email, name.as_deref(), &password, promote_existing).await {
                Ok(msg) => println!("{msg}"),
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(ExitCode::from(2));
                }
            }
        }
        Command::Demo => {
            let db = Db::connect(&config.database_url).await?;
            let summary = crate::tools::demo::seed(&db).await?;
            println!("{summary}");
        }
        Command::SeedScale { msps, customers, users, assets, technician_delegations, password } => {
            let db = Db::connect(&config.database_url).await?;
            let params = crate::tools::seed_scale::ScaleParams { msps, customers, users, assets, technician_delegations, password };
            println!("{}", crate::tools::seed_scale::seed(&db, &params).await?);
        }
        Command::Audit { command: AuditCommand::Verify } => {
            let db = Db::connect(&config.database_url).await?;
            match crate::audit::verify(&db).await? {
                Ok(n) => println!("audit chain intact: {n} events"),
                Err(problem) => {
                    eprintln!("audit chain BROKEN: {problem}");
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
