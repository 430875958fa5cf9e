//! `ferromq bench`: producer and consumer benchmarks in the manner of RocketMQ's
//! `org.apache.rocketmq.example.benchmark` tools (`producer.sh`, `consumer.sh`,
//! `batchproducer.sh`), with the same option letters and progress lines, built on the Rust
//! client SDK so they run against any RocketMQ-protocol cluster given `-n`.
//!
//! - [`producer`]: `bench producer` (sync or `-y` async single sends) and `bench batch`.
//! - [`consumer`]: `bench consumer` (a push consumer; born→consume and store→consume times).
//! - [`stats`]: sharded HDR histograms and the percentile summary.
//! - [`rate`]: the `--rate` pacer.
//! - [`report`]: progress lines (stderr) and the final summary (text or `--json`).
//! - [`topic`]: creating the benchmark topic on every master when it is missing.
//! - [`run_control`]: when a run stops (count, duration, Ctrl-C).

mod consumer;
mod producer;
mod rate;
mod report;
mod run_control;
mod stats;
mod topic;

use clap::{Args, Subcommand};
use ferromq_client::ClientConfig;

use crate::credentials::CredentialArgs;

/// Options of `ferromq bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The benchmark to run.
    #[command(subcommand)]
    pub kind: BenchKind,
}

/// The benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchKind {
    /// Send single messages, sync (`-w` tasks) or async (`-y`, `--inflight` outstanding),
    /// like RocketMQ's `producer.sh`.
    Producer(producer::ProducerArgs),
    /// Send batches of `-b` messages (default 16) from `-w` tasks, like `batchproducer.sh`.
    Batch(producer::ProducerArgs),
    /// Consume with a push consumer, like `consumer.sh`.
    Consumer(consumer::ConsumerArgs),
}

/// Options every benchmark has.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// NameServer address(es), `host:port;host:port`.
    #[arg(short = 'n', long = "namesrvAddr", default_value = "127.0.0.1:9876")]
    pub namesrv: String,
    /// Topic.
    #[arg(short = 't', long = "topic", default_value = "BenchmarkTest")]
    pub topic: String,
    /// Milliseconds between progress lines on stderr (RocketMQ's `-ri`).
    #[arg(long = "ri", alias = "reportInterval", default_value_t = 1000)]
    pub report_interval_ms: u64,
    /// Stop after this many seconds (0 = no limit).
    #[arg(long = "duration", default_value_t = 0)]
    pub duration_secs: u64,
    /// Print the final summary as JSON on stdout (the human summary goes to stderr).
    #[arg(long)]
    pub json: bool,
    /// Read/write queues per broker when the topic has to be created.
    #[arg(long = "queues", default_value_t = 8)]
    pub queues: i32,
    /// Create a missing topic on the masters of this cluster only (default: every master).
    #[arg(long = "cluster")]
    pub cluster: Option<String>,
    /// Request header encoding: ROCKETMQ (binary, what RocketMQ's benchmark uses) or JSON.
    #[arg(long = "serialize", default_value = "ROCKETMQ")]
    pub serialize: String,
    /// ACL credentials (else `$ROCKETMQ_HOME/conf/tools.yml`, else unsigned).
    #[command(flatten)]
    pub credentials: CredentialArgs,
}

impl CommonArgs {
    /// The header encoding to put on every request.
    pub fn serialize_type(&self) -> ferromq_client::SerializeType {
        ferromq_client::serialize_type_from(Some(&self.serialize))
    }

    /// Settings of every client a benchmark makes: the NameServers, the header encoding and
    /// the credentials to sign with.
    pub fn client_config(&self) -> anyhow::Result<ClientConfig> {
        Ok(ClientConfig {
            serialize_type: self.serialize_type(),
            credentials: self.credentials.resolve()?,
            ..ClientConfig::new(&self.namesrv)
        })
    }
}

/// RocketMQ's boolean options take a value (`-y true`); a bare flag means true here too.
fn parse_bool(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        other => Err(format!("expected true or false, got `{other}`")),
    }
}

/// Runs a benchmark.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.kind {
        BenchKind::Producer(a) => producer::run(a, 1).await,
        BenchKind::Batch(a) => producer::run(a, 16).await,
        BenchKind::Consumer(a) => consumer::run(a).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        bench: BenchArgs,
    }

    fn parse(args: &[&str]) -> BenchKind {
        let mut all = vec!["bench"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).expect("parses").bench.kind
    }

    #[test]
    fn producer_options_use_rocketmq_letters() {
        let BenchKind::Producer(p) = parse(&[
            "producer",
            "-n",
            "h:1",
            "-t",
            "T",
            "-s",
            "1024",
            "-w",
            "8",
            "-k",
            "true",
            "-l",
            "4",
            "-q",
            "100",
            "-y",
            "--inflight",
            "32",
            "--ri",
            "500",
            "--json",
            "--rate",
            "1000",
        ]) else {
            panic!("not a producer")
        };
        assert_eq!(p.common.namesrv, "h:1");
        assert_eq!(p.common.topic, "T");
        assert_eq!(p.common.report_interval_ms, 500);
        assert!(p.common.json);
        assert_eq!(p.message_size, 1024);
        assert_eq!(p.threads, Some(8));
        assert!(p.keys);
        assert_eq!(p.tag_count, 4);
        assert_eq!(p.quantity, 100);
        assert!(p.async_send);
        assert_eq!(p.inflight, 32);
        assert_eq!(p.rate, Some(1000.0));
    }

    #[test]
    fn defaults_match_rocketmq() {
        let BenchKind::Batch(p) = parse(&["batch", "-b", "32", "-y", "false"]) else {
            panic!("not a batch")
        };
        assert_eq!(p.common.topic, "BenchmarkTest");
        assert_eq!(p.common.namesrv, "127.0.0.1:9876");
        assert_eq!(p.message_size, 128);
        assert_eq!(p.batch, Some(32));
        assert!(!p.async_send);
        assert!(!p.keys);
        assert_eq!(p.group, "benchmark_producer");
        let BenchKind::Consumer(c) = parse(&[
            "consumer", "-f", "SQL92", "-e", "a > 1", "-r", "0.1", "-p", "true",
        ]) else {
            panic!("not a consumer")
        };
        assert_eq!(c.threads, 20);
        assert_eq!(c.group, "benchmark_consumer");
        assert_eq!(c.filter_type.as_deref(), Some("SQL92"));
        assert_eq!(c.expression.as_deref(), Some("a > 1"));
        assert_eq!(c.fail_rate, 0.1);
        assert!(c.group_suffix);
        assert!(parse_bool("maybe").is_err());
    }
}
