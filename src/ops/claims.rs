//! Agent coordination: atomic claims with leases, claim-next, heartbeat, release, assign.
//!
//! Invariants: every claim decision is made under the store lock on freshly read files, so two
//! processes can never both claim one issue. A claim succeeds only when the issue is unassigned,
//! its lease has expired, or it is already held by the claimant; an expired lease is recorded
//! (`lease.expired`) before the new claim (`issue.claimed`).

use crate::error::{Error, Result};
use crate::model::time::parse_duration;
use crate::model::{Actor, Issue, IssueId, Lease, State, Timestamp};
use crate::model::{Payload, payload};
use crate::ops::issues::Outcome;
use crate::pages::{self, Shape};
use crate::store::check_version;
use crate::store::{Store, Tx};
use crate::view::IssueView;
use crate::view::view_in;
use crate::workflow::{self, Transition, rules};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::time::Duration;

/// How many of the best claimable issues a `claim-next` that lost a race spreads over.
const SPREAD: usize = 4;

/// Whether an issue's lease has run out at `now`.
pub fn lease_expired(issue: &Issue, now: Timestamp) -> bool {
    rules::lease_expired(rules::Facts::lease_expires_ms(issue), now.millis())
}

/// Who holds the issue now (an unexpired claim or an assignment), if anyone.
pub fn holder(issue: &Issue, now: Timestamp) -> Option<&str> {
    if rules::held(issue, now.millis()) {
        issue.assignee.as_deref()
    } else {
        None
    }
}

fn ttl_or_default(store: &Store, ttl: Option<Duration>) -> Result<Duration> {
    let (ttl, what) = match ttl {
        Some(t) => (t, "ttl"),
        None => (
            crate::model::time::parse_duration(&store.config()?.default_lease_ttl)?,
            "default_lease_ttl",
        ),
    };
    check_ttl(ttl, what)
}

/// Refuses a lease longer than [`crate::model::limits::LEASE_TTL_SECS`].
fn check_ttl(ttl: Duration, what: &str) -> Result<Duration> {
    let max = crate::model::limits::LEASE_TTL_SECS;
    if ttl.as_secs() > max {
        return Err(Error::invalid(
            what,
            format!(
                "a lease of {}s is longer than the {}d a lease may last; renew it with \
                 `issue heartbeat`, or use `issue assign` for lasting ownership",
                ttl.as_secs(),
                max / 86_400
            ),
        ));
    }
    Ok(ttl)
}

/// When a lease taken or renewed now starts: now, but never before the issue's last change
/// (a clock set back, a `JIT_NOW` in the past, cannot make a lease that is expired at birth).
fn lease_start(issue: &Issue, now: Timestamp) -> Timestamp {
    now.max(issue.updated_at)
}

/// Claims one issue inside a transaction (shared by `claim` and `claim-next`).
fn claim_in(
    tx: &mut Tx<'_>,
    id: &IssueId,
    to: &Actor,
    ttl: Duration,
    if_version: Option<u64>,
) -> Result<Outcome> {
    let before = tx.get(id)?;
    check_version(&before, if_version)?;
    let now = tx.now;
    if matches!(before.state, State::Done | State::Archived) {
        return Err(Error::Refused {
            code: crate::error::ErrorCode::InvalidTransition,
            message: format!(
                "issue `{}` is {}; there is nothing to claim",
                id.short(),
                before.state
            ),
            details: json!({ "id": id, "state": before.state }),
        });
    }
    if let Some(h) = holder(&before, now)
        && h != to.as_str()
    {
        return Err(Error::AlreadyClaimed {
            id: id.to_string(),
            holder: h.to_string(),
            expires: before
                .lease
                .as_ref()
                .and_then(|l| l.expires_at)
                .map(|e| e.to_string()),
        });
    }
    let mut current = before.clone();
    if lease_expired(&before, now) {
        let mut expired = before.clone();
        let old = expired.lease.take();
        expired.assignee = None;
        let expired = tx.edit(
            &before,
            expired,
            Payload::LeaseExpired(payload::Expired {
                holder: old.map(|l| l.holder),
            }),
        )?;
        current = expired;
    }
    let mut after = current.clone();
    let mut transition = Transition::default();
    if matches!(after.state, State::Backlog | State::Ready) {
        let (state, _) = workflow::resolve_target(tx, &after, State::InProgress)?;
        after.state = state;
    }
    after.assignee = Some(to.to_string());
    let start = lease_start(&before, now);
    let acquired_at = match &current.lease {
        Some(l) if l.holder == to.as_str() => l.acquired_at,
        _ => start,
    };
    after.lease = Some(Lease {
        holder: to.to_string(),
        acquired_at,
        expires_at: Some(start.plus(ttl)),
        ttl_secs: Some(ttl.as_secs()),
    });
    let renewed = current.assignee.as_deref() == Some(to.as_str());
    let claimed = payload::Claimed {
        to: Some(to.to_string()),
        ttl_secs: ttl.as_secs(),
    };
    let after = tx.edit(
        &current,
        after,
        if renewed {
            Payload::LeaseRenewed(claimed)
        } else {
            Payload::IssueClaimed(claimed)
        },
    )?;
    transition.pending_gates = Vec::new();
    let view = view_in(tx, after)?;
    Ok(Outcome { view, transition })
}

