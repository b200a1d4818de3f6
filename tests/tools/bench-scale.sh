#!/usr/bin/env bash
# Scale benchmark (`make bench-scale`; results in docs/benchmarks.md, section "Scale").
#
# Starts the ARM emulator with a fleet of N eligible Arc machines (arc-fleet-0001...), added
# latency and ARM's default token-bucket throttling, and runs a real Terraform 1.15.5:
#
#   1. apply: N hotpatch_enrollment + N hotpatch_machine_setting resources;
#   2. plan: must show no changes;
#   3. drift: one machine's hotpatch switch is turned off outside Terraform (emulator admin
#      API); the plan must show exactly that machine's setting to be updated;
#   4. concurrent: on a fresh emulator with the same fleet, BENCH_CONCURRENT Terraform runs
#      (separate workspaces, disjoint slices of the fleet) apply at the same time against the
#      one subscription and its shared throttling buckets.
#
# For each phase it reports the wall time, the ARM requests the emulator saw (reads, writes,
# per resource, polls, list pages, 429s, other non-2xx answers) and the peak RSS of the
# provider processes, then checks the request-count aims (docs/benchmarks.md): a plan reads at
# most 2 x ceil(N / page size) + 10 times, an apply at most 2 reads (not counting polls) and 1
# write per resource, and no phase has a failed operation. Wall times are reported, not
# checked: they depend on the machine.
#
# Environment:
#   BENCH_MACHINES     N, the number of machines (default 1000): 2N resources
#   BENCH_LATENCY_MS   latency the emulator adds to every request (default 50)
#   BENCH_PARALLELISM  terraform -parallelism (default 10, Terraform's own default)
#   BENCH_PAGE_SIZE    page size of the emulator's list operations (default 50, ARM's for Arc)
#   BENCH_CONCURRENT   Terraform runs in the concurrent phase (default 2; 0 skips it)
#   BENCH_KEEP         1 = keep the work folder (Terraform output, request logs) and print it
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

machines=${BENCH_MACHINES:-1000}
latency_ms=${BENCH_LATENCY_MS:-50}
parallelism=${BENCH_PARALLELISM:-10}
page_size=${BENCH_PAGE_SIZE:-50}
concurrent=${BENCH_CONCURRENT:-2}
case "$machines$latency_ms$parallelism$page_size$concurrent" in
  *[!0-9]*) echo "BENCH_MACHINES, BENCH_LATENCY_MS, BENCH_PARALLELISM, BENCH_PAGE_SIZE and BENCH_CONCURRENT must be integers" >&2; exit 2 ;;
esac
[ "$machines" -ge 1 ] || { echo "BENCH_MACHINES must be at least 1" >&2; exit 2; }
[ "$page_size" -ge 1 ] || { echo "BENCH_PAGE_SIZE must be at least 1" >&2; exit 2; }
[ "$concurrent" -le "$machines" ] || { echo "BENCH_CONCURRENT must not exceed BENCH_MACHINES" >&2; exit 2; }

terraform=$(python3 tests/tools/install-terraform.py)
echo "==> Building the provider and the emulator (release)"
cargo build --release --quiet -p terraform-provider-hotpatch -p arm-emulator --bins

