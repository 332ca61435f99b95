//! The query parser: turns lexed terms into typed conditions and sort keys, validating every
//! key and value.
//!
//! Invariants: a successfully parsed [`Query`] holds only well-formed conditions (known keys,
//! valid states and priorities, comparisons only on ordered keys, parsed times and numbers), so
//! evaluation cannot fail; times given as spans are resolved against the `now` passed to
//! [`parse`], once; every error is [`crate::error::Error::InvalidQuery`] pointing at the most
//! specific offending piece of the input (the key, the value or the whole term).

use super::Query;
use super::lexer::{self, Alt, Op, RawTerm, error};
use crate::error::{Error, Result};
use crate::model::{IdPrefix, Priority, State, Timestamp, time::parse_duration};
use chrono::NaiveDate;

/// One condition: a key and one value (alternatives are separate conditions).
#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    State(State),
    Priority(Op, Priority),
    Type(Pattern),
    Label(Pattern),
    /// `None`: the issue has no milestone.
    Milestone(Option<Pattern>),
    /// `None`: the issue is unassigned.
    Assignee(Option<Pattern>),
    /// `None`: the issue has no reporter.
    Reporter(Option<Pattern>),
    /// `None`: the issue has no parent.
    Parent(Option<IdPrefix>),
    Id(IdPrefix),
    /// Creation time in milliseconds since the epoch falls in the range.
    Created(Range),
    /// Last update time in milliseconds since the epoch falls in the range.
    Updated(Range),
    /// The due date, in days since the common era, falls in the range.
    Due(Range),
    Estimate(Op, f64),
    /// Substring of the title, the description or a comment body.
    Text(Pattern),
    /// Substring of the title.
    Title(Pattern),
    Blocked(bool),
    Has(HasField),
    Gate(Pattern),
    Is(IsWhat),
    /// Who may see it in exports (absent counts as public, as `--public` treats it).
    Visibility(crate::model::Visibility),
}

/// One term: any of its alternatives matching makes it match, then negation applies.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    pub negated: bool,
    pub any: Vec<Cond>,
}

/// An inclusive range of integers (milliseconds or days); open ends are `i64::MIN`/`i64::MAX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub min: i64,
    pub max: i64,
}

impl Range {
    const ALL: Range = Range {
        min: i64::MIN,
        max: i64::MAX,
    };

    /// Whether `x` lies in the range.
    pub fn contains(&self, x: i64) -> bool {
        self.min <= x && x <= self.max
    }

    /// The range of `x` such that `x OP v`.
    fn point(op: Op, v: i64) -> Range {
        match op {
            Op::Eq => Range { min: v, max: v },
            Op::Gt => Range {
                min: v.saturating_add(1),
                ..Range::ALL
            },
            Op::Ge => Range {
                min: v,
                ..Range::ALL
            },
            Op::Lt => Range {
                max: v.saturating_sub(1),
                ..Range::ALL
            },
            Op::Le => Range {
                max: v,
                ..Range::ALL
            },
        }
    }

    /// The range of `x` such that `x OP [start, end)`, treating the span as one unit (a day):
    /// `>` is after the whole span, `<=` is up to its end, `=` is within it.
    fn span(op: Op, start: i64, end: i64) -> Range {
        let last = end.saturating_sub(1);
        match op {
            Op::Eq => Range {
                min: start,
                max: last,
            },
            Op::Gt => Range {
                min: end,
                ..Range::ALL
            },
            Op::Ge => Range {
                min: start,
                ..Range::ALL
            },
            Op::Lt => Range {
                max: start.saturating_sub(1),
                ..Range::ALL
            },
            Op::Le => Range {
                max: last,
                ..Range::ALL
            },
        }
    }
}

/// What `has:` asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HasField {
    Pr,
    Assignee,
    Labels,
    Deps,
    Gates,
    Milestone,
    Due,
    Parent,
    Comments,
    Checklist,
    Lease,
    Estimate,
}

/// The `has:` values and their spellings (the first of each is the documented one).
const HAS: &[(&str, HasField)] = &[
    ("pr", HasField::Pr),
    ("prs", HasField::Pr),
    ("assignee", HasField::Assignee),
    ("labels", HasField::Labels),
    ("label", HasField::Labels),
    ("deps", HasField::Deps),
    ("dep", HasField::Deps),
    ("dependencies", HasField::Deps),
    ("gates", HasField::Gates),
    ("gate", HasField::Gates),
    ("milestone", HasField::Milestone),
    ("due", HasField::Due),
    ("parent", HasField::Parent),
    ("comments", HasField::Comments),
    ("comment", HasField::Comments),
    ("checklist", HasField::Checklist),
    ("lease", HasField::Lease),
    ("estimate", HasField::Estimate),
];

