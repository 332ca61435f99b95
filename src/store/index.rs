//! A derived summary index, `.jit/cache/summary.v7`, so that lists, queries and `claim-next`
//! need not parse every issue file: each record holds the fields readiness, work order, the
//! query language (every key but `text:`), the lean list shape, progress and incoming links
//! depend on, and only the issues a command prints in full are read.
//!
//! Invariants (the files stay the source of truth):
//! - A record is used only while its file's size, modification time and inode are unchanged,
//!   and only if the file was last modified well before the index was written (a change within
//!   the file system's timestamp granularity could otherwise go unseen, as git's "racily clean"
//!   rule guards against). Anything else is read from the file, so a hand edit or a `git pull`
//!   is seen by the next command.
//! - Records are sorted by id, so matching them to the sorted directory listing is one merge,
//!   and looking one up is a binary search. Nothing is decoded into owned values: a
//!   [`Summary`] reads its fields straight from the index bytes, and the table kept per record
//!   is a dozen offsets.
//! - The file is checked as a whole (magic, checksum, every record's layout, its codes and id
//!   order) before any record is trusted; an index that fails any check is ignored and
//!   rebuilt. Text is checked as UTF-8 where it is read.
//! - Writes are best effort and atomic (temp file and rename); deleting the index changes no
//!   output, only speed.
//!
//! Layout (little-endian): `MAGIC`, written-at milliseconds (i64), record count (u32),
//! checksum of everything after the header (u64), then the records. A record is its length
//! (u32) followed by: id (26 bytes), file size (u64), mtime seconds (i64), mtime nanoseconds
//! (i64), inode (u64), created-at ms (i64), updated-at ms (i64), lease expiry ms (i64,
//! `i64::MIN` for none), deferred-until ms (i64, `i64::MIN` for none), claim epoch (u64), version (u64), estimate (f64 bits), state,
//! priority and two flag bytes (see `F_*` and `G_*`), then the dependency count (u32) and ids
//! (26 bytes each), the parent id (26 bytes, when flagged), the required gate count (u32) and
//! per gate its key (a string: u32 length, bytes) and status (byte; 3 when none is recorded),
//! the link count (u32) and per link its kind (byte) and target (string), the type, the
//! assignee (empty when unassigned) and the title (strings), the label count (u32) and labels
//! (strings), then the milestone, reporter and due date (strings, each only when flagged).

use super::{FileProblem, Store};
use crate::error::{Error, Result};
use crate::model::{GateState, Issue, IssueId, LinkKind, Priority, State};
use std::path::PathBuf;

const FILE: &str = "summary.v7";
const MAGIC: &[u8; 8] = b"JITSUM7\n";
/// Magic, written-at ms, record count, checksum, then the issues directory's stamp.
const HEADER: usize = MAGIC.len() + 8 + 4 + 8 + DIR_STAMP;
/// The directory's mtime (seconds, nanoseconds) and inode; all zero when not recorded.
const DIR_STAMP: usize = 8 * 3;
/// Files modified this close to the index's writing are always re-read.
const RACY_MS: i64 = 2000;
const ID: usize = crate::model::id::ULID_LEN;
/// Offsets of the fixed fields, from the start of a record (its length included).
const O_ID: usize = 4;
const O_LEN: usize = O_ID + ID;
const O_MTIME_S: usize = O_LEN + 8;
const O_MTIME_NS: usize = O_MTIME_S + 8;
const O_INO: usize = O_MTIME_NS + 8;
const O_CREATED: usize = O_INO + 8;
const O_UPDATED: usize = O_CREATED + 8;
const O_LEASE: usize = O_UPDATED + 8;
const O_DEFERRED: usize = O_LEASE + 8;
const O_EPOCH: usize = O_DEFERRED + 8;
const O_VERSION: usize = O_EPOCH + 8;
const O_ESTIMATE: usize = O_VERSION + 8;
const O_STATE: usize = O_ESTIMATE + 8;
const O_PRIORITY: usize = O_STATE + 1;
const O_FLAGS: usize = O_PRIORITY + 1;
const O_FLAGS2: usize = O_FLAGS + 1;
/// Where the variable part starts (the dependency count).
const O_VAR: usize = O_FLAGS2 + 1;
/// Bytes of a record's fixed part, after its length.
const FIXED: usize = O_VAR - 4;
const NO_LEASE: i64 = i64::MIN;
const F_ASSIGNED: u8 = 1;
const F_PARENT: u8 = 2;
const F_LEASE: u8 = 4;
const F_ESTIMATE: u8 = 8;
const F_PRS: u8 = 16;
const F_COMMENTS: u8 = 32;
const F_CHECKLIST: u8 = 64;
const G_MILESTONE: u8 = 1;
const G_REPORTER: u8 = 2;
const G_DUE: u8 = 4;
/// `visibility: internal`.
const G_INTERNAL: u8 = 8;
/// A required gate without a recorded status.
const NO_STATUS: u8 = 3;
/// Records the index file may lack or hold wrong before it is rewritten (at least; more in a
/// large store: a 256th of it). Until then each command reads those few files again.
const STALE_MAX: usize = 64;
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

/// One record's place in the index bytes: where it starts and ends, and where each of its
/// variable fields starts (each offset is absolute in the buffer).
#[derive(Debug, Clone, Copy)]
struct Rec {
    start: u32,
    end: u32,
    gates: u32,
    links: u32,
    kind: u32,
    labels: u32,
    extra: u32,
    /// In the records read this time ([`Summaries::fresh`]) rather than the index file's.
    fresh: bool,
    /// The id, for looking records up without touching their bytes.
    key: Key,
}

/// An id's 26 bytes as three integers, ordered as the bytes are: a binary search over these
/// compares integers held in the record table, not text spread over the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key(u128, u64, u16);

