//! Option parsing and the summary of timings, shared by the tool's commands.

/// Parses `--name value` options.
pub fn option<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> anyhow::Result<T> {
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.replace('_', "").parse().ok())
            .ok_or_else(|| anyhow::anyhow!("{name} needs a number")),
        None => Ok(default),
    }
}

/// Median, p95, p99 and max of `samples` (milliseconds).
pub fn summary(samples: &mut [f64]) -> (f64, f64, f64, f64) {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[i]
    };
    (at(0.5), at(0.95), at(0.99), samples[samples.len() - 1])
}

/// One measured row: what, its figures, and its target when the speed issue set one.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub name: String,
    pub clients: usize,
    pub runs: usize,
    pub median_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub per_second: f64,
    pub errors: usize,
    pub target: Option<String>,
    pub met: Option<bool>,
    pub note: String,
}

/// A target: a description and whether the row meets it.
pub type Target = Option<(String, bool)>;

/// The rows of a run, printed as they come and written as JSON at the end (`--json FILE`), so
/// two runs can be compared.
#[derive(Default)]
pub struct Report {
    pub rows: Vec<Row>,
}

impl Report {
    /// Adds a row (printed at once) and returns it.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        name: &str,
        clients: usize,
        samples: &mut [f64],
        elapsed_s: Option<f64>,
        errors: usize,
        target: impl FnOnce(&Row) -> Target,
        note: &str,
    ) -> Row {
        let (median_ms, p95_ms, p99_ms, max_ms) = if samples.is_empty() {
            (0.0, 0.0, 0.0, 0.0)
        } else {
            summary(samples)
        };
        let mut row = Row {
            name: name.to_string(),
            clients,
            runs: samples.len(),
            median_ms,
            p95_ms,
            p99_ms,
            max_ms,
            per_second: elapsed_s.map_or(0.0, |e| samples.len() as f64 / e.max(1e-9)),
            errors,
            target: None,
            met: None,
            note: note.to_string(),
        };
        if let Some((what, met)) = target(&row) {
            row.target = Some(what);
            row.met = Some(met);
        }
        let verdict = match row.met {
            Some(true) => format!("met ({})", row.target.as_deref().unwrap_or_default()),
            Some(false) => format!("MISSED ({})", row.target.as_deref().unwrap_or_default()),
            None => String::new(),
        };
        println!(
            "| {:<44} | {:>7} | {:>6} | {:>8.1} | {:>8.1} | {:>8.1} | {:>8.0} | {:>6} | {verdict} | {}",
            row.name, row.clients, row.runs, row.median_ms, row.p95_ms, row.p99_ms, row.per_second, row.errors, row.note
        );
        self.rows.push(row.clone());
        row
    }

    pub fn header() {
        println!(
            "| {:<44} | {:>7} | {:>6} | {:>8} | {:>8} | {:>8} | {:>8} | {:>6} | target | notes",
            "measured", "clients", "runs", "median", "p95", "p99", "per sec", "errors"
        );
        println!(
            "|{:-<46}|{:-<9}|{:-<8}|{:-<10}|{:-<10}|{:-<10}|{:-<10}|{:-<8}|--------|------",
            "", "", "", "", "", "", "", ""
        );
    }

    /// Writes the rows, with `context` (machine, database, sizes), to `--json FILE` if given.
    pub fn write_json(&self, args: &[String], context: serde_json::Value) -> anyhow::Result<()> {
        if let Some(i) = args.iter().position(|a| a == "--json") {
            let path = args
                .get(i + 1)
                .ok_or_else(|| anyhow::anyhow!("--json needs a file"))?;
            let json = serde_json::json!({ "context": context, "rows": self.rows });
            std::fs::write(path, serde_json::to_string_pretty(&json)?)?;
            println!("\nfigures written to {path}");
        }
        Ok(())
    }
}

/// p95 at most `ms`.
pub fn p95_within(ms: f64) -> impl FnOnce(&Row) -> Target {
    move |r| Some((format!("p95 ≤ {ms} ms"), r.p95_ms <= ms))
}

/// The resident memory of this process (kB), from /proc: its own (`RssAnon`: heap, stacks) and
/// the pages of files it maps (`RssFile`). SQLite maps the database file once per connection, so
/// the second counts the same pages of the kernel's cache once per connection that touched them;
/// it is not memory the process holds.
#[derive(Clone, Copy, Default)]
pub struct Resident {
    pub own_kb: u64,
    pub mapped_kb: u64,
}

pub fn resident() -> Resident {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Resident {
        own_kb: field("RssAnon:"),
        mapped_kb: field("RssFile:"),
    }
}

/// The machine, for the JSON context.
pub fn machine() -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    serde_json::json!({ "cpu": cpu, "cores": cores })
}
