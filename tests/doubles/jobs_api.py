"""A loopback double of the Hugging Face Jobs API that the real `huggingface_hub` client talks to.

What it answers (hub-jobs-wire.md): whoami-v2 (bearer-token check), jobs (submit, list with stage
and label filters and Link pagination, inspect, cancel), log streams that follow the real rules
(whole history replayed on every connection, `?tail=N`, a Date header, keep-alives no more often
than every 5 s, the stream kept open while the job runs and closed after the last event of a
finished job, a "===== Job started" first event), metrics streams (406 once finished), the hardware
list (prices from the bundled flavors.json), scheduled jobs (CRUD, suspend/resume, trigger with 409),
and `/api/agent-harnesses` -> 404. Faults come from `LoopbackServer.inject`.

Jobs move SCHEDULING -> RUNNING -> COMPLETED/ERROR on short real-time timers set by a `JobPlan`
(`state.queue_plan(...)` for the next submission, `state.default_plan` otherwise); `hold=True` keeps
a job RUNNING until `state.finish(job_id)`. Every submitted body is in `state.specs`.

The Jobs API's objects are not schema-stable (the official MCP server says so and tolerates it):
`state.reshape_job` / `state.reshape_schedule` rewrite every job / scheduled-job answer (drop an
owner's `type`, add profile fields, mangle timestamps) to test that odd answers never lose a job.

Use it directly (`with hub_double(monkeypatch) as jobs_api: ...`) or through the pytest fixtures of
tests/jobs/conftest.py. Other doubles (repos, dataset viewer) can add routes to `jobs_api.server`.
"""

from __future__ import annotations

import json
import os
import secrets as _secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from doubles.http_double import LoopbackServer, Request, Response, sse

TOKEN = "hf_DoubleTestToken4f8e2a9c1b7d"  # shaped like a real token, so the redaction pattern applies too
USER = "alice"
ORGS = ("acme",)
KEEPALIVE_SECONDS = 6.0  # the client reads with a 5 s timeout when not following: stay clear of it
STREAM_POLL = 0.02
MAX_STREAM_SECONDS = 120.0  # a stream never outlives a test run
TERMINAL = frozenset({"COMPLETED", "CANCELED", "ERROR", "DELETED"})


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"


def _new_id() -> str:
    return _secrets.token_hex(12)


@dataclass
class JobPlan:
    """How a submitted job behaves: when it starts, what it prints, how it ends."""

    lines: list[str] = field(
        default_factory=lambda: ["Installing dependencies...", "step 1/3", "step 2/3", "step 3/3", "done"]
    )
    outcome: str = "COMPLETED"  # or "ERROR"
    error_message: str = "Job failed with exit code: 1"
    scheduling_s: float = 0.2
    line_every_s: float = 0.15
    hold: bool = False  # stay RUNNING after the last line until `finish()`


