//! The `.jit/` store: layout, discovery, reading issues, and transactions for writing them.
//!
//! Invariants:
//! - Every mutation goes through [`Store::mutate`]: exclusive lock, re-read, check, atomic
//!   writes, then one appended event per logical change. Readers never lock.
//! - Only files named `<ULID>.json` in `issues/` are issues; anything else there is reported,
//!   never silently skipped.
//! - Showing or updating one issue reads only that issue's file (plus the file names when a
//!   prefix must be resolved).

mod atomic;
pub mod events;
pub mod index;
pub mod journal;
pub mod ledger;
pub mod short_cache;
pub mod tx;

pub use atomic::{StoreLock, open_no_follow, sync_dir, write_atomic};
pub use tx::{Tx, check_version, diff_values};

use crate::error::{Error, Result};
use crate::model::id::{self, IdPrefix, IssueId};
use crate::model::{Config, GateDef, Issue};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

pub use crate::model::SCHEMA_VERSION;
/// The largest issue file jit reads: far above what its own limits can produce.
pub const MAX_ISSUE_FILE: u64 = 16 * 1024 * 1024;
/// The store directory name.
pub const DIR: &str = ".jit";

/// An open store.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    dir: PathBuf,
    ledger: Arc<LedgerCell>,
    /// Where mutations publish their claim changes first (a git remote), if anywhere.
    publisher: Option<Arc<dyn ledger::Publisher>>,
}

/// How often a mutation that lost a race on the remote is run again on what the remote holds.
const REMOTE_RACE_RETRIES: usize = 8;

/// The claim ledger of the store's repository: where it lives, and the copy this process reads
/// through (refreshed under the lock by every mutation).
#[derive(Debug, Default)]
struct LedgerCell {
    dir: Option<PathBuf>,
    snapshot: RwLock<Option<Arc<ledger::Ledger>>>,
}

impl LedgerCell {
    fn new(root: &Path) -> Arc<Self> {
        Arc::new(LedgerCell {
            dir: ledger::locate(root),
            snapshot: RwLock::new(None),
        })
    }
}

/// A problem found while reading the store: a file that is not a readable issue.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct FileProblem {
    /// The error code (`corrupt_file`, `io`, ...).
    pub code: &'static str,
    /// The file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub message: String,
}

impl FileProblem {
    fn from_error(path: &Path, e: &Error) -> Self {
        let message = match e {
            Error::CorruptFile { message, .. } => message.clone(),
            other => other.to_string(),
        };
        FileProblem {
            code: e.code(),
            path: path.to_path_buf(),
            message,
        }
    }
}

/// What `init` did.
#[derive(Debug, Serialize)]
pub struct InitReport {
    pub root: PathBuf,
    pub created: bool,
    pub wrote: Vec<String>,
}

const GITIGNORE: &str = "# local-only files: never commit\nlock\ncache/\noutbox/\n*.tmp\n";

/// The paths under the checkout root jit reads and writes at the top of the store: none of them
/// may be a symbolic link (a cloned repository can commit one pointing anywhere).
pub const GUARDED: &[&str] = &[
    DIR,
    ".jit/issues",
    ".jit/events.jsonl",
    ".jit/config.json",
    ".jit/gates.json",
    ".jit/lock",
    ".jit/cache",
    ".jit/outbox",
];

/// Which of [`GUARDED`] under `root` are symbolic links.
pub fn links_under(root: &Path) -> Vec<PathBuf> {
    GUARDED
        .iter()
        .map(|p| root.join(p))
        .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()))
        .collect()
}

/// The error for a symbolic link where jit needs a real file or directory.
pub fn link_refused(path: &Path) -> Error {
    Error::CorruptFile {
        path: path.to_path_buf(),
        message: "is a symbolic link; jit never follows a link in `.jit/` (a cloned repository \
                  could point it anywhere, such as `~/.bashrc`); replace it with the real file \
                  or directory (`jit validate` lists every one)"
            .into(),
    }
}

