"""The Hugging Face Jobs backend: every operation through `huggingface_hub.HfApi`.

Reads are retried on 429/5xx/timeouts with backoff; a submission (run, scheduled create, trigger) is
sent exactly once — a POST that timed out may have started a billed job. `namespace=` is always
passed (resolved once per endpoint and token through whoami), because `list_jobs` without it asks the
public Hub instead of the configured endpoint.

Every job id and namespace is checked and escaped (`jobs.ids`) before it reaches a URL, and answers
are parsed tolerantly (`jobs.wire`): a job the Hub created is never lost to an odd field.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from hf_train_mcp import hub
from hf_train_mcp.jobs import ids, wire
from hf_train_mcp.jobs.errors import JobsArgumentError, JobsError, hub_error
from hf_train_mcp.jobs.model import ACTIVE_STAGES, JobSubmission, JobView, LogLine, MetricsSample

if TYPE_CHECKING:
    from huggingface_hub import HfApi

T = TypeVar("T")

READ_ATTEMPTS = 4
RETRY_BASE_DELAY = 0.5  # seconds; tests lower it

_namespace_cache: dict[tuple[str, str], str] = {}
_namespace_lock = threading.Lock()


def _value(x: Any) -> Any:
    return getattr(x, "value", x)


def view_from_info(info: Any) -> JobView:
    """A `JobView` from huggingface_hub's `JobInfo` (secret names only: the Hub never returns values)."""
    secrets = info.secrets or {}
    secret_names = list(secrets) if isinstance(secrets, dict | list) else []
    durations = getattr(info, "durations", None)
    view = JobView(
        id=info.id,
        owner=info.owner.name,
        owner_id=info.owner.id,
        owner_type=info.owner.type,
        stage=str(_value(info.status.stage)),
        flavor=str(_value(info.flavor) or ""),
        command=[*(info.command or []), *(info.arguments or [])],
        backend="hub",
        url=info.url,
        message=info.status.message,
        image=info.docker_image,
        space_id=info.space_id,
        created_at=info.created_at,
        started_at=info.started_at,
        finished_at=info.finished_at,
        env=dict(info.environment or {}),
        secret_names=[str(s) for s in secret_names],
        labels=dict(info.labels or {}),
        timeout_seconds=getattr(info, "timeout_seconds", None),
        created_by=getattr(info, "created_by", None),
    )
    if durations is not None and durations.running_secs is not None:
        view.notes.append(f"running_secs={durations.running_secs}")
    return view


def volumes_from_args(volumes: list[str | dict[str, Any]] | None) -> list[Any] | None:
    """`hf://...:/mount[:ro]` strings or {type, source, mount_path} objects -> huggingface_hub Volumes."""
    if not volumes:
        return None
    from huggingface_hub import Volume
    from huggingface_hub.utils import parse_hf_mount

    out = []
    for raw in volumes:
        try:
            if isinstance(raw, str):
                mount = parse_hf_mount(raw)
                out.append(
                    Volume(
                        type=mount.source.type,
                        source=mount.source.id,
                        mount_path=mount.mount_path,
                        read_only=mount.read_only,
                        path=mount.source.path_in_repo or None,
                        revision=mount.source.revision or None,
                    )
                )
            else:
                out.append(Volume(**raw))
        except (ValueError, KeyError, TypeError) as exc:
            raise JobsArgumentError(
                f'volume {raw!r} is not valid ({exc}). Use "hf://datasets/org/name:/data", '
                '"hf://buckets/org/bucket:/out:rw", or {"type": "dataset", "source": "org/name", '
                '"mount_path": "/data"}.'
            ) from None
    return out


def _job_id(value: str, *, what: str = "job_id") -> str:
    return ids.segment(ids.check_job_id(value, what=what))


