//! `jit graph show|downstream|roots|order|critical-path`.

use super::render::{Style, clean_line, human};
use super::{Ctx, Reply};
use crate::error::Result;
use crate::graph::{Graph, TreeNode};
use crate::model::{Issue, IssueId, State};
use clap::{Args, Subcommand};
use petgraph::Direction;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Subcommand)]
pub enum GraphCommand {
    /// What ID depends on, as a tree (upstream).
    Show(IdArg),
    /// What depends on ID, as a tree (downstream).
    Downstream(IdArg),
    /// Issues that depend on nothing.
    Roots,
    /// Every issue in dependency order (dependencies first).
    Order,
    /// The longest chain of unfinished work.
    CriticalPath,
    /// Parents and their sub-tasks as a tree, each issue with what it depends on.
    Tree(TreeArgs),
}

#[derive(Debug, Args)]
pub struct TreeArgs {
    /// Only this issue and its sub-tasks (default: the whole store).
    pub id: Option<String>,
    /// Show done and archived issues too (by default only where they lead to open work).
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct IdArg {
    pub id: String,
}

/// A node summary for graph replies.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    pub id: String,
    pub short_id: String,
    pub title: String,
    pub state: State,
}

#[derive(Serialize)]
struct TreeReply {
    root: String,
    direction: &'static str,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    tree: TreeNode,
}

#[derive(Serialize)]
struct Edge {
    from: String,
    to: String,
}

#[derive(Serialize)]
struct ListReply {
    issues: Vec<Node>,
    total: usize,
}

fn node(i: &Issue) -> Node {
    Node {
        id: i.id.to_string(),
        short_id: i.short_id(),
        title: i.title.clone(),
        state: i.state,
    }
}

pub fn run(ctx: &Ctx, cmd: GraphCommand) -> Result<Reply> {
    let store = ctx.store()?;
    let (issues, problems) = store.load_all()?;
    let warnings = super::issue::problem_warnings(&problems);
    let graph = Graph::build(&issues);
    let by_id: HashMap<IssueId, Node> = issues.iter().map(|i| (i.id.clone(), node(i))).collect();
    let reply = match cmd {
        GraphCommand::Show(a) => tree(&store, &graph, &by_id, &a.id, Direction::Outgoing)?,
        GraphCommand::Downstream(a) => tree(&store, &graph, &by_id, &a.id, Direction::Incoming)?,
        GraphCommand::Roots => list(graph.roots(), &by_id),
        GraphCommand::Order => list(graph.order()?, &by_id),
        GraphCommand::Tree(a) => hierarchy(&store, &issues, &a)?,
        GraphCommand::CriticalPath => {
            let chain =
                graph.critical_path(|id| by_id.get(id).map(|n| n.state).unwrap_or(State::Done))?;
            list(chain, &by_id)
        }
    };
    Ok(reply.warn(warnings))
}

fn list(ids: Vec<IssueId>, by_id: &HashMap<IssueId, Node>) -> Reply {
    let issues: Vec<Node> = ids.iter().filter_map(|i| by_id.get(i).cloned()).collect();
    let total = issues.len();
    Reply::new(ListReply { issues, total }, |r: &ListReply, _| {
        if r.issues.is_empty() {
            return "no issues\n".into();
        }
        let mut t = human::table(&["#", "ID", "STATE", "TITLE"]);
        for (n, i) in r.issues.iter().enumerate() {
            t.add_row(vec![
                (n + 1).to_string(),
                i.short_id.clone(),
                i.state.to_string(),
                clean_line(&human::ellipsize(&i.title, 70)),
            ]);
        }
        human::table_string(&t)
    })
}

fn tree(
    store: &crate::store::Store,
    graph: &Graph,
    by_id: &HashMap<IssueId, Node>,
    input: &str,
    dir: Direction,
) -> Result<Reply> {
    let id = store.resolve(input)?;
    let t = graph.tree(&id, dir)?;
    let (ids, edges) = graph.reachable(&id, dir)?;
    let nodes = ids.iter().filter_map(|i| by_id.get(i).cloned()).collect();
    let edges = edges
        .into_iter()
        .map(|(f, t)| Edge {
            from: f.to_string(),
            to: t.to_string(),
        })
        .collect();
    let titles: HashMap<String, (String, State)> = by_id
        .values()
        .map(|n| (n.id.clone(), (n.title.clone(), n.state)))
        .collect();
    let reply = TreeReply {
        root: id.to_string(),
        direction: if dir == Direction::Outgoing {
            "upstream"
        } else {
            "downstream"
        },
        nodes,
        edges,
        tree: t,
    };
    Ok(Reply::new(reply, move |r: &TreeReply, _s: &Style| {
        let mut out = String::new();
        render_tree(&r.tree, "", true, true, &titles, &mut out);
        out
    }))
}

