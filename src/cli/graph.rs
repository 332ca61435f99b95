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
