//! The dependency DAG, held in petgraph. Edges point from an issue to what it depends on.
//!
//! Invariants: an edge enters the store only through `dep add` (`ops::deps`), which refuses
//! self edges, missing targets and any edge that would close a cycle (reporting the whole
//! cycle) found by [`cycle_if_added`]: it walks only what the new dependency transitively
//! depends on.

use crate::error::{Error, Result};
use crate::model::{Issue, IssueId, State};
use crate::store::Tx;
use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;
use std::collections::{HashMap, HashSet, VecDeque};

/// The whole graph of a set of issues.
pub struct Graph {
    g: DiGraph<IssueId, ()>,
    index: HashMap<IssueId, NodeIndex>,
    /// Dependencies that name no loaded issue: (issue, missing dependency).
    pub dangling: Vec<(IssueId, IssueId)>,
}

impl Graph {
    /// Builds the graph of `issues`.
    pub fn build(issues: &[Issue]) -> Self {
        let mut g = DiGraph::with_capacity(issues.len(), issues.len());
        let mut index = HashMap::with_capacity(issues.len());
        for i in issues {
            index.insert(i.id.clone(), g.add_node(i.id.clone()));
        }
        let mut dangling = Vec::new();
        for i in issues {
            let from = index[&i.id];
            for d in &i.dependencies {
                match index.get(d) {
                    Some(&to) => {
                        g.add_edge(from, to, ());
                    }
                    None => dangling.push((i.id.clone(), d.clone())),
                }
            }
        }
        Graph { g, index, dangling }
    }

    fn node(&self, id: &IssueId) -> Result<NodeIndex> {
        self.index
            .get(id)
            .copied()
            .ok_or_else(|| Error::NotFound { id: id.to_string() })
    }

    /// Every cycle (as a strongly connected component of more than one issue, or a self edge).
    pub fn cycles(&self) -> Vec<Vec<IssueId>> {
        sorted_cycles(&self.g, |n| self.g[n].clone())
    }
}

/// The cycles among `issues`, each sorted, as [`Graph::cycles`] finds them, for a caller that
/// already maps ids to positions in `issues` (`pos`): no id is cloned or hashed again, which is
/// what `validate` needs at 100,000 issues.
pub fn cycles_among(
    issues: &[Issue],
    pos: impl Fn(&IssueId) -> Option<usize>,
) -> Vec<Vec<IssueId>> {
    let edges: usize = issues.iter().map(|i| i.dependencies.len()).sum();
    let mut g: DiGraph<(), ()> = DiGraph::with_capacity(issues.len(), edges);
    for _ in issues {
        g.add_node(());
    }
    for (k, i) in issues.iter().enumerate() {
        for d in &i.dependencies {
            if let Some(to) = pos(d) {
                g.add_edge(NodeIndex::new(k), NodeIndex::new(to), ());
            }
        }
    }
    sorted_cycles(&g, |n| issues[n.index()].id.clone())
}

/// The cycles of `g` (strongly connected components of more than one node, or a node with an
/// edge to itself), each as its ids sorted.
pub(crate) fn sorted_cycles<N, E>(
    g: &DiGraph<N, E>,
    id: impl Fn(NodeIndex) -> IssueId,
) -> Vec<Vec<IssueId>> {
    petgraph::algo::tarjan_scc(g)
        .into_iter()
        .filter(|scc| scc.len() > 1 || g.contains_edge(scc[0], scc[0]))
        .map(|scc| {
            let mut ids: Vec<IssueId> = scc.into_iter().map(&id).collect();
            ids.sort();
            ids
        })
        .collect()
}

impl Graph {
    /// Issues in an order where every issue comes after all its dependencies. Fails on a cycle.
    pub fn order(&self) -> Result<Vec<IssueId>> {
        match petgraph::algo::toposort(&self.g, None) {
            Ok(nodes) => Ok(nodes.into_iter().rev().map(|n| self.g[n].clone()).collect()),
            Err(c) => {
                let id = self.g[c.node_id()].clone();
                let path = self
                    .cycles()
                    .into_iter()
                    .find(|cy| cy.contains(&id))
                    .unwrap_or_else(|| vec![id]);
                Err(Error::Cycle {
                    path: path.iter().map(|i| i.short()).collect(),
                })
            }
        }
    }

    /// Issues that depend on nothing.
    pub fn roots(&self) -> Vec<IssueId> {
        let mut out: Vec<IssueId> = self
            .g
            .node_indices()
            .filter(|n| {
                self.g
                    .neighbors_directed(*n, Direction::Outgoing)
                    .next()
                    .is_none()
            })
            .map(|n| self.g[n].clone())
            .collect();
        out.sort();
        out
    }

