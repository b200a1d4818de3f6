#!/usr/bin/env bash
# Scale benchmark (`make bench-scale`; results in docs/benchmarks.md, section "Scale").
#
# Starts the ARM emulator with a fleet of N eligible Arc machines (arc-fleet-0001...), added
# latency and ARM's default token-bucket throttling, then applies N hotpatch_enrollment and
# N hotpatch_machine_setting resources with a real Terraform 1.15.5 and re-plans (which must
# show no changes). For each phase it reports the wall time, the ARM requests the emulator saw
# (reads, writes, per resource, 429s, other non-2xx answers) and the peak RSS of the provider
# processes.
#
# Environment:
#   BENCH_MACHINES     N, the number of machines (default 1000): 2N resources
#   BENCH_LATENCY_MS   latency the emulator adds to every request (default 50)
#   BENCH_PARALLELISM  terraform -parallelism (default 10, Terraform's own default)
#   BENCH_KEEP         1 = keep the work folder (Terraform output, request logs) and print it
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

machines=${BENCH_MACHINES:-1000}
latency_ms=${BENCH_LATENCY_MS:-50}
parallelism=${BENCH_PARALLELISM:-10}
case "$machines$latency_ms$parallelism" in
  *[!0-9]*) echo "BENCH_MACHINES, BENCH_LATENCY_MS and BENCH_PARALLELISM must be integers" >&2; exit 2 ;;
esac
[ "$machines" -ge 1 ] || { echo "BENCH_MACHINES must be at least 1" >&2; exit 2; }

terraform=$(python3 tests/tools/install-terraform.py)
echo "==> Building the provider and the emulator (release)"
cargo build --release --quiet -p terraform-provider-hotpatch -p arm-emulator --bins

work=$(mktemp -d)
emulator_pid=""
sampler_pid=""
phase_pid=""
cleanup() {
  if [ -n "$phase_pid" ]; then
    pkill -TERM -P "$phase_pid" 2>/dev/null || true  # Terraform, which then stops its providers
    kill "$phase_pid" 2>/dev/null || true
    wait "$phase_pid" 2>/dev/null || true
  fi
  if [ -n "$sampler_pid" ]; then kill "$sampler_pid" 2>/dev/null || true; wait "$sampler_pid" 2>/dev/null || true; fi
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "    work folder kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- helpers (python3 only) -------------------------------------------------------------------

# Peak RSS sampler: every 100 ms, finds the terraform-provider-hotpatch processes in /proc that
# descend from this phase's Terraform (argv[2]; other provider processes on a shared machine are
# ignored) and records the largest VmHWM (peak resident set, kernel-maintained) or VmRSS seen
# for each; on SIGTERM writes a JSON summary to argv[1].
cat >"$work/rss_sampler.py" <<'PY'
import json, os, signal, sys, time
NAME = "terraform-provider-hotpatch"
out, root = sys.argv[1], sys.argv[2]
peak = {}          # pid -> largest VmHWM/VmRSS seen, kB
max_concurrent = 0 # largest sum of VmRSS over provider processes alive at the same time, kB
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)
def is_provider(pid):
    try:
        with open("/proc/%s/comm" % pid) as f:
            if not NAME.startswith(f.read().strip()):  # comm is cut to 15 characters
                return False
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            argv0 = f.read().split(b"\0", 1)[0].decode(errors="replace")
        if os.path.basename(argv0) != NAME:
            return False
        while pid not in ("0", "1"):  # walk up to the phase's Terraform
            with open("/proc/%s/stat" % pid) as f:
                pid = f.read().rsplit(")", 1)[1].split()[1]
            if pid == root:
                return True
        return False
    except (OSError, IndexError):
        return False
def status_kb(pid):
    vals = {}
    try:
        with open("/proc/%s/status" % pid) as f:
            for line in f:
                if line.startswith(("VmHWM:", "VmRSS:")):
                    key, v = line.split(":", 1)
                    vals[key] = int(v.split()[0])
    except OSError:
        pass
    return vals
