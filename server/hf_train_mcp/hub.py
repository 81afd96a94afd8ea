"""The one door to the Hugging Face Hub: a configured `HfApi`, the caller's token, and the
translation of Hub failures into messages an agent can act on.

`huggingface_hub` is imported lazily (it costs ~0.25 s) so the server answers `tools/list` fast.
The endpoint is whatever `HF_ENDPOINT` says, read at call time, so tests and private hubs work.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from hf_train_mcp.errors import HubError
from hf_train_mcp.hub_abort import HubCallAborted, current_handle
from hf_train_mcp.redact import redact, register_process_secret, register_secret

if TYPE_CHECKING:
    from huggingface_hub import HfApi

log = logging.getLogger("hf_train_mcp.hub")
T = TypeVar("T")

DEFAULT_ENDPOINT = "https://huggingface.co"
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_WAIT_S = 30.0  # a Retry-After longer than this is answered at once (the error says to wait)
BILLING_URL = "https://huggingface.co/settings/billing"
# Who may run Jobs (the one place that says it): pay-as-you-go, any account with credit.
JOBS_ACCOUNT = (
    "Hugging Face Jobs are pay-as-you-go: any account (or organization) with credit or a payment method "
    f"can run them, billed per minute ({BILLING_URL})"
)
NO_TOKEN_HELP = (
    f"No Hugging Face token is configured. {JOBS_ACCOUNT}. Log in with `hf auth login`, or start the "
    "server with the environment variable HF_TOKEN set to a token with write access "
    "(https://huggingface.co/settings/tokens)."
)


def endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def get_token() -> str | None:
    """The caller's token (HF_TOKEN or the `hf auth login` store), registered for redaction."""
    from huggingface_hub import get_token as hub_get_token

    from hf_train_mcp import access

    if access.policy().hf_token_from_caller:  # HTTP --auth hf: act with the caller's own token
        from mcp.server.auth.middleware.auth_context import get_access_token

        caller = get_access_token()
        token = caller.token if caller is not None else None
        register_secret(token)
        return token
    token = hub_get_token()
    register_process_secret(token)
    return token


def require_token() -> str:
    token = get_token()
    if not token:
        raise HubError(NO_TOKEN_HELP)
    return token


def offline() -> bool:
    """HF_HUB_OFFLINE is set: no Hub call can succeed, so none is retried (or waited for)."""
    return (os.environ.get("HF_HUB_OFFLINE") or "").strip().lower() in ("1", "true", "yes", "on")


def get_api(token: str | None = None) -> HfApi:
    """An `HfApi` bound to the current endpoint and the caller's token."""
    from huggingface_hub import HfApi

    configure_http()
    return HfApi(endpoint=endpoint(), token=token if token is not None else get_token())


# --- HTTP client: a timeout, and calls another thread can abort ------------------------------------
# huggingface_hub's shared client has no timeout at all: a Hub that stops answering would hang a
# tool call forever. Requests that pass their own timeout (log streams) keep it.
DEFAULT_HUB_TIMEOUT = 30.0
_http_lock = threading.Lock()
_http_timeout: float | None = None


# One Hub budget per tool call: every request the call makes, retries included (ours and
# huggingface_hub's own backoff), must start before the budget's deadline and gets at most the time
# left as its timeout. A silent Hub therefore costs a tool about BUDGET_FACTOR x the Hub timeout,
# never minutes. Log streams run in their own threads, outside any budget, bounded by the follower.
BUDGET_FACTOR = 3.0
BUDGET_SLACK_S = 2.0  # room for a backoff sleep between tries when the per-request timeout is tiny


def budget_seconds() -> float:
    """A tool call's time for all its Hub requests: 3 x HF_TRAIN_MCP_HUB_TIMEOUT + 2 s (17 s for 5 s)."""
    return BUDGET_FACTOR * hub_timeout() + BUDGET_SLACK_S


class HubDeadlineError(TimeoutError):
    """The tool call's time for Hub requests is spent: no new request is sent."""


class _Budget:
    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "hf_train_mcp_hub_budget", default=None
)


@contextlib.contextmanager
def call_budget(seconds: float | None = None) -> Iterator[None]:
    """Bound every Hub request made within this block (and the worker threads it starts through anyio)."""
    token = _budget.set(_Budget(seconds if seconds is not None else budget_seconds()))
    try:
        yield
    finally:
        _budget.reset(token)


def budget_left() -> float | None:
    budget = _budget.get()
    return None if budget is None else budget.remaining()


