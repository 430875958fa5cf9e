//! The name server's config: namesrv.conf keys of Java's `NamesrvConfig`,
//! `NettyServerConfig` and (embedded controller) `ControllerConfig`, sharing one namespace.

mod controller;
mod settings;

use std::path::Path;

pub use controller::ControllerConfig;
pub use settings::NamesrvSettings;

use crate::broker::split_list;
use crate::netty::NettyServerConfig;
use crate::table::{config_sections, load_text, read_properties_file, ConfigTable, Loaded};
use crate::tls::TlsConfig;
use crate::ConfigError;

/// Everything a namesrv.conf can say, one section per Java config class.
#[derive(Debug, Clone, PartialEq)]
pub struct NamesrvConfig {
    /// Java `NamesrvConfig`.
    pub namesrv: NamesrvSettings,
    /// Java `NettyServerConfig` (`listenPort` 9876).
    pub netty: NettyServerConfig,
    /// Java `TlsSystemConfig`: TLS on the remoting port.
    pub tls: TlsConfig,
    /// Java `ControllerConfig`, used when `enableControllerInNamesrv`.
    pub controller: ControllerConfig,
}

config_sections!(NamesrvConfig {
    namesrv: NamesrvSettings,
    netty: NettyServerConfig,
    tls: TlsConfig,
    controller: ControllerConfig,
});

impl Default for NamesrvConfig {
    fn default() -> Self {
        // NamesrvStartup's default, over NettyServerConfig's 0.
        let netty = NettyServerConfig {
            listen_port: Self::DEFAULT_LISTEN_PORT,
            ..NettyServerConfig::default()
        };
        NamesrvConfig {
            namesrv: NamesrvSettings::default(),
            netty,
            tls: TlsConfig::default(),
            controller: ControllerConfig::default(),
        }
    }
}

impl NamesrvConfig {
    /// The name server's port unless `listenPort` says otherwise.
    pub const DEFAULT_LISTEN_PORT: u16 = 9876;

    /// Reads namesrv.conf text over the defaults.
    pub fn from_properties_str(text: &str) -> Result<Loaded<Self>, ConfigError> {
        load_text(Self::default(), text)
    }

    /// Reads a namesrv.conf file over the defaults; `configStorePath` becomes the file's path,
    /// as Java's `NamesrvStartup` sets it.
    pub fn load(path: &Path) -> Result<Loaded<Self>, ConfigError> {
        let text = read_properties_file(path)?;
        let mut loaded = Self::from_properties_str(&text)?;
        loaded.config.namesrv.config_store_path = path.to_string_lossy().into_owned();
        Ok(loaded)
    }

    /// Applies an UPDATE_NAMESRV_CONFIG body all-or-nothing; returns the keys that changed.
    /// Keys in `configBlackList` are refused; unknown keys are ignored.
    pub fn update_from_properties(&mut self, text: &str) -> Result<Vec<String>, ConfigError> {
        let black_list = self.namesrv.config_black_list.clone();
        let read_only: Vec<&str> = split_list(&black_list, ';').collect();
        self.update_except(text, &read_only)
    }

    /// Fills `rocketmqHome` from `ROCKETMQ_HOME` when unset.
    pub fn apply_env(&mut self) {
        self.apply_env_from(|name| std::env::var(name).ok());
    }

    /// [`apply_env`](Self::apply_env) over any variable lookup.
    pub fn apply_env_from(&mut self, lookup: impl Fn(&str) -> Option<String>) {
        if self.namesrv.rocketmq_home.is_none() {
            self.namesrv.rocketmq_home = lookup("ROCKETMQ_HOME")
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty());
        }
    }

    /// `listenPort`.
    pub fn listen_port(&self) -> u16 {
        self.netty.listen_port
    }
}

#[cfg(test)]
mod tests;