impl Key {
    /// The key of 26 id bytes (`None` for any other length).
    fn of(id: &[u8]) -> Option<Key> {
        let id: &[u8; ID] = id.try_into().ok()?;
        let (hi, rest) = id.split_at(16);
        let (mid, lo) = rest.split_at(8);
        Some(Key(
            u128::from_be_bytes(hi.try_into().ok()?),
            u64::from_be_bytes(mid.try_into().ok()?),
            u16::from_be_bytes(lo.try_into().ok()?),
        ))
    }
}

/// The summaries of every readable issue, sorted by id.
#[derive(Debug, Default)]
pub struct Summaries {
    /// The index file's bytes.
    buf: Vec<u8>,
    /// Records of files read this time, when the index file was not rewritten with them.
    fresh: Vec<u8>,
    recs: Vec<Rec>,
}

/// One issue's summary, read in place from the index bytes.
#[derive(Debug, Clone, Copy)]
pub struct Summary<'a> {
    buf: &'a [u8],
    rec: &'a Rec,
}

impl Summaries {
    fn bytes(&self, r: &Rec) -> &[u8] {
        if r.fresh { &self.fresh } else { &self.buf }
    }

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
            buf: self.bytes(rec),
            rec,
        })
    }

    /// The summary at position `k` in id order.
    pub fn at(&self, k: usize) -> Summary<'_> {
        let rec = &self.recs[k];
        Summary {
            buf: self.bytes(rec),
            rec,
        }
    }

    /// The position of one issue by its canonical id.
    pub fn position(&self, id: &str) -> Option<usize> {
        let key = Key::of(id.as_bytes())?;
        self.recs.binary_search_by(|r| r.key.cmp(&key)).ok()
    }

    /// How many summaries have an id at or before `id` (the position of the first after it).
    pub fn after(&self, id: &str) -> usize {
        let key = id.as_bytes();
        match Key::of(key) {
            Some(k) => self.recs.partition_point(|r| r.key <= k),
            None => self
                .recs
                .partition_point(|r| id_bytes(self.bytes(r), r.start as usize) <= key),
        }
    }

    /// The summary of one issue by its canonical id.
    pub fn get(&self, id: &str) -> Option<Summary<'_>> {
        self.position(id).map(|k| self.at(k))
    }
}

fn u64_at(buf: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&buf[at..at + 8]);
    u64::from_le_bytes(a)
}

fn i64_at(buf: &[u8], at: usize) -> i64 {
    u64_at(buf, at) as i64
}

fn u32_at(buf: &[u8], at: usize) -> usize {
    let mut a = [0u8; 4];
    a.copy_from_slice(&buf[at..at + 4]);
    u32::from_le_bytes(a) as usize
}

/// The string at `at` (u32 length, bytes) and where the next field starts.
fn str_at(buf: &[u8], at: usize) -> (&str, usize) {
    let n = u32_at(buf, at);
    (text(&buf[at + 4..at + 4 + n]), at + 4 + n)
}

impl<'a> Summary<'a> {
    fn fixed(&self, off: usize) -> usize {
        self.rec.start as usize + off
    }

    fn flags(&self) -> u8 {
        self.buf[self.fixed(O_FLAGS)]
    }

    fn flags2(&self) -> u8 {
        self.buf[self.fixed(O_FLAGS2)]
    }

