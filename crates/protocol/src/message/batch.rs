//! Batch message bodies (SEND_BATCH_MESSAGE): owned by the storage work, filled in there.
