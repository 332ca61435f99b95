//! A derived summary index, `.jit/cache/summary.v5`, so that `query ready` and `claim-next`
//! need not parse every issue file: each record holds the fields readiness, work order,
//! progress and incoming links depend on, and only the issues a command returns are read in
//! full.
//!
//! Invariants (the files stay the source of truth):
//! - A record is used only while its file's size, modification time and inode are unchanged,
//!   and only if the file was last modified well before the index was written (a change within
//!   the file system's timestamp granularity could otherwise go unseen, as git's "racily clean"
//!   rule guards against). Anything else is read from the file, so a hand edit or a `git pull`
//!   is seen by the next command.
//! - Records are sorted by id, so matching them to the sorted directory listing is one merge,
//!   and looking one up is a binary search. Nothing is decoded into owned values: a
//!   [`Summary`] reads its fields straight from the index bytes.
//! - The file is checked as a whole (magic, checksum, every record's layout and id order)
//!   before any record is trusted; an index that fails any check is ignored and rebuilt.
//! - Writes are best effort and atomic (temp file and rename); deleting the index changes no
//!   output, only speed.
//!
//! Layout (little-endian): `MAGIC`, written-at milliseconds (i64), record count (u32),
//! checksum of everything after the header (u64), then the records. A record is its length
//! (u32) followed by: id (26 bytes), file size (u64), mtime seconds (i64), mtime nanoseconds
//! (i64), inode (u64), created-at ms (i64), lease expiry ms (i64, `i64::MIN` for none),
//! deferred-until ms (i64, `i64::MIN` for none), claim epoch (u64), state, priority and flags
//! (one byte each: bit 0 assigned, bit 1 has a parent), then the dependency count (u32) and
//! ids (26 bytes each), the parent id (26 bytes, when flagged), the required gate count (u32)
//! and per gate its key (u32 length, bytes) and status (byte), the link count (u32) and per
//! link its kind (byte) and target (u32 length, bytes), the type (u32 length, bytes), and the
//! assignee (u32 length, bytes; empty when unassigned).

use super::{FileProblem, Store};
use crate::error::{Error, Result};
use crate::model::{GateState, Issue, IssueId, LinkKind, Priority, State};
use std::path::PathBuf;

const FILE: &str = "summary.v5";
const MAGIC: &[u8; 8] = b"JITSUM5\n";
const HEADER: usize = MAGIC.len() + 8 + 4 + 8;
/// Files modified this close to the index's writing are always re-read.
const RACY_MS: i64 = 2000;
const ID: usize = crate::model::id::ULID_LEN;
/// Bytes of a record's fixed part, after its length.
const FIXED: usize = ID + 8 * 8 + 3;
const NO_LEASE: i64 = i64::MIN;
const ASSIGNED: u8 = 1;
const HAS_PARENT: u8 = 2;
/// Files per thread below which starting another thread costs more than it saves.
const FILES_PER_THREAD: usize = 256;

/// What the index trusts of a file: if any of it changes, the file is read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    mtime_s: i64,
    mtime_ns: i64,
    ino: u64,
}

impl FileStamp {
    fn mtime_ms(&self) -> i64 {
        self.mtime_s
            .saturating_mul(1000)
            .saturating_add(self.mtime_ns / 1_000_000)
    }
}

/// One record's place in the index bytes, with its fixed fields decoded.
#[derive(Debug, Clone, Copy)]
struct Rec {
    start: usize,
    end: usize,
    stamp: FileStamp,
    created_ms: i64,
    lease_ms: i64,
    deferred_ms: i64,
    epoch: u64,
    state: State,
    priority: Priority,
    flags: u8,
    deps: (usize, usize),
    parent: usize,
    gates: (usize, usize),
    links: (usize, usize),
    kind: (usize, usize),
    assignee: (usize, usize),
}

/// The summaries of every readable issue, sorted by id.
#[derive(Debug, Default)]
pub struct Summaries {
    buf: Vec<u8>,
    recs: Vec<Rec>,
}

