use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "xinfang=info,warn".into());
    // XINFANG_LOG_FORMAT=json: one JSON object per line (journald, a log shipper), with the
    // request span (id, method, route template) on every line logged inside a request, and one
    // line as each use case's span (`intake::register`…) and each request's closes, with the
    // time it took. Spans carry names and ids only, never arguments (skip_all): no personal data.
    if std::env::var("XINFANG_LOG_FORMAT").is_ok_and(|f| f == "json") {
        tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_env_filter(filter)
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    match xinfang::cli::run(xinfang::cli::Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A message for the operator, not a backtrace.
            eprintln!("错误：{e:#}");
            ExitCode::FAILURE
        }
    }
}
