//! The query evaluator: decides whether an issue matches a parsed query, and orders issues by
//! the query's sort keys.
//!
//! Invariants: evaluation is total (it never fails and never panics, whatever the stored data:
//! a malformed `due` or a non-finite `estimate` simply matches no comparison); a term matches
//! when any of its alternatives does, then negation inverts it; a query matches when every term
//! does; an issue without a field never satisfies a comparison on that field; sorting is stable
//! and breaks ties by full id ascending, whatever the direction of the keys; issues missing a
//! sorted field (`due`, `estimate`) sort last in both directions. One evaluator serves whole
//! issue views and the summary index's records alike, through [`Subject`].

use super::lexer::Op;
use super::parser::{
    Cond, HasField, IsWhat, Pattern, SortField, SortKey, Term, day_number, parse_date,
};
use crate::model::{Priority, State, Timestamp};
use crate::rules::{self, Containers};
use crate::view::IssueView;
use chrono::NaiveDate;
use std::cmp::Ordering;

/// What the evaluator reads of one issue. Implemented for whole views and for the summary
/// index's records, so a query answers alike from either.
pub trait Subject {
    /// The canonical id.
    fn id(&self) -> &str;
    fn title(&self) -> &str;
    /// The state as shown: the derived `backlog`/`ready` for open work not started.
    fn state(&self) -> State;
    fn priority(&self) -> Priority;
    fn kind(&self) -> &str;
    fn labels(&self) -> impl Iterator<Item = &str>;
    fn milestone(&self) -> Option<&str>;
    fn assignee(&self) -> Option<&str>;
    fn reporter(&self) -> Option<&str>;
    /// The parent's canonical id.
    fn parent(&self) -> Option<&str>;
    fn created_ms(&self) -> i64;
    fn updated_ms(&self) -> i64;
    /// The due date as stored.
    fn due(&self) -> Option<&str>;
    fn estimate(&self) -> Option<f64>;
    fn blocked(&self) -> bool;
    /// The required gate keys.
    fn gates(&self) -> impl Iterator<Item = &str>;
    fn has_dependencies(&self) -> bool;
    fn has_lease(&self) -> bool;
    fn has_prs(&self) -> bool;
    fn has_comments(&self) -> bool;
    fn has_checklist(&self) -> bool;
    /// Whether the issue is internal (`visibility: internal`; absent counts as public).
    fn internal(&self) -> bool;
    /// Whether the title, the description or a comment body matches. Only whole issues know
    /// descriptions and comments: a query with a `text:` term is answered from whole issues
    /// (see `Query::needs_whole_issues`).
    fn text_matches(&self, p: &Pattern) -> bool;
    /// Whether the issue can be claimed at `now_ms`, containers left out as `containers` says:
    /// the one rule, [`rules::claimable`].
    fn claimable(&self, now_ms: i64, containers: &Containers) -> bool;
}

/// What a query is evaluated against besides the issue: the time it was parsed at, and the
/// container types `is:ready` leaves out.
pub struct Env<'a> {
    pub now_ms: i64,
    pub containers: &'a Containers,
}

