//! `ferromq admin`: mqadmin's commands.

use clap::Args;

/// Options of `ferromq admin`.
#[derive(Debug, Args)]
pub struct AdminArgs {
    /// The mqadmin command and its options.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Runs an admin command.
pub async fn run(_args: AdminArgs) -> anyhow::Result<()> {
    anyhow::bail!("ferromq admin is being built")
}
