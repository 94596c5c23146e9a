//! Locking the simulator's mutexes.

use std::sync::{Mutex, MutexGuard};

/// Locks a mutex, recovering from poisoning: a panicking test closure must not take
/// the server down with it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
