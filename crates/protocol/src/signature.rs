//! The request signature RocketMQ's ACL 1.0 and ACL 2.0 share (Java's `AclClientRPCHook`).
//!
//! The signed content is the *values* of every extField except `Signature`, in the order of
//! their keys (Java `String.compareTo`: UTF-16 code units, so upper-case keys first), with no
//! separators, followed by the raw body. The signature is Base64(HmacSHA1(secret, content)).
//! A server recomputes it over the extFields *as received*, unknown ones included, so it
//! verifies whatever hooks a client ran before signing and refuses anything changed after.
//! There is no timestamp or nonce: Java's scheme cannot detect a replay of an unchanged
//! request, and neither can this one.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::{Body, ExtFields, RemotingCommand};

/// The extField that names the account (ACL 1.0 access key, ACL 2.0 username).
pub const ACCESS_KEY: &str = "AccessKey";
/// The extField holding the Base64 signature.
pub const SIGNATURE: &str = "Signature";
/// The optional extField holding a session token (signed, never checked by Java).
pub const SECURITY_TOKEN: &str = "SecurityToken";
/// Clients older than 4.9.3 add this key after signing; servers leave it out for them.
const UNIQUE_KEY_QUERY: &str = "_UNIQUE_KEY_QUERY";
/// `MQVersion.Version.V4_9_3` ordinal.
const V4_9_3: i32 = 399;

type HmacSha1 = Hmac<Sha1>;

/// The Base64 signature of `ext_fields` + `body` under `secret`, as a server computes it for
/// a request of `version` (the `Signature` field itself is never part of the content).
pub fn signature(secret: &str, ext_fields: &ExtFields, body: &Body, version: i32) -> String {
    let mut fields: Vec<(&str, &str)> = ext_fields
        .iter()
        .filter(|(k, _)| *k != SIGNATURE)
        .filter(|(k, _)| !(version <= V4_9_3 && *k == UNIQUE_KEY_QUERY))
        .collect();
    fields.sort_unstable_by(|a, b| java_order(a.0, b.0));
    // Any key length is valid for HMAC.
    let mut mac = HmacSha1::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    for (_, v) in &fields {
        mac.update(v.as_bytes());
    }
    for chunk in body.chunks() {
        mac.update(chunk);
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Java's `String.compareTo`: UTF-16 code units (differs from byte order only for
/// characters outside the Basic Multilingual Plane).
fn java_order(a: &str, b: &str) -> std::cmp::Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Signs `command` as Java's `AclClientRPCHook` does: sets `AccessKey` (and `SecurityToken`),
/// then `Signature` over every field and the body. Call it last, after every other field is
/// set.
pub fn sign(
    command: &mut RemotingCommand,
    access_key: &str,
    secret_key: &str,
    token: Option<&str>,
) {
    command.ext_fields.insert(ACCESS_KEY, access_key);
    if let Some(t) = token {
        command.ext_fields.insert(SECURITY_TOKEN, t);
    }
    let sig = signature(
        secret_key,
        &command.ext_fields,
        &command.body,
        command.version,
    );
    command.ext_fields.insert(SIGNATURE, sig);
}

/// Whether `command` carries a `Signature` that `secret_key` produces over its fields and
/// body. The comparison takes the same time wherever the strings differ.
pub fn verify(command: &RemotingCommand, secret_key: &str) -> bool {
    let Some(given) = command.ext_fields.get(SIGNATURE) else {
        return false;
    };
    let expected = signature(
        secret_key,
        &command.ext_fields,
        &command.body,
        command.version,
    );
    constant_time_eq(given.as_bytes(), expected.as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::request_code as rc;

    fn fields(pairs: &[(&str, &str)]) -> ExtFields {
        pairs.iter().copied().collect()
    }

    // The worked examples of docs/reference/acl-tls.md §1.1, produced by Java's own
    // AclClientRPCHook (5.3.3) and by `openssl dgst -sha1 -hmac`.
    #[test]
    fn matches_javas_hook() {
        let f = fields(&[
            ("topic", "TopicTest"),
            ("consumerGroup", "GID_demo"),
            ("queueId", "0"),
            ("bname", "broker-a"),
            ("AccessKey", "rocketmq2"),
        ]);
        let s = signature("12345678", &f, &Body::empty(), 479);
        assert_eq!(s, "bd01v7M0GM2i0zfjSdEfB118iRw=");
        let mut with_token = f.clone();
        with_token.insert("SecurityToken", "tok");
        let s = signature("12345678", &with_token, &Body::empty(), 479);
        assert_eq!(s, "JsiKYRK9Ru7xrLo7fzOOExFWLb8=");
        let body = Body::from(Bytes::from_static(
            br#"{"clientID":"127.0.0.1@1","consumerDataSet":[],"producerDataSet":[]}"#,
        ));
        let s = signature(
            "12345678",
            &fields(&[("AccessKey", "rocketmq2")]),
            &body,
            479,
        );
        assert_eq!(s, "3CCzxnDprGkHSVA0BPYHsAUS4fU=");
    }

    #[test]
    fn a_signed_request_verifies_and_any_change_breaks_it() {
        let mut cmd = RemotingCommand::request(rc::SEND_MESSAGE_V2);
        cmd.ext_fields.insert("b", "TopicTest");
        cmd.body = Body::from(Bytes::from_static(b"hello"));
        sign(&mut cmd, "rocketmq2", "12345678", None);
        assert!(verify(&cmd, "12345678"));
        assert!(!verify(&cmd, "12345679"), "wrong secret");

        let mut altered = cmd.clone();
        altered.ext_fields.insert("b", "OtherTopic");
        assert!(!verify(&altered, "12345678"), "altered field");
        let mut added = cmd.clone();
        added.ext_fields.insert("zz", "x");
        assert!(!verify(&added, "12345678"), "added field");
        let mut body = cmd.clone();
        body.body = Body::from(Bytes::from_static(b"hellO"));
        assert!(!verify(&body, "12345678"), "altered body");
        let mut unsigned = cmd.clone();
        unsigned.ext_fields.remove(SIGNATURE);
        assert!(!verify(&unsigned, "12345678"), "no signature");
    }

    #[test]
    fn old_clients_add_the_unique_key_query_after_signing() {
        let mut cmd = RemotingCommand::request(rc::QUERY_MESSAGE);
        cmd.version = 300;
        cmd.ext_fields.insert("topic", "T");
        sign(&mut cmd, "ak", "secret", None);
        cmd.ext_fields.insert(UNIQUE_KEY_QUERY, "true");
        assert!(verify(&cmd, "secret"));
        cmd.version = 479;
        assert!(!verify(&cmd, "secret"), "a current client signs it");
    }

    #[test]
    fn keys_sort_as_java_strings() {
        assert_eq!(java_order("Zeta", "alpha"), std::cmp::Ordering::Less);
        // U+FF21 sorts before U+1F600 in UTF-8 byte order, after its surrogates in UTF-16.
        assert_eq!(
            java_order("\u{FF21}", "\u{1F600}"),
            std::cmp::Ordering::Greater
        );
    }
}
