//! The query lexer: splits a query string into terms, and each term into an optional negation,
//! an optional key and one or more alternative values.
//!
//! It knows the syntax only (whitespace, `-`, the first `:`, `|`, quotes, escapes, `*`, the
//! comparison operators); what keys and values mean is the parser's business.
//!
//! Invariants: the lexer works on Unicode scalar values, never on byte offsets, so no input can
//! make it slice a string in the middle of a character; every position it reports is the 1-based
//! character column of the first character of the piece it describes; every error it returns is
//! [`Error::InvalidQuery`]; a [`RawTerm`] always has at least one [`Alt`].

use crate::error::{Error, Result};

/// A comparison operator written at the start of a value (`priority:>=high`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `=` or no operator.
    Eq,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
}

impl Op {
    /// The operator as written.
    pub fn as_str(&self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
        }
    }
}

/// One character of a value, or a wildcard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece {
    /// A literal character (quotes removed, escapes resolved).
    Char(char),
    /// `*`: any run of characters, possibly empty.
    Star,
}

/// A piece of source text and where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned {
    /// 1-based character column of the first character.
    pub pos: usize,
    /// The text exactly as written.
    pub text: String,
}

/// One alternative of a value: `ready` and `in_progress` in `state:ready|in_progress`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alt {
    /// Where the alternative starts (its operator, if any) and its source text.
    pub src: Spanned,
    /// The comparison operator; [`Op::Eq`] when none was written.
    pub op: Op,
    /// True when any part of the value was quoted.
    pub quoted: bool,
    /// The value with quotes removed and escapes resolved.
    pub pieces: Vec<Piece>,
}

impl Alt {
    /// The value as plain text, or `None` when it contains a `*` wildcard.
    pub fn literal(&self) -> Option<String> {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Char(c) => Some(*c),
                Piece::Star => None,
            })
            .collect()
    }

    /// True when the value contains a `*` wildcard.
    pub fn has_wildcard(&self) -> bool {
        self.pieces.contains(&Piece::Star)
    }
}

/// One whitespace-separated term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawTerm {
    /// Where the term starts (its `-`, if negated) and its whole source text.
    pub src: Spanned,
    /// True when the term starts with `-`.
    pub negated: bool,
    /// The text before the first unquoted `:`; `None` for a bare word or quoted string.
    pub key: Option<Spanned>,
    /// The `|`-separated alternatives; never empty.
    pub alts: Vec<Alt>,
}

/// The error every lexing and parsing failure becomes.
pub fn error(pos: usize, token: impl Into<String>, message: impl Into<String>) -> Error {
    Error::InvalidQuery {
        position: pos,
        token: token.into(),
        message: message.into(),
    }
}

/// Splits `input` into terms.
pub fn lex(input: &str) -> Result<Vec<RawTerm>> {
    let chars: Vec<char> = input.chars().collect();
    let mut terms = Vec::new();
    let mut i = 0;
    while let Some(c) = chars.get(i) {
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let (term, next) = lex_term(&chars, i)?;
        terms.push(term);
        i = next;
    }
    Ok(terms)
}

/// The source text between two character indices.
fn text(chars: &[char], from: usize, to: usize) -> String {
    chars
        .iter()
        .skip(from)
        .take(to.saturating_sub(from))
        .collect()
}

/// The index just past the term starting at `start` (its end, ignoring quotes' contents).
fn term_end(chars: &[char], start: usize) -> usize {
    let mut i = start;
    let mut in_quote = false;
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' if in_quote => i += 1,
            '"' => in_quote = !in_quote,
            c if c.is_whitespace() && !in_quote => break,
            _ => {}
        }
        i += 1;
    }
    i.min(chars.len())
}

