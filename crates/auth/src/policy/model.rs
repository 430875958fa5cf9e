//! ACL 2.0's vocabulary: users, subjects, resources, actions, decisions and policies, with
//! the names admin bodies use (matched case-insensitively, as Java's `getByName`) and the
//! numeric codes Java stores.

use std::fmt;

/// Declares an enum with Java's (name, code) pairs.
macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = ($text:literal, $code:literal)),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            /// Every value, in code order.
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            /// Java's name (`getName`).
            pub fn name(self) -> &'static str {
                match self { $($name::$v => $text),+ }
            }

            /// Java's stored code.
            pub fn code(self) -> u8 {
                match self { $($name::$v => $code),+ }
            }

            /// The value named `name`, ignoring case.
            pub fn by_name(name: &str) -> Option<Self> {
                let name = name.trim();
                Self::ALL.iter().copied().find(|v| v.name().eq_ignore_ascii_case(name))
            }

            /// The value stored as `code`.
            pub fn by_code(code: u8) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

named_enum! {
    /// A super user skips every policy; only a super user creates or changes one.
    UserType { Super = ("Super", 1), Normal = ("Normal", 2) }
}

named_enum! {
    /// A disabled user's requests are refused.
    UserStatus { Enable = ("enable", 1), Disable = ("disable", 2) }
}

named_enum! {
    /// What a request does to a resource.
    Action {
        Unknown = ("Unknown", 0),
        All = ("All", 1),
        Any = ("Any", 2),
        Pub = ("Pub", 3),
        Sub = ("Sub", 4),
        Create = ("Create", 5),
        Update = ("Update", 6),
        Delete = ("Delete", 7),
        Get = ("Get", 8),
        List = ("List", 9),
    }
}

named_enum! {
    /// Whether a matched entry lets the request through.
    Decision { Allow = ("Allow", 1), Deny = ("Deny", 2) }
}

named_enum! {
    /// `Custom` entries are considered first; `Default` ones only when none matches.
    PolicyType { Custom = ("Custom", 1), Default = ("Default", 2) }
}

named_enum! {
    /// The kind of thing a resource names.
    ResourceType {
        Unknown = ("Unknown", 0),
        Any = ("Any", 1),
        Cluster = ("Cluster", 2),
        Namespace = ("Namespace", 3),
        Topic = ("Topic", 4),
        Group = ("Group", 5),
    }
}

named_enum! {
    /// How a policy's resource name matches a request's.
    ResourcePattern { Any = ("ANY", 1), Literal = ("LITERAL", 2), Prefixed = ("PREFIXED", 3) }
}

/// The retry-topic prefix; a retry topic is its group's resource.
const RETRY_PREFIX: &str = "%RETRY%";

/// A resource: `*`, `Topic:*`, `Topic:name`, `Group:prefix*`, `Cluster:name`, …
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Resource {
    kind: ResourceType,
    name: Option<String>,
    pattern: ResourcePattern,
}

impl Resource {
    /// A literal topic resource (a `%RETRY%` topic is its group's).
    pub fn topic(name: &str) -> Resource {
        if name.starts_with(RETRY_PREFIX) {
            return Resource::group(name);
        }
        Resource::literal(ResourceType::Topic, name)
    }

    /// A literal group resource, without a `%RETRY%` prefix.
    pub fn group(name: &str) -> Resource {
        let name = name.strip_prefix(RETRY_PREFIX).unwrap_or(name);
        Resource::literal(ResourceType::Group, name)
    }

    /// A literal resource of `kind`.
    pub fn literal(kind: ResourceType, name: &str) -> Resource {
        Resource {
            kind,
            name: Some(name.to_string()),
            pattern: ResourcePattern::Literal,
        }
    }

    /// Parses a resource key as Java's `Resource.of`: `None` when blank or of an unknown type.
    pub fn parse(key: &str) -> Option<Resource> {
        if key.trim().is_empty() {
            return None;
        }
        if key == "*" {
            return Some(Resource {
                kind: ResourceType::Any,
                name: None,
                pattern: ResourcePattern::Any,
            });
        }
        let (kind, name) = key.split_once(':').unwrap_or((key, ""));
        let kind = ResourceType::by_name(kind)?;
        let (name, pattern) = if name == "*" {
            (None, ResourcePattern::Any)
        } else if let Some(i) = name.find('*').filter(|_| name.ends_with('*')) {
            (Some(name[..i].to_string()), ResourcePattern::Prefixed)
        } else {
            (Some(name.to_string()), ResourcePattern::Literal)
        };
        Some(Resource {
            kind,
            name,
            pattern,
        })
    }

    /// Rebuilds a stored resource.
    pub fn from_parts(kind: ResourceType, name: Option<String>, pattern: ResourcePattern) -> Self {
        Resource {
            kind,
            name,
            pattern,
        }
    }

