//! ACL 1.0 permissions (Java's `Permission`): the bits an account owns or a request needs,
//! their spelling in `plain_acl.yml`, and the request codes only admins may send.

use ferromq_protocol::request_code as rc;

use super::java::{java_trim, split_tokens};

/// A set of permission bits. Anything the file spells unknowingly is [`Perm::DENY`], so a
/// typo closes access rather than opening it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Perm(pub u8);

impl Perm {
    /// Owns nothing, whatever else is set.
    pub const DENY: Perm = Perm(1);
    /// Needed by gRPC route queries only: satisfied by PUB or SUB.
    pub const ANY: Perm = Perm(2);
    /// Produce.
    pub const PUB: Perm = Perm(4);
    /// Consume.
    pub const SUB: Perm = Perm(8);
    /// Produce and consume.
    pub const PUB_SUB: Perm = Perm(12);

    /// `PUB`, `SUB`, `PUB|SUB`, `SUB|PUB`, `DENY` (trimmed); absent or anything else is
    /// DENY.
    pub fn parse(text: Option<&str>) -> Perm {
        match text.map(java_trim) {
            Some("PUB") => Perm::PUB,
            Some("SUB") => Perm::SUB,
            Some("PUB|SUB") | Some("SUB|PUB") => Perm::PUB_SUB,
            _ => Perm::DENY,
        }
    }

    /// Whether owning `self` grants `needed`: a DENY bit refuses everything, ANY needs PUB
    /// or SUB, otherwise one shared bit suffices.
    pub fn grants(self, needed: Perm) -> bool {
        if self.0 & Perm::DENY.0 != 0 {
            return false;
        }
        if needed.0 & Perm::ANY.0 != 0 {
            return self.0 & (Perm::PUB.0 | Perm::SUB.0) != 0;
        }
        needed.0 & self.0 != 0
    }
}

/// The request codes that need an `admin: true` account (Java's `Permission.ADMIN_CODE`).
/// UPDATE_GLOBAL_WHITE_ADDRS_CONFIG (53) is not among them, nor the list variants.
pub const ADMIN_CODES: [i32; 9] = [
    rc::UPDATE_AND_CREATE_TOPIC,
    rc::UPDATE_BROKER_CONFIG,
    rc::DELETE_TOPIC_IN_BROKER,
    rc::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
    rc::DELETE_SUBSCRIPTIONGROUP,
    rc::UPDATE_AND_CREATE_STATIC_TOPIC,
    rc::UPDATE_AND_CREATE_ACL_CONFIG,
    rc::DELETE_ACL_CONFIG,
    rc::GET_BROKER_CLUSTER_ACL_INFO,
];

/// Whether `code` is admin-only.
pub fn needs_admin(code: i32) -> bool {
    ADMIN_CODES.contains(&code)
}

/// One `name=PERM` entry of `topicPerms` / `groupPerms` as a file holds it: name and
/// permission trimmed, or Java's load error (`kind` is `topic` or `group`).
pub(crate) fn parse_resource_perm(entry: &str, kind: &str) -> Result<(String, Perm), String> {
    match split_tokens(entry, '=')[..] {
        [name, perm] => Ok((java_trim(name).to_owned(), Perm::parse(Some(perm)))),
        _ => Err(format!(
            "Parse resource permission failed for {kind}:{entry}"
        )),
    }
}

/// The stricter check of an admin update (Java's `checkResourcePerms`): the permission must
/// be spelled correctly, not just parse.
pub(crate) fn check_resource_perm(entry: &str) -> Result<(), String> {
    let [_, perm] = split_tokens(entry, '=')[..] else {
        return Err(format!(
            "Parse Resource format error for {entry}.\nThe expected resource format is 'Res=Perm'. For example: topicA=SUB"
        ));
    };
    let perm = java_trim(perm);
    if perm != "DENY" && Perm::parse(Some(perm)) == Perm::DENY {
        return Err(format!(
            "Parse resource permission error for {entry}.\nThe expected permissions are 'SUB' or 'PUB' or 'SUB|PUB' or 'PUB|SUB'."
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        assert_eq!(Perm::parse(Some("PUB")), Perm::PUB);
        assert_eq!(Perm::parse(Some(" SUB ")), Perm::SUB);
        assert_eq!(Perm::parse(Some("PUB|SUB")), Perm::PUB_SUB);
        assert_eq!(Perm::parse(Some("SUB|PUB")), Perm::PUB_SUB);
        assert_eq!(Perm::parse(Some("DENY")), Perm::DENY);
        for unknown in [None, Some(""), Some("pub"), Some("ANY"), Some("PUB | SUB")] {
            assert_eq!(Perm::parse(unknown), Perm::DENY, "{unknown:?}");
        }
    }

    #[test]
    fn grants() {
        assert!(Perm::PUB.grants(Perm::PUB));
        assert!(!Perm::PUB.grants(Perm::SUB));
        assert!(Perm::PUB_SUB.grants(Perm::SUB));
        assert!(!Perm::DENY.grants(Perm::PUB));
        assert!(!Perm(Perm::DENY.0 | Perm::PUB.0).grants(Perm::PUB));
        assert!(Perm::SUB.grants(Perm::ANY));
        assert!(Perm::PUB.grants(Perm::ANY));
        assert!(!Perm(0).grants(Perm::ANY));
    }

    #[test]
    fn admin_codes() {
        for code in [17, 25, 215, 200, 207, 513, 50, 51, 52] {
            assert!(needs_admin(code), "{code}");
        }
        for code in [53, 18, 225, 26, 10, 310, 34] {
            assert!(!needs_admin(code), "{code}");
        }
    }

    #[test]
    fn resource_entries() {
        assert_eq!(
            parse_resource_perm(" topicA = PUB|SUB ", "topic"),
            Ok(("topicA".into(), Perm::PUB_SUB))
        );
        assert_eq!(
            parse_resource_perm("a==SUB", "group"),
            Ok(("a".into(), Perm::SUB))
        );
        assert_eq!(
            parse_resource_perm("topicA=typo", "topic"),
            Ok(("topicA".into(), Perm::DENY))
        );
        assert_eq!(
            parse_resource_perm("topicA", "topic"),
            Err("Parse resource permission failed for topic:topicA".into())
        );
        assert_eq!(
            parse_resource_perm("a=b=c", "group"),
            Err("Parse resource permission failed for group:a=b=c".into())
        );
    }

    #[test]
    fn admin_update_entries_are_checked_strictly() {
        assert_eq!(check_resource_perm("t=PUB"), Ok(()));
        assert_eq!(check_resource_perm("t=DENY"), Ok(()));
        assert_eq!(
            check_resource_perm("t"),
            Err("Parse Resource format error for t.\nThe expected resource format is 'Res=Perm'. For example: topicA=SUB".into())
        );
        assert_eq!(
            check_resource_perm("t=ALL"),
            Err("Parse resource permission error for t=ALL.\nThe expected permissions are 'SUB' or 'PUB' or 'SUB|PUB' or 'PUB|SUB'.".into())
        );
    }
}
