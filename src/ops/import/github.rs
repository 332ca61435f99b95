//! GitHub issues: the JSON `gh issue list --json ...` (or `gh issue view --json ...`) prints,
//! and the REST API's (`gh api repos/OWNER/NAME/issues`, `GET /repos/{owner}/{repo}/issues`).
//!
//! Identity is the repository and the number (`context.source_id` = `OWNER/NAME#12`). The
//! repository comes from the issue's page (`url` in `gh` output, `html_url` in REST), REST's
//! `repository_url`, or `--repo`; rows without one take the repository the other rows name.
//! REST lists pull requests as issues: an entry with a `pull_request` key is skipped and
//! reported, never imported as an issue.

use super::convert;
use super::record::{Notes, Parsed, Place, Record, Skipped, SourceComment, Want};
use crate::error::Result;
use crate::ops::checklist::checklist_from_markdown;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The context key holding the GitHub issue number.
pub const NUMBER: &str = "github_number";
/// The context key holding the GitHub issue's page.
pub const URL: &str = "github_url";
/// The context key holding the logins of the GitHub assignees after the first.
pub const ASSIGNEES: &str = "github_assignees";

/// `OWNER/NAME` from an issue or repository address on github.com or the API.
pub fn repo_of_url(u: &str) -> Option<String> {
    let rest = u
        .trim()
        .strip_prefix("https://")
        .or_else(|| u.trim().strip_prefix("http://"))?;
    let (host, path) = rest.split_once('/')?;
    let mut parts = path.split('/').filter(|p| !p.is_empty());
    let (owner, name) = if host.starts_with("api.") || path.starts_with("api/v3/") {
        // https://api.github.com/repos/OWNER/NAME[/issues/N] (or GHE's /api/v3/repos/...)
        let mut p = parts.skip_while(|s| *s != "repos").skip(1);
        (p.next()?, p.next()?)
    } else {
        (parts.next()?, parts.next()?)
    };
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    (ok(owner) && ok(name)).then(|| format!("{owner}/{name}"))
}

/// The repository and number of a source id (`OWNER/NAME#12`, `#12`).
pub fn split_id(id: &str) -> (Option<String>, Option<u64>) {
    match id.rsplit_once('#') {
        Some((repo, n)) => ((!repo.is_empty()).then(|| repo.to_string()), n.parse().ok()),
        None => (None, None),
    }
}

fn is_api(u: &str) -> bool {
    u.contains("://api.") || u.contains("/api/v3/")
}

/// Keys GitHub's REST API returns that describe the API, not the issue.
const API_KEYS: &[&str] = &[
    "node_id",
    "url",
    "repository_url",
    "labels_url",
    "comments_url",
    "events_url",
    "timeline_url",
    "reactions",
    "performed_via_github_app",
    "author_association",
    "active_lock_reason",
    "sub_issues_summary",
    "issue_dependencies_summary",
];

