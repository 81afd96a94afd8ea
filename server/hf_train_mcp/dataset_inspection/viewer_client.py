"""A small client of the Hugging Face dataset viewer API (datasets-server): /is-valid, /splits,
/first-rows and /info, at the endpoint of HF_DATASETS_SERVER (read at call time).

It goes through `huggingface_hub`'s shared HTTP session so proxies and the user agent match the rest
of the server; the caller's token is sent as a Bearer token when there is one (and never logged).
5xx, 429, timeouts and connection errors are retried by `hub.call_with_retries`, the one retry layer.
"""

from __future__ import annotations

import os
from typing import Any

from hf_train_mcp import hub

DEFAULT_VIEWER = "https://datasets-server.huggingface.co"
TIMEOUT_S = 15.0
RETRY_ATTEMPTS = 3
RETRY_BASE_DELAY = 0.5


def viewer_endpoint() -> str:
    return (os.environ.get("HF_DATASETS_SERVER") or DEFAULT_VIEWER).rstrip("/")


class ViewerError(Exception):
    """A non-2xx answer of the viewer: `status`, the `X-Error-Code` (`code`) and its message.

    `response` is kept so `hub.status_of` (and the retry logic) see the status.
    """

    def __init__(self, status: int | None, code: str | None, message: str, response: Any = None) -> None:
        super().__init__(f"{status} {code or ''}: {message}".strip())
        self.status = status
        self.code = code
        self.message = message
        self.response = response

    @property
    def not_accessible(self) -> bool:
        """The dataset is missing, private or gated (the viewer cannot say which)."""
        return self.status in (401, 403) or (self.status == 404 and self.code != "ResponseNotFound")


def viewer_error(response: Any) -> ViewerError:
    """The `ViewerError` of a non-2xx answer: its status, `X-Error-Code` and message."""
    try:
        body = response.json()
        message = body.get("error") if isinstance(body, dict) else None
    except ValueError:
        message = None
    return ViewerError(
        response.status_code,
        response.headers.get("X-Error-Code"),
        str(message or response.text[:300] or response.reason_phrase),
        response,
    )


class ViewerClient:
    def __init__(self, token: str | None = None, base_url: str | None = None) -> None:
        self.base_url = (base_url or viewer_endpoint()).rstrip("/")
        self._token = token

    def _get_once(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        from huggingface_hub.utils import build_hf_headers, get_session

        headers = build_hf_headers(token=self._token or False)
        response = get_session().get(
            f"{self.base_url}{path}", params=params, headers=headers, timeout=TIMEOUT_S, follow_redirects=True
        )
        if response.status_code >= 400:
            raise viewer_error(response)
        try:
            data = response.json()
        except ValueError as exc:
            raise ViewerError(response.status_code, None, f"not JSON: {response.text[:200]}") from exc
        if not isinstance(data, dict):
            raise ViewerError(response.status_code, None, f"unexpected answer: {str(data)[:200]}")
        return data

    def _get(self, path: str, **params: str) -> dict[str, Any]:
        try:
            return hub.call_with_retries(
                lambda: self._get_once(path, params),
                what=f"dataset viewer {path}",
                attempts=RETRY_ATTEMPTS,
                base_delay=RETRY_BASE_DELAY,
            )
        except Exception as exc:
            # A 429/5xx the retry layer gave up on arrives as the Hub client's error: say it as the viewer's
            response = getattr(exc, "response", None)
            if isinstance(exc, ViewerError) or getattr(response, "status_code", None) is None:
                raise
            raise viewer_error(response) from None

    def is_valid(self, dataset: str) -> dict[str, Any]:
        return self._get("/is-valid", dataset=dataset)

    def splits(self, dataset: str) -> dict[str, Any]:
        return self._get("/splits", dataset=dataset)

    def first_rows(self, dataset: str, config: str, split: str) -> dict[str, Any]:
        return self._get("/first-rows", dataset=dataset, config=config, split=split)

    def info(self, dataset: str, config: str) -> dict[str, Any]:
        return self._get("/info", dataset=dataset, config=config)


# --- feature types ------------------------------------------------------------------------------
def feature_type(feature: Any) -> str:
    """A short type name for a `datasets` feature JSON (both the `List` and the legacy forms)."""
    if isinstance(feature, list):  # legacy: [inner] is a list of inner
        return f"list[{feature_type(feature[0]) if feature else '?'}]"
    if not isinstance(feature, dict):
        return str(feature)
    kind = feature.get("_type")
    if kind == "Value":
        return str(feature.get("dtype", "?"))
    if kind in ("List", "Sequence", "LargeList"):
        inner = feature.get("feature")
        if isinstance(inner, dict) and "_type" not in inner:
            if {"role", "content"} <= set(inner):
                return "list[{role, content}]"
            if {"from", "value"} <= set(inner):
                return "list[{from, value}]"
        return f"list[{feature_type(inner)}]"
    if kind == "ClassLabel":
        names = feature.get("names") or []
        shown = ", ".join(map(str, names[:5])) + (", ..." if len(names) > 5 else "")
        return f"class_label({shown})"
    if kind in ("Image", "Audio", "Video", "Pdf"):
        return kind.lower()
    if kind in ("Array2D", "Array3D", "Array4D", "Array5D"):
        return f"{kind.lower()}[{feature.get('dtype', '?')}]"
    if kind == "Translation":
        return "translation"
    if kind is None:  # a struct
        keys = list(feature)
        if {"role", "content"} <= set(keys):
            return "{role, content}"
        return "{" + ", ".join(keys[:6]) + (", ..." if len(keys) > 6 else "") + "}"
    return str(kind)


def synthetic_value(feature: Any) -> Any:
    """A stand-in value of a feature's shape, for cells the viewer truncated to a string."""
    if isinstance(feature, list):
        return [synthetic_value(feature[0])] if feature else []
    if not isinstance(feature, dict):
        return None
    kind = feature.get("_type")
    if kind == "Value":
        dtype = str(feature.get("dtype", "string"))
        if dtype == "bool":
            return True
        if dtype.startswith(("int", "uint")):
            return 0
        if dtype.startswith("float"):
            return 0.0
        return "..."
    if kind in ("List", "Sequence", "LargeList"):
        inner = feature.get("feature")
        value = synthetic_value(inner)
        if isinstance(value, dict) and "role" in value:
            value["role"] = "user"
        return [value]
    if kind == "ClassLabel":
        return 0
    if kind is None:
        return {k: synthetic_value(v) for k, v in feature.items()}
    return None