/// One issue's summary, read in place from the index bytes.
#[derive(Debug, Clone, Copy)]
pub struct Summary<'a> {
    buf: &'a [u8],
    rec: &'a Rec,
}

impl Summaries {
    /// How many issues are summarised.
    pub fn len(&self) -> usize {
        self.recs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    /// Every summary, in id order.
    pub fn iter(&self) -> impl Iterator<Item = Summary<'_>> {
        self.recs.iter().map(|rec| Summary {
            buf: &self.buf,
            rec,
        })
    }

    /// The summary of one issue by its canonical id.
    pub fn get(&self, id: &str) -> Option<Summary<'_>> {
        let key = id.as_bytes();
        self.recs
            .binary_search_by(|r| id_bytes(&self.buf, r.start).cmp(key))
            .ok()
            .map(|k| Summary {
                buf: &self.buf,
                rec: &self.recs[k],
            })
    }
}

impl<'a> Summary<'a> {
    /// The canonical id.
    pub fn id(&self) -> &'a str {
        text(id_bytes(self.buf, self.rec.start))
    }

    pub fn state(&self) -> State {
        self.rec.state
    }

    pub fn priority(&self) -> Priority {
        self.rec.priority
    }

    /// `created_at` in milliseconds (stored times have millisecond precision).
    pub fn created_ms(&self) -> i64 {
        self.rec.created_ms
    }

    /// Whether someone is assigned (a claim or an assignment).
    pub fn assigned(&self) -> bool {
        self.rec.flags & ASSIGNED != 0
    }

    /// When the lease runs out, in milliseconds, if there is a lease with an expiry.
    pub fn lease_expires_ms(&self) -> Option<i64> {
        (self.rec.lease_ms != NO_LEASE).then_some(self.rec.lease_ms)
    }

    /// Until when the issue is deferred, in milliseconds, if it is.
    pub fn deferred_until_ms(&self) -> Option<i64> {
        (self.rec.deferred_ms != NO_LEASE).then_some(self.rec.deferred_ms)
    }

    /// The fencing epoch of the issue's latest claim (0: never claimed).
    pub fn epoch(&self) -> u64 {
        self.rec.epoch
    }

    /// The issue type.
    pub fn kind(&self) -> &'a str {
        let (at, n) = self.rec.kind;
        text(&self.buf[at..at + n])
    }

    /// Who is assigned, if anyone.
    pub fn assignee(&self) -> Option<&'a str> {
        let (at, n) = self.rec.assignee;
        self.assigned().then(|| text(&self.buf[at..at + n]))
    }

    /// The ids this issue depends on.
    pub fn dependencies(&self) -> impl Iterator<Item = &'a str> + 'a {
        let (at, n) = self.rec.deps;
        let buf = self.buf;
        (0..n).map(move |k| text(&buf[at + k * ID..at + (k + 1) * ID]))
    }

    /// The parent's id.
    pub fn parent(&self) -> Option<&'a str> {
        let at = self.rec.parent;
        (self.rec.flags & HAS_PARENT != 0).then(|| text(&self.buf[at..at + ID]))
    }

    /// The required gates, in order, each with its status (pending when none is recorded).
    pub fn gates(&self) -> impl Iterator<Item = (&'a str, GateState)> + 'a {
        let (at, n) = self.rec.gates;
        let mut cur = Cursor::new(self.buf, at);
        (0..n).map_while(move |_| {
            let key = cur.bytes()?;
            let status = decode(GateState::ALL, cur.u8()?)?;
            Some((text(key), status))
        })
    }

    /// The links this issue holds: kind and stored target.
    pub fn links(&self) -> impl Iterator<Item = (LinkKind, &'a str)> + 'a {
        let (at, n) = self.rec.links;
        let mut cur = Cursor::new(self.buf, at);
        (0..n).map_while(move |_| {
            let kind = decode(LinkKind::ALL, cur.u8()?)?;
            Some((kind, text(cur.bytes()?)))
        })
    }
}

impl crate::rules::Facts for Summary<'_> {
    fn state(&self) -> State {
        self.rec.state
    }

    fn assigned(&self) -> bool {
        Summary::assigned(self)
    }

    fn lease_expires_ms(&self) -> Option<i64> {
        Summary::lease_expires_ms(self)
    }

    fn deferred_until_ms(&self) -> Option<i64> {
        Summary::deferred_until_ms(self)
    }

    fn kind(&self) -> &str {
        Summary::kind(self)
    }
}