impl Subject for IssueView {
    fn id(&self) -> &str {
        self.issue.id.as_str()
    }
    fn title(&self) -> &str {
        &self.issue.title
    }
    fn state(&self) -> State {
        self.issue.state
    }
    fn priority(&self) -> Priority {
        self.issue.priority
    }
    fn kind(&self) -> &str {
        &self.issue.kind
    }
    fn labels(&self) -> impl Iterator<Item = &str> {
        self.issue.labels.iter().map(String::as_str)
    }
    fn milestone(&self) -> Option<&str> {
        self.issue.milestone.as_deref()
    }
    fn assignee(&self) -> Option<&str> {
        self.issue.assignee.as_deref()
    }
    fn reporter(&self) -> Option<&str> {
        self.issue.reporter.as_deref()
    }
    fn parent(&self) -> Option<&str> {
        self.issue.parent.as_ref().map(|p| p.as_str())
    }
    fn created_ms(&self) -> i64 {
        self.issue.created_at.millis()
    }
    fn updated_ms(&self) -> i64 {
        self.issue.updated_at.millis()
    }
    fn due(&self) -> Option<&str> {
        self.issue.due.as_deref()
    }
    fn estimate(&self) -> Option<f64> {
        self.issue.estimate
    }
    fn blocked(&self) -> bool {
        self.blocked
    }
    fn gates(&self) -> impl Iterator<Item = &str> {
        self.issue.gates_required.iter().map(String::as_str)
    }
    fn has_dependencies(&self) -> bool {
        !self.issue.dependencies.is_empty()
    }
    fn has_lease(&self) -> bool {
        self.issue.lease.is_some()
    }
    fn has_prs(&self) -> bool {
        !self.issue.prs.is_empty()
    }
    fn has_comments(&self) -> bool {
        !self.issue.comments.is_empty()
    }
    fn has_checklist(&self) -> bool {
        !self.issue.checklist.is_empty()
    }
    fn internal(&self) -> bool {
        self.issue.is_internal()
    }
    fn text_matches(&self, p: &Pattern) -> bool {
        let i = &self.issue;
        p.matches(&i.title)
            || p.matches(&i.description)
            || i.comments.iter().any(|c| p.matches(&c.body))
    }
    fn claimable(&self, now_ms: i64, containers: &Containers) -> bool {
        rules::claimable(&self.issue, self.blocked, now_ms, containers).yes()
    }
}

/// Whether every term matches `v`.
pub fn matches_all(terms: &[Term], v: &impl Subject, env: &Env<'_>) -> bool {
    terms
        .iter()
        .all(|t| t.any.iter().any(|c| cond_matches(c, v, env)) != t.negated)
}

/// Compares two values with an operator: `a OP b`.
fn compare<T: PartialOrd>(op: Op, a: T, b: T) -> bool {
    match op {
        Op::Eq => a == b,
        Op::Gt => a > b,
        Op::Ge => a >= b,
        Op::Lt => a < b,
        Op::Le => a <= b,
    }
}

/// A stored optional text that is present and not blank.
fn present(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.trim().is_empty())
}

/// `None` in the condition asks for an absent value; a pattern asks for a present, matching one.
fn optional_matches(want: &Option<Pattern>, have: Option<&str>) -> bool {
    match (want, present(have)) {
        (None, have) => have.is_none(),
        (Some(p), Some(h)) => p.matches(h),
        (Some(_), None) => false,
    }
}

/// The due date of an issue, if it has a readable one.
fn due_date(i: &impl Subject) -> Option<NaiveDate> {
    let s = present(i.due())?;
    parse_date(s).or_else(|| Timestamp::parse(s).ok().map(|t| t.datetime().date_naive()))
}

/// The estimate of an issue, if it has a usable one.
fn estimate(i: &impl Subject) -> Option<f64> {
    i.estimate().filter(|e| e.is_finite())
}

fn cond_matches(c: &Cond, i: &impl Subject, env: &Env<'_>) -> bool {
    match c {
        Cond::State(s) => i.state() == *s,
        Cond::Priority(op, p) => compare(*op, i.priority(), *p),
        Cond::Type(p) => p.matches(i.kind()),
        Cond::Label(p) => i.labels().any(|l| p.matches(l)),
        Cond::Milestone(p) => optional_matches(p, i.milestone()),
        Cond::Assignee(p) => optional_matches(p, i.assignee()),
        Cond::Reporter(p) => optional_matches(p, i.reporter()),
        Cond::Parent(None) => i.parent().is_none(),
        Cond::Parent(Some(pre)) => i.parent().is_some_and(|id| pre.matches(id)),
        Cond::Id(pre) => pre.matches(i.id()),
        Cond::Created(r) => r.contains(i.created_ms()),
        Cond::Updated(r) => r.contains(i.updated_ms()),
        Cond::Due(r) => due_date(i).is_some_and(|d| r.contains(day_number(d))),
        Cond::Estimate(op, n) => estimate(i).is_some_and(|e| compare(*op, e, *n)),
        Cond::Text(p) => i.text_matches(p),
        Cond::Title(p) => p.matches(i.title()),
        Cond::Blocked(b) => i.blocked() == *b,
        Cond::Has(h) => has(*h, i),
        Cond::Gate(p) => i.gates().any(|g| p.matches(g)),
        Cond::Is(IsWhat::Open) => !i.state().is_closed(),
        Cond::Is(IsWhat::Closed) => i.state().is_closed(),
        Cond::Is(IsWhat::Ready) => i.claimable(env.now_ms, env.containers),
        Cond::Visibility(crate::model::Visibility::Internal) => i.internal(),
        Cond::Visibility(crate::model::Visibility::Public) => !i.internal(),
    }
}