    /// The canonical id.
    pub fn id(&self) -> &'a str {
        text(id_bytes(self.buf, self.rec.start as usize))
    }

    /// The stored state (before the claim ledger; see [`Effective`]).
    pub fn state(&self) -> State {
        decode(State::ALL, self.buf[self.fixed(O_STATE)]).unwrap_or(State::Backlog)
    }

    pub fn priority(&self) -> Priority {
        decode(Priority::ALL, self.buf[self.fixed(O_PRIORITY)]).unwrap_or(Priority::Normal)
    }

    /// `created_at` in milliseconds (stored times have millisecond precision).
    pub fn created_ms(&self) -> i64 {
        i64_at(self.buf, self.fixed(O_CREATED))
    }

    /// `updated_at` in milliseconds.
    pub fn updated_ms(&self) -> i64 {
        i64_at(self.buf, self.fixed(O_UPDATED))
    }

    /// The version counter.
    pub fn version(&self) -> u64 {
        u64_at(self.buf, self.fixed(O_VERSION))
    }

    /// The estimate, if one is set.
    pub fn estimate(&self) -> Option<f64> {
        (self.flags() & F_ESTIMATE != 0)
            .then(|| f64::from_bits(u64_at(self.buf, self.fixed(O_ESTIMATE))))
    }

    /// Whether someone is assigned (a claim or an assignment).
    pub fn assigned(&self) -> bool {
        self.flags() & F_ASSIGNED != 0
    }

    /// Whether the file holds a lease (with or without an expiry).
    pub fn has_lease(&self) -> bool {
        self.flags() & F_LEASE != 0
    }

    /// Whether pull requests are linked.
    pub fn has_prs(&self) -> bool {
        self.flags() & F_PRS != 0
    }

    /// Whether there are comments.
    pub fn has_comments(&self) -> bool {
        self.flags() & F_COMMENTS != 0
    }

    /// Whether there are checklist items.
    pub fn has_checklist(&self) -> bool {
        self.flags() & F_CHECKLIST != 0
    }

    /// Whether the issue is internal (`visibility: internal`).
    pub fn internal(&self) -> bool {
        self.flags2() & G_INTERNAL != 0
    }

    /// When the lease runs out, in milliseconds, if there is a lease with an expiry.
    pub fn lease_expires_ms(&self) -> Option<i64> {
        let ms = i64_at(self.buf, self.fixed(O_LEASE));
        (ms != NO_LEASE).then_some(ms)
    }

    /// Until when the issue is deferred, in milliseconds, if it is.
    pub fn deferred_until_ms(&self) -> Option<i64> {
        let ms = i64_at(self.buf, self.fixed(O_DEFERRED));
        (ms != NO_LEASE).then_some(ms)
    }

    /// The fencing epoch of the issue's latest claim (0: never claimed).
    pub fn epoch(&self) -> u64 {
        u64_at(self.buf, self.fixed(O_EPOCH))
    }

    /// The ids this issue depends on.
    pub fn dependencies(&self) -> impl Iterator<Item = &'a str> + 'a {
        let at = self.fixed(O_VAR);
        let n = u32_at(self.buf, at);
        let buf = self.buf;
        (0..n).map(move |k| text(&buf[at + 4 + k * ID..at + 4 + (k + 1) * ID]))
    }

    /// The parent's id.
    pub fn parent(&self) -> Option<&'a str> {
        let deps = self.fixed(O_VAR);
        let at = deps + 4 + u32_at(self.buf, deps) * ID;
        (self.flags() & F_PARENT != 0).then(|| text(&self.buf[at..at + ID]))
    }

    /// The required gates, in order, each with its status (pending when none is recorded).
    pub fn gates(&self) -> impl Iterator<Item = (&'a str, GateState)> + 'a {
        self.gates_recorded()
            .map(|(k, s)| (k, s.unwrap_or(GateState::Pending)))
    }

    /// The required gates, in order, each with its recorded status (`None`: no entry in
    /// `gates_status`).
    pub fn gates_recorded(&self) -> impl Iterator<Item = (&'a str, Option<GateState>)> + 'a {
        let at = self.rec.gates as usize;
        let n = u32_at(self.buf, at);
        let mut cur = Cursor::new(self.buf, at + 4);
        (0..n).map_while(move |_| {
            let key = cur.bytes()?;
            let c = cur.u8()?;
            let status = if c == NO_STATUS {
                None
            } else {
                Some(decode(GateState::ALL, c)?)
            };
            Some((text(key), status))
        })
    }

    /// The links this issue holds: kind and stored target.
    pub fn links(&self) -> impl Iterator<Item = (LinkKind, &'a str)> + 'a {
        let at = self.rec.links as usize;
        let n = u32_at(self.buf, at);
        let mut cur = Cursor::new(self.buf, at + 4);
        (0..n).map_while(move |_| {
            let kind = decode(LinkKind::ALL, cur.u8()?)?;
            Some((kind, text(cur.bytes()?)))
        })
    }

    /// The issue type.
    pub fn kind(&self) -> &'a str {
        str_at(self.buf, self.rec.kind as usize).0
    }

    /// Who is assigned, if anyone.
    pub fn assignee(&self) -> Option<&'a str> {
        let (_, at) = str_at(self.buf, self.rec.kind as usize);
        self.assigned().then(|| str_at(self.buf, at).0)
    }

    /// The title.
    pub fn title(&self) -> &'a str {
        let (_, at) = str_at(self.buf, self.rec.kind as usize);
        let (_, at) = str_at(self.buf, at);
        str_at(self.buf, at).0
    }

    /// The labels (sorted, as stored).
    pub fn labels(&self) -> impl Iterator<Item = &'a str> + 'a {
        let at = self.rec.labels as usize;
        let n = u32_at(self.buf, at);
        let buf = self.buf;
        let mut next = at + 4;
        (0..n).map(move |_| {
            let (s, after) = str_at(buf, next);
            next = after;
            s
        })
    }

    /// The optional texts after the labels, in order: milestone, reporter, due.
    fn optional(&self, which: u8) -> Option<&'a str> {
        let f = self.flags2();
        if f & which == 0 {
            return None;
        }
        let mut at = self.rec.extra as usize;
        for bit in [G_MILESTONE, G_REPORTER, G_DUE] {
            if f & bit == 0 {
                continue;
            }
            let (s, after) = str_at(self.buf, at);
            if bit == which {
                return Some(s);
            }
            at = after;
        }
        None
    }

    /// The milestone.
    pub fn milestone(&self) -> Option<&'a str> {
        self.optional(G_MILESTONE)
    }

    /// Who created the issue.
    pub fn reporter(&self) -> Option<&'a str> {
        self.optional(G_REPORTER)
    }

    /// The due date as stored.
    pub fn due(&self) -> Option<&'a str> {
        self.optional(G_DUE)
    }
}

