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
