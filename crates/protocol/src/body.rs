//! The body of a command: empty, one buffer, or several buffers sent back to back.
//!
//! Pull and query responses concatenate records that live in different places of the
//! memory-mapped CommitLog; keeping them as separate `Bytes` lets the transport write them
//! to the socket without first copying them into one buffer.

use bytes::{Bytes, BytesMut};

/// A command body made of zero or more byte chunks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Body {
    repr: Repr,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum Repr {
    #[default]
    Empty,
    One(Bytes),
    Many(Vec<Bytes>),
}

impl Body {
    /// No body.
    pub fn empty() -> Self {
        Body::default()
    }

    /// A body of several chunks, sent in order.
    pub fn from_chunks(chunks: Vec<Bytes>) -> Self {
        match chunks.len() {
            0 => Body::empty(),
            1 => Body::from(chunks.into_iter().next().unwrap_or_default()),
            _ => Body {
                repr: Repr::Many(chunks),
            },
        }
    }

    /// Total length in bytes.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Empty => 0,
            Repr::One(b) => b.len(),
            Repr::Many(v) => v.iter().map(Bytes::len).sum(),
        }
    }

    /// Whether the body has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The chunks in order.
    pub fn chunks(&self) -> &[Bytes] {
        match &self.repr {
            Repr::Empty => &[],
            Repr::One(b) => std::slice::from_ref(b),
            Repr::Many(v) => v,
        }
    }

    /// The body as one contiguous buffer (free for single-chunk bodies).
    pub fn to_bytes(&self) -> Bytes {
        match &self.repr {
            Repr::Empty => Bytes::new(),
            Repr::One(b) => b.clone(),
            Repr::Many(v) => {
                let mut out = BytesMut::with_capacity(self.len());
                for c in v {
                    out.extend_from_slice(c);
                }
                out.freeze()
            }
        }
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        if b.is_empty() {
            Body::empty()
        } else {
            Body { repr: Repr::One(b) }
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Self {
        Body::from(Bytes::from(v))
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Body::from(Bytes::from(s))
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Body::from(Bytes::from_static(s.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_concatenate() {
        let b = Body::from_chunks(vec![Bytes::from_static(b"ab"), Bytes::from_static(b"cd")]);
        assert_eq!(b.len(), 4);
        assert_eq!(&b.to_bytes()[..], b"abcd");
        assert_eq!(b.chunks().len(), 2);
        assert!(Body::from(Bytes::new()).is_empty());
    }
}