impl crate::rules::Facts for Summary<'_> {
    fn state(&self) -> State {
        Summary::state(self)
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
        // Most issues have no entry: look the id up once, before deriving what it must beat.
        let entry = if ledger.entries.is_empty() {
            None
        } else {
            ledger.get(s.id()).filter(|e| {
                e.outranks(
                    crate::rules::claim_key(s.epoch(), s.state(), s.assigned()),
                    s.assignee(),
                )
            })
        };
        Effective { summary: s, entry }
    }

    /// Who is assigned, if anyone, under the ledger.
    pub fn assignee(&self) -> Option<&'a str> {
        match self.entry {
            Some(e) => e.assignee.as_deref(),
            None => self.summary.assignee(),
        }
    }

    /// Whether there is a lease, under the ledger.
    pub fn has_lease(&self) -> bool {
        match self.entry {
            Some(e) => e.lease.is_some(),
            None => self.summary.has_lease(),
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

/// The id bytes of the record starting at `start` (its length first).
fn id_bytes(buf: &[u8], start: usize) -> &[u8] {
    &buf[start + O_ID..start + O_ID + ID]
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

    /// A length-prefixed string's bytes.
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()?;
        self.take(n)
    }
}

/// Whether `b` is a canonical id: 26 upper-case Crockford base32 characters.
fn is_id(b: &[u8]) -> bool {
    crate::model::id::is_canonical(b)
}

/// A cheap checksum against a damaged cache file (the file is ours, so this guards against
/// disk damage and stray edits, not against an adversary who could edit the issues anyway).
/// `seed` covers the header fields, so a change to any header or body byte changes the sum
/// (every step is a bijection of the running state).
fn checksum(seed: u64, bytes: &[u8]) -> u64 {
    let mut c = Checksum::new(seed);
    c.update(bytes);
    c.finish()
}

/// [`checksum`] over bytes given in pieces.
struct Checksum {
    h: u64,
    word: [u8; 8],
    n: usize,
}

impl Checksum {
    fn new(seed: u64) -> Self {
        Checksum {
            h: 0x9E37_79B9_7F4A_7C15 ^ seed,
            word: [0; 8],
            n: 0,
        }
    }

    fn update(&mut self, mut bytes: &[u8]) {
        if self.n > 0 {
            let take = (8 - self.n).min(bytes.len());
            self.word[self.n..self.n + take].copy_from_slice(&bytes[..take]);
            self.n += take;
            bytes = &bytes[take..];
            if self.n < 8 {
                return;
            }
            self.mix(self.word);
            self.n = 0;
        }
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut a = [0u8; 8];
            a.copy_from_slice(w);
            self.mix(a);
        }
        let rest = words.remainder();
        self.word[..rest.len()].copy_from_slice(rest);
        self.n = rest.len();
    }

    fn mix(&mut self, w: [u8; 8]) {
        self.h = (self.h ^ u64::from_le_bytes(w))
            .wrapping_mul(0xFF51_AFD7_ED55_8CCD)
            .rotate_left(29);
    }

    fn finish(mut self) -> u64 {
        for &b in &self.word[..self.n] {
            self.h = (self.h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3);
        }
        self.h ^ (self.h >> 31)
    }
}

fn seed(written_ms: i64, count: usize, dir: Option<FileStamp>) -> u64 {
    let d = dir.map_or(0, |d| {
        (d.mtime_s as u64).rotate_left(7) ^ (d.mtime_ns as u64).rotate_left(23) ^ d.ino
    });
    (written_ms as u64) ^ (count as u64).rotate_left(40) ^ d.rotate_left(13)
}

/// Checks one record starting at `start` (its length first) and returns its table entry.
fn parse_record(buf: &[u8], start: usize) -> Option<Rec> {
    let mut cur = Cursor::new(buf, start);
    let len = cur.u32()?;
    let end = cur.at.checked_add(len)?;
    if len < FIXED || end > buf.len() || end > u32::MAX as usize {
        return None;
    }
    let id = cur.take(ID)?;
    if !is_id(id) {
        return None;
    }
    let key = Key::of(id)?;
    cur.take(8 * 4)?; // the file stamp
    cur.take(8 * 7)?; // times, lease, deferral, epoch, version, estimate
    decode(State::ALL, cur.u8()?)?;
    decode(Priority::ALL, cur.u8()?)?;
    let flags = cur.u8()?;
    let flags2 = cur.u8()?;
    if flags & 0x80 != 0 || flags2 & !(G_MILESTONE | G_REPORTER | G_DUE | G_INTERNAL) != 0 {
        return None;
    }
    // The layout is checked in full (every length within the record), the contents where a
    // reader relies on them (ids, codes); text is checked as UTF-8 when it is read.
    let ndeps = cur.u32()?;
    if !cur
        .take(ndeps.checked_mul(ID)?)?
        .chunks_exact(ID)
        .all(is_id)
    {
        return None;
    }
    if flags & F_PARENT != 0 && !is_id(cur.take(ID)?) {
        return None;
    }
    let gates = cur.at;
    for _ in 0..cur.u32()? {
        cur.bytes()?;
        let c = cur.u8()?;
        if c != NO_STATUS {
            decode(GateState::ALL, c)?;
        }
    }
    let links = cur.at;
    for _ in 0..cur.u32()? {
        decode(LinkKind::ALL, cur.u8()?)?;
        cur.bytes()?;
    }
    let kind = cur.at;
    cur.bytes()?; // type
    cur.bytes()?; // assignee
    cur.bytes()?; // title
    let labels = cur.at;
    for _ in 0..cur.u32()? {
        cur.bytes()?;
    }
    let extra = cur.at;
    for bit in [G_MILESTONE, G_REPORTER, G_DUE] {
        if flags2 & bit != 0 {
            cur.bytes()?;
        }
    }
    if cur.at != end {
        return None;
    }
    let at = |x: usize| x as u32;
    Some(Rec {
        start: at(start),
        end: at(end),
        gates: at(gates),
        links: at(links),
        kind: at(kind),
        labels: at(labels),
        extra: at(extra),
        fresh: false,
        key,
    })
}

/// A whole index, checked: when it was written, the issues directory's stamp it vouches for
/// (see [`load`]), and its record table.
struct Parsed {
    written_ms: i64,
    dir: Option<FileStamp>,
    recs: Vec<Rec>,
}

/// Checks a whole index and decodes its record table; `None` for anything malformed.
fn parse(buf: &[u8]) -> Option<Parsed> {
    let Header {
        written_ms,
        count,
        sum,
        dir,
    } = header_of(buf)?;
    if buf.len() > u32::MAX as usize || buf.len() < HEADER {
        return None;
    }
    if checksum(seed(written_ms, count, dir), &buf[HEADER..]) != sum {
        return None;
    }
    let mut recs: Vec<Rec> = Vec::with_capacity(count.min(buf.len() / (FIXED + 4)));
    let mut at = HEADER;
    for _ in 0..count {
        let rec = parse_record(buf, at)?;
        if recs
            .last()
            .is_some_and(|p| id_bytes(buf, p.start as usize) >= id_bytes(buf, at))
        {
            return None;
        }
        at = rec.end as usize;
        recs.push(rec);
    }
    (at == buf.len()).then_some(Parsed {
        written_ms,
        dir,
        recs,
    })
}

