"""Finds the files shipped beside the code: `script_templates/` and `skills/`.

In an installed wheel they live inside the package (hatch force-includes them); in a checkout or an
editable install they are at the repository root. Both must work, so look in the package first.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_CHECKOUT_ROOT = _PACKAGE_DIR.parents[1]


@cache
def shipped_dir(name: str) -> Path:
    """Directory `name` ("script_templates" or "skills"), from the wheel or else the checkout."""
    for candidate in (_PACKAGE_DIR / name, _CHECKOUT_ROOT / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"{name}/ is missing: neither {_PACKAGE_DIR / name} nor {_CHECKOUT_ROOT / name} exists; "
        "reinstall hf-train-mcp"
    )


def templates_dir() -> Path:
    return shipped_dir("script_templates")


def skills_dir() -> Path:
    return shipped_dir("skills")
