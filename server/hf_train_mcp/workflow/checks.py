"""Pre-flight facts about the account and the model, read through `huggingface_hub`.

These are the checks the training skill used to ask agents to do by hand before paying for a GPU:
can this token push, does the model exist and can it be read.
"""

from __future__ import annotations

from dataclasses import dataclass

from hf_train_mcp import access, hub
from hf_train_mcp.errors import AgentError

WRITE_ROLES = frozenset({"write", "admin"})


class PrepareError(AgentError, ValueError):
    """The run cannot be prepared; the message says why and what to send instead (the tool layer turns
    it into an MCP error). Hub failures keep hub.py's own error, already worded for the agent."""


@dataclass
class Account:
    user: str | None
    role: str | None  # "read", "write", "fineGrained", or None when the Hub does not say

    @property
    def can_write(self) -> bool | None:
        """True/False when the token's role says so; None for fine-grained tokens (scopes vary)."""
        if self.role in WRITE_ROLES:
            return True
        if self.role == "read":
            return False
        return None


def account() -> Account | None:
    """Who the token belongs to and what it may do; None when no token is configured."""
    token = hub.get_token()
    if not token:
        return None
    api = hub.get_api(token)
    try:
        info = hub.call_with_retries(lambda: api.whoami(), what="whoami")
    except Exception as exc:
        raise hub.hub_error(exc, what="check the token (whoami)") from exc
    access = (info.get("auth") or {}).get("accessToken") or {}
    return Account(user=info.get("name"), role=access.get("role"))


def check_model(model: str) -> str:
    """Confirm the model exists and is readable; returns where it was found ("local" or "hub")."""
    # the access policy before any look at the disk: outside the allowed folders, one answer
    path = access.local_path(model, argument="model", what="a model folder")
    if path is not None:
        if not path.exists():
            raise PrepareError(
                f"{model}: no such folder on this machine. Point `model` at a saved model folder "
                "(save_pretrained output) or use a Hub model id such as 'Qwen/Qwen2.5-0.5B'."
            )
        if not (path / "config.json").is_file():
            raise PrepareError(
                f"{model} is a local path without a config.json: point `model` at a saved model folder "
                "(save_pretrained output) or use a Hub model id such as 'Qwen/Qwen2.5-0.5B'."
            )
        return "local"
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    api = hub.get_api()
    try:
        hub.call_with_retries(lambda: api.model_info(model), what=f"model_info {model}")
    except GatedRepoError:
        raise PrepareError(
            f"{model} is gated: accept its terms on {hub.endpoint()}/{model} with the account of your "
            "token, then call again."
        ) from None
    except RepositoryNotFoundError:
        raise PrepareError(
            f"Unknown model '{model}': no such model on {hub.endpoint()} (or it is private and the "
            "token cannot read it). Check the spelling (owner/name, e.g. 'Qwen/Qwen2.5-0.5B')."
        ) from None
    except Exception as exc:
        raise hub.hub_error(exc, what=f"check that model {model} exists") from exc
    return "hub"
