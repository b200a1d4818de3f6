#!/usr/bin/env bash
# `make demo`: build the provider and the ARM emulator, start the emulator, apply
# examples/quickstart with a real Terraform 1.15.5, print the machines' hotpatch status,
# re-plan to show there is no drift, and stop the emulator.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

terraform=$(python3 tests/tools/install-terraform.py)
echo "==> Building the provider and the emulator (release)"
cargo build --release --quiet -p terraform-provider-hotpatch -p arm-emulator --bins

work=$(mktemp -d)
emulator_pid=""
cleanup() {
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> Starting the ARM emulator"
"$root/target/release/arm-emulator" --ca-out "$work/ca.pem" --ready-file "$work/ready.json" \
  >"$work/emulator.out" 2>"$work/emulator.log" &
emulator_pid=$!
for _ in $(seq 1 100); do
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
echo "    listening on $base_url"

cat >"$work/terraform.rc" <<RC
provider_installation {
  dev_overrides {
    "seedlabs/hotpatch" = "$root/target/release"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$work/terraform.rc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
mkdir -p "$work/quickstart"
cp examples/quickstart/*.tf "$work/quickstart/"
tf() { "$terraform" -chdir="$work/quickstart" "$@"; }

echo "==> terraform apply (examples/quickstart)"
tf apply -auto-approve -input=false -no-color 2>&1 | grep -v -e "^Warning: Provider development overrides" -e "^$" | tail -n 25

echo "==> Hotpatch status"
tf output -json hotpatch_status | python3 -c '
import json, sys
rows = json.load(sys.stdin)
print("    %-22s %-13s %-9s %s" % ("machine", "status", "license", "why not enabled"))
for name, r in sorted(rows.items()):
    print("    %-22s %-13s %-9s %s" % (name, r["status"], r["license"] or "-", "; ".join(r["issues"] or []) or "-"))
'

echo "==> Fleet status (hotpatch_machines)"
tf output -json fleet_status | python3 -c '
import json, sys
counts = json.load(sys.stdin)
for word in ["Enabled", "Disabled", "Pending", "Canceled", "Not enrolled"]:
    print("    %-13s %d" % (word, counts.get(word, 0)))
'

echo "==> terraform plan (expect no drift)"
set +e
tf plan -detailed-exitcode -input=false -no-color >"$work/plan.txt" 2>&1
code=$?
set -e
if [ "$code" -eq 0 ]; then
  echo "    No changes: the infrastructure matches the configuration."
else
  cat "$work/plan.txt"
  echo "unexpected plan result (exit $code)" >&2
  exit 1
fi
echo "==> Done; stopping the emulator"
