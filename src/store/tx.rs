//! A transaction: the one way to change the store.
//!
//! Invariants: a [`Tx`] exists only while the store lock (and, in git, the repository's claim
//! ledger lock) is held. Issues are read from disk at first access inside the lock, with the
//! ledger applied (so checks see the latest state, whichever worktree made it), changes are
//! staged in memory, and [`Tx::commit`] writes them all as one all-or-nothing step through the
//! [`journal`](super::journal): the intent, the ledger, the new files beside their targets,
//! the events (the commit point), then the renames. A failure at any point leaves the store as
//! before; a crash leaves it to the next command to finish or undo. A staged issue whose
//! content equals what was read is not rewritten and keeps its version.
//!
//! Claims are stamped here, in one place: a change of holder (or a change that would move a
//! claim back in its lifecycle) gets the next fencing epoch, the holder that lost the claim is
//! remembered, and a change by an actor whose claim was superseded is refused
//! (`claim_superseded`).
//!
//! Authority is decided here too, from the acting actor only: [`Tx::gate_authority`] (who may
//! pass a gate, and as whom it is recorded) and [`Tx::authorize_move`] (the holder rule: moves
//! of a claimed issue are its holder's; a human may force them, recorded), which every staged
//! change passes unless it is derived from another ([`Tx::edit_derived`]).

use super::ledger::{self, ClaimRecord, Ledger, Superseded};
use super::{Store, StoreLock, journal, to_pretty};
use crate::error::{Error, Result};
use crate::model::{
    Actor, Change, ClaimStamp, Config, Event, GateDef, GateState, Issue, IssueId, Payload,
    Timestamp,
};
use crate::rules;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// The error code of a transaction that lost a race on the remote: [`Store::mutate`] runs it
/// again on what the remote now holds. Never shown to a user unless the race repeats.
pub const REMOTE_RACE: crate::error::ErrorCode = crate::error::ErrorCode::RemoteRace;

/// A running transaction. See the module docs.
pub struct Tx<'a> {
    store: &'a Store,
    /// The ledger lock (in git) and the store lock, released in that order's reverse on drop.
    _locks: (Option<StoreLock>, StoreLock),
    ledger: Ledger,
    /// The ledger as it is on disk (what a transaction that is undone puts back).
    ledger_base: Ledger,
    ledger_dirty: bool,
    /// Per issue changed here: the holder that lost its claim in this transaction.
    superseded: HashMap<IssueId, Superseded>,
    /// Whether a human actor forces moves of issues others hold (see [`Tx::force_moves`]).
    force: bool,
    /// Per issue moved here although someone else held it (forced): that holder, recorded in
    /// the issue's events as `forced_from`.
    forced: HashMap<IssueId, String>,
    /// Issues whose file is rewritten even though what was read (with the ledger applied) is
    /// unchanged: the file itself lags behind the ledger.
    rewrite: std::collections::HashSet<IssueId>,
    /// The git remote this transaction publishes claim changes on, if any.
    pub publish_to: Option<String>,
    /// Who is acting.
    pub actor: Actor,
    /// The transaction's time: every timestamp it writes.
    pub now: Timestamp,
    originals: HashMap<IssueId, Option<Issue>>,
    staged: BTreeMap<IssueId, Option<Issue>>,
    gates: Option<BTreeMap<String, GateDef>>,
    gates_dirty: bool,
    files: BTreeMap<&'static str, Vec<u8>>,
    events: Vec<Event>,
    last_event: Option<ulid::Ulid>,
}

impl<'a> Tx<'a> {
    pub(super) fn new(
        store: &'a Store,
        locks: (Option<StoreLock>, StoreLock),
        ledger: Ledger,
        actor: Actor,
        now: Timestamp,
    ) -> Self {
        Tx {
            store,
            _locks: locks,
            ledger_base: ledger.clone(),
            ledger,
            ledger_dirty: false,
            superseded: HashMap::new(),
            force: false,
            forced: HashMap::new(),
            rewrite: std::collections::HashSet::new(),
            publish_to: None,
            actor,
            now,
            originals: HashMap::new(),
            staged: BTreeMap::new(),
            gates: None,
            gates_dirty: false,
            files: BTreeMap::new(),
            events: Vec::new(),
            last_event: None,
        }
    }

