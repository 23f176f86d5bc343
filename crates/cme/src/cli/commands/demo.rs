//! `demo`: the whole job with no Confluence and no credentials. Serves the
//! bundled demo site from an in-process simulator, exports it, then changes
//! the site the way people do (an edit, a rename others link to, a move,
//! a deletion, a new page, a new attachment version) and runs `sync`, which
//! prints what it changed, git-status style.
use super::sync::{print, runtime};
use crate::cli::progress::Silent;
use crate::state::State;
use crate::sync::Selection;
use crate::sync::outcome::Outcome;
use crate::sync::{Start, SyncRequest, run};
use anyhow::{Context as _, Result, bail};
use base64::Engine as _;
use clap::Args;
use cme_client::{Client, ClientConfig, Credentials, Flavor, Secret};
use confluence_sim::{SimConfig, SimHandle, spawn};
use serde_json::json;
use std::path::{Path, PathBuf};

/// Written into the output folder by `demo`: only a folder that holds it
/// (or an empty one) is ever written by a later `demo`.
pub const DEMO_MARKER: &str = ".cme-demo";

/// Arguments of `demo`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cme demo                   # export into ./demo-out, change the site, sync
  cme demo -o /tmp/demo --export-only

The folder must be empty, absent, or an earlier demo's output (it holds `.cme-demo`).
No credentials are needed: the simulator runs inside this process.")]
pub struct DemoArgs {
    /// Folder to export into
    #[arg(long, short = 'o', default_value = "demo-out", value_name = "PATH")]
    output_path: PathBuf,
    /// Only export; do not change the site and sync afterwards
    #[arg(long)]
    export_only: bool,
}

/// Runs `demo`. Returns the exit code.
pub fn run_demo(args: &DemoArgs) -> Result<u8> {
    let out = args.output_path.as_path();
    // Before anything starts: never touch a folder that is not ours.
    let earlier_demo = check_folder(out)?;
    let sim = spawn(SimConfig::demo()).context("cannot start the bundled simulator")?;
    eprintln!(
        "Serving the demo site at {} (simulated Confluence Cloud)",
        sim.url()
    );
    let client = Client::new(ClientConfig::new(
        sim.url(),
        Flavor::Cloud,
        Credentials::Basic {
            email: "sim@example.com".into(),
            token: Secret::new("sim-token"),
        },
    ))?;
    // Each run serves on a new port. A previous demo's folder is adopted by
    // this site (same content, new address), and the first step syncs it.
    let state = if earlier_demo {
        State::load(out)?
    } else {
        None
    };
    let start = match state {
        Some(mut state) => {
            state.confluence_url = client.site_url().to_owned();
            state.save(out)?;
            eprintln!(
                "Bringing the previous demo in `{}` up to date",
                out.display()
            );
            Start::Sync
        }
        None => {
            std::fs::create_dir_all(out)
                .with_context(|| format!("cannot create `{}`", out.display()))?;
            crate::state::write_atomic(
                &out.join(DEMO_MARKER),
                b"Written by `cme demo`: a later `cme demo` may update this folder.\n",
                crate::state::Durability::Fsync,
            )?;
            Start::Export {
                scope: Selection::AllSpaces.scope().with_blog_posts(true),
                append: false,
            }
        }
    };
    let rt = runtime()?;
    let first = rt.block_on(run(&client, request(out, start), &Silent))?;
    eprintln!(
        "Exported to `{}` in {}: {}",
        out.display(),
        crate::units::secs_precise(first.elapsed_secs),
        first.summary()
    );
    if args.export_only || first.exit().code() != 0 {
        print(&first, false, &crate::cli::report::View::default())?;
        if first.exit().code() == 0 {
            eprintln!("{YOUR_SITE}");
        }
        sim.stop();
        return Ok(first.exit().code());
    }

    eprintln!("\nMeanwhile, in Confluence:");
    change_the_site(&sim, out)?;
    eprintln!("\n$ cme sync -o {}", out.display());
    let second: Outcome = rt.block_on(run(&client, request(out, Start::Sync), &Silent))?;
    print(&second, false, &crate::cli::report::View::default())?;
    // The report's last line already says what the sync did and cost.
    eprintln!("Try `cme status -o {}`.", out.display());
    eprintln!("{}", YOUR_SITE);
    sim.stop();
    Ok(second.exit().code())
}

