//! `LanguageCode`: the client language a request says it comes from.
//!
//! JSON headers carry the name (`"JAVA"`), binary headers the ordinal byte. Unknown values are
//! kept rather than rejected: a server must accept what any client sends.

use std::fmt;

/// A RocketMQ language code, stored as its ordinal byte.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LanguageCode(pub u8);

const NAMES: [&str; 14] = [
    "JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY", "OTHER", "HTTP", "GO", "PHP",
    "OMS", "RUST", "NODE_JS",
];

impl LanguageCode {
    pub const JAVA: LanguageCode = LanguageCode(0);
    pub const CPP: LanguageCode = LanguageCode(1);
    pub const DOTNET: LanguageCode = LanguageCode(2);
    pub const PYTHON: LanguageCode = LanguageCode(3);
    pub const OTHER: LanguageCode = LanguageCode(7);
    pub const GO: LanguageCode = LanguageCode(9);
    pub const RUST: LanguageCode = LanguageCode(12);
    pub const NODE_JS: LanguageCode = LanguageCode(13);

    /// The RocketMQ name (`"JAVA"`, `"GO"`, …); `"OTHER"` for an unknown ordinal.
    pub fn name(self) -> &'static str {
        NAMES.get(self.0 as usize).copied().unwrap_or("OTHER")
    }

    /// Looks up a name case-insensitively; unknown names map to `OTHER`.
    pub fn from_name(name: &str) -> LanguageCode {
        NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name.trim()))
            .map(|i| LanguageCode(i as u8))
            .unwrap_or(LanguageCode::OTHER)
    }
}

impl fmt::Debug for LanguageCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for LanguageCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ordinals() {
        assert_eq!(LanguageCode::from_name("JAVA"), LanguageCode::JAVA);
        assert_eq!(LanguageCode::from_name("go"), LanguageCode::GO);
        assert_eq!(LanguageCode::from_name("COBOL"), LanguageCode::OTHER);
        assert_eq!(LanguageCode(13).name(), "NODE_JS");
        assert_eq!(LanguageCode(200).name(), "OTHER");
    }
}
