//! Who may do what: the per-run token (an `Authorization: Bearer` header, or the cookie the
//! tokenized URL sets), the `Host` check (a page on another name that resolves here, DNS
//! rebinding, is refused), the same-origin check on writes from browsers, and `If-Match`.
//!
//! Invariants: tokens are compared in constant time; a write passes only with the token and an
//! `Origin` (when the client sends one) equal to this server's own origin; `Sec-Fetch-Site`
//! other than `same-origin` or `none` is refused on writes.

use super::Shared;
use super::http::{Response, http_error};
use hyper::HeaderMap;
use serde_json::json;

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// Compares two strings without an early exit on the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The token a request carries: the bearer header, else the cookie.
fn presented(s: &Shared, h: &HeaderMap) -> Option<String> {
    if let Some(v) = header(h, "authorization") {
        let v = v.trim();
        if v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer ") {
            return Some(v[7..].trim().to_string());
        }
    }
    let name = s.cookie_name();
    h.get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
}

/// Whether the request carries this run's token.
pub fn has_token(s: &Shared, h: &HeaderMap) -> bool {
    presented(s, h).is_some_and(|t| same(&t, &s.token))
}

/// Whether `token` (from a URL) is this run's.
pub fn is_token(s: &Shared, token: &str) -> bool {
    same(token, &s.token)
}

/// Refuses a request addressed to a name this server does not answer to.
pub fn check_host(s: &Shared, h: &HeaderMap) -> Result<(), Response> {
    if s.hosts.is_empty() {
        return Ok(());
    }
    let host = header(h, "host").unwrap_or("").to_ascii_lowercase();
    if s.hosts.contains(&host) {
        return Ok(());
    }
    Err(http_error(
        "forbidden_host",
        format!(
            "this server answers to {}, not to `{}`",
            s.hosts.join(", "),
            host.escape_debug()
        ),
        json!({ "host": host, "allowed": s.hosts }),
    ))
}

/// Refuses a read that needs the token: on a non-loopback address every request does.
pub fn check_read(s: &Shared, h: &HeaderMap) -> Result<(), Response> {
    if s.loopback || has_token(s, h) {
        return Ok(());
    }
    Err(unauthorized())
}

fn unauthorized() -> Response {
    http_error(
        "unauthorized",
        "this request needs the token `jit serve` printed: open the URL it printed (it sets a \
         cookie), or send `Authorization: Bearer TOKEN`",
        json!({}),
    )
}

/// Checks everything a write needs before it is attempted: not read-only, the token, and (from a
/// browser) this server's own origin.
pub fn check_write(s: &Shared, h: &HeaderMap) -> Result<(), Response> {
    if s.read_only {
        return Err(http_error(
            "read_only",
            "this console was started with --read-only; nothing can be changed through it",
            json!({}),
        ));
    }
    if !has_token(s, h) {
        return Err(unauthorized());
    }
    let host = header(h, "host").unwrap_or("");
    if let Some(origin) = header(h, "origin") {
        let own = format!("http://{host}");
        if !origin.eq_ignore_ascii_case(&own) {
            return Err(http_error(
                "forbidden_origin",
                format!(
                    "a write from `{}` is refused; only pages of {own} may write",
                    origin.escape_debug()
                ),
                json!({ "origin": origin, "expected": own }),
            ));
        }
    }
    if let Some(site) = header(h, "sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return Err(http_error(
            "forbidden_origin",
            format!("a write from a {site} page is refused"),
            json!({ "sec_fetch_site": site }),
        ));
    }
    Ok(())
}

/// What `If-Match` asks for: a version, or `*` (any).
#[derive(Debug, PartialEq)]
pub enum Precondition {
    Version(u64),
    Any,
}

/// Reads `If-Match`: `"7"`, `W/"7"`, `7` or `*`. Missing: 428; unreadable: 400.
pub fn if_match(h: &HeaderMap) -> Result<Precondition, Response> {
    let Some(raw) = header(h, "if-match") else {
        return Err(http_error(
            "precondition_required",
            "a write needs `If-Match` with the issue's version (its `ETag`, e.g. `If-Match: \"3\"`), \
             or `If-Match: *` to write whatever the version",
            json!({}),
        ));
    };
    let v = raw.trim();
    if v == "*" {
        return Ok(Precondition::Any);
    }
    let v = v.strip_prefix("W/").unwrap_or(v);
    let v = v
        .strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(v);
    v.parse::<u64>().map(Precondition::Version).map_err(|_| {
        http_error(
            "invalid_value",
            format!(
                "`If-Match: {}` is not one version; send the `ETag` of the issue, e.g. `\"3\"`",
                raw.escape_debug()
            ),
            json!({ "field": "If-Match" }),
        )
    })
}

impl Precondition {
    /// The `if_version` of the core operation.
    pub fn version(&self) -> Option<u64> {
        match self {
            Precondition::Version(v) => Some(*v),
            Precondition::Any => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn if_match_forms() {
        assert_eq!(
            if_match(&headers(&[("if-match", "\"7\"")])).ok(),
            Some(Precondition::Version(7))
        );
        assert_eq!(
            if_match(&headers(&[("if-match", "W/\"7\"")])).ok(),
            Some(Precondition::Version(7))
        );
        assert_eq!(
            if_match(&headers(&[("if-match", "12")])).ok(),
            Some(Precondition::Version(12))
        );
        assert_eq!(
            if_match(&headers(&[("if-match", "*")])).ok(),
            Some(Precondition::Any)
        );
        assert_eq!(if_match(&headers(&[])).unwrap_err().status().as_u16(), 428);
        assert_eq!(
            if_match(&headers(&[("if-match", "\"1\", \"2\"")]))
                .unwrap_err()
                .status()
                .as_u16(),
            400
        );
    }

    #[test]
    fn constant_time_compare() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