def hub_timeout() -> float:
    """Seconds to wait for a Hub answer (HF_TRAIN_MCP_HUB_TIMEOUT, default 30)."""
    try:
        value = float(os.environ.get("HF_TRAIN_MCP_HUB_TIMEOUT") or DEFAULT_HUB_TIMEOUT)
    except ValueError:
        value = DEFAULT_HUB_TIMEOUT
    return value if value > 0 else DEFAULT_HUB_TIMEOUT


def configure_http() -> None:
    """Install (once per timeout value) the client factory used by every huggingface_hub call."""
    global _http_timeout
    timeout = hub_timeout()
    if _http_timeout == timeout:
        return
    with _http_lock:
        if _http_timeout == timeout:
            return
        from huggingface_hub.utils import set_client_factory

        set_client_factory(lambda: _make_client(timeout))
        _http_timeout = timeout


def _make_client(timeout: float) -> Any:
    import httpx2

    try:
        from huggingface_hub.utils._http import default_client_factory
    except ImportError:  # private helper moved: build the equivalent client
        client = httpx2.Client(follow_redirects=True)
    else:
        client = default_client_factory()
    client.timeout = httpx2.Timeout(timeout, connect=min(timeout, 10.0))
    client.event_hooks["request"].append(_on_request)
    client.event_hooks["response"].append(_on_response)
    _route_through_sole_layer(client)
    return client