/// A summary as the rules see it: with the claim ledger's entry applied when it overrides the
/// file (see [`super::ledger`]).
#[derive(Debug, Clone, Copy)]
pub struct Effective<'a> {
    pub summary: Summary<'a>,
    entry: Option<&'a super::ledger::Entry>,
}

impl<'a> Effective<'a> {
    /// `s` under `ledger`.
    pub fn of(s: Summary<'a>, ledger: &'a super::ledger::Ledger) -> Self {
        let key = crate::rules::claim_key(s.epoch(), s.state(), s.assigned());
        Effective {
            summary: s,
            entry: ledger.outranking(s.id(), key, s.assignee()),
        }
    }
}

impl crate::rules::Facts for Effective<'_> {
    fn state(&self) -> State {
        self.entry.map_or(self.summary.state(), |e| e.state)
    }

    fn assigned(&self) -> bool {
        self.entry
            .map_or(self.summary.assigned(), |e| e.assignee.is_some())
    }

    fn lease_expires_ms(&self) -> Option<i64> {
        match self.entry {
            Some(e) => e
                .lease
                .as_ref()
                .and_then(|l| l.expires_at)
                .map(|t| t.millis()),
            None => self.summary.lease_expires_ms(),
        }
    }

    fn deferred_until_ms(&self) -> Option<i64> {
        self.summary.deferred_until_ms()
    }

    fn kind(&self) -> &str {
        self.summary.kind()
    }
}

/// The id bytes of the record starting at `start` (after its length).
fn id_bytes(buf: &[u8], start: usize) -> &[u8] {
    &buf[start + 4..start + 4 + ID]
}

/// Text the parser has already checked to be UTF-8.
fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or_default()
}

fn code<T: PartialEq>(all: &[T], v: &T) -> u8 {
    all.iter().position(|x| x == v).unwrap_or(0) as u8
}

fn decode<T: Copy>(all: &[T], c: u8) -> Option<T> {
    all.get(usize::from(c)).copied()
}

/// Bounds-checked reading of index bytes.
struct Cursor<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn new(buf: &'a [u8], at: usize) -> Self {
        Cursor { buf, at }
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let b = self.buf.get(self.at..end)?;
        self.at = end;
        Some(b)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn u32(&mut self) -> Option<usize> {
        Some(u32::from_le_bytes(self.array()?) as usize)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.array()?))
    }

    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.array()?))
    }

    /// A length-prefixed UTF-8 string.
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()?;
        self.take(n)
    }
}

/// Whether `b` is a canonical id: 26 upper-case Crockford base32 characters.
fn is_id(b: &[u8]) -> bool {
    b.len() == ID
        && b.iter()
            .all(|c| crate::model::id::is_crockford(char::from(*c)))
}

/// A cheap checksum against a damaged cache file (the file is ours, so this guards against
/// disk damage and stray edits, not against an adversary who could edit the issues anyway).
/// `seed` covers the header fields, so a change to any header or body byte changes the sum
/// (every step is a bijection of the running state).
fn checksum(seed: u64, bytes: &[u8]) -> u64 {
    let mut h: u64 = 0x9E37_79B9_7F4A_7C15 ^ seed;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let mut a = [0u8; 8];
        a.copy_from_slice(w);
        h = (h ^ u64::from_le_bytes(a))
            .wrapping_mul(0xFF51_AFD7_ED55_8CCD)
            .rotate_left(29);
    }
    for &b in words.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3);
    }
    h ^ (h >> 31)
}

