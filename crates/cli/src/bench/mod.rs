//! `ferromq bench`: producer and consumer benchmarks.

use clap::Args;

/// Options of `ferromq bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The benchmark and its options.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Runs a benchmark.
pub async fn run(_args: BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("ferromq bench is being built")
}
