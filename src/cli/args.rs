//! Command-line arguments (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use super::args_s3::{CpArgs, SyncArgs, filter_order};

/// skiff — your AWS R&D cloud from the keyboard.
///
/// Without a command, opens the terminal UI.
#[derive(Debug, Parser)]
#[command(name = "skiff", version = crate::VERSION, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// AWS profile (from ~/.aws/config). Default: AWS_PROFILE, then "default".
    #[arg(long, global = true, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// Region to list; repeat for several. Default: the profile's region.
    #[arg(long = "region", global = true, value_name = "REGION")]
    pub regions: Vec<String>,
    /// List every region enabled for the account (EC2 DescribeRegions).
    #[arg(long, global = true, conflicts_with = "regions")]
    pub all_regions: bool,
    /// Send all AWS calls to this endpoint (e.g. a local emulator).
    #[arg(long, global = true, env = "AWS_ENDPOINT_URL", value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Configuration file. Default: config.toml in skiff's config directory.
    #[arg(long, global = true, env = "SKIFF_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Change nothing: every start, stop, resize or terminate is refused.
    #[arg(long, global = true)]
    pub read_only: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List instances, clusters and buckets.
    Ls(LsArgs),
    /// Start instances or Spark clusters (master first); resume = start.
    Start(VerbArgs),
    /// Stop instances or Spark clusters (workers first, master last).
    Stop(VerbArgs),
    /// Hibernate instances or Spark clusters; scale an EMR cluster down to its minimum.
    Pause(VerbArgs),
    /// Undo pause: start hibernated instances; restore an EMR cluster's instance counts.
    Resume(VerbArgs),
    /// Reboot running instances or every node of a Spark cluster.
    Reboot(VerbArgs),
    /// Terminate an instance, a Spark cluster or an EMR cluster (cannot be undone).
    Terminate(TerminateArgs),
    /// Turn termination protection on or off.
    Protect(ProtectArgs),
    /// Create a terminated EMR cluster again, with the same configuration.
    Relaunch(RelaunchArgs),
    /// Set an EMR cluster's auto-termination idle timeout (e.g. 1h), or `off`.
    IdleTimeout(IdleTimeoutArgs),
    /// Guards that work while skiff is closed: idle auto-stop alarms and
    /// start/stop schedules, set up in AWS itself.
    #[command(subcommand)]
    Guard(GuardCommand),
    /// What costs money while nothing runs, and removing it.
    Leftovers(LeftoversArgs),
    /// What is burning money: burn rate, today, month to date, projection.
    Cost(CostArgs),
    /// The prices costs are computed with: fetch current ones, or show their age.
    #[command(subcommand)]
    Prices(PricesCommand),
    /// SSH tunnels to JupyterHub, RStudio… on a target; stays up until Ctrl-C.
    Tunnel(TunnelArgs),
    /// The morning routine: start the target, wait for SSH, open its tunnels.
    Up(UpArgs),
    /// The evening routine: close skiff's tunnels to the target, stop (or pause) it.
    Down(DownArgs),
    /// A shell on a node (an instance, a Spark or EMR cluster's master), or a
    /// command there: skiff ssh TARGET [-- COMMAND...].
    Ssh(SshArgs),
    /// Carry this program's standard input and output to a port of an
    /// instance over Session Manager, natively (no plugin): OpenSSH's
    /// ProxyCommand for nodes reached with ssh-over-ssm, e.g. in
    /// ~/.ssh/config `ProxyCommand skiff ssm-proxy %h %p`.
    SsmProxy(SsmProxyArgs),
    /// Forward local ports on 127.0.0.1 to ports of an instance over
    /// Session Manager, natively, each connection a session of its own
    /// (what a tunnel runs for a node reached with `ssm`):
    /// skiff ssm-forward INSTANCE 8000:8000 8787:8787
    SsmForward(SsmForwardArgs),
    /// The Session Manager agent's shell on an instance, on this terminal,
    /// natively (no plugin, no ssh, no key): what `skiff ssh` and `!` run
    /// for a node reached with `ssm`.
    SsmShell(SsmShellArgs),
    /// A command on every node of a cluster at once, each line prefixed
    /// with its node: skiff run CLUSTER -- COMMAND...
    Run(RunArgs),
    /// Copy a local file to every node of a cluster (or to an instance).
    Put(PutArgs),
    /// Copy a file from a node to this machine.
    Get(GetArgs),
    /// Keep AWS keys in the OS keyring instead of ~/.aws/credentials.
    #[command(subcommand)]
    Creds(CredsCommand),
    /// Copy files or folders to or from S3 (one side is s3://bucket/key-or-prefix).
    Cp(CpArgs),
    /// Make a destination like a source, as `aws s3 sync` does: a local
    /// folder and an S3 prefix (either way) or two prefixes; a file goes
    /// when it is new, its size differs or the source is newer.
    Sync(SyncArgs),
    /// Delete an object, or every object below a prefix (--recursive).
    Rm(RmArgs),
    /// Make a bucket.
    Mb(MbArgs),
    /// Launch machines: from a recipe, a launch template, an AMI (or an
    /// alias) with types, or like an existing instance; guarded from the
    /// first second (an idle alarm, a deadline with --for).
    Launch(Box<LaunchArgs>),
    /// The launch recipes ([recipes.NAME] in the config) with their $/hour now.
    Recipes(RecipesArgs),
    /// Spark clusters from nothing: create, grow, shrink, delete.
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Start a local AWS emulator with a sample R&D account and open the UI on it.
    Sandbox(SandboxArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish or powershell).
    Completions {
        /// The shell, e.g. bash: `skiff completions bash > ~/.local/share/bash-completion/completions/skiff`.
        shell: clap_complete::Shell,
    },
    /// Checks this machine's setup: credentials, regions, clock, ssh, keys, keyring, tunnel ports, permissions, config.
    Doctor {
        /// Print the checks as JSON: [{name, ok, detail, fix}] (ok null: not checked).
        #[arg(long)]
        json: bool,
    },
    /// Print the manual page (roff): `skiff man | man -l -`.
    Man,
    /// Render each main view from fixed demo data to SVG files (for screenshots/).
    #[command(hide = true)]
    RenderScreens {
        /// Directory to write the SVG files into.
        #[arg(long, default_value = "screenshots")]
        out: PathBuf,
    },
}

