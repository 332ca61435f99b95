//! The `jit` binary: parse arguments, run, exit with the documented code.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(jit::cli::main())
}
