//! The command line: every daily task without the TUI, with `--json` output
//! and meaningful exit codes. `anyhow` lives here and in `main`, not deeper.

pub mod args;
pub mod cost;
pub mod creds;
pub mod lifecycle;
pub mod ls;
pub mod prices;
pub mod s3;
pub mod tunnel;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::cloud::inventory::{self, InventoryOptions};
use crate::cloud::{Session, SessionOptions};
use crate::config::{Config, Dirs};
use crate::lifecycle::Verb;
use crate::sandbox::{MotoServer, sandbox_options, seed_sample_account};
use crate::spark::ClusterTags;
use args::{Cli, Command, GlobalArgs, LsArgs, SandboxArgs, VerbArgs};

/// Session options: flags win over the config file, which wins over defaults.
pub fn session_options(global: &GlobalArgs, config: &Config) -> SessionOptions {
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_string());
    SessionOptions {
        profile: global
            .profile
            .clone()
            .or_else(|| non_empty(&config.aws.profile)),
        regions: if global.regions.is_empty() {
            config.aws.regions.clone()
        } else {
            global.regions.clone()
        },
        all_regions: global.all_regions,
        endpoint_url: global
            .endpoint_url
            .clone()
            .filter(|u| !u.is_empty())
            .or_else(|| non_empty(&config.aws.endpoint_url)),
        connect_timeout: Duration::from_secs(config.aws.connect_timeout_secs),
        attempt_timeout: Duration::from_secs(config.aws.attempt_timeout_secs),
        operation_timeout: Duration::from_secs(config.aws.operation_timeout_secs),
        max_attempts: config.aws.max_attempts,
        static_credentials: None,
        keyring: None,
    }
}

/// Adds the keyring provider (after the standard chain). `interactive`
/// allows asking for an MFA code on the terminal.
pub fn with_keyring(
    mut opts: SessionOptions,
    config: &Config,
    dirs: &Dirs,
    interactive: bool,
) -> SessionOptions {
    use std::io::IsTerminal;
    let prompt: Option<crate::creds::provider::MfaPrompt> =
        (interactive && std::io::stdin().is_terminal()).then(|| {
            let p: crate::creds::provider::MfaPrompt = std::sync::Arc::new(|serial: String| {
                Box::pin(async move {
                    tokio::task::spawn_blocking(move || {
                        eprint!("MFA code for {serial}: ");
                        let mut line = String::new();
                        std::io::stdin()
                            .read_line(&mut line)
                            .ok()
                            .map(|_| line.trim().to_string())
                            .filter(|c| !c.is_empty())
                    })
                    .await
                    .ok()
                    .flatten()
                })
            });
            p
        });
    opts.keyring = Some(crate::creds::provider::KeyringSettings {
        store: config.credentials.store.clone(),
        timeout: Duration::from_secs(config.credentials.timeout_secs.max(1)),
        state_dir: dirs.state.clone(),
        endpoint_url: opts.endpoint_url.clone(),
        region: opts
            .regions
            .first()
            .cloned()
            .unwrap_or_else(|| crate::cloud::FALLBACK_REGION.to_string()),
        mfa_prompt: prompt,
    });
    opts
}

pub fn inventory_options(config: &Config) -> InventoryOptions {
    InventoryOptions {
        emr_terminated_days: config.inventory.emr_terminated_days,
        cluster_tags: ClusterTags {
            cluster: config.spark.cluster_tag.clone(),
            role: config.spark.role_tag.clone(),
        },
    }
}

