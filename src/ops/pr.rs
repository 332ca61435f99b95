//! Linked pull requests: identified by their URL, so linking the same URL again updates it in
//! place. Each change is one transaction through [`Store::mutate`].

use super::one_line;
use crate::error::{Error, Result};
use crate::model::{Actor, CiStatus, PrStatus, PullRequest, limits, validate_name};
use crate::model::{Payload, payload};
use crate::store::Store;
use crate::view::IssueView;
use crate::view::view_in;
use serde::{Deserialize, Serialize};

/// What `pr link` takes: the URL identifies the pull request; every other field given replaces
/// the stored one, fields not given are kept.
#[derive(Debug, Clone, Default)]
pub struct PrRequest {
    pub url: String,
    pub number: Option<u64>,
    pub title: Option<String>,
    pub status: Option<PrStatus>,
    pub branch: Option<String>,
    pub commit: Option<String>,
    pub ci: Option<CiStatus>,
}

/// `pr link` (MCP `pr_link`): a pull request to link to an issue, or to update there by its
/// URL (the fields of a `PrRequest`, plus the issue and the version it must be at).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrLinkRequest {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// The pull request's URL (http or https); it identifies the PR on this issue.
    pub url: String,
    /// The PR number.
    #[serde(default)]
    pub number: Option<u64>,
    /// The PR title.
    #[serde(default)]
    pub title: Option<String>,
    /// The PR status.
    #[serde(default)]
    pub status: Option<PrStatus>,
    /// The head branch.
    #[serde(default)]
    pub branch: Option<String>,
    /// The head commit sha (7 to 64 hex characters).
    #[serde(default)]
    pub commit: Option<String>,
    /// The CI status.
    #[serde(default)]
    pub ci: Option<CiStatus>,
    /// Refuse unless the issue is at this version.
    #[serde(default)]
    pub if_version: Option<u64>,
}

impl super::Mutation for PrLinkRequest {
    type Output = PrOutcome;
    fn run(self, store: &Store, actor: &Actor) -> Result<PrOutcome> {
        let pr = PrRequest {
            url: self.url,
            number: self.number,
            title: self.title,
            status: self.status,
            branch: self.branch,
            commit: self.commit,
            ci: self.ci,
        };
        pr_link(store, actor, &self.id, pr, self.if_version)
    }
}

/// The longest URL accepted.
const MAX_URL: usize = 2048;

fn check_url(u: &str) -> Result<String> {
    let u = u.trim();
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"));
    let bad = |why: &str| {
        Error::invalid(
            "url",
            format!(
                "`{}` {why}; give the pull request's http(s) URL",
                u.escape_debug()
            ),
        )
    };
    match rest {
        None => return Err(bad("does not start with `http://` or `https://`")),
        Some("") => return Err(bad("has no host")),
        Some(_) => {}
    }
    if u.len() > MAX_URL {
        return Err(bad(&format!("is longer than {MAX_URL} bytes")));
    }
    if u.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("contains whitespace or control characters"));
    }
    Ok(u.to_string())
}

fn check_commit(c: &str) -> Result<String> {
    let c = c.trim();
    if !(7..=64).contains(&c.len()) || !c.chars().all(|ch| ch.is_ascii_hexdigit()) {
        return Err(Error::invalid(
            "commit",
            format!(
                "`{}` is not a commit sha (7 to 64 hex characters)",
                c.escape_debug()
            ),
        ));
    }
    Ok(c.to_ascii_lowercase())
}

/// What `pr link` did.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PrOutcome {
    #[serde(flatten)]
    pub view: IssueView,
    /// The pull request as stored now.
    pub pr: PullRequest,
    /// True when the URL was new to the issue, false when an existing entry was updated.
    pub created: bool,
}

/// `pr link`: adds a pull request to an issue, or updates the one with the same URL.
pub fn pr_link(
    store: &Store,
    actor: &Actor,
    input: &str,
    req: PrRequest,
    if_version: Option<u64>,
) -> Result<PrOutcome> {
    let url = check_url(&req.url)?;
    let title = req
        .title
        .as_deref()
        .map(|t| one_line("title", t, limits::TITLE))
        .transpose()?;
    let branch = req
        .branch
        .as_deref()
        .map(|b| validate_name("branch", b))
        .transpose()?;
    if branch
        .as_deref()
        .is_some_and(|b| b.chars().any(char::is_whitespace))
    {
        return Err(Error::invalid("branch", "a branch name has no whitespace"));
    }
    let commit = req.commit.as_deref().map(check_commit).transpose()?;
    store.mutate(actor, |tx| {
        let before = tx.open(input, if_version)?;
        let mut after = before.clone();
        let pos = after.prs.iter().position(|p| p.url == url);
        let created = pos.is_none();
        let n = match pos {
            Some(n) => n,
            None => {
                after.prs.push(PullRequest {
                    url: url.clone(),
                    number: None,
                    title: None,
                    status: None,
                    branch: None,
                    commit: None,
                    ci: None,
                    updated_at: None,
                });
                after.prs.len() - 1
            }
        };
        let pr = &mut after.prs[n];
        if let Some(v) = req.number {
            pr.number = Some(v);
        }
        if let Some(v) = &title {
            pr.title = Some(v.clone());
        }
        if let Some(v) = req.status {
            pr.status = Some(v);
        }
        if let Some(v) = &branch {
            pr.branch = Some(v.clone());
        }
        if let Some(v) = &commit {
            pr.commit = Some(v.clone());
        }
        if let Some(v) = req.ci {
            pr.ci = Some(v);
        }
        pr.updated_at = Some(tx.now);
        let pr = pr.clone();
        let linked = payload::PrLinked {
            url: pr.url.clone(),
            created,
            status: pr.status,
            ci: pr.ci,
        };
        let after = tx.edit(&before, after, Payload::PrLinked(linked))?;
        let view = view_in(tx, after)?;
        Ok(PrOutcome { view, pr, created })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            check_url(" https://github.com/o/r/pull/1 ").unwrap(),
            "https://github.com/o/r/pull/1"
        );
        assert!(check_url("http://x").is_ok());
        for bad in [
            "",
            "github.com/o/r/pull/1",
            "ftp://x",
            "https://",
            "https://a b",
            "https://a\u{1b}[31m",
            "javascript:alert(1)",
        ] {
            assert_eq!(check_url(bad).unwrap_err().code(), "invalid_value", "{bad}");
        }
    }

    #[test]
    fn commits() {
        assert_eq!(check_commit("ABCDEF1").unwrap(), "abcdef1");
        assert!(check_commit(&"a".repeat(64)).is_ok());
        for bad in ["abc123", "abcdefg", &"a".repeat(65), "", "abc def1"] {
            assert!(check_commit(bad).is_err(), "{bad}");
        }
    }
}

crate::one_issue!(PrOutcome);
