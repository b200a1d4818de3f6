# The two commands a newcomer runs: `make demo` and `make test`.
# Both need only cargo and python3; Terraform 1.15.5 is fetched on first use
# (tests/tools/install-terraform.py) into the ignored .tools/ folder.

CARGO ?= cargo

.PHONY: demo test lint build bench terraform release install

# Where cargo puts builds (honours CARGO_TARGET_DIR like cargo does).
TARGET_DIR ?= $(or $(CARGO_TARGET_DIR),target)
RELEASE_TOOL = $(TARGET_DIR)/release/hotpatch-release
PROVIDER_BIN = $(TARGET_DIR)/release/terraform-provider-hotpatch
# Two builds, not one: built alone, the provider gets exactly the features `make bench` and a
# plain `cargo build -p terraform-provider-hotpatch` give it, so neither rebuilds it afterwards.
BUILD_RELEASE = $(CARGO) build --release -p terraform-provider-hotpatch --bin terraform-provider-hotpatch \
	&& $(CARGO) build --release -p hotpatch-release

demo:
	bash tests/tools/demo.sh

test: terraform lint
	$(CARGO) build --workspace --bins
	$(CARGO) test --workspace --no-fail-fast

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

build:
	$(CARGO) build --workspace --release --bins

# Registry artifacts for this machine's platform in dist/ (INTERFACE.md "Installing"). Signed
# by gpg with HOTPATCH_GPG_KEY_ID (keyring in GNUPGHOME, passphrase in HOTPATCH_GPG_PASSPHRASE),
# otherwise by a throwaway key made for this build (fine locally, never to publish).
release:
	rm -rf dist
	$(BUILD_RELEASE)
	$(RELEASE_TOOL) package --binary $(PROVIDER_BIN) --out dist
	$(RELEASE_TOOL) checksums --out dist

# The release build in ~/.terraform.d/plugins (HOME honoured), where `terraform init` finds it
# with no CLI configuration and no network.
install:
	$(BUILD_RELEASE)
	$(RELEASE_TOOL) install --binary $(PROVIDER_BIN)

# The core end-to-end loop on every tested Terraform release (also part of `make test`).
.PHONY: matrix
matrix: terraform
	$(CARGO) test -p hotpatch-e2e --test version_matrix

# The chaos run (docs/reliability.md) at a bigger size and over several seeds than the one in
# `make test`: HOTPATCH_CHAOS_RESOURCES (300), HOTPATCH_CHAOS_SEEDS (1,2,3); HOTPATCH_CHAOS_OUT
# keeps each apply's output and request log.
HOTPATCH_CHAOS_RESOURCES ?= 300
HOTPATCH_CHAOS_SEEDS ?= 1,2,3
.PHONY: chaos
chaos: terraform
	HOTPATCH_CHAOS_RESOURCES=$(HOTPATCH_CHAOS_RESOURCES) HOTPATCH_CHAOS_SEEDS=$(HOTPATCH_CHAOS_SEEDS) \
		$(CARGO) test -p hotpatch-e2e --test chaos -- --nocapture

bench: terraform
	bash tests/tools/bench-coldstart.sh

# Scale benchmark (docs/benchmarks.md, "Scale"): BENCH_MACHINES (1000), BENCH_LATENCY_MS (50),
# BENCH_PARALLELISM (10), BENCH_PAGE_SIZE (50), BENCH_CONCURRENT (2 runs at once; 0 skips).
.PHONY: bench-scale
bench-scale: terraform
	bash tests/tools/bench-scale.sh

terraform:
	python3 tests/tools/install-terraform.py
