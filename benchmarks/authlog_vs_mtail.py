"""Authorization-log throughput: paywatch's exporter against mtail, lines per CPU-second, same file.

Generates a 1,000,000-line log in the sandbox's format in a temporary directory, runs Debian's mtail
(one-shot) with an equivalent program and ``python -m exporters.authlog --once`` over it, checks that
both counted every line, and prints lines per CPU-second for each and the ratio. Then reads 10M lines
(the same file through ten hard links) to show resident memory does not grow with the input.

    .venv/bin/python benchmarks/authlog_vs_mtail.py [--lines N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sandbox.eventlog import authorization_event, encode_event

BUCKETS = "0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2.5, 5, 10, 20, 30"

MTAIL_PROGRAM = f"""
counter paywatch_authorizations_total by source, channel, outcome, reason
histogram paywatch_authorization_duration_seconds by source, channel buckets {BUCKETS}

/"channel": "(?P<channel>[a-z]+)", "source": "(?P<source>[a-z]+)", "outcome": "(?P<outcome>[a-z]+)", / +
/"reason": "(?P<reason>[a-z_]+)", "response_code": "(?P<code>[0-9A-Z]{{2}})", "latency_ms": (?P<ms>[0-9.]+),/ {{
  paywatch_authorizations_total[$source][$channel][$outcome][$reason]++
  paywatch_authorization_duration_seconds[$source][$channel] = $ms / 1000.0
}}
"""

OUTCOMES = [
    ("approved", "approved", "00", 90),
    ("declined", "insufficient_funds", "51", 5),
    ("declined", "do_not_honor", "05", 2),
    ("failed", "issuer_unavailable", "91", 2),
    ("failed", "system_malfunction", "96", 1),
]


def generate(path: Path, lines: int, seed: int = 8583) -> None:
    """Sandbox-format lines (built by sandbox/eventlog.py), written in blocks to stay fast."""
    rng = random.Random(seed)
    weights = [w for *_, w in OUTCOMES]
    with path.open("w", encoding="utf-8") as handle:
        block: list[str] = []
        for n in range(lines):
            outcome, reason, code, _ = rng.choices(OUTCOMES, weights)[0]
            channel = "pos" if n % 3 else "online"
            source = "synthetic" if n % 50 == 0 else "production"
            seconds = n // 1000
            event = authorization_event(
                ts=f"2026-12-01T{seconds // 3600 % 24:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}."
                f"{n % 1000:03d}000Z",
                authorization_id=f"A{n:010d}",
                channel=channel,
                source=source,
                outcome=outcome,
                reason=reason,
                response_code=code,
                latency_ms=round(rng.lognormvariate(3.0, 1.0), 3),
                amount=2500,
                currency="156",
                merchant_id="MNO00STORE00001",
                terminal_id="TNO00001" if channel == "pos" else None,
                region="north",
                pan_masked="622999******1234",
            )
            block.append(encode_event(event))
            if len(block) == 10_000:
                handle.write("".join(block))
                block.clear()
        if block:
            handle.write("".join(block))


def measured(command: list[str]) -> tuple[str, float, int]:
    """Run ``command``; return its stdout, its CPU seconds (user + system) and its peak RSS in KiB."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)  # this child's own usage, not all children's
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{command[0]} failed ({process.returncode}): {err.read()[-2000:].decode()}")
        out.seek(0)
        return out.read().decode(), usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def mtail_total(exposition: str) -> int:
    pattern = re.compile(r"^paywatch_authorizations_total\{[^}]*\} (\S+)", re.MULTILINE)
    return int(sum(float(v) for v in pattern.findall(exposition)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--memory-links", type=int, default=10, help="hard links read for the memory check")
    args = parser.parse_args()
    mtail = shutil.which("mtail")
    if mtail is None:
        raise SystemExit("mtail not found: apt-get install mtail")
    with tempfile.TemporaryDirectory(prefix="paywatch-bench-") as tmp:
        root = Path(tmp)
        log = root / "auth.log"
        generate(log, args.lines)
        progs, mtail_logs = root / "progs", root / "mtail-logs"
        progs.mkdir()
        mtail_logs.mkdir()
        (progs / "authlog.mtail").write_text(MTAIL_PROGRAM, encoding="utf-8")

        exposition, mtail_cpu, mtail_rss = measured(
            [
                mtail,
                "-one_shot",
                "-one_shot_format",
                "prometheus",
                "-progs",
                str(progs),
                "-logs",
                str(log),
                "-address",
                "127.0.0.1",
                "-log_dir",
                str(mtail_logs),
            ]
        )
        ours_cmd = [sys.executable, "-m", "exporters.authlog", "--once", "--json", "--path"]
        summary, ours_cpu, ours_rss = measured([*ours_cmd, str(log)])
        empty = root / "empty.log"
        empty.touch()
        _, startup_cpu, _ = measured([*ours_cmd, str(empty)])

        counted_mtail = mtail_total(exposition)
        ours = json.loads(summary)
        counted_ours = sum(row["count"] for row in ours["authorizations"])
        if counted_mtail != args.lines or counted_ours != args.lines:
            raise SystemExit(f"counts differ: lines {args.lines}, mtail {counted_mtail}, paywatch {counted_ours}")

        mtail_rate, ours_rate = args.lines / mtail_cpu, args.lines / ours_cpu
        print(f"lines: {args.lines:,} (both counted every one)")
        rows = (("mtail", mtail_cpu, mtail_rate, mtail_rss), ("paywatch", ours_cpu, ours_rate, ours_rss))
        for name, cpu, rate, rss in rows:
            print(f"{name + ':':9} {cpu:6.2f} CPU-s  {rate:12,.0f} lines/CPU-s  peak RSS {rss / 1024:6.1f} MiB")
        print(f"  (of which interpreter start-up and imports: {startup_cpu:.2f} CPU-s)")
        print(f"ratio paywatch/mtail: {ours_rate / mtail_rate:.2f}x (goal >= 3x)")

        links = []
        for i in range(args.memory_links):
            link = root / f"link{i}.log"
            os.link(log, link)
            links.append(str(link))
        paths = [p for link in links for p in ("--path", link)]
        summary, big_cpu, big_rss = measured([*ours_cmd[:-1], *paths])
        big_lines = sum(row["count"] for row in json.loads(summary)["authorizations"])
        print(
            f"memory: {args.lines:,} lines peak RSS {ours_rss / 1024:.1f} MiB; {big_lines:,} lines peak RSS "
            f"{big_rss / 1024:.1f} MiB ({big_rss / ours_rss:.2f}x); {big_lines / big_cpu:,.0f} lines/CPU-s"
        )


if __name__ == "__main__":
    main()
