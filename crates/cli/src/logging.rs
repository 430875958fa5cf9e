//! Logs to stderr and to a daily-rolling file under `~/logs/ferromqlogs/` (RocketMQ writes to
//! `~/logs/rocketmqlogs/`). `RUST_LOG` filters; `FERROMQ_LOG_DIR` moves the files.

use std::path::PathBuf;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

/// Where log files go.
pub fn log_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("FERROMQ_LOG_DIR") {
        return PathBuf::from(d);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join("logs").join("ferromqlogs")
}

/// Installs the subscriber; keep the guard alive until exit so file logs are flushed.
pub fn init(file_stem: &str) -> Option<WorkerGuard> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr = fmt::layer().with_writer(std::io::stderr).with_target(false);
    let dir = log_dir();
    let file = std::fs::create_dir_all(&dir).ok().map(|_| {
        let appender = tracing_appender::rolling::daily(&dir, format!("{file_stem}.log"));
        tracing_appender::non_blocking(appender)
    });
    match file {
        Some((writer, guard)) => {
            let file_layer = fmt::layer().with_writer(writer).with_ansi(false);
            let _ = tracing_subscriber::registry()
                .with(filter)
                .with(stderr)
                .with(file_layer)
                .try_init();
            Some(guard)
        }
        None => {
            let _ = tracing_subscriber::registry()
                .with(filter)
                .with(stderr)
                .try_init();
            None
        }
    }
}
