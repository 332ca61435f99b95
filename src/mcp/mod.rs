//! `jit mcp`: a Model Context Protocol server on stdio (the `rmcp` SDK, behind the `mcp` cargo
//! feature), exposing the agent workflow as tools: a front-end of its own beside the command
//! line, over the same operations (`crate::ops`) and the same store opening
//! (`crate::workspace`).
//!
//! Invariants: a tool's arguments deserialize straight into an operation's typed request (an
//! [`ops::Mutation`] or [`ops::Read`] in `crate::ops`, the same value the command line builds
//! from its flags), less the `actor` every tool takes, and the tool runs that request: so its
//! result is exactly the JSON `--json` prints (as text and as `structuredContent`), and a
//! failure is a tool error (`isError: true`) whose content is the CLI's error object with the
//! same code. Each tool's input schema is its request's and its `outputSchema` the schema of
//! the request's `Output` (`crate::schema::reply`), so neither can drift from what runs.
//! Stdout carries only JSON-RPC; nothing here prints. The store is found from the server's
//! working directory (or `-C`) on every call, and the actor is the tool's `actor` argument, else
//! the server's `--actor`, else `JIT_ACTOR`, else git (`crate::identity`). Without the feature,
//! `jit mcp` exists and fails with `feature_disabled` (exit 2).

/// Where the server works and who it acts as by default.
#[derive(Clone, Debug)]
pub struct Session {
    /// The directory the store is found from (`-C`, else the working directory).
    pub dir: std::path::PathBuf,
    /// The server's `--actor`, else `JIT_ACTOR`, else git decides (`crate::identity`).
    pub actor: Option<String>,
}

#[cfg(feature = "mcp")]
mod wire;

#[cfg(not(feature = "mcp"))]
pub fn run(_session: Session) -> crate::error::Result<()> {
    Err(crate::error::Error::Refused {
        code: crate::error::ErrorCode::FeatureDisabled,
        message: "this jit was built without the `mcp` feature; rebuild it with the default \
                  features (`cargo install --path .` or `cargo build --features mcp`)"
            .into(),
        details: serde_json::json!({ "feature": "mcp" }),
    })
}

#[cfg(feature = "mcp")]
pub use server::run;

#[cfg(feature = "mcp")]
mod server {
    use super::Session;
    use crate::error::{Error, Result};
    use crate::{context, ops};
    use rmcp::model::{
        CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
        JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
        Tool, ToolAnnotations,
    };
    use rmcp::service::RequestContext;
    use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
    use schemars::JsonSchema;
    use schemars::generate::SchemaSettings;
    use serde::de::DeserializeOwned;
    use serde_json::Value;
    use std::sync::{Arc, OnceLock};

