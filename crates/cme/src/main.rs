fn main() -> std::process::ExitCode {
    cme::cli::main()
}
