//! What the broker knows about resolved transactional halves: the half offsets with an op
//! record, which op record resolved which halves (to advance the op queue's progress), and
//! how far the op queue was read.

use std::collections::{BTreeMap, HashSet};

use parking_lot::Mutex;

/// Resolved halves.
#[derive(Default)]
pub struct TransactionState {
    inner: Mutex<Resolved>,
}

#[derive(Default)]
struct Resolved {
    /// Half queue offsets with an op record.
    done: HashSet<i64>,
    /// Op queue offset → the half offsets it resolves.
    ops: BTreeMap<i64, Vec<i64>>,
    /// Next op queue offset to read.
    op_read: i64,
    loaded: bool,
}

impl TransactionState {
    /// Whether the half at `offset` is resolved.
    pub fn is_done(&self, offset: i64) -> bool {
        self.inner.lock().done.contains(&offset)
    }

    /// Marks halves resolved (an op record was just written for them).
    pub fn mark(&self, offsets: &[i64]) {
        self.inner.lock().done.extend(offsets.iter().copied());
    }

    /// The first time after start: returns true once, so the caller loads the op queue from
    /// `op_offset` (the committed progress).
    pub fn start_loading(&self, op_offset: impl FnOnce() -> i64) -> bool {
        let mut r = self.inner.lock();
        if r.loaded {
            return false;
        }
        r.loaded = true;
        r.op_read = op_offset();
        true
    }

    /// The next op queue offset to read.
    pub fn op_read(&self) -> i64 {
        self.inner.lock().op_read
    }

    /// The op record at `op_offset` resolves `halves`.
    pub fn read_op(&self, op_offset: i64, halves: Vec<i64>) {
        let mut r = self.inner.lock();
        r.done.extend(halves.iter().copied());
        r.ops.insert(op_offset, halves);
        r.op_read = r.op_read.max(op_offset + 1);
    }

    /// Reading continues at `offset` (the op queue's files moved under the reader).
    pub fn skip_op_read(&self, offset: i64) {
        self.inner.lock().op_read = offset;
    }

    /// The half queue's progress is now `half_offset`: forgets op records that only resolve
    /// halves below it; returns the op queue's new progress if it moved.
    pub fn advance(&self, half_offset: i64) -> Option<i64> {
        let mut r = self.inner.lock();
        let mut new_op = None;
        while let Some((&op, halves)) = r.ops.first_key_value() {
            if !halves.iter().all(|h| *h < half_offset) {
                break;
            }
            let halves = r.ops.remove(&op).unwrap_or_default();
            for h in halves {
                r.done.remove(&h);
            }
            new_op = Some(op + 1);
        }
        new_op
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_resolve_halves_and_progress_moves_past_them() {
        let s = TransactionState::default();
        assert!(s.start_loading(|| 7));
        assert!(!s.start_loading(|| 0), "once");
        assert_eq!(s.op_read(), 7);
        s.read_op(7, vec![0, 2]);
        s.read_op(8, vec![5]);
        assert!(s.is_done(0) && s.is_done(2) && s.is_done(5) && !s.is_done(1));
        assert_eq!(s.op_read(), 9);
        assert_eq!(s.advance(3), Some(8), "op 7 only resolves halves below 3");
        assert!(!s.is_done(0), "forgotten once the walk passed it");
        assert_eq!(s.advance(3), None);
        assert_eq!(s.advance(6), Some(9));
        s.mark(&[9]);
        assert!(s.is_done(9));
    }
}
