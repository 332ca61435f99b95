//! The rules every view, query, claim, metric and export shares, written once: whether an issue
//! is blocked, what its derived `backlog`/`ready` state is, who holds it at a given moment, and
//! whether it can be claimed now.
//!
//! Invariants:
//! - Pure: no I/O, no clock. Callers pass `now` (milliseconds) and what they know of an issue,
//!   whether that is a whole [`Issue`] or a summary record of the index, through [`Facts`].
//! - One definition per concept. A lease that has run out holds nothing: the issue is claimable
//!   (a takeover) wherever this module is asked, so `query ready`, `claim-next`, `metrics` and
//!   the exports cannot disagree. A deferred issue is not ready work until its deferral passes,
//!   on every path alike.

use crate::model::{GateStage, GateState, Issue, State};

/// What the rules need to know about one issue. Implemented for whole issues and for the
/// summary index's records, so both paths answer alike.
pub trait Facts {
    /// The stored state (after the claim ledger's overlay, where there is one).
    fn state(&self) -> State;
    /// Whether someone is assigned (a claim or a plain assignment).
    fn assigned(&self) -> bool;
    /// When the lease runs out, in milliseconds since the epoch; `None` without a lease or
    /// without an expiry.
    fn lease_expires_ms(&self) -> Option<i64>;
    /// Until when the issue is deferred (`issue defer`), in milliseconds; `None` when it is not.
    fn deferred_until_ms(&self) -> Option<i64>;
    /// The issue type (`task`, `epic`, ...).
    fn kind(&self) -> &str;
}

impl Facts for Issue {
    fn state(&self) -> State {
        self.state
    }

    fn assigned(&self) -> bool {
        self.assignee.is_some()
    }

    fn lease_expires_ms(&self) -> Option<i64> {
        self.lease
            .as_ref()
            .and_then(|l| l.expires_at)
            .map(|t| t.millis())
    }

    fn deferred_until_ms(&self) -> Option<i64> {
        self.deferred_until.map(|t| t.millis())
    }

    fn kind(&self) -> &str {
        &self.kind
    }
}

/// The issue types that group work rather than being work (`containers` in config.json;
/// default `epic` and `milestone`), and those of them a filter asked for. A container is never
/// handed out as work (by `query ready`, `claim-next`, the ready counts of `metrics` and
/// alerts) unless the filter asks for its type.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Containers {
    types: Vec<String>,
    asked: Vec<String>,
}

impl Containers {
    /// `types` are the container types; `asks(t)` says whether the filter asks for type `t`.
    pub fn new(types: &[String], asks: impl Fn(&str) -> bool) -> Self {
        Containers {
            types: types.to_vec(),
            asked: types.iter().filter(|t| asks(t)).cloned().collect(),
        }
    }

    /// Whether an issue of type `kind` is kept out of the work handed out.
    pub fn excludes(&self, kind: &str) -> bool {
        self.types.iter().any(|t| t == kind) && !self.asked.iter().any(|t| t == kind)
    }
}

/// Whether a lease that runs out at `expires_ms` has run out at `now_ms`.
pub fn lease_expired(expires_ms: Option<i64>, now_ms: i64) -> bool {
    expires_ms.is_some_and(|e| e <= now_ms)
}

/// Whether an open issue is set aside at `now_ms`: deferred until a later time. A deferral
/// that has passed defers nothing.
pub fn deferred(f: &impl Facts, now_ms: i64) -> bool {
    !f.state().is_closed() && f.deferred_until_ms().is_some_and(|u| u > now_ms)
}

/// How far ahead of this clock a lease may start before it counts as dated in the future.
pub const FUTURE_SLACK_MS: i64 = 5 * 60 * 1000;

/// Whether a lease is dated in the future beyond anything a jit with a right clock writes: it
/// starts more than [`FUTURE_SLACK_MS`] after `now_ms`, or runs out further ahead than the
/// longest lease ([`crate::model::limits::LEASE_TTL_SECS`]) plus that slack. Such a lease (a
/// `JIT_NOW` far ahead, a clock years off, an older jit's overflow) would block the issue for
/// years; `query stale` lists it and `validate` reports it. Nothing ends it automatically (the
/// clock that says so may be the wrong one): a human releases it.
pub fn lease_in_future(acquired_ms: i64, expires_ms: Option<i64>, now_ms: i64) -> bool {
    let longest = i64::try_from(crate::model::limits::LEASE_TTL_SECS * 1000).unwrap_or(i64::MAX);
    acquired_ms > now_ms.saturating_add(FUTURE_SLACK_MS)
        || expires_ms.is_some_and(|e| {
            e > now_ms
                .saturating_add(longest)
                .saturating_add(FUTURE_SLACK_MS)
        })
}