/// What a machine is launched from, and how; each flag wins over the recipe.
#[derive(Debug, Args, Clone, Default)]
pub struct LaunchFrom {
    /// A recipe from the config ([recipes.NAME]).
    #[arg(long, value_name = "RECIPE")]
    pub recipe: Option<String>,
    /// A launch template, NAME or lt-ID, with :VERSION (default: its default version).
    #[arg(long, value_name = "LT[:VERSION]", conflicts_with_all = ["ami", "like"])]
    pub template: Option<String>,
    /// An AMI id, or an alias: al2023, al2023-arm64, ubuntu-24.04, ubuntu-22.04, dlami-gpu.
    #[arg(long, value_name = "AMI|ALIAS", conflicts_with = "like")]
    pub ami: Option<String>,
    /// Instance types in order of preference (tried in turn when AWS has no capacity).
    #[arg(long = "type", value_name = "TYPE", value_delimiter = ',')]
    pub types: Vec<String>,
    /// Launch with the AMI, type, subnet, key and groups of this instance (id or Name).
    #[arg(long, value_name = "INSTANCE")]
    pub like: Option<String>,
    /// Spot capacity: yes (the default when given), no, or prefer (spot, else on demand).
    #[arg(long, value_name = "yes|no|prefer", num_args = 0..=1, default_missing_value = "yes")]
    pub spot: Option<String>,
    /// Subnets to launch in, tried in order; repeatable or comma-separated.
    #[arg(long = "subnet", value_name = "SUBNET", value_delimiter = ',')]
    pub subnets: Vec<String>,
    /// The EC2 key pair to log in with.
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,
    /// Security groups (sg-… ids or names); repeatable or comma-separated.
    #[arg(long = "security-group", value_name = "GROUP", value_delimiter = ',')]
    pub security_groups: Vec<String>,
    /// The root disk in GB (gp3).
    #[arg(long, value_name = "GB")]
    pub disk: Option<i32>,
    /// Stop after this long idle (CPU under 5%): e.g. 1h (the default), or off.
    #[arg(long, value_name = "DURATION|off")]
    pub idle: Option<String>,
}

