use super::{ControllerConfig, NamesrvConfig, NamesrvSettings};
use crate::broker::tests::defaults::assert_defaults_match;
use crate::host;
use crate::table::{ConfigTable, ConfigWarning};
use crate::ConfigError;

#[test]
fn namesrv_defaults_match_java() {
    assert_defaults_match::<NamesrvSettings>(
        "namesrv",
        &["kvConfigPath", "configStorePath"],
        &[
            (
                "scanNotActiveBrokerInterval",
                "FerroMQ scans every 10 s (Java 5.x: 5 s)",
            ),
            ("brokerExpiredMillis", "FerroMQ key; Java hard-codes 120 s"),
        ],
    );
}

#[test]
fn controller_defaults_match_java() {
    assert_defaults_match::<ControllerConfig>(
        "controller",
        &[],
        &[(
            "processReadEvent",
            "Java's field is isProcessReadEvent, its setter key processReadEvent",
        )],
    );
}

#[test]
fn startup_defaults() {
    let c = NamesrvConfig::default();
    let home = host::home_dir();
    assert_eq!(c.listen_port(), 9876);
    assert_eq!(
        c.namesrv.kv_config_path,
        format!("{home}/namesrv/kvConfig.json")
    );
    assert_eq!(
        c.namesrv.config_store_path,
        format!("{home}/namesrv/namesrv.properties")
    );
    assert_eq!(c.namesrv.scan_not_active_broker_interval, 10_000);
    assert_eq!(c.namesrv.broker_expired_millis, 120_000);
    assert!(!c.namesrv.order_message_enable);
    assert_eq!(c.namesrv.wait_seconds_for_service, 45);
    assert_eq!(c.namesrv.rocketmq_home, None);
}

#[test]
fn controller_quick_start_namesrv_conf() {
    let text = "
enableControllerInNamesrv = true
controllerDLegerGroup = group1
controllerDLegerPeers = n0-127.0.0.1:9878
controllerDLegerSelfId = n0
";
    let loaded = NamesrvConfig::from_properties_str(text).unwrap();
    assert!(loaded.warnings.is_empty());
    let c = loaded.config;
    assert!(c.namesrv.enable_controller_in_namesrv);
    assert_eq!(
        c.controller.controller_dledger_group.as_deref(),
        Some("group1")
    );
    assert_eq!(
        c.controller.controller_dledger_peers.as_deref(),
        Some("n0-127.0.0.1:9878")
    );
    assert_eq!(
        c.controller.controller_dledger_self_id.as_deref(),
        Some("n0")
    );
    assert_eq!(c.listen_port(), 9876);
}

/// The distribution's cluster-3n-namesrv-plugin/namesrv-n0.conf starts with an XML comment,
/// which Properties.load reads as junk keys. Java ignores them; we warn and go on.
#[test]
fn xml_comment_header_becomes_warnings_only() {
    let text = "<!--
  Licensed to whoever under some terms.
  limitations under the License.
  -->

listenPort = 9876
enableControllerInNamesrv = true
controllerDLegerPeers = n0-127.0.0.1:9878;n1-127.0.0.1:9868;n2-127.0.0.1:9858
";
    let loaded = NamesrvConfig::from_properties_str(text).unwrap();
    let junk: Vec<&str> = loaded
        .warnings
        .iter()
        .map(|w| match w {
            ConfigWarning::UnknownKey { key, .. } => key.as_str(),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(junk, vec!["<!--", "Licensed", "limitations", "-->"]);
    assert!(loaded.config.namesrv.enable_controller_in_namesrv);
}

#[test]
fn bad_value_names_key_and_value() {
    let err = NamesrvConfig::from_properties_str("orderMessageEnable=maybe\n").unwrap_err();
    assert!(matches!(
        &err,
        ConfigError::InvalidValue { key, value, line: Some(1), .. }
            if key == "orderMessageEnable" && value == "maybe"
    ));
}

#[test]
fn round_trip_and_sorted_output() {
    let text = "listenPort=9877\norderMessageEnable=true\nrocketmqHome=/opt/rmq\nscanNotActiveBrokerInterval=5000\n";
    let c = NamesrvConfig::from_properties_str(text).unwrap().config;
    let printed = c.to_properties();
    assert!(printed.lines().any(|l| l == "listenPort=9877"));
    assert!(printed.lines().any(|l| l == "orderMessageEnable=true"));
    assert!(
        !printed.contains("controllerDLegerGroup"),
        "null keys omitted"
    );
    let again = NamesrvConfig::from_properties_str(&printed).unwrap();
    assert!(again.warnings.is_empty());
    assert_eq!(again.config, c);
}

#[test]
fn load_sets_config_store_path_and_update_honours_black_list() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("namesrv.conf");
    std::fs::write(
        &path,
        "configStorePath=/elsewhere\nwaitSecondsForService=5\n",
    )
    .unwrap();
    let mut c = NamesrvConfig::load(&path).unwrap().config;
    assert_eq!(c.namesrv.config_store_path, path.to_str().unwrap());
    assert_eq!(c.namesrv.wait_seconds_for_service, 5);

    assert_eq!(
        c.update_from_properties("orderMessageEnable=true\n")
            .unwrap(),
        vec!["orderMessageEnable"]
    );
    for key in ["kvConfigPath", "configStorePath", "configBlackList"] {
        assert!(matches!(
            c.update_from_properties(&format!("{key}=/x\n")),
            Err(ConfigError::ReadOnlyKey { .. })
        ));
    }
}

#[test]
fn env_fills_rocketmq_home_when_unset() {
    let mut c = NamesrvConfig::default();
    c.apply_env_from(|k| (k == "ROCKETMQ_HOME").then(|| "/opt/rocketmq".to_owned()));
    assert_eq!(c.namesrv.rocketmq_home.as_deref(), Some("/opt/rocketmq"));
    c.apply_env_from(|_| Some("/other".to_owned()));
    assert_eq!(c.namesrv.rocketmq_home.as_deref(), Some("/opt/rocketmq"));
}

#[test]
fn keys_are_unique_across_sections() {
    let mut seen = std::collections::HashSet::new();
    for spec in NamesrvConfig::key_specs() {
        assert!(seen.insert(spec.key), "{} declared twice", spec.key);
    }
}