fn seed(written_ms: i64, count: usize) -> u64 {
    (written_ms as u64) ^ (count as u64).rotate_left(40)
}

/// Checks a whole index and decodes its record table; `None` for anything malformed.
fn parse(buf: &[u8]) -> Option<(i64, Vec<Rec>)> {
    let mut cur = Cursor::new(buf, 0);
    if cur.take(MAGIC.len())? != MAGIC {
        return None;
    }
    let written_ms = cur.i64()?;
    let count = cur.u32()?;
    let sum = cur.u64()?;
    if checksum(seed(written_ms, count), &buf[HEADER..]) != sum {
        return None;
    }
    let mut recs: Vec<Rec> = Vec::with_capacity(count.min(buf.len() / (FIXED + 4)));
    for _ in 0..count {
        let start = cur.at;
        let len = cur.u32()?;
        let end = cur.at.checked_add(len)?;
        if len < FIXED || end > buf.len() {
            return None;
        }
        let id = cur.take(ID)?;
        if !is_id(id) || recs.last().is_some_and(|p| id_bytes(buf, p.start) >= id) {
            return None;
        }
        let stamp = FileStamp {
            len: cur.u64()?,
            mtime_s: cur.i64()?,
            mtime_ns: cur.i64()?,
            ino: cur.u64()?,
        };
        let created_ms = cur.i64()?;
        let lease_ms = cur.i64()?;
        let deferred_ms = cur.i64()?;
        let epoch = cur.u64()?;
        let state = decode(State::ALL, cur.u8()?)?;
        let priority = decode(Priority::ALL, cur.u8()?)?;
        let flags = cur.u8()?;
        let ndeps = cur.u32()?;
        let deps_at = cur.at;
        let deps = cur.take(ndeps.checked_mul(ID)?)?;
        if !deps.chunks_exact(ID).all(is_id) {
            return None;
        }
        let mut parent = 0;
        if flags & HAS_PARENT != 0 {
            parent = cur.at;
            if !is_id(cur.take(ID)?) {
                return None;
            }
        }
        let ngates = cur.u32()?;
        let gates_at = cur.at;
        for _ in 0..ngates {
            std::str::from_utf8(cur.bytes()?).ok()?;
            decode(GateState::ALL, cur.u8()?)?;
        }
        let nlinks = cur.u32()?;
        let links_at = cur.at;
        for _ in 0..nlinks {
            decode(LinkKind::ALL, cur.u8()?)?;
            std::str::from_utf8(cur.bytes()?).ok()?;
        }
        let kind = cur.bytes()?;
        std::str::from_utf8(kind).ok()?;
        let kind = (cur.at - kind.len(), kind.len());
        let assignee = cur.bytes()?;
        std::str::from_utf8(assignee).ok()?;
        let assignee = (cur.at - assignee.len(), assignee.len());
        if cur.at != end {
            return None;
        }
        recs.push(Rec {
            start,
            end,
            stamp,
            created_ms,
            lease_ms,
            deferred_ms,
            epoch,
            state,
            priority,
            flags,
            deps: (deps_at, ndeps),
            parent,
            gates: (gates_at, ngates),
            links: (links_at, nlinks),
            kind,
            assignee,
        });
    }
    (cur.at == buf.len()).then_some((written_ms, recs))
}

