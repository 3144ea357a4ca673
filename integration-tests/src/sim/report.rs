//! Figures from simulation runs: per-run and pooled summaries, CSV, a Markdown table, and the
//! outage plot.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use super::{CallRecord, Contender, Run, Scenario, SimConfig};

/// The figures of one scenario and contender, for one service or pooled over all of them.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The scenario's name.
    pub scenario: String,
    /// The contender.
    pub contender: Contender,
    /// The service's key (`signer`, ...), or `all` for the pool of every service.
    pub service: String,
    /// Calls made.
    pub calls: usize,
    /// Calls that succeeded, as a ratio of calls.
    pub success_rate: f64,
    /// HTTP requests per call (amplification; 1.0 means no retries).
    pub amplification: f64,
    /// Median time from the start of a call to its result (success or error), ms.
    pub p50_ms: f64,
    /// 99th percentile of the same, ms.
    pub p99_ms: f64,
    /// Side effects beyond the first, summed over calls (committed-then-failed scenario).
    pub duplicates: u64,
    /// Calls that reported an error although the service had applied them at least once.
    pub applied_but_failed: u64,
    /// Outage only: requests that arrived during the outage.
    pub outage_attempts: Option<u64>,
    /// Outage only: requests during the outage per call started during it.
    pub outage_amplification: Option<f64>,
    /// Outage only: time from the end of the outage until every call that completes is a
    /// success (the later of the first success and the last failure after it), ms.
    pub recovery_ms: Option<f64>,
    /// Outage only: time from the end of the outage until the last call started during it has
    /// its result, s (how long retries keep the outage's calls waiting).
    pub drain_s: Option<f64>,
    /// Outage only: time from the end of the outage to the first call that succeeds, ms.
    pub first_success_ms: Option<f64>,
    /// Outage only: median time-to-result of calls started during the outage, ms.
    pub outage_p50_ms: Option<f64>,
    /// Outage only: 99th percentile of the same, ms.
    pub outage_p99_ms: Option<f64>,
    /// Attempts that reached the service while its circuit breaker was not closed.
    pub attempts_while_open: u64,
    /// Times the circuit breaker opened (summed over a fleet's clients).
    pub breaker_opened: u64,
    /// Clients (processes): 1, or a fleet's.
    pub clients: usize,
    /// Clients whose breaker opened at least once.
    pub clients_opened: u64,
    /// i.i.d. only: the success rate that 3 attempts per call allow on this fault schedule (a
    /// call succeeds if any of its first 3 scheduled attempts does).
    pub ideal3: Option<f64>,
    /// i.i.d. only: the same for 5 attempts.
    pub ideal5: Option<f64>,
}

/// A summary per run, then one pooled over the services of each scenario and contender
/// (`service == "all"`), in the runs' order.
pub fn summarize(runs: &[Run]) -> Vec<Summary> {
    let mut out: Vec<Summary> =
        runs.iter().map(|r| summary(r.scenario, r.contender, r.service.catalog().key(), &[r])).collect();
    let mut seen = Vec::new();
    for run in runs {
        let id = (run.scenario.name(), run.contender);
        if seen.contains(&id) {
            continue;
        }
        let group: Vec<&Run> =
            runs.iter().filter(|r| r.scenario.name() == id.0 && r.contender == run.contender).collect();
        out.push(summary(run.scenario, run.contender, "all", &group));
        seen.push(id);
    }
    out
}