known = set()
while not stop:
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        if pid not in known and not is_provider(pid):
            continue
        vals = status_kb(pid)
        if not vals:
            known.discard(pid)
            continue
        known.add(pid)
        peak[pid] = max(peak.get(pid, 0), vals.get("VmHWM", 0), vals.get("VmRSS", 0))
        total += vals.get("VmRSS", 0)
    max_concurrent = max(max_concurrent, total)
    time.sleep(0.1)
with open(out, "w") as f:
    json.dump({"processes": len(peak), "peak_kb": max(peak.values(), default=0),
               "max_concurrent_kb": max_concurrent}, f)
PY

# Emulator admin API: `admin.py GET|DELETE <path> [out-file]`.
cat >"$work/admin.py" <<'PY'
import json, ssl, sys, urllib.request
base, ca, method, path = sys.argv[1:5]
ctx = ssl.create_default_context(cafile=ca)
req = urllib.request.Request(base.rstrip("/") + path, method=method)
with urllib.request.urlopen(req, context=ctx, timeout=120) as r:
    body = r.read()
if len(sys.argv) > 5:
    with open(sys.argv[5], "wb") as f:
        f.write(body)
PY

# Summarises one phase's request log into JSON (token requests are counted apart; admin calls
# are not logged by the emulator). "failed" lists the non-2xx answers other than 429 by status,
# method and kind of resource; a 404 on a license profile GET is the enrollment's "no profile
# yet" read, not an error.: `summarise.py <requests.json> <resources>`.
cat >"$work/summarise.py" <<'PY'
import collections, json, re, sys
log = json.load(open(sys.argv[1]))
resources = int(sys.argv[2])
TOKEN = re.compile(r"^/[^/]+/oauth2/v2\.0/token/?$", re.I)
WRITE = {"PUT", "PATCH", "POST", "DELETE"}
s = {"requests": len(log), "token": 0, "reads": 0, "writes": 0, "reads_ok": 0, "writes_ok": 0,
     "throttled": 0, "by_status": collections.Counter(), "failed": collections.Counter(),
     "by_kind": collections.Counter()}
def kind(path):
    p = path.lower()
    if "/operations/" in p or "operationstatuses" in p or "operationresults" in p:
        return "lro-poll"
    if p.rstrip("/").endswith("/licenseprofiles/default"):
        return "license-profile"
    if re.search(r"/microsoft\.hybridcompute/machines/[^/]+/?$", p):
        return "machine"
    return "other"
for e in log:
    m, path, st = e["method"].upper(), e["path"], int(e["status"])
    if TOKEN.match(path):
        s["token"] += 1
        continue
    is_write = m in WRITE
    s["writes" if is_write else "reads"] += 1
    s["by_status"][str(st)] += 1
    s["by_kind"]["%s %s" % (m, kind(path))] += 1
    if st == 429:
        s["throttled"] += 1
        continue
    s["writes_ok" if is_write else "reads_ok"] += 1
    if not 200 <= st < 300:
        s["failed"]["%d %s %s" % (st, m, kind(path))] += 1
s["per_resource_reads"] = s["reads"] / resources
s["per_resource_writes"] = s["writes"] / resources
s["per_resource_reads_ok"] = s["reads_ok"] / resources
s["per_resource_writes_ok"] = s["writes_ok"] / resources
# The emulator keeps its most recent 20,000 requests; near that size the oldest may be gone.
s["log_maybe_truncated"] = len(log) >= 18000
print(json.dumps(s))
PY

# --- emulator ---------------------------------------------------------------------------------

echo "==> Starting the ARM emulator (--fleet $machines --latency-ms $latency_ms, default throttling)"
"$root/target/release/arm-emulator" --fleet "$machines" --latency-ms "$latency_ms" --throttle default \
  --ca-out "$work/ca.pem" --ready-file "$work/ready.json" \
  >"$work/emulator.out" 2>"$work/emulator.log" &
emulator_pid=$!
for _ in $(seq 1 300); do
  [ -s "$work/ready.json" ] && break
  kill -0 "$emulator_pid" 2>/dev/null || { cat "$work/emulator.log" >&2; exit 1; }
  sleep 0.1
done
[ -s "$work/ready.json" ] || { echo "emulator did not start" >&2; exit 1; }