work=$(mktemp -d)
emulator_pid=""
sampler_pid=""
phase_pid=""
cleanup() {
  if [ -n "$phase_pid" ]; then
    # The phase's Terraform processes (directly or under the concurrent phase's subshell),
    # which then stop their providers.
    for child in $(pgrep -P "$phase_pid" 2>/dev/null); do
      pkill -TERM -P "$child" 2>/dev/null || true
    done
    pkill -TERM -P "$phase_pid" 2>/dev/null || true
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

# Emulator admin API: `admin.py GET|DELETE <path> [out-file]`, `admin.py PATCH <path> <json>`.
cat >"$work/admin.py" <<'PY'
import json, ssl, sys, urllib.request
base, ca, method, path = sys.argv[1:5]
ctx = ssl.create_default_context(cafile=ca)
data = sys.argv[5].encode() if method == "PATCH" else None
req = urllib.request.Request(base.rstrip("/") + path, method=method, data=data,
                             headers={"content-type": "application/json"} if data else {})
with urllib.request.urlopen(req, context=ctx, timeout=120) as r:
    body = r.read()
if method != "PATCH" and len(sys.argv) > 5:
    with open(sys.argv[5], "wb") as f:
        f.write(body)
PY

# Summarises one phase's request log into JSON (token requests are counted apart; admin calls
# are not logged by the emulator). "failed" lists the non-2xx answers other than 429 by status,
# method and kind of resource; a 404 on a license profile GET is the enrollment's "no profile
# yet" read, not an error. Reads are GETs; "polls" are the GETs that watch a write finish (an
# operation monitor, or an object this phase has already written: the license settling, the
# hotpatch evaluation) and "counted reads" the others, 429s left out of both:
# `summarise.py <requests.json> <resources>`.
cat >"$work/summarise.py" <<'PY'
import collections, json, re, sys
log = json.load(open(sys.argv[1]))
resources = int(sys.argv[2])
TOKEN = re.compile(r"^/[^/]+/oauth2/v2\.0/token/?$", re.I)
WRITE = {"PUT", "PATCH", "POST", "DELETE"}
s = {"requests": len(log), "token": 0, "reads": 0, "writes": 0, "reads_ok": 0, "writes_ok": 0,
     "counted_reads": 0, "polls": 0, "list_pages": 0,
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
    if re.search(r"/microsoft\.hybridcompute/machines/?$", p):
        return "machine-list"
    return "other"
written = set()
for e in log:
    m, path, st = e["method"].upper(), e["path"], int(e["status"])
    if TOKEN.match(path):
        s["token"] += 1
        continue
    is_write = m in WRITE
    s["writes" if is_write else "reads"] += 1
    s["by_status"][str(st)] += 1
    k = kind(path)
    s["by_kind"]["%s %s" % (m, k)] += 1
    if st == 429:
        s["throttled"] += 1
        continue
    s["writes_ok" if is_write else "reads_ok"] += 1
    if not 200 <= st < 300:
        s["failed"]["%d %s %s" % (st, m, k)] += 1
    key = path.lower().rstrip("/")
    if is_write:
        if 200 <= st < 300:
            written.add(key)
    elif k == "lro-poll" or key in written:
        s["polls"] += 1
    else:
        s["counted_reads"] += 1
        s["list_pages"] += k == "machine-list"
for f in ("reads", "writes", "reads_ok", "writes_ok", "counted_reads", "polls"):
    s["per_resource_" + f] = s[f] / resources
# The emulator keeps its most recent 20,000 requests; near that size the oldest may be gone.
s["log_maybe_truncated"] = len(log) >= 18000
print(json.dumps(s))
PY

# --- emulator ---------------------------------------------------------------------------------

# start_emulator NAME: a fresh emulator (its own state and buckets) for the phases that follow;
# stops the previous one. Exports the ARM_* variables the provider reads.
start_emulator() {
  local name=$1
  if [ -n "$emulator_pid" ]; then
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  echo "==> Starting the ARM emulator (--fleet $machines --latency-ms $latency_ms --page-size $page_size, default throttling)"
  rm -f "$work/ready.json"
  "$root/target/release/arm-emulator" --fleet "$machines" --latency-ms "$latency_ms" --throttle default \
    --page-size "$page_size" --ca-out "$work/ca.pem" --ready-file "$work/ready.json" \
    >"$work/emulator-$name.out" 2>"$work/emulator-$name.log" &
  emulator_pid=$!
  for _ in $(seq 1 300); do
    [ -s "$work/ready.json" ] && break
    kill -0 "$emulator_pid" 2>/dev/null || { cat "$work/emulator-$name.log" >&2; exit 1; }
    sleep 0.1
  done
  [ -s "$work/ready.json" ] || { echo "emulator did not start" >&2; exit 1; }
  base_url=$(field base_url)
  export ARM_RESOURCE_MANAGER_ENDPOINT="$base_url"
  export ARM_AUTHORITY_HOST="$base_url"
  export ARM_CA_CERTIFICATE_FILE="$work/ca.pem"
  ARM_TENANT_ID=$(field tenant_id)
  ARM_CLIENT_ID=$(field client_id)
  ARM_CLIENT_SECRET=$(field client_secret)
  ARM_SUBSCRIPTION_ID=$(field subscription_id)
  export ARM_TENANT_ID ARM_CLIENT_ID ARM_CLIENT_SECRET ARM_SUBSCRIPTION_ID
  export ARM_USE_CLI=false
  resource_group=$(field resource_group)
  echo "    listening on $base_url"
}
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/ready.json" "$1"; }
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

# workspace DIR FIRST LAST: a Terraform working directory enrolling machines FIRST..LAST.
workspace() {
  local dir=$1 first=$2 last=$3
  mkdir -p "$dir"
  cat >"$dir/main.tf" <<TF
terraform {
  required_providers {
    hotpatch = {
      source = "seedlabs/hotpatch"
    }
  }
}

provider "hotpatch" {}

locals {
  machines = toset([for i in range($first, $last + 1) : format("arc-fleet-%04d", i)])
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
  "$terraform" -chdir="$dir" init -input=false -no-color >"$dir/init.out" 2>&1 || { cat "$dir/init.out" >&2; exit 1; }
}
tf() { "$terraform" -chdir="$work/fleet" "$@"; }

# --- phases -----------------------------------------------------------------------------------

resources=$((2 * machines))
now() { python3 -c 'import time; print(time.monotonic())'; }

# run_phase NAME RESOURCES CMD...: clears the request log and the throttle counters, samples RSS
# while CMD runs, then saves the log summary, the throttle counters, the wall time and CMD's
# exit code under $work/NAME.*.
run_phase() {
  local name=$1 count=$2
  shift 2
  admin DELETE /_admin/requests
  admin DELETE /_admin/throttle/stats
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
  admin GET /_admin/throttle/stats "$work/$name.throttle.json"
  python3 "$work/summarise.py" "$work/$name.requests.json" "$count" >"$work/$name.summary.json"
  python3 -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$start" "$end" >"$work/$name.seconds"
  echo "$code" >"$work/$name.code"
  printf '    exit %s after %.1f s\n' "$code" "$(cat "$work/$name.seconds")"
}

# Shows what went wrong in a phase's Terraform output.
show_errors() {
  grep -A8 -e '^Error' -e 'will be' -e 'must be' "$1" | head -n 60 >&2 || true
  tail -n 20 "$1" >&2
}

start_emulator single
workspace "$work/fleet" 1 "$machines"

echo "==> terraform apply -parallelism=$parallelism ($machines enrollments + $machines machine settings)"
run_phase apply "$resources" tf apply -auto-approve -input=false -no-color -parallelism="$parallelism"
[ "$(cat "$work/apply.code")" -eq 0 ] || show_errors "$work/apply.out"

echo "==> terraform plan -detailed-exitcode -parallelism=$parallelism (expect no changes)"
run_phase plan "$resources" tf plan -detailed-exitcode -input=false -no-color -parallelism="$parallelism"
[ "$(cat "$work/plan.code")" -eq 0 ] || show_errors "$work/plan.out"

# Drift: the machine in the middle of the fleet has its hotpatch switch turned off in the portal.
drifted=$(printf 'arc-fleet-%04d' $(((machines + 1) / 2)))
echo "==> $drifted: hotpatch turned off outside Terraform; terraform plan (expect exactly its setting to change)"
admin PATCH "/_admin/machines/$drifted" '{"enableHotpatching": false, "hotpatchEnablementStatus": "Disabled"}'
run_phase drift "$resources" tf plan -detailed-exitcode -input=false -no-color -parallelism="$parallelism"
drift_ok=0
if [ "$(cat "$work/drift.code")" -eq 2 ] \
  && grep -q "hotpatch_machine_setting.fleet\[\"$drifted\"\] will be updated in-place" "$work/drift.out" \
  && grep -q "Plan: 0 to add, 1 to change, 0 to destroy." "$work/drift.out"; then
  drift_ok=1
else
  show_errors "$work/drift.out"
fi
echo "$drift_ok" >"$work/drift.detected"

# concurrent_applies: BENCH_CONCURRENT applies at once, one per workspace, each its own slice.
concurrent_applies() {
  local pids=() i
  for i in $(seq 1 "$concurrent"); do
    (
      start=$(now)
      set +e
      "$terraform" -chdir="$work/ws-$i" apply -auto-approve -input=false -no-color \
        -parallelism="$parallelism" >"$work/ws-$i.out" 2>&1
      echo $? >"$work/ws-$i.code"
      python3 -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$start" "$(now)" >"$work/ws-$i.seconds"
    ) &
    pids+=($!)
  done
  local status=0
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
  for i in $(seq 1 "$concurrent"); do [ "$(cat "$work/ws-$i.code")" -eq 0 ] || status=1; done
  return "$status"
}

if [ "$concurrent" -gt 0 ]; then
  start_emulator concurrent
  for i in $(seq 1 "$concurrent"); do
    workspace "$work/ws-$i" $(((i - 1) * machines / concurrent + 1)) $((i * machines / concurrent))
  done
  echo "==> $concurrent terraform applies at once on one subscription (disjoint slices of the fleet)"
  run_phase concurrent "$resources" concurrent_applies
  for i in $(seq 1 "$concurrent"); do
    [ "$(cat "$work/ws-$i.code")" -eq 0 ] || show_errors "$work/ws-$i.out"
  done
fi

# --- report -----------------------------------------------------------------------------------

set +e
python3 - "$work" "$machines" "$latency_ms" "$parallelism" "$page_size" "$concurrent" <<'PY'
import json, math, os, sys
work = sys.argv[1]
machines, latency, parallelism, page_size, concurrent = (int(a) for a in sys.argv[2:7])
resources = 2 * machines
def load(name):
    d = {"code": int(open(os.path.join(work, name + ".code")).read()),
         "seconds": float(open(os.path.join(work, name + ".seconds")).read())}
    d.update(json.load(open(os.path.join(work, name + ".summary.json"))))
    outs = [name + ".out"] + (["ws-%d.out" % i for i in range(1, concurrent + 1)] if name == "concurrent" else [])
    d["tf_errors"] = 0
    for out in outs:
        with open(os.path.join(work, out), errors="replace") as f:
            d["tf_errors"] += sum(1 for line in f if line.startswith("Error:"))
    try:
        d["rss"] = json.load(open(os.path.join(work, name + ".rss.json")))
    except (OSError, ValueError):
        d["rss"] = {"processes": 0, "peak_kb": 0, "max_concurrent_kb": 0}
    try:
        d["throttle"] = json.load(open(os.path.join(work, name + ".throttle.json")))
    except (OSError, ValueError):
        d["throttle"] = {}
    return d
names = ["apply", "plan", "drift"] + (["concurrent"] if concurrent else [])
phases = [(n, load(n)) for n in names]
print()
print("Scale benchmark: %d machines = %d resources, latency %d ms, parallelism %d, page size %d, ARM throttling on"
      % (machines, resources, latency, parallelism, page_size))
mib = lambda kb: "%.1f MiB" % (kb / 1024.0)
fmt = lambda v: ("%.2f" % v) if isinstance(v, float) else str(v)
rows = [
    ("exit code", lambda p: p["code"]),
    ("wall time", lambda p: "%.1f s" % p["seconds"]),
    ("ARM reads (GET), 429s included", lambda p: p["reads"]),
    ("ARM writes, 429s included", lambda p: p["writes"]),
    ("reads, not counting polls or 429s", lambda p: p["counted_reads"]),
    ("  of which list pages", lambda p: p["list_pages"]),
    ("polls (operation, settle, evaluation)", lambda p: p["polls"]),
    ("reads per resource, not counting polls", lambda p: fmt(p["per_resource_counted_reads"])),
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
print("  %-*s" % (w, "") + "".join("  %14s" % n for n, _ in phases))
for label, f in rows:
    print("  %-*s" % (w, label) + "".join("  %14s" % f(p) for _, p in phases))
for name, p in phases:
    print("  %s requests by kind: %s" % (name, ", ".join("%s %d" % kv for kv in sorted(p["by_kind"].items()))))
    print("  %s answers by status: %s" % (name, ", ".join("%s: %s" % kv for kv in sorted(p["by_status"].items()))))
    if p["failed"]:
        print("  %s non-2xx answers other than 429: %s" % (name, ", ".join("%s: %d" % kv for kv in sorted(p["failed"].items()))))
    if p["log_maybe_truncated"]:
        print("  WARNING: %s logged %d requests; the emulator keeps only the latest 20,000, so counts may be low"
              % (name, p["requests"]))
if concurrent:
    runs = []
    for i in range(1, concurrent + 1):
        code = int(open(os.path.join(work, "ws-%d.code" % i)).read())
        secs = float(open(os.path.join(work, "ws-%d.seconds" % i)).read())
        runs.append("run %d: exit %d after %.1f s" % (i, code, secs))
    print("  concurrent runs: " + "; ".join(runs))

# The floor the buckets impose on a phase: ARM's documented buckets (reads 250 + 25/s, writes
# 200 + 10/s), spent by every request that was let through, polls included.
def floor(p):
    return max(max(0, p["reads_ok"] - 250) / 25.0, max(0, p["writes_ok"] - 200) / 10.0)
print()
print('Aims (docs/benchmarks.md, "Scale"):')
apply, plan, drift = (dict(phases)[n] for n in ("apply", "plan", "drift"))
# (The resource group also holds the emulator's six scenario machines: N + 6 machines.)
bound = 2 * math.ceil(machines / page_size) + 10
failures = []
def aim(ok, text, counted=True):
    print("  [%s] %s" % ("met" if ok else "NOT MET", text))
    if counted and not ok:
        failures.append(text)
aim(plan["reads_ok"] <= bound,
    "plan: %d ARM reads <= 2 x ceil(%d / %d) + 10 = %d" % (plan["reads_ok"], machines, page_size, bound))
aim(plan["seconds"] <= 15, "plan wall time %.1f s <= 15 s (machine-dependent, not checked)" % plan["seconds"], counted=False)
aim(apply["per_resource_counted_reads"] <= 2 and apply["per_resource_writes_ok"] <= 1,
    "apply: %.2f reads (not counting polls) and %.2f writes per resource <= 2 and 1"
    % (apply["per_resource_counted_reads"], apply["per_resource_writes_ok"]))
f = floor(apply)
print("  [info] apply wall time %.1f s; the buckets' floor for its %d reads and %d writes is %.1f s (ratio %.2f)"
      % (apply["seconds"], apply["reads_ok"], apply["writes_ok"], f, apply["seconds"] / f if f else float("nan")))
aim(drift["code"] == 2 and open(os.path.join(work, "drift.detected")).read().strip() == "1",
    "drift: the plan shows exactly the drifted machine's setting")
total_errors = sum(p["tf_errors"] for _, p in phases)
aim(total_errors == 0, "failed operations: %d in all phases" % total_errors)
if concurrent:
    c = dict(phases)["concurrent"]
    aim(c["code"] == 0 and c["tf_errors"] == 0,
        "%d concurrent applies: %d failed operations, %d 429s in total (reads %s, writes %s)"
        % (concurrent, c["tf_errors"], c["throttled"],
           c["throttle"].get("reads", {}).get("throttled", "?"),
           c["throttle"].get("writes", {}).get("throttled", "?")))
sys.exit(1 if failures else 0)
PY
aims=$?
set -e

status=0
[ "$(cat "$work/apply.code")" -eq 0 ] || { echo "terraform apply failed (exit $(cat "$work/apply.code"))" >&2; status=1; }
[ "$(cat "$work/plan.code")" -eq 0 ] || { echo "terraform plan -detailed-exitcode exited $(cat "$work/plan.code") (0 = no changes expected)" >&2; status=1; }
[ "$aims" -eq 0 ] || { echo "request-count aims not met (see above)" >&2; status=1; }
exit "$status"