    /// The store this transaction writes.
    pub fn store(&self) -> &Store {
        self.store
    }

    /// Resolves user input to an id (under the lock).
    pub fn resolve(&self, input: &str) -> Result<IssueId> {
        self.store.resolve(input)
    }

    /// The current state of an issue: staged if this transaction changed it, else from disk.
    pub fn get(&mut self, id: &IssueId) -> Result<Issue> {
        if let Some(s) = self.staged.get(id) {
            return s
                .clone()
                .ok_or_else(|| Error::NotFound { id: id.to_string() });
        }
        if !self.originals.contains_key(id) {
            let loaded = match self.store.load_raw(id) {
                Ok(mut i) => {
                    self.ledger.overlay(&mut i);
                    Some(i)
                }
                Err(Error::NotFound { .. }) => None,
                Err(e) => return Err(e),
            };
            self.originals.insert(id.clone(), loaded);
        }
        self.originals[id]
            .clone()
            .ok_or_else(|| Error::NotFound { id: id.to_string() })
    }

    /// Resolves user input, reads the issue and checks `--if-version`: how every mutation of
    /// one existing issue starts.
    pub fn open(&mut self, input: &str, if_version: Option<u64>) -> Result<Issue> {
        let id = self.resolve(input)?;
        let issue = self.get(&id)?;
        check_version(&issue, if_version)?;
        Ok(issue)
    }