/// `issue claim` (MCP `claim`): one issue, under a lease.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// Claim for this actor (default: the acting actor).
    #[serde(default)]
    pub to: Option<String>,
    /// Lease length, e.g. `30m`, `2h` (default: the config's `default_lease_ttl`).
    #[serde(default)]
    pub ttl: Option<String>,
    /// Refuse unless the issue is at this version.
    #[serde(default)]
    pub if_version: Option<u64>,
}

impl super::Mutation for ClaimRequest {
    type Output = Outcome;
    fn run(self, store: &Store, actor: &Actor) -> Result<Outcome> {
        let to = self.to.as_deref().map(Actor::parse).transpose()?;
        let ttl = self.ttl.as_deref().map(parse_duration).transpose()?;
        claim(store, actor, &self.id, to.as_ref(), ttl, self.if_version)
    }
}

/// `issue heartbeat` (MCP `heartbeat`): the holder extends its lease.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatRequest {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// New lease length from now, e.g. `30m`, `2h` (default: the lease's own length).
    #[serde(default)]
    pub ttl: Option<String>,
}

impl super::Mutation for HeartbeatRequest {
    type Output = IssueView;
    fn run(self, store: &Store, actor: &Actor) -> Result<IssueView> {
        let ttl = self.ttl.as_deref().map(parse_duration).transpose()?;
        heartbeat(store, actor, &self.id, ttl)
    }
}

/// `issue release` (MCP `release`): the holder gives the issue back.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRequest {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// Take back someone else's claim (human actors only).
    #[serde(default)]
    pub force: bool,
    /// Refuse unless the issue is at this version.
    #[serde(default)]
    pub if_version: Option<u64>,
}

impl super::Mutation for ReleaseRequest {
    type Output = IssueView;
    fn run(self, store: &Store, actor: &Actor) -> Result<IssueView> {
        release(store, actor, &self.id, self.force, self.if_version)
    }
}

/// `issue reopen` (MCP `reopen`): finished work opened again, with the reason recorded.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenRequest {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// Why it is reopened (recorded in the event log).
    pub reason: String,
    /// Refuse unless the issue is at this version.
    #[serde(default)]
    pub if_version: Option<u64>,
}

impl super::Mutation for ReopenRequest {
    type Output = Outcome;
    fn run(self, store: &Store, actor: &Actor) -> Result<Outcome> {
        reopen(store, actor, &self.id, &self.reason, self.if_version)
    }
}

/// `issue assign` and `issue unassign`: a person's plain assignment (no lease).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// The new assignee (`type:identifier`); absent clears the assignee.
    #[serde(default)]
    pub to: Option<String>,
    /// Take the issue from someone who holds it (human actors only; recorded).
    #[serde(default)]
    pub force: bool,
    /// Refuse unless the issue is at this version.
    #[serde(default)]
    pub if_version: Option<u64>,
}