#[derive(Debug, Args)]
pub struct LaunchArgs {
    /// The Name tag (and, without another source, the recipe to use).
    #[arg(value_name = "NAME")]
    pub name: String,
    #[command(flatten)]
    pub from: LaunchFrom,
    /// How many machines.
    #[arg(long, value_name = "N")]
    pub count: Option<i32>,
    /// A deadline: stop (or terminate, --then) after this long, laptop closed or not.
    #[arg(long = "for", value_name = "DURATION")]
    pub deadline: Option<String>,
    /// What the deadline does: stop (default) or terminate.
    #[arg(long, value_name = "stop|terminate", requires = "deadline")]
    pub then: Option<String>,
    /// Tunnel presets to open once it runs (with --wait).
    #[arg(long = "tunnel", value_name = "PRESET")]
    pub tunnels: Vec<String>,
    /// Write what was asked for as [recipes.NAME] in the config file (comments kept).
    #[arg(long, value_name = "NAME")]
    pub save_recipe: Option<String>,
    /// Launch without asking (nothing asks without a terminal: then --yes is needed).
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub run: RunOptions,
}

#[derive(Debug, Args)]
pub struct RecipesArgs {
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// A Spark cluster from nothing: a master (on demand) and N workers.
    Create(Box<ClusterCreateArgs>),
    /// Add N workers like the existing ones.
    Grow(ClusterResizeArgs),
    /// Terminate the N newest workers (asks first).
    Shrink(ClusterResizeArgs),
    /// Terminate every node, remove skiff's guards of it, list what still costs money.
    Delete(ClusterDeleteArgs),
}

#[derive(Debug, Args)]
pub struct ClusterCreateArgs {
    /// The cluster's name (its skiff:cluster tag).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// How many workers.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub workers: i32,
    /// The master's type (default: the first of --type).
    #[arg(long, value_name = "TYPE")]
    pub master_type: Option<String>,
    /// The workers' type (default: the first of --type).
    #[arg(long, value_name = "TYPE")]
    pub worker_type: Option<String>,
    /// Workers on spot capacity (the master stays on demand).
    #[arg(long)]
    pub spot_workers: bool,
    /// A deadline for every node: stop (or terminate, --then) after this long.
    #[arg(long = "for", value_name = "DURATION")]
    pub deadline: Option<String>,
    /// What the deadline does: stop (default) or terminate.
    #[arg(long, value_name = "stop|terminate", requires = "deadline")]
    pub then: Option<String>,
    #[command(flatten)]
    pub from: LaunchFrom,
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub run: RunOptions,
}

#[derive(Debug, Args)]
pub struct ClusterResizeArgs {
    /// The Spark cluster.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// How many workers to add or remove.
    #[arg(value_name = "N")]
    pub count: i32,
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub run: RunOptions,
}

#[derive(Debug, Args)]
pub struct ClusterDeleteArgs {
    /// The Spark cluster.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The cluster's name, typed again: nothing is terminated without it.
    #[arg(long, value_name = "NAME", required = true)]
    pub confirm: String,
    #[command(flatten)]
    pub run: RunOptions,
}

/// Options shared by the lifecycle verbs.
#[derive(Debug, Args, Clone)]
pub struct RunOptions {
    /// Return only once every node reached its target state (or the timeout passed).
    #[arg(long)]
    pub wait: bool,
    /// Seconds to wait with --wait (default: lifecycle.wait_timeout_secs).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Print the plan and check it with EC2's DryRun; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// One JSON document with the result of every step.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct VerbArgs {
    /// Instance id, Name tag, Spark cluster name, EMR cluster id or name.
    #[arg(required = true, value_name = "TARGET")]
    pub targets: Vec<String>,
    #[command(flatten)]
    pub run: RunOptions,
}