/// The file stamp a record was made with.
fn rec_stamp(buf: &[u8], r: &Rec) -> FileStamp {
    let s = r.start as usize;
    FileStamp {
        len: u64_at(buf, s + O_LEN),
        mtime_s: i64_at(buf, s + O_MTIME_S),
        mtime_ns: i64_at(buf, s + O_MTIME_NS),
        ino: u64_at(buf, s + O_INO),
    }
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
    out.extend_from_slice(&i.updated_at.millis().to_le_bytes());
    let lease = i.lease.as_ref().and_then(|l| l.expires_at);
    out.extend_from_slice(&lease.map_or(NO_LEASE, |t| t.millis()).to_le_bytes());
    let deferred = i.deferred_until.map_or(NO_LEASE, |t| t.millis());
    out.extend_from_slice(&deferred.to_le_bytes());
    out.extend_from_slice(&i.epoch().to_le_bytes());
    out.extend_from_slice(&i.version.to_le_bytes());
    out.extend_from_slice(&i.estimate.unwrap_or(0.0).to_bits().to_le_bytes());
    out.push(code(State::ALL, &i.state));
    out.push(code(Priority::ALL, &i.priority));
    let mut flags = 0;
    for (set, bit) in [
        (i.assignee.is_some(), F_ASSIGNED),
        (i.parent.is_some(), F_PARENT),
        (i.lease.is_some(), F_LEASE),
        (i.estimate.is_some(), F_ESTIMATE),
        (!i.prs.is_empty(), F_PRS),
        (!i.comments.is_empty(), F_COMMENTS),
        (!i.checklist.is_empty(), F_CHECKLIST),
    ] {
        if set {
            flags |= bit;
        }
    }
    out.push(flags);
    let mut flags2 = 0;
    for (set, bit) in [
        (i.milestone.is_some(), G_MILESTONE),
        (i.reporter.is_some(), G_REPORTER),
        (i.due.is_some(), G_DUE),
        (i.is_internal(), G_INTERNAL),
    ] {
        if set {
            flags2 |= bit;
        }
    }
    out.push(flags2);
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
        out.push(
            i.gates_status
                .get(key)
                .map_or(NO_STATUS, |g| code(GateState::ALL, &g.status)),
        );
    }
    put_u32(out, i.links.len());
    for l in &i.links {
        out.push(code(LinkKind::ALL, &l.kind));
        put_str(out, &l.target);
    }
    put_str(out, &i.kind);
    put_str(out, i.assignee.as_deref().unwrap_or_default());
    put_str(out, &i.title);
    put_u32(out, i.labels.len());
    for l in &i.labels {
        put_str(out, l);
    }
    for s in [&i.milestone, &i.reporter, &i.due].into_iter().flatten() {
        put_str(out, s);
    }
    let len = out.len() - start - 4;
    out[start..start + 4].copy_from_slice(&(len as u32).to_le_bytes());
}

#[cfg(test)]
fn header(written_ms: i64, count: usize, dir: Option<FileStamp>, body: &[u8]) -> Vec<u8> {
    header_with(
        written_ms,
        count,
        dir,
        checksum(seed(written_ms, count, dir), body),
    )
}

fn header_with(written_ms: i64, count: usize, dir: Option<FileStamp>, sum: u64) -> Vec<u8> {
    let mut h = Vec::with_capacity(HEADER);
    debug_assert!(count <= u32::MAX as usize);
    h.extend_from_slice(MAGIC);
    h.extend_from_slice(&written_ms.to_le_bytes());
    put_u32(&mut h, count);
    h.extend_from_slice(&sum.to_le_bytes());
    let d = dir.unwrap_or(FileStamp {
        len: 0,
        mtime_s: 0,
        mtime_ns: 0,
        ino: 0,
    });
    h.extend_from_slice(&d.mtime_s.to_le_bytes());
    h.extend_from_slice(&d.mtime_ns.to_le_bytes());
    h.extend_from_slice(&d.ino.to_le_bytes());
    h
}

fn path(store: &Store) -> PathBuf {
    store.dir().join("cache").join(FILE)
}

