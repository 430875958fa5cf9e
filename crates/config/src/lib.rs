//! FerroMQ config: RocketMQ `broker.conf` / `namesrv.conf` properties files as typed configs,
//! with RocketMQ's exact key names, legacy spellings and defaults.
//!
//! Everything public is exported at the root; the modules are private, except `value`:
//! - `properties`: [`Properties`], `java.util.Properties` text — a reader faithful to
//!   `Properties.load` and writers that read back unchanged.
//! - `table`: the key table mechanism. Each key is declared once (field, Java key, aliases,
//!   type, default, doc); [`ConfigTable`] gives `set`/`get`, the key list, loading with
//!   [`ConfigWarning`]s for unknown keys, runtime updates and `to_properties()`.
//! - [`value`]: how values are read and printed (lenient booleans, Java enum names,
//!   [`FlushDiskType`], [`BrokerRole`], [`DelayLevels`], [`DeleteWhen`]). Its types are also
//!   at the root; the module stays public because the broker names `value::FlushDiskType`.
//! - `broker`: [`BrokerConfig`] = Java `BrokerConfig` + `MessageStoreConfig` +
//!   `NettyServerConfig` + `AuthConfig`, with derived values (ports, paths, delay levels).
//! - `namesrv`: [`NamesrvConfig`] = Java `NamesrvConfig` + `NettyServerConfig` +
//!   `ControllerConfig`.
//! - `netty`: the shared remoting listener keys; `host`: machine facts behind defaults.
//!
//! ```
//! use ferromq_config::{BrokerConfig, ConfigTable, FlushDiskType};
//!
//! let loaded = BrokerConfig::from_properties_str(
//!     "brokerName = broker-a\nflushDiskType = SYNC_FLUSH\nlistenPort=30911\ncolour=blue\n",
//! )?;
//! let config = loaded.config;
//! assert_eq!(config.store.flush_disk_type, FlushDiskType::SyncFlush);
//! assert_eq!(config.ha_listen_port(), 30912);
//! assert_eq!(config.get("brokerName").as_deref(), Some("broker-a"));
//! assert_eq!(loaded.warnings.len(), 1); // `colour` is unknown: warned about, not fatal
//! # Ok::<(), ferromq_config::ConfigError>(())
//! ```

#![warn(unreachable_pub)]

mod broker;
mod error;
mod host;
mod namesrv;
mod netty;
mod properties;
mod table;
mod tls;
pub mod value;

pub use broker::{AuthConfig, BrokerConfig, BrokerSettings, MessageStoreConfig};
pub use error::ConfigError;
pub use namesrv::{ControllerConfig, NamesrvConfig, NamesrvSettings};
pub use netty::NettyServerConfig;
pub use properties::{Entry as PropertyEntry, Properties, WriteStyle};
pub use table::{ConfigTable, ConfigWarning, KeySpec, Loaded};
pub use tls::TlsConfig;
pub use value::{BrokerRole, ConfigValue, DelayLevels, DeleteWhen, FlushDiskType};
