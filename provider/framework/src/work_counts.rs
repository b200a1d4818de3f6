//! Process-wide counts of the framework's costly one-off work: schema blocks built and
//! validator patterns compiled.
//!
//! Terraform starts the provider several times per command and waits for its handshake line
//! each time, so none of this work may happen before the handshake: schemas are built on the
//! first RPC that needs them and patterns on their first use. A wall-time limit in a test would
//! flake on a busy machine and say nothing about why; these counts let a test read what was
//! done before the handshake and fail, deterministically, the day someone builds a schema or
//! compiles a pattern at start-up (see the hotpatch crate's `startup_work` test).
//!
//! Counting is one relaxed atomic increment per event, so it stays in release builds.

use std::sync::atomic::{AtomicU64, Ordering};

static SCHEMA_BLOCKS_BUILT: AtomicU64 = AtomicU64::new(0);
static PATTERNS_COMPILED: AtomicU64 = AtomicU64::new(0);

/// What the framework has done so far in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WorkCounts {
    /// Schema blocks built ([`BlockSchema::new`](crate::BlockSchema::new), which every
    /// `#[derive(Model)]` schema starts from), nested blocks included.
    pub schema_blocks_built: u64,
    /// Validator patterns compiled ([`regex`](crate::validators::regex) validators, each at its
    /// first use).
    pub patterns_compiled: u64,
}

/// The counts since the process started.
pub fn work_counts() -> WorkCounts {
    WorkCounts {
        schema_blocks_built: SCHEMA_BLOCKS_BUILT.load(Ordering::Relaxed),
        patterns_compiled: PATTERNS_COMPILED.load(Ordering::Relaxed),
    }
}

pub(crate) fn count_schema_block() {
    SCHEMA_BLOCKS_BUILT.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn count_pattern_compiled() {
    PATTERNS_COMPILED.fetch_add(1, Ordering::Relaxed);
}
