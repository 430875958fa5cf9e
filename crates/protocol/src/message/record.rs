//! CommitLog records (Java layout): owned by the storage work, filled in there.