/// The demo's last line: the same commands on the user's own site.
pub const YOUR_SITE: &str = "Now point it at your site: `export CME_EMAIL=you@example.com CME_API_TOKEN=...` \
(Data Center: `CME_PAT=...`), then `cme spaces https://your-site.atlassian.net/wiki/spaces/KEY -o ./docs`";

/// Whether `out` holds an earlier demo (`Ok(true)`), is empty or absent
/// (`Ok(false)`), or is anything else (an error: nothing is changed).
fn check_folder(out: &Path) -> Result<bool> {
    let mut entries = match std::fs::read_dir(out) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e).with_context(|| format!("cannot use `{}`", out.display())),
    };
    if std::fs::symlink_metadata(out.join(DEMO_MARKER)).is_ok_and(|m| m.is_file()) {
        return Ok(true);
    }
    if entries.next().is_none() {
        return Ok(false);
    }
    bail!(
        "`{}` is not empty and holds no earlier demo (no `{DEMO_MARKER}`); the demo writes only into an empty folder or its own output: choose another folder, e.g. `cme demo -o demo-out`",
        out.display()
    )
}

fn request(out: &Path, start: Start) -> SyncRequest {
    SyncRequest::new(out, start)
}

/// A handful of everyday changes, each printed as it is made.
fn change_the_site(sim: &SimHandle, out: &Path) -> Result<()> {
    let state = State::load(out)?.context("the export left no state")?;
    let id_of = |path: &str| {
        state
            .pages
            .iter()
            .find(|(_, p)| &*p.output_path == path)
            .map(|(id, _)| id.to_string())
    };
    let call = |what: &str, method: &str, path: String, body: serde_json::Value| -> Result<()> {
        let (status, answer) = sim.control(method, &path, Some(body));
        if status >= 300 {
            bail!("the demo could not change its site ({what}): HTTP {status} {answer}");
        }
        eprintln!("  {what}");
        Ok(())
    };
    let page =
        |path: &str| id_of(path).with_context(|| format!("the demo page `{path}` is missing"));
    let monitoring = page("OPS/Operations Home/Monitoring.md")?;
    call(
        "edited      Monitoring",
        "PATCH",
        format!("/__sim/pages/{monitoring}"),
        json!({"body": "<p>Dashboards now live in Grafana; alerts page the on-call.</p>"}),
    )?;
    let config = page("DEMO/Demo Home/Getting Started/Configuration Reference.md")?;
    call(
        "renamed     Configuration Reference → Settings Reference (other pages link to it)",
        "PATCH",
        format!("/__sim/pages/{config}"),
        json!({"title": "Settings Reference"}),
    )?;
    let windows = page("DEMO/Demo Home/Getting Started/Installation/Windows Setup.md")?;
    let getting_started = page("DEMO/Demo Home/Getting Started.md")?;
    call(
        "moved       Windows Setup under Getting Started (Cloud keeps the version)",
        "PATCH",
        format!("/__sim/pages/{windows}"),
        json!({"parent_id": getting_started}),
    )?;
    let blank = page("DEMO/Demo Home/Blank Page.md")?;
    call(
        "deleted     Blank Page",
        "DELETE",
        format!("/__sim/pages/{blank}"),
        json!(null),
    )?;
    let ops_home = page("OPS/Operations Home.md")?;
    call(
        "created     Capacity Planning under Operations Home (its children macro lists it)",
        "POST",
        "/__sim/pages".to_owned(),
        json!({"space": "OPS", "parent_id": ops_home, "title": "Capacity Planning",
               "body": "<p>Plan for twice last year's peak.</p>"}),
    )?;
    call(
        "posted      a blog post in DEMO: Release 1.1 Is Out (it links to the release notes)",
        "POST",
        "/__sim/pages".to_owned(),
        json!({"space": "DEMO", "type": "blogpost", "title": "Release 1.1 Is Out",
               "body": "<p>See <ac:link><ri:page ri:content-title=\"Release Notes 1.1\"/></ac:link>.</p>"}),
    )?;
    let home = page("DEMO/Demo Home.md")?;
    let logo = base64::engine::general_purpose::STANDARD.encode(b"\x89PNG\r\n\x1a\n a new logo");
    call(
        "uploaded    a new version of sim-logo.png on Demo Home",
        "POST",
        format!("/__sim/pages/{home}/attachments"),
        json!({"filename": "sim-logo.png", "media_type": "image/png", "data_base64": logo}),
    )?;
    Ok(())
}