fn summary(scenario: Scenario, contender: Contender, service: &str, runs: &[&Run]) -> Summary {
    let calls: Vec<&CallRecord> = runs.iter().flat_map(|r| &r.calls).collect();
    let n = calls.len().max(1) as f64;
    let mut latencies: Vec<f64> = calls.iter().map(|c| ms(c.end.saturating_sub(c.start))).collect();
    latencies.sort_by(f64::total_cmp);
    let attempts: u64 = calls.iter().map(|c| u64::from(c.attempts)).sum();
    let mut summary = Summary {
        scenario: scenario.name(),
        contender,
        service: service.to_owned(),
        calls: calls.len(),
        success_rate: calls.iter().filter(|c| c.ok).count() as f64 / n,
        amplification: attempts as f64 / n,
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
        duplicates: calls.iter().map(|c| u64::from(c.applied.saturating_sub(1))).sum(),
        applied_but_failed: calls.iter().filter(|c| !c.ok && c.applied > 0).count() as u64,
        outage_attempts: None,
        outage_amplification: None,
        recovery_ms: None,
        drain_s: None,
        first_success_ms: None,
        outage_p50_ms: None,
        outage_p99_ms: None,
        attempts_while_open: runs.iter().map(|r| r.attempts_while_open).sum(),
        breaker_opened: runs.iter().map(|r| r.breaker_opened).sum(),
        clients: runs.iter().map(|r| r.clients).max().unwrap_or(1),
        clients_opened: runs.iter().map(|r| r.clients_opened).sum(),
        ideal3: None,
        ideal5: None,
    };
    if let Scenario::Iid(_) = scenario {
        let ideal = |k: u32| {
            let ok: usize = runs
                .iter()
                .map(|r| {
                    (0..r.calls.len() as u64)
                        .filter(|&c| (0..k).any(|a| !scenario.fails(r.key, c, a, Duration::ZERO)))
                        .count()
                })
                .sum();
            ok as f64 / n
        };
        summary.ideal3 = Some(ideal(3));
        summary.ideal5 = Some(ideal(5));
    }
    if let Some((start, end)) = scenario.outage() {
        let during = |t: &Duration| *t >= start && *t < end;
        let outage_attempts = runs.iter().flat_map(|r| &r.attempt_times).filter(|t| during(t)).count() as u64;
        let started = calls.iter().filter(|c| during(&c.start)).count().max(1) as f64;
        summary.outage_attempts = Some(outage_attempts);
        summary.outage_amplification = Some(outage_attempts as f64 / started);
        let first_success = calls.iter().filter(|c| c.ok && c.end >= end).map(|c| c.end).min();
        let last_failure = calls.iter().filter(|c| !c.ok).map(|c| c.end).max();
        let recovered = first_success.max(last_failure).unwrap_or(end);
        summary.recovery_ms = Some(ms(recovered.saturating_sub(end)));
        let drained = calls.iter().filter(|c| during(&c.start)).map(|c| c.end).max().unwrap_or(end);
        summary.drain_s = Some(drained.saturating_sub(end).as_secs_f64());
        summary.first_success_ms = Some(ms(first_success.unwrap_or(end).saturating_sub(end)));
        let mut in_outage: Vec<f64> =
            calls.iter().filter(|c| during(&c.start)).map(|c| ms(c.end.saturating_sub(c.start))).collect();
        in_outage.sort_by(f64::total_cmp);
        summary.outage_p50_ms = Some(percentile(&in_outage, 0.50));
        summary.outage_p99_ms = Some(percentile(&in_outage, 0.99));
    }
    summary
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Nearest-rank percentile of sorted values (0 for none).
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// Every summary as CSV, with a header line.
pub fn csv(summaries: &[Summary]) -> String {
    let mut out = String::from(
        "scenario,contender,service,calls,success_rate,amplification,p50_ms,p99_ms,duplicates,applied_but_failed,\
         outage_attempts,outage_amplification,recovery_ms,drain_s,first_success_ms,outage_p50_ms,outage_p99_ms,\
         attempts_while_open,breaker_opened,clients,clients_opened,ideal3,ideal5\n",
    );
    for s in summaries {
        let _ = writeln!(
            out,
            "{},{},{},{},{:.4},{:.4},{:.1},{:.1},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            s.scenario,
            s.contender.name(),
            s.service,
            s.calls,
            s.success_rate,
            s.amplification,
            s.p50_ms,
            s.p99_ms,
            s.duplicates,
            s.applied_but_failed,
            opt(s.outage_attempts),
            opt(s.outage_amplification.map(|v| format!("{v:.3}"))),
            opt(s.recovery_ms.map(|v| format!("{v:.1}"))),
            opt(s.drain_s.map(|v| format!("{v:.1}"))),
            opt(s.first_success_ms.map(|v| format!("{v:.1}"))),
            opt(s.outage_p50_ms.map(|v| format!("{v:.1}"))),
            opt(s.outage_p99_ms.map(|v| format!("{v:.1}"))),
            s.attempts_while_open,
            s.breaker_opened,
            s.clients,
            s.clients_opened,
            opt(s.ideal3.map(|v| format!("{v:.4}"))),
            opt(s.ideal5.map(|v| format!("{v:.4}"))),
        );
    }
    out
}

/// The pooled summaries as Markdown: one table for every scenario, and one for the outage.
pub fn markdown(config: &SimConfig, summaries: &[Summary]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Seed {}; {} calls per service per scenario and contender ({} services pooled), one every {} ms; {} ms per \
         attempt.\n",
        config.seed,
        config.calls,
        config.services.len(),
        config.arrival_interval.as_millis(),
        config.latency.as_millis()
    );
    out.push_str(
        "| scenario | contender | success | attempts/call | p50 ms | p99 ms | duplicates | applied but failed | \
         breaker opened |\n",
    );
    out.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for s in summaries.iter().filter(|s| s.service == "all") {
        let _ = writeln!(
            out,
            "| {} | {} | {:.2} % | {:.3} | {:.0} | {:.0} | {} | {} | {} |",
            s.scenario,
            s.contender.name(),
            s.success_rate * 100.0,
            s.amplification,
            s.p50_ms,
            s.p99_ms,
            s.duplicates,
            s.applied_but_failed,
            s.breaker_opened
        );
    }
    let ideal: Vec<&Summary> = summaries.iter().filter(|s| s.service == "all" && s.ideal3.is_some()).collect();
    if !ideal.is_empty() {
        out.push_str("\n| i.i.d. | contender | success | limit of 3 attempts | limit of 5 attempts |\n");
        out.push_str("|---|---|---:|---:|---:|\n");
        for s in ideal {
            let _ = writeln!(
                out,
                "| {} | {} | {:.2} % | {:.2} % | {:.2} % |",
                s.scenario,
                s.contender.name(),
                s.success_rate * 100.0,
                s.ideal3.unwrap_or_default() * 100.0,
                s.ideal5.unwrap_or_default() * 100.0
            );
        }
    }
    let outage: Vec<&Summary> =
        summaries.iter().filter(|s| s.service == "all" && s.outage_attempts.is_some()).collect();
    if !outage.is_empty() {
        out.push_str(
            "\n| outage | contender | attempts during outage | per call started in it | attempts while breaker \
             not closed | p50 / p99 ms in outage | first success ms | full success ms | drain s |\n",
        );
        out.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for s in outage {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.3} | {} | {:.0} / {:.0} | {:.0} | {:.0} | {:.1} |",
                s.scenario,
                s.contender.name(),
                s.outage_attempts.unwrap_or_default(),
                s.outage_amplification.unwrap_or_default(),
                s.attempts_while_open,
                s.outage_p50_ms.unwrap_or_default(),
                s.outage_p99_ms.unwrap_or_default(),
                s.first_success_ms.unwrap_or_default(),
                s.recovery_ms.unwrap_or_default(),
                s.drain_s.unwrap_or_default()
            );
        }
    }
    out
}

