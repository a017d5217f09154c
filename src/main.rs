use std::process::ExitCode;

/// A request allocates and frees many small strings and rows from several threads at once, which
/// glibc's allocator serves slowly: at 100k initiatives it took a fifth of the server's CPU on the
/// shared roadmap page (perf), which mimalloc serves faster.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    cairn::cli::run().await
}
