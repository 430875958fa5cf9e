//! [`MessageFilter`]: the two-stage filter a pull applies — first on the ConsumeQueue tag
//! code (cheap, no CommitLog access), then on the record's properties (for SQL92).

/// Decides which messages a pull returns.
pub trait MessageFilter: Send + Sync {
    /// Stage one: the tag code from the ConsumeQueue entry.
    fn matches_tag_code(&self, tag_code: i64) -> bool;

    /// Stage two: the record's encoded property string. Defaults to accepting.
    fn matches_properties(&self, _properties: &[u8]) -> bool {
        true
    }

    /// Whether stage two is needed (skips decoding records when false).
    fn needs_properties(&self) -> bool {
        false
    }
}

/// Accepts everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct AcceptAll;

impl MessageFilter for AcceptAll {
    fn matches_tag_code(&self, _tag_code: i64) -> bool {
        true
    }
}

/// Accepts messages whose tag code is in a set (a `TagA || TagB` subscription); an empty set
/// accepts all (`*`).
#[derive(Debug, Clone, Default)]
pub struct TagCodeFilter {
    pub codes: Vec<i64>,
}

impl MessageFilter for TagCodeFilter {
    fn matches_tag_code(&self, tag_code: i64) -> bool {
        self.codes.is_empty() || self.codes.contains(&tag_code)
    }
}