# --- one retry layer ---------------------------------------------------------------------------------
# huggingface_hub retries on its own: `http_backoff` (paginated lists such as list_jobs, the repo tree,
# the HEAD of a download) sends a request up to 6 times, sleeping 1-8 s and whatever Retry-After says;
# `hf_hub_download` sends a failed HEAD again with that backoff; `http_get` resumes a broken download 5
# times. Wrapped in `call_with_retries` those multiplied ours and ignored the call's budget (measured
# before: a 503 list sent 10 requests where 4 were meant, a 408 6 where 1, a download's HEAD 7 where 3,
# and a 429 with Retry-After: 3600 slept through the hour). So while `call_with_retries` runs a call, our
# transport raises every failure that may heal as `HubTransientError`, a type huggingface_hub does not
# catch: it goes straight up, and `call_with_retries` is the one layer that decides, sleeps and retries.
# Outside it (submissions, which are never retried; log streams) huggingface_hub's client behaves as it
# always does.
_sole_layer: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "hf_train_mcp_sole_retry_layer", default=False
)
# What huggingface_hub's backoff retries (utils._http._DEFAULT_RETRY_ON_STATUS_CODES): none of these may
# reach it inside our layer, even those we do not retry (408), or its backoff would retry them.
HUB_RETRIED_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class HubTransientError(Exception):
    """A failure that may heal, seen inside `call_with_retries`; `original` is what the Hub client would
    have raised (an `HfHubHTTPError` with the answer, or the httpx2 timeout / network error)."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


def _hub_retried_exceptions() -> tuple[type[BaseException], ...]:
    import httpx2

    return (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)


def _status_error(response: Any, request: Any) -> BaseException:
    """The error huggingface_hub raises for this answer (its message carries the Hub's); only asked of
    the answers it raises for (429 and 5xx), with httpx's own error behind it should it ever not."""
    from huggingface_hub.utils import hf_raise_for_status

    response.request = request
    try:
        response.read()  # an error answer is small; the error and its message need the body
        hf_raise_for_status(response)
        response.raise_for_status()
    except Exception as exc:
        error = exc
    finally:
        response.close()
    return error


def _asks_too_long_a_wait(response: Any) -> bool:
    wait = _retry_after_seconds(response)
    left = budget_left()
    return wait is not None and (wait > MAX_RETRY_WAIT_S or (left is not None and wait >= left))


def _route_through_sole_layer(client: Any) -> None:
    """Wrap the client's transports (the default one and any proxy mounts) in the sole-layer check."""
    import httpx2

    class SoleRetryLayer(httpx2.BaseTransport):
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def handle_request(self, request: Any) -> Any:
            if not _sole_layer.get():
                # huggingface_hub's own backoff (uploads, log streams) may retry, but never sleep past
                # the call's budget or MAX_RETRY_WAIT_S because a Retry-After said so
                response = self.inner.handle_request(request)
                if response.status_code in HUB_RETRIED_STATUS and _asks_too_long_a_wait(response):
                    raise _status_error(response, request)
                return response
            transient = _hub_retried_exceptions()
            try:
                response = self.inner.handle_request(request)
            except transient as exc:
                raise HubTransientError(exc) from exc
            if response.status_code in HUB_RETRIED_STATUS:
                raise HubTransientError(_status_error(response, request))
            response.stream = ShieldedStream(response.stream, transient)
            return response

        def close(self) -> None:
            self.inner.close()

    class ShieldedStream(httpx2.SyncByteStream):
        """A body whose read failures (a download cut off) also go to our layer, not to `http_get`'s."""

        def __init__(self, inner: Any, transient: tuple[type[BaseException], ...]) -> None:
            self.inner, self.transient = inner, transient

        def __iter__(self) -> Iterator[bytes]:
            try:
                yield from self.inner
            except self.transient as exc:
                raise HubTransientError(exc) from exc

        def close(self) -> None:
            self.inner.close()

    try:
        client._transport = SoleRetryLayer(client._transport)
        client._mounts = {
            pattern: SoleRetryLayer(mounted) if mounted is not None else None
            for pattern, mounted in client._mounts.items()
        }
    except AttributeError:  # httpx2 reshaped its client: keep it working, with huggingface_hub's retries
        log.warning("could not install the single retry layer on the Hub client")


def _on_request(request: Any) -> None:
    handle = current_handle()
    if handle is not None and handle.aborted:
        raise HubCallAborted("Hub call aborted")
    left = budget_left()
    if left is None:
        return
    if left <= 0.05:
        raise HubDeadlineError(f"no time left for Hub requests in this call (limit {budget_seconds():.0f}s)")
    timeout = dict(request.extensions.get("timeout") or {})
    request.extensions["timeout"] = {
        key: min(value, left) if isinstance(value, int | float) else left
        for key, value in {"connect": None, "read": None, "write": None, "pool": None, **timeout}.items()
    }


def _on_response(response: Any) -> None:
    handle = current_handle()
    if handle is not None:
        handle.track(response)


def status_of(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def is_timeout(exc: BaseException) -> bool:
    name = type(exc).__name__.lower()
    return isinstance(exc, TimeoutError) or "timeout" in name


def call_with_retries(func: Callable[[], T], *, what: str, attempts: int = 3, base_delay: float = 0.5) -> T:
    """Run a READ against the Hub, retrying what can heal (429, 5xx, a timeout, a dropped connection)
    with jittered exponential backoff, within the call's Hub budget: `attempts` requests at most, in all.

    This is the only retry layer: while `func` runs, huggingface_hub's own backoff never sees a
    failure (see `HubTransientError`). No retry when HF_HUB_OFFLINE is set, when the error cannot
    heal (4xx other than 429, a bad token), or when the call's Hub budget (`call_budget`) has no time
    left for one: a silent Hub costs the budget, no more. What it raises is what huggingface_hub
    would have raised. Never wrap a submission in this: a POST that timed out may have been
    accepted, and sending it again would start a second job.
    """
    delay, attempt = base_delay, 0
    while True:  # every turn returns, re-raises, or waits and tries again
        attempt += 1
        layer = _sole_layer.set(True)
        try:
            return func()
        except Exception as raised:
            exc = raised.original if isinstance(raised, HubTransientError) else raised
            if not can_heal(exc) or attempt >= attempts or offline():
                _reraise(exc, raised)
            retry_after = _retry_after_seconds(exc)
            wait = retry_after if retry_after is not None else delay * (1 + random.random() / 2)
            left = budget_left()
            if wait > MAX_RETRY_WAIT_S or (left is not None and wait >= left - 0.5):
                _reraise(exc, raised)  # the Hub asks for longer than we may wait: say so now
            log.warning(
                "%s failed (%s), retry %d/%d in %.1fs",
                what,
                redact(str(exc))[:200],
                attempt,
                attempts - 1,
                wait,
            )
        finally:
            _sole_layer.reset(layer)
        time.sleep(wait)
        delay *= 2


def download(api: HfApi, repo_id: str, filename: str, *, what: str, **kwargs: Any) -> str:
    """`api.hf_hub_download(...)` under the one retry layer; when the Hub keeps failing, the copy in the
    local cache if there is one (huggingface_hub's own fallback, which our layer bypasses)."""
    try:
        return call_with_retries(lambda: api.hf_hub_download(repo_id, filename, **kwargs), what=what)
    except Exception as failed:
        if status_of(failed) is not None and not can_heal(failed):
            raise  # the Hub answered (404, 403...): a cached copy would hide the answer
        with contextlib.suppress(Exception):
            return api.hf_hub_download(repo_id, filename, local_files_only=True, **kwargs)
        raise failed from None


def _reraise(exc: BaseException, raised: BaseException) -> None:
    """Raise what the Hub client raised (the original, never our `HubTransientError` wrapper)."""
    if exc is raised:
        raise exc
    raise exc from None


def can_heal(exc: BaseException) -> bool:
    """429 and 5xx answers, timeouts and dropped connections may heal; 4xx answers, offline mode and
    a spent budget do not."""
    if isinstance(exc, HubDeadlineError) or type(exc).__name__ == "OfflineModeIsEnabled":
        return False
    status = status_of(exc)
    if status is not None:
        return status in RETRYABLE_STATUS
    return isinstance(exc, _hub_retried_exceptions()) or _is_connect_error(exc) or is_timeout(exc)


def _is_connect_error(exc: BaseException) -> bool:
    """A refused or dropped connection (its callers rule out offline mode, a `ConnectionError` too, first)."""
    return "connecterror" in type(exc).__name__.lower() or isinstance(exc, ConnectionError)


def _retry_after_seconds(exc_or_response: Any) -> float | None:
    """Seconds the Hub's Retry-After header asks for, on an error or on an answer itself."""
    response = getattr(exc_or_response, "response", None) or exc_or_response
    headers = getattr(response, "headers", None) or {}  # an httpx answer's (case-insensitive) or none
    value = headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def hub_error(exc: BaseException, *, what: str, submitted: bool = False) -> Exception:
    """Turn any failure of a Hub call into a `HubError` that says what happened and what to do.

    `what` names the action ("list jobs", "inspect job 6a2b..."). `submitted=True` marks a request
    that may have reached the Hub (a job submission): the advice is then to check before resending.
    """
    from hf_train_mcp.errors import AgentError

    if isinstance(exc, AgentError) or type(exc).__name__ == "ToolError":
        return exc
    from huggingface_hub.errors import LocalTokenNotFoundError, OfflineModeIsEnabled

    if isinstance(exc, LocalTokenNotFoundError):
        return HubError(NO_TOKEN_HELP)
    if isinstance(exc, OfflineModeIsEnabled):
        return HubError(
            f"Could not {what}: HF_HUB_OFFLINE is set, so this server does not contact the Hub. Unset it "
            "(and restart the server) to use the Hub, or work with local files."
        )
    status = status_of(exc)
    server_message = getattr(exc, "server_message", None) or ""
    detail = redact(server_message or (str(exc).splitlines()[0] if str(exc) else "no details"))
    detail = detail[:500]
    resend = (
        ' The request may have reached the Hub: run `ps` (with {"all": true}) before submitting again, '
        "so the job is not started twice."
        if submitted
        else ""
    )
    if status == 401:
        msg = (
            f"Could not {what}: the Hub rejected the token (401 Unauthorized: {detail}). The token is "
            "missing, expired or invalid: run `hf auth login` or set HF_TOKEN to a valid token."
        )
    elif status == 403:
        msg = (
            f"Could not {what}: forbidden (403: {detail}). The token is read-only or lacks access to this "
            "namespace; Jobs need a token with write access to the namespace they run in."
        )
    elif status == 402:
        msg = (
            f"Could not {what}: payment required (402: {detail}). The Hub refused to bill this job: the "
            f"account (or the organization named as namespace) has no credit or payment method left. "
            f"{JOBS_ACCOUNT}: add credit or a payment method at {BILLING_URL} (an organization's at "
            "https://huggingface.co/organizations/<org>/settings/billing), then submit again. Nothing was "
            'started; flavor "local" runs the job on this machine meanwhile.'
        )
    elif status == 404:
        msg = f"Could not {what}: not found (404: {detail}). Check the id and the namespace."
    elif status == 409:
        msg = f"Could not {what}: conflict (409: {detail})."
    elif status == 429:
        msg = (
            f"Could not {what}: the Hub is rate limiting (429: {detail}). "
            f"Wait a minute and try again.{resend}"
        )
    elif status is not None and status >= 500:
        msg = f"Could not {what}: the Hub failed ({status}: {detail}). Try again in a minute.{resend}"
    elif status is not None:
        msg = f"Could not {what}: the Hub answered {status}: {detail}"
    elif isinstance(exc, HubDeadlineError):
        msg = (
            f"Could not {what}: the Hub did not answer within this call's time limit "
            f"({budget_seconds():.0f}s; HF_TRAIN_MCP_HUB_TIMEOUT={hub_timeout():g}s a request)."
            f"{resend or ' Check the network and HF_ENDPOINT, then try again.'}"
        )
    elif is_timeout(exc):
        msg = f"Could not {what}: the Hub did not answer in time ({detail}).{resend or ' Try again.'}"
    elif _is_connect_error(exc):
        msg = (
            f"Could not {what}: cannot reach the Hub at {endpoint()} ({detail}). Check the network "
            "and HF_ENDPOINT."
        )
    else:
        msg = f"Could not {what}: {detail}"
    return HubError(redact(msg), status=status)
