#!/usr/bin/env bash
# Cold-start benchmark of the provider process (`make bench`; results in docs/benchmarks.md).
#
# Builds the provider in release mode, then runs tests/e2e/benches/coldstart.rs against that
# binary: spawn -> handshake line, spawn -> first GetProviderSchema reply, peak RSS,
# Shutdown -> exit and spawn -> first line of a `--debug` launch (no client certificate, no TLS),
# over HOTPATCH_BENCH_RUNS launches (default 50): min, median, p95, max.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
CARGO="${CARGO:-cargo}"
target_dir="${CARGO_TARGET_DIR:-target}"

"$CARGO" build --release -p terraform-provider-hotpatch --bin terraform-provider-hotpatch
HOTPATCH_PROVIDER_DIR="$(cd "$target_dir/release" && pwd)" \
    "$CARGO" bench -p hotpatch-e2e --bench coldstart
