//! When work started and finished, and when a deferral ends: the stamps a transaction keeps on
//! an issue as its state moves (`started_at`, `finished_at`, `deferred_until`).
//!
//! Invariants (pure: the caller passes the state the transaction read and its time):
//! - `started_at` is set when the issue enters `in_progress` and has none yet, so it is the
//!   start of the latest run of work; `finished_at` is set when it enters `done`.
//! - Reopening (a closed issue back to an open state) clears both: the next run is timed anew.
//! - Starting or closing work ends a deferral: `deferred_until` only sets aside work nobody has
//!   taken up.

use crate::model::{Issue, State, Timestamp};

/// Stamps `issue` (about to be written) for its move from `before` (`None`: a new issue).
pub fn stamp(before: Option<State>, issue: &mut Issue, now: Timestamp) {
    let Some(before) = before else {
        return;
    };
    if before == issue.state {
        return;
    }
    if before.is_closed() && !issue.state.is_closed() {
        issue.started_at = None;
        issue.finished_at = None;
    }
    match issue.state {
        State::InProgress => {
            if issue.started_at.is_none() {
                issue.started_at = Some(now);
            }
            issue.deferred_until = None;
        }
        State::Done => {
            issue.finished_at = Some(now);
            issue.deferred_until = None;
        }
        State::Archived => issue.deferred_until = None,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IssueId;

    fn issue(state: State) -> Issue {
        let mut i = Issue::new(
            IssueId::parse("01JABCDEFGHJKMNPQRSTVWXYZ0").unwrap(),
            "t".into(),
            Timestamp::from_millis(0),
        );
        i.state = state;
        i
    }

    #[test]
    fn a_run_of_work_is_timed_from_its_first_start_to_done() {
        let t = Timestamp::from_millis;
        let mut i = issue(State::InProgress);
        i.deferred_until = Some(t(99));
        stamp(Some(State::Ready), &mut i, t(10));
        assert_eq!((i.started_at, i.deferred_until), (Some(t(10)), None));
        // Given back and taken again: still the same start.
        i.state = State::Ready;
        stamp(Some(State::InProgress), &mut i, t(20));
        i.state = State::InProgress;
        stamp(Some(State::Ready), &mut i, t(30));
        assert_eq!(i.started_at, Some(t(10)));
        i.state = State::Done;
        stamp(Some(State::InProgress), &mut i, t(40));
        assert_eq!(i.finished_at, Some(t(40)));
        // Rewritten without a move: nothing changes.
        stamp(Some(State::Done), &mut i, t(50));
        assert_eq!(i.finished_at, Some(t(40)));
        // Reopened: the next run is timed anew.
        i.state = State::Ready;
        stamp(Some(State::Done), &mut i, t(60));
        assert_eq!((i.started_at, i.finished_at), (None, None));
    }

    #[test]
    fn new_issues_and_moves_between_open_states_are_not_stamped() {
        let mut i = issue(State::InProgress);
        stamp(None, &mut i, Timestamp::from_millis(5));
        assert_eq!(i.started_at, None);
        let mut j = issue(State::Ready);
        stamp(Some(State::Backlog), &mut j, Timestamp::from_millis(5));
        assert_eq!((j.started_at, j.finished_at), (None, None));
    }
}
