"""CPU per HTTP probe: paywatch's HTTP step against blackbox_exporter's ``http_2xx`` module.

Both probe the same local target (an aiohttp app in its own process, so its CPU counts for
neither), on a fresh connection each time. blackbox_exporter's CPU is read from /proc/PID/stat;
paywatch's is ``time.process_time`` of a process that only runs the probe loop. Prints both
figures and the ratio; the goal is paywatch <= 0.5x. Loopback only, bounded in count.

    .venv/bin/python benchmarks/probe_vs_blackbox.py [--probes N]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from paywatch.config import CardApiTarget, JourneySpec, default_config
from probes import runtime
from probes.context import JourneyContext
from probes.results import StepResult
from probes.reversals import Reverser
from probes.runner import JourneyRunner
from probes.steps.base import from_http, passed

TARGET_CODE = """
import sys
from aiohttp import web

async def healthz(request):
    return web.json_response({"status": "ok"})

app = web.Application()
app.router.add_get("/healthz", healthz)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""

BLACKBOX_CONFIG = """
modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
      valid_status_codes: [200]
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                response.read()
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextlib.contextmanager
def process(argv: list[str], ready_url: str) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(ready_url)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cpu_seconds_of(pid: int) -> float:
    """utime + stime of ``pid`` (fields 14 and 15 of /proc/PID/stat), in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def blackbox(binary: str) -> Iterator[tuple[int, int]]:
    """A blackbox_exporter with an ``http_2xx`` module on a free loopback port: (pid, port)."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="paywatch-bench-") as tmp:
        config = Path(tmp) / "blackbox.yml"
        config.write_text(BLACKBOX_CONFIG)
        argv = [binary, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}"]
        with process(argv, f"http://127.0.0.1:{port}/metrics") as proc:
            yield proc.pid, port


def blackbox_cpu_per_probe(pid: int, port: int, target: str, probes: int, warmup: int) -> float:
    # One kept-alive connection, as Prometheus scrapes: blackbox_exporter is not charged for
    # accepting a connection per probe, only for the probe (whose own connection is fresh).
    path = f"/probe?module=http_2xx&target={target}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for i in range(warmup + probes):
            if i == warmup:
                before = cpu_seconds_of(pid)
            connection.request("GET", path)
            body = connection.getresponse().read().decode()
            if "probe_success 1" not in body:
                raise SystemExit(f"blackbox_exporter probe failed:\n{body}")
        return (cpu_seconds_of(pid) - before) / probes
    finally:
        connection.close()


class Health(BaseModel):
    status: str


class HealthStep:
    """The benchmark's probe: one GET through the probes' card API client, validated."""

    name = "healthz"

    async def run(self, ctx: JourneyContext) -> StepResult:
        answer = await ctx.http.call("GET", "/healthz", Health)
        return passed(self.name, answer.phases) if answer.ok else from_http(self.name, answer)


def journey() -> list[HealthStep]:
    return [HealthStep()]


async def paywatch_cpu_per_probe(base_url: str, probes: int, warmup: int, state_dir: Path) -> float:
    base = default_config()
    config = base.model_copy(
        update={
            "targets": base.targets.model_copy(update={"card_api": CardApiTarget(base_url=base_url)}),
            "probe": base.probe.model_copy(update={"state_dir": state_dir}),
        }
    )
    spec = JourneySpec(name="healthz", module="benchmarks.probe_vs_blackbox:journey")
    region = config.regions[0]
    runner = JourneyRunner(config, Reverser(config))
    steps = journey()
    for i in range(warmup + probes):
        if i == warmup:
            before = time.process_time()
        # A journey run as the scheduler makes it: its context, spans, result; a fresh connection.
        result = await runner.run(spec, region, steps)
        if not result.steps[0].ok:
            raise SystemExit(f"paywatch probe failed: {result.as_dict()}")
    return (time.process_time() - before) / probes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=500, help="probes per contender and round (default 500)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians are reported (default 3)")
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    probes, rounds = max(1, min(args.probes, 20_000)), max(1, min(args.rounds, 20))
    binary = shutil.which("prometheus-blackbox-exporter") or shutil.which("blackbox_exporter")
    if binary is None:
        raise SystemExit("prometheus-blackbox-exporter not found (apt-get install prometheus-blackbox-exporter)")
    port = free_port()
    target = f"http://127.0.0.1:{port}/healthz"
    theirs: list[float] = []
    ours: list[float] = []
    with (
        process([sys.executable, "-c", TARGET_CODE, str(port)], target),
        tempfile.TemporaryDirectory() as state,
        blackbox(binary) as (pid, blackbox_port),
    ):
        # Alternate the contenders so both see the same background load on a shared machine.
        for _ in range(rounds):
            theirs.append(blackbox_cpu_per_probe(pid, blackbox_port, target, probes, args.warmup))
            run = paywatch_cpu_per_probe(f"http://127.0.0.1:{port}", probes, args.warmup, Path(state))
            ours.append(runtime.run(run))
    blackbox_cpu, paywatch_cpu = statistics.median(theirs), statistics.median(ours)
    ratio = paywatch_cpu / blackbox_cpu if blackbox_cpu > 0 else float("inf")
    print(f"probes per contender:           {probes} x {rounds} rounds, fresh connection each, target 127.0.0.1")
    print(f"blackbox_exporter CPU / probe:  {blackbox_cpu * 1e3:.3f} ms  (rounds: {_ms(theirs)})")
    print(f"paywatch HTTP step CPU / probe: {paywatch_cpu * 1e3:.3f} ms  (rounds: {_ms(ours)}; {runtime.loop_name()})")
    print(f"ratio paywatch / blackbox:      {ratio:.2f}x (goal <= 0.50x: {'met' if ratio <= 0.5 else 'not met'})")


def _ms(values: list[float]) -> str:
    return ", ".join(f"{v * 1e3:.3f}" for v in values)


if __name__ == "__main__":
    main()