fn render_tree(
    n: &TreeNode,
    prefix: &str,
    last: bool,
    root: bool,
    titles: &HashMap<String, (String, State)>,
    out: &mut String,
) {
    let (title, state) = titles
        .get(n.id.as_str())
        .cloned()
        .unwrap_or_else(|| ("(missing)".into(), State::Backlog));
    let branch = if root {
        ""
    } else if last {
        "└── "
    } else {
        "├── "
    };
    let rep = if n.repeated { " (cycle)" } else { "" };
    out.push_str(&format!(
        "{prefix}{branch}{} {} [{state}]{rep}\n",
        n.id.short(),
        clean_line(&human::ellipsize(&title, 60))
    ));
    let child_prefix = if root {
        String::new()
    } else {
        format!("{prefix}{}", if last { "    " } else { "│   " })
    };
    for (i, c) in n.children.iter().enumerate() {
        render_tree(
            c,
            &child_prefix,
            i + 1 == n.children.len(),
            false,
            titles,
            out,
        );
    }
}

#[derive(Serialize)]
struct HierarchyReply {
    roots: Vec<crate::hierarchy::Node>,
}

fn hierarchy(store: &crate::store::Store, issues: &[Issue], a: &TreeArgs) -> Result<Reply> {
    let gates = store.gates()?;
    let views = crate::view::views_for(issues.to_vec(), &gates);
    let root = a.id.as_deref().map(|i| store.resolve(i)).transpose()?;
    let roots = crate::hierarchy::forest(&views, root.as_ref(), a.all);
    Ok(Reply::new(
        HierarchyReply { roots },
        |r: &HierarchyReply, s| {
            if r.roots.is_empty() {
                return "no open issues (--all shows done and archived ones)\n".into();
            }
            let mut out = String::new();
            let width = super::render::term::width();
            for n in &r.roots {
                draw(n, "", None, s, width, &mut out);
            }
            out
        },
    ))
}

/// One node and its sub-tasks: `├──`/`└──` branches, the state in brackets, a parent's
/// progress, and `after` the dependencies (`✓` done).
fn draw(
    n: &crate::hierarchy::Node,
    prefix: &str,
    last: Option<bool>,
    s: &Style,
    width: Option<usize>,
    out: &mut String,
) {
    let branch = match last {
        None => "",
        Some(true) => "└── ",
        Some(false) => "├── ",
    };
    let mut tail = String::new();
    if let Some(p) = n.progress {
        tail.push_str(&format!(" {}/{} done", p.done, p.total));
    }
    if !n.dependencies.is_empty() {
        let deps: Vec<String> = n
            .dependencies
            .iter()
            .map(|d| match d.state {
                Some(State::Done) => format!("{} ✓", d.short_id),
                Some(st) => format!("{} ({st})", d.short_id),
                None => format!("{} (missing)", d.short_id),
            })
            .collect();
        tail.push_str(&format!("  after {}", deps.join(", ")));
    }
    let state = if n.blocked && !n.state.is_closed() {
        format!("[{} blocked]", n.state)
    } else {
        format!("[{}]", n.state)
    };
    let head = format!("{prefix}{branch}{} ", n.short_id);
    let fixed = unicode_width::UnicodeWidthStr::width(head.as_str())
        + state.chars().count()
        + 1
        + unicode_width::UnicodeWidthStr::width(tail.as_str());
    let title = clean_line(&n.title);
    let title = match width {
        Some(w) => super::render::table::cut(&title, w.saturating_sub(fixed).max(12)),
        None => title,
    };
    out.push_str(&format!(
        "{head}{title} {}{}\n",
        s.paint(&state, human::state_color(n.state)),
        s.paint(&tail, super::render::Color::Dim)
    ));
    let child_prefix = match last {
        None => prefix.to_string(),
        Some(true) => format!("{prefix}    "),
        Some(false) => format!("{prefix}│   "),
    };
    for (k, c) in n.children.iter().enumerate() {
        draw(
            c,
            &child_prefix,
            Some(k + 1 == n.children.len()),
            s,
            width,
            out,
        );
    }
}