field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/ready.json" "$1"; }
base_url=$(field base_url)
export ARM_RESOURCE_MANAGER_ENDPOINT="$base_url"
export ARM_AUTHORITY_HOST="$base_url"
export ARM_CA_CERTIFICATE_FILE="$work/ca.pem"
export ARM_TENANT_ID=$(field tenant_id)
export ARM_CLIENT_ID=$(field client_id)
export ARM_CLIENT_SECRET=$(field client_secret)
export ARM_SUBSCRIPTION_ID=$(field subscription_id)
export ARM_USE_CLI=false
resource_group=$(field resource_group)
echo "    listening on $base_url"
admin() { python3 "$work/admin.py" "$base_url" "$work/ca.pem" "$@"; }

# Terraform starts the provider several times per command; a private copy keeps the binary the
# same for the whole run even if target/release is rebuilt meanwhile.
mkdir -p "$work/provider"
cp "$root/target/release/terraform-provider-hotpatch" "$work/provider/"
cat >"$work/terraform.rc" <<RC
provider_installation {
  dev_overrides {
    "seedlabs/hotpatch" = "$work/provider"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$work/terraform.rc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1

mkdir -p "$work/fleet"
cat >"$work/fleet/main.tf" <<TF
terraform {
  required_providers {
    hotpatch = {
      source = "seedlabs/hotpatch"
    }
  }
}

provider "hotpatch" {}

locals {
  machines = toset([for i in range(1, $machines + 1) : format("arc-fleet-%04d", i)])
  prefix   = "/subscriptions/$ARM_SUBSCRIPTION_ID/resourceGroups/$resource_group/providers/Microsoft.HybridCompute/machines/"
}

resource "hotpatch_enrollment" "fleet" {
  for_each   = local.machines
  machine_id = "\${local.prefix}\${each.key}"
}

# Refers to the enrollment of the same machine: the license comes first.
resource "hotpatch_machine_setting" "fleet" {
  for_each            = local.machines
  machine_id          = hotpatch_enrollment.fleet[each.key].machine_id
  hotpatching_enabled = true
}
TF
tf() { "$terraform" -chdir="$work/fleet" "$@"; }

# --- phases -----------------------------------------------------------------------------------

resources=$((2 * machines))
now() { python3 -c 'import time; print(time.monotonic())'; }

# run_phase NAME CMD...: clears the request log, samples RSS while CMD runs, then saves the
# log summary, the wall time and CMD's exit code under $work/NAME.*.
run_phase() {
  local name=$1
  shift
  admin DELETE /_admin/requests
  local start end code
  start=$(now)
  "$@" >"$work/$name.out" 2>&1 &
  phase_pid=$!
  python3 "$work/rss_sampler.py" "$work/$name.rss.json" "$phase_pid" &
  sampler_pid=$!
  set +e
  wait "$phase_pid"
  code=$?
  set -e
  phase_pid=""
  end=$(now)
  kill "$sampler_pid" 2>/dev/null || true
  wait "$sampler_pid" 2>/dev/null || true
  sampler_pid=""
  admin GET /_admin/requests "$work/$name.requests.json"
  python3 "$work/summarise.py" "$work/$name.requests.json" "$resources" >"$work/$name.summary.json"
  python3 -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$start" "$end" >"$work/$name.seconds"
  echo "$code" >"$work/$name.code"
  printf '    exit %s after %.1f s\n' "$code" "$(cat "$work/$name.seconds")"
}

tf init -input=false -no-color >"$work/init.out" 2>&1 || { cat "$work/init.out" >&2; exit 1; }

echo "==> terraform apply -parallelism=$parallelism ($machines enrollments + $machines machine settings)"
run_phase apply tf apply -auto-approve -input=false -no-color -parallelism="$parallelism"
apply_code=$(cat "$work/apply.code")
if [ "$apply_code" -ne 0 ]; then
  grep -A8 '^Error' "$work/apply.out" | head -n 60 >&2 || true
  tail -n 20 "$work/apply.out" >&2
fi

echo "==> terraform plan -detailed-exitcode -parallelism=$parallelism (expect no changes)"
run_phase plan tf plan -detailed-exitcode -input=false -no-color -parallelism="$parallelism"
plan_code=$(cat "$work/plan.code")
if [ "$plan_code" -ne 0 ]; then
  grep -A8 -e '^Error' -e 'will be' -e 'must be' "$work/plan.out" | head -n 60 >&2 || true
  tail -n 20 "$work/plan.out" >&2
fi

# --- report -----------------------------------------------------------------------------------

python3 - "$work" "$machines" "$latency_ms" "$parallelism" <<'PY'
import json, os, sys
work, machines, latency, parallelism = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def load(name):
    d = {"code": int(open(os.path.join(work, name + ".code")).read()),
         "seconds": float(open(os.path.join(work, name + ".seconds")).read())}
    d.update(json.load(open(os.path.join(work, name + ".summary.json"))))
    with open(os.path.join(work, name + ".out"), errors="replace") as f:
        d["tf_errors"] = sum(1 for line in f if line.startswith("Error:"))
    try:
        d["rss"] = json.load(open(os.path.join(work, name + ".rss.json")))
    except (OSError, ValueError):
        d["rss"] = {"processes": 0, "peak_kb": 0, "max_concurrent_kb": 0}
    return d
phases = [("apply", load("apply")), ("plan", load("plan"))]
print()
print("Scale benchmark: %d machines = %d resources, latency %s ms, parallelism %s, ARM throttling on"
      % (machines, 2 * machines, latency, parallelism))
mib = lambda kb: "%.1f MiB" % (kb / 1024.0)
fmt = lambda v: ("%.2f" % v) if isinstance(v, float) else str(v)
rows = [
    ("exit code", lambda p: p["code"]),
    ("wall time", lambda p: "%.1f s" % p["seconds"]),
    ("ARM reads (GET)", lambda p: p["reads"]),
    ("ARM writes (PUT/PATCH/POST/DELETE)", lambda p: p["writes"]),
    ("reads per resource", lambda p: fmt(p["per_resource_reads"])),
    ("writes per resource", lambda p: fmt(p["per_resource_writes"])),
    ("reads per resource, without 429s", lambda p: fmt(p["per_resource_reads_ok"])),
    ("writes per resource, without 429s", lambda p: fmt(p["per_resource_writes_ok"])),
    ("429 answers", lambda p: p["throttled"]),
    ("other non-2xx answers", lambda p: sum(p["failed"].values())),
    ("Terraform errors (failed operations)", lambda p: p["tf_errors"]),
    ("token requests (not counted)", lambda p: p["token"]),
    ("provider processes", lambda p: p["rss"]["processes"]),
    ("peak provider RSS (VmHWM)", lambda p: mib(p["rss"]["peak_kb"])),
    ("peak RSS, providers alive together", lambda p: mib(p["rss"]["max_concurrent_kb"])),
]
w = max(len(r[0]) for r in rows)
print("  %-*s  %14s  %14s" % (w, "", "apply", "plan"))
for label, f in rows:
    print("  %-*s  %14s  %14s" % (w, label, f(phases[0][1]), f(phases[1][1])))
for name, p in phases:
    print("  %s requests by kind: %s" % (name, ", ".join("%s %d" % kv for kv in sorted(p["by_kind"].items()))))
    print("  %s answers by status: %s" % (name, ", ".join("%s: %d" % kv for kv in sorted(p["by_status"].items()))))
    if p["failed"]:
        print("  %s non-2xx answers other than 429: %s" % (name, ", ".join("%s: %d" % kv for kv in sorted(p["failed"].items()))))
    if p["log_maybe_truncated"]:
        print("  WARNING: %s logged %d requests; the emulator keeps only the latest 20,000, so counts may be low"
              % (name, p["requests"]))
PY

status=0
[ "$apply_code" -eq 0 ] || { echo "terraform apply failed (exit $apply_code)" >&2; status=1; }
[ "$plan_code" -eq 0 ] || { echo "terraform plan -detailed-exitcode exited $plan_code (0 = no changes expected)" >&2; status=1; }
exit "$status"
