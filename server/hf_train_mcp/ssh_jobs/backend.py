"""`SshJobsBackend`: the `JobsBackend` for flavor "ssh:NAME", a thin client of the host's local backend.

Ids are "ssh:NAME:<the local backend's id there>", so any later call (from any server process) finds
the host again. Views come back as the remote local backend reports them, relabelled with the
flavor and id seen here. A log follow that loses its connection reconnects and resumes after the
last line it got; the job itself never depends on the connection.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hf_train_mcp.jobs.model import JobSubmission, JobView, LogLine, MetricsSample
from hf_train_mcp.ssh_jobs import hosts, transport, wire
from hf_train_mcp.ssh_jobs.hosts import SshHost, SshHostsError
from hf_train_mcp.ssh_jobs.transport import SshJobError

FOLLOW_RECONNECTS = 5  # consecutive failed attempts before a follow gives up (the job keeps running)
RECONNECT_PAUSE_S = 1.0
LIST_TIMEOUT_S = 20.0  # ps and hardware ask every host at once, each bounded by this
UNREACHABLE_RETRY_S = 60.0  # ps/hardware skip a host that could not be reached for this long
HOST_ERRORS_THAT_RETRY = frozenset({"dropped", "unreachable", "timeout"})


class SshJobsBackend:
    def __init__(self, host: SshHost) -> None:
        self.host = host

    # -- JobsBackend --------------------------------------------------------------------------------

    def submit(self, submission: JobSubmission) -> JobView:
        try:
            data = transport.call(
                self.host,
                "submit",
                {"submission": wire.submission_to_json(submission)},
                timeout=transport.SUBMIT_TIMEOUT_S,
            )
        except SshJobError as exc:
            if exc.kind in ("dropped", "timeout"):  # the host may have started it before the link failed
                raise SshJobError(
                    exc.kind,
                    f"{exc} The job may have started on the host anyway: check ps before submitting again.",
                ) from None
            raise
        return self._view(data)

    def list(
        self,
        *,
        include_finished: bool,
        namespace: str | None = None,
        timeout: float = transport.CALL_TIMEOUT_S,
    ) -> list[JobView]:
        data = transport.call(self.host, "list", {"include_finished": include_finished}, timeout=timeout)
        return [self._view(item) for item in data]

    def inspect(self, job_id: str, *, namespace: str | None = None) -> JobView:
        return self._view(self._call("inspect", job_id))

    def cancel(self, job_id: str, *, namespace: str | None = None) -> JobView:
        return self._view(self._call("cancel", job_id))

    def metrics(self, job_id: str, *, namespace: str | None = None) -> MetricsSample | None:
        return wire.metrics_from_json(self._call("metrics", job_id))

    def logs(
        self, job_id: str, *, tail: int | None, follow: bool, namespace: str | None = None
    ) -> Iterator[LogLine]:
        remote_id = self._remote_id(job_id)
        if not follow:
            return iter(list(self._stream(job_id, remote_id, tail=tail, follow=False)))
        return self._stream(job_id, remote_id, tail=tail, follow=True)

    def hello(self, *, timeout: float = transport.CALL_TIMEOUT_S) -> dict[str, Any]:
        """The remote side's version, data dir, interpreter, uv and hardware (a check that all works)."""
        return transport.call(self.host, "hello", {}, timeout=timeout)

    # -- helpers ------------------------------------------------------------------------------------

    def _remote_id(self, job_id: str) -> str:
        host, remote_id = hosts.split_job_id(job_id)
        if host.name != self.host.name:
            raise SshHostsError(f"Job {job_id} belongs to SSH host {host.name}, not {self.host.name}.")
        return remote_id

    def _call(self, operation: str, job_id: str) -> Any:
        remote_id = self._remote_id(job_id)
        try:
            return transport.call(self.host, operation, {"job_id": remote_id})
        except transport.RemoteRefused as exc:
            raise self._explained(exc, job_id, remote_id) from None

    def _explained(self, exc: transport.RemoteRefused, job_id: str, remote_id: str) -> SshJobError:
        if exc.kind == "not_found":
            return SshJobError(
                "not_found",
                f"No job {job_id} on SSH host {self.host.name} ({self.host.address}). List its jobs with "
                'ps ({"all": true}); ids are never shortened.',
            )
        return SshJobError(exc.kind, str(exc).replace(remote_id, job_id))

    def _view(self, data: dict[str, Any]) -> JobView:
        view = wire.view_from_json(data)
        view.id = hosts.job_id(self.host, view.id)
        view.flavor = self.host.flavor
        view.backend = "ssh"
        if view.url and view.url.startswith("file://"):  # the job's folder, on the host
            view.url = f"ssh://{self.host.destination}:{self.host.port}{view.url.removeprefix('file://')}"
        view.notes = [*view.notes, f"runs on SSH host {self.host.name} ({self.host.address})"]
        return view

    def _stream(self, job_id: str, remote_id: str, *, tail: int | None, follow: bool) -> Iterator[LogLine]:
        """Lines of the remote log; on a lost connection, reconnect and resume after the last line."""
        from hf_train_mcp.hub_abort import aborted_in_this_thread

        after: int | None = None
        failures = 0
        while True:
            request: dict[str, Any] = {"job_id": remote_id, "follow": follow, "tail": tail, "after": after}
            stream = transport.Stream(self.host, "logs", request)
            try:
                for message in stream:
                    if aborted_in_this_thread():  # the bounded follower stopped listening
                        return
                    failures = 0
                    if "from" in message and after is None:
                        after = int(message["from"])
                    elif "line" in message:
                        index, line = wire.line_from_json(message["line"])
                        after = index + 1
                        yield line
                    elif "end" in message:
                        return
                    elif "error" in message:
                        error = transport.remote_error(self.host, message["error"])
                        if isinstance(error, transport.RemoteRefused):
                            error = self._explained(error, job_id, remote_id)
                        raise error
                error = stream.failure()
            finally:
                stream.close()
            failures += 1
            if not follow or error.kind not in HOST_ERRORS_THAT_RETRY or failures > FOLLOW_RECONNECTS:
                if follow and error.kind in HOST_ERRORS_THAT_RETRY:
                    raise SshJobError(
                        error.kind,
                        f"{error} The job keeps running on the host; follow it again with logs once the host "
                        "can be reached.",
                    )
                raise error
            deadline = time.monotonic() + RECONNECT_PAUSE_S * failures
            while time.monotonic() < deadline:
                if aborted_in_this_thread():
                    return
                time.sleep(0.1)


