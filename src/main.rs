use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = decksmith::cli::Cli::parse();
    decksmith::cli::run(cli).into()
}
