//! The arguments of `cp` and `sync` (clap derive).

use clap::Args;

#[derive(Debug, Args)]
#[command(override_usage = "skiff cp [OPTIONS] <SRC>... <DST>")]
pub struct CpArgs {
    /// Sources, then the destination; exactly one side is s3://bucket/key-or-prefix.
    #[arg(required = true, num_args = 2.., value_name = "PATH")]
    pub paths: Vec<String>,
    /// Copy folders (upload) or prefixes (download) with everything below them.
    #[arg(long, short = 'r')]
    pub recursive: bool,
    /// Parts (or ranges) in flight at once (default: transfer.concurrency).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Part size, e.g. 8MiB (grown so a file never needs more than 10,000 parts).
    #[arg(long, value_name = "SIZE")]
    pub part_size: Option<bytesize::ByteSize>,
    /// Skip files already on S3 with the same size and ETag.
    #[arg(long)]
    pub skip_identical: bool,
    /// One JSON document with every file's result.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// A local folder or s3://bucket/prefix/.
    #[arg(value_name = "SRC")]
    pub src: String,
    /// A local folder or s3://bucket/prefix/.
    #[arg(value_name = "DST")]
    pub dst: String,
    /// Delete from the destination what the source does not have (asks
    /// first on a terminal when more than a handful would go; elsewhere
    /// needs --yes).
    #[arg(long)]
    pub delete: bool,
    /// Delete without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Say what would be sent and deleted; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Compare sizes only, not times.
    #[arg(long, conflicts_with = "exact_timestamps")]
    pub size_only: bool,
    /// Downloads: a file whose time differs at all goes again.
    #[arg(long)]
    pub exact_timestamps: bool,
    /// Leave out paths matching PATTERN (below the root; `*` crosses
    /// folders). With --include, the last matching one decides.
    #[arg(long, value_name = "PATTERN")]
    pub exclude: Vec<String>,
    /// Take back paths matching PATTERN that an earlier --exclude left out.
    #[arg(long, value_name = "PATTERN")]
    pub include: Vec<String>,
    /// --exclude (false) and --include (true) in the order given (filled
    /// from the command line's positions).
    #[arg(skip)]
    pub filters: Vec<(bool, String)>,
    /// Parts (or ranges) in flight at once (default: transfer.concurrency).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Part size, e.g. 8MiB.
    #[arg(long, value_name = "SIZE")]
    pub part_size: Option<bytesize::ByteSize>,
    /// One JSON document with the plan and every path's outcome.
    #[arg(long)]
    pub json: bool,
}

/// `sync`'s --exclude and --include in the order they were given.
pub fn filter_order(m: &clap::ArgMatches) -> Vec<(bool, String)> {
    let mut all: Vec<(usize, bool, String)> = Vec::new();
    for (id, include) in [("exclude", false), ("include", true)] {
        if let (Some(values), Some(at)) = (m.get_many::<String>(id), m.indices_of(id)) {
            all.extend(values.zip(at).map(|(v, i)| (i, include, v.clone())));
        }
    }
    all.sort_by_key(|(i, _, _)| *i);
    all.into_iter().map(|(_, inc, v)| (inc, v)).collect()
}
