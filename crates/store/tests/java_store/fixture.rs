//! The Java-written fixture: unpacking (gzip + a minimal ustar reader), the manifest the
//! Java client wrote, and the settings the Java broker ran with (`tests/data/README.md`).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use ferromq_store::StoreConfig;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/java-5.3.3-store.tar.gz"
);

// ------------------------------------------------------------------ fixture unpacking

/// Extracts a gzip'd ustar archive (regular files and directories only) under `dest`.
pub fn unpack(archive: &Path, dest: &Path) {
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(archive).expect("fixture present"))
        .read_to_end(&mut raw)
        .expect("fixture is gzip");
    let field = |h: &[u8], at: usize, len: usize| -> String {
        let f = &h[at..at + len];
        let end = f.iter().position(|&b| b == 0).unwrap_or(len);
        String::from_utf8(f[..end].to_vec()).expect("utf-8 tar name")
    };
    let mut pos = 0;
    while pos + 512 <= raw.len() {
        let h = &raw[pos..pos + 512];
        if h.iter().all(|&b| b == 0) {
            break;
        }
        let prefix = field(h, 345, 155);
        let name = field(h, 0, 100);
        let name = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let size_text = field(h, 124, 12);
        let size = usize::from_str_radix(size_text.trim(), 8).expect("octal size");
        let rel = PathBuf::from(&name);
        assert!(
            rel.components().all(|c| matches!(c, Component::Normal(_))),
            "unsafe path {name} in fixture"
        );
        let target = dest.join(&rel);
        pos += 512;
        match h[156] {
            b'0' | 0 => {
                std::fs::create_dir_all(target.parent().unwrap()).unwrap();
                std::fs::write(&target, &raw[pos..pos + size]).unwrap();
            }
            b'5' => std::fs::create_dir_all(&target).unwrap(),
            t => panic!("unsupported tar entry type {t} for {name}"),
        }
        pos += size.div_ceil(512) * 512;
    }
}

// ------------------------------------------------------------------ the manifest

/// One message as the Java client sent it and the Java broker stored it.
#[derive(Debug, Clone)]
pub struct Sent {
    pub topic: String,
    pub queue: i32,
    pub offset: i64,
    pub phase: u8,
    pub seq: u32,
    pub msg_id: String,
    /// The msgId the Java client saw pulling it from the Java broker: for batch messages the
    /// batch's own UNIQ_KEY, which the Java broker appends to every message of the batch.
    pub pulled_msg_id: String,
    pub batch: bool,
    pub offset_msg_id: String,
    pub tags: Option<String>,
    pub java_tag_hash: i64,
    pub keys: Option<String>,
    pub body_len: usize,
    pub compressed: bool,
    pub note: Option<String>,
}

#[derive(Debug)]
pub struct Manifest {
    pub tmid: i64,
    pub sent: Vec<Sent>,
}

impl Manifest {
    pub fn load(path: &Path) -> Self {
        let text = std::fs::read_to_string(path).unwrap();
        let opt = |s: &str| (s != "-").then(|| s.to_string());
        let mut m = Manifest {
            tmid: 0,
            sent: Vec::new(),
        };
        for line in text.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            match f[0] {
                "tmid" => m.tmid = f[1].parse().unwrap(),
                "msg" => m.sent.push(Sent {
                    topic: f[1].into(),
                    queue: f[2].parse().unwrap(),
                    offset: f[3].parse().unwrap(),
                    phase: f[4].parse().unwrap(),
                    seq: f[5].parse().unwrap(),
                    msg_id: f[6].into(),
                    pulled_msg_id: f[15].into(),
                    batch: f[13] == "1",
                    offset_msg_id: f[7].into(),
                    tags: opt(f[8]),
                    java_tag_hash: f[9].parse().unwrap(),
                    keys: opt(f[10]),
                    body_len: f[11].parse().unwrap(),
                    compressed: f[12] == "1",
                    note: opt(f[14]),
                }),
                _ => {}
            }
        }
        m
    }

    /// Messages by (topic, queue), in queue-offset order.
    pub fn queues(&self) -> BTreeMap<(String, i32), Vec<&Sent>> {
        let mut q: BTreeMap<(String, i32), Vec<&Sent>> = BTreeMap::new();
        for s in &self.sent {
            q.entry((s.topic.clone(), s.queue)).or_default().push(s);
        }
        for v in q.values_mut() {
            v.sort_by_key(|s| s.offset);
        }
        q
    }
}

/// The body the Java producer generated: `"{topic}:{seq};"` repeated to `len` bytes.
pub fn expected_body(topic: &str, seq: u32, len: usize) -> Vec<u8> {
    format!("{topic}:{seq};")
        .into_bytes()
        .into_iter()
        .cycle()
        .take(len)
        .collect()
}

// ------------------------------------------------------------------ helpers

/// The settings the Java broker ran with (`tests/data/README.md`).
pub fn java_config(root: &Path) -> StoreConfig {
    StoreConfig {
        mapped_file_size_commit_log: 1024 * 1024,
        mapped_file_size_consume_queue: 6000,
        max_hash_slot_num: 1000,
        max_index_num: 500,
        ..StoreConfig::with_root(root)
    }
}

pub struct Fixture {
    _dir: tempfile::TempDir,
    pub store_root: PathBuf,
    pub manifest: Manifest,
}

pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    unpack(Path::new(FIXTURE), dir.path());
    let manifest = Manifest::load(&dir.path().join("manifest.tsv"));
    assert_eq!(manifest.sent.len(), 1096, "manifest of the fixture");
    Fixture {
        store_root: dir.path().join("store"),
        _dir: dir,
        manifest,
    }
}