    /// The tree of what `id` depends on (direction Outgoing) or what depends on it (Incoming).
    pub fn tree(&self, id: &IssueId, dir: Direction) -> Result<TreeNode> {
        let root = self.node(id)?;
        let mut on_path = HashSet::new();
        Ok(self.subtree(root, dir, &mut on_path))
    }

    fn subtree(&self, n: NodeIndex, dir: Direction, on_path: &mut HashSet<NodeIndex>) -> TreeNode {
        let id = self.g[n].clone();
        if !on_path.insert(n) {
            return TreeNode {
                id,
                children: Vec::new(),
                repeated: true,
            };
        }
        let mut kids: Vec<NodeIndex> = self.g.neighbors_directed(n, dir).collect();
        kids.sort_by(|a, b| self.g[*a].cmp(&self.g[*b]));
        kids.dedup();
        let children = kids
            .into_iter()
            .map(|k| self.subtree(k, dir, on_path))
            .collect();
        on_path.remove(&n);
        TreeNode {
            id,
            children,
            repeated: false,
        }
    }

    /// Nodes and edges reachable from `id` in one direction (including `id`).
    pub fn reachable(&self, id: &IssueId, dir: Direction) -> Result<Reach> {
        let start = self.node(id)?;
        let mut seen = HashSet::from([start]);
        let mut queue = VecDeque::from([start]);
        let mut edges = Vec::new();
        while let Some(n) = queue.pop_front() {
            for m in self.g.neighbors_directed(n, dir) {
                let (from, to) = if dir == Direction::Outgoing {
                    (n, m)
                } else {
                    (m, n)
                };
                edges.push((self.g[from].clone(), self.g[to].clone()));
                if seen.insert(m) {
                    queue.push_back(m);
                }
            }
        }
        let mut nodes: Vec<IssueId> = seen.into_iter().map(|n| self.g[n].clone()).collect();
        nodes.sort();
        edges.sort();
        edges.dedup();
        Ok((nodes, edges))
    }

    /// The longest chain of unfinished work, first step first: each issue in it depends on the
    /// one before. Weighted by issue count.
    pub fn critical_path(&self, state_of: impl Fn(&IssueId) -> State) -> Result<Vec<IssueId>> {
        let order = self.order()?; // dependencies first
        let open = |id: &IssueId| !state_of(id).is_closed();
        let mut best: HashMap<NodeIndex, (usize, Option<NodeIndex>)> = HashMap::new();
        for id in &order {
            if !open(id) {
                continue;
            }
            let n = self.index[id];
            let mut entry = (1usize, None);
            for d in self.g.neighbors_directed(n, Direction::Outgoing) {
                if let Some(&(len, _)) = best.get(&d)
                    && (len + 1 > entry.0
                        || (len + 1 == entry.0 && entry.1.is_some_and(|p| self.g[d] < self.g[p])))
                {
                    entry = (len + 1, Some(d));
                }
            }
            best.insert(n, entry);
        }
        let Some((&end, _)) = best.iter().max_by(|a, b| {
            a.1.0
                .cmp(&b.1.0)
                .then_with(|| self.g[*b.0].cmp(&self.g[*a.0]))
        }) else {
            return Ok(Vec::new());
        };
        let mut chain = vec![self.g[end].clone()];
        let mut cur = best[&end].1;
        while let Some(n) = cur {
            chain.push(self.g[n].clone());
            cur = best[&n].1;
        }
        chain.reverse();
        Ok(chain)
    }
}

/// Nodes and `(from, to)` edges reached from one issue.
pub type Reach = (Vec<IssueId>, Vec<(IssueId, IssueId)>);

/// A node of a dependency tree.
#[derive(Debug, Clone, Serialize)]
pub struct TreeNode {
    pub id: IssueId,
    pub children: Vec<TreeNode>,
    /// True when this id already appears on the path above (a cycle in a hand-broken store).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub repeated: bool,
}