impl super::Mutation for AssignRequest {
    type Output = IssueView;
    fn run(self, store: &Store, actor: &Actor) -> Result<IssueView> {
        let to = self.to.as_deref().map(Actor::parse).transpose()?;
        assign(
            store,
            actor,
            &self.id,
            to.as_ref(),
            self.force,
            self.if_version,
        )
    }
}

/// `issue claim`: claims one issue for `to` with a lease.
pub fn claim(
    store: &Store,
    actor: &Actor,
    input: &str,
    to: Option<&Actor>,
    ttl: Option<Duration>,
    if_version: Option<u64>,
) -> Result<Outcome> {
    let to = to.unwrap_or(actor).clone();
    let ttl = ttl_or_default(store, ttl)?;
    let mut checked = false;
    store.mutate(actor, |tx| {
        let id = tx.resolve(input)?;
        match claim_in(tx, &id, &to, ttl, if_version) {
            // Refused on what this clone last saw of the remote: make sure it still holds (one
            // fetch), then decide again on what the remote holds now.
            Err(e) if tx.publishing() && !checked && refused_on_sight(&e) => {
                checked = true;
                tx.refresh_remote()?;
                Err(Error::Conflict {
                    code: crate::store::tx::REMOTE_RACE,
                    message: e.to_string(),
                    details: json!({ "id": id }),
                })
            }
            other => other,
        }
    })
}

/// A refusal a fresher view of the remote could change.
fn refused_on_sight(e: &Error) -> bool {
    matches!(
        e,
        Error::AlreadyClaimed { .. } | Error::Blocked { .. } | Error::ClaimSuperseded { .. }
    ) || e.code() == "invalid_transition"
}

/// `issue claim-next`: picks the best claimable issue and claims it in the same locked
/// operation. `filter` is the query `filter_text` was parsed into; the summary index picks the
/// issue unless the filter needs whole issues (`text:`). Issues whose lease expired count as
/// claimable; `containers` (built from the config and the filter) are never picked unless the
/// filter asked for them.
pub fn claim_next(
    store: &Store,
    actor: &Actor,
    to: Option<&Actor>,
    ttl: Option<Duration>,
    filter: Option<&crate::query::Query>,
    filter_text: Option<&str>,
    containers: &rules::Containers,
) -> Result<Outcome> {
    let to = to.unwrap_or(actor).clone();
    let ttl = ttl_or_default(store, ttl)?;
    let mut attempt = 0usize;
    store.mutate(actor, |tx| {
        attempt += 1;
        // With remote claims, decide on what the remote holds now (one fetch), not on what this
        // clone last saw.
        tx.refresh_remote()?;
        let now = tx.now;
        let gates = tx.gates()?.clone();
        let ids: Vec<IssueId> = if !filter.is_some_and(crate::query::Query::needs_whole_issues) {
            // Readiness and the filter are answered from the summary index without reading any
            // issue file. `claim_in` re-reads the chosen issue under the lock.
            let (all, _) = crate::store::index::load(tx.store())?;
            let ledger = tx.ledger().clone();
            crate::pages::claimable(&all, &gates, &ledger, filter, now, containers, SPREAD)
                .iter()
                .map(|s| IssueId::parse(crate::query::Subject::id(s)))
                .collect::<Result<_>>()?
        } else {
            let (issues, _) = tx.store().load_all()?;
            let mut candidates: Vec<IssueView> = crate::view::views_for(issues, &gates)
                .into_iter()
                .filter(|v| crate::queries::is_claimable(v, now, containers))
                .filter(|v| filter.is_none_or(|q| q.matches_in(v, containers)))
                .collect();
            crate::queries::work_order(&mut candidates);
            candidates
                .into_iter()
                .take(SPREAD)
                .map(|v| v.issue.id)
                .collect()
        };
        // The first try takes the best issue. Having lost a race for it on the remote (every
        // clone's best is the same issue), later tries spread over the best few, so clones
        // racing each other do not keep colliding.
        let best = match (attempt, ids.len()) {
            (_, 0) => None,
            (1, _) => ids.first().cloned(),
            (_, n) => ids
                .get((crate::random::u128() % n as u128) as usize)
                .cloned(),
        };
        let Some(best) = best else {
            return Err(Error::NoReadyWork {
                filter: filter_text.map(str::to_string),
            });
        };
        claim_in(tx, &best, &to, ttl, None)
    })
}

