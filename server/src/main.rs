fn main() -> std::process::ExitCode {
    // No allocator tuning here: glibc's defaults suit the server now that argon2's 19 MiB work
    // areas are allocated once and kept (`auth/password.rs`). Allocated and freed per hash, they
    // once piled up in per-thread arenas, which a fixed `M_MMAP_THRESHOLD` of 1 MiB worked
    // around at the price of mapping and faulting in fresh pages on every sign-in.
    server::tools::cli::main()
}
