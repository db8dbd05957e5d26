"""Throughput of the POS host with many terminals, with and without the event log: ``python -m sandbox.bench``.

Prints authorizations per second for both runs (same process, same load) and their ratio, so the
cost of writing one flushed JSON line per decision is visible. Loopback only, bounded in count.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from paywatch.config import PaywatchConfig, default_config
from paywatch.iso8583 import decode, encode, read_frame, transmission_datetime, write_frame
from sandbox.server import start_sandbox
from sandbox.traffic import purchase_message, reversal_message

__all__ = ["main"]


async def _terminal(config: PaywatchConfig, host: str, port: int, index: int, messages: int) -> int:
    region = config.regions[index % len(config.regions)]
    card, terminal = region.pos_card, region.terminals[0]
    reader, writer = await asyncio.open_connection(host, port)
    approved = 0
    try:
        for n in range(messages):
            field7, stan = transmission_datetime(), f"{(index * messages + n) % 999_999 + 1:06d}"
            request = purchase_message(
                card.pan.get_secret_value(),
                card.expiry.get_secret_value(),
                100,
                terminal_id=terminal.id,
                merchant_id=terminal.merchant_id,
                stan=stan,
                field7=field7,
            )
            await write_frame(writer, encode(request))
            answer = decode(await read_frame(reader) or b"")
            approved += answer.get("39") == "00"
            reversal = reversal_message(request, stan=stan, field7=field7)
            await write_frame(writer, encode(reversal))
            await read_frame(reader)
    finally:
        writer.close()
    return approved


async def _run(terminals: int, messages: int, *, event_log: bool) -> float:
    config = default_config()
    with tempfile.TemporaryDirectory() as tmp:
        async with start_sandbox(config, http_port=0, iso_port=0, event_log=Path(tmp) / "events.jsonl") as sandbox:
            if not event_log:
                sandbox.engine.events.close()  # a closed log drops lines: the peer run without the file
            started = time.perf_counter()
            approved = await asyncio.gather(
                *(_terminal(config, sandbox.iso_host, sandbox.iso_port, i, messages) for i in range(terminals))
            )
            elapsed = time.perf_counter() - started
    assert sum(approved) == terminals * messages, "every authorization should be approved"
    return terminals * messages / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--terminals", type=int, default=100)
    parser.add_argument("--messages", type=int, default=20, help="authorization + reversal pairs per terminal")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds; medians are reported")
    args = parser.parse_args()
    runs: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(args.rounds):
        # alternating rounds, so a neighbour's load on a shared machine hits both variants alike
        for event_log in (False, True):
            runs[event_log].append(asyncio.run(_run(args.terminals, args.messages, event_log=event_log)))
    without, with_log = statistics.median(runs[False]), statistics.median(runs[True])
    print(f"{args.terminals} terminals x {args.messages} authorizations (+ reversals), median of {args.rounds} rounds")
    print(f"  without event log: {without:8.0f} authorizations/s")
    print(f"  with event log:    {with_log:8.0f} authorizations/s")
    print(f"  ratio with/without: {with_log / without:.2f}")


if __name__ == "__main__":
    main()
