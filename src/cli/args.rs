//! Command-line arguments (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// skiff — your AWS R&D cloud from the keyboard.
///
/// Without a command, opens the terminal UI.
#[derive(Debug, Parser)]
#[command(name = "skiff", version, about, long_about = None)]
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
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List instances, clusters and buckets.
    Ls(LsArgs),
    /// Start a local AWS emulator with a sample R&D account and open the UI on it.
    Sandbox(SandboxArgs),
    /// Render each main view from fixed demo data to SVG files (for screenshots/).
    #[command(hide = true)]
    RenderScreens {
        /// Directory to write the SVG files into.
        #[arg(long, default_value = "screenshots")]
        out: PathBuf,
    },
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
    /// What to list.
    #[arg(value_enum, default_value_t = LsWhat::All)]
    pub what: LsWhat,
    /// One JSON document instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Do not open the UI: print how to point skiff (or the AWS CLI) at the
    /// sandbox and keep it running until Ctrl-C.
    #[arg(long)]
    pub no_tui: bool,
}
