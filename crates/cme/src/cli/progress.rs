//! What a long run shows while it works: a bar per phase on a terminal,
//! a plain line every few seconds elsewhere (cron, CI, pipes), or nothing.
//!
//! The sync engine reports through [`Progress`] and never prints itself, so
//! the display is chosen once, at the edge ([`for_stderr`]).
pub use crate::sync::progress::{Phase, Progress, Silent};
use crate::terminal::escape;
use crate::units::{human_bytes, secs, thousands};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write as _};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// How chatty the display is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// Bars on a terminal, plain lines otherwise.
    Auto,
    /// Plain lines even on a terminal (when logs go to stderr too).
    Lines,
    /// Nothing.
    Quiet,
}

/// The display for stderr: bars on a terminal, lines otherwise.
pub fn for_stderr(display: Display) -> Arc<dyn Progress + Send + Sync> {
    match display {
        Display::Quiet => Arc::new(Silent),
        Display::Auto if std::io::stderr().is_terminal() => Arc::new(Bars::new()),
        _ => Arc::new(Lines::start(Duration::from_secs(5))),
    }
}

/// Counters shared by the displays.
#[derive(Debug)]
struct Meter {
    phase: Mutex<(Phase, u64, Instant)>,
    done: AtomicU64,
    bytes: AtomicU64,
    status: Mutex<String>,
    throttled_until: Mutex<Option<Instant>>,
}

impl Meter {
    fn new() -> Self {
        Self {
            phase: Mutex::new((Phase::Listing, 0, Instant::now())),
            done: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            status: Mutex::new(String::new()),
            throttled_until: Mutex::new(None),
        }
    }

    fn start(&self, phase: Phase, total: u64) {
        *lock(&self.phase) = (phase, total, Instant::now());
        self.done.store(0, Ordering::Relaxed);
        self.bytes.store(0, Ordering::Relaxed);
        lock(&self.status).clear();
    }

    /// The throttling note while a wait lasts, else the status text.
    fn note(&self) -> String {
        if let Some(until) = *lock(&self.throttled_until) {
            let left = until.saturating_duration_since(Instant::now());
            if !left.is_zero() {
                return format!("Confluence is throttling: waiting {}", secs(left));
            }
        }
        escape(&lock(&self.status)).into_owned()
    }

    /// Whether a throttling wait is going on.
    fn throttling(&self) -> bool {
        lock(&self.throttled_until).is_some_and(|u| u > Instant::now())
    }

    fn throttle(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut t = lock(&self.throttled_until);
        if t.is_none_or(|old| old < until) {
            *t = Some(until);
        }
    }

    /// `pages: 1,200/10,000 (12%), 340/s, 3.1 MiB, ETA 26 s`: one line.
    fn line(&self) -> String {
        let (phase, total, started) = *lock(&self.phase);
        let done = self.done.load(Ordering::Relaxed);
        let bytes = self.bytes.load(Ordering::Relaxed);
        let elapsed = started.elapsed().as_secs_f64().max(0.001);
        let mut s = format!("{}: ", phase.label());
        if total > 0 {
            let _ = write!(
                s,
                "{}/{} ({}%), {:.0}/s",
                thousands(done),
                thousands(total),
                done * 100 / total,
                done as f64 / elapsed
            );
        } else if done > 0 {
            let _ = write!(s, "{}", thousands(done));
        }
        if bytes > 0 {
            let _ = write!(s, ", {}", human_bytes(bytes));
        }
        if total > done && done > 0 {
            let eta = Duration::from_secs_f64(elapsed * (total - done) as f64 / done as f64);
            let _ = write!(s, ", ETA {}", secs(eta));
        }
        let note = self.note();
        if !note.is_empty() {
            if !s.ends_with(": ") {
                s.push_str(", ");
            }
            s.push_str(&note);
        }
        s
    }
}

/// The terminal's width in columns (80 when it cannot be told).
fn terminal_width() -> u16 {
    console::Term::stderr()
        .size_checked()
        .map_or(80, |(_, cols)| cols)
}