/// Whether someone holds the issue at `now_ms`: an assignee whose lease has not run out (a
/// plain assignment, without a lease, holds until it is removed). Finished work is held by
/// nobody; its assignee only records who did it.
pub fn held(f: &impl Facts, now_ms: i64) -> bool {
    !f.state().is_closed() && f.assigned() && !lease_expired(f.lease_expires_ms(), now_ms)
}

/// Whether going from `before` to `after` moves the issue, in the sense of the holder rule
/// (only the holder moves a claimed issue): its holder or lease changes, or its state does,
/// other than between the derived `backlog` and `ready`.
pub fn is_move(before: &Issue, after: &Issue) -> bool {
    let derived = |s: State| matches!(s, State::Backlog | State::Ready);
    before.assignee != after.assignee
        || before.lease != after.lease
        || (before.state != after.state && !(derived(before.state) && derived(after.state)))
}

/// Whether a required gate in `status` blocks an issue in `state`: a failed gate always does;
/// otherwise a precheck gate blocks work from starting and every gate blocks a gated issue.
pub fn gate_blocks(state: State, stage: Option<GateStage>, status: GateState) -> bool {
    if status == GateState::Passed {
        return false;
    }
    let applies = match state {
        State::Backlog | State::Ready => stage == Some(GateStage::Precheck),
        State::Gated => true,
        _ => false,
    };
    applies || status == GateState::Failed
}

/// Whether an issue is blocked: open, and some dependency is not done (a missing one counts as
/// not done), or some required gate blocks it in its state (see [`gate_blocks`]).
/// `deps_done` yields, per dependency, whether it is done.
pub fn blocked(
    state: State,
    mut deps_done: impl Iterator<Item = bool>,
    mut gates: impl Iterator<Item = (Option<GateStage>, GateState)>,
) -> bool {
    if state.is_closed() {
        return false;
    }
    deps_done.any(|done| !done) || gates.any(|(stage, status)| gate_blocks(state, stage, status))
}

/// The derived `backlog`/`ready` state of an open issue that has not started: `ready` exactly
/// when every dependency is done. Other states are explicit and returned unchanged.
pub fn derived_state(state: State, all_deps_done: bool) -> State {
    match state {
        State::Backlog | State::Ready if all_deps_done => State::Ready,
        State::Backlog | State::Ready => State::Backlog,
        other => other,
    }
}

/// How an issue can be claimed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claimable {
    /// Not claimable: finished, started by a live holder, held, or blocked.
    No,
    /// Open, unblocked and unheld.
    Free,
    /// Its holder's lease ran out: claiming it takes it over (and records `lease.expired`).
    Expired,
}

impl Claimable {
    /// Whether it can be claimed at all.
    pub fn yes(self) -> bool {
        self != Claimable::No
    }
}

/// Whether an issue can be claimed at `now_ms`. `blocked` comes from [`blocked`]. Open work
/// that has not started (`backlog` whose dependencies are all done counts as `ready`) is
/// claimable unless someone holds it or it is [`deferred`]; started work (`in_progress`) only
/// once its lease ran out. A container ([`Containers`]) is not work, unless the filter asked for
/// its type.
pub fn claimable(f: &impl Facts, blocked: bool, now_ms: i64, containers: &Containers) -> Claimable {
    if blocked || deferred(f, now_ms) || containers.excludes(f.kind()) {
        return Claimable::No;
    }
    let expired = f.assigned() && lease_expired(f.lease_expires_ms(), now_ms);
    match f.state() {
        State::Backlog | State::Ready if !f.assigned() => Claimable::Free,
        State::Backlog | State::Ready | State::InProgress if expired => Claimable::Expired,
        _ => Claimable::No,
    }
}

/// Where a claim is in its lifecycle, to order two records of one epoch: held (1) before its
/// work is handed to the gates (2), before it is given back (3), before it is finished (4).
pub fn claim_rank(state: State, assigned: bool) -> u8 {
    match state {
        State::Done | State::Archived => 4,
        State::Gated => 2,
        _ if assigned => 1,
        _ => 3,
    }
}

/// The order of claim records of one issue: by fencing epoch, then lifecycle. A later record
/// never has a smaller key; when a change would make it smaller (a reopen, a gated issue sent
/// back to work) the epoch grows instead.
pub fn claim_key(epoch: u64, state: State, assigned: bool) -> (u64, u8) {
    (epoch, claim_rank(state, assigned))
}

