//! The epoch file of controller mode (Java's `EpochFileCache`, `epochFileCheckpoint` under the
//! store root): which master epoch wrote which part of the CommitLog. A returning broker
//! compares its epochs with the new master's to find where their logs agree and truncates
//! the rest ([`consistent_point`]).
//!
//! File format (text, `\n`-separated): the number of entries, the CRC32 of the entry lines
//! (each with its `\n`) masked to 31 bits, then one `epoch-startOffset` line per entry. The
//! previous content is kept in `<file>.bak`, read when the file is missing, empty or
//! damaged.

use std::path::{Path, PathBuf};

/// One epoch: from `start_offset` on, the CommitLog was written under `epoch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochEntry {
    pub epoch: i32,
    pub start_offset: u64,
}

/// The epochs of one log, oldest first; an entry ends where the next starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EpochCache {
    entries: Vec<EpochEntry>,
}

impl EpochCache {
    /// A cache of `entries` (oldest first).
    pub fn from_entries(entries: Vec<EpochEntry>) -> Self {
        EpochCache { entries }
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> &[EpochEntry] {
        &self.entries
    }

    /// The newest epoch, -1 when empty.
    pub fn last_epoch(&self) -> i32 {
        self.entries.last().map_or(-1, |e| e.epoch)
    }

    /// Records that `epoch` starts at `start_offset`. Java accepts it only when both are
    /// newer than the last entry's; otherwise nothing changes and `false` is returned.
    pub fn append(&mut self, epoch: i32, start_offset: u64) -> bool {
        if let Some(last) = self.entries.last() {
            if epoch <= last.epoch || start_offset <= last.start_offset {
                return false;
            }
        }
        self.entries.push(EpochEntry {
            epoch,
            start_offset,
        });
        true
    }

    /// Drops the entries that start at or after `offset` (the log was cut there).
    pub fn truncate_from(&mut self, offset: u64) {
        self.entries.retain(|e| e.start_offset < offset);
    }

    /// Drops the entries of `epoch` and later.
    pub fn truncate_epochs_from(&mut self, epoch: i32) {
        self.entries.retain(|e| e.epoch < epoch);
    }

    /// The epoch that wrote `offset` (for a log ending at `max`), if any.
    pub fn epoch_at(&self, offset: u64, max: u64) -> Option<EpochEntry> {
        self.entries
            .iter()
            .enumerate()
            .find(|(i, e)| offset >= e.start_offset && offset < self.end_of(*i, max))
            .map(|(_, e)| *e)
    }

    fn end_of(&self, i: usize, max: u64) -> u64 {
        self.entries
            .get(i + 1)
            .map_or(max, |next| next.start_offset)
    }

    /// The file text.
    pub fn encode(&self) -> String {
        let lines: String = self
            .entries
            .iter()
            .map(|e| format!("{}-{}\n", e.epoch, e.start_offset))
            .collect();
        let crc = crc32fast::hash(lines.as_bytes()) & 0x7FFF_FFFF;
        format!("{}\n{crc}\n{lines}", self.entries.len())
    }

    /// Parses file text; `None` when damaged (count or CRC wrong, a line unreadable).
    pub fn decode(text: &str) -> Option<Self> {
        let mut lines = text.lines();
        let count: usize = lines.next()?.trim().parse().ok()?;
        let crc: u32 = lines.next()?.trim().parse().ok()?;
        let mut entries = Vec::with_capacity(count.min(1 << 16));
        let mut block = String::new();
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let (epoch, start) = line.trim().split_once('-')?;
            entries.push(EpochEntry {
                epoch: epoch.parse().ok()?,
                start_offset: start.parse().ok()?,
            });
            block.push_str(line.trim());
            block.push('\n');
        }
        if entries.len() != count
            || (crc != 0 && crc32fast::hash(block.as_bytes()) & 0x7FFF_FFFF != crc)
        {
            return None;
        }
        Some(EpochCache { entries })
    }

    /// Loads `path`, falling back to `path.bak`; a missing file is an empty cache.
    pub fn load(path: &Path) -> std::io::Result<Self> {
        for p in [path.to_path_buf(), bak(path)] {
            match std::fs::read_to_string(&p) {
                Ok(text) if !text.trim().is_empty() => {
                    if let Some(c) = Self::decode(&text) {
                        return Ok(c);
                    }
                    tracing::warn!(path = %p.display(), "damaged epoch file");
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Self::default())
    }

    /// Saves to `path` (the previous content to `path.bak` first). Like Java, an empty
    /// cache is not written.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if self.entries.is_empty() {
            return Ok(());
        }
        if let Ok(old) = std::fs::read(path) {
            std::fs::write(bak(path), old)?;
        }
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, self.encode())?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, path)
    }
}