/// Finds the top of the git checkout that contains `start`.
pub fn git_toplevel(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

impl Store {
    /// Creates `.jit/` at the top of the git checkout containing `start`. Idempotent: files that
    /// exist are left alone, and the report says whether anything was created.
    pub fn init(start: &Path, project: Option<String>) -> Result<InitReport> {
        let start = absolute(start)?;
        let root = git_toplevel(&start).ok_or(Error::NotAGitRepo {
            path: start.clone(),
        })?;
        let dir = root.join(DIR);
        if let Some(link) = links_under(&root).first() {
            return Err(link_refused(link));
        }
        let existed = dir.join("config.json").is_file();
        let mut wrote = Vec::new();
        let mk = |p: &Path| {
            std::fs::create_dir_all(p)
                .map_err(|e| Error::io(format!("creating `{}`", p.display()), e))
        };
        mk(&dir.join("issues"))?;
        let project = project.unwrap_or_else(|| {
            root.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("project")
                .to_string()
        });
        let files: [(&str, Vec<u8>); 4] = [
            ("config.json", to_pretty(&Config::new(project))?),
            ("gates.json", b"{}\n".to_vec()),
            ("events.jsonl", Vec::new()),
            (".gitignore", GITIGNORE.as_bytes().to_vec()),
        ];
        for (name, bytes) in files {
            let p = dir.join(name);
            if !p.exists() {
                write_atomic(&p, &bytes)?;
                wrote.push(format!("{DIR}/{name}"));
            }
        }
        let store = Store {
            publisher: None,
            ledger: LedgerCell::new(&root),
            root: root.clone(),
            dir,
        };
        if existed {
            store.config()?;
        }
        Ok(InitReport {
            root,
            created: !existed,
            wrote,
        })
    }

    /// Finds the store by walking up from `start`. Refuses a store where `.jit`, `.jit/issues`,
    /// `events.jsonl`, `config.json`, `gates.json`, the lock, `cache/` or `outbox/` is a
    /// symbolic link (naming it): nothing is read or written through one.
    pub fn discover(start: &Path) -> Result<Self> {
        let store = Self::discover_unchecked(start)?;
        if let Some(link) = store.links().first() {
            return Err(link_refused(link));
        }
        Ok(store)
    }

    /// The store's paths that are symbolic links where jit needs real files (see [`GUARDED`]).
    pub fn links(&self) -> Vec<PathBuf> {
        links_under(&self.root)
    }

    /// [`Store::discover`] without refusing symbolic links: for `validate`, which reports them.
    pub fn discover_unchecked(start: &Path) -> Result<Self> {
        let start = absolute(start)?;
        for d in start.ancestors() {
            let dir = d.join(DIR);
            if dir.join("config.json").is_file() {
                // Git does not track empty directories: a clone of a store without issues has
                // no `issues/` yet.
                let issues = dir.join("issues");
                if !issues.is_dir() {
                    std::fs::create_dir_all(&issues)
                        .map_err(|e| Error::io(format!("creating `{}`", issues.display()), e))?;
                }
                let store = Store {
                    publisher: None,
                    ledger: LedgerCell::new(d),
                    root: d.to_path_buf(),
                    dir,
                };
                // A transaction a process left half done is finished (or undone) before
                // anything is read. Best effort here: a store that cannot be written (read-only
                // media) is still read, and `validate` reports the interrupted transaction.
                let _ = store.recover_interrupted();
                return Ok(store);
            }
        }
        Err(Error::NotAJitRepo { start })
    }

    /// The directory holding `.jit/` (the checkout root).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The `.jit/` directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `.jit/issues/`.
    pub fn issues_dir(&self) -> PathBuf {
        self.dir.join("issues")
    }

    /// The path of one issue's file. Safe: an [`IssueId`] is always 26 base32 characters.
    pub fn issue_path(&self, id: &IssueId) -> PathBuf {
        self.issues_dir().join(format!("{}.json", id.as_str()))
    }

    /// `.jit/events.jsonl`.
    pub fn events_path(&self) -> PathBuf {
        self.dir.join("events.jsonl")
    }

    /// Reads and checks `config.json`.
    pub fn config(&self) -> Result<Config> {
        let path = self.dir.join("config.json");
        let cfg: Config = read_json(&path)?;
        if cfg.schema_version > SCHEMA_VERSION {
            return Err(Error::SchemaTooNew {
                found: cfg.schema_version,
                supported: SCHEMA_VERSION,
            });
        }
        if cfg.schema_version < SCHEMA_VERSION {
            return Err(Error::SchemaTooOld {
                found: cfg.schema_version,
                supported: SCHEMA_VERSION,
            });
        }
        Ok(cfg)
    }

    /// Reads the gate registry.
    pub fn gates(&self) -> Result<BTreeMap<String, GateDef>> {
        let path = self.dir.join("gates.json");
        if !path.exists() {
            return Ok(BTreeMap::new());
        }
        let gates: BTreeMap<String, GateDef> = read_json(&path)?;
        for (k, g) in &gates {
            if &g.key != k {
                return Err(Error::CorruptFile {
                    path,
                    message: format!("gate under key `{k}` says its key is `{}`", g.key),
                });
            }
        }
        Ok(gates)
    }

    /// This store, with every mutation publishing its claim changes through `publisher` (a
    /// git remote) before it commits; `None` for local claims only.
    pub fn publishing(mut self, publisher: Option<Arc<dyn ledger::Publisher>>) -> Self {
        self.publisher = publisher;
        self
    }

    /// Where claim changes are published, if anywhere.
    pub fn publisher(&self) -> Option<&Arc<dyn ledger::Publisher>> {
        self.publisher.as_ref()
    }

    /// Where the repository's claim ledger lives (`None` outside git).
    pub fn ledger_dir(&self) -> Option<&Path> {
        self.ledger.dir.as_deref()
    }

    /// The claim ledger as this process last read it (read now if it has not been). An
    /// unreadable ledger is reported as a problem and read as empty: the issue files then
    /// decide, and `jit validate --fix` rebuilds it.
    pub fn ledger(&self) -> (Arc<ledger::Ledger>, Option<FileProblem>) {
        if let Some(l) = self.ledger.snapshot.read().ok().and_then(|g| g.clone()) {
            return (l, None);
        }
        let Some(dir) = self.ledger_dir() else {
            return (Arc::new(ledger::Ledger::default()), None);
        };
        match ledger::read(dir) {
            Ok(l) => {
                let l = Arc::new(l);
                self.set_ledger(l.clone());
                (l, None)
            }
            Err(e) => (
                Arc::new(ledger::Ledger::default()),
                Some(FileProblem::from_error(&dir.join(ledger::FILE), &e)),
            ),
        }
    }

    /// Replaces the copy of the ledger this process reads through.
    pub(crate) fn set_ledger(&self, l: Arc<ledger::Ledger>) {
        if let Ok(mut g) = self.ledger.snapshot.write() {
            *g = Some(l);
        }
    }

    /// Loads one issue by full id, with the claim ledger applied (see [`ledger`]).
    pub fn load(&self, id: &IssueId) -> Result<Issue> {
        let mut issue = self.load_raw(id)?;
        self.ledger().0.overlay(&mut issue);
        Ok(issue)
    }

    /// Loads one issue by full id exactly as its file holds it.
    pub fn load_raw(&self, id: &IssueId) -> Result<Issue> {
        let path = self.issue_path(id);
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotFound { id: id.to_string() });
            }
            Err(e) => return Err(Error::io(format!("reading `{}`", path.display()), e)),
        };
        let refuse = |message: String| {
            Err(Error::CorruptFile {
                path: path.clone(),
                message,
            })
        };
        if meta.file_type().is_symlink() {
            return refuse(
                "is a symbolic link; issue files must be regular files (not followed)".into(),
            );
        }
        if meta.is_dir() {
            return refuse("is a directory, not an issue file".into());
        }
        if !meta.is_file() {
            return refuse("is not a regular file (a FIFO, a socket or a device); not read".into());
        }
        if meta.len() > MAX_ISSUE_FILE {
            return refuse(format!(
                "is {} bytes, more than the {MAX_ISSUE_FILE} an issue file may hold",
                meta.len()
            ));
        }
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotFound { id: id.to_string() });
            }
            Err(e) => return Err(Error::io(format!("reading `{}`", path.display()), e)),
        };
        parse_issue(&path, id.as_str(), &bytes)
    }

    /// Loads an issue that [`Store::list_ids`] found as a regular file, reading into `buf`
    /// (reused across calls): no `stat` before the read, so a bulk load costs what `cat` does.
    pub(crate) fn load_listed(
        &self,
        id: &IssueId,
        buf: &mut Vec<u8>,
        ledger: Option<&ledger::Ledger>,
    ) -> Result<Issue> {
        use std::io::Read;
        let path = self.issue_path(id);
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotFound { id: id.to_string() });
            }
            Err(e) => return Err(Error::io(format!("reading `{}`", path.display()), e)),
        };
        buf.clear();
        file.take(MAX_ISSUE_FILE + 1)
            .read_to_end(buf)
            .map_err(|e| Error::io(format!("reading `{}`", path.display()), e))?;
        if buf.len() as u64 > MAX_ISSUE_FILE {
            return Err(Error::CorruptFile {
                path,
                message: format!("is more than the {MAX_ISSUE_FILE} bytes an issue file may hold"),
            });
        }
        let mut issue = parse_issue(&path, id.as_str(), buf)?;
        if let Some(l) = ledger {
            l.overlay(&mut issue);
        }
        Ok(issue)
    }

    /// Every issue id in the issues directory, sorted, with the files there that are not issues.
    /// Reads nothing but the directory; see [`Store::list_names`].
    pub fn list_ids(&self) -> Result<(Vec<IssueId>, Vec<FileProblem>)> {
        let (names, problems) = self.list_names()?;
        Ok((names.iter().map(IssueId::from_listed).collect(), problems))
    }

    /// The id of every issue file in the issues directory as its 26 bytes, sorted, with the
    /// entries there that are not issues (badly named files, links, directories). One pass
    /// over the directory with no allocation per entry: on Linux the entries are read straight
    /// from `getdents64` into one buffer, their type taken from the entry (an `lstat` only where
    /// the file system does not report it).
    pub fn list_names(&self) -> Result<(Vec<[u8; id::ULID_LEN]>, Vec<FileProblem>)> {
        let dir = self.issues_dir();
        let listing = |e: std::io::Error| Error::io(format!("listing `{}`", dir.display()), e);
        let mut names = Vec::new();
        let mut problems = Vec::new();
        let mut classify = |name: &[u8], kind: Option<std::io::Result<EntryKind>>| {
            let Ok(text) = std::str::from_utf8(name) else {
                problems.push(FileProblem {
                    code: "stray_file",
                    path: dir
                        .join(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(name)),
                    message: "file name is not UTF-8; not an issue file".into(),
                });
                return;
            };
            if text == "." || text == ".." || (text.starts_with('.') && text.ends_with(".tmp")) {
                return; // `.tmp`: an interrupted atomic write; `validate --fix` removes it
            }
            let Some(stem) = id::issue_file_name(name) else {
                problems.push(FileProblem {
                    code: "stray_file",
                    path: dir.join(text),
                    message: "not named `<ULID>.json`; not read as an issue".into(),
                });
                return;
            };
            // Symlinks and directories are never read as issues.
            let kind = match kind {
                Some(k) => k,
                None => std::fs::symlink_metadata(dir.join(text)).map(|m| {
                    let t = m.file_type();
                    EntryKind::of(t.is_file(), t.is_dir(), t.is_symlink())
                }),
            };
            match kind {
                Ok(EntryKind::File) => names.push(stem),
                Ok(k) => problems.push(FileProblem {
                    code: if k == EntryKind::Dir {
                        "stray_file"
                    } else {
                        "corrupt_file"
                    },
                    path: dir.join(text),
                    message: if k == EntryKind::Link {
                        "is a symbolic link; issue files must be regular files (not followed)"
                            .into()
                    } else {
                        "is not a regular file".into()
                    },
                }),
                Err(e) => problems.push(FileProblem {
                    code: "io",
                    path: dir.join(text),
                    message: e.to_string(),
                }),
            }
        };
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{FileType, Mode, OFlags, RawDir};
            let fd = rustix::fs::open(
                &dir,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| listing(e.into()))?;
            let mut buf = Vec::with_capacity(256 * 1024);
            let mut entries = RawDir::new(&fd, buf.spare_capacity_mut());
            while let Some(entry) = entries.next() {
                let entry = entry.map_err(|e| listing(e.into()))?;
                let kind = match entry.file_type() {
                    FileType::Unknown => None,
                    t => Some(Ok(EntryKind::of(
                        t == FileType::RegularFile,
                        t == FileType::Directory,
                        t == FileType::Symlink,
                    ))),
                };
                classify(entry.file_name().to_bytes(), kind);
            }
        }
        #[cfg(not(target_os = "linux"))]
        for entry in std::fs::read_dir(&dir).map_err(listing)? {
            let entry = entry.map_err(listing)?;
            let kind = entry
                .file_type()
                .map(|t| EntryKind::of(t.is_file(), t.is_dir(), t.is_symlink()));
            classify(
                std::os::unix::ffi::OsStrExt::as_bytes(entry.file_name().as_os_str()),
                Some(kind),
            );
        }
        names.sort_unstable();
        Ok((names, problems))
    }

    /// Resolves what a user typed (full id, short id, or a unique prefix of either) to an id.
    /// A full id costs one `stat`; a prefix costs one directory listing. No issue is parsed.
    pub fn resolve(&self, input: &str) -> Result<IssueId> {
        let prefix = IdPrefix::parse(input)?;
        if prefix.is_full() {
            let id = IssueId::parse(&prefix.upper)?;
            // Whatever is there (a FIFO, a directory, a link) is this id's file: reading it
            // reports what is wrong with it, one code for all (`corrupt_file`).
            return if std::fs::symlink_metadata(self.issue_path(&id)).is_ok() {
                Ok(id)
            } else {
                Err(Error::NotFound {
                    id: input.to_string(),
                })
            };
        }
        let short_form = prefix.upper.len() == crate::model::id::SHORT_LEN;
        let short = prefix.upper.to_ascii_lowercase();
        if short_form && let Some(id) = short_cache::lookup(&self.dir, &self.issues_dir(), &short) {
            return Ok(id);
        }
        let (ids, problems) = self.list_ids()?;
        if short_form {
            // The listing is paid for: keep every short id it found for the next lookups.
            short_cache::remember_all(&self.dir, &ids);
        }
        // Entries named like issues that are not regular files resolve too, so that reading
        // them reports them (`corrupt_file`), as for a full id.
        let odd: Vec<IssueId> = problems
            .iter()
            .filter_map(|p| p.path.file_name()?.to_str().and_then(id::issue_file_stem))
            .filter_map(|s| IssueId::parse(s).ok())
            .collect();
        let mut hits: Vec<&IssueId> = ids
            .iter()
            .chain(&odd)
            .filter(|id| prefix.matches(id.as_str()))
            .collect();
        hits.sort();
        hits.dedup();
        match hits.len() {
            0 => Err(Error::NotFound {
                id: input.to_string(),
            }),
            1 => Ok(hits[0].clone()),
            _ => Err(Error::AmbiguousId {
                prefix: input.to_string(),
                candidates: hits.iter().take(20).map(|i| i.short()).collect(),
            }),
        }
    }

    /// Loads every issue without taking the lock, in parallel. Unreadable files become problems;
    /// the rest of the store stays usable.
    pub fn load_all(&self) -> Result<(Vec<Issue>, Vec<FileProblem>)> {
        self.load_all_reporting(&crate::progress::Silent)
    }

    /// [`Store::load_all`], reporting each file read to `progress`.
    pub fn load_all_reporting(
        &self,
        progress: &dyn crate::progress::Progress,
    ) -> Result<(Vec<Issue>, Vec<FileProblem>)> {
        let (ids, mut problems) = self.list_ids()?;
        progress.start("reading issues", ids.len() as u64);
        let (issues, more) = self.load_many(&ids, progress);
        problems.extend(self.ledger().1);
        progress.finish();
        problems.extend(more);
        Ok((issues, problems))
    }

    /// Reads listed regular issue files in parallel, in the order given; files deleted since the
    /// listing are skipped, unreadable ones become problems.
    pub fn load_many(
        &self,
        ids: &[IssueId],
        progress: &dyn crate::progress::Progress,
    ) -> (Vec<Issue>, Vec<FileProblem>) {
        let (ledger, _) = self.ledger();
        let ledger = (!ledger.entries.is_empty()).then_some(&*ledger);
        let results = in_parallel(ids, 1, |part| {
            let mut buf = Vec::with_capacity(16 * 1024);
            part.iter()
                .filter_map(|id| match self.load_listed(id, &mut buf, ledger) {
                    Ok(i) => {
                        progress.advance(1);
                        Some(Ok(i))
                    }
                    // Deleted between listing and reading: not a problem.
                    Err(Error::NotFound { .. }) => None,
                    Err(e) => Some(Err(FileProblem::from_error(&self.issue_path(id), &e))),
                })
                .collect::<Vec<std::result::Result<Issue, FileProblem>>>()
        });
        let mut issues = Vec::with_capacity(ids.len());
        let mut problems = Vec::new();
        for r in results {
            match r {
                Ok(i) => issues.push(i),
                Err(p) => problems.push(p),
            }
        }
        (issues, problems)
    }

    /// Runs `f` as one transaction under the exclusive store lock. Nothing is written unless
    /// `f` succeeds; then every changed file is replaced atomically and the events are appended.
    ///
    /// In git, the repository's claim ledger is locked first (it is shared by every worktree),
    /// then the store; the ledger is read fresh and the transaction keeps it up to date. With a
    /// publisher, claim changes are published before anything is written here; when another
    /// clone changed one of those claims first, the transaction is run again (`f` again) on
    /// what the remote now holds.
    pub fn mutate<T>(
        &self,
        actor: &crate::model::Actor,
        mut f: impl FnMut(&mut Tx<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut attempt = 0;
        loop {
            match self.mutate_once(actor, &mut f) {
                Err(e) if e.error_code() == tx::REMOTE_RACE && attempt < REMOTE_RACE_RETRIES => {
                    attempt += 1;
                }
                // Still refused after every retry on fresh knowledge: not a race any more but a
                // remote that will not take the update now (a ref it keeps locked, a flood of
                // other clones). Nothing was changed here; the caller may try again later.
                Err(e) if e.error_code() == tx::REMOTE_RACE => {
                    return Err(Error::RemoteUnavailable {
                        remote: self
                            .publisher
                            .as_ref()
                            .map_or_else(String::new, |p| p.remote().to_string()),
                        reason: format!(
                            "the remote refused the claim update {} times in a row ({e})",
                            REMOTE_RACE_RETRIES + 1
                        ),
                    });
                }
                other => return other,
            }
        }
    }

    /// Runs `f` in a transaction exactly as [`Store::mutate`] would (the same locks, fresh
    /// reads and checks), then drops the transaction: nothing is written, no event appended,
    /// no claim published, no hook queued. What `--dry-run` shows.
    pub fn preview<T>(
        &self,
        actor: &crate::model::Actor,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T>,
    ) -> Result<T> {
        let (ledger_lock, lock) = self.lock_for_write()?;
        let ledger = match self.ledger_dir() {
            Some(d) => ledger::read(d)?,
            None => ledger::Ledger::default(),
        };
        let now = crate::clock::now()?;
        let mut tx = Tx::new(self, (ledger_lock, lock), ledger, actor.clone(), now);
        f(&mut tx)
    }

    fn mutate_once<T>(
        &self,
        actor: &crate::model::Actor,
        f: &mut impl FnMut(&mut Tx<'_>) -> Result<T>,
    ) -> Result<T> {
        let (ledger_lock, lock) = self.lock_for_write()?;
        self.refuse_mid_git()?;
        let ledger = match self.ledger_dir() {
            Some(d) => ledger::read(d)?,
            None => ledger::Ledger::default(),
        };
        self.set_ledger(Arc::new(ledger.clone()));
        let now = crate::clock::now()?;
        let mut tx = Tx::new(self, (ledger_lock, lock), ledger, actor.clone(), now);
        tx.publish_to = self.publisher.as_ref().map(|p| p.remote().to_string());
        let out = f(&mut tx)?;
        let events = tx.commit()?;
        // After the commit (the lock is released): hooks see only what is written, and nothing
        // they do can fail or undo the mutation.
        after_commit(self, &events);
        Ok(out)
    }
}

/// What runs after every committed transaction, and after one a dead process left and this one
/// completed: the events it appended, with the lock released. Installed once per process by the
/// front-end ([`on_commit`]; the `jit` binary installs the hooks' queue,
/// `hooks::committed`), so this module knows nothing of hooks and the import graph of the
/// crate stays one-way.
static AFTER_COMMIT: std::sync::OnceLock<fn(&Store, &[crate::model::Event])> =
    std::sync::OnceLock::new();

/// Installs what runs after every committed transaction (see [`AFTER_COMMIT`]). The first
/// installation holds for the life of the process.
pub fn on_commit(f: fn(&Store, &[crate::model::Event])) {
    let _ = AFTER_COMMIT.set(f);
}

fn after_commit(store: &Store, events: &[crate::model::Event]) {
    if let Some(f) = AFTER_COMMIT.get() {
        f(store, events);
    }
}

/// A new store in a new git checkout in a temporary directory, for unit tests.
#[cfg(test)]
pub(crate) fn temp_store() -> (tempfile::TempDir, Store) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let git = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(tmp.path())
        .status()
        .expect("git");
    assert!(git.success(), "git init");
    Store::init(tmp.path(), None).expect("jit init");
    let store = Store::discover(tmp.path()).expect("the store");
    (tmp, store)
}