fn require_holder(tx: &Tx<'_>, issue: &Issue, actor: &Actor, what: &str) -> Result<()> {
    tx.fence(&issue.id)?;
    match issue.assignee.as_deref() {
        Some(h) if h == actor.as_str() => Ok(()),
        Some(h) => Err(Error::AlreadyClaimed {
            id: issue.id.to_string(),
            holder: h.to_string(),
            expires: issue
                .lease
                .as_ref()
                .and_then(|l| l.expires_at)
                .map(|e| e.to_string()),
        }),
        None => Err(Error::Refused {
            code: crate::error::ErrorCode::NotClaimed,
            message: format!(
                "issue `{}` is not claimed; nothing to {what}",
                issue.short_id()
            ),
            details: json!({ "id": issue.id }),
        }),
    }
}

/// `issue heartbeat`: extends the holder's lease.
pub fn heartbeat(
    store: &Store,
    actor: &Actor,
    input: &str,
    ttl: Option<Duration>,
) -> Result<IssueView> {
    let ttl_given = ttl;
    store.mutate(actor, |tx| {
        let id = tx.resolve(input)?;
        let before = tx.get(&id)?;
        require_holder(tx, &before, actor, "renew")?;
        let ttl = match ttl_given.or_else(|| {
            before
                .lease
                .as_ref()
                .and_then(|l| l.ttl_secs)
                .map(Duration::from_secs)
        }) {
            Some(t) => check_ttl(t, "ttl")?,
            None => ttl_or_default(tx.store(), None)?,
        };
        let mut after = before.clone();
        let start = lease_start(&before, tx.now);
        let acquired_at = before
            .lease
            .as_ref()
            .map(|l| l.acquired_at)
            .unwrap_or(start);
        after.lease = Some(Lease {
            holder: actor.to_string(),
            acquired_at,
            expires_at: Some(start.plus(ttl)),
            ttl_secs: Some(ttl.as_secs()),
        });
        let renewed = payload::Claimed {
            to: None,
            ttl_secs: ttl.as_secs(),
        };
        let after = tx.edit(&before, after, Payload::LeaseRenewed(renewed))?;
        view_in(tx, after)
    })
}

/// `issue release`: the holder gives the issue back; an in-progress issue returns to ready
/// (or backlog). `force` lets a human take back someone else's claim.
pub fn release(
    store: &Store,
    actor: &Actor,
    input: &str,
    force: bool,
    if_version: Option<u64>,
) -> Result<IssueView> {
    store.mutate(actor, |tx| {
        let before = tx.open(input, if_version)?;
        if force && actor.is_human() {
            tx.force_moves();
        } else {
            require_holder(tx, &before, actor, "release")?;
        }
        let mut after = before.clone();
        after.assignee = None;
        after.lease = None;
        if after.state == State::InProgress {
            after.state = workflow::readiness(tx, &after)?;
        }
        let released = payload::Released { forced: force };
        let after = tx.edit(&before, after, Payload::IssueReleased(released))?;
        view_in(tx, after)
    })
}

/// `issue assign` (to = Some) and `issue unassign` (None): a person's plain assignment, no
/// lease and no state change. Taking an issue from someone who holds it is a move: only its
/// holder, or a human with `force` (recorded).
pub fn assign(
    store: &Store,
    actor: &Actor,
    input: &str,
    to: Option<&Actor>,
    force: bool,
    if_version: Option<u64>,
) -> Result<IssueView> {
    store.mutate(actor, |tx| {
        if force {
            tx.force_moves();
        }
        let before = tx.open(input, if_version)?;
        let mut after = before.clone();
        after.assignee = to.map(|a| a.to_string());
        after.lease = None;
        let event = if to.is_some() {
            Payload::IssueAssigned(payload::Nothing {})
        } else {
            Payload::IssueUnassigned(payload::Nothing {})
        };
        let after = tx.edit(&before, after, event)?;
        view_in(tx, after)
    })
}

