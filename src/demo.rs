//! `jit demo`: builds a sample repository with dependencies, gates, claims and finished work,
//! using the same operations as the commands, so it shows what jit does in one step, and renders
//! its web site (`jit export web`) into `<dir>/site`.
//!
//! Invariant: writes only inside the directory it is given, which must be new or empty.

use crate::error::{Error, Result};
use crate::model::{Actor, GateStage, GateState, Priority, State, Visibility};
use crate::ops::gates::{self, DefineRequest};
use crate::ops::issues::{self, CreateRequest, UpdateRequest};
use crate::store::Store;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the demo built.
#[derive(Debug, Serialize)]
pub struct DemoReport {
    pub dir: PathBuf,
    pub issues: usize,
    pub gates: usize,
    /// The web site rendered from the sample (`<dir>/site/index.html`).
    pub site: PathBuf,
}

fn req(title: &str, milestone: &str, kind: &str, priority: Priority) -> CreateRequest {
    CreateRequest {
        title: title.into(),
        milestone: Some(milestone.into()),
        kind: Some(kind.into()),
        priority: Some(priority),
        visibility: Some(Visibility::Public),
        ..Default::default()
    }
}

/// Builds the sample repository in `dir`.
pub fn build(dir: &Path) -> Result<DemoReport> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map_err(|e| Error::io(format!("reading `{}`", dir.display()), e))?
            .next()
            .is_some()
    {
        return Err(Error::invalid(
            "directory",
            format!(
                "`{}` is not empty; give `jit demo` a new directory",
                dir.display()
            ),
        ));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("creating `{}`", dir.display()), e))?;
    let git = Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir)
        .status()
        .map_err(|e| Error::io("running `git init` (is git installed?)", e))?;
    if !git.success() {
        return Err(Error::Internal("`git init` failed".into()));
    }
    Store::init(dir, Some("demo".into()))?;
    let store = Store::discover(dir)?;
    let alice = Actor::parse("human:alice")?;
    let ci = Actor::parse("ci:github")?;
    let agent = Actor::parse("agent:copilot-1")?;

    gates::define(
        &store,
        &alice,
        DefineRequest {
            key: "unit-tests".into(),
            title: "Unit tests pass".into(),
            description: Some("Run by CI: `cargo test`".into()),
            auto: true,
            stage: GateStage::Postcheck,
            checker: Some("true".into()),
            timeout_secs: Some(60),
            env: None,
            github_check: None,
        },
    )?;
    gates::define(
        &store,
        &alice,
        DefineRequest {
            key: "review".into(),
            title: "Code review".into(),
            description: Some("A person approves the change".into()),
            auto: false,
            stage: GateStage::Postcheck,
            checker: None,
            timeout_secs: None,
            env: None,
            github_check: None,
        },
    )?;
    gates::define(
        &store,
        &alice,
        DefineRequest {
            key: "design-approved".into(),
            title: "Design approved".into(),
            description: Some("The approach is agreed before work starts".into()),
            auto: false,
            stage: GateStage::Precheck,
            checker: None,
            timeout_secs: None,
            env: None,
            github_check: None,
        },
    )?;

    let mk = |r: CreateRequest| issues::create(&store, &alice, r).map(|v| v.issue.id.to_string());
    let schema = mk(CreateRequest {
        description: Some(
            "Define the issue file format.\n\n- [x] fields listed\n- [x] examples written\n".into(),
        ),
        evidence: Some("docs/format.md".into()),
        done_when: Some("format reviewed".into()),
        ..req(
            "Design the file format",
            "Phase 1: Core",
            "feature",
            Priority::High,
        )
    })?;
    let store_layer = mk(CreateRequest {
        deps: vec![schema.clone()],
        gates: vec!["unit-tests".into(), "review".into()],
        description: Some("Atomic writes and a lock around every change.\n\n- [ ] atomic rename\n- [ ] advisory lock\n".into()),
        done_when: Some("concurrent writers lose nothing".into()),
        ..req("Storage layer", "Phase 1: Core", "feature", Priority::Critical)
    })?;
    let cli = mk(CreateRequest {
        deps: vec![store_layer.clone()],
        gates: vec!["unit-tests".into()],
        ..req(
            "Command-line interface",
            "Phase 1: Core",
            "feature",
            Priority::High,
        )
    })?;
    let docs = mk(CreateRequest {
        deps: vec![cli.clone()],
        ..req("User guide", "Phase 2: Polish", "chore", Priority::Normal)
    })?;
    let web = mk(CreateRequest {
        deps: vec![cli.clone()],
        gates: vec!["design-approved".into()],
        ..req(
            "Web roadmap page",
            "Phase 2: Polish",
            "feature",
            Priority::Normal,
        )
    })?;
    let bug = mk(CreateRequest {
        labels: vec!["bug".into()],
        description: Some("Titles with emoji are cut mid-character in tables.".into()),
        ..req(
            "Tables cut wide characters",
            "Phase 1: Core",
            "bug",
            Priority::High,
        )
    })?;
    mk(CreateRequest {
        labels: vec!["ux".into()],
        ..req(
            "Colour themes",
            "Phase 2: Polish",
            "improvement",
            Priority::Low,
        )
    })?;
    mk(CreateRequest {
        visibility: Some(Visibility::Internal),
        ..req(
            "Rotate CI credentials",
            "Phase 2: Polish",
            "chore",
            Priority::Normal,
        )
    })?;

    // The format is done; the storage layer is claimed by an agent and waits on review.
    issues::update(
        &store,
        &alice,
        &schema,
        UpdateRequest {
            state: Some(State::Done),
            ..Default::default()
        },
    )?;
    crate::ops::claims::claim(
        &store,
        &agent,
        &store_layer,
        None,
        Some(std::time::Duration::from_secs(3600)),
        None,
    )?;
    issues::update(
        &store,
        &agent,
        &store_layer,
        UpdateRequest {
            state: Some(State::Done),
            ..Default::default()
        },
    )?;
    gates::set_status(
        &store,
        &ci,
        &store_layer,
        "unit-tests",
        GateState::Passed,
        None,
        Some("142 tests passed"),
    )?;
    crate::ops::checklist::checklist_set(
        &store,
        &agent,
        &store_layer,
        "atomic rename",
        true,
        None,
    )?;
    crate::ops::comment::comment(
        &store,
        &agent,
        &store_layer,
        "Writes go to a temp file, then **rename**; the lock covers read-check-write.",
        None,
    )?;
    crate::ops::claims::claim(&store, &agent, &bug, None, None, None)?;
    let _ = (docs, web);

    let site = crate::export::web::export(
        &store,
        &store.root().join("site"),
        false,
        false,
        |_| true,
        &crate::progress::Silent,
    )?;
    let (ids, _) = store.list_ids()?;
    Ok(DemoReport {
        dir: store.root().to_path_buf(),
        issues: ids.len(),
        gates: store.gates()?.len(),
        site: site.index,
    })
}