/// `bytes` without a leading UTF-8 byte-order mark (some editors save one; RFC 8259 lets a
/// parser ignore it). The next write of the file leaves it out.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

impl Store {
    /// Takes the locks every write holds (in git the repository's ledger lock, then the store
    /// lock), then finishes or undoes a transaction a process that died left behind (see
    /// [`journal`]). Holding them, no other jit process writes this store.
    pub fn lock_for_write(&self) -> Result<(Option<StoreLock>, StoreLock)> {
        let ledger_lock = self.ledger_dir().map(ledger::lock).transpose()?;
        let lock = StoreLock::acquire(&self.dir.join("lock"))?;
        self.recover_with(&lock)?;
        Ok((ledger_lock, lock))
    }

    fn recover_with(&self, lock: &StoreLock) -> Result<Option<journal::Recovered>> {
        let found = journal::recover(&self.dir, self.ledger_dir(), lock.file())?;
        if found.is_some() {
            // The ledger may have been put back: read it again.
            if let Some(d) = self.ledger_dir()
                && let Ok(l) = ledger::read(d)
            {
                self.set_ledger(Arc::new(l));
            }
        }
        if let Some(journal::Recovered::Completed(events)) = &found {
            // The hooks of a transaction completed here were never queued by its process.
            after_commit(self, events);
        }
        Ok(found)
    }