@dataclass
class FakeJob:
    id: str
    namespace: str
    owner_type: str
    spec: dict[str, Any]
    plan: JobPlan
    created: float
    scheduled_job_id: str | None = None
    canceled_at: float | None = None
    forced: tuple[float, str, str | None] | None = None  # (at, stage, message) set by finish()
    extra: list[tuple[float, str]] = field(default_factory=list)  # lines added by `state.log()`

    @property
    def started(self) -> float:
        return self.created + self.plan.scheduling_s

    def natural_end(self) -> float | None:
        if self.plan.hold:
            return None
        return self.started + (len(self.plan.lines) + 1) * self.plan.line_every_s

    def end(self) -> tuple[float, str, str | None] | None:
        """(time, final stage, message) if the job has an end planned or forced, else None."""
        candidates: list[tuple[float, str, str | None]] = []
        if self.canceled_at is not None:
            candidates.append((self.canceled_at, "CANCELED", None))
        if self.forced is not None:
            candidates.append(self.forced)
        natural = self.natural_end()
        if natural is not None:
            msg = self.plan.error_message if self.plan.outcome == "ERROR" else None
            candidates.append((natural, self.plan.outcome, msg))
        return min(candidates, key=lambda c: c[0]) if candidates else None

    def stage(self, now: float) -> tuple[str, str | None]:
        end = self.end()
        if end is not None and now >= end[0]:
            return end[1], end[2]
        if now < self.started:
            return "SCHEDULING", "Waiting for hardware"
        return "RUNNING", None

    def all_events(self) -> list[tuple[float, str]]:
        events = [(self.started, f"===== Job started at {_iso(self.started)} =====")]
        events += [
            (self.started + (i + 1) * self.plan.line_every_s, text) for i, text in enumerate(self.plan.lines)
        ]
        events += self.extra
        end = self.end()
        if end is not None:
            events = [e for e in events if e[0] <= end[0]]
        return sorted(events, key=lambda e: e[0])

    def events(self, now: float) -> list[tuple[float, str]]:
        return [e for e in self.all_events() if e[0] <= now]

    def info(self, endpoint_now: float) -> dict[str, Any]:
        stage, message = self.stage(endpoint_now)
        spec = self.spec
        out: dict[str, Any] = {
            "id": self.id,
            "createdAt": _iso(self.created),
            "command": spec.get("command"),
            "arguments": spec.get("arguments", []),
            "environment": spec.get("environment", {}),
            "secrets": sorted(spec.get("secrets") or {}),  # names only, like the real service
            "flavor": spec.get("flavor", "cpu-basic"),
            "labels": spec.get("labels"),
            "status": {"stage": stage, "message": message},
            "owner": {"id": f"id-{self.namespace}", "name": self.namespace, "type": self.owner_type},
        }
        if "spaceId" in spec:
            out["spaceId"] = spec["spaceId"]
        else:
            out["dockerImage"] = spec.get("dockerImage")
        if stage != "SCHEDULING":
            out["startedAt"] = _iso(self.started)
        end = self.end()
        if stage in TERMINAL and end is not None:
            out["finishedAt"] = _iso(end[0])
        finished = end[0] if stage in TERMINAL and end is not None else endpoint_now
        out["durations"] = {
            "schedulingSecs": int(min(self.plan.scheduling_s, finished - self.created)),
            "runningSecs": int(max(0.0, finished - self.started)) if stage != "SCHEDULING" else None,
            "totalSecs": int(finished - self.created),
        }
        if self.scheduled_job_id:
            out["initiator"] = {"type": "scheduled-job", "id": self.scheduled_job_id}
        return out


@dataclass
class FakeSchedule:
    id: str
    namespace: str
    body: dict[str, Any]
    created: float
    suspend: bool
    concurrency: bool
    last_job_id: str | None = None
    last_job_at: float | None = None


