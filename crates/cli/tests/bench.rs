//! `ferromq bench` end to end: the real binary against an in-process cluster, short runs with
//! `--json`, checking the counts and the latency summary.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ferromq_testkit::TestCluster;
use serde_json::Value;

/// Longest a single benchmark run may take before the test gives up on it.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// Runs `ferromq bench <args>` and returns its JSON summary (stdout).
async fn bench(dir: &Path, args: &[&str]) -> Value {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let n = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
        let out_path = dir.join(format!("run{n}.out"));
        let err_path = dir.join(format!("run{n}.err"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_ferromq"))
            .arg("bench")
            .args(&args)
            .env("FERROMQ_LOG_DIR", dir.join("logs"))
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out_path).expect("stdout file"))
            .stderr(std::fs::File::create(&err_path).expect("stderr file"))
            .spawn()
            .expect("ferromq starts");
        let deadline = Instant::now() + RUN_LIMIT;
        let status = loop {
            if let Some(s) = child.try_wait().expect("wait") {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "bench {args:?} did not finish; stderr:\n{}",
                    std::fs::read_to_string(&err_path).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
        let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
        assert!(
            status.success(),
            "bench {args:?} failed ({status}); stderr:\n{stderr}"
        );
        serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("bad JSON ({e}): {stdout}\nstderr:\n{stderr}"))
    })
    .await
    .expect("bench task")
}

fn u(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("`{key}` missing: {v}"))
}

fn assert_percentiles_ordered(p: &Value) {
    let get = |k: &str| {
        p[k].as_f64()
            .unwrap_or_else(|| panic!("`{k}` missing: {p}"))
    };
    let (p50, p90, p99, p999, max) = (get("p50"), get("p90"), get("p99"), get("p999"), get("max"));
    assert!(
        0.0 <= p50 && p50 <= p90 && p90 <= p99 && p99 <= p999 && p999 <= max,
        "percentiles out of order: {p}"
    );
}