/// A stale claim.
#[derive(Debug, Serialize)]
pub struct Stale {
    #[serde(flatten)]
    pub view: IssueView,
    /// Why it is stale: `lease_expired`, `lease_in_future` (dated beyond what a right clock
    /// writes, see [`rules::lease_in_future`]) or `idle`.
    pub reason: &'static str,
}

/// Whether an issue's lease is dated in the future (see [`rules::lease_in_future`]).
pub fn lease_in_future(issue: &Issue, now: Timestamp) -> bool {
    issue.lease.as_ref().is_some_and(|l| {
        rules::lease_in_future(
            l.acquired_at.millis(),
            l.expires_at.map(|e| e.millis()),
            now.millis(),
        )
    })
}

/// Claims whose lease has expired or is dated in the future, and (with `idle_days`)
/// in-progress issues untouched that long.
pub fn stale(views: Vec<IssueView>, now: Timestamp, idle_days: Option<u64>) -> Vec<Stale> {
    let cutoff = idle_days.map(|d| now.minus(Duration::from_secs(d.saturating_mul(86_400))));
    let mut out: Vec<Stale> = views
        .into_iter()
        .filter_map(|v| {
            if v.issue.state.is_closed() {
                // Finished work holds no claim, whatever lease an older file still carries.
                None
            } else if lease_expired(&v.issue, now) {
                Some(Stale {
                    view: v,
                    reason: "lease_expired",
                })
            } else if lease_in_future(&v.issue, now) {
                Some(Stale {
                    view: v,
                    reason: "lease_in_future",
                })
            } else if cutoff
                .is_some_and(|c| v.issue.state == State::InProgress && v.issue.updated_at < c)
            {
                Some(Stale {
                    view: v,
                    reason: "idle",
                })
            } else {
                None
            }
        })
        .collect();
    out.sort_by_key(|s| s.view.issue.updated_at);
    out
}

/// `issue reopen`: moves a done (or archived) issue back to ready/backlog with a reason, and
/// demotes dependents that have not started.
pub fn reopen(
    store: &Store,
    actor: &Actor,
    input: &str,
    reason: &str,
    if_version: Option<u64>,
) -> Result<Outcome> {
    let reason = crate::model::validate_text("reason", reason)?;
    if reason.trim().is_empty() {
        return Err(Error::invalid("reason", "say why the issue is reopened"));
    }
    store.mutate(actor, |tx| {
        let before = tx.open(input, if_version)?;
        let id = before.id.clone();
        if !matches!(before.state, State::Done | State::Archived) {
            return Err(Error::Refused {
                code: crate::error::ErrorCode::InvalidTransition,
                message: format!(
                    "issue `{}` is {}; only done or archived issues can be reopened",
                    id.short(),
                    before.state
                ),
                details: json!({ "id": id, "state": before.state }),
            });
        }
        let mut after = before.clone();
        after.state = workflow::readiness(tx, &after)?;
        after.reopened = true;
        after.assignee = None;
        after.lease = None;
        let reopened = payload::Reopened {
            reason: reason.to_string(),
        };
        let after = tx.edit(&before, after, Payload::IssueReopened(reopened))?;
        let mut transition = Transition::default();
        if before.state == State::Done {
            workflow::cascade(tx, &id, &mut transition)?;
        }
        let view = view_in(tx, after)?;
        Ok(Outcome { view, transition })
    })
}

/// `issue claim-next` (MCP `claim_next`): the best ready issue, claimed, in the shape asked for.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimNextRequest {
    /// Only consider issues matching this query (docs/query.md).
    #[serde(default)]
    pub filter: Option<String>,
    /// Claim for this actor (default: the acting actor).
    #[serde(default)]
    pub to: Option<String>,
    /// Lease length, e.g. `30m`, `2h`.
    #[serde(default)]
    pub ttl: Option<String>,
    /// Return only these fields of the claimed issue, e.g. `["id", "title", "description"]`.
    #[serde(default)]
    pub fields: Option<Vec<String>>,
    /// The whole issue instead of the lean shape.
    #[serde(default)]
    pub full: Option<bool>,
}

