#!/usr/bin/env python3
"""Instructions one provider start executes: the cold-start figure that does not move with load.

`make bench` measures wall time, which on a shared machine moves with everyone else's builds.
This counts instructions instead, with valgrind's callgrind (hardware counters, and so
`perf stat`, are often missing in VMs): it launches the provider with Terraform's go-plugin
environment and a P-521 client certificate, sends SIGTERM as soon as the handshake line
arrives and reports every instruction the process executed, start to exit. With --no-cert it
launches without PLUGIN_CLIENT_CERT, which the provider refuses (exit 1) before any TLS work:
the cost of process start, runtime and logging alone. docs/benchmarks.md has the figures.

Needs valgrind and openssl (for the client certificate).

Usage: coldstart-instructions.py [--no-cert] [--runs N] [--callgrind-out FILE] [BINARY]
BINARY defaults to target/release/terraform-provider-hotpatch (build it first, or `make bench`).
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

MAGIC_COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
ROOT = Path(__file__).resolve().parents[2]


def client_cert(folder: Path) -> str:
    """A throwaway self-signed P-521 certificate, as Terraform makes for each launch."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521",
         "-nodes", "-keyout", str(folder / "client.key"), "-out", str(folder / "client.pem"),
         "-days", "1", "-subj", "/O=HashiCorp/CN=localhost"],
        check=True, capture_output=True)
    return (folder / "client.pem").read_text()


def one_run(binary: Path, cert: str | None, out: Path) -> int:
    env = {k: v for k, v in os.environ.items() if k not in ("TF_LOG", "TF_LOG_PROVIDER")}
    env.update(TF_PLUGIN_MAGIC_COOKIE=MAGIC_COOKIE, PLUGIN_PROTOCOL_VERSIONS="5,6",
               PLUGIN_MIN_PORT="10000", PLUGIN_MAX_PORT="25000")
    if cert is not None:
        env["PLUGIN_CLIENT_CERT"] = cert
    process = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", str(binary)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if cert is not None:
        line = process.stdout.readline()
        if not line.startswith("1|6|tcp|"):
            process.kill()
            sys.exit(f"no handshake line, got {line!r}: {process.stderr.read()}")
        process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=300)
    collected = re.search(r"Collected : (\d+)", stderr)
    if not collected:
        sys.exit(f"callgrind reported no count:\n{stderr}")
    return int(collected.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary", nargs="?", type=Path,
                        default=ROOT / "target" / "release" / "terraform-provider-hotpatch")
    parser.add_argument("--no-cert", action="store_true", help="launch without PLUGIN_CLIENT_CERT")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--callgrind-out", type=Path,
                        help="keep the last run's profile here (read it with callgrind_annotate)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cert = None if args.no_cert else client_cert(folder)
        out = args.callgrind_out or folder / "callgrind.out"
        counts = sorted(one_run(args.binary, cert, out) for _ in range(args.runs))
    what = "spawn -> refusal exit" if args.no_cert else "spawn -> handshake line -> SIGTERM exit"
    median = counts[len(counts) // 2]
    print(f"{args.binary}: {what}: median {median:,} instructions over {args.runs} runs "
          f"(min {counts[0]:,}, max {counts[-1]:,})")


if __name__ == "__main__":
    main()