    /// Whether an issue exists (staged or on disk).
    pub fn exists(&mut self, id: &IssueId) -> Result<bool> {
        match self.get(id) {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Stages a new issue. Fails if the id is taken.
    pub fn insert(&mut self, mut issue: Issue) -> Result<Issue> {
        if self.exists(&issue.id)? {
            return Err(Error::Internal(format!(
                "issue `{}` already exists",
                issue.id
            )));
        }
        issue.normalize();
        issue.version = 1;
        issue.updated_at = self.now;
        self.staged.insert(issue.id.clone(), Some(issue.clone()));
        Ok(issue)
    }

    /// The claim ledger as this transaction sees it.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Changes the ledger outside an issue change (what a remote was seen to hold); written at
    /// commit, or at once with [`Tx::save_ledger`].
    pub fn ledger_mut(&mut self) -> &mut Ledger {
        self.ledger_dirty = true;
        &mut self.ledger
    }

    /// Writes the ledger now, even if the transaction then fails: for knowledge that stays
    /// true whatever this transaction does (what a remote holds).
    pub fn save_ledger(&mut self) -> Result<()> {
        if let Some(dir) = self.store.ledger_dir() {
            ledger::write(dir, &self.ledger)?;
        }
        self.ledger_base = self.ledger.clone();
        self.store
            .set_ledger(std::sync::Arc::new(self.ledger.clone()));
        Ok(())
    }

    /// Changes one issue: stages `after` together with its `kind` event, whose changes are the field differences from
    /// `before` (a change that differs in nothing logs nothing). The one way a command changes
    /// an existing issue, so no change is staged without its event. Returns the issue as it
    /// will be written.
    pub fn edit(&mut self, before: &Issue, after: Issue, payload: Payload) -> Result<Issue> {
        self.edit_as(before, after, |_| payload)
    }

    /// [`Tx::edit`] whose event is decided from the issue as staged (its stamped times, its
    /// bumped version): `event` gives its type and data.
    pub fn edit_as(
        &mut self,
        before: &Issue,
        after: Issue,
        event: impl FnOnce(&Issue) -> Payload,
    ) -> Result<Issue> {
        self.stage_with_event(before, after, false, event)
    }

    /// [`Tx::edit`] for a change that follows from another one rather than being asked for: a
    /// cascade of derived states, a gated issue finishing because its last gate passed (the
    /// gate's own authority decided), a repair of `validate --fix`. Not subject to the holder
    /// rule.
    pub fn edit_derived(
        &mut self,
        before: &Issue,
        after: Issue,
        payload: Payload,
    ) -> Result<Issue> {
        self.stage_with_event(before, after, true, |_| payload)
    }

    fn stage_with_event(
        &mut self,
        before: &Issue,
        after: Issue,
        derived: bool,
        event: impl FnOnce(&Issue) -> Payload,
    ) -> Result<Issue> {
        let after = self.stage(after, derived)?;
        let payload = event(&after);
        self.record(Some(before), &after, payload)?;
        Ok(after)
    }

    /// Stages a changed issue. Bumps `version` (once per transaction) and `updated_at` when its
    /// content differs from what was read; stamps the times a move sets and its claim (see the
    /// module docs); unless `derived`, refuses a move of an issue someone else holds (the
    /// holder rule, [`Tx::authorize_move`]); returns the issue as it will be written.
    fn stage(&mut self, mut issue: Issue, derived: bool) -> Result<Issue> {
        issue.normalize();
        if issue.state.is_closed() {
            // Finishing work ends its lease; the assignee stays as the record of who did it.
            issue.lease = None;
        }
        let original = match self.originals.get(&issue.id) {
            Some(o) => o.clone(),
            None => {
                self.get(&issue.id)?;
                self.originals.get(&issue.id).cloned().flatten()
            }
        };
        // A superseded claim's holder hears that first (`claim_superseded`), then the rule.
        self.stamp_claim(&mut issue, original.as_ref())?;
        if !derived && let Some(orig) = &original {
            self.authorize_move(orig, &issue)?;
        }
        crate::times::stamp(original.as_ref().map(|o| o.state), &mut issue, self.now);
        if let Some(orig) = original {
            let mut same = issue.clone();
            same.version = orig.version;
            same.updated_at = orig.updated_at;
            if same == orig {
                self.staged.insert(issue.id.clone(), Some(orig.clone()));
                return Ok(orig);
            }
            issue.version = next_version(self.store, &orig)?;
        }
        issue.updated_at = self.now;
        self.staged.insert(issue.id.clone(), Some(issue.clone()));
        Ok(issue)
    }

    /// The holder rule: moves of a claimed issue are its holder's. A change by another actor
    /// of what `before` held (its state, other than the derived `backlog`/`ready`, its
    /// assignee or its lease; see [`rules::is_move`]) is refused with `already_claimed`, unless
    /// a human forces it ([`Tx::force_moves`]), which the issue's events record as
    /// `forced_from`. Issues nobody holds (a lease ran out, finished work) are anyone's to move.
    pub fn authorize_move(&mut self, before: &Issue, after: &Issue) -> Result<()> {
        if !rules::held(before, self.now.millis()) || !rules::is_move(before, after) {
            return Ok(());
        }
        let holder = before.assignee.clone().unwrap_or_default();
        if holder == self.actor.as_str() {
            return Ok(());
        }
        if self.force {
            self.forced.insert(before.id.clone(), holder);
            return Ok(());
        }
        Err(Error::AlreadyClaimed {
            id: before.id.to_string(),
            holder,
            expires: before
                .lease
                .as_ref()
                .and_then(|l| l.expires_at)
                .map(|e| e.to_string()),
        })
    }

    /// Lets this transaction move issues other actors hold, when the acting actor is a human
    /// (`--force`); for anyone else it changes nothing, so the holder rule still refuses.
    pub fn force_moves(&mut self) {
        self.force = self.actor.is_human();
    }

    /// Refuses a change to `id` by an actor whose claim on it was taken over by a later epoch
    /// (`claim_superseded`, naming the holder now).
    pub fn fence(&self, id: &IssueId) -> Result<()> {
        let Some(e) = self.ledger.get(id.as_str()) else {
            return Ok(());
        };
        match e.superseded(self.actor.as_str()) {
            Some(lost) => Err(Error::ClaimSuperseded {
                id: id.to_string(),
                holder: e.assignee.clone(),
                epoch: e.epoch,
                yours: lost.epoch,
            }),
            None => Ok(()),
        }
    }

    /// Gate authority: the actor a gate result is recorded as. Authority is the acting actor's,
    /// never what it says about itself: `by` may name someone else only when the acting actor is
    /// a `human:` (`by_not_allowed` otherwise), and a manual gate (`auto: false`) passes only when
    /// a human passes it, recorded as a human (`manual_gate`), so `--by human:...` can never make
    /// a `ci:` or `agent:` actor count as one.
    pub fn gate_authority(
        &self,
        id: &IssueId,
        def: &GateDef,
        status: GateState,
        by: Option<&Actor>,
    ) -> Result<Actor> {
        let actor = &self.actor;
        let by = by.unwrap_or(actor);
        if by != actor && !actor.is_human() {
            return Err(Error::Refused {
                code: crate::error::ErrorCode::ByNotAllowed,
                message: format!(
                    "`{actor}` cannot record a gate result as `{by}`: only a `human:` actor may record \
                     someone else's result with --by; drop --by"
                ),
                details: json!({ "id": id, "gate": def.key, "actor": actor, "by": by }),
            });
        }
        if status == GateState::Passed && !def.auto && !(actor.is_human() && by.is_human()) {
            let who = if actor.is_human() { by } else { actor };
            return Err(Error::Refused {
                code: crate::error::ErrorCode::ManualGate,
                message: format!(
                    "gate `{}` is manual: only a `human:` actor may pass it, not `{who}`",
                    def.key
                ),
                details: json!({ "id": id, "gate": def.key, "actor": actor, "by": by }),
            });
        }
        Ok(by.clone())
    }

    /// Whether claim changes are published on a remote before they are written here.
    pub fn publishing(&self) -> bool {
        self.publish_to.is_some()
    }

    /// Sets the claim stamp of an issue being staged, relative to what was read, and refuses a
    /// change by an actor whose claim on it was superseded.
    fn stamp_claim(&mut self, issue: &mut Issue, orig: Option<&Issue>) -> Result<()> {
        let actor = self.actor.as_str();
        let fresh_claim = issue.assignee.as_deref() == Some(actor)
            && orig.is_none_or(|o| o.assignee.as_deref() != Some(actor));
        if !fresh_claim {
            self.fence(&issue.id)?;
        }
        let entry = self.ledger.get(issue.id.as_str());
        let claim_fields = |i: &Issue| (i.state, i.assignee.clone(), i.lease.clone());
        if let Some(o) = orig
            && claim_fields(o) == claim_fields(issue)
        {
            issue.claim = o.claim.clone();
            return Ok(());
        }
        let orig_key = orig.map_or((0, 3), ledger::issue_key);
        let orig_key = entry.map_or(orig_key, |e| orig_key.max(e.key()));
        let base = orig_key.0;
        let holder = issue.assignee.as_deref();
        let orig_holder = orig.and_then(|o| o.assignee.as_deref());
        let new_holder = holder.is_some() && holder != orig_holder;
        let mut epoch = base;
        if new_holder || rules::claim_key(base, issue.state, holder.is_some()) < orig_key {
            epoch = base + 1;
        }
        if new_holder && let (Some(old), Some(o)) = (orig_holder, orig) {
            self.superseded.insert(
                issue.id.clone(),
                Superseded {
                    holder: old.to_string(),
                    epoch: o.epoch().max(base),
                },
            );
        }
        issue.claim = (epoch > 0).then(|| ClaimStamp {
            epoch,
            remote: match &self.publish_to {
                Some(r) => Some(r.clone()),
                None if epoch == base => orig.and_then(|o| o.claim.clone()).and_then(|c| c.remote),
                None => None,
            },
        });
        Ok(())
    }

    /// Writes an issue's file as this transaction reads it (the claim ledger applied), when the
    /// file lags behind the ledger. Returns whether the file will change.
    pub fn rewrite_from_ledger(&mut self, id: &IssueId) -> Result<bool> {
        let raw = self.store.load_raw(id)?;
        let mut current = self.get(id)?;
        if current == raw {
            return Ok(false);
        }
        let newest = if raw.version >= current.version {
            &raw
        } else {
            &current
        };
        current.version = next_version(self.store, newest)?;
        current.updated_at = self.now;
        self.staged.insert(id.clone(), Some(current));
        self.rewrite.insert(id.clone());
        Ok(true)
    }

    /// Stages the removal of an issue. Deleting an issue someone else holds is a move (the
    /// holder rule, [`Tx::authorize_move`]).
    pub fn delete(&mut self, id: &IssueId) -> Result<Issue> {
        let issue = self.get(id)?;
        let mut gone = issue.clone();
        gone.state = crate::model::State::Archived;
        gone.assignee = None;
        gone.lease = None;
        self.authorize_move(&issue, &gone)?;
        self.staged.insert(id.clone(), None);
        Ok(issue)
    }

    /// The gate registry as this transaction sees it.
    pub fn gates(&mut self) -> Result<&BTreeMap<String, GateDef>> {
        let gates = match self.gates.take() {
            Some(g) => g,
            None => self.store.gates()?,
        };
        Ok(self.gates.insert(gates))
    }

    /// Stages a new gate registry.
    pub fn put_gates(&mut self, gates: BTreeMap<String, GateDef>) {
        self.gates = Some(gates);
        self.gates_dirty = true;
    }

    /// Stages the new content of a store-level file in `.jit/` (such as `config.json`), written
    /// atomically at commit, after the issues and the gate registry and before the events.
    pub fn put_file(&mut self, name: &'static str, bytes: Vec<u8>) {
        self.files.insert(name, bytes);
    }

    /// Stages a new `config.json` (written after the gate registry, before the events).
    pub fn put_config(&mut self, config: Config) -> Result<()> {
        self.put_file("config.json", to_pretty(&config)?);
        Ok(())
    }

    /// Stages one event: its type and data are the payload's.
    pub fn event(&mut self, issue: Option<&IssueId>, changes: Vec<Change>, payload: Payload) {
        let id = match self.last_event.and_then(|u| u.increment().ok()) {
            Some(next) => next,
            None => crate::random::ulid(),
        };
        self.last_event = Some(id);
        let mut event = Event::new(
            id.to_string(),
            self.now,
            self.actor.as_str(),
            issue.map(IssueId::as_str),
            changes,
            &payload,
        );
        if let Some(holder) = issue.and_then(|i| self.forced.get(i))
            && let Value::Object(m) = &mut event.data
        {
            m.insert("forced_from".into(), json!(holder));
        }
        self.events.push(event);
    }

    /// The events staged so far, in order.
    pub fn staged_events(&self) -> &[Event] {
        &self.events
    }

    /// Stages an event whose changes are the field differences between two versions of an issue.
    pub fn record(
        &mut self,
        before: Option<&Issue>,
        after: &Issue,
        payload: Payload,
    ) -> Result<()> {
        let b = match before {
            Some(b) => serde_json::to_value(b).map_err(|e| Error::Internal(e.to_string()))?,
            None => Value::Object(Default::default()),
        };
        let a = serde_json::to_value(after).map_err(|e| Error::Internal(e.to_string()))?;
        let mut changes = diff_values(&b, &a);
        if before.is_some() && changes.is_empty() {
            return Ok(()); // a no-op logs nothing
        }
        if before.is_none() {
            // A creation: record the fields that carry something, not every empty default.
            changes.retain(|c| {
                !is_empty_value(&c.after) && c.field != "id" && c.field != "created_at"
            });
        }
        self.event(Some(&after.id), changes, payload);
        Ok(())
    }

    /// Writes everything staged: the claim changes on the remote first (when publishing), then
    /// the ledger, issue files, the gate registry, other store files and the events as one
    /// journaled step (see [`super::journal`]). Returns the events it appended.
    pub(super) fn commit(mut self) -> Result<Vec<Event>> {
        self.every_change_has_its_event()?;
        let changes = self.claim_changes();
        let mut published = Vec::new();
        if let Some(p) = self.store.publisher().cloned()
            && !changes.is_empty()
        {
            let records: Vec<ClaimRecord> = changes
                .iter()
                .filter_map(|id| self.staged.get(id).cloned().flatten())
                .map(|i| ClaimRecord::of(&i, self.now, self.actor.as_str()))
                .collect();
            match p.publish(self.store.root(), &mut self.ledger, &records)? {
                Some(shas) => {
                    published = records.into_iter().zip(shas).collect();
                }
                None => {
                    // Another clone moved one of these claims first: learn what the remote
                    // holds now (that stays true whatever happens here), write nothing else.
                    p.fetch(self.store.root(), &mut self.ledger, self.now.millis())?;
                    self.save_ledger()?;
                    return Err(Error::Conflict {
                        code: REMOTE_RACE,
                        message: format!(
                            "another clone changed the claim on {} first on `{}`; run the command again",
                            changes
                                .iter()
                                .map(|i| format!("`{}`", i.short()))
                                .collect::<Vec<_>>()
                                .join(", "),
                            p.remote()
                        ),
                        details: json!({ "ids": changes, "remote": p.remote() }),
                    });
                }
            }
        }
        self.record_claims(&changes);
        if self.ledger_dirty
            && self.ledger.wants_compaction()
            && let Some(dir) = self.store.ledger_dir()
        {
            self.ledger.compact(dir);
        }
        if let Some(p) = self.store.publisher() {
            for (r, sha) in &published {
                self.ledger.published(p.remote(), sha, r, self.now.millis());
                self.ledger_dirty = true;
            }
        }
        let dir = self.store.dir();
        let mut plan = journal::Plan {
            events: &self.events,
            ..Default::default()
        };
        let issues = std::path::Path::new("issues");
        let mut created: Vec<&IssueId> = Vec::new();
        for (id, staged) in &self.staged {
            let file = issues.join(format!("{}.json", id.as_str()));
            match staged {
                Some(issue) => {
                    let original = self.originals.get(id).and_then(Option::as_ref);
                    if Some(issue) != original || self.rewrite.contains(id) {
                        plan.puts.push((file, issue.to_file_bytes()?));
                        if original.is_none() {
                            created.push(id);
                        }
                    }
                }
                None => plan.deletes.push(file),
            }
        }
        if self.gates_dirty
            && let Some(g) = &self.gates
        {
            plan.puts.push(("gates.json".into(), to_pretty(g)?));
        }
        for (name, bytes) in &self.files {
            plan.puts.push((name.into(), bytes.clone()));
        }
        // The ledger is written first (after the intent): once it holds a claim, every worktree
        // sees it; if the transaction is undone, its entries are put back.
        if self.ledger_dirty
            && let Some(ldir) = self.store.ledger_dir()
        {
            plan.ledger = Some((ldir, &self.ledger_base, &self.ledger));
        }
        let faults = journal::Faults::none();
        let result = journal::commit(dir, self._locks.1.file(), &plan, &faults);
        if self.ledger_dirty {
            let now = if result.is_ok() {
                &self.ledger
            } else {
                &self.ledger_base
            };
            self.store.set_ledger(std::sync::Arc::new(now.clone()));
        }
        result?;
        // The short-id cache is a hint: a batch leaves it to the next listing to fill.
        if plan.puts.len() < super::atomic::BATCH {
            for id in created {
                super::short_cache::remember(dir, id);
            }
        }
        for (id, staged) in &self.staged {
            if staged.is_none() {
                super::short_cache::forget(dir, id);
            }
        }
        Ok(self.events)
    }
}

impl Tx<'_> {
    /// Refuses a commit that would write an issue change no event records: every issue file
    /// this transaction creates, changes or deletes is named by at least one of its events, so
    /// the log always explains the files. (A bug, never user input: nothing is written.)
    fn every_change_has_its_event(&self) -> Result<()> {
        let recorded: std::collections::HashSet<&str> = self
            .events
            .iter()
            .filter_map(|e| e.issue.as_deref())
            .collect();
        for (id, staged) in &self.staged {
            let original = self.originals.get(id).and_then(Option::as_ref);
            let changed = match staged {
                Some(issue) => Some(issue) != original,
                None => original.is_some(),
            };
            if changed && !recorded.contains(id.as_str()) {
                return Err(Error::Internal(format!(
                    "a change of issue `{id}` was staged without an event recording it; nothing was written"
                )));
            }
        }
        Ok(())
    }

    /// The issues whose claim fields (state, holder, lease, stamp) this transaction changes and
    /// that the ledger tracks: anything claimed or finished, or already in the ledger.
    fn claim_changes(&self) -> Vec<IssueId> {
        let claim = |i: &Issue| {
            (
                i.state,
                i.assignee.clone(),
                i.lease.clone(),
                i.claim.clone(),
            )
        };
        self.staged
            .iter()
            .filter_map(|(id, staged)| {
                let issue = staged.as_ref()?;
                let original = self.originals.get(id).cloned().flatten();
                let changed = original.as_ref().is_none_or(|o| claim(o) != claim(issue));
                let relevant = issue.claim.is_some()
                    || issue.assignee.is_some()
                    || issue.state.is_closed()
                    || self.ledger.get(id.as_str()).is_some();
                (changed && relevant).then(|| id.clone())
            })
            .collect()
    }

    /// Brings the ledger's entries of the changed issues (and of deleted ones) up to date.
    fn record_claims(&mut self, changes: &[IssueId]) {
        for id in changes {
            if let Some(Some(issue)) = self.staged.get(id)
                && self.ledger.record(
                    issue,
                    self.now,
                    self.actor.as_str(),
                    self.superseded.get(id).cloned(),
                )
            {
                self.ledger_dirty = true;
            }
        }
        for (id, staged) in &self.staged {
            if staged.is_none() && self.ledger.entries.remove(id).is_some() {
                self.ledger_dirty = true;
            }
        }
    }

    /// Reads what the remote this transaction publishes on holds into the ledger (and writes
    /// the ledger at once: it stays true whatever this transaction does). A no-op without a
    /// remote.
    pub fn refresh_remote(&mut self) -> Result<()> {
        let Some(p) = self.store.publisher().cloned() else {
            return Ok(());
        };
        p.fetch(self.store.root(), &mut self.ledger, self.now.millis())?;
        // What this transaction writes is dated after what it has just learned.
        self.now = self.now.max(crate::clock::now()?);
        self.save_ledger()
    }
}

fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// The version after `issue`'s: one more. A version that cannot grow (a file that says
/// `u64::MAX`) is refused, naming the file, rather than wrapped to 0.
fn next_version(store: &Store, issue: &Issue) -> Result<u64> {
    issue
        .version
        .checked_add(1)
        .ok_or_else(|| Error::CorruptFile {
            path: store.issue_path(&issue.id),
            message: format!(
                "its version is {}, the largest there is, so it cannot count another change; \
                 set `version` in the file to a smaller number",
                issue.version
            ),
        })
}

/// Checks `--if-version` against the stored version.
pub fn check_version(issue: &Issue, expected: Option<u64>) -> Result<()> {
    match expected {
        Some(v) if v != issue.version => Err(Error::VersionConflict {
            id: issue.id.to_string(),
            expected: v,
            actual: issue.version,
        }),
        _ => Ok(()),
    }
}

/// Field-level differences between two JSON objects, ignoring bookkeeping fields.
pub fn diff_values(before: &Value, after: &Value) -> Vec<Change> {
    let empty = serde_json::Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !matches!(k.as_str(), "version" | "updated_at"))
        .filter_map(|k| {
            let bv = b.get(k).cloned().unwrap_or(Value::Null);
            let av = a.get(k).cloned().unwrap_or(Value::Null);
            (bv != av).then(|| Change {
                field: k.clone(),
                before: bv,
                after: av,
            })
        })
        .collect()
}