/// The fleet runs as Markdown: per contender, the fleet through the outage against the same
/// contender as one client with the same total traffic (the per-run summaries of
/// [`simulate_fleet`](super::simulate_fleet)).
pub fn fleet_markdown(config: &SimConfig, summaries: &[Summary]) -> String {
    let runs: Vec<&Summary> = summaries.iter().filter(|s| s.service != "all").collect();
    let fleet: Vec<&Summary> = runs.iter().copied().filter(|s| s.clients > 1).collect();
    let single: Vec<&Summary> = runs.iter().copied().filter(|s| s.clients == 1).collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} clients of {}, each with its own policy and retry partition, sharing {} calls/s ({:.2} calls/s each) \
         through the same outage; \"one client\" is the same contender as one client with all the traffic \
         ({}).\n",
        config.fleet.clients,
        config.fleet.service.name(),
        1000 / config.arrival_interval.as_millis().max(1),
        1000.0 / config.arrival_interval.as_millis().max(1) as f64 / config.fleet.clients as f64,
        config.fleet.service.name(),
    );
    out.push_str(
        "| outage | contender | requests during outage (one client) | per call started in it (one client) | \
         clients whose breaker opened | first success ms | full success ms | success (one client) |\n",
    );
    out.push_str("|---|---|---:|---:|---:|---:|---:|---:|\n");
    for s in fleet {
        let one = single.iter().find(|o| o.scenario == s.scenario && o.contender == s.contender);
        let (one_attempts, one_amp, one_success) = one.map_or((String::new(), String::new(), String::new()), |o| {
            (
                format!(" ({})", o.outage_attempts.unwrap_or_default()),
                format!(" ({:.3})", o.outage_amplification.unwrap_or_default()),
                format!(" ({:.2} %)", o.success_rate * 100.0),
            )
        });
        let _ = writeln!(
            out,
            "| {} | {} | {}{one_attempts} | {:.3}{one_amp} | {} of {} | {:.0} | {:.0} | {:.2} %{one_success} |",
            s.scenario,
            s.contender.name(),
            s.outage_attempts.unwrap_or_default(),
            s.outage_amplification.unwrap_or_default(),
            s.clients_opened,
            s.clients,
            s.first_success_ms.unwrap_or_default(),
            s.recovery_ms.unwrap_or_default(),
            s.success_rate * 100.0,
        );
    }
    out
}

