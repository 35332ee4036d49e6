//! `xinfang bench --statistics`: fills a database with a year of generated petitions (batched
//! inserts: registrations with their events, decisions, dispositions, unit records, reports
//! with their review, closings and deadlines across stages), recounts the kept figures (timed),
//! then times, through the use cases and as the director: the year's statistics, a month's,
//! and the first page of a month's drill-down list. Figures go to docs/performance.md.

use std::time::Instant;

use chrono::Datelike;
use xinfang_app::context::Config;
use xinfang_app::statistics::PeriodInput;

use crate::cli::bench::{BenchArgs, report_pub as report};
use crate::cli::search_bench::{acting, filled};

fn named(period: &str, year: i32, index: u32) -> PeriodInput {
    PeriodInput {
        period: Some(period.into()),
        year: Some(year.to_string()),
        index: Some(index.to_string()),
        ..Default::default()
    }
}

pub async fn run(mut cfg: Config, args: &BenchArgs) -> anyhow::Result<()> {
    let (state, today) = filled(&mut cfg, args, "bench-statistics").await?;
    let director = acting(&state, "director").await?;
    let err = |e: xinfang_app::error::AppError| anyhow::anyhow!("{}", e.body().message);
    if !args.reuse {
        // The fill writes rows directly; the kept figures come from the recount, as after an
        // upgrade (`xinfang statistics recount`).
        let t = Instant::now();
        let n = xinfang_app::statistics::recount_all(&state, &|_, _| {})
            .await
            .map_err(err)?;
        let s = t.elapsed().as_secs_f64();
        println!(
            "recount: {n} petitions in {s:.1} s ({:.0} per s)",
            n as f64 / s
        );
    }
    let runs = args.requests.clamp(1, 50);
    // The last twelve statistical months end with the one before today's.
    let last_month = today - chrono::Duration::days(today.day() as i64);
    let year = named("year", last_month.year(), 1);
    let month = named("month", last_month.year(), last_month.month());
    let r = xinfang_app::statistics::report(&state, &director, &year)
        .await
        .map_err(err)?;
    println!(
        "{} petitions counted in {} (letters {}, visits {}, accepted {}, units' records {})",
        r.totals.petitions,
        r.period.label,
        r.totals.by_channel.letter,
        r.totals.by_channel.visit,
        r.totals.accepted,
        r.units.iter().map(|u| u.received).sum::<i64>()
    );
    for (name, input) in [("year's statistics", &year), ("month's statistics", &month)] {
        let mut d = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            xinfang_app::statistics::report(&state, &director, input)
                .await
                .map_err(err)?;
            d.push(t.elapsed());
        }
        report(name, d);
    }
    let mut d = Vec::new();
    let mut rows = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let page = xinfang_app::statistics::drill_down(
            &state,
            &director,
            &month,
            "visit_batches",
            &Default::default(),
        )
        .await
        .map_err(err)?;
        rows = page.total;
        d.push(t.elapsed());
    }
    report(
        &format!("month's drill-down, first page ({rows} rows in all)"),
        d,
    );
    Ok(())
}