    /// The resource's type.
    pub fn kind(&self) -> ResourceType {
        self.kind
    }

    /// The name (a prefix for PREFIXED; none for ANY).
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// How the name matches.
    pub fn pattern(&self) -> ResourcePattern {
        self.pattern
    }

    /// Whether this (policy) resource covers `requested`.
    pub fn covers(&self, requested: &Resource) -> bool {
        if self.kind == ResourceType::Any {
            return true;
        }
        if self.kind != requested.kind {
            return false;
        }
        let theirs = requested.name.as_deref().unwrap_or("");
        match self.pattern {
            ResourcePattern::Any => true,
            ResourcePattern::Literal => self.name.as_deref() == requested.name.as_deref(),
            ResourcePattern::Prefixed => theirs.starts_with(self.name.as_deref().unwrap_or("")),
        }
    }
}

impl fmt::Display for Resource {
    /// Java's `getResourceKey`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == ResourceType::Any {
            return f.write_str("*");
        }
        let name = self.name.as_deref().unwrap_or("");
        match self.pattern {
            ResourcePattern::Any => write!(f, "{}:*", self.kind),
            ResourcePattern::Literal => write!(f, "{}:{name}", self.kind),
            ResourcePattern::Prefixed => write!(f, "{}:{name}*", self.kind),
        }
    }
}

/// A user: its name is the `AccessKey`, its password the HMAC key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The name requests carry as `AccessKey`.
    pub username: String,
    /// The signing secret.
    pub password: String,
    /// Super or Normal.
    pub user_type: UserType,
    /// Enabled or not.
    pub status: UserStatus,
}

/// One resource's rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyEntry {
    /// What the entry covers.
    pub resource: Resource,
    /// The actions it decides (never `Any`).
    pub actions: Vec<Action>,
    /// Source IP literals or CIDRs; empty = from anywhere.
    pub source_ips: Vec<String>,
    /// Allow or Deny.
    pub decision: Decision,
}

/// A subject's entries of one type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Custom or Default.
    pub policy_type: PolicyType,
    /// One entry per resource.
    pub entries: Vec<PolicyEntry>,
}

/// A subject (`User:<name>`) and its policies (at most one per type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl {
    /// `User:<name>`.
    pub subject: String,
    /// The policies.
    pub policies: Vec<Policy>,
}

/// The subject key of a user.
pub(crate) fn user_subject(username: &str) -> String {
    format!("User:{username}")
}

/// The user named by a subject key (`User:x` ⇒ `x`).
pub(crate) fn subject_user(subject: &str) -> Option<&str> {
    let (kind, name) = subject.split_once(':')?;
    kind.eq_ignore_ascii_case("User").then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_parse_and_print_as_java() {
        for key in [
            "*",
            "Topic:*",
            "Topic:abc*",
            "Topic:abc",
            "Group:g",
            "Cluster:c",
        ] {
            assert_eq!(Resource::parse(key).unwrap().to_string(), key);
        }
        assert_eq!(
            Resource::parse("topic:abc").unwrap().to_string(),
            "Topic:abc"
        );
        assert!(Resource::parse("Queue:abc").is_none());
        assert!(Resource::parse(" ").is_none());
        let p = Resource::parse("Topic:te*").unwrap();
        assert_eq!(p.pattern(), ResourcePattern::Prefixed);
        assert_eq!(p.name(), Some("te"));
        // `a*b` is a literal name: only a trailing star is a prefix pattern.
        assert_eq!(
            Resource::parse("Topic:a*b").unwrap().pattern(),
            ResourcePattern::Literal
        );
    }

    #[test]
    fn coverage() {
        let test = Resource::topic("test");
        assert!(Resource::parse("*").unwrap().covers(&test));
        assert!(Resource::parse("Topic:*").unwrap().covers(&test));
        assert!(Resource::parse("Topic:te*").unwrap().covers(&test));
        assert!(!Resource::parse("Topic:tx*").unwrap().covers(&test));
        assert!(Resource::parse("Topic:test").unwrap().covers(&test));
        assert!(!Resource::parse("Group:test").unwrap().covers(&test));
        // A retry topic is its group.
        assert_eq!(Resource::topic("%RETRY%g"), Resource::group("g"));
    }

    #[test]
    fn names_and_codes() {
        assert_eq!(Action::by_name("pub"), Some(Action::Pub));
        assert_eq!(UserStatus::by_name("ENABLE"), Some(UserStatus::Enable));
        assert_eq!(Decision::by_code(2), Some(Decision::Deny));
        assert_eq!(subject_user("User:alice"), Some("alice"));
        assert_eq!(subject_user("alice"), None);
    }
}