class HubJobsBackend:
    """`JobsBackend` over Hugging Face Jobs, plus the Hub-only operations (hardware, schedules)."""

    def __init__(self, token: str | None) -> None:
        self.token = token
        self.api: HfApi = hub.get_api(token)
        wire.install()

    # --- plumbing ---------------------------------------------------------------------------------
    def _read(self, func: Callable[[], T], *, what: str) -> T:
        try:
            return hub.call_with_retries(func, what=what, attempts=READ_ATTEMPTS, base_delay=RETRY_BASE_DELAY)
        except Exception as exc:
            raise hub_error(exc, what=what) from exc

    def _once(self, func: Callable[[], T], *, what: str) -> T:
        try:
            return func()
        except Exception as exc:
            raise hub_error(exc, what=what, submitted=True) from exc

    def namespace(self, namespace: str | None = None) -> str:
        if namespace:
            return ids.segment(ids.check_namespace(namespace))
        key = (self.api.endpoint, self.token)
        with _namespace_lock:
            cached = _namespace_cache.get(key)
        if cached:
            return cached
        info = self._read(lambda: self.api.whoami(), what="identify the token's user (whoami)")
        name = info.get("name")
        if not name:
            raise JobsError("the Hub's whoami answer has no user name; pass namespace explicitly")
        name = ids.segment(ids.check_namespace(name))
        with _namespace_lock:
            _namespace_cache[key] = name
        return name

    # --- job spec ---------------------------------------------------------------------------------
    def run_kwargs(self, sub: JobSubmission) -> dict[str, Any]:
        """The keyword arguments of `HfApi.run_job` for a submission (namespace excluded)."""
        from hf_train_mcp.jobs.client_private import default_job_name_from_image, default_job_name_from_script

        labels = dict(sub.labels)
        name = labels.pop("name", None)
        if name is None:
            if sub.uv is not None:
                script_name = sub.uv.source if sub.uv.is_url else sub.uv.file_name
                name = default_job_name_from_script(script_name, sub.uv.script_args)
            else:
                name = default_job_name_from_image(sub.image, sub.command)
        return {
            "image": sub.image,
            "command": sub.command,
            "env": sub.env or None,
            "secrets": sub.secrets or None,
            "flavor": sub.flavor,
            "timeout": sub.timeout_seconds,
            "name": name,
            "labels": labels or None,
            "volumes": volumes_from_args(getattr(sub, "volumes", None)),
            "attempts": sub.attempts,
        }

    def job_spec(self, sub: JobSubmission) -> dict[str, Any]:
        """The exact JSON body `run_job` sends for this submission."""
        from hf_train_mcp.jobs.client_private import create_job_spec

        return create_job_spec(**self.run_kwargs(sub))

    # --- jobs -------------------------------------------------------------------------------------
    def submit(self, submission: JobSubmission) -> JobView:
        ns = self.namespace(submission.namespace)
        kwargs = self.run_kwargs(submission)
        info = self._once(lambda: self.api.run_job(**kwargs, namespace=ns), what="submit the job")
        view = view_from_info(info)
        view.timeout_seconds = submission.timeout_seconds
        return view

    def list(self, *, include_finished: bool, namespace: str | None = None) -> list[JobView]:
        ns = self.namespace(namespace)
        status = None if include_finished else sorted(ACTIVE_STAGES)
        infos = self._read(
            lambda: list(self.api.list_jobs(status=status, namespace=ns, timeout=hub.hub_timeout())),
            what=f"list the jobs of {ns}",
        )
        return [view_from_info(i) for i in infos]

    def inspect(self, job_id: str, *, namespace: str | None = None) -> JobView:
        ns = self.namespace(namespace)
        job_id = _job_id(job_id)
        info = self._read(
            lambda: self.api.inspect_job(job_id=job_id, namespace=ns), what=f"inspect job {job_id} in {ns}"
        )
        return view_from_info(info)

    def cancel(self, job_id: str, *, namespace: str | None = None) -> JobView:
        ns = self.namespace(namespace)
        job_id = _job_id(job_id)
        # Canceling twice is harmless, so this write is retried like a read.
        self._read(
            lambda: self.api.cancel_job(job_id=job_id, namespace=ns), what=f"cancel job {job_id} in {ns}"
        )
        return self.inspect(job_id, namespace=ns)

    def logs(
        self, job_id: str, *, tail: int | None, follow: bool, namespace: str | None = None
    ) -> Iterator[LogLine]:
        ns = self.namespace(namespace)
        job_id = _job_id(job_id)
        for text in self.api.fetch_job_logs(job_id=job_id, namespace=ns, follow=follow, tail=tail):
            yield LogLine(None, text)

    def metrics(self, job_id: str, *, namespace: str | None = None) -> MetricsSample | None:
        ns = self.namespace(namespace)
        job_id = _job_id(job_id)
        stream = self.api.fetch_job_metrics(job_id=job_id, namespace=ns, follow=False)
        try:
            first = next(iter(itertools.islice(stream, 1)), None)
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        if first is None:
            return None
        gpus = {
            str(gid): {k: float(v) for k, v in (g or {}).items() if isinstance(v, int | float)}
            for gid, g in (first.get("gpus") or {}).items()
        }
        return MetricsSample(
            cpu_usage_pct=first.get("cpu_usage_pct"),
            memory_used_bytes=first.get("memory_used_bytes"),
            memory_total_bytes=first.get("memory_total_bytes"),
            gpus=gpus,
        )

    # --- hardware ---------------------------------------------------------------------------------
    def hardware(self) -> list[Any]:
        return self._read(lambda: self.api.list_jobs_hardware(), what="list the Jobs hardware")

    # --- scheduled jobs ---------------------------------------------------------------------------
    def scheduled_body(
        self, sub: JobSubmission, *, schedule: str, suspend: bool | None, concurrency: bool | None
    ) -> dict[str, Any]:
        """The exact JSON body `create_scheduled_job` sends."""
        body: dict[str, Any] = {"jobSpec": self.job_spec(sub), "schedule": schedule}
        if concurrency is not None:
            body["concurrency"] = concurrency
        if suspend is not None:
            body["suspend"] = suspend
        return body

    def create_scheduled(
        self, sub: JobSubmission, *, schedule: str, suspend: bool | None, concurrency: bool | None
    ) -> Any:
        ns = self.namespace(sub.namespace)
        kwargs = self.run_kwargs(sub)
        return self._once(
            lambda: self.api.create_scheduled_job(
                **kwargs, schedule=schedule, suspend=suspend, concurrency=concurrency, namespace=ns
            ),
            what="create the scheduled job",
        )

    def list_scheduled(self, *, namespace: str | None = None) -> list[Any]:
        ns = self.namespace(namespace)
        return self._read(
            lambda: self.api.list_scheduled_jobs(namespace=ns, timeout=hub.hub_timeout()),
            what=f"list the scheduled jobs of {ns}",
        )

    def inspect_scheduled(self, scheduled_job_id: str, *, namespace: str | None = None) -> Any:
        ns = self.namespace(namespace)
        scheduled_job_id = _job_id(scheduled_job_id, what="scheduled_job_id")
        return self._read(
            lambda: self.api.inspect_scheduled_job(scheduled_job_id=scheduled_job_id, namespace=ns),
            what=f"inspect scheduled job {scheduled_job_id} in {ns}",
        )

    def delete_scheduled(self, scheduled_job_id: str, *, namespace: str | None = None) -> None:
        ns = self.namespace(namespace)
        scheduled_job_id = _job_id(scheduled_job_id, what="scheduled_job_id")
        self._read(
            lambda: self.api.delete_scheduled_job(scheduled_job_id=scheduled_job_id, namespace=ns),
            what=f"delete scheduled job {scheduled_job_id} in {ns}",
        )

    def suspend_scheduled(self, scheduled_job_id: str, *, namespace: str | None = None) -> None:
        ns = self.namespace(namespace)
        scheduled_job_id = _job_id(scheduled_job_id, what="scheduled_job_id")
        self._read(
            lambda: self.api.suspend_scheduled_job(scheduled_job_id=scheduled_job_id, namespace=ns),
            what=f"suspend scheduled job {scheduled_job_id} in {ns}",
        )

    def resume_scheduled(self, scheduled_job_id: str, *, namespace: str | None = None) -> None:
        ns = self.namespace(namespace)
        scheduled_job_id = _job_id(scheduled_job_id, what="scheduled_job_id")
        self._read(
            lambda: self.api.resume_scheduled_job(scheduled_job_id=scheduled_job_id, namespace=ns),
            what=f"resume scheduled job {scheduled_job_id} in {ns}",
        )

    def trigger_scheduled(self, scheduled_job_id: str, *, namespace: str | None = None) -> JobView:
        ns = self.namespace(namespace)
        scheduled_job_id = _job_id(scheduled_job_id, what="scheduled_job_id")
        info = self._once(
            lambda: self.api.trigger_scheduled_job(scheduled_job_id=scheduled_job_id, namespace=ns),
            what=f"trigger scheduled job {scheduled_job_id} in {ns}",
        )
        return view_from_info(info)