impl crate::model::Config {
    /// The containers of this store, with those a filter asks for (`asks(type)`) let in.
    pub fn containers(&self, asks: impl Fn(&str) -> bool) -> Containers {
        Containers::new(&self.container_types(), asks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct F {
        state: State,
        assigned: bool,
        lease: Option<i64>,
        deferred: Option<i64>,
    }

    impl Facts for F {
        fn state(&self) -> State {
            self.state
        }
        fn assigned(&self) -> bool {
            self.assigned
        }
        fn lease_expires_ms(&self) -> Option<i64> {
            self.lease
        }
        fn deferred_until_ms(&self) -> Option<i64> {
            self.deferred
        }
        fn kind(&self) -> &str {
            "task"
        }
    }

    const NOW: i64 = 1_000_000;

    #[test]
    fn claimable_table() {
        use Claimable::*;
        use State::*;
        // (state, assigned, lease expiry, blocked) -> expected
        let rows: &[(State, bool, Option<i64>, bool, Claimable)] = &[
            (Ready, false, None, false, Free),
            (Ready, false, None, true, No),
            (Backlog, false, None, false, Free), // derived: every dependency is done
            (Backlog, false, None, true, No),
            (Ready, true, None, false, No), // a plain assignment holds
            (Ready, true, Some(NOW + 1), false, No),
            (Ready, true, Some(NOW), false, Expired), // expiry is inclusive
            (Ready, true, Some(NOW - 1), false, Expired),
            (InProgress, true, Some(NOW + 60_000), false, No),
            (InProgress, true, Some(NOW - 1), false, Expired),
            (InProgress, true, Some(NOW - 1), true, No),
            (InProgress, true, None, false, No), // started by hand, no lease
            (InProgress, false, None, false, No),
            (Gated, true, Some(NOW - 1), false, No), // work finished: nothing to take over
            (Gated, false, None, false, No),
            (Done, false, None, false, No),
            (Done, true, Some(NOW - 1), false, No),
            (Archived, false, None, false, No),
        ];
        for (k, &(state, assigned, lease, blocked, want)) in rows.iter().enumerate() {
            let f = F {
                state,
                assigned,
                lease,
                deferred: None,
            };
            assert_eq!(
                claimable(&f, blocked, NOW, &Containers::default()),
                want,
                "row {k}: {state:?}"
            );
        }
    }

    #[test]
    fn deferred_work_is_not_claimable_until_the_deferral_passes() {
        let f = |state, assigned, lease, deferred| F {
            state,
            assigned,
            lease,
            deferred,
        };
        let ready = |d| f(State::Ready, false, None, d);
        assert_eq!(
            claimable(&ready(Some(NOW + 1)), false, NOW, &Containers::default()),
            Claimable::No
        );
        assert_eq!(
            claimable(&ready(Some(NOW)), false, NOW, &Containers::default()),
            Claimable::Free
        );
        assert_eq!(
            claimable(&ready(Some(NOW - 1)), false, NOW, &Containers::default()),
            Claimable::Free
        );
        assert_eq!(
            claimable(&ready(None), false, NOW, &Containers::default()),
            Claimable::Free
        );
        // A lapsed claim on deferred work is not taken over either.
        let lapsed = f(State::InProgress, true, Some(NOW - 1), Some(NOW + 1));
        assert_eq!(
            claimable(&lapsed, false, NOW, &Containers::default()),
            Claimable::No
        );
        assert!(deferred(&ready(Some(NOW + 1)), NOW));
        assert!(!deferred(&f(State::Done, false, None, Some(NOW + 1)), NOW));
    }

    #[test]
    fn containers_are_not_work_unless_asked_for() {
        let types = ["epic".to_string(), "milestone".to_string()];
        let none = Containers::new(&types, |_| false);
        assert!(none.excludes("epic") && none.excludes("milestone") && !none.excludes("task"));
        let epics = Containers::new(&types, |t| t == "epic");
        assert!(!epics.excludes("epic") && epics.excludes("milestone"));
        let mut epic = crate::model::Issue::new(
            crate::model::IssueId::parse("01J9X2ABCDEFGHJKMNPQRSTVWX").unwrap(),
            "Epic".into(),
            crate::model::Timestamp::parse("2030-01-01T00:00:00Z").unwrap(),
        );
        epic.kind = "epic".into();
        assert_eq!(claimable(&epic, false, NOW, &none), Claimable::No);
        assert_eq!(claimable(&epic, false, NOW, &epics), Claimable::Free);
    }

    #[test]
    fn moves_are_changes_of_holder_lease_or_an_explicit_state() {
        use crate::model::{IssueId, Timestamp};
        let t = Timestamp::parse("2030-01-01T00:00:00Z").unwrap();
        let base = Issue::new(
            IssueId::parse("01J9X2ABCDEFGHJKMNPQRSTVWX").unwrap(),
            "t".into(),
            t,
        );
        let with = |f: &dyn Fn(&mut Issue)| {
            let mut i = base.clone();
            f(&mut i);
            i
        };
        assert!(!is_move(&base, &with(&|i| i.title = "other".into())));
        assert!(
            !is_move(&base, &with(&|i| i.state = State::Backlog)),
            "derived"
        );
        assert!(is_move(&base, &with(&|i| i.state = State::Done)));
        assert!(is_move(&base, &with(&|i| i.state = State::InProgress)));
        assert!(is_move(
            &base,
            &with(&|i| i.assignee = Some("agent:x".into()))
        ));
        let held = with(&|i| i.assignee = Some("agent:x".into()));
        assert!(is_move(&held, &base), "unassigning");
    }

    #[test]
    fn leases_from_the_future_are_recognised() {
        let day = 86_400_000;
        assert!(!lease_in_future(NOW, Some(NOW + day), NOW));
        assert!(
            !lease_in_future(NOW + 60_000, Some(NOW + day), NOW),
            "a little skew"
        );
        assert!(
            lease_in_future(NOW + day, Some(NOW + 2 * day), NOW),
            "starts tomorrow"
        );
        assert!(
            lease_in_future(NOW, Some(NOW + 400 * day), NOW),
            "ends in 400 days"
        );
        assert!(!lease_in_future(NOW, Some(NOW + 365 * day), NOW));
        assert!(
            !lease_in_future(NOW - 10 * day, Some(NOW - day), NOW),
            "expired"
        );
    }

    #[test]
    fn held_follows_the_lease() {
        let f = |assigned, lease| F {
            state: State::InProgress,
            assigned,
            lease,
            deferred: None,
        };
        assert!(held(&f(true, None), NOW));
        assert!(held(&f(true, Some(NOW + 1)), NOW));
        assert!(!held(&f(true, Some(NOW)), NOW));
        assert!(!held(&f(false, None), NOW));
        let done = F {
            state: State::Done,
            assigned: true,
            lease: None,
            deferred: None,
        };
        assert!(!held(&done, NOW), "finished work is held by nobody");
    }

    #[test]
    fn gates_block_by_stage_and_state() {
        use GateStage::*;
        use GateState::*;
        use State::*;
        let rows: &[(State, Option<GateStage>, GateState, bool)] = &[
            (Ready, Some(Precheck), Pending, true),
            (Ready, Some(Postcheck), Pending, false),
            (Ready, None, Pending, false), // an unknown gate does not hold work back
            (Ready, Some(Postcheck), Failed, true),
            (InProgress, Some(Precheck), Pending, false), // already started
            (InProgress, Some(Postcheck), Failed, true),
            (Gated, Some(Postcheck), Pending, true),
            (Gated, None, Pending, true),
            (Gated, Some(Postcheck), Passed, false),
            (Done, Some(Postcheck), Pending, false),
        ];
        for (k, &(state, stage, status, want)) in rows.iter().enumerate() {
            assert_eq!(gate_blocks(state, stage, status), want, "row {k}");
        }
    }

    #[test]
    fn blocked_needs_an_open_issue() {
        let none = std::iter::empty::<(Option<GateStage>, GateState)>;
        assert!(blocked(State::Ready, [true, false].into_iter(), none()));
        assert!(!blocked(State::Ready, [true, true].into_iter(), none()));
        assert!(!blocked(State::Done, [false].into_iter(), none()));
        assert!(!blocked(State::Archived, [false].into_iter(), none()));
        assert!(blocked(
            State::InProgress,
            std::iter::empty(),
            [(Some(GateStage::Postcheck), GateState::Failed)].into_iter()
        ));
    }

    #[test]
    fn claim_keys_order_a_lifecycle() {
        use State::*;
        let life = [
            claim_key(1, InProgress, true),
            claim_key(1, Gated, true),
            claim_key(1, Done, false),
            claim_key(2, Ready, false), // reopened: a new epoch
            claim_key(3, InProgress, true),
            claim_key(3, Ready, false), // released
            claim_key(4, InProgress, true),
        ];
        assert!(life.windows(2).all(|w| w[0] < w[1]), "{life:?}");
        assert_eq!(claim_rank(Archived, false), claim_rank(Done, true));
    }

    #[test]
    fn derived_state_only_touches_backlog_and_ready() {
        assert_eq!(derived_state(State::Backlog, true), State::Ready);
        assert_eq!(derived_state(State::Ready, false), State::Backlog);
        assert_eq!(derived_state(State::Ready, true), State::Ready);
        for s in [
            State::InProgress,
            State::Gated,
            State::Done,
            State::Archived,
        ] {
            assert_eq!(derived_state(s, false), s);
            assert_eq!(derived_state(s, true), s);
        }
    }
}
