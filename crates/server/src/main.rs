use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "xinfang=info,warn".into()),
        )
        .init();
    xinfang::cli::run(xinfang::cli::Cli::parse()).await
}
