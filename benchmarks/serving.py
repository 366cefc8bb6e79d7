"""Start a server, time its cold start, weigh its idle memory and load it with wrk."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from report import Load, parse_wrk

START_TIMEOUT_S = 180.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post_json(url: str, body: bytes, timeout: float = 10.0) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def process_tree(root: int) -> list[int]:
    """`root` and every process descending from it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


@dataclass(frozen=True)
class Placement:
    """The CPUs a server under test and its load generator are kept on; None: anywhere."""

    server: frozenset[int] | None = None
    client: frozenset[int] | None = None


def split_cpus() -> Placement:
    """The first CPU for the server, the second for the client, if there are two.

    Only for the batch runs: over their one connection a single worker serves at a time, so one
    CPU holds the server's whole process tree however many CPUs the machine has.
    """
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return Placement()
    return Placement(server=frozenset(cpus[:1]), client=frozenset(cpus[1:2]))


def on_cpus(cpus: frozenset[int] | None) -> Callable[[], None] | None:
    """A `preexec_fn` that starts a process, and so all its threads, on `cpus`."""
    if cpus is None:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def pin(root: int, cpus: frozenset[int]) -> None:
    """Move every thread of every process of the tree of `root` onto `cpus`."""
    for pid in process_tree(root):
        with contextlib.suppress(OSError):  # a process or thread that has just exited
            for task in Path(f"/proc/{pid}/task").iterdir():
                with contextlib.suppress(OSError):
                    os.sched_setaffinity(int(task.name), cpus)


@contextlib.contextmanager
def pinned(root: int, cpus: frozenset[int] | None) -> Iterator[None]:
    """The process tree of `root` on `cpus` (when given) until the block ends."""
    if cpus is None:
        yield
        return
    everywhere = frozenset(os.sched_getaffinity(0))
    pin(root, cpus)
    try:
        yield
    finally:
        pin(root, everywhere)


def rss_mib(pids: Sequence[int]) -> float:
    """Resident memory of the processes, summed (shared pages count once per process)."""
    total_kib = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total_kib += int(line.split()[1])
    return total_kib / 1024


@dataclass
class Server:
    """A server process group serving `predict_path` on `port`, started from `command`."""

    name: str
    command: list[str]
    port: int
    predict_path: str
    bodies: Mapping[str, bytes]  # "single" and "batch" request bodies
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    log: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.predict_path}"

    def start(self) -> float:
        """Start the server; seconds from process start to the first good prediction."""
        with self.log.open("wb") if self.log else contextlib.nullcontext(None) as log:
            started = time.perf_counter()
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env={**os.environ, **self.env},
                stdout=log or subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # the server writes to its own copy of the log's descriptor
        while time.perf_counter() - started < START_TIMEOUT_S:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}: {self.log}")
            try:
                status, _ = post_json(self.url, self.bodies["single"], timeout=2)
            except (OSError, ValueError):
                status = 0
            if status == 200:
                return time.perf_counter() - started
            time.sleep(0.02)
        raise TimeoutError(f"{self.name} did not answer {self.url} in {START_TIMEOUT_S} s")

    def predictions(self, shape: str) -> Any:
        status, body = post_json(self.url, self.bodies[shape])
        if status != 200:
            raise RuntimeError(f"{self.name} answered {status}: {body}")
        return body

    def idle_rss(self) -> tuple[float, int]:
        """Resident memory of the whole process tree after a quiet second, and its size."""
        assert self.process
        time.sleep(1.0)
        pids = process_tree(self.process.pid)
        return rss_mib(pids), len(pids)

    def stop(self) -> None:
        """Stop the server's whole process group, even if its first process has exited."""
        if not self.process:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        with contextlib.suppress(ProcessLookupError):  # workers that outlived their parent
            os.killpg(self.process.pid, signal.SIGKILL)


def wrk_script(directory: Path, name: str, body: bytes | None) -> Path:
    """A wrk Lua script sending `body` as a JSON POST (a plain GET without a body)."""
    script = directory / f"{name}.lua"
    lines = []
    if body is not None:
        payload = directory / f"{name}.json"
        payload.write_bytes(body)
        lines = [
            'wrk.method = "POST"',
            'wrk.headers["Content-Type"] = "application/json"',
            f'local file = io.open("{payload}", "rb")',
            'wrk.body = file:read("*a")',
            "file:close()",
        ]
    script.write_text("\n".join(lines) + "\n")
    return script


def run_wrk(
    url: str, script: Path, connections: int, duration_s: int, cpus: frozenset[int] | None = None
) -> Load:
    """One bounded wrk run: one thread, `connections` keep-alive connections, on `cpus` if given.

    wrk takes whole seconds.
    """
    completed = subprocess.run(
        [
            "wrk",
            "--threads=1",
            f"--connections={connections}",
            f"--duration={duration_s}s",
            "--timeout=10s",
            "--latency",
            f"--script={script}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration_s + 60,
        preexec_fn=on_cpus(cpus),
    )
    return parse_wrk(completed.stdout)
