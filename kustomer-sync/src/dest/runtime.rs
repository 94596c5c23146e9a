//! The Tokio runtime of a destination whose I/O is async (PostgreSQL,
//! Delta) behind the synchronous [`Destination`](super::Destination) trait.

use std::future::Future;

use crate::error::SyncError;

/// A destination's own runtime, shut down without waiting when the last
/// handle goes: a destination may be dropped anywhere, even in an async task
/// (where dropping a runtime the ordinary way panics).
pub(crate) struct OwnedRuntime(Option<tokio::runtime::Runtime>);

impl OwnedRuntime {
    /// A runtime of `threads` workers named `kustomer-{name}`.
    pub fn start(threads: usize, name: &str) -> Result<Self, SyncError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name(format!("kustomer-{name}"))
            .enable_all()
            .build()
            .map_err(|e| SyncError::Destination(format!("{name}: start runtime: {e}")))?;
        Ok(OwnedRuntime(Some(rt)))
    }

    /// Runs `f` to completion. A thread already inside a runtime (an async
    /// caller, or a `spawn_blocking` thread, which cannot be told apart)
    /// blocks on a scoped thread instead: `block_on` panics in an async
    /// context.
    pub fn block_on<F>(&self, f: F) -> F::Output
    where
        F: Future + Send,
        F::Output: Send,
    {
        let rt = self.0.as_ref().expect("the runtime lives as long as its owner");
        if tokio::runtime::Handle::try_current().is_err() {
            return rt.block_on(f);
        }
        std::thread::scope(|s| match s.spawn(|| rt.block_on(f)).join() {
            Ok(out) => out,
            Err(panic) => std::panic::resume_unwind(panic),
        })
    }
}

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}