    /// Runs the server until the client closes stdin.
    pub fn run(session: Session) -> Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io("starting the MCP runtime", e))?;
        let server = Server { session };
        // Every line passes the wire first (`mcp::wire`): the malformed ones are answered
        // there with the JSON-RPC error they deserve, the rest reach the server.
        let known = |name: &str| TOOLS.iter().any(|t| t.name == name);
        runtime.block_on(super::wire::run(
            tokio::io::stdin(),
            tokio::io::stdout(),
            known,
            |input, output| async move {
                let running = server
                    .serve((input, output))
                    .await
                    .map_err(|e| Error::Internal(format!("MCP handshake failed: {e}")))?;
                running
                    .waiting()
                    .await
                    .map_err(|e| Error::Internal(format!("MCP server stopped: {e}")))?;
                Ok::<(), Error>(())
            },
        ))?;
        Ok(())
    }

    #[derive(Clone)]
    struct Server {
        session: Session,
    }

    /// One tool: its name, what it does, the schemas of its arguments and of its result, and how
    /// to run it.
    struct ToolDef {
        name: &'static str,
        description: &'static str,
        schema: fn() -> JsonObject,
        /// The `outputSchema`: the schema of the type the command replies with.
        output: fn() -> JsonObject,
        call: fn(&Session, Value) -> Result<Value>,
    }

    fn input_schema<T: JsonSchema>() -> JsonObject {
        let schema = SchemaSettings::draft2020_12()
            .with(|s| {
                s.inline_subschemas = true;
                s.meta_schema = None;
            })
            .into_generator()
            .into_root_schema_for::<T>();
        match schema.to_value() {
            Value::Object(mut m) => {
                m.remove("title");
                m
            }
            _ => JsonObject::new(),
        }
    }

    fn args<T: DeserializeOwned>(v: Value) -> Result<T> {
        serde_json::from_value(v).map_err(|e| Error::Usage {
            message: format!("invalid tool arguments: {e}"),
        })
    }

    /// One tool: `mutation "name" Request: "description"`, `read ...` or `paged ...` (a read
    /// whose `limit` defaults to [`DEFAULT_LIMIT`]) for an operation's typed request
    /// ([`ops::Mutation`], [`ops::Read`]): the arguments are its fields, plus `actor`.
    macro_rules! tool {
        (mutation $name:literal $req:ty : $desc:literal) => {
            tool!(@def $name, $req, ops::Mutation, mutation_tool, $desc)
        };
        (read $name:literal $req:ty : $desc:literal) => {
            tool!(@def $name, $req, ops::Read, read_tool, $desc)
        };
        (paged $name:literal $req:ty : $desc:literal) => {
            tool!(@def $name, $req, ops::Read, paged_tool, $desc)
        };
        (@def $name:literal, $req:ty, $op:path, $call:ident, $desc:literal) => {
            ToolDef {
                name: $name,
                description: $desc,
                schema: acting_schema::<$req>,
                output: crate::schema::reply::<<$req as $op>::Output>,
                call: $call::<$req>,
            }
        };
    }

    /// A request's schema with the `actor` every tool takes.
    fn acting_schema<R: JsonSchema>() -> JsonObject {
        let mut schema = input_schema::<R>();
        // A request without fields (`gate list`) has no `properties` to add `actor` to.
        let props = schema
            .entry("properties")
            .or_insert_with(|| Value::Object(JsonObject::new()));
        if let Value::Object(props) = props {
            props.insert(
                "actor".into(),
                serde_json::json!({
                    "description": "Act as this actor (`type:identifier`); default: the server's actor.",
                    "type": ["string", "null"]
                }),
            );
        }
        schema
    }

    /// The `actor` of a tool's arguments, and the rest: the request's fields.
    fn split_actor(v: Value) -> Result<(Option<String>, Value)> {
        let Value::Object(mut m) = v else {
            return Err(Error::Usage {
                message: "invalid tool arguments: an object is expected".into(),
            });
        };
        let actor = match m.remove("actor") {
            None | Some(Value::Null) => None,
            Some(Value::String(a)) => Some(a),
            Some(other) => {
                return Err(Error::Usage {
                    message: format!("invalid tool arguments: `actor` is a string, not {other}"),
                });
            }
        };
        Ok((actor, Value::Object(m)))
    }

    /// A tool's result: the operation's output, as `--json` prints it.
    fn json<T: serde::Serialize>(out: T) -> Result<Value> {
        serde_json::to_value(out)
            .map_err(|e| Error::Internal(format!("serializing the reply: {e}")))
    }

    /// The store, found from the session's directory, claims published as the config says;
    /// what opening it has to say goes to stderr (stdout is the protocol).
    fn store(session: &Session) -> Result<crate::store::Store> {
        let opened = crate::workspace::open(&session.dir, &crate::workspace::Claims::AsConfigured)?;
        warn(opened.notes.iter().chain(&opened.warnings));
        Ok(opened.store)
    }

    /// Diagnostics, one line each on stderr.
    fn warn<'a>(lines: impl IntoIterator<Item = &'a String>) {
        for l in lines {
            eprintln!("jit mcp: {}", l.replace(['\n', '\r'], " "));
        }
    }

    fn mutation_tool<R: ops::Mutation + DeserializeOwned>(
        session: &Session,
        v: Value,
    ) -> Result<Value> {
        let (actor, v) = split_actor(v)?;
        let request: R = args(v)?;
        let store = store(session)?;
        let actor =
            crate::identity::resolve(actor.as_deref().or(session.actor.as_deref()), store.root())?;
        json(request.run(&store, &actor)?)
    }

    /// A list tool: [`read_tool`] with at most [`DEFAULT_LIMIT`] issues unless `limit` says.
    fn paged_tool<R: ops::Read + ops::lists::Paged + DeserializeOwned>(
        session: &Session,
        v: Value,
    ) -> Result<Value> {
        let (_, v) = split_actor(v)?;
        let mut request: R = args(v)?;
        request.limit().get_or_insert(DEFAULT_LIMIT);
        json(request.run(&store(session)?)?)
    }

    fn read_tool<R: ops::Read + DeserializeOwned>(session: &Session, v: Value) -> Result<Value> {
        // A read acts as nobody; `actor` is accepted like on every tool.
        let (_, v) = split_actor(v)?;
        let request: R = args(v)?;
        json(request.run(&store(session)?)?)
    }

    /// Every tool: `cli` ones still build the command line's arguments; `mutation` and `read`
    /// ones deserialize straight into an operation's typed request and run it.
    const TOOLS: &[ToolDef] = &[
        tool!(paged "list" ops::lists::ListRequest: "List issues, oldest first, a page at a time: at most `limit` issues (default 50), with `next_cursor` to pass back as `cursor` for the next page. Each issue is in the lean shape (id, short_id, title, state, priority, type, assignee, labels, blocked); `fields` picks other fields, `full: true` gives whole issues. The same JSON as `jit issue list --json` ({shape, issues, total, next_cursor, problems})."),
        tool!(paged "ready" ops::lists::QueryRequest: "Ready, unassigned, unblocked issues, best first (priority, then age), a page at a time: at most `limit` (default 50), with `next_cursor` to pass back as `cursor`. Issues in the lean shape (id, short_id, title, state, priority, type, assignee, labels, blocked) unless `fields` or `full: true` ask for more; `context` reads one issue in full. The same JSON as `jit query ready --json`."),
        tool!(read "show" ops::issues::ShowRequest: "One issue with its derived fields (short_id, blocked, blocked_by): `jit issue show --json`."),
        tool!(read "context" context::ContextRequest: "The issue as LLM-ready markdown (description, checklist, dependencies, gates, recent activity): `jit issue context --json`."),
        tool!(mutation "create" ops::issues::CreateRequest: "Create an issue; returns the new issue as `issue show` prints it."),
        tool!(mutation "update" ops::issues::UpdateIssueRequest: "Change fields of an issue or move it with `state`; an empty string clears an optional text field. Returns the issue plus `pending_gates`, `promoted`, `demoted` (`jit issue update --json`)."),
        tool!(mutation "claim" ops::claims::ClaimRequest: "Claim an issue atomically with a lease (a ready issue moves to in_progress). Fails with `already_claimed` when someone else holds it."),
        tool!(mutation "claim_next" ops::claims::ClaimNextRequest: "Claim the best ready, unclaimed issue (priority, then age) atomically; returns the claimed issue in the lean shape (`fields` or `full: true` for more) with `pending_gates`, `promoted`, `demoted`. Fails with `no_ready_work` when there is none."),
        tool!(mutation "release" ops::claims::ReleaseRequest: "Give a claimed issue back (in_progress returns to ready)."),
        tool!(mutation "comment" ops::comment::CommentRequest: "Add a comment (markdown) to an issue."),
        tool!(mutation "checklist_check" ops::checklist::ChecklistCheckRequest: "Tick (or, with checked: false, untick) the acceptance criterion with this exact text."),
        tool!(mutation "pr_link" ops::pr::PrLinkRequest: "Link a pull request to an issue, or update the one with the same URL."),
        tool!(mutation "gate_pass" ops::gates::PassRequest: "Record a required gate as passed (manual gates need a `human:` actor). May move a gated issue to done."),
        tool!(mutation "gate_fail" ops::gates::FailRequest: "Record a required gate as failed."),
        tool!(mutation "gate_check" ops::gates::CheckRequest: "Run the checker commands of an issue's gates and record the results; returns the report (a failing gate is in `failed`, not a tool error)."),
        tool!(mutation "dep_add" ops::deps::DepAddRequest: "Make issue `id` depend on issue `on` (refused with `cycle` if it would close one)."),
        tool!(mutation "dep_remove" ops::deps::DepRemoveRequest: "Remove the dependency of issue `id` on issue `on` (refused with `not_a_dependency` if there is none); `id` may become ready."),
        tool!(mutation "heartbeat" ops::claims::HeartbeatRequest: "Extend your lease on an issue you hold (by `ttl` from now, or the lease's own length). Fails with `not_claimed` or `already_claimed`."),
        tool!(mutation "reopen" ops::claims::ReopenRequest: "Reopen a done or archived issue, with the reason recorded in the event log."),
        tool!(mutation "checklist_add" ops::checklist::ChecklistAddRequest: "Add an acceptance criterion (unchecked) to an issue's checklist; refused with `duplicate_item` if the same text is there."),
        tool!(mutation "link_add" ops::link::LinkAddRequest: "Link issue `id` to another: `relates` or `duplicates` (exactly one)."),
        tool!(mutation "link_remove" ops::link::LinkRemoveRequest: "Remove a link from issue `id` (`relates` or `duplicates`, as it was added)."),
        tool!(read "gate_list" ops::gates::ListRequest: "The gate registry: every gate's key, title, stage, and whether a checker runs it."),
    ];

    /// How many issues a list tool returns when the call names no `limit`.
    const DEFAULT_LIMIT: usize = 50;

    /// The tools that change nothing: clients may call them without asking.
    const READ_ONLY: &[&str] = &["list", "ready", "show", "context", "gate_list"];

    /// The tools that overwrite or take away what is there (the others only add or move work
    /// forward).
    const DESTRUCTIVE: &[&str] = &["update", "release", "dep_remove", "link_remove"];

    /// How a client may treat a tool (MCP's hints): read-only or not, and for the others whether
    /// they overwrite; every tool works on this repository only (a closed world).
    fn annotations(name: &str) -> ToolAnnotations {
        let hints = ToolAnnotations::new().open_world(false);
        if READ_ONLY.contains(&name) {
            hints.read_only(true).idempotent(true)
        } else {
            hints
                .read_only(false)
                .destructive(DESTRUCTIVE.contains(&name))
        }
    }

    fn tool(def: &ToolDef) -> Tool {
        Tool::new(def.name, def.description, (def.schema)())
            .with_raw_output_schema(Arc::new((def.output)()))
            .annotate(annotations(def.name))
    }

    /// Every tool as `tools/list` gives it, made once (the schemas are generated from the types).
    fn tool_list() -> &'static [Tool] {
        static LIST: OnceLock<Vec<Tool>> = OnceLock::new();
        LIST.get_or_init(|| TOOLS.iter().map(tool).collect())
    }

    /// A tool's outcome: the text `--json` prints and the same JSON as a value.
    struct ToolOutcome {
        text: String,
        value: Value,
        is_error: bool,
    }

    impl ToolOutcome {
        fn error(e: &Error) -> Self {
            let value = e.to_json();
            ToolOutcome {
                text: serde_json::to_string_pretty(&value).unwrap_or_default(),
                value,
                is_error: true,
            }
        }

        fn into_result(self) -> CallToolResult {
            let mut r = if self.is_error {
                CallToolResult::error(vec![ContentBlock::text(self.text)])
            } else {
                CallToolResult::success(vec![ContentBlock::text(self.text)])
            };
            if self.value.is_object() {
                r.structured_content = Some(self.value);
            }
            r
        }
    }

    /// Runs one tool to completion: the CLI's JSON, or the CLI's error JSON.
    fn call(session: Session, name: &str, arguments: Option<JsonObject>) -> ToolOutcome {
        let Some(def) = TOOLS.iter().find(|t| t.name == name) else {
            return ToolOutcome::error(&Error::Usage {
                message: format!("unknown tool `{}`", name.escape_debug()),
            });
        };
        let arguments = Value::Object(arguments.unwrap_or_default());
        let result = (def.call)(&session, arguments);
        // Deliveries the tool's changes queued: stdout is the protocol stream, so problems go
        // to stderr like every other diagnostic.
        warn(&crate::hooks::flush());
        match result {
            Ok(value) => ToolOutcome {
                // Exactly what `--json` prints: pretty, with a trailing newline.
                text: serde_json::to_string_pretty(&value).unwrap_or_default()
                    + "
",
                value,
                is_error: false,
            },
            Err(e) => ToolOutcome::error(&e),
        }
    }

    impl ServerHandler for Server {
        fn get_info(&self) -> ServerConfig {
            let mut about = Implementation::new("jit", env!("CARGO_PKG_VERSION"));
            about.title = Some("jit issue tracker".into());
            ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
                .with_server_info(about)
                .with_instructions(
                    "jit tracks this repository's issues. Loop: `ready` or `claim_next`, \
                     `context` to read the task, do the work, `checklist_check`, `comment`, \
                     `pr_link`, then `update` with state `done` (gates may hold it in `gated`). \
                     Results are the JSON of `jit ... --json`; errors carry a stable `code`.",
                )
        }

        async fn list_tools(
            &self,
            _request: Option<PaginatedRequestParams>,
            _context: RequestContext<RoleServer>,
        ) -> std::result::Result<ListToolsResult, ErrorData> {
            Ok(ListToolsResult::with_all_items(tool_list().to_vec()))
        }

        fn get_tool(&self, name: &str) -> Option<Tool> {
            tool_list().iter().find(|t| t.name == name).cloned()
        }

        async fn call_tool(
            &self,
            request: CallToolRequestParams,
            _context: RequestContext<RoleServer>,
        ) -> std::result::Result<CallToolResponse, ErrorData> {
            let session = self.session.clone();
            let name = request.name.to_string();
            let arguments = request.arguments;
            // Tools do blocking file I/O and may run gate checkers: keep them off the runtime.
            let joined = tokio::task::spawn_blocking(move || call(session, &name, arguments)).await;
            let outcome = joined.unwrap_or_else(|e| {
                ToolOutcome::error(&Error::Internal(format!(
                    "the tool stopped unexpectedly ({e}); this is a bug in jit, please report it"
                )))
            });
            Ok(outcome.into_result().into())
        }
    }
}
