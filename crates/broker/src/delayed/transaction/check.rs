//! The decision of the transaction check service for one half message, as a pure step: the
//! runner ([`super::check_pass`]) reads the half queue, asks [`step`] and applies the answer
//! (write an op record, re-append and ask a producer, or discard).

/// What the check service knows about one unresolved half.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Half {
    /// When the half was stored.
    pub store_timestamp: i64,
    /// `TRANSACTION_CHECK_TIMES` so far.
    pub check_times: i32,
    /// `CHECK_IMMUNITY_TIME_IN_SECONDS`, in ms, if the producer set one.
    pub immunity_ms: Option<i64>,
}

/// What to do with a half.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Too young to check; so is every half after it: stop the walk here.
    Wait,
    /// Checked too often: keep it in `TRANS_CHECK_MAX_TIME_TOPIC` and resolve it.
    Discard,
    /// Re-append it with this check count (so the walk can move on), resolve the old copy and
    /// ask a producer of its group.
    Recheck { times: i32 },
}

/// The settings of a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Policy {
    /// `transactionTimeOut`: a half younger than this is not checked.
    pub timeout_ms: i64,
    /// `transactionCheckMax`: checks before a half is discarded.
    pub max_checks: i32,
}

/// The action for `half` at `now_ms`.
pub(crate) fn step(half: &Half, now_ms: i64, policy: Policy) -> Action {
    let immunity = half.immunity_ms.unwrap_or(policy.timeout_ms);
    if now_ms.saturating_sub(half.store_timestamp) < immunity {
        return Action::Wait;
    }
    if half.check_times >= policy.max_checks {
        Action::Discard
    } else {
        Action::Recheck {
            times: half.check_times.saturating_add(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Policy = Policy {
        timeout_ms: 6_000,
        max_checks: 15,
    };

    fn half(store_timestamp: i64, check_times: i32, immunity_ms: Option<i64>) -> Half {
        Half {
            store_timestamp,
            check_times,
            immunity_ms,
        }
    }

    #[test]
    fn young_halves_wait_old_ones_are_checked_then_discarded() {
        assert_eq!(step(&half(10_000, 0, None), 15_999, POLICY), Action::Wait);
        assert_eq!(
            step(&half(10_000, 0, None), 16_000, POLICY),
            Action::Recheck { times: 1 }
        );
        assert_eq!(
            step(&half(10_000, 14, None), 16_000, POLICY),
            Action::Recheck { times: 15 }
        );
        assert_eq!(
            step(&half(10_000, 15, None), 16_000, POLICY),
            Action::Discard
        );
    }

    #[test]
    fn the_producer_immunity_replaces_the_timeout() {
        assert_eq!(
            step(&half(0, 0, Some(60_000)), 59_999, POLICY),
            Action::Wait
        );
        assert_eq!(
            step(&half(0, 0, Some(1_000)), 1_000, POLICY),
            Action::Recheck { times: 1 }
        );
        // Wire values at the limits neither overflow nor check early.
        assert_eq!(
            step(&half(i64::MIN, 0, None), i64::MAX, POLICY),
            Action::Recheck { times: 1 }
        );
        assert_eq!(
            step(&half(0, i32::MAX, None), 10_000, POLICY),
            Action::Discard
        );
        assert_eq!(
            step(&half(0, 0, Some(i64::MAX)), i64::MAX - 1, POLICY),
            Action::Wait
        );
    }
}
