# The two commands a newcomer runs: `make demo` and `make test`.
# Both need only cargo and python3; Terraform 1.15.5 is fetched on first use
# (tests/tools/install-terraform.py) into the ignored .tools/ folder.

CARGO ?= cargo

.PHONY: demo test lint build bench terraform

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

bench: terraform
	bash tests/tools/bench-coldstart.sh

# Scale benchmark (docs/benchmarks.md, "Scale"): BENCH_MACHINES (1000), BENCH_LATENCY_MS (50),
# BENCH_PARALLELISM (10).
.PHONY: bench-scale
bench-scale: terraform
	bash tests/tools/bench-scale.sh

terraform:
	python3 tests/tools/install-terraform.py
