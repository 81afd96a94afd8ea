"""The environment a job or a rehearsal starts with: what a program needs to run, not the server's secrets.

Local jobs and dry runs used to inherit the server's whole environment, so a server variable such as
`MY_SERVICE_PASSWORD` reached (and came back from) any script a caller ran. They now get only the
variables below (search path, home, locale, temp dir, CUDA/GPU selection, Hugging Face and uv/pip cache
and index settings, proxies and certificates), plus what the call itself asked for.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

KEPT_NAMES = frozenset(
    {
        "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "TZ", "TMPDIR", "TEMP", "TMP", "LANG", "LANGUAGE",
        "LD_LIBRARY_PATH", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
        "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
        "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "SYSTEMROOT",
        "HF_HOME", "HF_HUB_CACHE", "HF_DATASETS_CACHE", "HF_XET_CACHE", "HF_ENDPOINT", "HF_HUB_OFFLINE",
        "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "HF_DATASETS_SERVER",
        "TORCH_HOME", "TRITON_CACHE_DIR", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
    }
)  # fmt: skip
KEPT_PREFIXES = ("LC_", "CUDA_", "NVIDIA_", "ROCR_", "HIP_", "UV_", "PIP_", "NCCL_")
# Never passed on, even under a kept prefix: credentials for package indexes.
_NEVER = ("PASSWORD", "TOKEN", "SECRET", "CREDENTIAL", "API_KEY", "ACCESS_KEY", "PRIVATE_KEY")


def kept(name: str) -> bool:
    if any(word in name.upper() for word in _NEVER):
        return False
    return name in KEPT_NAMES or name.startswith(KEPT_PREFIXES)


def minimal_env(
    extra: Mapping[str, str] | None = None, *, source: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The kept variables of `source` (default: this process), then `extra` (what the call asked for)."""
    base = {
        name: value for name, value in (source if source is not None else os.environ).items() if kept(name)
    }
    base.setdefault("PATH", os.defpath)
    return {**base, **(extra or {})}
