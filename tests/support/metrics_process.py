"""A process writing CallMP's metrics into a shared folder, as one container's would.

``python -m tests.support.metrics_process HOST PID [pid-only]`` pretends to run on host
``HOST`` with process id ``PID`` (two "containers" can so share a process id), in
prometheus_client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR`` must be set). With
``pid-only`` its files are named by process id alone, as prometheus_client names them by
default: the collision the host part prevents.

It reads commands on stdin, one a line, and answers each with one line:
``call OUTCOME`` and ``letter OUTCOME`` count one, ``request`` counts one answered
request, ``scrape`` prints the exposition of the whole folder as one JSON string.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

#: The repository these tests belong to (a worktree's, not the virtualenv's).
ROOT = Path(__file__).resolve().parents[2]


class Container:
    """A process of tests.support.metrics_process: one container's metrics writer."""

    def __init__(self, folder: Path, host: str, pid: int, *, pid_only: bool = False) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT), PROMETHEUS_MULTIPROC_DIR=str(folder))
        command = [sys.executable, "-m", "tests.support.metrics_process", host, str(pid)]
        self.process = subprocess.Popen(
            [*command, *(["pid-only"] if pid_only else [])],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def say(self, *commands: str) -> str:
        """Send each command; the last answer."""
        assert self.process.stdin is not None and self.process.stdout is not None
        answer = ""
        for command in commands:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
            assert answer, f"the process stopped at {command!r}"
        return answer

    def scrape(self) -> bytes:
        """The exposition of the whole folder, as this process sees it."""
        exposition: str = json.loads(self.say("scrape"))
        return exposition.encode()

    def stop(self) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        assert self.process.wait(timeout=30) == 0
        self.process.stdout.close()


def main(host: str, pid: int, pid_only: bool) -> None:
    """Count what stdin says, as process ``pid`` of host ``host``."""
    socket.gethostname = lambda: host
    os.getpid = lambda: pid

    from callmp.ops import metrics as ops_metrics

    if pid_only:
        ops_metrics.use_process_identifier(lambda: str(pid))
    metrics = ops_metrics.Metrics()
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "call":
            metrics.call(argument)
        elif command == "letter":
            metrics.letter(argument)
        elif command == "request":
            metrics.request("ops.healthz", "GET", 200, 0.01)
        elif command == "scrape":
            print(json.dumps(metrics.exposition().decode()), flush=True)
            continue
        else:
            raise SystemExit(f"unknown command: {line!r}")
        print("ok", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3:] == ["pid-only"])
