//! The `skiff` binary: everything is in [`skiff::cli::main`].

fn main() -> std::process::ExitCode {
    skiff::cli::main()
}