/// The bar's layout for a terminal `width` columns wide: what is fixed
/// (counts, rate, ETA, the bar) shrinks with the width, so with the message
/// (which takes what is left, and is cut) a line never wraps. At 100
/// columns and more: everything; from 60: no bar; below: the phase and the
/// counts only.
fn template(total: u64, width: u16) -> &'static str {
    match (total, width) {
        (0, 60..) => "{spinner} {prefix:>11} {elapsed:>4}{found}{bytes} {wide_msg}",
        (0, _) => "{spinner} {prefix} {elapsed} {wide_msg}",
        (_, 100..) => {
            "{spinner} {prefix:>11} [{bar:24}] {human_pos}/{human_len} {rate:>7}{bytes} ETA {eta:>3} {wide_msg}"
        }
        (_, 60..) => {
            "{spinner} {prefix:>11} {human_pos}/{human_len} {rate:>7} ETA {eta:>3} {wide_msg}"
        }
        _ => "{spinner} {prefix} {human_pos}/{human_len} {wide_msg}",
    }
}

/// indicatif bars on a terminal: counts, rate, bytes and ETA; the message
/// takes what width is left and is cut, so a line never wraps.
struct Bars {
    bar: ProgressBar,
    meter: Arc<Meter>,
}

impl Bars {
    fn new() -> Self {
        // Hidden until styled: a frame drawn before would show indicatif's
        // own full-width bar.
        let bar = ProgressBar::hidden();
        let meter = Arc::new(Meter::new());
        let this = Self { bar, meter };
        this.restyle(Phase::Listing, 0);
        this.bar.set_draw_target(ProgressDrawTarget::stderr());
        this.bar.enable_steady_tick(Duration::from_millis(120));
        this
    }

    fn restyle(&self, phase: Phase, total: u64) {
        let meter = Arc::clone(&self.meter);
        let bytes_key = move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
            let b = meter.bytes.load(Ordering::Relaxed);
            if b > 0 {
                let _ = write!(w, " {}", human_bytes(b));
            }
        };
        // Whole items per second: indicatif's `{per_sec}` prints every decimal.
        let rate_key = |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{}/s", thousands(s.per_sec().round() as u64));
        };
        let found_key = |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            if s.pos() > 0 {
                let _ = write!(w, " {} pages found", thousands(s.pos()));
            }
        };
        let template = template(total, terminal_width());
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
            .with_key("bytes", bytes_key)
            .with_key("rate", rate_key)
            .with_key("found", found_key)
            .progress_chars("=> ");
        // Counters first, style last: a frame drawn in between must not
        // show the last phase's count against this phase's total.
        self.bar.reset();
        self.bar.set_length(total);
        self.bar.set_prefix(phase.label());
        self.bar.set_style(style);
    }

    fn refresh(&self) {
        self.bar.set_message(self.meter.note());
    }
}