fn lex_term(chars: &[char], start: usize) -> Result<(RawTerm, usize)> {
    let mut i = start;
    let negated = chars.get(i) == Some(&'-');
    if negated {
        i += 1;
        if chars.get(i).is_none_or(|c| c.is_whitespace()) {
            return Err(error(
                start + 1,
                "-",
                "a lone `-` negates nothing; put it right before a term (`-label:wontfix`) \
                 or quote it to search for a dash (`\"-\"`)",
            ));
        }
    }
    let body = i;

    // The key is everything before the first `:`, provided no quote comes first.
    let mut j = body;
    while let Some(&c) = chars.get(j) {
        if c.is_whitespace() || c == '"' || c == ':' {
            break;
        }
        j += 1;
    }
    let key = if chars.get(j) == Some(&':') {
        if j == body {
            let end = term_end(chars, start);
            return Err(error(
                start + 1,
                text(chars, start, end),
                "a key is missing before `:`; write `key:value`, or quote the text to search \
                 for it (`\":x\"`)",
            ));
        }
        i = j + 1;
        Some(Spanned {
            pos: body + 1,
            text: text(chars, body, j),
        })
    } else {
        None
    };
    let value_start = i;

    let mut alts = Vec::new();
    loop {
        let alt_start = i;
        let op = if key.is_some() {
            lex_op(chars, &mut i)
        } else {
            Op::Eq
        };
        let op_end = i;
        let mut pieces = Vec::new();
        let mut quoted = false;
        while let Some(&c) = chars.get(i) {
            match c {
                '|' => break,
                '"' => {
                    quoted = true;
                    i = lex_quoted(chars, i, &mut pieces)?;
                }
                '*' => {
                    pieces.push(Piece::Star);
                    i += 1;
                }
                c if c.is_whitespace() => break,
                c => {
                    pieces.push(Piece::Char(c));
                    i += 1;
                }
            }
        }
        let at_pipe = chars.get(i) == Some(&'|');
        if pieces.is_empty() && !quoted {
            if op_end > alt_start {
                return Err(error(
                    alt_start + 1,
                    text(chars, alt_start, op_end),
                    format!(
                        "`{}` needs a value after it, e.g. `priority:>=high` or `created:>7d`",
                        text(chars, alt_start, op_end)
                    ),
                ));
            }
            if alts.is_empty() && !at_pipe && key.is_some() && alt_start == value_start {
                let k = key.as_ref().map(|k| k.text.as_str()).unwrap_or_default();
                return Err(error(
                    start + 1,
                    text(chars, start, i),
                    format!("`{k}:` has no value; write `{k}:VALUE` (quote values with spaces)"),
                ));
            }
            // An empty alternative: point at the `|` next to it.
            let pipe = if at_pipe {
                i
            } else {
                alt_start.saturating_sub(1)
            };
            return Err(error(
                pipe + 1,
                "|",
                "empty alternative next to `|`; write values on both sides, as in \
                 `state:ready|in_progress`",
            ));
        }
        alts.push(Alt {
            src: Spanned {
                pos: alt_start + 1,
                text: text(chars, alt_start, i),
            },
            op,
            quoted,
            pieces,
        });
        if at_pipe {
            i += 1;
        } else {
            break;
        }
    }
    let src = Spanned {
        pos: start + 1,
        text: text(chars, start, i),
    };
    Ok((
        RawTerm {
            src,
            negated,
            key,
            alts,
        },
        i,
    ))
}

/// Reads an optional comparison operator at `*i`, advancing past it.
fn lex_op(chars: &[char], i: &mut usize) -> Op {
    let next_is_eq = chars.get(*i + 1) == Some(&'=');
    let (op, len) = match chars.get(*i) {
        Some('>') if next_is_eq => (Op::Ge, 2),
        Some('<') if next_is_eq => (Op::Le, 2),
        Some('>') => (Op::Gt, 1),
        Some('<') => (Op::Lt, 1),
        Some('=') => (Op::Eq, 1),
        _ => (Op::Eq, 0),
    };
    *i += len;
    op
}

