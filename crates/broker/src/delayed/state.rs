//! [`Delayed`]: what the delayed-delivery services remember — delivered offsets per delay
//! level, the timer wheel, the resolved transactional halves.

use crate::delayed::delay_offsets::DelayOffsets;
use crate::delayed::timer::wheel::TimerService;
use crate::delayed::transaction::state::TransactionState;
use crate::error::BrokerError;

/// Delay-level progress, the timer wheel and resolved transactions.
pub struct Delayed {
    delay_offsets: DelayOffsets,
    timer: TimerService,
    transactions: TransactionState,
}

impl Delayed {
    /// Loads `delayOffset.json` and `timerOffset.json` under the store root.
    pub fn load(root: &str) -> Result<Self, BrokerError> {
        Ok(Delayed {
            delay_offsets: DelayOffsets::load(root)?,
            timer: TimerService::load(root)?,
            transactions: TransactionState::default(),
        })
    }

    /// Delivered offsets per delay level.
    pub fn delay_offsets(&self) -> &DelayOffsets {
        &self.delay_offsets
    }

    /// The timer wheel.
    pub fn timer(&self) -> &TimerService {
        &self.timer
    }

    /// Resolved transactional halves.
    pub fn transactions(&self) -> &TransactionState {
        &self.transactions
    }
}