    /// Whether a transaction is committing now or was interrupted (one `stat`).
    pub fn transaction_pending(&self) -> bool {
        journal::pending(&self.dir.join("lock"))
    }

    /// Finishes or undoes an interrupted transaction if no process is writing the store right
    /// now (readers call it so they never see half of one). Returns what was done; `None` when
    /// nothing was pending or a writer holds the lock (its transaction is not interrupted).
    pub fn recover_interrupted(&self) -> Result<Option<journal::Recovered>> {
        if !self.transaction_pending() {
            return Ok(None);
        }
        let ledger_lock = match self.ledger_dir() {
            Some(d) => match ledger::try_lock(d)? {
                Some(l) => Some(l),
                None => return Ok(None),
            },
            None => None,
        };
        let Some(lock) = StoreLock::try_acquire(&self.dir.join("lock"))? else {
            return Ok(None);
        };
        let found = self.recover_with(&lock);
        drop(lock);
        drop(ledger_lock);
        found
    }

    /// Refuses to write into a checkout git is in the middle of rebasing or merging: its files
    /// are half one branch, half the other. A `jit sync` that was interrupted there is
    /// recovered by running `jit sync` again.
    pub fn refuse_mid_git(&self) -> Result<()> {
        let Some(op) = ledger::git_operation(&self.root) else {
            return Ok(());
        };
        let by_sync = ledger::git_dir(&self.root).is_some_and(|d| d.join(SYNC_MARKER).exists());
        Err(Error::Conflict {
            code: crate::error::ErrorCode::GitInProgress,
            message: if by_sync {
                format!(
                    "this checkout is in the middle of a git {op} left by an interrupted `jit sync`; nothing was changed. Run `jit sync` to recover it"
                )
            } else {
                format!(
                    "this checkout is in the middle of a git {op}; nothing was changed. Finish it (`git {op} --continue`) or abort it (`git {op} --abort`), then try again"
                )
            },
            details: serde_json::json!({ "operation": op, "interrupted_sync": by_sync }),
        })
    }
}