class JobsApiState:
    """The double's state and controls; `install_jobs_api` builds it and registers the routes."""

    def __init__(
        self,
        server: LoopbackServer,
        *,
        token: str = TOKEN,
        user: str = USER,
        orgs: tuple[str, ...] = ORGS,
        page_size: int = 50,
        default_plan: JobPlan | None = None,
    ) -> None:
        self.server = server
        self.token = token
        self.user = user
        self.orgs = tuple(orgs)
        self.page_size = page_size
        self.default_plan = default_plan or JobPlan()
        self.jobs: dict[str, FakeJob] = {}
        self.schedules: dict[str, FakeSchedule] = {}
        self.specs: list[dict[str, Any]] = []  # bodies of POST /api/jobs/{ns}, in order
        self.scheduled_bodies: list[dict[str, Any]] = []
        self.metrics_streams = 0
        self._plans: deque[JobPlan] = deque()
        self._lock = threading.RLock()
        self.closed = threading.Event()
        self.keepalive_seconds = KEEPALIVE_SECONDS  # >= 5: never more often than the client tolerates
        # Wall-clock time: log timestamps are compared with the HTTP Date header, which is real time.
        self.clock = time.time
        # Unstable answers: each job / scheduled-job answer goes through these when set.
        self.reshape_job: Callable[[dict[str, Any]], dict[str, Any]] | None = None
        self.reshape_schedule: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    def job_answer(self, job: FakeJob, now: float) -> dict[str, Any]:
        info = job.info(now)
        return self.reshape_job(info) if self.reshape_job is not None else info

    # --- controls ---------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.server.url

    def queue_plan(self, plan: JobPlan | None = None, **kwargs: Any) -> JobPlan:
        """The next submitted (or triggered) job follows this plan."""
        plan = plan or JobPlan(**kwargs)
        with self._lock:
            self._plans.append(plan)
        return plan

    def add_job(
        self,
        *,
        namespace: str | None = None,
        plan: JobPlan | None = None,
        created_ago: float = 0.0,
        **spec: Any,
    ) -> FakeJob:
        """Seed a job as if submitted `created_ago` seconds ago."""
        body = {
            "command": ["python", "-c", "print(1)"],
            "arguments": [],
            "environment": {},
            "flavor": "cpu-basic",
            "dockerImage": "python:3.12",
            **spec,
        }
        return self._create(
            namespace or self.user, body, plan or self.default_plan, self.clock() - created_ago
        )

    def finish(self, job_id: str, stage: str = "COMPLETED", message: str | None = None) -> None:
        with self._lock:
            self.jobs[job_id].forced = (self.clock(), stage, message)

    def log(self, job_id: str, text: str) -> None:
        with self._lock:
            self.jobs[job_id].extra.append((self.clock(), text))

    def job(self, job_id: str) -> FakeJob:
        return self.jobs[job_id]

    def stage(self, job_id: str) -> str:
        return self.jobs[job_id].stage(self.clock())[0]

    def close(self) -> None:
        self.closed.set()

    # --- helpers ---------------------------------------------------------------------------------------
    def _create(
        self,
        namespace: str,
        spec: dict[str, Any],
        plan: JobPlan,
        created: float,
        scheduled_job_id: str | None = None,
    ) -> FakeJob:
        owner_type = "user" if namespace == self.user else "org"
        job = FakeJob(_new_id(), namespace, owner_type, spec, plan, created, scheduled_job_id)
        with self._lock:
            self.jobs[job.id] = job
        return job

    def _next_plan(self) -> JobPlan:
        with self._lock:
            return self._plans.popleft() if self._plans else self.default_plan

    def _auth(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Response(401, {"error": "Invalid credentials in Authorization header"})
        return None

    def _namespace(self, request: Request, ns: str) -> Response | None:
        denied = self._auth(request)
        if denied is not None:
            return denied
        if ns != self.user and ns not in self.orgs:
            return Response(403, {"error": f"You don't have the rights to run jobs in namespace {ns}"})
        return None

    def _job(self, request: Request, ns: str, job_id: str) -> FakeJob | Response:
        denied = self._namespace(request, ns)
        if denied is not None:
            return denied
        job = self.jobs.get(job_id)
        if job is None or job.namespace != ns:
            return Response(404, {"error": "Job not found"})
        return job

    def _validate_spec(self, spec: Any) -> str | None:
        if not isinstance(spec, dict):
            return "job spec must be an object"
        command = spec.get("command")
        if not isinstance(command, list) or not command or not all(isinstance(c, str) for c in command):
            return "command must be a non-empty array of strings"
        if not spec.get("dockerImage") and not spec.get("spaceId"):
            return "dockerImage or spaceId is required"
        if spec.get("flavor") not in _flavor_names():
            return f"Invalid flavor: {spec.get('flavor')!r}"
        timeout = spec.get("timeoutSeconds")
        if timeout is not None and (not isinstance(timeout, int) or timeout <= 0):
            return "timeoutSeconds must be a positive integer"
        for key in ("environment", "secrets", "labels"):
            value = spec.get(key)
            if value is not None and (
                not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values())
            ):
                return f"{key} must map names to strings"
        return None

    def _stream(self, body: Iterator[bytes]) -> Iterator[bytes]:
        start = time.monotonic()
        for chunk in body:
            if self.closed.is_set() or time.monotonic() - start > MAX_STREAM_SECONDS:
                return
            yield chunk

    def _sse_headers(self) -> dict[str, str]:
        return {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}


def _flavor_table() -> dict[str, Any]:
    text = resources.files("hf_train_mcp.hardware").joinpath("flavors.json").read_text()
    return json.loads(text)


def _flavor_names() -> set[str]:
    return {row["name"] for row in _flavor_table()["flavors"]}


