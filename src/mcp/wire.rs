//! The wire in front of `jit mcp`'s JSON-RPC server: every line a client sends is either handed
//! to the MCP server whole or answered here with the JSON-RPC error it deserves, so no request
//! goes unanswered and the client never waits for its own timeout.
//!
//! Invariants:
//! - A line of [`MAX_LINE`] bytes or more is never buffered whole: it is answered "message too
//!   large" (`-32600`, with the limit in `data`) and its remaining bytes are skipped.
//! - A line that is not UTF-8, not JSON, or nested deeper than the JSON parser allows (128) is a
//!   parse error (`-32700`, `id: null`); a JSON value that is not a JSON-RPC 2.0 message is an
//!   invalid request (`-32600`, with its `id` when it has one).
//! - `tools/call` whose `params` is not an object with a string `name` (and an object
//!   `arguments`, when given), or names no tool, is invalid params (`-32602`).
//! - Notifications (no `id`) are never answered, as JSON-RPC requires; a bad one is dropped.
//! - Stdout gets whole lines only: the server's replies and these errors are written by one task,
//!   one line at a time.

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// The largest message accepted, in bytes (the newline excluded): what the MCP SDK accepts too.
pub const MAX_LINE: usize = 16 * 1024 * 1024 - 1;

/// JSON-RPC error codes.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const INVALID_PARAMS: i64 = -32602;

/// What to do with one line.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// Hand it to the server unchanged.
    Pass,
    /// Nothing to do (a blank line, a bad notification).
    Drop,
    /// Answer with this error reply.
    Answer(Value),
}

fn error(id: Value, code: i64, message: String, data: Option<Value>) -> Value {
    let mut e = json!({ "code": code, "message": message });
    if let Some(d) = data {
        e["data"] = d;
    }
    json!({ "jsonrpc": "2.0", "id": id, "error": e })
}

/// The "message too large" reply for a line of `len` bytes or more.
pub fn too_large(len: usize) -> Value {
    error(
        Value::Null,
        INVALID_REQUEST,
        format!(
            "message too large: {len} bytes or more; the limit is {MAX_LINE} bytes per message"
        ),
        Some(json!({ "limit": MAX_LINE })),
    )
}

/// Judges one line (without its newline). `known_tool` says whether a tool of that name exists.
pub fn judge(line: &[u8], known_tool: &dyn Fn(&str) -> bool) -> Verdict {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Verdict::Drop;
    }
    let text = match std::str::from_utf8(line) {
        Ok(t) => t,
        Err(e) => {
            return Verdict::Answer(error(
                Value::Null,
                PARSE_ERROR,
                format!("Parse error: the message is not UTF-8 ({e})"),
                None,
            ));
        }
    };
    let msg: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return Verdict::Answer(error(
                Value::Null,
                PARSE_ERROR,
                format!("Parse error: {e}"),
                None,
            ));
        }
    };
    let Some(obj) = msg.as_object() else {
        return Verdict::Answer(error(
            Value::Null,
            INVALID_REQUEST,
            "Invalid Request: a message is one JSON-RPC 2.0 object (batches are not supported)"
                .into(),
            None,
        ));
    };
    let id = obj.get("id").cloned();
    let id_ok = id
        .as_ref()
        .is_none_or(|i| i.is_string() || i.is_i64() || i.is_u64() || i.is_null());
    if obj.get("jsonrpc") != Some(&json!("2.0")) || !id_ok {
        return Verdict::Answer(error(
            if id_ok {
                id.unwrap_or(Value::Null)
            } else {
                Value::Null
            },
            INVALID_REQUEST,
            "Invalid Request: not a JSON-RPC 2.0 message (`jsonrpc: \"2.0\"` and a string or \
             integer `id`)"
                .into(),
            None,
        ));
    }
    let is_call = obj.get("method").and_then(Value::as_str) == Some("tools/call");
    if !is_call {
        return Verdict::Pass;
    }
    let problem = match obj.get("params") {
        None => Some("`params` is missing".to_string()),
        Some(Value::Object(p)) => match p.get("name") {
            Some(Value::String(n)) if !known_tool(n) => Some(format!(
                "unknown tool `{}`; `tools/list` names them",
                n.escape_debug()
            )),
            Some(Value::String(_)) => match p.get("arguments") {
                None | Some(Value::Object(_)) | Some(Value::Null) => None,
                Some(_) => Some("`params.arguments` must be an object".to_string()),
            },
            Some(_) => Some("`params.name` must be a string".to_string()),
            None => Some("`params.name` is missing".to_string()),
        },
        Some(_) => Some("`params` must be an object".to_string()),
    };
    match (problem, id) {
        (None, _) => Verdict::Pass,
        (Some(_), None) => Verdict::Drop,
        (Some(p), Some(id)) => Verdict::Answer(error(
            id,
            INVALID_PARAMS,
            format!("Invalid params: {p}"),
            None,
        )),
    }
}

/// One bounded read: a whole line (newline removed), a line that was too long (its length so
/// far; the rest is skipped), or the end of input.
enum Line {
    Whole(Vec<u8>),
    TooLong(usize),
    End,
}

