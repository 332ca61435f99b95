//! HTTP plumbing: the response body (whole, or a stream of chunks for Server-Sent Events),
//! replies and errors in the CLI's JSON shapes, and reading requests (query strings, JSON
//! bodies with a size limit).
//!
//! Invariants: every error reply is `{"error": {"code", "message", "details"}}` as the CLI
//! prints it, with one HTTP status per code ([`status_of`]); a body over [`MAX_BODY`] is refused
//! before it is parsed.

use crate::error::Error;
use hyper::StatusCode;
use hyper::body::{Bytes, Frame, Incoming, SizeHint};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The largest request body read (a description may hold 256 KiB).
pub const MAX_BODY: usize = 1024 * 1024;

/// A response body: all at once, or chunks as they come (an event stream).
pub enum Body {
    Full(Option<Bytes>),
    Stream(tokio::sync::mpsc::Receiver<Bytes>),
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            Body::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Body::Stream(rx) => rx.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Body::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Body::Full(None) => SizeHint::with_exact(0),
            Body::Stream(_) => SizeHint::default(),
        }
    }
}

pub type Response = hyper::Response<Body>;

/// A response with a body and content type, and the headers every response carries.
pub fn response(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response {
    let mut r = hyper::Response::new(Body::Full(Some(body.into())));
    *r.status_mut() = status;
    let h = r.headers_mut();
    insert(h, "content-type", content_type);
    insert(h, "cache-control", "no-store");
    insert(h, "x-content-type-options", "nosniff");
    insert(h, "referrer-policy", "no-referrer");
    r
}

/// Sets a header; values jit builds are always valid header text.
pub fn insert(h: &mut hyper::HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = hyper::header::HeaderValue::from_str(value) {
        h.insert(name, v);
    }
}

/// A JSON reply (compact, with a trailing newline).
pub fn json_reply(status: StatusCode, v: &Value) -> Response {
    let mut text = serde_json::to_vec(v).unwrap_or_else(|_| b"{}".to_vec());
    text.push(b'\n');
    response(status, "application/json", text)
}

/// The HTTP status of an error code.
pub fn status_of(code: &str) -> StatusCode {
    match code {
        "not_found" | "not_a_jit_repo" | "no_route" => StatusCode::NOT_FOUND,
        "unauthorized" => StatusCode::UNAUTHORIZED,
        "forbidden_origin" | "forbidden_host" | "read_only" | "manual_gate" => {
            StatusCode::FORBIDDEN
        }
        "method_not_allowed" => StatusCode::METHOD_NOT_ALLOWED,
        "version_conflict" => StatusCode::PRECONDITION_FAILED,
        "precondition_required" => StatusCode::PRECONDITION_REQUIRED,
        "body_too_large" => StatusCode::PAYLOAD_TOO_LARGE,
        "unsupported_media_type" => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "not_acceptable" => StatusCode::NOT_ACCEPTABLE,
        "cycle" | "already_claimed" | "blocked" | "gates_pending" | "invalid_transition"
        | "has_dependents" | "claim_lost" | "claim_superseded" | "conflict" => StatusCode::CONFLICT,
        "invalid_id" | "invalid_value" | "usage" | "invalid_query" | "ambiguous_id"
        | "unknown_gate" | "invalid_body" | "duplicate_item" | "no_such_item"
        | "gate_not_required" | "not_claimed" | "not_a_dependency" => StatusCode::BAD_REQUEST,
        _ => match code {
            "io" | "internal" | "corrupt_file" | "schema_version" => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            // Other refusals of the core are the caller's to fix.
            _ => StatusCode::BAD_REQUEST,
        },
    }
}

/// An error of the core as its HTTP reply. A version conflict carries the current version as
/// the `ETag`.
pub fn error_reply(e: &Error) -> Response {
    let mut r = json_reply(status_of(e.code()), &e.to_json());
    if let Error::VersionConflict { actual, .. } = e {
        insert(r.headers_mut(), "etag", &format!("\"{actual}\""));
    }
    r
}

/// An error of the HTTP layer (no core operation involved), in the same shape.
pub fn http_error(code: &str, message: impl Into<String>, details: Value) -> Response {
    json_reply(
        status_of(code),
        &json!({ "error": { "code": code, "message": message.into(), "details": details } }),
    )
}

/// Decodes `%XX` escapes and `+` (a space) in a query-string component.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The query string as a map (the last of repeated keys wins).
pub fn query_map(query: Option<&str>) -> HashMap<String, String> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}

/// Reads a request body whole, refusing one over [`MAX_BODY`].
pub async fn read_body(body: Incoming) -> Result<Bytes, Response> {
    use http_body_util::BodyExt;
    match http_body_util::Limited::new(body, MAX_BODY).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(_) => Err(http_error(
            "body_too_large",
            format!("the request body is larger than {MAX_BODY} bytes, or was cut off"),
            json!({ "limit": MAX_BODY }),
        )),
    }
}

/// Parses a JSON body into `T`; an empty body is `{}`.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Response> {
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(text).map_err(|e| {
        http_error(
            "invalid_body",
            format!("the request body is not the JSON this route takes: {e}"),
            json!({ "line": e.line(), "column": e.column() }),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_query_components() {
        assert_eq!(
            percent_decode("label%3Aui+-type%3Abug"),
            "label:ui -type:bug"
        );
        assert_eq!(percent_decode("%E2%9C%93"), "✓");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        let m = query_map(Some("filter=state%3Aready&limit=2&x"));
        assert_eq!(m["filter"], "state:ready");
        assert_eq!(m["limit"], "2");
        assert_eq!(m["x"], "");
    }

    #[test]
    fn statuses() {
        assert_eq!(
            status_of("version_conflict"),
            StatusCode::PRECONDITION_FAILED
        );
        assert_eq!(status_of("precondition_required").as_u16(), 428);
        assert_eq!(status_of("unauthorized").as_u16(), 401);
        assert_eq!(status_of("forbidden_origin").as_u16(), 403);
        assert_eq!(status_of("not_found").as_u16(), 404);
        assert_eq!(status_of("blocked").as_u16(), 409);
        assert_eq!(status_of("internal").as_u16(), 500);
    }
}