/// Reads a quoted run starting at the opening quote `open`; returns the index past the closing
/// quote. Inside quotes `\"`, `\\` and `\*` are escapes; any other backslash is literal.
fn lex_quoted(chars: &[char], open: usize, pieces: &mut Vec<Piece>) -> Result<usize> {
    let mut i = open + 1;
    loop {
        match chars.get(i) {
            None => {
                return Err(error(
                    open + 1,
                    text(chars, open, chars.len()),
                    "unterminated quote; close it with `\"` (write `\\\"` for a quote inside)",
                ));
            }
            Some('"') => return Ok(i + 1),
            Some('\\') => match chars.get(i + 1) {
                Some(&c @ ('"' | '\\' | '*')) => {
                    pieces.push(Piece::Char(c));
                    i += 2;
                }
                _ => {
                    pieces.push(Piece::Char('\\'));
                    i += 1;
                }
            },
            Some('*') => {
                pieces.push(Piece::Star);
                i += 1;
            }
            Some(&c) => {
                pieces.push(Piece::Char(c));
                i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(input: &str) -> RawTerm {
        let mut t = lex(input).unwrap();
        assert_eq!(t.len(), 1, "{input}: {t:?}");
        t.remove(0)
    }

    fn lit(a: &Alt) -> String {
        a.literal().unwrap()
    }

    /// The position, token and message of a lexing error.
    fn err(input: &str) -> (usize, String, String) {
        match lex(input) {
            Err(Error::InvalidQuery {
                position,
                token,
                message,
            }) => (position, token, message),
            other => panic!("{input}: expected an invalid_query error, got {other:?}"),
        }
    }

    #[test]
    fn empty_and_blank_inputs_have_no_terms() {
        assert!(lex("").unwrap().is_empty());
        assert!(lex(" \t\n ").unwrap().is_empty());
    }

    #[test]
    fn splits_on_whitespace() {
        let t = lex("  state:ready\tlabel:bug\nfoo ").unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(
            t[0].src,
            Spanned {
                pos: 3,
                text: "state:ready".into()
            }
        );
        assert_eq!(
            t[1].src,
            Spanned {
                pos: 15,
                text: "label:bug".into()
            }
        );
        assert_eq!(
            t[2].src,
            Spanned {
                pos: 25,
                text: "foo".into()
            }
        );
    }

    #[test]
    fn key_value() {
        let t = one("state:ready");
        assert!(!t.negated);
        assert_eq!(
            t.key,
            Some(Spanned {
                pos: 1,
                text: "state".into()
            })
        );
        assert_eq!(t.alts.len(), 1);
        assert_eq!(lit(&t.alts[0]), "ready");
        assert_eq!(
            t.alts[0].src,
            Spanned {
                pos: 7,
                text: "ready".into()
            }
        );
        assert_eq!(t.alts[0].op, Op::Eq);
        assert!(!t.alts[0].quoted);
    }

    #[test]
    fn only_the_first_colon_separates_key_and_value() {
        let t = one("assignee:agent:copilot-1");
        assert_eq!(t.key.unwrap().text, "assignee");
        assert_eq!(lit(&t.alts[0]), "agent:copilot-1");
    }

    #[test]
    fn negation() {
        let t = one("-label:wontfix");
        assert!(t.negated);
        assert_eq!(t.src.pos, 1);
        assert_eq!(
            t.key,
            Some(Spanned {
                pos: 2,
                text: "label".into()
            })
        );
        assert_eq!(lit(&t.alts[0]), "wontfix");
        let t = one("-word");
        assert!(t.negated);
        assert_eq!(t.key, None);
        assert_eq!(lit(&t.alts[0]), "word");
        let t = one("-\"two words\"");
        assert!(t.negated);
        assert_eq!(lit(&t.alts[0]), "two words");
    }

    #[test]
    fn a_dash_inside_a_word_is_literal() {
        let t = one("label:ui-bug");
        assert_eq!(lit(&t.alts[0]), "ui-bug");
        let t = one("state:-ready");
        assert_eq!(lit(&t.alts[0]), "-ready");
    }

    #[test]
    fn bare_words_and_quoted_strings_have_no_key() {
        let t = one("login");
        assert_eq!(t.key, None);
        assert_eq!(lit(&t.alts[0]), "login");
        let t = one("\"state:ready\"");
        assert_eq!(t.key, None);
        assert_eq!(lit(&t.alts[0]), "state:ready");
        assert!(t.alts[0].quoted);
        // A quote before the first colon makes the whole term text.
        let t = one("\"a\"b:c");
        assert_eq!(t.key, None);
        assert_eq!(lit(&t.alts[0]), "ab:c");
    }

    #[test]
    fn bare_words_have_no_operators() {
        let t = one(">5");
        assert_eq!(t.alts[0].op, Op::Eq);
        assert_eq!(lit(&t.alts[0]), ">5");
    }

    #[test]
    fn quoted_values_keep_spaces_and_resolve_escapes() {
        let t = one(r#"milestone:"Phase 1""#);
        assert_eq!(lit(&t.alts[0]), "Phase 1");
        assert!(t.alts[0].quoted);
        assert_eq!(
            t.alts[0].src,
            Spanned {
                pos: 11,
                text: "\"Phase 1\"".into()
            }
        );
        let t = one(r#"text:"say \"hi\" \\ back""#);
        assert_eq!(lit(&t.alts[0]), r#"say "hi" \ back"#);
        // Other backslashes are literal.
        let t = one(r#"text:"C:\temp""#);
        assert_eq!(lit(&t.alts[0]), r"C:\temp");
        // Outside quotes a backslash is an ordinary character.
        let t = one(r"text:a\b");
        assert_eq!(lit(&t.alts[0]), r"a\b");
        // Quoted and unquoted runs join, as in a shell.
        let t = one(r#"milestone:Phase" 1""#);
        assert_eq!(lit(&t.alts[0]), "Phase 1");
        // An empty quoted value is a value (the parser decides whether it is allowed).
        let t = one(r#"title:"""#);
        assert!(t.alts[0].quoted);
        assert!(t.alts[0].pieces.is_empty());
    }

    #[test]
    fn quoted_text_can_hold_colons_pipes_and_dashes() {
        let t = one(r#""-a:b|c d""#);
        assert!(!t.negated);
        assert_eq!(t.alts.len(), 1);
        assert_eq!(lit(&t.alts[0]), "-a:b|c d");
    }

    #[test]
    fn wildcards() {
        let t = one("assignee:agent:*");
        assert_eq!(t.alts[0].literal(), None);
        assert!(t.alts[0].has_wildcard());
        assert_eq!(
            t.alts[0].pieces.last().copied(),
            Some(Piece::Star),
            "the star is a wildcard piece"
        );
        let t = one(r#"label:"ui *""#);
        assert_eq!(
            t.alts[0].pieces,
            vec![
                Piece::Char('u'),
                Piece::Char('i'),
                Piece::Char(' '),
                Piece::Star
            ]
        );
        // An escaped star is literal.
        let t = one(r#"title:"a\*b""#);
        assert_eq!(lit(&t.alts[0]), "a*b");
        assert!(!t.alts[0].has_wildcard());
    }

    #[test]
    fn alternatives() {
        let t = one("state:ready|in_progress|gated");
        let v: Vec<String> = t.alts.iter().map(lit).collect();
        assert_eq!(v, ["ready", "in_progress", "gated"]);
        assert_eq!(
            t.alts[1].src,
            Spanned {
                pos: 13,
                text: "in_progress".into()
            }
        );
        assert_eq!(t.alts[2].src.pos, 25);
        let t = one(r#"milestone:"Phase 1"|"Phase 2""#);
        let v: Vec<String> = t.alts.iter().map(lit).collect();
        assert_eq!(v, ["Phase 1", "Phase 2"]);
        let t = one("login|signup");
        assert_eq!(t.alts.len(), 2);
    }

    #[test]
    fn operators() {
        for (input, op, value) in [
            ("priority:>high", Op::Gt, "high"),
            ("priority:>=high", Op::Ge, "high"),
            ("priority:<high", Op::Lt, "high"),
            ("priority:<=high", Op::Le, "high"),
            ("priority:=high", Op::Eq, "high"),
            ("priority:high", Op::Eq, "high"),
            ("created:>\"2026-01-01\"", Op::Gt, "2026-01-01"),
        ] {
            let t = one(input);
            assert_eq!(t.alts[0].op, op, "{input}");
            assert_eq!(lit(&t.alts[0]), value, "{input}");
        }
        // Each alternative carries its own operator.
        let t = one("estimate:<1|>=10");
        assert_eq!((t.alts[0].op, t.alts[1].op), (Op::Lt, Op::Ge));
        assert_eq!(
            t.alts[1].src,
            Spanned {
                pos: 13,
                text: ">=10".into()
            }
        );
        // Only one operator is read; the rest is value.
        let t = one("priority:>>high");
        assert_eq!(t.alts[0].op, Op::Gt);
        assert_eq!(lit(&t.alts[0]), ">high");
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        let t = lex("título:x état:y").unwrap();
        assert_eq!(t[1].src.pos, 10);
        assert_eq!(t[1].alts[0].src.pos, 15);
        let (pos, token, _) = err("ünï \"open");
        assert_eq!((pos, token.as_str()), (5, "\"open"));
    }

    #[test]
    fn error_unterminated_quote() {
        let (pos, token, msg) = err(r#"state:ready milestone:"Phase 1"#);
        assert_eq!(pos, 23);
        assert_eq!(token, "\"Phase 1");
        assert!(msg.contains("unterminated quote"), "{msg}");
        let (pos, token, _) = err("\"");
        assert_eq!((pos, token.as_str()), (1, "\""));
        // An escaped closing quote does not close.
        let (pos, token, _) = err(r#"text:"a\""#);
        assert_eq!((pos, token.as_str()), (6, r#""a\""#));
        // A trailing backslash does not close either.
        let (pos, _, _) = err(r#"x "ab\"#);
        assert_eq!(pos, 3);
    }

    #[test]
    fn error_lone_dash() {
        let (pos, token, msg) = err("state:ready - label:x");
        assert_eq!((pos, token.as_str()), (13, "-"));
        assert!(msg.contains("negates nothing"), "{msg}");
        let (pos, _, _) = err("-");
        assert_eq!(pos, 1);
    }

    #[test]
    fn error_empty_key() {
        let (pos, token, msg) = err("a :ready");
        assert_eq!((pos, token.as_str()), (3, ":ready"));
        assert!(msg.contains("key is missing"), "{msg}");
        let (pos, token, _) = err("-:x");
        assert_eq!((pos, token.as_str()), (1, "-:x"));
    }

    #[test]
    fn error_empty_value() {
        let (pos, token, msg) = err("label:x state:");
        assert_eq!((pos, token.as_str()), (9, "state:"));
        assert!(msg.contains("has no value"), "{msg}");
        let (pos, token, _) = err("-state: x");
        assert_eq!((pos, token.as_str()), (1, "-state:"));
    }

    #[test]
    fn error_operator_without_value() {
        let (pos, token, msg) = err("priority:>=");
        assert_eq!((pos, token.as_str()), (10, ">="));
        assert!(msg.contains("needs a value"), "{msg}");
        let (pos, token, _) = err("estimate:1|<");
        assert_eq!((pos, token.as_str()), (12, "<"));
    }

    #[test]
    fn error_empty_alternative() {
        let (pos, token, msg) = err("state:ready|");
        assert_eq!((pos, token.as_str()), (12, "|"));
        assert!(msg.contains("empty alternative"), "{msg}");
        let (pos, token, _) = err("state:|ready");
        assert_eq!((pos, token.as_str()), (7, "|"));
        let (pos, token, _) = err("state:a||b");
        assert_eq!((pos, token.as_str()), (9, "|"));
        let (pos, token, _) = err("x |");
        assert_eq!((pos, token.as_str()), (3, "|"));
        let (pos, _, _) = err("x | y");
        assert_eq!(pos, 3);
    }
}