const HAS_DOC: &str = "pr, assignee, labels, deps, gates, milestone, due, parent, comments, checklist, lease, estimate";

/// What `is:` asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IsWhat {
    /// Not done and not archived.
    Open,
    /// Done or archived.
    Closed,
    /// Claimable now by the one rule (`rules::claimable`): what `query ready` lists.
    Ready,
}

/// A field to sort by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortField {
    Priority,
    Created,
    Updated,
    Due,
    Title,
    Id,
    State,
    Estimate,
}

const SORT_FIELDS: &[(&str, SortField)] = &[
    ("priority", SortField::Priority),
    ("created", SortField::Created),
    ("updated", SortField::Updated),
    ("due", SortField::Due),
    ("title", SortField::Title),
    ("id", SortField::Id),
    ("state", SortField::State),
    ("estimate", SortField::Estimate),
];

/// One sort key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortKey {
    pub field: SortField,
    pub descending: bool,
}

/// A case-insensitive pattern: the value split at its `*` wildcards, lower-cased once here.
///
/// `bug` is `["bug"]` (the whole value must equal it), `ui-*` is `["ui-", ""]`, `*login*` is
/// `["", "login", ""]`. There is always at least one segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    pub(super) segments: Vec<String>,
}

impl Pattern {
    fn from_alt(alt: &Alt) -> Pattern {
        let mut segments = vec![String::new()];
        for p in &alt.pieces {
            match p {
                lexer::Piece::Char(c) => {
                    if let Some(last) = segments.last_mut() {
                        last.extend(c.to_lowercase());
                    }
                }
                lexer::Piece::Star => segments.push(String::new()),
            }
        }
        Pattern { segments }
    }

    /// The same pattern with `*` on both ends: a substring search.
    fn substring(mut self) -> Pattern {
        if self.segments.len() < 2 || self.segments.first().is_some_and(|s| !s.is_empty()) {
            self.segments.insert(0, String::new());
        }
        if self.segments.last().is_some_and(|s| !s.is_empty()) {
            self.segments.push(String::new());
        }
        self
    }

    /// True when the pattern is only wildcards: it would match anything.
    fn is_only_wildcards(&self) -> bool {
        self.segments.iter().all(String::is_empty)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    State,
    Priority,
    Type,
    Label,
    Milestone,
    Assignee,
    Reporter,
    Parent,
    Id,
    Created,
    Updated,
    Due,
    Estimate,
    Text,
    Title,
    Blocked,
    Has,
    Gate,
    Is,
    Visibility,
    Sort,
}

const KEYS: &[(&str, Key)] = &[
    ("state", Key::State),
    ("priority", Key::Priority),
    ("type", Key::Type),
    ("label", Key::Label),
    ("milestone", Key::Milestone),
    ("assignee", Key::Assignee),
    ("reporter", Key::Reporter),
    ("parent", Key::Parent),
    ("id", Key::Id),
    ("created", Key::Created),
    ("updated", Key::Updated),
    ("due", Key::Due),
    ("estimate", Key::Estimate),
    ("text", Key::Text),
    ("title", Key::Title),
    ("blocked", Key::Blocked),
    ("has", Key::Has),
    ("gate", Key::Gate),
    ("is", Key::Is),
    ("visibility", Key::Visibility),
    ("sort", Key::Sort),
];

impl Key {
    fn name(self) -> &'static str {
        KEYS.iter()
            .find(|(_, k)| *k == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }

    /// Keys whose values may be compared with `>`, `>=`, `<`, `<=`.
    fn is_ordered(self) -> bool {
        matches!(
            self,
            Key::Priority | Key::Created | Key::Updated | Key::Due | Key::Estimate
        )
    }