/// If `from` depended on `to`, would that close a cycle? Returns the cycle as a path
/// `from -> to -> ... -> from`. Walks only what `to` transitively depends on.
pub fn cycle_if_added(
    tx: &mut Tx<'_>,
    from: &IssueId,
    to: &IssueId,
) -> Result<Option<Vec<IssueId>>> {
    if from == to {
        return Ok(Some(vec![from.clone(), to.clone()]));
    }
    let mut g: DiGraph<IssueId, ()> = DiGraph::new();
    let mut idx: HashMap<IssueId, NodeIndex> = HashMap::new();
    let start = g.add_node(to.clone());
    idx.insert(to.clone(), start);
    let mut queue = VecDeque::from([to.clone()]);
    while let Some(cur) = queue.pop_front() {
        let issue = match tx.get(&cur) {
            Ok(i) => i,
            Err(Error::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        let cn = idx[&cur];
        for d in issue.dependencies {
            let dn = match idx.get(&d) {
                Some(&n) => n,
                None => {
                    let n = g.add_node(d.clone());
                    idx.insert(d.clone(), n);
                    queue.push_back(d.clone());
                    n
                }
            };
            g.add_edge(cn, dn, ());
        }
    }
    let Some(&target) = idx.get(from) else {
        return Ok(None);
    };
    let found = petgraph::algo::astar(&g, start, |n| n == target, |_| 1u32, |_| 0);
    Ok(found.map(|(_, nodes)| {
        let mut path = vec![from.clone()];
        path.extend(nodes.into_iter().map(|n| g[n].clone()));
        path
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timestamp;

    /// Issues named by one letter, with `deps` as `(issue, dependency)` edges.
    fn issues(names: &str, deps: &[(char, char)]) -> Vec<Issue> {
        names
            .chars()
            .map(|n| {
                let mut i = Issue::new(id(n), n.to_string(), Timestamp::from_millis(1));
                i.dependencies = deps
                    .iter()
                    .filter(|(from, _)| *from == n)
                    .map(|(_, to)| id(*to))
                    .collect();
                i
            })
            .collect()
    }

    fn id(n: char) -> IssueId {
        let c = n.to_ascii_uppercase();
        let c = if "ILOU".contains(c) { 'Z' } else { c };
        IssueId::parse(&format!("01JABCDEFGHJKMNPQRSTVWXYZ{c}")).unwrap()
    }

    fn names(ids: &[IssueId]) -> String {
        ids.iter()
            .map(|i| i.as_str().chars().last().unwrap().to_ascii_lowercase())
            .collect()
    }

    #[test]
    fn order_puts_every_dependency_first() {
        #[rustfmt::skip]
        let table: &[(&str, &[(char, char)])] = &[
            ("a", &[]),
            ("ab", &[('b', 'a')]),
            ("abc", &[('c', 'b'), ('b', 'a')]),
            ("abcd", &[('d', 'b'), ('d', 'c'), ('b', 'a'), ('c', 'a')]),
            ("abcde", &[('e', 'a'), ('c', 'd')]),
        ];
        for (nodes, deps) in table {
            let all = issues(nodes, deps);
            let order = Graph::build(&all).order().unwrap();
            let pos = |n: char| order.iter().position(|i| *i == id(n)).unwrap();
            assert_eq!(order.len(), nodes.len());
            for (from, to) in *deps {
                assert!(
                    pos(*to) < pos(*from),
                    "{nodes}: {to} before {from}: {}",
                    names(&order)
                );
            }
        }
    }

    /// Issues, their edges, and the cycles expected among them.
    type CycleCase<'a> = (&'a str, &'a [(char, char)], &'a [&'a str]);

    #[test]
    fn cycles_are_found_and_refuse_an_order() {
        #[rustfmt::skip]
        let table: &[CycleCase] = &[
            ("ab", &[('a', 'b')], &[]),
            ("ab", &[('a', 'b'), ('b', 'a')], &["ab"]),
            ("abc", &[('a', 'b'), ('b', 'c'), ('c', 'a')], &["abc"]),
            ("abcde", &[('a', 'b'), ('b', 'a'), ('c', 'd'), ('d', 'e'), ('e', 'c')], &["ab", "cde"]),
            ("a", &[('a', 'a')], &["a"]),
        ];
        for (nodes, deps, want) in table {
            let g = Graph::build(&issues(nodes, deps));
            let mut got: Vec<String> = g.cycles().iter().map(|c| names(c)).collect();
            got.sort();
            assert_eq!(got, *want, "{nodes} {deps:?}");
            assert_eq!(g.order().is_err(), !want.is_empty());
            if let Err(e) = g.order() {
                assert_eq!(e.code(), "cycle");
            }
        }
    }

    #[test]
    fn roots_dangling_and_the_critical_path() {
        // d -> b -> a, c -> a, e alone; f names a dependency that does not exist.
        let mut all = issues("abcde", &[('d', 'b'), ('b', 'a'), ('c', 'a')]);
        let mut f = Issue::new(id('f'), "f".into(), Timestamp::from_millis(1));
        f.dependencies.push(id('x'));
        all.push(f);
        let g = Graph::build(&all);
        assert_eq!(names(&g.roots()), "aef");
        assert_eq!(g.dangling, vec![(id('f'), id('x'))]);
        let open = |_: &IssueId| State::Ready;
        assert_eq!(names(&g.critical_path(open).unwrap()), "abd");
        // Finished work leaves the path.
        let a_done = |i: &IssueId| {
            if *i == id('a') {
                State::Done
            } else {
                State::Ready
            }
        };
        assert_eq!(names(&g.critical_path(a_done).unwrap()), "bd");
        let none = |_: &IssueId| State::Done;
        assert!(g.critical_path(none).unwrap().is_empty());
    }
}
