use std::process::ExitCode;

use clap::Parser;

// The linter allocates many small values per note (the parse, the YAML tree, findings): with
// glibc's allocator a tenth of a run was spent in malloc and free; see docs/benchmarks.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = decksmith::cli::Cli::parse();
    decksmith::cli::run(cli).into()
}
