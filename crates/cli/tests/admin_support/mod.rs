//! Running `ferromq admin` against an in-process cluster, and the insta filters that make its
//! output stable (addresses, times, message and client ids vary from run to run).

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

pub use ferromq_testkit::TestCluster;

/// What one `ferromq admin …` run printed.
#[derive(Debug, Clone)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Run {
    /// The run succeeded; its stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "failed: {}\n{}", self.stderr, self.stdout);
        &self.stdout
    }

    /// The run failed with a non-zero exit; its last stderr line.
    #[track_caller]
    pub fn failed(&self) -> &str {
        assert_ne!(self.code, 0, "unexpectedly succeeded: {}", self.stdout);
        self.stderr.lines().last().unwrap_or_default()
    }

    /// stdout as JSON (for `--json` runs).
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.ok()).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

fn log_dir() -> PathBuf {
    let d = std::env::temp_dir().join("ferromq-admin-test-logs");
    let _ = std::fs::create_dir_all(&d);
    d
}

/// Runs the real binary: `ferromq admin <args>`, off the async runtime so the in-process
/// cluster keeps serving.
pub async fn admin(args: &[&str]) -> Run {
    admin_env(args, &[]).await
}

/// [`admin`] with extra environment variables. Credentials come only from `env`: the
/// caller's `ROCKETMQ_ACCESS_KEY`/`ROCKETMQ_SECRET_KEY`/`ROCKETMQ_HOME` are removed.
pub async fn admin_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let out = Command::new(env!("CARGO_BIN_EXE_ferromq"))
            .arg("admin")
            .args(&args)
            .env("RUST_LOG", "off")
            .env("FERROMQ_LOG_DIR", log_dir())
            .env("TZ", "UTC")
            .env_remove("NAMESRV_ADDR")
            .env_remove("RUST_BACKTRACE")
            .env_remove("ROCKETMQ_ACCESS_KEY")
            .env_remove("ROCKETMQ_SECRET_KEY")
            .env_remove("ROCKETMQ_HOME")
            .envs(env)
            .output()
            .expect("run ferromq");
        Run {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        }
    })
    .await
    .expect("runner thread")
}

/// `ferromq admin <cmd> -n <namesrv> <args>`.
pub async fn on(cluster: &TestCluster, cmd: &str, args: &[&str]) -> Run {
    let mut all = vec![cmd, "-n", cluster.namesrv_addr.as_str()];
    all.extend_from_slice(args);
    admin(&all).await
}

/// Waits until the NameServer routes `topic` (brokers register new topics in the background).
pub async fn wait_for_route(cluster: &TestCluster, topic: &str) {
    let admin = ferromq_client::Admin::connect(&cluster.namesrv_addr);
    for _ in 0..100 {
        if admin.topic_route(topic).await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    admin.shutdown().await;
}

/// Filters for what varies between runs.
pub fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        // client ids (`ip@pid#nanos`) in padded columns
        (r"\d{1,3}(?:\.\d{1,3}){3}@\S+\s+", "[CLIENTID] "),
        (r"127\.0\.0\.1:\d+", "[ADDR]"),
        (r"\b[0-9A-F]{32}(?:[0-9A-F]{24})?\b", "[MSGID]"),
        (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:,\d{3})?", "[TIME]"),
        (r"\b1[6-9]\d{11}\b", "[MILLIS]"),
        (r"/tmp/\.tmp\w+", "[TMPDIR]"),
    ]
}

/// Snapshots `text` with [`filters`] plus `extra`.
#[macro_export]
macro_rules! snap {
    ($name:expr, $text:expr) => {
        snap!($name, $text, [])
    };
    ($name:expr, $text:expr, [$(($re:expr, $rep:expr)),* $(,)?]) => {{
        let text: String = ($text).to_string();
        // the command's own filters first: they see the raw text
        let mut filters: Vec<(&str, &str)> = vec![$(($re, $rep)),*];
        filters.extend($crate::admin_support::filters());
        insta::with_settings!({ filters => filters, prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!($name, text);
        });
    }};
}

/// Lines of `text` whose first word is one of `keys` (for long key/value listings whose other
/// keys belong to the broker's or NameServer's own evolution).
pub fn lines_with_keys(text: &str, keys: &[&str]) -> String {
    text.lines()
        .filter(|l| {
            let first = l
                .split(|c: char| c.is_whitespace() || c == '=' || c == ':')
                .next();
            l.starts_with("====") || first.is_some_and(|w| keys.contains(&w))
        })
        .map(|l| format!("{l}\n"))
        .collect()
}