/// Parses `gh` or REST JSON: an array of issues or one issue object.
pub fn parse(path: &str, text: &str, repo_flag: Option<&str>) -> Result<Parsed> {
    let mut notes = Notes::default();
    let mut records = Vec::new();
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            notes.error(
                &Place::line(path, e.line()),
                None,
                "json",
                format!(
                    "not JSON ({e}); expected the output of `gh issue list --json ...` or the REST issues API"
                ),
            );
            return Ok(Parsed { records, notes });
        }
    };
    let items = match value {
        Value::Array(items) => items,
        obj @ Value::Object(_) => vec![obj],
        _ => {
            notes.error(
                &Place::file(path),
                None,
                "json",
                "expected a JSON array of issues (or one issue object)".into(),
            );
            return Ok(Parsed { records, notes });
        }
    };
    if let Some(r) = repo_flag
        && repo_of_url(&format!("https://github.com/{r}")).as_deref() != Some(r.trim())
    {
        notes.error(
            &Place::file(path),
            None,
            "repo",
            format!("`--repo {r}` is not OWNER/NAME"),
        );
        return Ok(Parsed { records, notes });
    }
    // The repository of each row, where the row names one.
    let repo_of_row = |o: &Map<String, Value>| -> Option<String> {
        let s = |k: &str| o.get(k).and_then(Value::as_str);
        s("html_url")
            .and_then(repo_of_url)
            .or_else(|| s("url").and_then(repo_of_url))
            .or_else(|| s("repository_url").and_then(repo_of_url))
            .or_else(|| {
                o.get("repository").and_then(|r| {
                    r.get("nameWithOwner")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .or_else(|| {
                            let name = r.get("name")?.as_str()?;
                            let owner = r.get("owner")?.get("login")?.as_str()?;
                            Some(format!("{owner}/{name}"))
                        })
                })
            })
    };
    let named: Vec<String> = {
        let mut v: Vec<String> = items
            .iter()
            .filter_map(|i| i.as_object().and_then(repo_of_row))
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let default_repo: Option<String> = repo_flag
        .map(|r| r.trim().to_string())
        .or_else(|| (named.len() == 1).then(|| named[0].clone()));
    let mut numbers: HashMap<(Option<String>, u64), usize> = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        let place = Place::index(path, index);
        let err = |notes: &mut Notes, field: &str, m: String| notes.error(&place, None, field, m);
        let Some(obj) = item.as_object() else {
            err(&mut notes, "row", "is not a JSON object".into());
            continue;
        };
        let number = match obj.get("number").and_then(Value::as_u64) {
            Some(n) if n > 0 => n,
            _ => {
                err(
                    &mut notes,
                    "number",
                    "must be a positive integer (the GitHub issue number)".into(),
                );
                0
            }
        };
        let repo = repo_of_row(obj).or_else(|| default_repo.clone());
        if repo.is_none() && named.len() > 1 {
            err(
                &mut notes,
                "url",
                "names no repository, and the file holds issues of several; pass `--repo OWNER/NAME` or include `url`".into(),
            );
        }
        let source_id = match &repo {
            Some(r) => format!("{r}#{number}"),
            None => format!("#{number}"),
        };
        if obj.contains_key("pull_request") {
            notes.skipped.push(Skipped {
                source_id,
                place: place.clone(),
                reason: "a pull request (the REST API lists pull requests among issues); not imported as an issue".into(),
            });
            notes.mapped_as(
                "pull_request",
                "-",
                "entries with it are pull requests and are skipped",
            );
            continue;
        }
        if number > 0
            && let Some(first) = numbers.insert((repo.clone(), number), index)
        {
            err(
                &mut notes,
                "number",
                format!("issue #{number} also appears at row {first}"),
            );
        }
        let mut rec = Record {
            place: place.clone(),
            source_id: source_id.clone(),
            ..Record::default()
        };
        rec.context.insert(NUMBER.into(), number.to_string());
        notes.mapped("number", "context.source_id, context.github_number");
        for (key, v) in obj {
            match key.as_str() {
                "number" | "pull_request" => {}
                "title" => match v {
                    Value::String(t) => {
                        rec.title = t.clone();
                        notes.mapped("title", "title");
                    }
                    _ => err(&mut notes, "title", "must be a string".into()),
                },
                "body" => match v {
                    Value::Null => notes.mapped("body", "description"),
                    Value::String(b) => match convert::text("body", b) {
                        Ok(b) => {
                            rec.checklist = checklist_from_markdown(&b)
                                .into_iter()
                                .map(|i| (i.text, i.checked))
                                .collect();
                            rec.description = b;
                            notes.mapped_as(
                                "body",
                                "description",
                                "kept whole; task-list lines (`- [ ] ...`) also become checklist items",
                            );
                        }
                        Err(m) => err(&mut notes, "body", m),
                    },
                    _ => err(&mut notes, "body", "must be a string or null".into()),
                },
                "state" => match v {
                    Value::Null => {}
                    Value::String(s) => match s.trim().to_ascii_uppercase().as_str() {
                        "OPEN" => {
                            rec.want = Some(Want::Open);
                            notes.state(s, Want::Open.describe());
                            notes.mapped("state", "state");
                        }
                        "CLOSED" => {
                            rec.want = Some(Want::Done);
                            notes.state(s, Want::Done.describe());
                            notes.mapped("state", "state");
                        }
                        _ => err(
                            &mut notes,
                            "state",
                            format!("`{}` is not OPEN or CLOSED", s.escape_debug()),
                        ),
                    },
                    _ => err(&mut notes, "state", "must be \"OPEN\" or \"CLOSED\"".into()),
                },
                "labels" => match v {
                    Value::Null => {}
                    Value::Array(ls) => {
                        for l in ls {
                            let name = match l {
                                Value::String(s) => Some(s.as_str()),
                                Value::Object(o) => o.get("name").and_then(Value::as_str),
                                _ => None,
                            };
                            match name.map(|n| convert::name("label", n)) {
                                Some(Ok(n)) => rec.labels.push(n),
                                Some(Err(m)) => err(&mut notes, "labels", m),
                                None => err(
                                    &mut notes,
                                    "labels",
                                    "must be an array of {\"name\": ...} objects".into(),
                                ),
                            }
                        }
                        notes.mapped("labels", "labels");
                    }
                    _ => err(
                        &mut notes,
                        "labels",
                        "must be an array of {\"name\": ...} objects".into(),
                    ),
                },
                "assignees" => match v {
                    Value::Null => {}
                    Value::Array(a) => {
                        let mut logins = Vec::new();
                        for x in a {
                            match x {
                                Value::String(s) => logins.push(s.trim().to_string()),
                                Value::Object(o) => match o.get("login").and_then(Value::as_str) {
                                    Some(l) => logins.push(l.trim().to_string()),
                                    None => err(
                                        &mut notes,
                                        "assignees",
                                        "must be an array of {\"login\": ...} objects".into(),
                                    ),
                                },
                                _ => err(
                                    &mut notes,
                                    "assignees",
                                    "must be an array of {\"login\": ...} objects".into(),
                                ),
                            }
                        }
                        if let Some(first) = logins.first() {
                            match crate::model::Actor::parse(&format!("human:{first}")) {
                                Ok(a) => rec.assignee = Some(a.to_string()),
                                Err(e) => err(&mut notes, "assignees", convert::message(e)),
                            }
                        }
                        if logins.len() > 1 {
                            rec.context.insert(ASSIGNEES.into(), logins[1..].join(","));
                        }
                        notes.mapped_as(
                            "assignees",
                            "assignee",
                            "the first as human:<login>; the others in context.github_assignees",
                        );
                    }
                    _ => err(
                        &mut notes,
                        "assignees",
                        "must be an array of {\"login\": ...} objects".into(),
                    ),
                },
                "assignee" => {
                    notes.dropped("assignee", "the first of `assignees`, which is mapped")
                }
                "milestone" => match v {
                    Value::Null => notes.mapped("milestone", "milestone"),
                    Value::Object(m) => match m.get("title").and_then(Value::as_str) {
                        Some(t) => match convert::name("milestone", t) {
                            Ok(t) => {
                                rec.milestone = Some(t);
                                notes.mapped("milestone", "milestone");
                            }
                            Err(m) => err(&mut notes, "milestone", m),
                        },
                        None => err(
                            &mut notes,
                            "milestone",
                            "must be an object with a \"title\" string, or null".into(),
                        ),
                    },
                    _ => err(
                        &mut notes,
                        "milestone",
                        "must be an object with a \"title\" string, or null".into(),
                    ),
                },
                "url" | "html_url" => match v {
                    Value::Null => {}
                    Value::String(u) if u.len() <= 2048 && !u.chars().any(char::is_control) => {
                        if key == "url" && is_api(u) {
                            notes.dropped("url", "the API address; `html_url` is the issue's page");
                        } else {
                            rec.context.insert(URL.into(), u.trim().to_string());
                            rec.url = Some(u.trim().to_string());
                            notes.mapped(key, "context.source_url, context.github_url");
                        }
                    }
                    _ => err(&mut notes, key, "must be a URL string".into()),
                },
                "user" | "author" => {
                    if let Some(login) = v.get("login").and_then(Value::as_str) {
                        rec.reporter = convert::actor(login);
                        notes.mapped_as(key, "reporter", "human:<login>");
                    }
                }
                "comments" => match v {
                    Value::Array(cs) => {
                        for c in cs {
                            let body = c.get("body").and_then(Value::as_str).unwrap_or("");
                            let author = c
                                .get("author")
                                .or_else(|| c.get("user"))
                                .and_then(|a| a.get("login"))
                                .and_then(Value::as_str)
                                .unwrap_or("");
                            let at = c
                                .get("createdAt")
                                .or_else(|| c.get("created_at"))
                                .and_then(Value::as_str)
                                .and_then(convert::time);
                            rec.comments.push(SourceComment {
                                author: author.to_string(),
                                at,
                                body: body.to_string(),
                            });
                        }
                        notes.mapped("comments", "comments");
                    }
                    _ => notes.dropped(
                        "comments",
                        "a count, not the comments (ask `gh` for `--json comments`)",
                    ),
                },
                "createdAt" | "created_at" => {
                    if let Some(t) = v.as_str().and_then(convert::time) {
                        rec.created_at = Some(t);
                        notes.mapped(key, "created_at");
                    }
                }
                "updatedAt" | "updated_at" => notes.dropped(key, "jit records its own update time"),
                "repository" => notes.mapped("repository", "context.source_id (the repository)"),
                k if API_KEYS.contains(&k) => {
                    if k == "repository_url" {
                        notes.mapped(k, "context.source_id (the repository)");
                    } else {
                        notes.dropped(k, "GitHub API bookkeeping, not part of the issue");
                    }
                }
                k => {
                    if let Some(s) = convert::json_string(v) {
                        let ck = super::record::context_key("github", k);
                        notes.kept(k, &format!("context.{ck}"));
                        rec.context.insert(ck, s);
                    }
                }
            }
        }
        records.push(rec);
    }
    Ok(Parsed { records, notes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_from_addresses() {
        assert_eq!(
            repo_of_url("https://github.com/o/r/issues/12").as_deref(),
            Some("o/r")
        );
        assert_eq!(
            repo_of_url("https://api.github.com/repos/o/r/issues/12").as_deref(),
            Some("o/r")
        );
        assert_eq!(
            repo_of_url("https://api.github.com/repos/o/r").as_deref(),
            Some("o/r")
        );
        assert_eq!(repo_of_url("not a url"), None);
        assert_eq!(split_id("o/r#12"), (Some("o/r".into()), Some(12)));
        assert_eq!(split_id("#3"), (None, Some(3)));
    }
}
