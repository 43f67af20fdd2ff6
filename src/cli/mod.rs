//! The command line: every daily task without the TUI, with `--json` output
//! and meaningful exit codes. `anyhow` lives here and in `main`, not deeper.

/// `println!`, but a reader that went away (`skiff cost | head -1`) ends
/// skiff quietly instead of a panic about a broken pipe.
macro_rules! out {
    () => {
        $crate::cli::write_out(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!`, cleaned for the terminal like standard output.
macro_rules! err {
    () => {
        $crate::cli::write_err(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::write_err(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` with the same care (no newline; flushed, for live lines).
macro_rules! out_part {
    ($($arg:tt)*) => {
        $crate::cli::write_out(format_args!($($arg)*))
    };
}

pub mod args;
mod args_s3;
pub mod cost;
pub mod creds;
pub mod doctor;
pub mod guard;
pub mod launch;
pub mod leftovers;
pub mod lifecycle;
pub mod ls;
pub mod prices;
pub mod s3;
pub mod shell;
pub mod sync;
pub mod tunnel;

use std::process::ExitCode;

use anyhow::Context as _;

use crate::cloud::inventory;
use crate::config::{Config, Dirs};
use crate::lifecycle::Verb;
use crate::ops::connect::{Choices, Connection, Context, session_options};
use crate::sandbox::{MotoServer, sandbox_options, seed_sample_account};
use args::{Cli, Command, GlobalArgs, LsArgs, SandboxArgs, VerbArgs};

/// Writes to standard output; when the reader is gone, exits with 0 (what
/// was asked for was read), as pipelines expect.
pub(crate) fn write_out(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    // Names, tags and keys come from other people: nothing raw reaches the
    // terminal (JSON stays the same JSON).
    let text = args.to_string();
    let text = crate::render::text::clean_output(&text);
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        tracing::warn!("cannot write to standard output: {e}");
    }
}

/// Writes to standard error, cleaned as [`write_out`] cleans.
pub(crate) fn write_err(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let text = args.to_string();
    let text = crate::render::text::clean_output(&text);
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// The user's choices from the global flags.
pub fn choices(global: &GlobalArgs) -> Choices {
    Choices {
        profile: global.profile.clone(),
        regions: global.regions.clone(),
        all_regions: global.all_regions,
        endpoint_url: global.endpoint_url.clone(),
        read_only: global.read_only,
    }
}

/// Asks for MFA codes on the terminal (when standard input is one).
fn terminal_prompt() -> Option<crate::creds::provider::MfaPrompt> {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal().then(|| {
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
    })
}

/// The log file in the state directory, never the terminal the TUI owns:
/// `skiff.log`, rotated at 5 MiB with the 4 before it kept (so it never
/// grows without bound). `SKIFF_LOG` sets the filter (default `info`).
fn init_logging(dirs: &Dirs) {
    use file_rotate::compression::Compression;
    use file_rotate::suffix::AppendCount;
    use file_rotate::{ContentLimit, FileRotate};
    if std::fs::create_dir_all(&dirs.state).is_err() {
        return;
    }
    let file = FileRotate::new(
        dirs.state.join("skiff.log"),
        AppendCount::new(4),
        ContentLimit::BytesSurpassed(5 << 20),
        Compression::None,
        None,
    );
    let filter = tracing_subscriber::EnvFilter::try_from_env("SKIFF_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
}

/// The binary: parse arguments, log to the state directory, run, map
/// errors to exit codes.
pub fn main() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let (Some(Command::Sync(a)), Some(("sync", m))) = (&mut cli.command, matches.subcommand()) {
        a.filters = args::filter_order(m);
    }
    let dirs = Dirs::discover();
    init_logging(&dirs);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            err!("skiff: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = match runtime.block_on(run(cli, dirs)) {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e:#}");
            err!("skiff: {e:#}");
            ExitCode::FAILURE
        }
    };
    // Files that hold history and could not be read: said once, here.
    for notice in crate::store::notices::drain() {
        err!("skiff: {notice}");
    }
    code
}

/// The user's config file: `--config`, else `SKIFF_CONFIG`, else the
/// default place (where `--save-recipe` writes).
static CONFIG_PATH: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

pub fn config_path() -> std::path::PathBuf {
    CONFIG_PATH
        .get()
        .cloned()
        .unwrap_or_else(|| Dirs::discover().config.join("config.toml"))
}

/// Runs the parsed command line; the TUI when no command is given.
pub async fn run(cli: Cli, dirs: Dirs) -> anyhow::Result<ExitCode> {
    let _ = CONFIG_PATH.set(
        cli.global
            .config
            .clone()
            .unwrap_or_else(|| dirs.config.join("config.toml")),
    );
    // Doctor reports a broken config file instead of stopping at it.
    if let Some(Command::Doctor { json }) = &cli.command {
        return doctor::run(&cli.global, &dirs, *json).await;
    }
    let (config, _) = Config::load_with(
        cli.global.config.as_deref(),
        &dirs,
        &crate::tui::key_names(),
    )?;
    match cli.command {
        None => {
            let choices = choices(&cli.global);
            let connection =
                Connection::new(session_options(&choices, &config), &config, &dirs, None);
            crate::tui::run(crate::tui::Launch {
                config,
                dirs,
                connection,
                read_only_flag: cli.global.read_only,
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Creds(c)) => creds::run(&config, &dirs, &c).await,
        Some(Command::Prices(args::PricesCommand::Status)) => prices::status(&config, &dirs),
        Some(Command::Sandbox(args)) => sandbox(config, dirs, &args, cli.global.read_only).await,
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "skiff", &mut buf);
            out_part!("{}", String::from_utf8_lossy(&buf));
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Man) => {
            use clap::CommandFactory;
            let mut buf = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut buf)?;
            out_part!("{}", String::from_utf8_lossy(&buf));
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::RenderScreens { out }) => {
            let written = crate::tui::screens::render_all(&config, &out)?;
            for path in written {
                out!("{}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(command) => connected(&connect(&cli.global, config, dirs).await?, command).await,
    }
}

/// The commands that act through a session, once it is connected.
async fn connected(ctx: &Context, command: Command) -> anyhow::Result<ExitCode> {
    let verb = |verb: Verb, a: VerbArgs| async move {
        lifecycle::run_verb(ctx, verb, &a.targets, &a.run, None).await
    };
    match command {
        Command::Ls(args) => ls(ctx, &args).await,
        Command::Tunnel(a) => tunnel::tunnel(ctx, &a).await,
        Command::Up(a) => tunnel::up(ctx, &a).await,
        Command::Down(a) => tunnel::down(ctx, &a).await,
        Command::Ssh(a) => shell::ssh(ctx, &a).await,
        Command::SsmProxy(a) => shell::ssm_proxy(ctx, &a).await,
        Command::SsmForward(a) => shell::ssm_forward(ctx, &a).await,
        Command::SsmShell(a) => shell::ssm_shell(ctx, &a).await,
        Command::Run(a) => shell::run(ctx, &a).await,
        Command::Put(a) => shell::put(ctx, &a).await,
        Command::Get(a) => shell::get(ctx, &a).await,
        Command::Prices(args::PricesCommand::Refresh) => {
            prices::refresh(&ctx.session, &ctx.dirs).await
        }
        Command::Cp(a) => s3::cp(ctx, &a).await,
        Command::Sync(a) => sync::sync(ctx, &a).await,
        Command::Rm(a) => s3::rm(ctx, &a).await,
        Command::Mb(a) => s3::mb(ctx, &a).await,
        Command::Guard(c) => guard::run(ctx, &c).await,
        Command::Leftovers(a) => leftovers::run(ctx, &a).await,
        Command::Cost(args) => cost::run(&ctx.session, &ctx.config, &ctx.dirs, &args).await,
        Command::Start(a) => verb(Verb::Start, a).await,
        Command::Stop(a) => verb(Verb::Stop, a).await,
        Command::Pause(a) => verb(Verb::Pause, a).await,
        Command::Resume(a) => verb(Verb::Resume, a).await,
        Command::Reboot(a) => verb(Verb::Reboot, a).await,
        Command::Terminate(a) => lifecycle::terminate(ctx, &a).await,
        Command::Relaunch(a) => lifecycle::relaunch(ctx, &a).await,
        Command::IdleTimeout(a) => lifecycle::idle_timeout(ctx, &a).await,
        Command::Protect(a) => lifecycle::protect(ctx, &a).await,
        Command::Launch(a) => launch::launch(ctx, &a).await,
        Command::Recipes(a) => launch::recipes(ctx, &a).await,
        Command::Cluster(c) => launch::cluster(ctx, &c).await,
        Command::Creds(_)
        | Command::Prices(args::PricesCommand::Status)
        | Command::Sandbox(_)
        | Command::Completions { .. }
        | Command::Man
        | Command::Doctor { .. }
        | Command::RenderScreens { .. } => {
            anyhow::bail!("this command needs no session: `run` answers it")
        }
    }
}

/// A context from the flags and config: the keyring after the standard
/// chain (an MFA code may be asked for on the terminal), read-only decided
/// for the session's profile.
async fn connect(global: &GlobalArgs, config: Config, dirs: Dirs) -> anyhow::Result<Context> {
    let choices = choices(global);
    let connection = Connection::new(
        session_options(&choices, &config),
        &config,
        &dirs,
        terminal_prompt(),
    );
    Ok(Context::connect(&connection, config, dirs, global.read_only, false).await?)
}

async fn ls(ctx: &Context, args: &LsArgs) -> anyhow::Result<ExitCode> {
    let session = &ctx.session;
    if let Some(uri) = crate::ops::transfer::plan::S3Uri::parse(&args.what) {
        if args.recursive || args.summarize || args.human_readable {
            return s3::ls_tree(session, &uri, args).await;
        }
        return s3::ls(session, &uri, args.json).await;
    }
    let wanted = ls::wanted(ls::parse_what(&args.what).map_err(anyhow::Error::msg)?);
    let now = crate::clock::now();
    let (inv, errors) = inventory::fetch_all(session, wanted, &ctx.inventory_options(), now).await;
    let total = inventory::slice_keys(session, wanted).len();
    if !errors.is_empty() && errors.len() == total {
        anyhow::bail!(ls::failure_line(&errors, &session.profile).unwrap_or_default());
    }
    // What was seen is evidence for the cost ledger; the $/H and SINCE
    // START columns come from it, as in `skiff cost` and the TUI.
    let listed = crate::ops::costs::listed(&session.regions, wanted, &errors);
    let prices = crate::cost::Prices::load(&ctx.dirs.cache);
    let (mut ledger, _) = crate::ops::costs::open_ledger(&ctx.dirs);
    if let Err(e) = crate::ops::costs::observe(&mut ledger, &inv, &prices, &listed, now, &ctx.dirs)
    {
        tracing::warn!("{e}");
    }
    if args.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&ls::json_document(&inv, wanted))?
        );
    } else {
        let costs = crate::cost::report(ledger.book(), Some(&session.regions), now);
        // Guards are shown where they can be read; a lookup that fails
        // leaves the column empty (and the log says why).
        let guards = if wanted.instances || wanted.clusters {
            match crate::ops::guard::list_in(session, now).await {
                Ok(g) => crate::ops::guard::rules_by_instance(&g),
                Err(e) => {
                    tracing::warn!("guards not listed: {e}");
                    Default::default()
                }
            }
        } else {
            Default::default()
        };
        out_part!("{}", ls::text_tables(&inv, wanted, now, &costs, &guards));
    }
    match ls::failure_line(&errors, &session.profile) {
        // Partial: what could be listed is printed, the rest is named, exit 2.
        Some(line) => {
            err!("skiff: incomplete: {line}");
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
    let home = std::env::var_os("SKIFF_HOME")
        .map(std::path::PathBuf::from)
        .map(|p| std::path::absolute(&p).unwrap_or(p));
    if let Some(running) = crate::sandbox::Running::find(&dirs.state) {
        return join_sandbox(running, config, dirs, args, read_only, home.as_deref()).await;
    }
    err!("skiff sandbox: starting moto (local AWS emulator) on 127.0.0.1 …");
    let started = std::time::Instant::now();
    let moto = tokio::task::spawn_blocking(MotoServer::start)
        .await
        .context("sandbox start-up task failed")??;
    let opts = sandbox_options(&moto.endpoint());
    let session = crate::cloud::Session::connect(&opts).await?;
    let seeded = seed_sample_account(&session)
        .await
        .context("seeding the sandbox")?;
    err!(
        "skiff sandbox: {} seeded in {:.1} s: {} instances (+{} EMR nodes), {} Spark clusters, 1 EMR cluster, {} buckets",
        moto.endpoint(),
        started.elapsed().as_secs_f64(),
        seeded.instances.len(),
        seeded.emr_node_count,
        seeded.spark_clusters.len(),
        seeded.buckets.len(),
    );
    let mut config = config;
    let hosts = local_hosts(&session, &seeded, &dirs).await;
    if let Some(h) = &hosts {
        config.tunnel.key = h.key().display().to_string();
    }
    let ssm = match &hosts {
        Some(h) => beyond_ssh(&session, h, &moto.endpoint(), &dirs).await,
        None => None,
    };
    // With the Session Manager stand-in, every call goes through it (it
    // passes what is not Session Manager on to moto).
    let endpoint = ssm
        .as_ref()
        .map_or_else(|| moto.endpoint(), |f| f.endpoint.clone());
    let opts = sandbox_options(&endpoint);
    // Recorded while it runs: a second `skiff sandbox` joins this one.
    let running = crate::sandbox::Running {
        pid: std::process::id(),
        endpoint: endpoint.clone(),
        ssh_dir: hosts.as_ref().map(|h| h.sshd.ssh_dir.clone()),
        key: hosts.as_ref().map(|h| h.key()),
    };
    let _recorded = running
        .clone()
        .record(&dirs.state)
        .map_err(|e| tracing::warn!("the sandbox is not recorded: {e}"))
        .ok();
    if args.no_tui {
        print_exports(&running, home.as_deref());
        err!("skiff sandbox: running until Ctrl-C");
        wait_for_shutdown().await;
    } else {
        crate::tui::run(crate::tui::Launch {
            config,
            dirs,
            connection: Connection::plain(opts),
            read_only_flag: read_only,
        })
        .await?;
    }
    drop(ssm);
    drop(hosts);
    drop(moto);
    Ok(ExitCode::SUCCESS)
}

/// The sandbox's nodes ssh cannot dial: one with no public address (over
/// Session Manager, through the stand-in) and one behind a bastion. None,
/// said on stderr, where the stand-in cannot run.
async fn beyond_ssh(
    session: &crate::cloud::Session,
    hosts: &crate::sandbox::hosts::LocalHosts,
    moto: &str,
    dirs: &Dirs,
) -> Option<crate::sandbox::reach::SsmFixture> {
    use crate::sandbox::reach::{BEHIND_BASTION, PRIVATE};
    match crate::sandbox::reach::start(session, hosts, moto, &dirs.state.join("known_hosts")).await
    {
        Ok(f) => {
            err!(
                "skiff sandbox: {PRIVATE} has no public address (its tunnels and shells go straight over Session Manager, no ssh: a stand-in on {}); {BEHIND_BASTION} is reached through a bastion",
                f.endpoint
            );
            Some(f)
        }
        Err(e) => {
            err!("skiff sandbox: no node over Session Manager ({e})");
            None
        }
    }
}

/// The lines that point the CLI (or the AWS CLI) at `running`.
fn print_exports(running: &crate::sandbox::Running, home: Option<&std::path::Path>) {
    for line in running.exports(home) {
        out!("{line}");
    }
    out!("# then: skiff --region us-east-1 --region eu-west-1 ls");
}

/// A second `skiff sandbox` while one runs: the TUI on that one, or (with
/// --no-tui) its exports — never a second emulator with another world.
async fn join_sandbox(
    running: crate::sandbox::Running,
    config: Config,
    dirs: Dirs,
    args: &SandboxArgs,
    read_only: bool,
    home: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    err!(
        "skiff sandbox: joining the sandbox already running (pid {}, {}); it stops when that one does",
        running.pid,
        running.endpoint
    );
    if args.no_tui {
        print_exports(&running, home);
        return Ok(ExitCode::SUCCESS);
    }
    let mut config = config;
    if let Some(key) = &running.key {
        config.tunnel.key = key.display().to_string();
    }
    crate::tui::run(crate::tui::Launch {
        config,
        dirs,
        connection: Connection::plain(sandbox_options(&running.endpoint)),
        read_only_flag: read_only,
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// SSH (and JupyterHub/RStudio stand-ins) on this machine, where OpenSSH's
/// server is installed: tunnels, shells and `run` then work in the demo.
/// None, said on stderr, where they cannot be had.
async fn local_hosts(
    session: &crate::cloud::Session,
    seeded: &crate::sandbox::Seeded,
    dirs: &Dirs,
) -> Option<crate::sandbox::hosts::LocalHosts> {
    if !crate::sandbox::sshd::LocalSshd::available() {
        err!(
            "skiff sandbox: OpenSSH's server is not installed, so tunnels and shells to the sample instances cannot work here (Debian: apt-get install openssh-server)"
        );
        return None;
    }
    match crate::sandbox::hosts::start(session, seeded, &dirs.state.join("known_hosts")).await {
        Ok(h) => {
            err!(
                "skiff sandbox: SSH on {} for {} (tunnels, shells, skiff run); {}",
                h.sshd.address(),
                crate::sandbox::hosts::ON_SSH.join(", "),
                h.web
                    .iter()
                    .map(|(n, p)| format!("{n} stand-in on :{p}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            for n in &h.notes {
                err!("skiff sandbox: {n}");
            }
            Some(h)
        }
        Err(e) => {
            err!(
                "skiff sandbox: no local SSH server ({e}): tunnels and shells say what is missing"
            );
            None
        }
    }
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
