//! The shared go-plugin test client (crate `goplugin-test-client`), pointed at this repository's
//! provider binary.

pub use goplugin_test_client::*;

use std::path::PathBuf;

use crate::paths::provider_dir;

/// The file name of the provider binary.
pub const BINARY_NAME: &str = "terraform-provider-hotpatch";

/// The provider binary under test (see [`provider_dir`]; a relative `HOTPATCH_PROVIDER_DIR` is
/// taken relative to the repository root, since cargo runs tests and benches inside `tests/e2e`).
pub fn provider_binary() -> PathBuf {
    provider_dir().join(BINARY_NAME)
}
