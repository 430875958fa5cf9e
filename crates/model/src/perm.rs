//! Topic/broker permission bits (`PermName`), used in `TopicConfig.perm` and `QueueData.perm`.

/// Consumers may read.
pub const PERM_READ: i32 = 1 << 2;
/// Producers may write.
pub const PERM_WRITE: i32 = 1 << 1;
/// Topics auto-created from this one inherit its config (TBW102).
pub const PERM_INHERIT: i32 = 1;
/// Priority flag (5.x).
pub const PERM_PRIORITY: i32 = 1 << 3;

/// Whether `perm` allows reading.
pub fn is_readable(perm: i32) -> bool {
    perm & PERM_READ == PERM_READ
}

/// Whether `perm` allows writing.
pub fn is_writeable(perm: i32) -> bool {
    perm & PERM_WRITE == PERM_WRITE
}

/// Whether `perm` has the inherit bit.
pub fn is_inherited(perm: i32) -> bool {
    perm & PERM_INHERIT == PERM_INHERIT
}

/// `RWX`-style text, as `mqadmin` prints it (`X` = inherit).
pub fn perm_to_string(perm: i32) -> String {
    [
        if is_readable(perm) { 'R' } else { '-' },
        if is_writeable(perm) { 'W' } else { '-' },
        if is_inherited(perm) { 'X' } else { '-' },
    ]
    .iter()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_and_text() {
        assert_eq!(PERM_READ | PERM_WRITE, 6);
        assert_eq!(perm_to_string(7), "RWX");
        assert_eq!(perm_to_string(4), "R--");
        assert!(is_writeable(6) && !is_inherited(6));
    }
}