/// Whether answering `c` needs more of an issue than its summary holds.
pub fn needs_whole_issue(c: &Cond) -> bool {
    match c {
        Cond::Text(_) => true,
        Cond::State(_)
        | Cond::Priority(..)
        | Cond::Type(_)
        | Cond::Label(_)
        | Cond::Milestone(_)
        | Cond::Assignee(_)
        | Cond::Reporter(_)
        | Cond::Parent(_)
        | Cond::Id(_)
        | Cond::Created(_)
        | Cond::Updated(_)
        | Cond::Due(_)
        | Cond::Estimate(..)
        | Cond::Title(_)
        | Cond::Blocked(_)
        | Cond::Has(_)
        | Cond::Gate(_)
        | Cond::Is(_)
        | Cond::Visibility(_) => false,
    }
}

fn has(h: HasField, i: &impl Subject) -> bool {
    match h {
        HasField::Pr => i.has_prs(),
        HasField::Assignee => present(i.assignee()).is_some(),
        HasField::Labels => i.labels().next().is_some(),
        HasField::Deps => i.has_dependencies(),
        HasField::Gates => i.gates().next().is_some(),
        HasField::Milestone => present(i.milestone()).is_some(),
        HasField::Due => present(i.due()).is_some(),
        HasField::Parent => i.parent().is_some(),
        HasField::Comments => i.has_comments(),
        HasField::Checklist => i.has_checklist(),
        HasField::Lease => i.has_lease(),
        HasField::Estimate => i.estimate().is_some(),
    }
}

