//! Wall-clock time as RocketMQ writes it: epoch milliseconds.

/// Epoch milliseconds now (0 if the clock is before 1970).
pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
