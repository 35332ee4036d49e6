use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "xinfang=info,warn".into()),
        )
        .init();
    match xinfang::cli::run(xinfang::cli::Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A message for the operator, not a backtrace.
            eprintln!("错误：{e:#}");
            ExitCode::FAILURE
        }
    }
}