#[derive(Debug, Args)]
pub struct TerminateArgs {
    /// Instance id, Name tag, Spark cluster name, EMR cluster id or name.
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// The target's name (or id), typed again: nothing is terminated without it.
    #[arg(long, value_name = "NAME", required = true)]
    pub confirm: String,
    #[command(flatten)]
    pub run: RunOptions,
}

#[derive(Debug, Args, Clone)]
pub struct TunnelArgs {
    /// Instance id or Name, Spark cluster (its master), EMR cluster (its master).
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// A preset from the config (jupyter, rstudio, spark-ui, emr-jupyterhub, …); repeatable.
    #[arg(long = "preset", value_name = "NAME")]
    pub presets: Vec<String>,
    /// A port: REMOTE or REMOTE:LOCAL; repeatable.
    #[arg(long = "port", value_name = "REMOTE[:LOCAL]")]
    pub ports: Vec<String>,
    /// Open the first URL in the browser once it answers.
    #[arg(long)]
    pub open: bool,
    /// Record the host key of a host seen for the first time (prints its fingerprint).
    #[arg(long)]
    pub accept_new_host_key: bool,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub tunnel: TunnelArgs,
    /// Seconds to wait for the target to run and SSH to answer.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
}

#[derive(Debug, Args)]
pub struct DownArgs {
    /// Instance id or Name, Spark cluster, EMR cluster.
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// Pause (hibernate; EMR: scale down) instead of stopping.
    #[arg(long)]
    pub pause: bool,
    /// Seconds to wait for the target to stop.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
}

#[derive(Debug, Args)]
#[command(override_usage = "skiff ssh [OPTIONS] <TARGET> [-- <COMMAND>...]")]
pub struct SshArgs {
    /// Instance id or Name, Spark cluster (its master), EMR cluster (its master).
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// Another node of the cluster, by name or instance id.
    #[arg(long, value_name = "NAME|ID")]
    pub node: Option<String>,
    /// Record the host key of a host seen for the first time (its fingerprint is printed).
    #[arg(long)]
    pub accept_new_host_key: bool,
    /// The command (after --); none: an interactive shell.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SsmProxyArgs {
    /// The instance id (i-…).
    #[arg(value_name = "INSTANCE")]
    pub instance: String,
    /// The port on the instance.
    #[arg(value_name = "PORT", default_value_t = 22)]
    pub port: u16,
}

#[derive(Debug, Args)]
pub struct SsmForwardArgs {
    /// The instance id (i-…).
    #[arg(value_name = "INSTANCE")]
    pub instance: String,
    /// LOCAL:REMOTE port pairs (local ports from 1024, bound on 127.0.0.1).
    #[arg(value_name = "LOCAL:REMOTE", required = true, value_parser = port_pair)]
    pub forwards: Vec<(u16, u16)>,
}

fn port_pair(text: &str) -> Result<(u16, u16), String> {
    let bad = || format!("`{text}` is not LOCAL:REMOTE (two port numbers, e.g. 8787:8787)");
    let (l, r) = text.split_once(':').ok_or_else(bad)?;
    let port = |p: &str| p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(bad);
    Ok((port(l)?, port(r)?))
}

#[derive(Debug, Args)]
pub struct SsmShellArgs {
    /// The instance id (i-…).
    #[arg(value_name = "INSTANCE")]
    pub instance: String,
}

/// Which nodes of a cluster `run` and `put` reach (default: all of them).
#[derive(Debug, Args)]
pub struct NodeChoice {
    /// Only the workers.
    #[arg(long, conflicts_with = "master")]
    pub workers: bool,
    /// Only the master.
    #[arg(long)]
    pub master: bool,
}

