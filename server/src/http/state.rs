//! Shared application state, cloned into every handler.
use crate::config::Config;
use crate::db::Db;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub leptos_options: LeptosOptions,
    /// "Now" for decisions that depend on the time of day (Do Not Disturb, releasing held
    /// notifications), so tests can set the time instead of waiting for it.
    pub clock: Clock,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The system clock, unless pinned with [`Clock::set`] (tests). Clones share one setting.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Unix ms; 0 means "use the system clock".
    pinned: Arc<AtomicI64>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock::default()
    }

    /// Now, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        match self.pinned.load(Ordering::SeqCst) {
            0 => crate::db::now_ms(),
            pinned => pinned,
        }
    }

    /// Pins the clock to `ms` (Unix milliseconds) until set again.
    pub fn set(&self, ms: i64) {
        self.pinned.store(ms, Ordering::SeqCst);
    }
}