impl super::Mutation for ClaimNextRequest {
    type Output = Shaped;
    fn run(self, store: &Store, actor: &Actor) -> Result<Shaped> {
        let to = self.to.as_deref().map(Actor::parse).transpose()?;
        let ttl = self.ttl.as_deref().map(parse_duration).transpose()?;
        let now = crate::clock::now()?;
        let filter = self
            .filter
            .as_deref()
            .map(|f| crate::query::parse(f, now))
            .transpose()?;
        let full = self.full.unwrap_or(false);
        let shape = Shape::of(self.fields.as_deref(), full)?;
        let config = store.config()?;
        let containers = config.containers(|t| filter.as_ref().is_some_and(|q| q.asks_for_type(t)));
        let filter = filter.map(|q| q.in_store(&config));
        let out = claim_next(
            store,
            actor,
            to.as_ref(),
            ttl,
            filter.as_ref(),
            self.filter.as_deref(),
            &containers,
        )?;
        Shaped::new(out, shape)
    }
}

/// A `claim-next` reply in the shape asked for: the issue (whole, lean or some fields) with
/// what the claim moved, and the `shape`.
pub struct Shaped {
    pub outcome: Outcome,
    fields: Option<Vec<(&'static str, serde_json::Value)>>,
    shape: &'static str,
}

impl Shaped {
    fn new(outcome: Outcome, shape: Shape) -> Result<Self> {
        let fields = match &shape {
            Shape::Full => None,
            Shape::Lean => Some(pages::project(
                &outcome.view,
                &(0..pages::LEAN).collect::<Vec<_>>(),
            )?),
            Shape::Fields(f) => Some(pages::project(&outcome.view, f)?),
        };
        Ok(Shaped {
            outcome,
            fields,
            shape: shape.name(),
        })
    }
}

/// The schema of the three shapes a `claim-next` reply takes.
impl schemars::JsonSchema for Shaped {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ClaimNext".into()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        pages::shapes_schema::<ClaimedLean, ClaimedFields, ClaimedFull>(
            g,
            "The claimed issue in the shape asked for, named by `shape`, with `pending_gates`, \
             `promoted` and `demoted`.",
        )
    }
}

/// A `claim-next` reply in the lean shape: the claimed issue's lean fields with what the claim
/// moved.
#[allow(dead_code)] // describes what `Shaped` prints; never built
#[derive(schemars::JsonSchema)]
struct ClaimedLean {
    /// `lean/1`.
    shape: pages::LeanTag,
    #[serde(flatten)]
    issue: pages::LeanIssue,
    #[serde(flatten)]
    transition: crate::workflow::Transition,
}

/// A `claim-next` reply in the shape of chosen fields: the claimed issue's fields asked for
/// with what the claim moved, and no other key.
#[allow(dead_code)] // describes what `Shaped` prints; never built
#[derive(schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ClaimedFields {
    /// `fields/1`.
    shape: pages::FieldsTag,
    #[serde(flatten)]
    issue: pages::FieldsIssue,
    #[serde(flatten)]
    transition: crate::workflow::Transition,
}

/// A `claim-next` reply in the full shape: the whole claimed issue with what the claim moved,
/// as `issue claim` prints it.
#[allow(dead_code)] // describes what `Shaped` prints; never built
#[derive(schemars::JsonSchema)]
struct ClaimedFull {
    /// `full/1`.
    shape: pages::FullTag,
    #[serde(flatten)]
    outcome: Outcome,
}

impl serde::Serialize for Shaped {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        #[derive(serde::Serialize)]
        struct Full<'a> {
            shape: &'a str,
            #[serde(flatten)]
            outcome: &'a Outcome,
        }
        let Some(fields) = &self.fields else {
            return Full {
                shape: self.shape,
                outcome: &self.outcome,
            }
            .serialize(ser);
        };
        let t = &self.outcome.transition;
        let mut m = ser.serialize_map(None)?;
        m.serialize_entry("shape", self.shape)?;
        for (k, v) in fields {
            m.serialize_entry(k, v)?;
        }
        m.serialize_entry("pending_gates", &t.pending_gates)?;
        m.serialize_entry("promoted", &t.promoted)?;
        m.serialize_entry("demoted", &t.demoted)?;
        m.end()
    }
}