fn put_u32(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n.min(u32::MAX as usize) as u32).to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u32(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

/// Appends the record of one issue read from a file with `stamp`.
fn encode(out: &mut Vec<u8>, stamp: FileStamp, i: &Issue) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(i.id.as_str().as_bytes());
    out.extend_from_slice(&stamp.len.to_le_bytes());
    out.extend_from_slice(&stamp.mtime_s.to_le_bytes());
    out.extend_from_slice(&stamp.mtime_ns.to_le_bytes());
    out.extend_from_slice(&stamp.ino.to_le_bytes());
    out.extend_from_slice(&i.created_at.millis().to_le_bytes());
    let lease = i.lease.as_ref().and_then(|l| l.expires_at);
    out.extend_from_slice(&lease.map_or(NO_LEASE, |t| t.millis()).to_le_bytes());
    let deferred = i.deferred_until.map_or(NO_LEASE, |t| t.millis());
    out.extend_from_slice(&deferred.to_le_bytes());
    out.extend_from_slice(&i.epoch().to_le_bytes());
    out.push(code(State::ALL, &i.state));
    out.push(code(Priority::ALL, &i.priority));
    let mut flags = 0;
    if i.assignee.is_some() {
        flags |= ASSIGNED;
    }
    if i.parent.is_some() {
        flags |= HAS_PARENT;
    }
    out.push(flags);
    put_u32(out, i.dependencies.len());
    for d in &i.dependencies {
        out.extend_from_slice(d.as_str().as_bytes());
    }
    if let Some(p) = &i.parent {
        out.extend_from_slice(p.as_str().as_bytes());
    }
    put_u32(out, i.gates_required.len());
    for key in &i.gates_required {
        put_str(out, key);
        let status = i
            .gates_status
            .get(key)
            .map(|g| g.status)
            .unwrap_or(GateState::Pending);
        out.push(code(GateState::ALL, &status));
    }
    put_u32(out, i.links.len());
    for l in &i.links {
        out.push(code(LinkKind::ALL, &l.kind));
        put_str(out, &l.target);
    }
    put_str(out, &i.kind);
    put_str(out, i.assignee.as_deref().unwrap_or_default());
    let len = out.len() - start - 4;
    out[start..start + 4].copy_from_slice(&(len as u32).to_le_bytes());
}

fn header(written_ms: i64, count: usize, body: &[u8]) -> Vec<u8> {
    let mut h = Vec::with_capacity(HEADER);
    h.extend_from_slice(MAGIC);
    h.extend_from_slice(&written_ms.to_le_bytes());
    put_u32(&mut h, count);
    h.extend_from_slice(&checksum(seed(written_ms, count), body).to_le_bytes());
    h
}

fn path(store: &Store) -> PathBuf {
    store.dir().join("cache").join(FILE)
}

fn write_index(store: &Store, bytes: &[u8]) {
    let dir = store.dir().join("cache");
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    // Indexes of older formats are dead weight once this one is written.
    for old in ["summary.v1", "summary.v2", "summary.v3", "summary.v4"] {
        let _ = std::fs::remove_file(dir.join(old));
    }
    let tmp = dir.join(format!(".{FILE}.{}.tmp", std::process::id()));
    if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, path(store)).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// What checking one listed file found.
enum Seen {
    /// The old record still holds (its index in the old table).
    Kept(usize),
    /// The file was read: its new record, whether that equals the old record byte for byte
    /// (re-read only because it was modified too recently to trust), and its mtime.
    Read {
        rec: Vec<u8>,
        same: bool,
        mtime_ms: i64,
    },
    /// Deleted since the listing.
    Gone,
    Problem(FileProblem),
}

/// The stamp of one file in the issues directory, without following a symlink: one `statx`
/// relative to the open directory on Linux (no path walk, no allocation), falling back to
/// `lstat` by path where that is refused (old kernels, restrictive sandboxes) and elsewhere.
fn stamp_of(
    dir: &std::fs::File,
    name: &str,
    path: impl FnOnce() -> PathBuf,
) -> std::io::Result<FileStamp> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{AtFlags, StatxFlags};
        let wanted = StatxFlags::SIZE | StatxFlags::MTIME | StatxFlags::INO;
        match rustix::fs::statx(dir, name, AtFlags::SYMLINK_NOFOLLOW, wanted) {
            // A file system that cannot report all three is checked through `lstat` instead.
            Ok(st) if st.stx_mask & wanted.bits() == wanted.bits() => {
                return Ok(FileStamp {
                    len: st.stx_size,
                    mtime_s: st.stx_mtime.tv_sec,
                    mtime_ns: i64::from(st.stx_mtime.tv_nsec),
                    ino: st.stx_ino,
                });
            }
            Err(e) if e == rustix::io::Errno::NOENT => return Err(e.into()),
            _ => {}
        }
    }
    let _ = (dir, name);
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::symlink_metadata(path())?;
    Ok(FileStamp {
        len: m.len(),
        mtime_s: m.mtime(),
        mtime_ns: m.mtime_nsec(),
        ino: m.ino(),
    })
}

