"""The metrics interface without Flask: counters, the queue gauge, multiprocess mode."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from types import SimpleNamespace

import pytest
from prometheus_client import values
from prometheus_client.parser import text_string_to_metric_families

from callmp.ops import metrics as ops_metrics
from callmp.ops.metrics import Metrics, child_exit
from tests.support.metrics_process import Container


def samples(exposition: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition by (name, sorted labels)."""
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(exposition.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


@pytest.fixture(autouse=True)
def single_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts outside multiprocess mode, whatever the environment says."""
    monkeypatch.delenv(ops_metrics.MULTIPROC_ENV, raising=False)


def test_counts_requests_calls_letters_and_lookups() -> None:
    metrics = Metrics()
    metrics.request("api.lookup_postal_code", "GET", 200, 0.03)
    metrics.request("api.lookup_postal_code", "GET", 200, 0.2)
    metrics.call("queued")
    metrics.call("placed")
    metrics.letter("queued", 2)
    metrics.letter("sent")
    metrics.lookup("fsa_split")
    found = samples(metrics.exposition())
    endpoint = (("endpoint", "api.lookup_postal_code"),)
    request_labels = (*endpoint, ("method", "GET"), ("status", "200"))
    assert found[("callmp_http_requests_total", request_labels)] == 2
    assert found[("callmp_http_request_duration_seconds_count", endpoint)] == 2
    assert found[("callmp_http_request_duration_seconds_bucket", (*endpoint, ("le", "0.05")))] == 1
    assert found[("callmp_calls_total", (("outcome", "queued"),))] == 1
    assert found[("callmp_calls_total", (("outcome", "placed"),))] == 1
    assert found[("callmp_letters_total", (("outcome", "queued"),))] == 2
    assert found[("callmp_letters_total", (("outcome", "sent"),))] == 1
    assert found[("callmp_lookups_total", (("kind", "fsa_split"),))] == 1


def test_each_app_has_its_own_counts() -> None:
    first, second = Metrics(), Metrics()
    first.call("failed")
    assert ("callmp_calls_total", (("outcome", "failed"),)) in samples(first.exposition())
    assert ("callmp_calls_total", (("outcome", "failed"),)) not in samples(second.exposition())


def test_unknown_methods_share_one_label() -> None:
    metrics = Metrics()
    metrics.request("unmatched", "BREW", 405, 0.001)
    metrics.request("unmatched", "X-555-0142", 405, 0.001)
    found = samples(metrics.exposition())
    labels = (("endpoint", "unmatched"), ("method", "other"), ("status", "405"))
    assert found[("callmp_http_requests_total", labels)] == 2


def test_outcomes_are_a_fixed_list() -> None:
    with pytest.raises(ValueError, match="call outcome"):
        Metrics().call("613-555-0142")
    with pytest.raises(ValueError, match="letter outcome"):
        Metrics().letter("sam@example.org")


def test_queue_depth_is_read_at_scrape_time_and_absent_when_unreadable() -> None:
    depth: list[int | None] = [3]
    metrics = Metrics(queue_depth=lambda: depth[0])
    assert samples(metrics.exposition())[("callmp_queue_depth", ())] == 3
    depth[0] = 7
    assert samples(metrics.exposition())[("callmp_queue_depth", ())] == 7
    depth[0] = None
    assert ("callmp_queue_depth", ()) not in samples(metrics.exposition())


def test_multiprocess_mode_adds_up_the_files_of_every_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(ops_metrics.MULTIPROC_ENV, str(tmp_path))
    # prometheus_client picks its value class at import: pick again, as a fresh process would.
    monkeypatch.setattr(values, "ValueClass", values.get_value_class())  # type: ignore[no-untyped-call]
    web, worker = Metrics(queue_depth=lambda: 4), Metrics()
    assert web.multiprocess and worker.multiprocess
    web.call("queued")
    worker.call("placed")
    worker.call("placed")
    web.request("twilio.answer", "POST", 200, 0.05)
    assert any(tmp_path.glob("counter_*.db")) and any(tmp_path.glob("histogram_*.db"))
    found = samples(web.exposition())
    assert found[("callmp_calls_total", (("outcome", "queued"),))] == 1
    assert found[("callmp_calls_total", (("outcome", "placed"),))] == 2
    assert found[("callmp_http_request_duration_seconds_count", (("endpoint", "twilio.answer"),))]
    assert found[("callmp_queue_depth", ())] == 4
    # A scrape from any process sees the same totals.
    assert samples(worker.exposition())[("callmp_calls_total", (("outcome", "placed"),))] == 2


def test_child_exit_marks_a_dead_worker_in_multiprocess_mode(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(socket, "gethostname", lambda: "web-1")
    live = tmp_path / "gauge_livesum_web-1-4242.db"
    live.write_bytes(b"")
    child_exit(None, SimpleNamespace(pid=4242))
    assert live.exists()  # not in multiprocess mode: nothing touched
    monkeypatch.setenv(ops_metrics.MULTIPROC_ENV, str(tmp_path))
    child_exit(None, SimpleNamespace(pid=4242))
    assert not live.exists()


def test_files_are_named_by_host_and_process_id(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(ops_metrics.MULTIPROC_ENV, str(tmp_path / "made"))
    monkeypatch.setattr(values, "ValueClass", values.get_value_class())  # type: ignore[no-untyped-call]
    monkeypatch.setattr(socket, "gethostname", lambda: "web_1 (a)")
    Metrics().call("placed")
    names = sorted(item.name for item in (tmp_path / "made").iterdir())
    assert names == [f"counter_web-1-a-{os.getpid()}.db"]
    assert ops_metrics.file_owner(tmp_path / "made" / names[0]) == ("web-1-a", os.getpid())


def test_only_this_hosts_dead_processes_lose_their_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(socket, "gethostname", lambda: "web-1")
    names = {
        "counter_web-1-10.db": "removed",  # this host, dead
        "histogram_web-1-11.db": "kept",  # this host, alive
        "gauge_livesum_web-1-10.db": "removed",
        "counter_worker-7-10.db": "kept",  # another container: its pid 10 is not ours
        "counter_10.db": "removed",  # named by pid alone (older files): this host's
        "counter_11.db": "kept",
        "counter_web-1-12.db": "removed",  # the starting process's own
    }
    for name in names:
        (tmp_path / name).write_bytes(b"")
    removed = ops_metrics.remove_dead_files(tmp_path, own_pid=12, alive=lambda pid: pid == 11)
    assert sorted(item.name for item in removed) == sorted(
        name for name, fate in names.items() if fate == "removed"
    )
    assert sorted(item.name for item in tmp_path.iterdir()) == sorted(
        name for name, fate in names.items() if fate == "kept"
    )


def web_and_worker_share_a_folder(
    folder: Path, *, pid_only: bool
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Two containers, both process 7, count into ``folder`` in turn while both run; the
    web container's scrape of the whole folder."""
    worker = Container(folder, "worker-c0ffee", 7, pid_only=pid_only)
    web = Container(folder, "web-beef01", 7, pid_only=pid_only)
    try:
        worker.say("call placed", "call placed")  # both files now open
        web.say("call queued", "call queued", "call queued", "request")
        worker.say("call failed", "letter sent")
        web.say("request")
        return samples(web.scrape())
    finally:
        worker.stop()
        web.stop()


PLACED = ("callmp_calls_total", (("outcome", "placed"),))
EXPECTED = {
    PLACED: 2,
    ("callmp_calls_total", (("outcome", "queued"),)): 3,
    ("callmp_calls_total", (("outcome", "failed"),)): 1,
    ("callmp_letters_total", (("outcome", "sent"),)): 1,
    (
        "callmp_http_requests_total",
        (("endpoint", "ops.healthz"), ("method", "GET"), ("status", "200")),
    ): 2,
}


def test_two_containers_with_the_same_pid_add_up_in_one_folder(tmp_path: Path) -> None:
    found = web_and_worker_share_a_folder(tmp_path, pid_only=False)
    assert {key: found.get(key) for key in EXPECTED} == EXPECTED
    assert sorted(item.name for item in tmp_path.glob("counter_*.db")) == [
        "counter_web-beef01-7.db",
        "counter_worker-c0ffee-7.db",
    ]


def test_named_by_pid_alone_the_same_containers_overwrite_each_other(tmp_path: Path) -> None:
    """The control: prometheus_client's default names (process id only) share one file."""
    found = web_and_worker_share_a_folder(tmp_path, pid_only=True)
    assert [item.name for item in tmp_path.glob("counter_*.db")] == ["counter_7.db"]
    assert {key: found.get(key) for key in EXPECTED} != EXPECTED


def test_the_process_identifier_is_asked_once_per_process_and_again_after_a_fork(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[int] = []

    def identify() -> str:
        asked.append(os.getpid())
        return f"web-1-{os.getpid()}"

    identifier = ops_metrics.per_process(identify)
    assert identifier() == identifier() == f"web-1-{os.getpid()}"
    assert len(asked) == 1  # not once per value written
    monkeypatch.setattr(os, "getpid", lambda: 424242)  # as a forked child sees it
    assert identifier() == "web-1-424242"
    assert asked[-1] == 424242 and len(asked) == 2
