//! `jit issue ...`: create, list, show, update, delete.

use super::render::clean_line;
use super::render::{Style, human};
use super::{Ctx, Reply};
use crate::error::{Error, Result};
use crate::history::IssueLog;
use crate::model::{IssueId, Priority, State, Visibility};
use crate::ops::claims::Shaped;
use crate::ops::comment::CommentOutcome;
use crate::ops::issues::{self, CreateRequest, Deleted, Outcome, Shown, UpdateRequest};
use crate::ops::{Mutation, Read, claims};
use crate::pages::{Page, Shape};
use crate::store::FileProblem;
use crate::view::IssueView;
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum IssueCommand {
    /// Create an issue (without --title on a terminal, or with --edit: write it in $EDITOR).
    #[command(visible_alias = "new")]
    Create(CreateArgs),
    /// List issues (oldest first), with paging; people see open work unless --all.
    List(ListArgs),
    /// Show one issue, with a parent's sub-tasks (--related also finds incoming links).
    #[command(visible_alias = "view")]
    Show(ShowIssueArgs),
    /// Change issues (one, several, or every --filter match), or move them with --state.
    Update(UpdateArgs),
    /// Edit an issue in $VISUAL/$EDITOR: markdown with a front matter (see docs/terminal.md).
    Edit(super::edit::EditArgs),
    /// Finish an issue: done (through its gates), or archived with --archive; with a reason.
    Close(super::close::CloseArgs),
    /// Set an issue aside until a date or for a while: not ready work until then.
    Defer(super::defer::DeferArgs),
    /// End a deferral now.
    Undefer(super::defer::UndeferArgs),
    /// Delete an issue.
    Delete(DeleteArgs),
    /// Claim an issue atomically, with a lease (moves a ready issue to in_progress).
    Claim(ClaimArgs),
    /// Claim the best ready, unclaimed issue (priority, then age) atomically.
    ClaimNext(ClaimNextArgs),
    /// Extend your lease on an issue.
    Heartbeat(HeartbeatArgs),
    /// Give a claimed issue back (in_progress returns to ready).
    Release(ReleaseArgs),
    /// Assign an issue to an actor (no lease, no state change).
    Assign(AssignArgs),
    /// Remove the assignee (and any lease).
    Unassign(IdVersionArgs),
    /// Add a comment to an issue.
    Comment(CommentArgs),
    /// Reopen a done or archived issue, with a reason.
    Reopen(ReopenArgs),
    /// One issue's activity, from the event log: `events query --issue ID`, with its filters.
    Log(LogArgs),
    /// The issue as LLM-ready markdown, to paste into an agent's prompt.
    Context(ShowArgs),
}

#[derive(Debug, Args)]
pub struct ClaimArgs {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    #[arg(long, value_name = "ACTOR", help = super::args::CLAIM_FOR)]
    pub to: Option<String>,
    #[arg(long, help = super::args::TTL_NEW)]
    pub ttl: Option<String>,
    #[arg(long = "if-version", value_name = "N", help = super::args::IF_VERSION)]
    pub if_version: Option<u64>,
    #[command(flatten)]
    pub remote: super::RemoteArgs,
}

#[derive(Debug, Args)]
pub struct ClaimNextArgs {
    #[arg(long, value_name = "QUERY", help = super::args::FILTER)]
    pub filter: Option<String>,
    #[arg(long, value_name = "ACTOR", help = super::args::CLAIM_FOR)]
    pub to: Option<String>,
    #[arg(long, help = super::args::TTL_NEW)]
    pub ttl: Option<String>,
    #[command(flatten)]
    pub remote: super::RemoteArgs,
    #[command(flatten)]
    pub shape: ShapeArgs,
}

/// `--fields` / `--full`: what each issue of a `--json` reply holds (see docs/schema/).
#[derive(Debug, Args, Default, Clone)]
pub struct ShapeArgs {
    /// Under --json, print only these fields of each issue (comma-separated, e.g.
    /// `id,title,state`); default: the lean shape (id, short_id, title, state, priority, type,
    /// assignee, labels, blocked).
    #[arg(long, value_name = "A,B,C", conflicts_with = "full")]
    pub fields: Option<String>,
    /// Under --json, print whole issues (every stored field and the derived ones).
    #[arg(long)]
    pub full: bool,
}