fn check_one(
    store: &Store,
    dir: &std::fs::File,
    id: &IssueId,
    old: Option<(usize, &Rec)>,
    old_buf: &[u8],
    settled_before: i64,
    buf: &mut Vec<u8>,
) -> Seen {
    let name = format!("{}.json", id.as_str());
    let stamp = match stamp_of(dir, &name, || store.issue_path(id)) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Seen::Gone,
        Err(e) => {
            return Seen::Problem(FileProblem::from_error(
                &store.issue_path(id),
                &Error::io("reading the issue file's metadata", e),
            ));
        }
    };
    if let Some((k, r)) = old
        && r.stamp == stamp
        && stamp.mtime_ms() < settled_before
    {
        return Seen::Kept(k);
    }
    match store.load_listed(id, buf, None) {
        Ok(issue) => {
            let mut rec = Vec::with_capacity(256);
            encode(&mut rec, stamp, &issue);
            Seen::Read {
                same: old.is_some_and(|(_, r)| old_buf[r.start..r.end] == rec[..]),
                rec,
                mtime_ms: stamp.mtime_ms(),
            }
        }
        Err(Error::NotFound { .. }) => Seen::Gone,
        Err(e) => Seen::Problem(FileProblem::from_error(&store.issue_path(id), &e)),
    }
}

