//! Bit flags carried by messages and topics: `MessageSysFlag`, `PermName`, `TopicSysFlag`,
//! and the pull request's `PullSysFlag`.

/// `MessageSysFlag` bits stored in every CommitLog record.
pub mod message {
    pub const COMPRESSED: i32 = 0x1;
    pub const MULTI_TAGS: i32 = 0x2;
    pub const TRANSACTION_NOT_TYPE: i32 = 0;
    pub const TRANSACTION_PREPARED_TYPE: i32 = 0x1 << 2;
    pub const TRANSACTION_COMMIT_TYPE: i32 = 0x2 << 2;
    pub const TRANSACTION_ROLLBACK_TYPE: i32 = 0x3 << 2;
    pub const BORNHOST_V6: i32 = 0x1 << 4;
    pub const STOREHOST_V6: i32 = 0x1 << 5;
    pub const NEED_UNWRAP: i32 = 0x1 << 6;
    pub const INNER_BATCH: i32 = 0x1 << 7;
    pub const COMPRESSION_LZ4: i32 = 0x1 << 8;
    pub const COMPRESSION_ZSTD: i32 = 0x2 << 8;
    pub const COMPRESSION_ZLIB: i32 = 0x3 << 8;
    pub const COMPRESSION_TYPE_MASK: i32 = 0x7 << 8;

    /// The transaction type bits (`0x0/0x4/0x8/0xC`).
    pub fn transaction_value(flag: i32) -> i32 {
        flag & TRANSACTION_ROLLBACK_TYPE
    }

    /// Replaces the transaction type bits.
    pub fn reset_transaction_value(flag: i32, ty: i32) -> i32 {
        (flag & !TRANSACTION_ROLLBACK_TYPE) | ty
    }
}

/// `PermName`: topic and broker permissions.
pub mod perm {
    pub const PRIORITY: i32 = 0x1 << 3;
    pub const READ: i32 = 0x1 << 2;
    pub const WRITE: i32 = 0x1 << 1;
    pub const INHERIT: i32 = 0x1;

    pub fn is_readable(perm: i32) -> bool {
        perm & READ == READ
    }
    pub fn is_writeable(perm: i32) -> bool {
        perm & WRITE == WRITE
    }
    pub fn is_inherited(perm: i32) -> bool {
        perm & INHERIT == INHERIT
    }
    /// Renders as mqadmin does, e.g. `RW-`, `R--`.
    pub fn to_string(perm: i32) -> String {
        let mut s = String::with_capacity(3);
        s.push(if is_readable(perm) { 'R' } else { '-' });
        s.push(if is_writeable(perm) { 'W' } else { '-' });
        s.push(if is_inherited(perm) { 'X' } else { '-' });
        s
    }
}

/// `TopicSysFlag` bits.
pub mod topic {
    pub const UNIT: i32 = 0x1;
    pub const UNIT_SUB: i32 = 0x1 << 1;
}

/// `PullSysFlag` bits sent in PULL_MESSAGE.
pub mod pull {
    pub const COMMIT_OFFSET: i32 = 0x1;
    pub const SUSPEND: i32 = 0x1 << 1;
    pub const SUBSCRIPTION: i32 = 0x1 << 2;
    pub const CLASS_FILTER: i32 = 0x1 << 3;
    pub const LITE_PULL: i32 = 0x1 << 4;

    pub fn build(
        commit_offset: bool,
        suspend: bool,
        subscription: bool,
        class_filter: bool,
    ) -> i32 {
        let mut flag = 0;
        if commit_offset {
            flag |= COMMIT_OFFSET;
        }
        if suspend {
            flag |= SUSPEND;
        }
        if subscription {
            flag |= SUBSCRIPTION;
        }
        if class_filter {
            flag |= CLASS_FILTER;
        }
        flag
    }
    pub fn has_commit_offset(flag: i32) -> bool {
        flag & COMMIT_OFFSET != 0
    }
    pub fn has_suspend(flag: i32) -> bool {
        flag & SUSPEND != 0
    }
    pub fn has_subscription(flag: i32) -> bool {
        flag & SUBSCRIPTION != 0
    }
    pub fn has_class_filter(flag: i32) -> bool {
        flag & CLASS_FILTER != 0
    }
    pub fn clear_commit_offset(flag: i32) -> i32 {
        flag & !COMMIT_OFFSET
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_bits() {
        let f = message::COMPRESSED | message::TRANSACTION_PREPARED_TYPE;
        assert_eq!(
            message::transaction_value(f),
            message::TRANSACTION_PREPARED_TYPE
        );
        let c = message::reset_transaction_value(f, message::TRANSACTION_COMMIT_TYPE);
        assert_eq!(c, message::COMPRESSED | message::TRANSACTION_COMMIT_TYPE);
    }

    #[test]
    fn perm_strings() {
        assert_eq!(perm::to_string(6), "RW-");
        assert_eq!(perm::to_string(7), "RWX");
        assert_eq!(perm::to_string(4), "R--");
    }
}