def backend_for(name_or_flavor: str) -> SshJobsBackend:
    name = name_or_flavor.removeprefix(hosts.FLAVOR_PREFIX)
    return SshJobsBackend(hosts.get_host(name))


def backend_for_job(job_id: str) -> SshJobsBackend:
    host, _ = hosts.split_job_id(job_id)
    return SshJobsBackend(host)


_unreachable_since: dict[SshHost, tuple[float, str]] = {}  # host -> (when, why) it last could not be reached
_unreachable_lock = threading.Lock()


def _each_host(ask: Any) -> tuple[list[Any], list[str]]:
    """`ask(backend)` for every configured host at once; answers, and a note per host that failed.

    A host that could not be reached is not asked again by these sweeps for UNREACHABLE_RETRY_S, so
    that a machine that is off does not add its connect timeout to every ps; calls about one of its
    jobs always try."""
    configured = list(hosts.load_hosts().values())
    results: list[Any] = []
    notes: list[str] = []
    now = time.monotonic()
    with _unreachable_lock:
        skipped = {
            host: (now - when, why)
            for host, (when, why) in _unreachable_since.items()
            if host in configured and now - when < UNREACHABLE_RETRY_S
        }
    for ago, why in skipped.values():
        wait = UNREACHABLE_RETRY_S - ago
        notes.append(f"{why} (not asked again for {wait:.0f} s; calls about its jobs still try)")
    asked = [host for host in configured if host not in skipped]
    if not asked:
        return results, notes
    with ThreadPoolExecutor(max_workers=min(8, len(asked)), thread_name_prefix="ssh-hosts") as pool:
        futures = [(host, pool.submit(ask, SshJobsBackend(host))) for host in asked]
        for host, future in futures:
            try:
                results.append(future.result())
            except Exception as exc:
                said = str(exc)
                said = said if said.startswith(f"SSH host {host.name} ") else f"SSH host {host.name}: {said}"
                notes.append(said)
                if getattr(exc, "kind", None) in ("unreachable", "timeout"):
                    with _unreachable_lock:
                        _unreachable_since[host] = (time.monotonic(), said)
                continue
            with _unreachable_lock:
                _unreachable_since.pop(host, None)
    return results, notes


def list_all(include_finished: bool) -> tuple[list[JobView], list[str]]:
    """The jobs of every configured host, and a note for each host that could not be asked."""
    answers, notes = _each_host(
        lambda backend: backend.list(include_finished=include_finished, timeout=LIST_TIMEOUT_S)
    )
    return [view for views in answers for view in views], notes


def hardware_rows() -> tuple[list[dict[str, Any]], list[str]]:
    """Each configured host as a row of the hardware table (price 0), from its remote side."""

    def ask(backend: SshJobsBackend) -> dict[str, Any]:
        hello = backend.hello(timeout=LIST_TIMEOUT_S)
        row = dict(hello.get("hardware") or {})
        host = backend.host
        specs = str(row.get("description", "")).partition(" — ")[2]
        row.update(
            name=host.flavor,
            pretty_name=f"{host.name} ({host.address}, over SSH)",
            description=f"{host.flavor}: your machine {host.address} over SSH, free — {specs}",
            hf_train_mcp_version=hello.get("version"),
        )
        return row

    return _each_host(ask)