/// The summary of every issue, with the files that could not be read. Reads only the files
/// the index does not vouch for, and rewrites the index when it read any or lost any.
pub fn load(store: &Store) -> Result<(Summaries, Vec<FileProblem>)> {
    // The time a new index is stamped with is taken before anything is read: a file changed
    // after its read but within its timestamp granularity then still counts as too recent.
    let start_ms = crate::clock::system_millis() as i64;
    let (ids, mut problems) = store.list_ids()?;
    let (old_buf, written_ms, old_recs) = std::fs::read(path(store))
        .ok()
        .and_then(|b| parse(&b).map(|(w, r)| (b, w, r)))
        // An index from the future (a clock set back, a hand-made file) vouches for nothing.
        .filter(|(_, w, _)| *w <= start_ms.saturating_add(RACY_MS))
        .unwrap_or_default();
    // Both sides are sorted by id: one merge pairs each listed file with its old record.
    let mut pairs: Vec<Option<usize>> = Vec::with_capacity(ids.len());
    let mut j = 0;
    for id in &ids {
        let key = id.as_str().as_bytes();
        while j < old_recs.len() && id_bytes(&old_buf, old_recs[j].start) < key {
            j += 1;
        }
        pairs.push(
            (j < old_recs.len() && id_bytes(&old_buf, old_recs[j].start) == key).then_some(j),
        );
    }
    let dir_path = store.issues_dir();
    let dir = std::fs::File::open(&dir_path)
        .map_err(|e| Error::io(format!("listing `{}`", dir_path.display()), e))?;
    let settled_before = written_ms.saturating_sub(RACY_MS);
    let listed: Vec<(&IssueId, Option<usize>)> = ids.iter().zip(pairs).collect();
    let seen: Vec<Seen> = super::in_parallel(&listed, FILES_PER_THREAD, |part| {
        let mut buf = Vec::with_capacity(16 * 1024);
        part.iter()
            .map(|&(id, o)| {
                let old = o.map(|k| (k, &old_recs[k]));
                check_one(store, &dir, id, old, &old_buf, settled_before, &mut buf)
            })
            .collect()
    });
    // Rewriting the index costs a write of all of it: skip it when no record changed and a new
    // writing time would not yet let a recently modified file be trusted either.
    let unchanged = ids.len() == old_recs.len()
        && seen.iter().all(|x| match x {
            Seen::Kept(_) => true,
            Seen::Read { same, mtime_ms, .. } => {
                *same && *mtime_ms >= start_ms.saturating_sub(RACY_MS)
            }
            Seen::Gone | Seen::Problem(_) => false,
        });
    if unchanged {
        return Ok((
            Summaries {
                buf: old_buf,
                recs: old_recs,
            },
            problems,
        ));
    }
    let mut body = Vec::with_capacity(old_buf.len().max(ids.len() * 128));
    let mut count = 0;
    for x in seen {
        match x {
            Seen::Kept(k) => {
                let r = &old_recs[k];
                body.extend_from_slice(&old_buf[r.start..r.end]);
            }
            Seen::Read { rec, .. } => body.extend_from_slice(&rec),
            Seen::Gone => continue,
            Seen::Problem(p) => {
                problems.push(p);
                continue;
            }
        }
        count += 1;
    }
    let mut buf = header(start_ms, count, &body);
    buf.extend_from_slice(&body);
    drop(body);
    let (_, recs) = parse(&buf)
        .ok_or_else(|| Error::Internal("the summary index just built does not read back".into()))?;
    write_index(store, &buf);
    Ok((Summaries { buf, recs }, problems))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GateStatus, Lease, Link, Timestamp};

    fn id(s: &str) -> IssueId {
        IssueId::parse(s).unwrap()
    }

    fn stamp() -> FileStamp {
        FileStamp {
            len: 10,
            mtime_s: 1,
            mtime_ns: 2,
            ino: 3,
        }
    }

    fn sample() -> Issue {
        let now = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        let mut i = Issue::new(id("01JABCDEFGHJKMNPQRSTVWXYZ0"), "title".into(), now);
        i.state = State::InProgress;
        i.priority = Priority::High;
        i.dependencies = vec![
            id("01JABCDEFGHJKMNPQRSTVWXYZ1"),
            id("01JABCDEFGHJKMNPQRSTVWXYZ2"),
        ];
        i.parent = Some(id("01JABCDEFGHJKMNPQRSTVWXYZ3"));
        i.gates_required = vec!["review".into(), "tests".into()];
        let mut passed = GateStatus::pending();
        passed.status = GateState::Passed;
        i.gates_status.insert("tests".into(), passed);
        i.assignee = Some("agent:a".into());
        i.lease = Some(Lease {
            holder: "agent:a".into(),
            acquired_at: now,
            expires_at: Some(Timestamp::from_millis(now.millis() + 60_000)),
            ttl_secs: Some(60),
        });
        i.links = vec![Link {
            kind: LinkKind::Relates,
            target: "not an id ✓".into(),
        }];
        i.deferred_until = Some(Timestamp::from_millis(now.millis() + 86_400_000));
        i
    }

    fn build(issues: &[Issue]) -> Vec<u8> {
        let mut body = Vec::new();
        for i in issues {
            encode(&mut body, stamp(), i);
        }
        let mut buf = header(42, issues.len(), &body);
        buf.extend_from_slice(&body);
        buf
    }

    #[test]
    fn a_record_reads_back_every_summarised_field() {
        let i = sample();
        let bare = Issue::new(
            id("01JABCDEFGHJKMNPQRSTVWXYZ9"),
            "t".into(),
            Timestamp::from_millis(5),
        );
        let buf = build(&[i.clone(), bare]);
        let (written, recs) = parse(&buf).unwrap();
        assert_eq!((written, recs.len()), (42, 2));
        assert_eq!(recs[0].stamp, stamp());
        let all = Summaries { buf, recs };
        let s = all.get(i.id.as_str()).unwrap();
        assert_eq!(s.id(), i.id.as_str());
        assert_eq!((s.state(), s.priority()), (i.state, i.priority));
        assert_eq!(s.created_ms(), i.created_at.millis());
        assert!(s.assigned());
        assert_eq!(s.lease_expires_ms(), Some(i.created_at.millis() + 60_000));
        assert_eq!(
            s.deferred_until_ms(),
            Some(i.created_at.millis() + 86_400_000)
        );
        let deps: Vec<&str> = s.dependencies().collect();
        assert_eq!(
            deps,
            ["01JABCDEFGHJKMNPQRSTVWXYZ1", "01JABCDEFGHJKMNPQRSTVWXYZ2"]
        );
        assert_eq!(s.parent(), Some("01JABCDEFGHJKMNPQRSTVWXYZ3"));
        let gates: Vec<_> = s.gates().collect();
        assert_eq!(
            gates,
            [("review", GateState::Pending), ("tests", GateState::Passed)]
        );
        let links: Vec<_> = s.links().collect();
        assert_eq!(links, [(LinkKind::Relates, "not an id ✓")]);
        let b = all.get("01JABCDEFGHJKMNPQRSTVWXYZ9").unwrap();
        assert!(!b.assigned() && b.parent().is_none() && b.lease_expires_ms().is_none());
        assert!(b.deferred_until_ms().is_none());
        assert_eq!(
            b.dependencies().count() + b.gates().count() + b.links().count(),
            0
        );
        assert!(all.get("01JABCDEFGHJKMNPQRSTVWXYZ5").is_none());
    }

    #[test]
    fn any_damage_makes_the_index_unusable_rather_than_wrong() {
        let buf = build(&[sample()]);
        assert!(parse(&buf).is_some());
        for k in 0..buf.len() {
            let mut bad = buf.clone();
            bad[k] ^= 0x10;
            assert!(
                parse(&bad).is_none(),
                "a flipped bit at byte {k} went unseen"
            );
        }
        for n in 0..buf.len() {
            assert!(parse(&buf[..n]).is_none(), "truncated to {n} bytes");
        }
        let mut longer = buf.clone();
        longer.push(0);
        assert!(parse(&longer).is_none());
    }

    #[test]
    fn an_index_written_in_the_future_vouches_for_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let git = std::process::Command::new("git")
            .args(["init", "-q"])
            .current_dir(tmp.path())
            .status()
            .unwrap();
        assert!(git.success());
        Store::init(tmp.path(), None).unwrap();
        let store = Store::discover(tmp.path()).unwrap();
        let issue = Issue::new(
            id("01JABCDEFGHJKMNPQRSTVWXYZ0"),
            "t".into(),
            Timestamp::from_millis(5),
        );
        let path = store.issue_path(&issue.id);
        std::fs::write(&path, crate::store::to_pretty(&issue).unwrap()).unwrap();
        // A lying record with the file's true stamp, in an index dated a day ahead: were its
        // date believed, the just-written file would count as settled and the lie be used.
        let dir = std::fs::File::open(store.issues_dir()).unwrap();
        let name = format!("{}.json", issue.id);
        let stamp = stamp_of(&dir, &name, || path.clone()).unwrap();
        let mut lie = issue.clone();
        lie.state = State::Archived;
        let mut body = Vec::new();
        encode(&mut body, stamp, &lie);
        let future = crate::clock::system_millis() as i64 + 86_400_000;
        let mut buf = header(future, 1, &body);
        buf.extend_from_slice(&body);
        assert!(parse(&buf).is_some());
        std::fs::create_dir_all(store.dir().join("cache")).unwrap();
        std::fs::write(super::path(&store), &buf).unwrap();
        let (all, problems) = load(&store).unwrap();
        assert!(problems.is_empty());
        assert_eq!(all.get(issue.id.as_str()).unwrap().state(), issue.state);
    }

    #[test]
    fn records_out_of_id_order_are_refused() {
        let mut later = sample();
        later.id = id("01JABCDEFGHJKMNPQRSTVWXYZZ");
        assert!(parse(&build(&[sample(), later.clone()])).is_some());
        assert!(parse(&build(&[later.clone(), sample()])).is_none());
        assert!(parse(&build(&[sample(), sample()])).is_none());
    }
}