async fn read_line<R: AsyncRead + Unpin>(r: &mut BufReader<R>, buf: &mut Vec<u8>) -> Line {
    buf.clear();
    let mut skipping: Option<usize> = None;
    loop {
        let available = match r.fill_buf().await {
            Ok(a) => a,
            Err(_) => return Line::End,
        };
        if available.is_empty() {
            // End of input: a last line without a newline is still a message.
            return match skipping {
                Some(n) => Line::TooLong(n),
                None if buf.is_empty() => Line::End,
                None => Line::Whole(std::mem::take(buf)),
            };
        }
        let newline = available.iter().position(|b| *b == b'\n');
        let take = newline.map_or(available.len(), |i| i + 1);
        match &mut skipping {
            Some(n) => *n = n.saturating_add(take),
            None if buf.len() + take > MAX_LINE + 1 => {
                skipping = Some(buf.len() + take);
                buf.clear();
                buf.shrink_to(64 * 1024);
            }
            None => buf.extend_from_slice(&available[..take]),
        }
        r.consume(take);
        if newline.is_some() {
            return match skipping {
                Some(n) => Line::TooLong(n),
                None => {
                    buf.pop();
                    Line::Whole(std::mem::take(buf))
                }
            };
        }
    }
}

/// Runs `serve` (the MCP server) on `input` and `output` through the wire: lines from `input`
/// are judged ([`judge`]) and passed to the server or answered here; the server's replies and
/// these answers are written to `output` a whole line at a time. Returns when `input` ends and
/// the server has stopped.
pub async fn run<I, O, S, F>(
    input: I,
    output: O,
    known_tool: fn(&str) -> bool,
    serve: S,
) -> F::Output
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin + Send + 'static,
    S: FnOnce(tokio::io::DuplexStream, tokio::io::DuplexStream) -> F,
    F: std::future::Future,
    F::Output: Send,
{
    // to_server: what the server reads; from_server: what it writes.
    let (mut to_server, server_in) = tokio::io::duplex(256 * 1024);
    let (server_out, from_server) = tokio::io::duplex(256 * 1024);
    let (answers, mut answered) = mpsc::unbounded_channel::<Vec<u8>>();

    let reader = tokio::spawn(async move {
        let mut r = BufReader::with_capacity(64 * 1024, input);
        let mut buf = Vec::new();
        loop {
            let verdict = match read_line(&mut r, &mut buf).await {
                Line::End => break,
                Line::TooLong(n) => Verdict::Answer(too_large(n)),
                Line::Whole(line) => match judge(&line, &known_tool) {
                    Verdict::Pass => {
                        let mut whole = line;
                        whole.push(b'\n');
                        if to_server.write_all(&whole).await.is_err() {
                            break;
                        }
                        continue;
                    }
                    other => other,
                },
            };
            if let Verdict::Answer(v) = verdict {
                let mut bytes = serde_json::to_vec(&v).unwrap_or_default();
                bytes.push(b'\n');
                if answers.send(bytes).is_err() {
                    break;
                }
            }
        }
        // Dropping `to_server` tells the server its input ended.
    });

    let writer = tokio::spawn(async move {
        let mut out = output;
        let mut replies = BufReader::new(from_server);
        let mut line = Vec::new();
        let (mut server_open, mut answers_open) = (true, true);
        while server_open || answers_open {
            tokio::select! {
                n = replies.read_until(b'\n', &mut line), if server_open => {
                    match n {
                        Ok(0) | Err(_) => server_open = false,
                        Ok(_) => {
                            if !line.ends_with(b"\n") {
                                line.push(b'\n');
                            }
                            if out.write_all(&line).await.is_err() || out.flush().await.is_err() {
                                return;
                            }
                            line.clear();
                        }
                    }
                }
                a = answered.recv(), if answers_open => {
                    match a {
                        None => answers_open = false,
                        Some(bytes) => {
                            if out.write_all(&bytes).await.is_err() || out.flush().await.is_err() {
                                return;
                            }
                        }
                    }
                }
            }
        }
    });

    let result = serve(server_in, server_out).await;
    let _ = reader.await;
    let _ = writer.await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(v: &Verdict) -> Option<i64> {
        match v {
            Verdict::Answer(a) => a["error"]["code"].as_i64(),
            _ => None,
        }
    }

    fn known(n: &str) -> bool {
        n == "show"
    }

    #[test]
    fn every_bad_line_gets_its_error() {
        let j = |s: &[u8]| judge(s, &known);
        assert_eq!(j(b"   "), Verdict::Drop);
        assert_eq!(
            code(&j(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":")),
            Some(-32700)
        );
        assert_eq!(code(&j(b"{\"a\":\"\xff\"}")), Some(-32700));
        let deep = "[".repeat(100_000);
        assert_eq!(code(&j(deep.as_bytes())), Some(-32700));
        assert_eq!(code(&j(b"[1,2]")), Some(-32600));
        assert_eq!(code(&j(b"{\"id\":3,\"method\":\"ping\"}")), Some(-32600));
        let r = j(b"{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":[]}");
        assert_eq!(code(&r), Some(-32602));
        let Verdict::Answer(a) = r else { panic!() };
        assert_eq!(a["id"], 4, "the id is kept where there is one");
        for params in [
            "{}",
            "{\"name\":5}",
            "{\"name\":\"nope\"}",
            "{\"name\":\"show\",\"arguments\":[1]}",
        ] {
            let line = format!(
                "{{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"tools/call\",\"params\":{params}}}"
            );
            assert_eq!(code(&j(line.as_bytes())), Some(-32602), "{params}");
        }
        let notification = b"{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":5}";
        assert_eq!(j(notification), Verdict::Drop);
        let good = b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"show\",\"arguments\":{\"id\":\"x\"}}}";
        assert_eq!(j(good), Verdict::Pass);
        assert_eq!(
            j(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\r"),
            Verdict::Pass
        );
    }
}