#[derive(Debug, Args)]
#[command(override_usage = "skiff run [OPTIONS] <TARGET> -- <COMMAND>...")]
pub struct RunArgs {
    /// Spark or EMR cluster (or one instance).
    #[arg(value_name = "TARGET")]
    pub target: String,
    #[command(flatten)]
    pub nodes: NodeChoice,
    #[arg(long)]
    pub accept_new_host_key: bool,
    /// Per-node results as one JSON document (output lines still stream to stderr).
    #[arg(long)]
    pub json: bool,
    /// The command, after --.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PutArgs {
    /// Spark or EMR cluster, or an instance.
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// The local file.
    #[arg(value_name = "LOCAL")]
    pub local: std::path::PathBuf,
    /// Where it goes on each node ({node} is replaced by the node's name).
    #[arg(value_name = "REMOTE")]
    pub remote: String,
    #[command(flatten)]
    pub nodes: NodeChoice,
    #[arg(long)]
    pub accept_new_host_key: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// Instance, or a cluster (its master; --node another node).
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// The file on the node.
    #[arg(value_name = "REMOTE")]
    pub remote: String,
    /// Where it goes here (an existing folder keeps its name).
    #[arg(value_name = "LOCAL")]
    pub local: std::path::PathBuf,
    #[arg(long, value_name = "NAME|ID")]
    pub node: Option<String>,
    #[arg(long)]
    pub accept_new_host_key: bool,
}