    /// Keys whose values may hold `*` wildcards.
    fn takes_wildcards(self) -> bool {
        matches!(
            self,
            Key::Type
                | Key::Label
                | Key::Milestone
                | Key::Assignee
                | Key::Reporter
                | Key::Text
                | Key::Title
                | Key::Gate
        )
    }
}

/// The comma-separated names of a table's entries, for messages.
fn names<T>(table: &[(&str, T)]) -> String {
    table.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

fn names_of(all: impl IntoIterator<Item = &'static str>) -> String {
    all.into_iter().collect::<Vec<_>>().join(", ")
}

/// Parses a query string; `now` anchors spans such as `created:>7d`.
pub fn parse(input: &str, now: Timestamp) -> Result<Query> {
    let mut query = Query {
        now_ms: now.millis(),
        ..Query::default()
    };
    for raw in lexer::lex(input)? {
        let Some(key_src) = &raw.key else {
            // A bare word or quoted string searches text.
            let any = raw
                .alts
                .iter()
                .map(|a| text_cond(a, Key::Text))
                .collect::<Result<_>>()?;
            query.terms.push(Term {
                negated: raw.negated,
                any,
            });
            continue;
        };
        let lower = key_src.text.to_lowercase();
        let Some(key) = KEYS.iter().find(|(n, _)| *n == lower).map(|(_, k)| *k) else {
            return Err(error(
                key_src.pos,
                key_src.text.clone(),
                format!(
                    "unknown key `{}`; known keys: {}; to search for text containing `:`, \
                     quote it (`\"{}\"`)",
                    key_src.text,
                    names(KEYS),
                    raw.src.text.trim_start_matches('-').replace('"', "\\\""),
                ),
            ));
        };
        if key == Key::Sort {
            query.sort.push(sort_key(&raw)?);
            continue;
        }
        let any = raw
            .alts
            .iter()
            .map(|a| cond(key, a, now))
            .collect::<Result<_>>()?;
        query.terms.push(Term {
            negated: raw.negated,
            any,
        });
    }
    Ok(query)
}

fn sort_key(raw: &RawTerm) -> Result<SortKey> {
    if raw.negated {
        return Err(error(
            raw.src.pos,
            raw.src.text.clone(),
            "`sort:` cannot be negated; for descending order write `sort:-FIELD`",
        ));
    }
    let [alt] = raw.alts.as_slice() else {
        return Err(error(
            raw.src.pos,
            raw.src.text.clone(),
            "`sort:` takes one field; write one `sort:` term per field, in order",
        ));
    };
    let bad = || {
        error(
            alt.src.pos,
            alt.src.text.clone(),
            format!(
                "cannot sort by `{}`; sort fields: {} (prefix `-` for descending)",
                alt.src.text,
                names(SORT_FIELDS)
            ),
        )
    };
    if alt.op != Op::Eq {
        return Err(bad());
    }
    let text = alt.literal().ok_or_else(bad)?.to_lowercase();
    let (descending, name) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let field = SORT_FIELDS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
        .ok_or_else(bad)?;
    Ok(SortKey { field, descending })
}

/// Checks what every value must satisfy, then builds the condition for one alternative.
fn cond(key: Key, alt: &Alt, now: Timestamp) -> Result<Cond> {
    if alt.op != Op::Eq && !key.is_ordered() {
        return Err(error(
            alt.src.pos,
            alt.src.text.clone(),
            format!(
                "`{}` cannot be compared with `{}`; only priority, created, updated, due and \
                 estimate are ordered",
                key.name(),
                alt.op.as_str()
            ),
        ));
    }
    if alt.pieces.is_empty() {
        return Err(error(
            alt.src.pos,
            alt.src.text.clone(),
            format!(
                "`{}:` has an empty value; give a value to match",
                key.name()
            ),
        ));
    }
    if alt.has_wildcard() && !key.takes_wildcards() {
        return Err(error(
            alt.src.pos,
            alt.src.text.clone(),
            format!(
                "`{}` does not take `*` wildcards; they work for type, label, milestone, \
                 assignee, reporter, gate, text and title (write `\\*` inside quotes for a \
                 literal star)",
                key.name()
            ),
        ));
    }
    // Wildcards were ruled out above for every key that reads `value`.
    let value = alt.literal().unwrap_or_default();
    let bad = |message: String| error(alt.src.pos, alt.src.text.clone(), message);
    // An unquoted `none` means "no value" for optional single-valued fields.
    let is_none = !alt.quoted && value.eq_ignore_ascii_case("none");
    let optional = |f: fn(Option<Pattern>) -> Cond| {
        Ok(f(if is_none {
            None
        } else {
            Some(Pattern::from_alt(alt))
        }))
    };
    match key {
        Key::State => value.parse::<State>().map(Cond::State).map_err(|_| {
            bad(format!(
                "unknown state `{value}`; valid states: {}",
                names_of(State::ALL.iter().map(|s| s.as_str()))
            ))
        }),
        Key::Priority => value
            .parse::<Priority>()
            .map(|p| Cond::Priority(alt.op, p))
            .map_err(|_| {
                bad(format!(
                    "unknown priority `{value}`; valid priorities, lowest first: {}",
                    names_of(Priority::ALL.iter().map(|p| p.as_str()))
                ))
            }),
        Key::Type => Ok(Cond::Type(Pattern::from_alt(alt))),
        Key::Label => Ok(Cond::Label(Pattern::from_alt(alt))),
        Key::Gate => Ok(Cond::Gate(Pattern::from_alt(alt))),
        Key::Milestone => optional(Cond::Milestone),
        Key::Assignee => optional(Cond::Assignee),
        Key::Reporter => optional(Cond::Reporter),
        Key::Parent if is_none => Ok(Cond::Parent(None)),
        Key::Parent | Key::Id => {
            let prefix = IdPrefix::parse(&value).map_err(|e| {
                let reason = match e {
                    Error::InvalidId { reason, .. } => reason,
                    other => other.to_string(),
                };
                bad(format!(
                    "`{value}` is not an id, short id or id prefix: {reason}"
                ))
            })?;
            Ok(if key == Key::Id {
                Cond::Id(prefix)
            } else {
                Cond::Parent(Some(prefix))
            })
        }
        Key::Created => time_range(alt, &value, now).map(Cond::Created),
        Key::Updated => time_range(alt, &value, now).map(Cond::Updated),
        Key::Due => {
            let day = parse_date(&value).ok_or_else(|| {
                bad(format!(
                    "`{value}` is not a date; write the due date as YYYY-MM-DD"
                ))
            })?;
            Ok(Cond::Due(Range::point(alt.op, day_number(day))))
        }
        Key::Estimate => match value.trim().parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(Cond::Estimate(alt.op, n)),
            _ => Err(bad(format!(
                "`{value}` is not a number; write an estimate like `3` or `0.5`"
            ))),
        },
        Key::Text | Key::Title => text_cond(alt, key),
        Key::Blocked => match value.to_ascii_lowercase().as_str() {
            "true" => Ok(Cond::Blocked(true)),
            "false" => Ok(Cond::Blocked(false)),
            _ => Err(bad(format!(
                "`blocked:` takes true or false, not `{value}`"
            ))),
        },
        Key::Has => {
            let lower = value.to_ascii_lowercase();
            HAS.iter()
                .find(|(n, _)| *n == lower)
                .map(|(_, h)| Cond::Has(*h))
                .ok_or_else(|| {
                    bad(format!(
                        "`has:{value}` is not something an issue can have; one of: {HAS_DOC}"
                    ))
                })
        }
        Key::Is => match value.to_ascii_lowercase().as_str() {
            "open" => Ok(Cond::Is(IsWhat::Open)),
            "closed" => Ok(Cond::Is(IsWhat::Closed)),
            "ready" => Ok(Cond::Is(IsWhat::Ready)),
            _ => Err(bad(format!(
                "`is:` takes open, closed or ready, not `{value}`"
            ))),
        },
        Key::Visibility => value
            .parse::<crate::model::Visibility>()
            .map(Cond::Visibility)
            .map_err(|_| {
                bad(format!(
                    "`visibility:` takes internal or public, not `{value}`"
                ))
            }),
        // Sort terms never reach here.
        Key::Sort => Err(bad("`sort:` is not a condition".to_string())),
    }
}

/// A text or title search: a case-insensitive substring, `*` matching any run.
fn text_cond(alt: &Alt, key: Key) -> Result<Cond> {
    let p = Pattern::from_alt(alt);
    if p.is_only_wildcards() {
        return Err(error(
            alt.src.pos,
            alt.src.text.clone(),
            "empty search text; give some text to look for",
        ));
    }
    let p = p.substring();
    Ok(if key == Key::Title {
        Cond::Title(p)
    } else {
        Cond::Text(p)
    })
}

/// The range of timestamps (in milliseconds) that `created:`/`updated:` with this value select.
///
/// A span compares the age, `now - time`: `>7d` is older than 7 days, `<24h` is within the last
/// 24 hours. A date is a whole UTC day: `>D` is after that day, `<D` before it, `=D` on it. An
/// RFC 3339 time compares the instant.
fn time_range(alt: &Alt, value: &str, now: Timestamp) -> Result<Range> {
    let bad = |message: String| error(alt.src.pos, alt.src.text.clone(), message);
    if let Ok(span) = parse_duration(value) {
        let span_ms = i64::try_from(span.as_millis()).unwrap_or(i64::MAX);
        let cutoff = now.millis().saturating_sub(span_ms);
        // age OP span  <=>  time (reversed OP) cutoff
        return match alt.op {
            Op::Gt => Ok(Range::point(Op::Lt, cutoff)),
            Op::Ge => Ok(Range::point(Op::Le, cutoff)),
            Op::Lt => Ok(Range::point(Op::Gt, cutoff)),
            Op::Le => Ok(Range::point(Op::Ge, cutoff)),
            Op::Eq => Err(bad(format!(
                "a span needs a comparison: `<{value}` means within the last {value}, \
                 `>{value}` means more than {value} ago"
            ))),
        };
    }
    if let Some(day) = parse_date(value) {
        let start = day_start_millis(day);
        return Ok(Range::span(alt.op, start, start.saturating_add(86_400_000)));
    }
    if let Ok(t) = Timestamp::parse(value) {
        return Ok(Range::point(alt.op, t.millis()));
    }
    Err(bad(format!(
        "`{value}` is not a span (`90s`, `30m`, `24h`, `7d`, `2w`, `1h30m`), a date \
         (`2026-01-31`) or an RFC 3339 time (`2026-01-31T12:00:00Z`)"
    )))
}

/// Parses `YYYY-MM-DD`.
pub(super) fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// Days since the common era: a date as an integer, in order.
pub(super) fn day_number(d: NaiveDate) -> i64 {
    use chrono::Datelike;
    i64::from(d.num_days_from_ce())
}

fn day_start_millis(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_millis())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::parse("2026-06-01T00:00:00Z").unwrap()
    }

    fn p(input: &str) -> Query {
        parse(input, now()).unwrap_or_else(|e| panic!("{input}: {e}"))
    }

    /// The single condition of a one-term, one-alternative query.
    fn c(input: &str) -> Cond {
        let q = p(input);
        assert_eq!(q.terms.len(), 1, "{input}");
        assert_eq!(q.terms[0].any.len(), 1, "{input}");
        q.terms[0].any[0].clone()
    }

    /// The position, token and message of a parse error.
    fn err(input: &str) -> (usize, String, String) {
        match parse(input, now()) {
            Err(Error::InvalidQuery {
                position,
                token,
                message,
            }) => (position, token, message),
            other => panic!("{input}: expected an invalid_query error, got {other:?}"),
        }
    }

    fn pat(s: &str) -> Pattern {
        Pattern {
            segments: s.split('*').map(String::from).collect(),
        }
    }

    fn ms(s: &str) -> i64 {
        Timestamp::parse(s).unwrap().millis()
    }

    const DAY: i64 = 86_400_000;

    #[test]
    fn empty_query() {
        let q = p("");
        assert!(q.terms.is_empty() && q.sort.is_empty());
    }

    #[test]
    fn state_and_priority() {
        assert_eq!(c("state:ready"), Cond::State(State::Ready));
        assert_eq!(c("state:In_Progress"), Cond::State(State::InProgress));
        assert_eq!(c("state:in-progress"), Cond::State(State::InProgress));
        assert_eq!(c("priority:high"), Cond::Priority(Op::Eq, Priority::High));
        assert_eq!(c("priority:>=high"), Cond::Priority(Op::Ge, Priority::High));
        assert_eq!(
            c("priority:<CRITICAL"),
            Cond::Priority(Op::Lt, Priority::Critical)
        );
    }

    #[test]
    fn keys_are_case_insensitive() {
        assert_eq!(c("STATE:ready"), Cond::State(State::Ready));
        assert_eq!(c("Label:Bug"), Cond::Label(pat("bug")));
    }

    #[test]
    fn patterns_are_lower_cased() {
        assert_eq!(c("type:Bug"), Cond::Type(pat("bug")));
        assert_eq!(c("label:UI-*"), Cond::Label(pat("ui-*")));
        assert_eq!(c("gate:Unit-*"), Cond::Gate(pat("unit-*")));
        assert_eq!(
            c("milestone:\"Phase 1\""),
            Cond::Milestone(Some(pat("phase 1")))
        );
        assert_eq!(c("assignee:agent:*"), Cond::Assignee(Some(pat("agent:*"))));
        assert_eq!(
            c("reporter:human:Alice"),
            Cond::Reporter(Some(pat("human:alice")))
        );
    }

    #[test]
    fn none_means_absent_unless_quoted() {
        assert_eq!(c("assignee:none"), Cond::Assignee(None));
        assert_eq!(c("assignee:NONE"), Cond::Assignee(None));
        assert_eq!(c("reporter:none"), Cond::Reporter(None));
        assert_eq!(c("milestone:none"), Cond::Milestone(None));
        assert_eq!(c("parent:none"), Cond::Parent(None));
        assert_eq!(c("milestone:\"none\""), Cond::Milestone(Some(pat("none"))));
        // Elsewhere `none` is an ordinary word.
        assert_eq!(c("label:none"), Cond::Label(pat("none")));
    }

    #[test]
    fn ids() {
        let Cond::Id(pre) = c("id:stvw") else {
            panic!()
        };
        assert_eq!(pre.upper, "STVW");
        let Cond::Parent(Some(pre)) = c("parent:01JA") else {
            panic!()
        };
        assert_eq!(pre.upper, "01JA");
    }

    #[test]
    fn text_and_title_are_substrings() {
        assert_eq!(c("login"), Cond::Text(pat("*login*")));
        assert_eq!(c("\"Login Bug\""), Cond::Text(pat("*login bug*")));
        assert_eq!(c("text:login"), Cond::Text(pat("*login*")));
        assert_eq!(c("title:Crash"), Cond::Title(pat("*crash*")));
        assert_eq!(c("title:a*b"), Cond::Title(pat("*a*b*")));
        assert_eq!(c("text:*x"), Cond::Text(pat("*x*")));
    }

    #[test]
    fn flags() {
        assert_eq!(c("blocked:true"), Cond::Blocked(true));
        assert_eq!(c("blocked:FALSE"), Cond::Blocked(false));
        assert_eq!(c("is:open"), Cond::Is(IsWhat::Open));
        assert_eq!(c("is:closed"), Cond::Is(IsWhat::Closed));
        assert_eq!(c("is:Ready"), Cond::Is(IsWhat::Ready));
    }

    #[test]
    fn has_values_and_spellings() {
        for (v, h) in [
            ("pr", HasField::Pr),
            ("prs", HasField::Pr),
            ("assignee", HasField::Assignee),
            ("labels", HasField::Labels),
            ("label", HasField::Labels),
            ("deps", HasField::Deps),
            ("dependencies", HasField::Deps),
            ("gates", HasField::Gates),
            ("milestone", HasField::Milestone),
            ("due", HasField::Due),
            ("parent", HasField::Parent),
            ("comments", HasField::Comments),
            ("checklist", HasField::Checklist),
            ("lease", HasField::Lease),
            ("estimate", HasField::Estimate),
            ("PR", HasField::Pr),
        ] {
            assert_eq!(c(&format!("has:{v}")), Cond::Has(h), "{v}");
        }
    }

    #[test]
    fn spans_compare_age() {
        let cut = ms("2026-05-25T00:00:00Z"); // now - 7d
        assert_eq!(
            c("created:>7d"),
            Cond::Created(Range {
                min: i64::MIN,
                max: cut - 1
            })
        );
        assert_eq!(
            c("created:>=7d"),
            Cond::Created(Range {
                min: i64::MIN,
                max: cut
            })
        );
        assert_eq!(
            c("created:<7d"),
            Cond::Created(Range {
                min: cut + 1,
                max: i64::MAX
            })
        );
        assert_eq!(
            c("created:<=7d"),
            Cond::Created(Range {
                min: cut,
                max: i64::MAX
            })
        );
        let cut = ms("2026-05-31T22:30:00Z");
        assert_eq!(
            c("updated:<1h30m"),
            Cond::Updated(Range {
                min: cut + 1,
                max: i64::MAX
            })
        );
    }

    #[test]
    fn dates_are_whole_days() {
        let d = ms("2026-01-01T00:00:00Z");
        assert_eq!(
            c("created:>2026-01-01"),
            Cond::Created(Range {
                min: d + DAY,
                max: i64::MAX
            })
        );
        assert_eq!(
            c("created:>=2026-01-01"),
            Cond::Created(Range {
                min: d,
                max: i64::MAX
            })
        );
        assert_eq!(
            c("created:<2026-01-01"),
            Cond::Created(Range {
                min: i64::MIN,
                max: d - 1
            })
        );
        assert_eq!(
            c("created:<=2026-01-01"),
            Cond::Created(Range {
                min: i64::MIN,
                max: d + DAY - 1
            })
        );
        assert_eq!(
            c("created:2026-01-01"),
            Cond::Created(Range {
                min: d,
                max: d + DAY - 1
            })
        );
        assert_eq!(
            c("updated:=2026-01-01"),
            Cond::Updated(Range {
                min: d,
                max: d + DAY - 1
            })
        );
    }

    #[test]
    fn rfc3339_times_are_instants() {
        let t = ms("2026-01-01T12:00:00Z");
        assert_eq!(
            c("created:>2026-01-01T12:00:00Z"),
            Cond::Created(Range {
                min: t + 1,
                max: i64::MAX
            })
        );
        assert_eq!(
            c("updated:<=2026-01-01T14:00:00+02:00"),
            Cond::Updated(Range {
                min: i64::MIN,
                max: t
            })
        );
        assert_eq!(
            c("created:2026-01-01T12:00:00Z"),
            Cond::Created(Range { min: t, max: t })
        );
    }

    #[test]
    fn due_dates() {
        let d = day_number(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!(
            c("due:<2026-12-01"),
            Cond::Due(Range {
                min: i64::MIN,
                max: d - 1
            })
        );
        assert_eq!(c("due:2026-12-01"), Cond::Due(Range { min: d, max: d }));
        assert_eq!(
            c("due:>=2026-12-01"),
            Cond::Due(Range {
                min: d,
                max: i64::MAX
            })
        );
    }

    #[test]
    fn estimates() {
        assert_eq!(c("estimate:>3"), Cond::Estimate(Op::Gt, 3.0));
        assert_eq!(c("estimate:0.5"), Cond::Estimate(Op::Eq, 0.5));
        assert_eq!(c("estimate:<=-1"), Cond::Estimate(Op::Le, -1.0));
    }

    #[test]
    fn alternatives_become_one_term() {
        let q = p("state:ready|in_progress priority:high|>=critical");
        assert_eq!(q.terms.len(), 2);
        assert_eq!(
            q.terms[0].any,
            vec![Cond::State(State::Ready), Cond::State(State::InProgress)]
        );
        assert_eq!(
            q.terms[1].any,
            vec![
                Cond::Priority(Op::Eq, Priority::High),
                Cond::Priority(Op::Ge, Priority::Critical)
            ]
        );
    }

    #[test]
    fn negation_is_kept() {
        let q = p("-label:wontfix -login state:ready");
        assert!(q.terms[0].negated);
        assert!(q.terms[1].negated);
        assert_eq!(q.terms[1].any, vec![Cond::Text(pat("*login*"))]);
        assert!(!q.terms[2].negated);
    }

    #[test]
    fn sort_keys_in_order() {
        let q = p("sort:-priority state:ready sort:created SORT:Title");
        assert_eq!(q.terms.len(), 1);
        assert_eq!(
            q.sort,
            vec![
                SortKey {
                    field: SortField::Priority,
                    descending: true
                },
                SortKey {
                    field: SortField::Created,
                    descending: false
                },
                SortKey {
                    field: SortField::Title,
                    descending: false
                },
            ]
        );
        for (name, f) in SORT_FIELDS {
            assert_eq!(p(&format!("sort:{name}")).sort[0].field, *f);
        }
    }

    #[test]
    fn error_unknown_key() {
        let (pos, token, msg) = err("state:ready -colour:red");
        assert_eq!((pos, token.as_str()), (14, "colour"));
        assert!(msg.contains("unknown key `colour`"), "{msg}");
        assert!(msg.contains("state, priority, type"), "{msg}");
        assert!(msg.contains("\"colour:red\""), "{msg}");
        let (pos, token, _) = err("http://example.com");
        assert_eq!((pos, token.as_str()), (1, "http"));
    }

    #[test]
    fn error_bad_state_lists_valid_states() {
        let (pos, token, msg) = err("state:doing");
        assert_eq!((pos, token.as_str()), (7, "doing"));
        assert!(
            msg.contains("backlog, ready, in_progress, gated, done, archived"),
            "{msg}"
        );
        let (pos, token, _) = err("state:ready|doing");
        assert_eq!((pos, token.as_str()), (13, "doing"));
    }

    #[test]
    fn error_bad_priority_lists_valid_priorities() {
        let (pos, token, msg) = err("priority:>=urgent");
        assert_eq!((pos, token.as_str()), (10, ">=urgent"));
        assert!(msg.contains("low, normal, high, critical"), "{msg}");
    }

    #[test]
    fn error_comparison_on_unordered_key() {
        for (input, pos, token) in [
            ("label:>x", 7, ">x"),
            ("state:<=done", 7, "<=done"),
            ("text:>5", 6, ">5"),
            ("blocked:>true", 9, ">true"),
            ("assignee:<a", 10, "<a"),
        ] {
            let (p, t, msg) = err(input);
            assert_eq!((p, t.as_str()), (pos, token), "{input}");
            assert!(msg.contains("cannot be compared"), "{msg}");
        }
        // `=` is plain equality and allowed everywhere.
        assert_eq!(c("label:=x"), Cond::Label(pat("x")));
    }

    #[test]
    fn error_empty_quoted_value() {
        let (pos, token, msg) = err(r#"milestone:"""#);
        assert_eq!((pos, token.as_str()), (11, "\"\""));
        assert!(msg.contains("empty value"), "{msg}");
        let (pos, token, _) = err(r#"x """#);
        assert_eq!((pos, token.as_str()), (3, "\"\""));
        let (pos, token, _) = err("text:*");
        assert_eq!((pos, token.as_str()), (6, "*"));
    }

    #[test]
    fn error_wildcard_where_not_supported() {
        for (input, pos, token) in [
            ("state:read*", 7, "read*"),
            ("id:01*", 4, "01*"),
            ("created:>7*", 9, ">7*"),
            ("sort:pri*", 6, "pri*"),
        ] {
            let (p, t, _) = err(input);
            assert_eq!((p, t.as_str()), (pos, token), "{input}");
        }
    }

    #[test]
    fn error_bad_flags() {
        let (pos, token, msg) = err("blocked:maybe");
        assert_eq!((pos, token.as_str()), (9, "maybe"));
        assert!(msg.contains("true or false"), "{msg}");
        let (pos, token, msg) = err("has:wings");
        assert_eq!((pos, token.as_str()), (5, "wings"));
        assert!(msg.contains("pr, assignee, labels"), "{msg}");
        let (pos, token, msg) = err("is:done");
        assert_eq!((pos, token.as_str()), (4, "done"));
        assert!(msg.contains("open, closed or ready"), "{msg}");
    }

    #[test]
    fn error_bad_ids() {
        let (pos, token, msg) = err("id:hello!");
        assert_eq!((pos, token.as_str()), (4, "hello!"));
        assert!(msg.contains("not an id"), "{msg}");
        let (pos, token, _) = err("parent:../etc");
        assert_eq!((pos, token.as_str()), (8, "../etc"));
        let (pos, _, _) = err(&format!("id:{}", "0".repeat(27)));
        assert_eq!(pos, 4);
    }

    #[test]
    fn error_bad_times() {
        let (pos, token, msg) = err("created:>yesterday");
        assert_eq!((pos, token.as_str()), (9, ">yesterday"));
        assert!(msg.contains("not a span"), "{msg}");
        let (pos, token, msg) = err("updated:7d");
        assert_eq!((pos, token.as_str()), (9, "7d"));
        assert!(msg.contains("needs a comparison"), "{msg}");
        let (pos, token, _) = err("created:=24h");
        assert_eq!((pos, token.as_str()), (9, "=24h"));
        let (pos, token, _) = err("created:>2026-13-01");
        assert_eq!((pos, token.as_str()), (9, ">2026-13-01"));
        let (pos, token, msg) = err("due:<7d");
        assert_eq!((pos, token.as_str()), (5, "<7d"));
        assert!(msg.contains("YYYY-MM-DD"), "{msg}");
    }

    #[test]
    fn error_bad_estimate() {
        for v in ["three", "NaN", "inf", "1e999"] {
            let (pos, token, msg) = err(&format!("estimate:>{v}"));
            assert_eq!((pos, token), (10, format!(">{v}")), "{v}");
            assert!(msg.contains("not a number"), "{msg}");
        }
    }

    #[test]
    fn error_bad_sort() {
        let (pos, token, msg) = err("sort:colour");
        assert_eq!((pos, token.as_str()), (6, "colour"));
        assert!(
            msg.contains("priority, created, updated, due, title, id, state, estimate"),
            "{msg}"
        );
        let (pos, token, msg) = err("state:ready -sort:priority");
        assert_eq!((pos, token.as_str()), (13, "-sort:priority"));
        assert!(msg.contains("cannot be negated"), "{msg}");
        let (pos, token, msg) = err("sort:priority|created");
        assert_eq!((pos, token.as_str()), (1, "sort:priority|created"));
        assert!(msg.contains("one field"), "{msg}");
        let (pos, token, _) = err("sort:>priority");
        assert_eq!((pos, token.as_str()), (6, ">priority"));
        let (pos, token, _) = err("sort:--priority");
        assert_eq!((pos, token.as_str()), (6, "--priority"));
        let (pos, token, _) = err("sort:-");
        assert_eq!((pos, token.as_str()), (6, "-"));
    }

    #[test]
    fn lexer_errors_come_through() {
        let (pos, token, _) = err("state:ready text:\"open");
        assert_eq!((pos, token.as_str()), (18, "\"open"));
    }

    #[test]
    fn error_is_invalid_query_with_details() {
        let e = parse("state:doing", now()).unwrap_err();
        assert_eq!(e.code(), "invalid_query");
        assert_eq!(
            e.details(),
            serde_json::json!({ "position": 7, "token": "doing" })
        );
        assert_eq!(e.exit_code(), crate::error::exit::USAGE);
    }
}
