//! The `weir` binary: the GUI, and headless subcommands.

fn main() -> std::process::ExitCode {
    weir::cli::main()
}