fn assert_clean_producer_run(v: &Value, messages: u64, batch: u64) {
    assert_eq!(u(v, "messages_sent"), messages, "{v}");
    assert_eq!(u(v, "requests_sent"), messages.div_ceil(batch), "{v}");
    assert_eq!(u(v, "send_failed"), 0, "{v}");
    assert_eq!(u(v, "response_failed"), 0, "{v}");
    assert_eq!(u(v, "messages_failed"), 0, "{v}");
    assert!(v["tps"].as_f64().unwrap() > 0.0, "{v}");
    assert!(v["mb_per_sec"].as_f64().unwrap() > 0.0, "{v}");
    let lat = &v["latency_ms"];
    assert_eq!(lat["count"].as_u64(), Some(messages.div_ceil(batch)), "{v}");
    assert!(lat["max"].as_f64().unwrap() > 0.0, "{v}");
    assert_percentiles_ordered(lat);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producers_then_consumer_count_every_message() {
    let cluster = TestCluster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let ns = cluster.namesrv_addr.clone();
    let common = ["-n", ns.as_str(), "-t", "BenchE2E", "--json", "--ri", "200"];

    // Sync sends from 4 tasks; the topic does not exist yet and is created with 4 queues.
    let mut args = vec![
        "producer", "-s", "300", "-w", "4", "-q", "300", "--queues", "4",
    ];
    args.extend(common);
    let sync = bench(dir.path(), &args).await;
    assert_clean_producer_run(&sync, 300, 1);
    assert_eq!(sync["async_send"], false);
    assert_eq!(sync["message_size"], 300);

    let route = ferromq_client::Admin::connect(&ns)
        .topic_route("BenchE2E")
        .await
        .expect("created topic is routable");
    assert_eq!(route.queue_datas[0].write_queue_nums, 4);

    // Async sends, 16 in flight, keys and tags.
    let mut args = vec![
        "producer",
        "-s",
        "300",
        "-y",
        "--inflight",
        "16",
        "-q",
        "250",
        "-k",
        "-l",
        "3",
    ];
    args.extend(common);
    let asynch = bench(dir.path(), &args).await;
    assert_clean_producer_run(&asynch, 250, 1);
    assert_eq!(asynch["async_send"], true);
    assert_eq!(asynch["inflight"], 16);

    // Batches of 32 from 2 tasks: 200 messages = 6 full batches + one of 8.
    let mut args = vec!["batch", "-s", "300", "-b", "32", "-w", "2", "-q", "200"];
    args.extend(common);
    let batch = bench(dir.path(), &args).await;
    assert_clean_producer_run(&batch, 200, 32);
    assert_eq!(batch["benchmark"], "batch");

    let sent = 300 + 250 + 200;
    let mut args = vec![
        "consumer",
        "-g",
        "bench_e2e_group",
        "--from",
        "first",
        "-q",
        "750",
        "--duration",
        "50",
    ];
    args.extend(common);
    let consumed = bench(dir.path(), &args).await;
    assert_eq!(u(&consumed, "messages_consumed"), sent, "{consumed}");
    assert_eq!(u(&consumed, "consume_failed"), 0, "{consumed}");
    assert_eq!(u(&consumed, "bytes"), sent * 300, "{consumed}");
    assert!(consumed["tps"].as_f64().unwrap() > 0.0, "{consumed}");
    assert_eq!(consumed["b2c_ms"]["count"].as_u64(), Some(sent));
    assert_percentiles_ordered(&consumed["b2c_ms"]);
    assert_percentiles_ordered(&consumed["s2c_ms"]);

    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_filter_and_rate_limit() {
    let cluster = TestCluster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let ns = cluster.namesrv_addr.clone();
    let common = ["-n", ns.as_str(), "-t", "BenchTags", "--json"];

    // 200 messages tagged tag0/tag1 alternately, paced at 400 msg/s: at least ~0.45 s.
    let mut args = vec![
        "producer", "-w", "4", "-q", "200", "-l", "2", "--rate", "400",
    ];
    args.extend(common);
    let sent = bench(dir.path(), &args).await;
    assert_clean_producer_run(&sent, 200, 1);
    assert_eq!(sent["rate_limit"].as_f64(), Some(400.0));
    let elapsed = sent["elapsed_secs"].as_f64().unwrap();
    assert!(elapsed >= 0.45, "rate limit not applied: {elapsed}s");
    assert!(sent["tps"].as_f64().unwrap() <= 440.0, "{sent}");

    // A TAG-filtered consumer sees exactly the tag1 half (it runs for a fixed time so that a
    // broken filter would show up as more than 100).
    let mut args = vec![
        "consumer",
        "-g",
        "bench_tag_group",
        "--from",
        "first",
        "-f",
        "TAG",
        "-e",
        "tag1",
        "--duration",
        "4",
    ];
    args.extend(common);
    let consumed = bench(dir.path(), &args).await;
    assert_eq!(u(&consumed, "messages_consumed"), 100, "{consumed}");

    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_and_consumer_sign_for_an_acl_broker() {
    let cluster = TestCluster::start_with(1, ferromq_testkit::acl2).await;
    let dir = tempfile::tempdir().unwrap();
    let ns = cluster.namesrv_addr.clone();
    let common = [
        "-n",
        ns.as_str(),
        "-t",
        "BenchAcl",
        "--json",
        "--access-key",
        "rocketmq",
        "--secret-key",
        "12345678",
    ];
    // The topic is created, routed, written and read by signed requests only.
    let mut args = vec!["producer", "-w", "2", "-q", "50", "--queues", "2"];
    args.extend(common);
    let sent = bench(dir.path(), &args).await;
    assert_clean_producer_run(&sent, 50, 1);
    let mut args = vec![
        "consumer",
        "-g",
        "bench_acl_group",
        "--from",
        "first",
        "-q",
        "50",
        "--duration",
        "30",
    ];
    args.extend(common);
    let consumed = bench(dir.path(), &args).await;
    assert_eq!(u(&consumed, "messages_consumed"), 50, "{consumed}");
    cluster.shutdown().await;
}
