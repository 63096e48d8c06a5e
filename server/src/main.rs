fn main() -> std::process::ExitCode {
    return_big_allocations_to_the_os();
    server::tools::cli::main()
}

/// glibc raises its mmap threshold after a large block is freed, so argon2's 19 MiB blocks
/// end up in per-thread heaps that never shrink (RSS grew to 700 MB under a sign-in load).
/// A fixed threshold keeps them mmapped and returned to the OS on free.
fn return_big_allocations_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; called once before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}