#[derive(Debug, Subcommand)]
pub enum GuardCommand {
    /// Stop an instance (or every node of a Spark cluster) after it idled:
    /// a CloudWatch alarm per node with the EC2 stop action.
    Idle(GuardIdleArgs),
    /// Start and/or stop on a timetable: EventBridge Scheduler schedules
    /// that call EC2 directly.
    Schedule(GuardScheduleArgs),
    /// Every alarm and schedule skiff made: target, nodes, rule, state, next run.
    Ls {
        /// One JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Remove a target's guards (both kinds unless one is named).
    Off(GuardOffArgs),
}

#[derive(Debug, Args)]
pub struct GuardIdleArgs {
    /// Instance id or Name tag, Spark cluster name (EMR: only with --terminate).
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// How long the CPU must stay low, e.g. 45m, 2h (5m to 24h; rounded up to 5m).
    #[arg(long, value_name = "DURATION")]
    pub after: String,
    /// The CPU % under which a node counts as idle.
    #[arg(long, value_name = "PERCENT", default_value_t = crate::guard::DEFAULT_CPU_BELOW)]
    pub cpu_below: f64,
    /// Idle only while the network also stays low: bytes in + out per 5
    /// minutes, e.g. 5MB (a notebook moving data is not stopped).
    #[arg(long, value_name = "SIZE")]
    pub net_below: Option<bytesize::ByteSize>,
    /// EMR clusters cannot be stopped: terminate the cluster when idle
    /// instead (EMR's auto-termination idle timeout).
    #[arg(long)]
    pub terminate: bool,
    /// Say what would be made; make nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct GuardScheduleArgs {
    /// Instance id or Name tag, Spark cluster name.
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// When to stop: "DAYS HH:MM", e.g. "mon-fri 20:00", "daily 19:30", "sat,sun 12:00".
    #[arg(long, value_name = "DAYS HH:MM")]
    pub stop: Option<String>,
    /// When to start: "DAYS HH:MM", e.g. "mon-fri 08:30".
    #[arg(long, value_name = "DAYS HH:MM")]
    pub start: Option<String>,
    /// IANA time zone of the times, e.g. Europe/London (default: this machine's).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Hibernate instead of stopping (every node must have been launched with hibernation).
    #[arg(long)]
    pub pause: bool,
    /// A role EventBridge Scheduler assumes (default: skiff's own, made with your consent).
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,
    /// Create skiff's role without asking (its policies are printed first).
    #[arg(long)]
    pub yes: bool,
    /// Say what would be made; make nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct GuardOffArgs {
    /// Instance id or Name tag, Spark cluster name.
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// Only the idle alarms.
    #[arg(long, conflicts_with = "schedule")]
    pub idle: bool,
    /// Only the schedules.
    #[arg(long)]
    pub schedule: bool,
    /// Say what would be removed; remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LeftoversArgs {
    #[command(subcommand)]
    pub command: Option<LeftoversCommand>,
    /// One JSON document.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum LeftoversCommand {
    /// Remove one leftover: delete a volume or snapshot, release an address,
    /// abort an unfinished upload.
    Rm {
        /// Its id as `skiff leftovers` lists it.
        id: String,
        /// The same id, typed again: nothing is removed without it.
        #[arg(long, value_name = "ID", required = true)]
        confirm: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PricesCommand {
    /// Fetch current prices for the session's regions (--region, repeatable)
    /// from the AWS Pricing API into the cache; they then win over the
    /// embedded table.
    Refresh,
    /// Where prices come from: the embedded table's date, the cache's regions and age.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum CredsCommand {
    /// Store a profile's access key in the keyring (asked for without echo).
    Add {
        /// The profile name (as for --profile and AWS_PROFILE).
        profile: String,
        /// Read the access key id and the secret from standard input, one per line.
        #[arg(long)]
        stdin: bool,
        /// An MFA device ARN: skiff then asks for a code and uses session credentials.
        #[arg(long, value_name = "ARN")]
        mfa_serial: Option<String>,
    },
    /// List the profiles skiff keeps (key ids only, never secrets).
    Ls {
        #[arg(long)]
        json: bool,
    },
    /// Remove a profile's key from the keyring.
    Rm { profile: String },
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// s3://bucket/key, or s3://bucket/prefix/ with --recursive.
    #[arg(value_name = "s3://BUCKET/KEY")]
    pub uri: String,
    /// Every object below the prefix (a slash is added, as `aws s3 rm` does).
    #[arg(long, short = 'r')]
    pub recursive: bool,
    /// List what would be deleted; delete nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The bucket's name, typed again: needed to empty a whole bucket.
    #[arg(long, value_name = "BUCKET")]
    pub confirm: Option<String>,
    /// One JSON document with every key and the outcome.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct MbArgs {
    /// s3://name
    #[arg(value_name = "s3://NAME")]
    pub bucket: String,
}

#[derive(Debug, Args)]
pub struct CostArgs {
    /// Group by `resource`, `cluster` or `tag:KEY` (e.g. tag:Project).
    #[arg(
        long,
        default_value = "resource",
        value_name = "resource|cluster|tag:KEY"
    )]
    pub by: String,
    /// One JSON document.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RelaunchArgs {
    /// EMR cluster id or name (a terminated cluster).
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// Print what would be created; create nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The blueprint and the new cluster id as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct IdleTimeoutArgs {
    /// EMR cluster id or name.
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// Idle time before EMR terminates the cluster (60s to 7d, e.g. 90m, 2h), or `off`.
    #[arg(value_name = "DURATION|off")]
    pub idle: String,
}

/// Termination protection, on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(Debug, Args)]
pub struct ProtectArgs {
    /// Instance id, Name tag, Spark cluster name, EMR cluster id or name.
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// Turn termination protection on or off.
    #[arg(value_enum, value_name = "on|off")]
    pub switch: Switch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum LsWhat {
    Instances,
    Clusters,
    Buckets,
    #[default]
    All,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// What to list: instances, clusters, buckets, all — or s3://bucket/prefix/.
    #[arg(
        default_value = "all",
        value_name = "instances|clusters|buckets|all|s3://BUCKET/PREFIX"
    )]
    pub what: String,
    /// One JSON document instead of a table.
    #[arg(long)]
    pub json: bool,
    /// s3://…: every object below the prefix, page by page, as `aws s3 ls
    /// --recursive` prints them.
    #[arg(long, short = 'r')]
    pub recursive: bool,
    /// s3://…: sizes in KiB, MiB, GiB as the AWS CLI writes them.
    #[arg(long)]
    pub human_readable: bool,
    /// s3://…: the number of objects and their total size at the end.
    #[arg(long)]
    pub summarize: bool,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Do not open the UI: print how to point skiff (or the AWS CLI) at the
    /// sandbox and keep it running until Ctrl-C.
    #[arg(long)]
    pub no_tui: bool,
}