/// Lower-cases character by character, the same way patterns are lower-cased.
fn fold(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

impl Pattern {
    /// Case-insensitive match of the whole of `s`; `*` matches any run of characters.
    pub fn matches(&self, s: &str) -> bool {
        let hay = fold(s);
        let Some((first, rest)) = self.segments.split_first() else {
            return hay.is_empty();
        };
        let Some((last, middle)) = rest.split_last() else {
            return hay == *first;
        };
        let Some(mut tail) = hay.strip_prefix(first.as_str()) else {
            return false;
        };
        // Leftmost placement of each middle segment leaves the most room for the rest.
        for seg in middle {
            match tail
                .find(seg.as_str())
                .and_then(|at| tail.get(at + seg.len()..))
            {
                Some(after) => tail = after,
                None => return false,
            }
        }
        tail.ends_with(last.as_str())
    }
}

/// Orders values that may be missing: missing sorts last whatever the direction.
fn missing_last<T>(
    a: Option<T>,
    b: Option<T>,
    cmp: impl Fn(&T, &T) -> Ordering,
    desc: bool,
) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => {
            let o = cmp(&x, &y);
            if desc { o.reverse() } else { o }
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn key_order<S: Subject>(k: &SortKey, a: &S, b: &S) -> Ordering {
    let dir = |o: Ordering| if k.descending { o.reverse() } else { o };
    match k.field {
        SortField::Priority => dir(a.priority().cmp(&b.priority())),
        SortField::Created => dir(a.created_ms().cmp(&b.created_ms())),
        SortField::Updated => dir(a.updated_ms().cmp(&b.updated_ms())),
        SortField::Title => dir(fold(a.title()).cmp(&fold(b.title()))),
        SortField::Id => dir(a.id().cmp(b.id())),
        SortField::State => dir(a.state().cmp(&b.state())),
        SortField::Due => missing_last(due_date(a), due_date(b), NaiveDate::cmp, k.descending),
        SortField::Estimate => missing_last(estimate(a), estimate(b), f64::total_cmp, k.descending),
    }
}

/// How `a` and `b` compare under `keys`, then by id ascending.
pub fn order<S: Subject>(keys: &[SortKey], a: &S, b: &S) -> Ordering {
    keys.iter()
        .map(|k| key_order(k, a, b))
        .find(|o| o.is_ne())
        .unwrap_or_else(|| a.id().cmp(b.id()))
}

/// Sorts `items` by `keys` in order, then by id ascending.
pub fn sort<S: Subject>(keys: &[SortKey], items: &mut [S]) {
    items.sort_by(|a, b| order(keys, a, b));
}

#[cfg(test)]
mod tests {
    use crate::model::{
        ChecklistItem, Comment, Issue, IssueId, Lease, Priority, PullRequest, State, Timestamp,
    };
    use crate::query::{Query, parse};
    use crate::view::IssueView;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn now() -> Timestamp {
        ts("2026-06-01T00:00:00Z")
    }

    /// A valid id whose short form is `n` padded to 8 digits.
    fn id(n: u32) -> IssueId {
        IssueId::parse(&format!("01J{n:023}")).unwrap()
    }

    fn issue(n: u32, title: &str) -> Issue {
        Issue::new(id(n), title.to_string(), now())
    }

    fn view(i: Issue) -> IssueView {
        IssueView::new(i, vec![])
    }

    fn q(s: &str) -> Query {
        parse(s, now()).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    /// Asserts which of the queries match the issue.
    fn check(i: &Issue, yes: &[&str], no: &[&str]) {
        let v = view(i.clone());
        for s in yes {
            assert!(q(s).matches(&v), "`{s}` should match {i:#?}");
        }
        for s in no {
            assert!(!q(s).matches(&v), "`{s}` should not match {i:#?}");
        }
    }

    #[test]
    fn empty_query_matches_everything() {
        check(&issue(1, "anything"), &["", "   "], &[]);
    }

    #[test]
    fn state() {
        let mut i = issue(1, "t");
        i.state = State::InProgress;
        check(
            &i,
            &[
                "state:in_progress",
                "state:ready|in_progress",
                "-state:done",
                "state:IN-PROGRESS",
            ],
            &["state:ready", "-state:in_progress", "state:done|archived"],
        );
    }

    #[test]
    fn priority_operators() {
        let mut i = issue(1, "t");
        i.priority = Priority::High;
        check(
            &i,
            &[
                "priority:high",
                "priority:=high",
                "priority:>=high",
                "priority:>normal",
                "priority:>=low",
                "priority:<critical",
                "priority:<=high",
                "priority:<=critical",
                "priority:high|critical",
                "priority:low|>=high",
            ],
            &[
                "priority:normal",
                "priority:>high",
                "priority:>=critical",
                "priority:<high",
                "priority:<=normal",
                "priority:low|normal",
                "-priority:>=high",
            ],
        );
    }

    #[test]
    fn type_label_and_wildcards() {
        let mut i = issue(1, "t");
        i.kind = "Bug".into();
        i.labels = vec!["ui-button".into(), "Été".into(), "needs-review".into()];
        check(
            &i,
            &[
                "type:bug",
                "type:BUG",
                "type:b*",
                "type:*g",
                "type:*",
                "label:ui-button",
                "label:UI-*",
                "label:*-review",
                "label:needs*view",
                "label:n*e*d*s*",
                "label:été",
                "label:ÉTÉ",
                "label:wontfix|ui-*",
                "-label:wontfix",
                "label:*",
            ],
            &[
                "type:task",
                "type:bu",
                "label:ui",
                "label:button",
                "label:ui-button-x",
                "label:*x*",
                "label:needs*view*x",
                "-label:ui-*",
                "label:wontfix",
            ],
        );
        // An issue without labels matches no label pattern, not even `*`.
        check(&issue(2, "t"), &["-label:*"], &["label:*", "label:x"]);
    }

    #[test]
    fn wildcards_match_runs_not_single_characters_only() {
        let mut i = issue(1, "t");
        i.labels = vec!["aXbXc".into()];
        check(
            &i,
            &[
                "label:a*c",
                "label:a*x*c",
                "label:*b*",
                "label:a**c",
                "label:*x*x*",
            ],
            &["label:a*x*x*x*c", "label:*cc", "label:aa*"],
        );
    }

    #[test]
    fn milestone_quoted_and_none() {
        let mut i = issue(1, "t");
        i.milestone = Some("Phase 1".into());
        check(
            &i,
            &[
                r#"milestone:"Phase 1""#,
                r#"milestone:"phase 1""#,
                r#"milestone:"Phase *""#,
                "milestone:Phase*",
                r#"milestone:"Phase 2"|"Phase 1""#,
                "-milestone:none",
            ],
            &[
                "milestone:Phase",
                "milestone:none",
                r#"milestone:"Phase 2""#,
            ],
        );
        check(
            &issue(2, "t"),
            &["milestone:none", "-milestone:*"],
            &["milestone:*", "milestone:\"none\""],
        );
        let mut named = issue(3, "t");
        named.milestone = Some("none".into());
        check(&named, &["milestone:\"none\""], &["milestone:none"]);
    }

    #[test]
    fn assignee_and_reporter() {
        let mut i = issue(1, "t");
        i.assignee = Some("agent:copilot-1".into());
        i.reporter = Some("human:Alice".into());
        check(
            &i,
            &[
                "assignee:agent:copilot-1",
                "assignee:AGENT:Copilot-1",
                "assignee:agent:*",
                "assignee:*:copilot-*",
                "assignee:human:*|agent:*",
                "-assignee:none",
                "-assignee:human:*",
                "reporter:human:alice",
                "reporter:human:*",
                "-reporter:none",
            ],
            &[
                "assignee:none",
                "assignee:human:*",
                "assignee:copilot-1",
                "assignee:agent",
                "reporter:none",
            ],
        );
        check(
            &issue(2, "t"),
            &["assignee:none", "reporter:none", "-assignee:*"],
            &["assignee:*", "assignee:agent:*", "-assignee:none"],
        );
    }

    #[test]
    fn blank_optional_text_counts_as_absent() {
        let mut i = issue(1, "t");
        i.assignee = Some("  ".into());
        i.milestone = Some(String::new());
        check(
            &i,
            &[
                "assignee:none",
                "milestone:none",
                "-has:assignee",
                "-has:milestone",
            ],
            &["assignee:*"],
        );
    }

    #[test]
    fn parent_and_id() {
        let mut child = issue(1, "child");
        child.parent = Some(id(77));
        // id(77) is 01J00000000000000000000077; its short id is 00000077.
        check(
            &child,
            &[
                "parent:01J",
                "parent:01j0000000000000000000007",
                "parent:00000077",
                "parent:000000",
                "-parent:none",
            ],
            &["parent:00000078", "parent:none", "parent:1"],
        );
        check(
            &issue(2, "top"),
            &["parent:none", "-parent:01J"],
            &["parent:01J"],
        );
        let i = issue(12345678, "t");
        check(
            &i,
            &[
                "id:01J00000000000000012345678",
                "id:01j000",
                "id:12345678",
                "id:1234",
                "id:12345678|99",
            ],
            &["id:99", "id:2345", "-id:1234"],
        );
    }

    #[test]
    fn created_and_updated_spans_compare_age() {
        // now is 2026-06-01T00:00:00Z
        let mut i = issue(1, "t");
        i.created_at = ts("2026-05-20T00:00:00Z"); // 12 days old
        i.updated_at = ts("2026-05-31T12:00:00Z"); // 12 hours old
        check(
            &i,
            &[
                "created:>7d",
                "created:>=12d",
                "created:<=12d",
                "created:<2w",
                "created:>1w",
                "updated:<24h",
                "updated:<=12h",
                "updated:>=12h",
                "updated:>11h59m",
                "updated:<1h|>6h",
                "created:>7d updated:<1d",
            ],
            &[
                "created:<7d",
                "created:>12d",
                "created:<12d",
                "updated:>24h",
                "updated:<12h",
                "updated:<90s",
            ],
        );
    }

    #[test]
    fn created_and_updated_dates_compare_the_time() {
        let mut i = issue(1, "t");
        i.created_at = ts("2026-01-01T10:00:00Z");
        i.updated_at = ts("2026-03-15T23:59:59.999Z");
        check(
            &i,
            &[
                "created:2026-01-01",
                "created:=2026-01-01",
                "created:>=2026-01-01",
                "created:<=2026-01-01",
                "created:>2025-12-31",
                "created:<2026-01-02",
                "created:>2026-01-01T09:59:59Z",
                "created:<2026-01-01T10:00:00.001Z",
                "created:2026-01-01T10:00:00Z",
                "created:2026-01-01T12:00:00+02:00",
                "updated:2026-03-15",
                "updated:<2026-03-16",
            ],
            &[
                "created:>2026-01-01",
                "created:<2026-01-01",
                "created:2026-01-02",
                "created:>2026-01-01T10:00:00Z",
                "updated:>2026-03-15",
                "updated:2026-03-16",
            ],
        );
    }

    #[test]
    fn due_dates() {
        let mut i = issue(1, "t");
        i.due = Some("2026-11-30".into());
        check(
            &i,
            &[
                "due:<2026-12-01",
                "due:2026-11-30",
                "due:<=2026-11-30",
                "due:>2026-11-01",
                "due:>=2026-11-30",
                "has:due",
            ],
            &[
                "due:>2026-11-30",
                "due:<2026-11-30",
                "due:2026-12-01",
                "-has:due",
            ],
        );
        // Without a due date (or with an unreadable one) no comparison matches; negation does.
        let none = issue(2, "t");
        check(
            &none,
            &["-due:<2026-12-01", "-has:due"],
            &["due:<2026-12-01", "due:>2000-01-01", "due:2026-11-30"],
        );
        let mut junk = issue(3, "t");
        junk.due = Some("next week".into());
        check(
            &junk,
            &["has:due", "-due:>2000-01-01"],
            &["due:>2000-01-01", "due:<2999-01-01"],
        );
        // A due date written as a full time still compares by its day.
        let mut full = issue(4, "t");
        full.due = Some("2026-11-30T12:00:00Z".into());
        check(&full, &["due:2026-11-30"], &["due:>2026-11-30"]);
    }

    #[test]
    fn estimates() {
        let mut i = issue(1, "t");
        i.estimate = Some(3.0);
        check(
            &i,
            &[
                "estimate:3",
                "estimate:=3.0",
                "estimate:>2.5",
                "estimate:>=3",
                "estimate:<4",
                "estimate:<=3",
                "estimate:1|3",
            ],
            &["estimate:>3", "estimate:<3", "estimate:2", "estimate:>=3.5"],
        );
        check(
            &issue(2, "t"),
            &["-estimate:>0", "-has:estimate"],
            &["estimate:>0", "estimate:<0", "estimate:0"],
        );
        let mut nan = issue(3, "t");
        nan.estimate = Some(f64::NAN);
        check(&nan, &["has:estimate"], &["estimate:>0", "estimate:<0"]);
    }

    #[test]
    fn text_searches_title_description_and_comments() {
        let mut i = issue(1, "Login page crashes");
        i.description = "Steps: open the SETTINGS screen".into();
        i.comments = vec![Comment {
            id: "c1".into(),
            author: "human:bob".into(),
            at: now(),
            body: "Seen on Safari 17 — ñandú".into(),
        }];
        check(
            &i,
            &[
                "login",
                "LOGIN",
                "text:crash",
                "\"page crashes\"",
                "text:\"login page\"",
                "settings",
                "safari",
                "ÑANDÚ",
                "text:login*crash",
                "nope|safari",
                "-nope",
                "login safari",
                "title:login",
                "title:\"PAGE CRASH\"",
            ],
            &[
                "logout",
                "-login",
                "\"login crashes\"",
                "text:crash*login",
                "title:settings",
                "title:safari",
                // A pattern does not span two fields.
                "text:crashes*steps",
                "login logout",
            ],
        );
    }

    #[test]
    fn blocked() {
        let mut v = view(issue(1, "t"));
        assert!(q("blocked:false").matches(&v));
        assert!(!q("blocked:true").matches(&v));
        v.blocked = true;
        assert!(q("blocked:true").matches(&v));
        assert!(q("-blocked:false").matches(&v));
        assert!(!q("blocked:false").matches(&v));
        assert!(q("blocked:false|true").matches(&v));
    }

    #[test]
    fn has_each_field() {
        let bare = issue(1, "t");
        let mut full = issue(2, "t");
        full.prs = vec![PullRequest {
            url: "https://example.com/pr/1".into(),
            number: Some(1),
            title: None,
            status: None,
            branch: None,
            commit: None,
            ci: None,
            updated_at: None,
        }];
        full.assignee = Some("agent:a".into());
        full.labels = vec!["x".into()];
        full.dependencies = vec![id(9)];
        full.gates_required = vec!["review".into()];
        full.milestone = Some("M1".into());
        full.due = Some("2026-07-01".into());
        full.parent = Some(id(8));
        full.comments = vec![Comment {
            id: "c".into(),
            author: "human:a".into(),
            at: now(),
            body: "b".into(),
        }];
        full.checklist = vec![ChecklistItem {
            id: "k".into(),
            text: "works".into(),
            checked: false,
            checked_by: None,
            checked_at: None,
        }];
        full.lease = Some(Lease {
            holder: "agent:a".into(),
            acquired_at: now(),
            expires_at: None,
            ttl_secs: None,
        });
        full.estimate = Some(1.0);
        for what in [
            "pr",
            "assignee",
            "labels",
            "deps",
            "gates",
            "milestone",
            "due",
            "parent",
            "comments",
            "checklist",
            "lease",
            "estimate",
        ] {
            let has = format!("has:{what}");
            let has_not = format!("-has:{what}");
            check(&full, &[&has], &[&has_not]);
            check(&bare, &[&has_not], &[&has]);
        }
    }

    #[test]
    fn gates_and_open_closed() {
        let mut i = issue(1, "t");
        i.gates_required = vec!["unit-tests".into(), "review".into()];
        check(
            &i,
            &[
                "gate:review",
                "gate:unit-*",
                "gate:REVIEW",
                "-gate:lint",
                "is:open",
                "-is:closed",
            ],
            &["gate:lint", "gate:unit", "is:closed"],
        );
        for (s, open) in [
            (State::Backlog, true),
            (State::Ready, true),
            (State::InProgress, true),
            (State::Gated, true),
            (State::Done, false),
            (State::Archived, false),
        ] {
            let mut i = issue(1, "t");
            i.state = s;
            let v = view(i);
            assert_eq!(q("is:open").matches(&v), open, "{s}");
            assert_eq!(q("is:closed").matches(&v), !open, "{s}");
            assert!(q("is:open|closed").matches(&v));
        }
    }

    #[test]
    fn terms_are_anded_alternatives_ored() {
        let mut i = issue(1, "Fix login");
        i.state = State::Ready;
        i.priority = Priority::Critical;
        i.labels = vec!["bug".into()];
        i.assignee = Some("agent:copilot-2".into());
        check(
            &i,
            &[
                "state:ready priority:>=high -label:wontfix",
                "assignee:agent:* label:bug|feature login",
                "state:ready|done priority:critical",
                "sort:-priority",
            ],
            &[
                "state:ready priority:>=high label:wontfix",
                "state:ready state:done",
                "state:ready -login",
            ],
        );
    }

    /// Issue number, priority, title, due date, estimate.
    type Spec<'a> = (u32, Priority, &'a str, Option<&'a str>, Option<f64>);

    fn views(spec: &[Spec]) -> Vec<IssueView> {
        spec.iter()
            .map(|(n, p, title, due, est)| {
                let mut i = issue(*n, title);
                i.priority = *p;
                i.due = due.map(String::from);
                i.estimate = *est;
                view(i)
            })
            .collect()
    }

    fn order(query: &str, mut v: Vec<IssueView>) -> Vec<String> {
        q(query).sort(&mut v);
        v.iter()
            .map(|v| v.short_id.trim_start_matches('0').to_string())
            .collect()
    }

    #[test]
    fn sort_by_priority_ties_by_id_ascending() {
        use Priority::*;
        let v = views(&[
            (3, Normal, "c", None, None),
            (1, High, "a", None, None),
            (4, Critical, "d", None, None),
            (2, High, "b", None, None),
            (5, Low, "e", None, None),
        ]);
        assert_eq!(
            order("sort:-priority", v.clone()),
            ["4", "1", "2", "3", "5"]
        );
        assert_eq!(order("sort:priority", v.clone()), ["5", "3", "1", "2", "4"]);
        // No sort keys: id order.
        assert_eq!(order("", v.clone()), ["1", "2", "3", "4", "5"]);
        assert_eq!(order("sort:-id", v), ["5", "4", "3", "2", "1"]);
    }

    #[test]
    fn several_sort_keys_apply_in_order() {
        use Priority::*;
        let v = views(&[
            (1, High, "b", None, None),
            (2, High, "A", None, None),
            (3, Low, "a", None, None),
            (4, Low, "c", None, None),
        ]);
        assert_eq!(
            order("sort:-priority sort:title", v.clone()),
            ["2", "1", "3", "4"]
        );
        assert_eq!(
            order("sort:-priority sort:-title", v.clone()),
            ["1", "2", "4", "3"]
        );
        // Titles compare case-insensitively; equal titles fall back to id.
        assert_eq!(order("sort:title", v.clone()), ["2", "3", "1", "4"]);
        assert_eq!(order("sort:title sort:-priority", v), ["2", "3", "1", "4"]);
    }

    #[test]
    fn sort_by_due_and_estimate_puts_missing_last() {
        use Priority::*;
        let v = views(&[
            (1, Normal, "t", None, Some(2.0)),
            (2, Normal, "t", Some("2026-07-01"), None),
            (3, Normal, "t", Some("2026-06-15"), Some(5.0)),
            (4, Normal, "t", Some("junk"), Some(0.5)),
            (5, Normal, "t", Some("2026-08-01"), Some(f64::NAN)),
        ]);
        assert_eq!(order("sort:due", v.clone()), ["3", "2", "5", "1", "4"]);
        assert_eq!(order("sort:-due", v.clone()), ["5", "2", "3", "1", "4"]);
        assert_eq!(order("sort:estimate", v.clone()), ["4", "1", "3", "2", "5"]);
        assert_eq!(order("sort:-estimate", v), ["3", "1", "4", "2", "5"]);
    }

    #[test]
    fn sort_by_times_and_state() {
        let mut a = issue(1, "t");
        a.created_at = ts("2026-05-03T00:00:00Z");
        a.updated_at = ts("2026-05-10T00:00:00Z");
        a.state = State::Done;
        let mut b = issue(2, "t");
        b.created_at = ts("2026-05-01T00:00:00Z");
        b.updated_at = ts("2026-05-30T00:00:00Z");
        b.state = State::Backlog;
        let mut c = issue(3, "t");
        c.created_at = ts("2026-05-02T00:00:00Z");
        c.updated_at = ts("2026-05-20T00:00:00Z");
        c.state = State::InProgress;
        let v = vec![view(a), view(b), view(c)];
        assert_eq!(order("sort:created", v.clone()), ["2", "3", "1"]);
        assert_eq!(order("sort:-created", v.clone()), ["1", "3", "2"]);
        assert_eq!(order("sort:updated", v.clone()), ["1", "3", "2"]);
        assert_eq!(order("sort:-updated", v.clone()), ["2", "3", "1"]);
        assert_eq!(order("sort:state", v.clone()), ["2", "3", "1"]);
        assert_eq!(order("sort:-state", v), ["1", "3", "2"]);
    }

    #[test]
    fn sort_is_stable_and_deterministic_on_ties() {
        use Priority::*;
        let v = views(&[
            (9, Normal, "t", None, None),
            (7, Normal, "t", None, None),
            (8, Normal, "t", None, None),
        ]);
        let forward = order("sort:priority sort:title", v.clone());
        let mut reversed = v;
        reversed.reverse();
        assert_eq!(forward, ["7", "8", "9"]);
        assert_eq!(order("sort:priority sort:title", reversed), forward);
    }
}