/// Runs the parsed command line; the TUI when no command is given.
pub async fn run(cli: Cli, dirs: Dirs) -> anyhow::Result<ExitCode> {
    let (config, _) = Config::load(cli.global.config.as_deref(), &dirs)?;
    match cli.command {
        None => {
            let opts = with_keyring(session_options(&cli.global, &config), &config, &dirs, false);
            let profile = opts
                .profile
                .clone()
                .or_else(|| std::env::var("AWS_PROFILE").ok())
                .unwrap_or_else(|| "default".into());
            let read_only = cli.global.read_only || config.read_only_for(&profile);
            crate::tui::run(crate::tui::Launch {
                config,
                dirs,
                session: opts,
                read_only,
                read_only_flag: cli.global.read_only,
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Ls(args)) => ls(&cli.global, &config, &dirs, &args).await,
        Some(Command::Tunnel(a)) => {
            tunnel::tunnel(&lifecycle_context(&cli.global, config, dirs).await?, &a).await
        }
        Some(Command::Up(a)) => {
            tunnel::up(&lifecycle_context(&cli.global, config, dirs).await?, &a).await
        }
        Some(Command::Down(a)) => {
            tunnel::down(&lifecycle_context(&cli.global, config, dirs).await?, &a).await
        }
        Some(Command::Creds(c)) => creds::run(&config, &dirs, &c).await,
        Some(Command::Prices(args::PricesCommand::Refresh)) => {
            let session = connect(&cli.global, &config, &dirs).await?;
            prices::refresh(&session, &dirs).await
        }
        Some(Command::Prices(args::PricesCommand::Status)) => prices::status(&config, &dirs),
        Some(Command::Cp(a)) => {
            let session = connect(&cli.global, &config, &dirs).await?;
            if read_only(&cli.global, &config, &session)
                && a.paths.last().is_some_and(|d| d.starts_with("s3"))
            {
                anyhow::bail!(
                    "read-only mode: skiff does not upload (started with --read-only or read_only = true)"
                );
            }
            s3::cp(&session, &config, &dirs, &a).await
        }
        Some(Command::Mb(a)) => {
            let session = connect(&cli.global, &config, &dirs).await?;
            let ro = read_only(&cli.global, &config, &session);
            s3::mb(&session, ro, &a).await
        }
        Some(Command::Cost(args)) => {
            let session = connect(&cli.global, &config, &dirs).await?;
            cost::run(&session, &config, &dirs, &args).await
        }
        Some(Command::Start(a)) => verb(&cli.global, config, dirs, Verb::Start, &a).await,
        Some(Command::Stop(a)) => verb(&cli.global, config, dirs, Verb::Stop, &a).await,
        Some(Command::Pause(a)) => verb(&cli.global, config, dirs, Verb::Pause, &a).await,
        Some(Command::Resume(a)) => verb(&cli.global, config, dirs, Verb::Resume, &a).await,
        Some(Command::Reboot(a)) => verb(&cli.global, config, dirs, Verb::Reboot, &a).await,
        Some(Command::Terminate(a)) => {
            lifecycle::terminate(&lifecycle_context(&cli.global, config, dirs).await?, &a).await
        }
        Some(Command::Relaunch(a)) => {
            lifecycle::relaunch(&lifecycle_context(&cli.global, config, dirs).await?, &a).await
        }
        Some(Command::IdleTimeout(a)) => {
            lifecycle::idle_timeout(&lifecycle_context(&cli.global, config, dirs).await?, &a).await
        }
        Some(Command::Protect(a)) => {
            lifecycle::protect(&lifecycle_context(&cli.global, config, dirs).await?, &a).await
        }
        Some(Command::Sandbox(args)) => sandbox(config, dirs, &args, cli.global.read_only).await,
        Some(Command::RenderScreens { out }) => {
            let written = crate::tui::screens::render_all(&config, &out)?;
            for path in written {
                println!("{}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A session from the flags and config, with the keyring after the standard
/// chain (an MFA code may be asked for on the terminal).
async fn connect(global: &GlobalArgs, config: &Config, dirs: &Dirs) -> anyhow::Result<Session> {
    Ok(Session::connect(&with_keyring(
        session_options(global, config),
        config,
        dirs,
        true,
    ))
    .await?)
}

/// Read-only: the flag, else the profile's setting, else the general one.
pub fn read_only(global: &GlobalArgs, config: &Config, session: &Session) -> bool {
    global.read_only || config.read_only_for(&session.profile)
}

async fn lifecycle_context(
    global: &GlobalArgs,
    config: Config,
    dirs: Dirs,
) -> anyhow::Result<lifecycle::Context> {
    let session = connect(global, &config, &dirs).await?;
    let read_only = read_only(global, &config, &session);
    Ok(lifecycle::Context {
        session,
        config,
        dirs,
        read_only,
    })
}

async fn verb(
    global: &GlobalArgs,
    config: Config,
    dirs: Dirs,
    verb: Verb,
    args: &VerbArgs,
) -> anyhow::Result<ExitCode> {
    let ctx = lifecycle_context(global, config, dirs).await?;
    lifecycle::run_verb(&ctx, verb, &args.targets, &args.run, None).await
}

async fn ls(
    global: &GlobalArgs,
    config: &Config,
    dirs: &Dirs,
    args: &LsArgs,
) -> anyhow::Result<ExitCode> {
    let session = connect(global, config, dirs).await?;
    if let Some(uri) = crate::transfer::plan::S3Uri::parse(&args.what) {
        return s3::ls(&session, &uri, args.json).await;
    }
    let wanted = ls::wanted(ls::parse_what(&args.what).map_err(anyhow::Error::msg)?);
    let now = chrono::Utc::now();
    let (inv, errors) =
        inventory::fetch_all(&session, wanted, &inventory_options(config), now).await;
    let total = inventory::slice_keys(&session, wanted).len();
    if !errors.is_empty() && errors.len() == total {
        anyhow::bail!(ls::failure_line(&errors).unwrap_or_default());
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&ls::json_document(&inv, wanted))?
        );
    } else {
        print!("{}", ls::text_tables(&inv, wanted, now));
    }
    match ls::failure_line(&errors) {
        // Partial: what could be listed is printed, the rest is named, exit 2.
        Some(line) => {
            eprintln!("skiff: incomplete: {line}");
            Ok(ExitCode::from(2))
        }
        None => Ok(ExitCode::SUCCESS),
    }
}

async fn sandbox(
    config: Config,
    dirs: Dirs,
    args: &SandboxArgs,
    read_only: bool,
) -> anyhow::Result<ExitCode> {
    eprintln!("skiff sandbox: starting moto (local AWS emulator) on 127.0.0.1 …");
    let started = std::time::Instant::now();
    let moto = tokio::task::spawn_blocking(MotoServer::start)
        .await
        .context("sandbox start-up task failed")??;
    let opts = sandbox_options(&moto.endpoint());
    let session = Session::connect(&opts).await?;
    let seeded = seed_sample_account(&session)
        .await
        .context("seeding the sandbox")?;
    eprintln!(
        "skiff sandbox: {} seeded in {:.1} s: {} instances (+{} EMR nodes), {} Spark clusters, 1 EMR cluster, {} buckets",
        moto.endpoint(),
        started.elapsed().as_secs_f64(),
        seeded.instances.len(),
        seeded.emr_node_count,
        seeded.spark_clusters.len(),
        seeded.buckets.len(),
    );
    if args.no_tui {
        let (id, secret) = crate::sandbox::SANDBOX_KEYS;
        println!("export AWS_ENDPOINT_URL={}", moto.endpoint());
        println!("export AWS_ACCESS_KEY_ID={id} AWS_SECRET_ACCESS_KEY={secret}");
        println!("# then: skiff --region us-east-1 --region eu-west-1 ls");
        eprintln!("skiff sandbox: running until Ctrl-C");
        wait_for_shutdown().await;
    } else {
        crate::tui::run(crate::tui::Launch {
            config,
            dirs,
            session: opts,
            read_only,
            read_only_flag: read_only,
        })
        .await?;
    }
    drop(moto);
    Ok(ExitCode::SUCCESS)
}

/// Waits for Ctrl-C or SIGTERM.
pub async fn wait_for_shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