fn bak(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".bak");
    PathBuf::from(p)
}

/// Where a slave's log (epochs `local`, ending at `local_max`) agrees with its master's
/// (`master`, ending at `master_max`): walking the slave's epochs from the newest, the first
/// one the master has with the same start; the logs agree up to the smaller of the two
/// epochs' ends. `None` when they share no epoch (Java then refuses to replicate). An empty
/// local cache agrees at 0.
pub fn consistent_point(
    local: &EpochCache,
    local_max: u64,
    master: &EpochCache,
    master_max: u64,
) -> Option<u64> {
    if local.entries.is_empty() {
        return Some(0);
    }
    for (i, e) in local.entries.iter().enumerate().rev() {
        let Some(j) = master
            .entries
            .iter()
            .position(|m| m.epoch == e.epoch && m.start_offset == e.start_offset)
        else {
            continue;
        };
        return Some(local.end_of(i, local_max).min(master.end_of(j, master_max)));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(entries: &[(i32, u64)]) -> EpochCache {
        EpochCache::from_entries(
            entries
                .iter()
                .map(|(epoch, start_offset)| EpochEntry {
                    epoch: *epoch,
                    start_offset: *start_offset,
                })
                .collect(),
        )
    }

    #[test]
    fn appends_only_move_forward() {
        let mut c = EpochCache::default();
        assert!(c.append(1, 0));
        assert!(!c.append(1, 100), "same epoch");
        assert!(!c.append(2, 0), "same start");
        assert!(c.append(3, 100));
        assert_eq!(c.last_epoch(), 3);
        assert_eq!(c.epoch_at(50, 200).unwrap().epoch, 1);
        assert_eq!(c.epoch_at(150, 200).unwrap().epoch, 3);
        assert!(c.epoch_at(200, 200).is_none());
        c.truncate_from(100);
        assert_eq!(c.entries().len(), 1);
    }

    #[test]
    fn the_file_text_is_javas() {
        let c = cache(&[(1, 0), (3, 1_048_576)]);
        let text = c.encode();
        let lines = "1-0\n3-1048576\n";
        let crc = crc32fast::hash(lines.as_bytes()) & 0x7FFF_FFFF;
        assert_eq!(text, format!("2\n{crc}\n{lines}"));
        assert_eq!(EpochCache::decode(&text), Some(c));
        assert_eq!(
            EpochCache::decode(&text.replace("3-1048576", "3-1048577")),
            None,
            "crc"
        );
        assert_eq!(EpochCache::decode("3\n0\n1-0\n"), None, "count");
        assert!(
            EpochCache::decode("1\n0\n1-0\n").is_some(),
            "crc 0 is not checked"
        );
    }

    #[test]
    fn load_falls_back_to_the_backup() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("epochFileCheckpoint");
        assert_eq!(EpochCache::load(&path).unwrap(), EpochCache::default());
        cache(&[(1, 0)]).save(&path).unwrap();
        cache(&[(1, 0), (2, 10)]).save(&path).unwrap();
        std::fs::write(&path, "garbage").unwrap();
        assert_eq!(EpochCache::load(&path).unwrap(), cache(&[(1, 0)]));
        EpochCache::default().save(&path).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "garbage",
            "empty not written"
        );
    }

    #[test]
    fn a_returning_master_truncates_what_it_alone_wrote() {
        // The old master wrote epoch 2 to offset 500 but only 300 reached the slave, which
        // became master (epoch 3) at 300 and wrote on to 800.
        let old = cache(&[(1, 0), (2, 100)]);
        let new = cache(&[(1, 0), (2, 100), (3, 300)]);
        assert_eq!(consistent_point(&old, 500, &new, 800), Some(300));
        // A slave that is simply behind keeps everything.
        assert_eq!(consistent_point(&cache(&[(1, 0)]), 50, &new, 800), Some(50));
        // Epoch 2 started elsewhere on the master: fall back to epoch 1's end.
        let other = cache(&[(1, 0), (2, 120), (3, 300)]);
        assert_eq!(consistent_point(&old, 500, &other, 800), Some(100));
        assert_eq!(consistent_point(&cache(&[(5, 0)]), 10, &new, 800), None);
        assert_eq!(
            consistent_point(&EpochCache::default(), 0, &new, 800),
            Some(0)
        );
    }
}