/// Writes a new index (best effort, atomically): the header, then `pieces` in order.
fn write_index<'a>(store: &Store, header: &[u8], pieces: impl Iterator<Item = &'a [u8]>) {
    use std::io::Write;
    let dir = store.dir().join("cache");
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    // Indexes of older formats are dead weight once this one is written.
    for old in [
        "summary.v1",
        "summary.v2",
        "summary.v3",
        "summary.v4",
        "summary.v5",
        "summary.v6",
    ] {
        let _ = std::fs::remove_file(dir.join(old));
    }
    let tmp = dir.join(format!(".{FILE}.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&tmp).and_then(|f| {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        w.write_all(header)?;
        for p in pieces {
            w.write_all(p)?;
        }
        w.flush()
    });
    if written.is_err() || std::fs::rename(&tmp, path(store)).is_err() {
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
    id: &[u8; ID],
    old: Option<(usize, &Rec)>,
    old_buf: &[u8],
    settled_before: i64,
    buf: &mut Vec<u8>,
) -> Seen {
    let mut name = [0u8; ID + 5];
    name[..ID].copy_from_slice(id);
    name[ID..].copy_from_slice(b".json");
    let name = std::str::from_utf8(&name).unwrap_or_default();
    // Names come from a listing's checked ids or from checked records.
    let issue_id = || IssueId::parse(text(id));
    let path = || match issue_id() {
        Ok(i) => store.issue_path(&i),
        Err(_) => store.issues_dir().join(name),
    };
    let stamp = match stamp_of(dir, name, path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Seen::Gone,
        Err(e) => {
            return Seen::Problem(FileProblem::from_error(
                &path(),
                &Error::io("reading the issue file's metadata", e),
            ));
        }
    };
    if let Some((k, r)) = old
        && rec_stamp(old_buf, r) == stamp
        && stamp.mtime_ms() < settled_before
    {
        return Seen::Kept(k);
    }
    let read = issue_id().and_then(|i| store.load_listed(&i, buf, None));
    match read {
        Ok(issue) => {
            let mut rec = Vec::with_capacity(256);
            encode(&mut rec, stamp, &issue);
            Seen::Read {
                same: old
                    .is_some_and(|(_, r)| old_buf[r.start as usize..r.end as usize] == rec[..]),
                rec,
                mtime_ms: stamp.mtime_ms(),
            }
        }
        Err(Error::NotFound { .. }) => Seen::Gone,
        Err(e) => Seen::Problem(FileProblem::from_error(&path(), &e)),
    }
}

/// What an index's header says, before its body is checked.
struct Header {
    written_ms: i64,
    count: usize,
    sum: u64,
    dir: Option<FileStamp>,
}

fn header_of(buf: &[u8]) -> Option<Header> {
    let mut cur = Cursor::new(buf, 0);
    if cur.take(MAGIC.len())? != MAGIC {
        return None;
    }
    let written_ms = cur.i64()?;
    let count = cur.u32()?;
    let sum = cur.u64()?;
    let dir = FileStamp {
        len: 0,
        mtime_s: cur.i64()?,
        mtime_ns: cur.i64()?,
        ino: cur.u64()?,
    };
    Some(Header {
        written_ms,
        count,
        sum,
        dir: (dir.ino != 0).then_some(dir),
    })
}

/// Whether an index written at `written_ms` that recorded the directory stamp `vouched` names
/// every file while the directory's stamp is `now`: unchanged, and settled before the index
/// was written.
fn names_vouched(written_ms: i64, vouched: Option<FileStamp>, now: Option<FileStamp>) -> bool {
    vouched.is_some()
        && vouched == now
        && now.is_some_and(|d| d.mtime_ms() < written_ms.saturating_sub(RACY_MS))
}

/// Checks the files named `ids` in parallel; `old` holds their records in the same order.
fn check_all(
    store: &Store,
    dir: &std::fs::File,
    ids: &[[u8; ID]],
    old: Option<&[Rec]>,
    old_buf: &[u8],
    settled_before: i64,
) -> Vec<Seen> {
    super::in_parallel(ids, FILES_PER_THREAD, |part| {
        let mut buf = Vec::with_capacity(16 * 1024);
        // A part's position in `ids`, to find each name's old record.
        let first = (part.as_ptr() as usize - ids.as_ptr() as usize) / ID;
        part.iter()
            .enumerate()
            .map(|(k, id)| {
                let rec = old.map(|recs| (first + k, &recs[first + k]));
                check_one(store, dir, id, rec, old_buf, settled_before, &mut buf)
            })
            .collect::<Vec<Seen>>()
    })
}

/// The stamp of the issues directory itself. Creating, removing or renaming an entry changes
/// its mtime; writing a file in place does not (each file's own stamp covers that).
fn dir_stamp(store: &Store) -> Option<FileStamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(store.issues_dir()).ok()?;
    (m.ino() != 0).then(|| FileStamp {
        len: 0,
        mtime_s: m.mtime(),
        mtime_ns: m.mtime_nsec(),
        ino: m.ino(),
    })
}