impl ShapeArgs {
    /// The shape asked for.
    pub fn shape(&self) -> Result<Shape> {
        Shape::parse(self.fields.as_deref(), self.full)
    }
}

#[derive(Debug, Args)]
pub struct HeartbeatArgs {
    pub id: String,
    #[arg(long, help = super::args::TTL_RENEW)]
    pub ttl: Option<String>,
    #[command(flatten)]
    pub remote: super::RemoteArgs,
}

#[derive(Debug, Args)]
pub struct ReleaseArgs {
    pub id: String,
    /// Take back someone else's claim (human actors only).
    #[arg(long)]
    pub force: bool,
    #[arg(long = "if-version", value_name = "N", help = super::args::IF_VERSION)]
    pub if_version: Option<u64>,
    #[command(flatten)]
    pub remote: super::RemoteArgs,
}

#[derive(Debug, Args)]
pub struct AssignArgs {
    pub id: String,
    /// Assign to this actor (`type:identifier`, e.g. `agent:a1`); no lease is taken.
    #[arg(long, value_name = "ACTOR")]
    pub to: String,
    /// Take the issue from the actor holding it (human actors only; recorded as `forced_from`).
    #[arg(long)]
    pub force: bool,
    #[arg(long = "if-version", value_name = "N", help = super::args::IF_VERSION)]
    pub if_version: Option<u64>,
    #[command(flatten)]
    pub remote: super::RemoteArgs,
}

#[derive(Debug, Args)]
pub struct IdVersionArgs {
    pub id: String,
    /// Take the issue from the actor holding it (human actors only; recorded as `forced_from`).
    #[arg(long)]
    pub force: bool,
    #[arg(long = "if-version", value_name = "N", help = super::args::IF_VERSION)]
    pub if_version: Option<u64>,
    #[command(flatten)]
    pub remote: super::RemoteArgs,
}

#[derive(Debug, Args)]
pub struct ReopenArgs {
    pub id: String,
    /// Why it is reopened (recorded in the event log).
    #[arg(long)]
    pub reason: String,
    #[arg(long = "if-version", value_name = "N", help = super::args::IF_VERSION)]
    pub if_version: Option<u64>,
    #[command(flatten)]
    pub remote: super::RemoteArgs,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// One-line summary (without it, on a terminal, the issue is written in $EDITOR).
    #[arg(long)]
    pub title: Option<String>,
    /// Longer description (markdown; `- [ ] item` lines seed the checklist); `-` reads stdin.
    #[arg(long = "desc", visible_alias = "description")]
    pub desc: Option<String>,
    /// Read the description from this file (`-`: stdin).
    #[arg(long = "desc-file", value_name = "PATH", conflicts_with = "desc")]
    pub desc_file: Option<std::path::PathBuf>,
    /// Write the issue in $VISUAL/$EDITOR, starting from the values given here.
    #[arg(long)]
    pub edit: bool,
    /// Write the issue in the editor starting from this file (such as the text a refused create
    /// kept).
    #[arg(long, value_name = "PATH")]
    pub from: Option<std::path::PathBuf>,
    /// low, normal, high or critical.
    #[arg(long)]
    pub priority: Option<Priority>,
    /// Issue type (task, bug, feature, improvement, chore, epic, milestone; configurable).
    #[arg(long = "type")]
    pub kind: Option<String>,
    /// A label (repeatable).
    #[arg(long = "label")]
    pub labels: Vec<String>,
    /// A required gate key from the registry (repeatable).
    #[arg(long = "gate")]
    pub gates: Vec<String>,
    /// An issue this one depends on (repeatable).
    #[arg(long = "dep")]
    pub deps: Vec<String>,
    /// Milestone name.
    #[arg(long)]
    pub milestone: Option<String>,
    /// Parent issue (this becomes a sub-task).
    #[arg(long)]
    pub parent: Option<String>,
    /// Due date, YYYY-MM-DD.
    #[arg(long)]
    pub due: Option<String>,
    /// Estimate (any unit your team uses).
    #[arg(long)]
    pub estimate: Option<f64>,
    /// internal or public (public items appear in public exports).
    #[arg(long)]
    pub visibility: Option<Visibility>,
    /// What proves the work is done (shown in the roadmap).
    #[arg(long)]
    pub evidence: Option<String>,
    /// The exit criterion (shown in the roadmap).
    #[arg(long = "done-when")]
    pub done_when: Option<String>,
    /// Context entry `key=value` for agent data (repeatable).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_name = "QUERY", help = super::args::FILTER)]
    pub filter: Option<String>,
    /// At most this many issues; the reply carries `next_cursor` when more remain.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Continue after this cursor (from a previous `next_cursor`).
    #[arg(long)]
    pub cursor: Option<String>,
    /// Only issues updated at or after TIME (RFC 3339, YYYY-MM-DD, or a span back like `2h`).
    #[arg(long)]
    pub since: Option<String>,
    #[command(flatten)]
    pub shape: ShapeArgs,
    /// Every issue, done and archived too (people otherwise see open work unless --filter is
    /// given; --json lists everything unless --open).
    #[arg(long, conflicts_with = "open")]
    pub all: bool,
    /// Only open work (not done, not archived), in JSON too.
    #[arg(long)]
    pub open: bool,
}

