"""Real Prometheus and Alertmanager processes on 127.0.0.1, for the demo stack and tests.

Binaries come from the Debian packages (``prometheus``, ``prometheus-alertmanager``); each
process gets its own working directory, a free port, and a log file there.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import yaml

__all__ = [
    "ManagedProcess",
    "ProcessError",
    "free_port",
    "prometheus_config",
    "require_binary",
    "start_alertmanager",
    "start_prometheus",
]


class ProcessError(RuntimeError):
    """A helper process could not be started or did not become ready."""


def free_port() -> int:
    """A port free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ProcessError(f"{name} not found on PATH: install the Debian package (make setup does it)")
    return path


@dataclass
class ManagedProcess:
    name: str
    url: str
    workdir: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    _log: object = field(default=None, repr=False)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    async def stop(self, grace_s: float = 5.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(asyncio.to_thread(self.process.wait), grace_s)
            except TimeoutError:
                self.process.kill()
                await asyncio.to_thread(self.process.wait)
        close = getattr(self._log, "close", None)
        if close is not None:
            close()


async def _wait_ready(proc: ManagedProcess, path: str, timeout_s: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1)) as session:
        while True:
            if proc.process.poll() is not None:
                raise ProcessError(f"{proc.name} exited with {proc.process.returncode}:\n{proc.log_tail()}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(proc.url + path) as response:
                    if response.status == 200:
                        return
            if asyncio.get_running_loop().time() > deadline:
                await proc.stop()
                raise ProcessError(f"{proc.name} not ready after {timeout_s:g}s:\n{proc.log_tail()}")
            await asyncio.sleep(0.1)


async def _spawn(name: str, args: Sequence[str], workdir: Path, url: str, ready_path: str) -> ManagedProcess:
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"{name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(list(args), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=workdir)
    managed = ManagedProcess(name=name, url=url, workdir=workdir, process=process, log_path=log_path, _log=log)
    await _wait_ready(managed, ready_path, timeout_s=30)
    return managed


async def _start(
    name: str, binary: str, workdir: Path, files: Mapping[str, str], flags: Sequence[str], port: int
) -> ManagedProcess:
    """Write ``files`` into ``workdir`` and start ``binary`` on 127.0.0.1; ``{dir}`` in a flag is ``workdir``."""
    path = require_binary(binary)
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    for file_name, text in files.items():
        (workdir / file_name).write_text(text)
    port = port or free_port()
    args = [
        path,
        *(flag.replace("{dir}", str(workdir)) for flag in flags),
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    return await _spawn(name, args, workdir, f"http://127.0.0.1:{port}", "/-/ready")


def prometheus_config(
    *,
    scrape_jobs: Mapping[str, Sequence[str]],
    rule_files: Sequence[str],
    alertmanager: str | None,
    interval_s: float,
) -> str:
    """prometheus.yml: one job per entry of ``scrape_jobs`` (job name -> host:port targets)."""
    interval = f"{max(interval_s, 1):g}s"
    document: dict[str, object] = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval, "scrape_timeout": interval},
        "rule_files": list(rule_files),
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": list(targets)}]} for job, targets in scrape_jobs.items()
        ],
    }
    if alertmanager:
        document["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]}
    return yaml.safe_dump(document, sort_keys=False)


async def start_prometheus(
    workdir: Path,
    config_text: str,
    rule_texts: Mapping[str, str],
    *,
    port: int = 0,
    resend_delay_s: float = 60.0,
) -> ManagedProcess:
    """Write the config and rule files into ``workdir`` and start Prometheus on 127.0.0.1.

    ``resend_delay_s`` matters for short runs: an alert that fires before Prometheus has
    discovered its Alertmanager is dropped and only resent after this delay."""
    files = {**rule_texts, "prometheus.yml": config_text}
    flags = [
        "--config.file={dir}/prometheus.yml",
        "--storage.tsdb.path={dir}/data",
        "--web.enable-lifecycle",
        "--enable-feature=exemplar-storage",  # exemplars carry trace ids: dashboard heatmaps link to traces
        f"--rules.alert.resend-delay={max(resend_delay_s, 1):g}s",
    ]
    return await _start("prometheus", "prometheus", workdir, files, flags, port)


async def start_alertmanager(workdir: Path, config_text: str, *, port: int = 0) -> ManagedProcess:
    """Start Alertmanager on 127.0.0.1 with clustering off (no 0.0.0.0:9094 gossip port)."""
    flags = [
        "--config.file={dir}/alertmanager.yml",
        "--storage.path={dir}/data",
        "--cluster.listen-address=",
    ]
    return await _start(
        "alertmanager", "prometheus-alertmanager", workdir, {"alertmanager.yml": config_text}, flags, port
    )
