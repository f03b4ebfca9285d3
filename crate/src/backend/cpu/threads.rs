//! How many threads the CPU backend uses natively: its kernels share their work among the
//! threads of the current rayon pool, so a caller that wants N threads runs the work inside
//! `pool(N)?.install(…)` (the CLI's `--threads`); outside any pool, rayon's global pool (one
//! thread per core) does it. In the browser (wasm32 without threads) rayon runs every task
//! on the calling thread. No GPU twin: this is the pool the CPU kernels run on, not a kernel.

use crate::error::{Error, Result};

/// The number of cores this process may use (1 when the platform cannot say).
pub fn available() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// A pool of `threads` threads for the CPU backend's kernels.
pub fn pool(threads: usize) -> Result<rayon::ThreadPool> {
    if threads == 0 {
        return Err(Error::Invalid(format!("0 threads: give at least 1 (this machine has {} cores)", available())));
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("convplay-cpu-{i}"))
        .build()
        .map_err(|e| Error::Invalid(format!("cannot start {threads} threads: {e}; give fewer threads")))
}