/// The summary of every issue, with the files that could not be read. Reads only the files
/// the index does not vouch for, and rewrites the index when it read any or lost any.
///
/// The names in the issues directory are listed unless the index vouches for them: it records
/// the directory's stamp when its listing found issue files only and the directory had not
/// changed for [`RACY_MS`]; while the directory keeps that stamp (no entry was created,
/// removed or renamed since), its records name every file, and only each file's own stamp is
/// checked.
pub fn load(store: &Store) -> Result<(Summaries, Vec<FileProblem>)> {
    // The time a new index is stamped with is taken before anything is read: a file changed
    // after its read but within its timestamp granularity then still counts as too recent.
    let start_ms = crate::clock::system_millis() as i64;
    let dir_now = dir_stamp(store);
    let dir_path = store.issues_dir();
    let dir = std::fs::File::open(&dir_path)
        .map_err(|e| Error::io(format!("listing `{}`", dir_path.display()), e))?;
    // The header alone tells whether the index may vouch for the directory's names; when it
    // cannot, the directory is listed on a thread of its own while the index is read, checked
    // and its files' stamps compared.
    let mut file = std::fs::File::open(path(store)).ok();
    let mut head = vec![0u8; HEADER];
    let head_read = file
        .as_mut()
        .is_some_and(|f| std::io::Read::read_exact(f, &mut head).is_ok());
    let may_vouch =
        head_read && header_of(&head).is_some_and(|h| names_vouched(h.written_ms, h.dir, dir_now));
    let scoped = std::thread::scope(|s| {
        let spawn = || {
            std::thread::Builder::new()
                .spawn_scoped(s, || store.list_names())
                .ok()
        };
        let mut lister = if may_vouch { None } else { spawn() };
        let mut buf = head;
        let whole = head_read
            && file
                .as_mut()
                .is_some_and(|f| std::io::Read::read_to_end(f, &mut buf).is_ok());
        let (old_buf, old) = Some(buf)
            .filter(|_| whole)
            .and_then(|b| parse(&b).map(|p| (b, p)))
            // An index from the future (a clock set back, a hand-made file) vouches for nothing.
            .filter(|(_, p)| p.written_ms <= start_ms.saturating_add(RACY_MS))
            .unwrap_or_else(|| {
                (
                    Vec::new(),
                    Parsed {
                        written_ms: 0,
                        dir: None,
                        recs: Vec::new(),
                    },
                )
            });
        let names_unchanged = names_vouched(old.written_ms, old.dir, dir_now);
        if !names_unchanged && lister.is_none() {
            lister = spawn();
        }
        let settled_before = old.written_ms.saturating_sub(RACY_MS);
        let old_ids: Vec<[u8; ID]> = old
            .recs
            .iter()
            .map(|r| {
                let mut id = [0u8; ID];
                id.copy_from_slice(id_bytes(&old_buf, r.start as usize));
                id
            })
            .collect();
        // Each file the index has a record of is checked by its stamp; the listing (when
        // there is one) then drops the names it lacks and adds the names the index lacks.
        let old_seen = check_all(
            store,
            &dir,
            &old_ids,
            Some(&old.recs),
            &old_buf,
            settled_before,
        );
        let listing = match lister {
            Some(h) => Some(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))),
            None if names_unchanged => None,
            None => Some(store.list_names()),
        };
        (old_buf, old, old_ids, old_seen, listing.transpose())
    });
    let (old_buf, old, old_ids, old_seen, listing) = scoped;
    let listing = listing?;
    let Parsed {
        written_ms,
        dir: old_dir,
        recs: old_recs,
    } = old;
    let settled_before = written_ms.saturating_sub(RACY_MS);
    let (seen, problems, used_old) = match listing {
        None => {
            let n = old_seen.len();
            (old_seen, Vec::new(), n)
        }
        // The directory holds exactly the files the index has records of: the usual case.
        Some((names, problems)) if names == old_ids => {
            let n = old_seen.len();
            (old_seen, problems, n)
        }
        Some((names, problems)) => {
            // Both sides are sorted by id: one merge pairs each listed file with its old
            // record's verdict, and the names the index lacks are read after.
            let mut old_seen = old_seen.into_iter().map(Some).collect::<Vec<_>>();
            let (mut j, mut used) = (0, 0);
            let mut order: Vec<Result<usize, usize>> = Vec::with_capacity(names.len());
            let mut new_names = Vec::new();
            for name in &names {
                while j < old_ids.len() && old_ids[j] < *name {
                    j += 1;
                }
                if j < old_ids.len() && old_ids[j] == *name {
                    order.push(Ok(j));
                    used += 1;
                } else {
                    order.push(Err(new_names.len()));
                    new_names.push(*name);
                }
            }
            let mut new_seen = check_all(store, &dir, &new_names, None, &old_buf, settled_before)
                .into_iter()
                .map(Some)
                .collect::<Vec<_>>();
            let seen = order
                .into_iter()
                .filter_map(|o| match o {
                    Ok(k) => old_seen[k].take(),
                    Err(k) => new_seen[k].take(),
                })
                .collect();
            (seen, problems, used)
        }
    };
    drop(old_ids);
    // The directory stamp the new index may vouch for: the one it had before this listing, if
    // the listing found nothing but issue files and the directory was settled by then.
    let clean_listing = problems.is_empty();
    let mut problems = problems;
    let all_found = seen
        .iter()
        .all(|x| matches!(x, Seen::Kept(_) | Seen::Read { .. }));
    let vouch = dir_now
        .filter(|d| clean_listing && all_found && d.mtime_ms() < start_ms.saturating_sub(RACY_MS));
    // Records kept from the index and records read now, in id order.
    let mut fresh: Vec<u8> = Vec::new();
    let mut recs: Vec<Rec> = Vec::with_capacity(seen.len());
    // How many records the index file lacks or holds wrong; and whether rewriting it would let
    // a file re-read only for being recent be trusted next time.
    let (mut stale, mut would_settle) = (0usize, false);
    for x in seen {
        match x {
            Seen::Kept(k) => recs.push(old_recs[k]),
            Seen::Read {
                rec,
                same,
                mtime_ms,
            } => {
                stale += usize::from(!same);
                would_settle |= same && mtime_ms < start_ms.saturating_sub(RACY_MS);
                let at = fresh.len();
                fresh.extend_from_slice(&rec);
                let mut r = parse_record(&fresh, at).ok_or_else(|| {
                    Error::Internal("a summary record just built does not read back".into())
                })?;
                r.fresh = true;
                recs.push(r);
            }
            Seen::Gone => stale += 1,
            Seen::Problem(p) => problems.push(p),
        }
    }
    // Records of files no longer listed.
    stale += old_recs.len() - used_old;
    // Rewriting the index costs a write of all of it, so it is rewritten only when that pays:
    // there was none, many records changed, or the new one would vouch for the directory's
    // names or for files that are recent now but settled by then. Otherwise the few files it
    // has wrong are read again by each command, until one of those holds.
    let rewrite = old_buf.is_empty()
        || stale > STALE_MAX.max(recs.len() / 256)
        || (vouch.is_some() && vouch != old_dir)
        || would_settle;
    if !rewrite {
        return Ok((
            Summaries {
                buf: old_buf,
                fresh,
                recs,
            },
            problems,
        ));
    }
    // The new index is streamed to its file from the old one's kept records and the records
    // read now, which also answer this command: nothing is held twice.
    let piece = |r: &Rec| {
        let from = if r.fresh { &fresh[..] } else { &old_buf[..] };
        &from[r.start as usize..r.end as usize]
    };
    let total: usize = recs.iter().map(|r| (r.end - r.start) as usize).sum();
    if HEADER + total <= u32::MAX as usize {
        let mut sum = Checksum::new(seed(start_ms, recs.len(), vouch));
        for r in &recs {
            sum.update(piece(r));
        }
        let head = header_with(start_ms, recs.len(), vouch, sum.finish());
        write_index(store, &head, recs.iter().map(piece));
    }
    Ok((
        Summaries {
            buf: old_buf,
            fresh,
            recs,
        },
        problems,
    ))
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
        i.labels = vec!["a".into(), "é b".into()];
        i.milestone = Some("Phase 1".into());
        i.reporter = Some("human:r".into());
        i.due = Some("2026-02-01".into());
        i.estimate = Some(2.5);
        i.version = 7;
        i.deferred_until = Some(Timestamp::from_millis(now.millis() + 86_400_000));
        i.updated_at = Timestamp::from_millis(now.millis() + 5);
        i.comments = vec![crate::model::Comment {
            id: "c".into(),
            author: "human:r".into(),
            at: now,
            body: "b".into(),
        }];
        i
    }

    fn build(issues: &[Issue]) -> Vec<u8> {
        let mut body = Vec::new();
        for i in issues {
            encode(&mut body, stamp(), i);
        }
        let dir = Some(FileStamp {
            len: 0,
            mtime_s: 9,
            mtime_ns: 8,
            ino: 7,
        });
        let mut buf = header(42, issues.len(), dir, &body);
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
        let Parsed {
            written_ms: written,
            dir,
            recs,
        } = parse(&buf).unwrap();
        assert_eq!((written, recs.len(), dir.map(|d| d.ino)), (42, 2, Some(7)));
        assert_eq!(rec_stamp(&buf, &recs[0]), stamp());
        let all = Summaries {
            buf,
            fresh: Vec::new(),
            recs,
        };
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
        let recorded: Vec<_> = s.gates_recorded().collect();
        assert_eq!(
            recorded,
            [("review", None), ("tests", Some(GateState::Passed))]
        );
        assert_eq!(
            (s.title(), s.kind(), s.assignee()),
            ("title", "task", Some("agent:a"))
        );
        assert_eq!(s.labels().collect::<Vec<_>>(), ["a", "é b"]);
        assert_eq!(
            (s.milestone(), s.reporter(), s.due()),
            (Some("Phase 1"), Some("human:r"), Some("2026-02-01"))
        );
        assert_eq!((s.estimate(), s.version()), (Some(2.5), 7));
        assert_eq!(s.updated_ms(), i.updated_at.millis());
        assert!(s.has_lease() && s.has_comments() && !s.has_prs() && !s.has_checklist());
        let b = all.get("01JABCDEFGHJKMNPQRSTVWXYZ9").unwrap();
        assert!(!b.assigned() && b.parent().is_none() && b.lease_expires_ms().is_none());
        assert!(b.assignee().is_none() && b.labels().next().is_none() && !b.has_lease());
        assert!(b.deferred_until_ms().is_none());
        assert_eq!(
            (b.milestone(), b.reporter(), b.due(), b.estimate()),
            (None, None, None, None)
        );
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
        let mut buf = header(future, 1, None, &body);
        buf.extend_from_slice(&body);
        assert!(parse(&buf).is_some());
        std::fs::create_dir_all(store.dir().join("cache")).unwrap();
        std::fs::write(super::path(&store), &buf).unwrap();
        let (all, problems) = load(&store).unwrap();
        assert!(problems.is_empty());
        assert_eq!(all.get(issue.id.as_str()).unwrap().state(), issue.state);
    }

    #[test]
    fn the_checksum_of_pieces_is_the_checksum_of_the_whole() {
        let bytes: Vec<u8> = (0..1000u32).map(|k| (k * 7919 % 251) as u8).collect();
        let whole = checksum(5, &bytes);
        for cut in [[0, 0], [1, 2], [3, 17], [8, 16], [7, 999], [500, 1000]] {
            let mut c = Checksum::new(5);
            c.update(&bytes[..cut[0]]);
            c.update(&bytes[cut[0]..cut[1]]);
            c.update(&bytes[cut[1]..]);
            assert_eq!(c.finish(), whole, "{cut:?}");
        }
        assert_ne!(checksum(6, &bytes), whole);
    }

    #[test]
    fn ids_are_crockford_upper_case() {
        assert!(is_id(b"01JABCDEFGHJKMNPQRSTVWXYZ0"));
        for bad in [
            &b"01JABCDEFGHJKMNPQRSTVWXYZ"[..],
            b"01JABCDEFGHJKMNPQRSTVWXYZI",
            b"01jabcdefghjkmnpqrstvwxyz0",
        ] {
            assert!(!is_id(bad));
        }
        for c in 0..=255u8 {
            let mut id = *b"01JABCDEFGHJKMNPQRSTVWXYZ0";
            id[5] = c;
            assert_eq!(
                is_id(&id),
                crate::model::id::is_crockford(char::from(c)) && !c.is_ascii_lowercase(),
                "{c}"
            );
        }
    }

    /// Keys order as the id bytes do, so a search by key finds what a search by text would.
    #[test]
    fn keys_order_as_ids_do() {
        let mut state = 11u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 33
        };
        let digits = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        let ids: Vec<[u8; ID]> = (0..2000)
            .map(|k| {
                let mut id = [0u8; ID];
                for (j, c) in id.iter_mut().enumerate() {
                    // Long shared prefixes now and then, so every part of the key decides.
                    let shared = k % 3 == 0 && j < 20;
                    *c = if shared {
                        b'0'
                    } else {
                        digits[(next() % 32) as usize]
                    };
                }
                id
            })
            .collect();
        for a in &ids {
            for b in ids.iter().step_by(7) {
                assert_eq!(Key::of(a).cmp(&Key::of(b)), a.cmp(b));
            }
        }
        assert!(Key::of(b"01JABC").is_none());
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
