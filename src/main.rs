use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    cairn::cli::run().await
}