impl Progress for Bars {
    fn phase(&self, phase: Phase, total: u64) {
        self.meter.start(phase, total);
        self.restyle(phase, total);
        self.refresh();
    }
    fn status(&self, text: &str) {
        text.clone_into(&mut lock(&self.meter.status));
        self.refresh();
    }
    fn advance(&self, items: u64, bytes: u64) {
        self.meter.done.fetch_add(items, Ordering::Relaxed);
        self.meter.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.bar.inc(items);
        self.refresh();
    }
    fn throttled(&self, wait: Duration) {
        self.meter.throttle(wait);
        self.refresh();
        // The wait counts down: the message is set again each second
        // until it is over (the steady tick only redraws).
        let (bar, meter) = (self.bar.clone(), Arc::clone(&self.meter));
        std::thread::spawn(move || {
            while meter.throttling() && !bar.is_finished() {
                std::thread::sleep(Duration::from_millis(250));
                bar.set_message(meter.note());
            }
        });
    }
    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Plain lines on stderr every `every`, only when something moved (or a
/// throttling wait is going on): readable in CI logs and cron mail.
struct Lines {
    meter: Arc<Meter>,
    stop: Arc<AtomicBool>,
    printer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Lines {
    fn start(every: Duration) -> Self {
        let meter = Arc::new(Meter::new());
        let stop = Arc::new(AtomicBool::new(false));
        let (m, s) = (Arc::clone(&meter), Arc::clone(&stop));
        let printer = std::thread::spawn(move || {
            let mut last = String::new();
            let mut last_at = Instant::now();
            while !s.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                if last_at.elapsed() < every {
                    continue;
                }
                let line = m.line();
                if line != last {
                    let _ = writeln!(std::io::stderr().lock(), "cme: {line}");
                    last = line;
                }
                last_at = Instant::now();
            }
        });
        Self {
            meter,
            stop,
            printer: Mutex::new(Some(printer)),
        }
    }
}

impl Progress for Lines {
    fn phase(&self, phase: Phase, total: u64) {
        self.meter.start(phase, total);
        if total > 0 {
            let _ = writeln!(
                std::io::stderr().lock(),
                "cme: {}: {} to do",
                phase.label(),
                thousands(total)
            );
        }
    }
    fn status(&self, text: &str) {
        text.clone_into(&mut lock(&self.meter.status));
    }
    fn advance(&self, items: u64, bytes: u64) {
        self.meter.done.fetch_add(items, Ordering::Relaxed);
        self.meter.bytes.fetch_add(bytes, Ordering::Relaxed);
    }
    fn throttled(&self, wait: Duration) {
        let quiet = lock(&self.meter.throttled_until).is_some_and(|u| u > Instant::now());
        self.meter.throttle(wait);
        if !quiet {
            let _ = writeln!(
                std::io::stderr().lock(),
                "cme: Confluence is throttling: waiting {}",
                secs(wait)
            );
        }
    }
    fn finish(&self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = lock(&self.printer).take() {
            let _ = h.join();
        }
    }
}

impl Drop for Lines {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The display the client's throttling events go to: the HTTP client is
/// built before the display is chosen, so it reports here.
static CURRENT: RwLock<Option<Arc<dyn Progress + Send + Sync>>> = RwLock::new(None);

/// Makes `p` the display for the rest of the run (see [`throttled`]).
pub fn install(p: Arc<dyn Progress + Send + Sync>) {
    *CURRENT.write().unwrap_or_else(|e| e.into_inner()) = Some(p);
}

/// Forwards a throttling wait to the installed display, if any.
pub fn throttled(wait: Duration) {
    if let Some(p) = CURRENT.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
        p.throttled(wait);
    }
}

/// The client's callback: throttling waits go to the display installed at
/// the time (and the log).
pub fn client_observer() -> cme_client::Observer {
    // Retries are logged by the client, with their URL and reason.
    Arc::new(|event: &cme_client::Event| {
        if let cme_client::Event::Throttled { wait } = event {
            tracing::info!("Confluence is throttling: waiting {}", secs(*wait));
            throttled(*wait);
        }
    })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixed part of each layout fits its width with room for the
    /// message: spinner and prefix 13, counts up to 23 (`1,000,000/1,000,000`),
    /// rate 8, bytes 11, ETA 8, elapsed 5, bar 27.
    #[test]
    fn layouts_fit_their_width() {
        for (total, width, fixed) in [
            (0, 200, 13 + 5 + 22 + 11),
            (0, 40, 13 + 5),
            (5, 200, 13 + 27 + 23 + 8 + 11 + 8),
            (5, 80, 13 + 23 + 8 + 8),
            (5, 40, 13 + 23),
        ] {
            let t = template(total, width);
            assert!(fixed < usize::from(width), "{t} at {width}: {fixed}");
        }
        assert!(template(5, 99).contains("ETA") && !template(5, 99).contains("{bar"));
        assert!(!template(5, 59).contains("ETA"));
    }

    #[test]
    fn the_plain_line_has_counts_rate_bytes_and_eta() {
        let m = Meter::new();
        m.start(Phase::Pages, 10_000);
        m.done.store(1_200, Ordering::Relaxed);
        m.bytes.store(3 * 1024 * 1024, Ordering::Relaxed);
        let line = m.line();
        assert!(line.starts_with("pages: 1,200/10,000 (12%), "), "{line}");
        assert!(line.contains("/s, 3.0 MiB, ETA "), "{line}");
    }

    #[test]
    fn throttling_shows_while_it_lasts_and_titles_are_escaped() {
        let m = Meter::new();
        m.start(Phase::Listing, 0);
        *lock(&m.status) = "pages of \x1b[2JENG".into();
        assert_eq!(m.note(), "pages of \\u{1b}[2JENG");
        m.throttle(Duration::from_secs(12));
        assert!(
            m.note().starts_with("Confluence is throttling: waiting 1"),
            "{}",
            m.note()
        );
        *lock(&m.throttled_until) = Some(Instant::now());
        assert_eq!(m.note(), "pages of \\u{1b}[2JENG");
    }
}