def hardware_entries() -> list[dict[str, Any]]:
    """The hardware list in wire shape: price per minute, `vram` the total over all GPUs."""
    table = _flavor_table()
    out = []
    for row in table["flavors"]:
        gpu = table["gpus"].get(row["gpu"]) if row["gpu"] else None
        per_minute = row["price_per_hour"] / 60
        entry: dict[str, Any] = {
            "name": row["name"],
            "prettyName": row["name"].replace("-", " ").title(),
            "cpu": f"{row['vcpu']} vCPU",
            "ram": f"{row['ram_gb']:g} GB",
            "ephemeralStorage": "50 GB",
            "accelerator": None,
            "unitCostMicroUSD": round(per_minute * 1e6),
            "unitCostUSD": round(per_minute, 6),
            "unitLabel": "minute",
        }
        if gpu is not None:
            entry["accelerator"] = {
                "type": "gpu",
                "model": row["gpu"],
                "quantity": str(row["gpu_count"]),
                "vram": f"{gpu['vram_gb'] * row['gpu_count']:g} GB",
                "manufacturer": "Nvidia",
            }
        out.append(entry)
    return out


def install_jobs_api(server: LoopbackServer, **kwargs: Any) -> JobsApiState:
    """Register the Jobs API routes on `server`; returns the state (controls + record)."""
    state = JobsApiState(server, **kwargs)
    ns_re = r"(?P<ns>[A-Za-z0-9][\w.\-]*)"
    id_re = r"(?P<job_id>[\w\-]+)"

    @server.route("GET", "/api/whoami-v2")
    def whoami(request: Request) -> Response:
        denied = state._auth(request)
        if denied is not None:
            return denied
        return Response(
            200,
            {
                "type": "user",
                "id": f"id-{state.user}",
                "name": state.user,
                "fullname": state.user.title(),
                "orgs": [{"type": "org", "name": org, "id": f"id-{org}"} for org in state.orgs],
                "auth": {"type": "access_token", "accessToken": {"displayName": "double", "role": "write"}},
            },
        )

    @server.route("GET", "/api/agent-harnesses")
    def harnesses(request: Request) -> Response:
        return Response(404, {"error": "Not found"})

    @server.route("GET", "/api/jobs/hardware")
    def hardware(request: Request) -> Response:
        return Response(200, hardware_entries())

    @server.route("POST", f"/api/jobs/{ns_re}")
    def run_job(request: Request, ns: str) -> Response:
        denied = state._namespace(request, ns)
        if denied is not None:
            return denied
        try:
            spec = request.json()
        except json.JSONDecodeError:
            return Response(400, {"error": "body is not JSON"})
        with state._lock:
            state.specs.append(spec)
        problem = state._validate_spec(spec)
        if problem:
            return Response(400, {"error": problem})
        job = state._create(ns, spec, state._next_plan(), state.clock())
        return Response(200, state.job_answer(job, state.clock()))

    @server.route("GET", f"/api/jobs/{ns_re}")
    def list_jobs(request: Request, ns: str) -> Response:
        denied = state._namespace(request, ns)
        if denied is not None:
            return denied
        now = state.clock()
        stages = {s.upper() for s in request.query.get("stage", [])}
        labels = [tuple(v.split("=", 1)) for v in request.query.get("label", []) if "=" in v]
        with state._lock:
            jobs = [j for j in state.jobs.values() if j.namespace == ns]
        infos = [j.info(now) for j in sorted(jobs, key=lambda j: j.created, reverse=True)]
        reshape = state.reshape_job or (lambda info: info)
        if stages:
            infos = [i for i in infos if i["status"]["stage"] in stages]
        for key, value in labels:
            infos = [i for i in infos if (i.get("labels") or {}).get(key) == value]
        page = int(request.arg("page", "0") or 0)
        chunk = infos[page * state.page_size : (page + 1) * state.page_size]
        headers = {}
        if (page + 1) * state.page_size < len(infos):
            query = [(k, v) for k, vs in request.query.items() if k != "page" for v in vs] + [
                ("page", page + 1)
            ]
            headers["Link"] = f'<{state.url}{request.path}?{urlencode(query)}>; rel="next"'
        return Response(200, [reshape(dict(i)) for i in chunk], headers)

    @server.route("GET", f"/api/jobs/{ns_re}/{id_re}")
    def inspect_job(request: Request, ns: str, job_id: str) -> Response:
        job = state._job(request, ns, job_id)
        return job if isinstance(job, Response) else Response(200, state.job_answer(job, state.clock()))

    @server.route("POST", f"/api/jobs/{ns_re}/{id_re}/cancel")
    def cancel_job(request: Request, ns: str, job_id: str) -> Response:
        job = state._job(request, ns, job_id)
        if isinstance(job, Response):
            return job
        now = state.clock()
        with state._lock:
            if job.stage(now)[0] not in TERMINAL:
                job.canceled_at = now
        return Response(200, {})

    @server.route("GET", f"/api/jobs/{ns_re}/{id_re}/logs")
    def logs(request: Request, ns: str, job_id: str) -> Response:
        job = state._job(request, ns, job_id)
        if isinstance(job, Response):
            return job
        tail_arg = request.arg("tail")
        tail = int(tail_arg) if tail_arg and tail_arg.isdigit() else None

        def body() -> Iterator[bytes]:
            visible = job.events(state.clock())
            sent = max(0, len(visible) - tail) if tail is not None else 0
            last_write = time.monotonic()
            while True:
                now = state.clock()
                events = job.events(now)
                for ts, text in events[sent:]:
                    yield sse({"timestamp": _iso(ts), "data": text})
                    last_write = time.monotonic()
                sent = len(events)
                if job.stage(now)[0] in TERMINAL and sent >= len(job.all_events()):
                    return  # the last event of a finished job: close the stream
                if time.monotonic() - last_write >= state.keepalive_seconds:
                    yield b": keep-alive\n\n"
                    last_write = time.monotonic()
                time.sleep(STREAM_POLL)

        # BaseHTTPRequestHandler.send_response adds the Date header the client's replay cut-off uses.
        return Response(200, headers=state._sse_headers(), stream=state._stream(body()))

    @server.route("GET", f"/api/jobs/{ns_re}/{id_re}/metrics")
    def metrics(request: Request, ns: str, job_id: str) -> Response:
        job = state._job(request, ns, job_id)
        if isinstance(job, Response):
            return job
        if job.stage(state.clock())[0] in TERMINAL:
            return Response(406, {"error": "Job is not running"})
        with state._lock:
            state.metrics_streams += 1
        flavor = job.spec.get("flavor", "cpu-basic")
        row = next((r for r in _flavor_table()["flavors"] if r["name"] == flavor), None)
        gpu_count = row["gpu_count"] if row else 0
        vram = _flavor_table()["gpus"].get(row["gpu"], {}).get("vram_gb", 0) if row and row["gpu"] else 0

        def body() -> Iterator[bytes]:
            last = 0.0
            n = 0
            while job.stage(state.clock())[0] not in TERMINAL:
                if job.stage(state.clock())[0] == "RUNNING" and time.monotonic() - last >= 1.0:
                    n += 1
                    yield sse(
                        {
                            "cpu_usage_pct": 37.5,
                            "cpu_millicores": 3000,
                            "memory_used_bytes": 6 * 1024**3,
                            "memory_total_bytes": 16 * 1024**3,
                            "rx_bps": 1000,
                            "tx_bps": 500,
                            "gpus": {
                                f"gpu{i:02d}": {
                                    "utilization": 85,
                                    "memory_used_bytes": int(vram * 0.6 * 1e9),
                                    "memory_total_bytes": int(vram * 1e9),
                                }
                                for i in range(gpu_count)
                            },
                            "replica": "r1",
                        },
                        event="metric",
                    )
                    last = time.monotonic()
                time.sleep(STREAM_POLL)

        return Response(200, headers=state._sse_headers(), stream=state._stream(body()))

    # --- scheduled jobs ----------------------------------------------------------------------------------
    def schedule_info(s: FakeSchedule) -> dict[str, Any]:
        info = _schedule_info(s)
        return state.reshape_schedule(info) if state.reshape_schedule is not None else info

    def _schedule_info(s: FakeSchedule) -> dict[str, Any]:
        spec = dict(s.body["jobSpec"])
        spec["secrets"] = sorted(spec.get("secrets") or {})
        # The answer's job spec names the timeout `timeout` (what huggingface_hub's JobSpec reads), not the
        # request's `timeoutSeconds`.
        if "timeoutSeconds" in spec:
            spec["timeout"] = spec.pop("timeoutSeconds")
        return {
            "id": s.id,
            "createdAt": _iso(s.created),
            "jobSpec": spec,
            "schedule": s.body["schedule"],
            "suspend": s.suspend,
            "concurrency": s.concurrency,
            "status": {
                "lastJob": {"id": s.last_job_id, "at": _iso(s.last_job_at)} if s.last_job_id else None,
                "nextJobRunAt": None if s.suspend else _iso(state.clock() + 3600),
            },
            "owner": {
                "id": f"id-{s.namespace}",
                "name": s.namespace,
                "type": "user" if s.namespace == state.user else "org",
            },
        }

    def get_schedule(request: Request, ns: str, sid: str) -> FakeSchedule | Response:
        denied = state._namespace(request, ns)
        if denied is not None:
            return denied
        s = state.schedules.get(sid)
        if s is None or s.namespace != ns:
            return Response(404, {"error": "Scheduled job not found"})
        return s

    sid_re = r"(?P<sid>[\w\-]+)"

    @server.route("POST", f"/api/scheduled-jobs/{ns_re}")
    def create_schedule(request: Request, ns: str) -> Response:
        denied = state._namespace(request, ns)
        if denied is not None:
            return denied
        body = request.json()
        with state._lock:
            state.scheduled_bodies.append(body)
        problem = (
            state._validate_spec(body.get("jobSpec")) if isinstance(body, dict) else "body must be an object"
        )
        if problem:
            return Response(400, {"error": problem})
        if not isinstance(body.get("schedule"), str) or not body["schedule"]:
            return Response(400, {"error": "schedule is required"})
        s = FakeSchedule(
            _new_id(),
            ns,
            body,
            state.clock(),
            bool(body.get("suspend", False)),
            bool(body.get("concurrency", False)),
        )
        with state._lock:
            state.schedules[s.id] = s
        return Response(200, schedule_info(s))

    @server.route("GET", f"/api/scheduled-jobs/{ns_re}")
    def list_schedules(request: Request, ns: str) -> Response:
        denied = state._namespace(request, ns)
        if denied is not None:
            return denied
        with state._lock:
            items = [schedule_info(s) for s in state.schedules.values() if s.namespace == ns]
        return Response(200, items)

    @server.route("GET", f"/api/scheduled-jobs/{ns_re}/{sid_re}")
    def inspect_schedule(request: Request, ns: str, sid: str) -> Response:
        s = get_schedule(request, ns, sid)
        return s if isinstance(s, Response) else Response(200, schedule_info(s))

    @server.route("DELETE", f"/api/scheduled-jobs/{ns_re}/{sid_re}")
    def delete_schedule(request: Request, ns: str, sid: str) -> Response:
        s = get_schedule(request, ns, sid)
        if isinstance(s, Response):
            return s
        with state._lock:
            del state.schedules[sid]
        return Response(200, {})

    @server.route("POST", f"/api/scheduled-jobs/{ns_re}/{sid_re}/(?P<action>suspend|resume)")
    def suspend_resume(request: Request, ns: str, sid: str, action: str) -> Response:
        s = get_schedule(request, ns, sid)
        if isinstance(s, Response):
            return s
        s.suspend = action == "suspend"
        return Response(200, {})

    @server.route("POST", f"/api/scheduled-jobs/{ns_re}/{sid_re}/run")
    def trigger(request: Request, ns: str, sid: str) -> Response:
        s = get_schedule(request, ns, sid)
        if isinstance(s, Response):
            return s
        now = state.clock()
        if not s.concurrency and s.last_job_id and state.jobs[s.last_job_id].stage(now)[0] not in TERMINAL:
            return Response(
                409, {"error": "A run of this scheduled job is still active and concurrency is disabled"}
            )
        job = state._create(ns, dict(s.body["jobSpec"]), state._next_plan(), now, scheduled_job_id=s.id)
        s.last_job_id, s.last_job_at = job.id, now
        return Response(200, state.job_answer(job, now))

    return state


@contextmanager
def hub_double(monkeypatch: Any = None, **kwargs: Any) -> Iterator[JobsApiState]:
    """A started LoopbackServer with the Jobs API, HF_ENDPOINT and HF_TOKEN pointing at it.

    With pytest's `monkeypatch` the environment is restored by pytest; without it, here on exit.
    `hub_double(monkeypatch, token=None)`-style tests that need no token can `monkeypatch.delenv`.
    """
    server = LoopbackServer().start()
    state = install_jobs_api(server, **kwargs)
    env = {"HF_ENDPOINT": server.url, "HF_TOKEN": state.token}
    saved = {k: os.environ.get(k) for k in env}
    for key, value in env.items():
        if monkeypatch is not None:
            monkeypatch.setenv(key, value)
        else:
            os.environ[key] = value
    try:
        yield state
    finally:
        state.close()
        server.stop()
        if monkeypatch is None:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