/// One point of the outage timeline: calls started in a bucket, pooled over services.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelinePoint {
    /// The bucket's start, s.
    pub t_s: f64,
    /// Requests that arrived in the bucket per call started in it.
    pub amplification: f64,
    /// 99th percentile time-to-result of the calls started in the bucket, ms.
    pub p99_ms: f64,
}

/// The timeline of `contender` in the outage scenario, in buckets of `bucket`.
pub fn timeline(runs: &[Run], contender: Contender, bucket: Duration) -> Vec<TimelinePoint> {
    let runs: Vec<&Run> = runs.iter().filter(|r| r.contender == contender && r.scenario.outage().is_some()).collect();
    let Some(last) = runs.iter().flat_map(|r| &r.calls).map(|c| c.start).max() else { return Vec::new() };
    let buckets = (last.as_secs_f64() / bucket.as_secs_f64()) as usize + 1;
    let index = |t: Duration| ((t.as_secs_f64() / bucket.as_secs_f64()) as usize).min(buckets - 1);
    let mut calls = vec![0usize; buckets];
    let mut attempts = vec![0usize; buckets];
    let mut latencies = vec![Vec::new(); buckets];
    for run in &runs {
        for call in &run.calls {
            calls[index(call.start)] += 1;
            latencies[index(call.start)].push(ms(call.end.saturating_sub(call.start)));
        }
        for t in &run.attempt_times {
            if *t <= last {
                attempts[index(*t)] += 1;
            }
        }
    }
    (0..buckets)
        .map(|i| {
            latencies[i].sort_by(f64::total_cmp);
            TimelinePoint {
                t_s: i as f64 * bucket.as_secs_f64(),
                amplification: attempts[i] as f64 / calls[i].max(1) as f64,
                p99_ms: percentile(&latencies[i], 0.99),
            }
        })
        .collect()
}

/// Draws amplification and p99 time-to-result over the outage timeline, one line per
/// contender, as an SVG at `path`.
///
/// # Errors
/// Drawing or writing errors from `plotters`.
pub fn plot_outage(runs: &[Run], contenders: &[Contender], path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;

    let Some((start, end)) = runs.iter().find_map(|r| r.scenario.outage()) else { return Ok(()) };
    let bucket = Duration::from_secs(2);
    let series: Vec<(Contender, Vec<TimelinePoint>)> =
        contenders.iter().map(|c| (*c, timeline(runs, *c, bucket))).collect();
    let t_max = series.iter().flat_map(|(_, p)| p).map(|p| p.t_s).fold(0.0, f64::max) + bucket.as_secs_f64();
    let amp_max = series.iter().flat_map(|(_, p)| p).map(|p| p.amplification).fold(1.0, f64::max) * 1.1;
    let p99_max = series.iter().flat_map(|(_, p)| p).map(|p| p.p99_ms / 1e3).fold(0.1, f64::max) * 1.1;
    let colors = [
        RGBColor(140, 86, 75),
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
    ];

    let root = SVGBackend::new(path, (1000, 720)).into_drawing_area();
    root.fill(&WHITE)?;
    let (upper, lower) = root.split_vertically(360);
    type Panel<'a, A> = (&'a A, &'a str, f64, fn(&TimelinePoint) -> f64);
    let panels: [Panel<'_, _>; 2] = [
        (&upper, "attempts per call (by 2 s bucket of arrival)", amp_max, |p| p.amplification),
        (&lower, "p99 time-to-result, s (calls started in the bucket)", p99_max, |p| p.p99_ms / 1e3),
    ];
    for (area, title, y_max, value) in panels {
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d(0f64..t_max, 0f64..y_max)?;
        chart.configure_mesh().x_desc("time since start, s").draw()?;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(start.as_secs_f64(), 0.0), (end.as_secs_f64(), y_max)],
            RGBColor(200, 200, 200).mix(0.3).filled(),
        )))?;
        for (i, (contender, points)) in series.iter().enumerate() {
            let color = colors[i % colors.len()];
            chart
                .draw_series(LineSeries::new(points.iter().map(|p| (p.t_s, value(p))), color.stroke_width(2)))?
                .label(contender.name())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        }
        chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    }
    root.present()?;
    Ok(())
}