/// The file `jit sync` keeps in the checkout's git directory while it runs (see
/// `gitops::sync`): left behind, it says the sync was interrupted.
pub const SYNC_MARKER: &str = "jit-sync.json";

/// Parses issue bytes, checking the id inside matches the file name.
pub fn parse_issue(path: &Path, expected_id: &str, bytes: &[u8]) -> Result<Issue> {
    let issue: Issue =
        serde_json::from_slice(strip_bom(bytes)).map_err(|e| Error::CorruptFile {
            path: path.to_path_buf(),
            message: format!("not a valid issue: {e}"),
        })?;
    if issue.id.as_str() != expected_id {
        return Err(Error::CorruptFile {
            path: path.to_path_buf(),
            message: format!("holds id `{}` but is named for `{expected_id}`", issue.id),
        });
    }
    Ok(issue)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    use std::io::Read;
    let mut bytes = Vec::new();
    open_no_follow(path, std::fs::OpenOptions::new().read(true))?
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(format!("reading `{}`", path.display()), e))?;
    serde_json::from_slice(strip_bom(&bytes)).map_err(|e| Error::CorruptFile {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Runs `work` over `items` split into one chunk per core (at most 8; one chunk below
/// `min_per_thread * 2` items), and returns the results in the items' order. Where no thread can
/// be started (a process limit) a chunk runs on the calling thread; a chunk that panics passes
/// its panic on to the caller (the command's handler reports it), so no item is silently lost.
pub(crate) fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    min_per_thread: usize,
    work: impl Fn(&[T]) -> Vec<R> + Sync,
) -> Vec<R> {
    // Asking costs a few file reads (cgroup quotas): once per process is enough.
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let cores = *CORES.get_or_init(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let threads = cores
        .clamp(1, 8)
        .min(items.len() / min_per_thread.max(1))
        .max(1);
    let chunk = items.len().div_ceil(threads).max(1);
    let work = &work;
    std::thread::scope(|s| {
        let parts: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                std::thread::Builder::new()
                    .spawn_scoped(s, move || work(part))
                    .map_err(|_| work(part))
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|p| match p {
                Ok(h) => h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)),
                Err(done) => done,
            })
            .collect()
    })
}

/// What a directory entry is, as far as listing issues cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryKind {
    File,
    Dir,
    Link,
    Other,
}

impl EntryKind {
    fn of(file: bool, dir: bool, link: bool) -> Self {
        match (file, dir, link) {
            (true, _, _) => EntryKind::File,
            (_, true, _) => EntryKind::Dir,
            (_, _, true) => EntryKind::Link,
            _ => EntryKind::Other,
        }
    }
}

/// Canonical pretty JSON with a trailing newline.
pub fn to_pretty<T: Serialize>(v: &T) -> Result<Vec<u8>> {
    let mut out =
        serde_json::to_vec_pretty(v).map_err(|e| Error::Internal(format!("serializing: {e}")))?;
    out.push(b'\n');
    Ok(out)
}

fn absolute(p: &Path) -> Result<PathBuf> {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| Error::io("reading the working directory", e))?
            .join(p)
    };
    if !abs.is_dir() {
        return Err(Error::invalid(
            "directory",
            format!("`{}` is not a directory", abs.display()),
        ));
    }
    std::fs::canonicalize(&abs).map_err(|e| Error::io(format!("resolving `{}`", abs.display()), e))
}