#[derive(Debug, Args)]
pub struct ShowIssueArgs {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// Also show what other issues say about this one: their links to it (`linked_from`) and,
    /// under --json, a parent's `subtasks` and `progress`. Reads every issue; `show --json`
    /// reads one file and its dependencies.
    #[arg(long, visible_alias = "links")]
    pub related: bool,
}

#[derive(Debug, Args)]
pub struct CommentArgs {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// The comment (markdown); `-` reads stdin.
    #[arg(long, required_unless_present = "body_file")]
    pub body: Option<String>,
    /// Read the comment from this file (`-`: stdin).
    #[arg(long = "body-file", value_name = "PATH", conflicts_with = "body")]
    pub body_file: Option<std::path::PathBuf>,
    #[arg(long = "if-version", value_name = "N", help = super::args::IF_VERSION)]
    pub if_version: Option<u64>,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Issue id, short id, or a unique prefix (a deleted issue's id works too).
    pub id: String,
    /// Only events by this actor, or a pattern with `*` such as `agent:*`.
    #[arg(long, value_name = "ACTOR")]
    pub by: Option<String>,
    #[command(flatten)]
    pub filters: super::events::EventFilters,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Issue ids, short ids or unique prefixes: one, or several changed in one transaction.
    #[arg(value_name = "ID", required_unless_present = "filter")]
    pub ids: Vec<String>,
    /// Change every issue this query matches (see docs/query.md), in one transaction.
    #[arg(long, value_name = "QUERY")]
    pub filter: Option<String>,
    /// Show what would change, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Go ahead when --filter matches more issues than --limit.
    #[arg(long)]
    pub yes: bool,
    /// Refuse when --filter matches more issues than this, unless --yes (default 50).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    #[arg(long)]
    pub title: Option<String>,
    /// New description; `-` reads stdin.
    #[arg(long = "desc", visible_alias = "description")]
    pub desc: Option<String>,
    /// Read the new description from this file (`-`: stdin).
    #[arg(long = "desc-file", value_name = "PATH", conflicts_with = "desc")]
    pub desc_file: Option<std::path::PathBuf>,
    #[arg(long)]
    pub priority: Option<Priority>,
    /// Move to this state (backlog, ready, in_progress, gated, done, archived).
    #[arg(long)]
    pub state: Option<State>,
    #[arg(long = "type")]
    pub kind: Option<String>,
    #[arg(long = "add-label")]
    pub add_labels: Vec<String>,
    #[arg(long = "remove-label")]
    pub remove_labels: Vec<String>,
    /// Milestone name; empty string clears it.
    #[arg(long)]
    pub milestone: Option<String>,
    /// Parent issue; empty string clears it.
    #[arg(long)]
    pub parent: Option<String>,
    /// Due date YYYY-MM-DD; empty string clears it.
    #[arg(long)]
    pub due: Option<String>,
    /// Estimate; empty string clears it.
    #[arg(long)]
    pub estimate: Option<String>,
    #[arg(long)]
    pub visibility: Option<Visibility>,
    /// Evidence text; empty string clears it.
    #[arg(long)]
    pub evidence: Option<String>,
    /// Exit criterion; empty string clears it.
    #[arg(long = "done-when")]
    pub done_when: Option<String>,
    /// Set `key=value`, or remove with `key=` (repeatable).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// Drop the records of what merges of this issue discarded (`merge_conflicts`), once read.
    #[arg(long = "clear-merge-conflicts")]
    pub clear_merge_conflicts: bool,
    #[arg(long = "if-version", value_name = "N", help = super::args::IF_VERSION)]
    pub if_version: Option<u64>,
    /// Move the issue although another actor holds it (human actors only; recorded as
    /// `forced_from`). Without it, only the holder moves a claimed issue.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub remote: super::RemoteArgs,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// Also remove the dependency and parent links other issues have to this one; for a human,
    /// also delete an issue another actor holds.
    #[arg(long)]
    pub force: bool,
    #[arg(long = "if-version", value_name = "N", help = super::args::IF_VERSION)]
    pub if_version: Option<u64>,
}

pub fn run(ctx: &Ctx, cmd: IssueCommand) -> Result<Reply> {
    match cmd {
        IssueCommand::Create(a) => create(ctx, a),
        IssueCommand::List(a) => list(ctx, a),
        IssueCommand::Show(a) => show(ctx, a),
        IssueCommand::Edit(a) => super::edit::edit(ctx, a),
        IssueCommand::Close(a) => super::close::run(ctx, a),
        IssueCommand::Defer(a) => super::defer::defer(ctx, a),
        IssueCommand::Undefer(a) => super::defer::undefer(ctx, a),
        IssueCommand::Comment(a) => {
            let body = super::edit::text_input("body", a.body, a.body_file)?.unwrap_or_default();
            let store = ctx.store()?;
            let actor = ctx.actor(&store)?;
            let req = crate::ops::comment::CommentRequest {
                id: a.id,
                body,
                if_version: a.if_version,
            };
            let out = req.run(&store, &actor)?;
            Ok(Reply::issue(out, |o: &CommentOutcome, s: &Style| {
                format!(
                    "commented on {} as {} ({} comment(s))\n",
                    s.paint(&o.view.short_id, super::render::Color::Bold),
                    clean_line(&o.comment.author),
                    o.view.issue.comments.len()
                )
            }))
        }
        IssueCommand::Update(a) => update(ctx, a),
        IssueCommand::Claim(a) => {
            let store = ctx.store_with(&a.remote)?;
            let actor = ctx.actor(&store)?;
            let req = claims::ClaimRequest {
                id: a.id,
                to: a.to,
                ttl: a.ttl,
                if_version: a.if_version,
            };
            Ok(Reply::issue(req.run(&store, &actor)?, claimed_text))
        }
        IssueCommand::ClaimNext(a) => claim_next(ctx, a),
        IssueCommand::Heartbeat(a) => {
            let store = ctx.store_with(&a.remote)?;
            let actor = ctx.actor(&store)?;
            let req = claims::HeartbeatRequest {
                id: a.id,
                ttl: a.ttl,
            };
            let v = req.run(&store, &actor)?;
            Ok(Reply::issue(v, |v: &IssueView, _| {
                let exp = v
                    .issue
                    .lease
                    .as_ref()
                    .and_then(|l| l.expires_at)
                    .map(|e| {
                        format!(
                            "{} ({})",
                            super::render::term::relative(e),
                            super::render::term::minute(e)
                        )
                    })
                    .unwrap_or_default();
                format!("{} lease renewed, ends {exp}\n", v.short_id)
            }))
        }
        IssueCommand::Release(a) => {
            let store = ctx.store_with(&a.remote)?;
            let actor = ctx.actor(&store)?;
            let req = claims::ReleaseRequest {
                id: a.id,
                force: a.force,
                if_version: a.if_version,
            };
            let v = req.run(&store, &actor)?;
            Ok(Reply::issue(v, |v: &IssueView, _| {
                format!("{} released (now {})\n", v.short_id, v.issue.state)
            }))
        }
        IssueCommand::Assign(a) => {
            let store = ctx.store_with(&a.remote)?;
            let actor = ctx.actor(&store)?;
            let req = claims::AssignRequest {
                id: a.id,
                to: Some(a.to),
                force: a.force,
                if_version: a.if_version,
            };
            let v = req.run(&store, &actor)?;
            Ok(Reply::issue(v, |v: &IssueView, _| {
                format!(
                    "{} assigned to {}\n",
                    v.short_id,
                    clean_line(v.issue.assignee.as_deref().unwrap_or("-"))
                )
            }))
        }
        IssueCommand::Unassign(a) => {
            let store = ctx.store_with(&a.remote)?;
            let actor = ctx.actor(&store)?;
            let req = claims::AssignRequest {
                id: a.id,
                to: None,
                force: a.force,
                if_version: a.if_version,
            };
            let v = req.run(&store, &actor)?;
            Ok(Reply::issue(v, |v: &IssueView, _| {
                format!("{} unassigned\n", v.short_id)
            }))
        }
        IssueCommand::Reopen(a) => {
            let store = ctx.store_with(&a.remote)?;
            let actor = ctx.actor(&store)?;
            let req = claims::ReopenRequest {
                id: a.id,
                reason: a.reason,
                if_version: a.if_version,
            };
            let out = req.run(&store, &actor)?;
            Ok(Reply::issue(out, |o: &Outcome, s| outcome_text(o, s)))
        }
        IssueCommand::Log(a) => {
            let store = ctx.store()?;
            let log = crate::history::issue_log(&store, &a.id, a.filters.query(a.by))?;
            let warn = super::events::unreadable_warning(log.unreadable_lines);
            Ok(Reply::new(log, log_text).warn(warn))
        }
        IssueCommand::Context(a) => context(ctx, &a.id),
        IssueCommand::Delete(a) => {
            let store = ctx.store()?;
            let actor = ctx.actor(&store)?;
            let req = issues::DeleteRequest {
                id: a.id,
                force: a.force,
                if_version: a.if_version,
            };
            let d = req.run(&store, &actor)?;
            Ok(Reply::new(d, |d: &Deleted, _| {
                let mut s = format!(
                    "deleted {} {}\n",
                    d.deleted.short_id,
                    super::render::clean_line(&d.deleted.issue.title)
                );
                for u in &d.unlinked {
                    s.push_str(&format!(
                        "removed its link from {}\n",
                        IssueId::parse(u).map(|i| i.short()).unwrap_or_default()
                    ));
                }
                s
            }))
        }
    }
}

fn context_pairs(raw: &[String]) -> Result<Vec<(String, Option<String>)>> {
    raw.iter().map(|s| issues::parse_context(s)).collect()
}

fn create(ctx: &Ctx, mut a: CreateArgs) -> Result<Reply> {
    let desc = super::edit::text_input("description", a.desc.take(), a.desc_file.take())?;
    if a.edit || a.from.is_some() || a.title.is_none() {
        return super::edit::create_in_editor(ctx, a, desc);
    }
    let req = create_request(a, desc)?;
    create_reply(ctx, req)
}

/// The create request of the flags (the description already read).
pub fn create_request(a: CreateArgs, desc: Option<String>) -> Result<CreateRequest> {
    let mut context = std::collections::BTreeMap::new();
    for (k, v) in context_pairs(&a.context)? {
        let v = v.ok_or_else(|| Error::invalid("context", format!("`{k}=` has no value")))?;
        context.insert(k, v);
    }
    Ok(CreateRequest {
        title: a.title.unwrap_or_default(),
        description: desc,
        priority: a.priority,
        kind: a.kind,
        labels: a.labels,
        gates: a.gates,
        deps: a.deps,
        milestone: a.milestone,
        parent: a.parent,
        due: a.due,
        estimate: a.estimate,
        visibility: a.visibility,
        evidence: a.evidence,
        done_when: a.done_when,
        context,
    })
}

/// Creates the issue and says so.
pub fn create_reply(ctx: &Ctx, req: CreateRequest) -> Result<Reply> {
    let store = ctx.store()?;
    let actor = ctx.actor(&store)?;
    let view = issues::create(&store, &actor, req)?;
    Ok(Reply::issue(view, |v: &IssueView, s: &Style| {
        format!(
            "created {} {} ({})\n",
            s.paint(&v.short_id, super::render::Color::Bold),
            super::render::clean_line(&v.issue.title),
            v.issue.state
        )
    }))
}

use crate::ops::issues::patch;

fn update(ctx: &Ctx, mut a: UpdateArgs) -> Result<Reply> {
    let desc = super::edit::text_input("description", a.desc.take(), a.desc_file.take())?;
    let bulk = a.ids.len() != 1 || a.filter.is_some() || a.dry_run;
    let store = ctx.store_with(&a.remote)?;
    let actor = ctx.actor(&store)?;
    let estimate = issues::estimate_patch(a.estimate.as_deref())?;
    let req = UpdateRequest {
        title: a.title,
        description: desc,
        priority: a.priority,
        state: a.state,
        kind: a.kind,
        add_labels: a.add_labels,
        remove_labels: a.remove_labels,
        milestone: patch(a.milestone),
        parent: patch(a.parent),
        due: patch(a.due),
        estimate,
        visibility: a.visibility,
        evidence: patch(a.evidence),
        done_when: patch(a.done_when),
        context: context_pairs(&a.context)?,
        if_version: a.if_version,
        force: a.force,
        clear_merge_conflicts: a.clear_merge_conflicts,
        ..Default::default()
    };
    if bulk {
        let target = super::bulk::Target {
            ids: a.ids,
            filter: a.filter,
            limit: a.limit,
            yes: a.yes,
            dry_run: a.dry_run,
        };
        return super::bulk::run(&store, &actor, target, req);
    }
    let out = issues::update(&store, &actor, &a.ids[0], req)?;
    Ok(Reply::issue(out, |o: &Outcome, s| outcome_text(o, s)))
}

/// Human text for a mutation that may have moved states.
pub fn outcome_text(o: &Outcome, s: &Style) -> String {
    let v = &o.view;
    let mut out = format!(
        "{} {} is {} (version {})\n",
        s.paint(&v.short_id, super::render::Color::Bold),
        super::render::clean_line(&human::ellipsize(&v.issue.title, 60)),
        s.paint(v.issue.state.as_str(), human::state_color(v.issue.state)),
        v.issue.version
    );
    if !o.transition.pending_gates.is_empty() {
        out.push_str(&format!(
            "waiting on gates: {}\n",
            o.transition.pending_gates.join(", ")
        ));
    }
    for p in &o.transition.promoted {
        out.push_str(&format!(
            "now ready: {}\n",
            IssueId::parse(p).map(|i| i.short()).unwrap_or_default()
        ));
    }
    for p in &o.transition.demoted {
        out.push_str(&format!(
            "back to backlog: {}\n",
            IssueId::parse(p).map(|i| i.short()).unwrap_or_default()
        ));
    }
    out
}

/// A page as its reply: one issue per line under `--json` in the lean and `--fields` shapes,
/// pretty whole issues with `--full`; a table for people.
pub fn page_reply(page: Page) -> Reply {
    let warnings = problem_warnings(&page.problems);
    let reply = if *page.shape() == Shape::Full {
        Reply::new(page, page_text)
    } else {
        Reply::item_lines(page, page_text)
    };
    reply.warn(warnings)
}

/// Human text for a page of issues, with a hint when more remain.
pub fn page_text(p: &Page, s: &Style) -> String {
    let mut out = human::line_table(&p.lines(), s);
    if let Some(c) = &p.next_cursor {
        out.push_str(&format!(
            "(showing {} of {}; continue with --cursor {c})\n",
            p.len(),
            p.total
        ));
    }
    if p.closed_left_out > 0 {
        out.push_str(&s.paint(
            &format!(
                "({} done or archived not shown; --all lists them)",
                p.closed_left_out
            ),
            super::render::Color::Dim,
        ));
        out.push('\n');
    }
    out
}

/// Warnings for files that could not be read.
pub fn problem_warnings(p: &[FileProblem]) -> Vec<String> {
    p.iter()
        .map(|p| format!("skipped `{}`: {}", p.path.display(), p.message))
        .collect()
}

/// `issue list` and `jit ls`. People see open work unless `--all` or a `--filter` says
/// otherwise; `--json` lists everything unless `--open`.
pub fn list(ctx: &Ctx, a: ListArgs) -> Result<Reply> {
    let store = ctx.store()?;
    // People see open work unless they ask for all or filter (and hear how much finished work
    // was left out); JSON lists everything unless `--open`.
    let people = !ctx.global.json && !a.all && a.filter.is_none();
    let req = crate::ops::lists::ListRequest {
        filter: a.filter,
        limit: a.limit,
        cursor: a.cursor,
        since: a.since,
        fields: a
            .shape
            .fields
            .map(|f| f.split(',').map(str::to_string).collect()),
        full: Some(a.shape.full),
        open: a.open,
    };
    let page = if people && !a.open {
        req.page(&store, crate::queries::Select::Open)?
    } else {
        req.run(&store)?
    };
    Ok(page_reply(page))
}

/// `issue show`. People see a parent's sub-tasks, found through the summary index (a `statx`
/// of every issue file, no reads); `--json` stays a read of the issue and its dependencies, and
/// adds them with `--related`, which reads more anyway.
fn show(ctx: &Ctx, a: ShowIssueArgs) -> Result<Reply> {
    let store = ctx.store()?;
    // People always see a parent's sub-tasks; JSON has them with `--related`.
    let subtasks = !ctx.global.json || a.related;
    let (shown, problems) = issues::show_with(&store, &a.id, subtasks, a.related)?;
    let warnings = problem_warnings(&problems);
    Ok(Reply::issue(shown, |r: &Shown, s| {
        human::issue_detail_with(&r.view, &r.subtasks, s)
    })
    .warn(warnings))
}

fn claimed_text(o: &Outcome, s: &Style) -> String {
    let v = &o.view;
    let exp = v
        .issue
        .lease
        .as_ref()
        .and_then(|l| l.expires_at)
        .map(|e| format!(", lease ends {}", super::render::term::relative(e)))
        .unwrap_or_default();
    format!(
        "claimed {} {} for {}{exp} (now {})\n",
        s.paint(&v.short_id, super::render::Color::Bold),
        clean_line(&human::ellipsize(&v.issue.title, 60)),
        clean_line(v.issue.assignee.as_deref().unwrap_or("-")),
        v.issue.state
    )
}

fn claim_next(ctx: &Ctx, a: ClaimNextArgs) -> Result<Reply> {
    let store = ctx.store_with(&a.remote)?;
    let actor = ctx.actor(&store)?;
    let fields = a
        .shape
        .fields
        .map(|f| f.split(',').map(str::to_string).collect());
    let req = claims::ClaimNextRequest {
        filter: a.filter,
        to: a.to,
        ttl: a.ttl,
        fields,
        full: Some(a.shape.full),
    };
    let shaped = req.run(&store, &actor)?;
    Ok(Reply::new(shaped, |s: &Shaped, st| {
        claimed_text(&s.outcome, st)
    }))
}

fn log_text(l: &IssueLog, s: &Style) -> String {
    if l.events.is_empty() {
        return format!("no matching events for {}\n", l.short_id);
    }
    let mut out = human::timeline(&l.events, s);
    if l.events.len() < l.total {
        out.push_str(&format!(
            "(showing the last {} of {} matching events)\n",
            l.events.len(),
            l.total
        ));
    }
    out
}

fn context(ctx: &Ctx, input: &str) -> Result<Reply> {
    let store = ctx.store()?;
    let req = crate::context::ContextRequest {
        id: input.to_string(),
    };
    let reply = req.run(&store)?;
    Ok(Reply::new(reply, |r: &crate::context::Context, _| {
        super::render::clean_block(&r.markdown)
    }))
}
