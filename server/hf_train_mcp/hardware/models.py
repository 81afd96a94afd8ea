"""Model shapes: parameter count, layers, hidden size, heads, vocabulary.

Where a shape comes from, in order:
1. a local path (a folder with config.json, or the config.json itself): the config gives the shape, the
   safetensors headers give the exact parameter count;
2. the bundled table (models.json: popular models, copied from their public config.json files), so the
   common case works offline and in microseconds;
3. the Hub, through huggingface_hub (so HF_ENDPOINT applies): config.json and the safetensors parameter
   count from the model info. Gated repos usually refuse config.json but still give the parameter count;
   the geometry is then borrowed from the bundled model of the nearest size.
`params_b` overrides the parameter count; with no model at all it is enough on its own (geometry again
borrowed from the nearest bundled model).

Nothing heavy is imported here; huggingface_hub only when the Hub is actually asked.
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
import threading
from dataclasses import asdict, dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from hf_train_mcp import access
from hf_train_mcp.hardware.contract import UnknownModelError

__all__ = ["ModelShape", "UnknownModelError", "resolve"]


@dataclass(frozen=True)
class ModelShape:
    name: str
    params: int  # every weight the checkpoint loads
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab: int
    intermediate: int
    tied_embeddings: bool
    experts: int = 1  # mixture of experts: experts per layer (1 = dense)
    experts_per_token: int = 1
    model_type: str = ""
    source: str = ""  # where the shape came from, in words
    attn_quadratic: bool = False  # eager attention (Gemma 2's soft-capping): the s x s scores are stored
    quantized: bool = False  # the checkpoint itself is quantized (a -bnb-4bit / GPTQ / AWQ upload)

    @property
    def params_b(self) -> float:
        return self.params / 1e9

    @property
    def q_dim(self) -> int:
        return self.heads * self.head_dim

    @property
    def kv_dim(self) -> int:
        return self.kv_heads * self.head_dim

    @property
    def embedding_params(self) -> int:
        return self.vocab * self.hidden

    @property
    def lm_head_params(self) -> int:
        """Separate output projection; 0 when it shares the embedding matrix."""
        return 0 if self.tied_embeddings else self.vocab * self.hidden

    @property
    def attention_params_per_layer(self) -> int:
        return 2 * self.hidden * self.q_dim + 2 * self.hidden * self.kv_dim

    @property
    def mlp_params_per_layer(self) -> int:
        """Gated MLP (gate, up, down), all experts."""
        return 3 * self.hidden * self.intermediate * self.experts

    @property
    def block_linear_params(self) -> int:
        """Weights outside the embeddings, output head and norms: the linear layers QLoRA quantizes."""
        return max(
            0, self.params - self.embedding_params - self.lm_head_params - 2 * self.layers * self.hidden
        )

    @property
    def active_params(self) -> int:
        """Parameters used per token (mixture of experts: only the routed experts)."""
        if self.experts <= 1:
            return self.params
        inactive = self.layers * 3 * self.hidden * self.intermediate * (self.experts - self.experts_per_token)
        return self.params - inactive

    @property
    def largest_layer_params(self) -> int:
        return self.attention_params_per_layer + self.mlp_params_per_layer

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data["params_b"] = round(self.params_b, 3)
        return data


# ---------------------------------------------------------------------------------------------- bundled


@cache
def _bundled_rows() -> tuple[dict[str, Any], ...]:
    text = resources.files("hf_train_mcp.hardware").joinpath("models.json").read_text()
    return tuple(json.loads(text)["models"])


_SUFFIXES = re.compile(
    r"(-(instruct|it|chat|hf|base|pt|bnb-4bit|bnb-8bit|unsloth|awq|gptq|gguf|fp8|int4|int8|\d{4}))+$"
)


def _norm(name: str) -> str:
    base = name.strip().rstrip("/").split("/")[-1].lower()
    base = base.removeprefix("meta-")
    return _SUFFIXES.sub("", base)


def _shape_from_row(row: dict[str, Any], name: str, source: str) -> ModelShape:
    return ModelShape(
        name=name,
        params=int(row["params"]),
        layers=row["layers"],
        hidden=row["hidden"],
        heads=row["heads"],
        kv_heads=row["kv_heads"],
        head_dim=row["head_dim"],
        vocab=row["vocab"],
        intermediate=row["intermediate"],
        tied_embeddings=row["tied_embeddings"],
        experts=row.get("experts", 1),
        experts_per_token=row.get("experts_per_token", 1),
        model_type=row.get("model_type", ""),
        source=source,
        attn_quadratic=row.get("model_type") == "gemma2",
    )


@cache
def _bundled_index() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    exact: dict[str, dict[str, Any]] = {}
    normalized: dict[str, dict[str, Any]] = {}
    for row in _bundled_rows():
        for repo in row["ids"]:
            exact[repo.lower()] = row
            normalized.setdefault(_norm(repo), row)
    return exact, normalized


def bundled_shape(model: str) -> ModelShape | None:
    """The bundled shape for a Hub id (exact, or the same name under another owner/suffix)."""
    exact, normalized = _bundled_index()
    row = exact.get(model.strip().lower())
    if row is not None:
        return _shape_from_row(row, model, "bundled table (public config.json)")
    row = normalized.get(_norm(model))
    if row is not None:
        quantized = bool(re.search(r"(bnb|awq|gptq|int4|int8|fp8)", model.lower()))
        shape = _shape_from_row(row, model, f"bundled table, same shape as {row['ids'][0]}")
        return replace(shape, quantized=quantized)
    return None


def bundled_names() -> list[str]:
    return [row["ids"][0] for row in _bundled_rows()]


def nearest_geometry(params: float, name: str, source: str) -> ModelShape:
    """A shape for `params` parameters, borrowing layers/hidden/vocab from the closest bundled dense model."""
    dense = [r for r in _bundled_rows() if r.get("experts", 1) == 1]
    row = min(dense, key=lambda r: abs(math.log(r["params"] / params)))
    shape = _shape_from_row(row, name, f"{source}; geometry of {row['ids'][0]}")
    return replace(shape, params=int(params))


# ------------------------------------------------------------------------------------------------ config


def shape_from_config(config: dict[str, Any], name: str, *, params: int | None, source: str) -> ModelShape:
    """Read a transformers config.json (nested text_config for multimodal models)."""
    cfg = config
    if isinstance(config.get("text_config"), dict) and "hidden_size" in config["text_config"]:
        cfg = {**config, **config["text_config"]}
    model_type = str(cfg.get("model_type") or config.get("model_type") or "")
    hidden = _first(cfg, "hidden_size", "n_embd", "d_model")
    layers = _first(cfg, "num_hidden_layers", "n_layer", "num_layers")
    heads = _first(cfg, "num_attention_heads", "n_head")
    vocab = _first(cfg, "vocab_size")
    if not all(isinstance(v, int) and v > 0 for v in (hidden, layers, heads, vocab)):
        raise UnknownModelError(
            f"{name}: config.json lacks hidden_size/num_hidden_layers/num_attention_heads/vocab_size "
            "(not a decoder language model?). Pass params_b to estimate from the parameter count alone."
        )
    kv_heads = cfg.get("num_key_value_heads") or heads
    head_dim = cfg.get("head_dim") or hidden // heads
    intermediate = _first(cfg, "intermediate_size", "n_inner", "ffn_dim") or 4 * hidden
    experts = _first(cfg, "num_local_experts", "num_experts", "n_routed_experts") or 1
    per_token = _first(cfg, "num_experts_per_tok", "moe_topk") or 1
    if experts > 1:
        intermediate = _first(cfg, "moe_intermediate_size") or intermediate
    tied = cfg.get("tie_word_embeddings")
    if tied is None:
        tied = not any(model_type.startswith(t) for t in ("llama", "mistral", "mixtral", "qwen", "phi3"))
    shape = ModelShape(
        name=name,
        params=0,
        layers=int(layers),
        hidden=int(hidden),
        heads=int(heads),
        kv_heads=int(kv_heads),
        head_dim=int(head_dim),
        vocab=int(vocab),
        intermediate=int(intermediate),
        tied_embeddings=bool(tied),
        experts=int(experts),
        experts_per_token=int(per_token) if experts > 1 else 1,
        model_type=model_type,
        source=source,
        attn_quadratic=model_type == "gemma2",
        quantized="quantization_config" in config,
    )
    formula = (
        shape.layers * (shape.attention_params_per_layer + shape.mlp_params_per_layer + 2 * shape.hidden)
        + shape.embedding_params
        + shape.lm_head_params
        + shape.hidden
    )
    if shape.quantized or not params:
        return replace(shape, params=formula)
    return replace(shape, params=int(params))


def _first(cfg: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if cfg.get(key) is not None:
            return cfg[key]
    return None


def local_shape(path: str | os.PathLike[str]) -> ModelShape:
    """Shape of a model on disk: a folder with config.json (and safetensors), or a config.json file."""
    access.require_local("Reading a model folder from this machine's disk")
    p = Path(path).expanduser()
    folder = p.parent if p.is_file() else p
    config_path = p if p.is_file() else p / "config.json"
    if not config_path.is_file():
        raise UnknownModelError(f"{path}: no config.json there. Pass the model folder, or params_b.")
    try:
        config = json.loads(config_path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise UnknownModelError(f"{config_path}: not readable JSON ({exc}). Pass params_b instead.") from exc
    params = count_safetensors_params(folder)
    source = "local config.json" + (" + safetensors headers" if params else ", parameters from the shape")
    return shape_from_config(config, str(path), params=params, source=source)


def count_safetensors_params(folder: Path) -> int | None:
    """Sum of tensor sizes in the safetensors headers (reads only the headers)."""
    total = 0
    files = sorted(folder.glob("*.safetensors"))
    for file in files:
        try:
            with file.open("rb") as handle:
                (length,) = struct.unpack("<Q", handle.read(8))
                if length > 100_000_000:
                    return None
                header = json.loads(handle.read(length))
        except (OSError, struct.error, json.JSONDecodeError, UnicodeDecodeError):
            return None
        for key, entry in header.items():
            if key != "__metadata__" and isinstance(entry, dict):
                total += math.prod(entry.get("shape") or [1])
    return total or None


# --------------------------------------------------------------------------------------------------- Hub

_hub_cache: dict[str, ModelShape] = {}
_hub_lock = threading.Lock()


def hub_shape(repo_id: str) -> ModelShape:
    """config.json and the safetensors parameter count from the Hub (HF_ENDPOINT applies)."""
    with _hub_lock:
        cached = _hub_cache.get(repo_id)
    if cached is not None:
        return cached
    from hf_train_mcp.hub import call_with_retries, get_api

    api = get_api()
    params: int | None = None
    config: dict[str, Any] | None = None
    errors: list[str] = []
    try:
        info = call_with_retries(
            lambda: api.model_info(repo_id, expand=["safetensors"]), what=f"model_info {repo_id}"
        )
        safetensors = getattr(info, "safetensors", None)
        params = int(safetensors.total) if safetensors is not None and safetensors.total else None
    except Exception as exc:
        # Missing repo, no access or no Hub: asking for config.json too would only add the
        # client's retries (about 20 s against an unreachable Hub).
        errors.append(f"model info: {_short(exc)}")
    else:
        try:
            config = json.loads(Path(_config_file(api, repo_id)).read_text())
        except Exception as exc:
            errors.append(f"config.json: {_short(exc)}")
    if config is not None:
        source = "Hub config.json" + (" + safetensors parameter count" if params else "")
        shape = shape_from_config(config, repo_id, params=params, source=source)
    elif params:
        shape = nearest_geometry(params, repo_id, "Hub safetensors parameter count (config.json unreadable)")
    else:
        raise UnknownModelError(
            f"Could not find the shape of {repo_id!r}: not in the bundled table and the Hub did not answer "
            f"({'; '.join(errors)}). Pass params_b (parameter count in billions), or a local path to the "
            "model folder; check the id and HF_ENDPOINT, or your token for gated/private models."
        )
    with _hub_lock:
        _hub_cache[repo_id] = shape
    return shape


def _config_file(api: Any, repo_id: str) -> str:
    from hf_train_mcp.hub import download

    return download(api, repo_id, "config.json", what=f"download config.json of {repo_id}", etag_timeout=5)


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return (text or "no details")[:200]  # the message, not the Python exception's name


def clear_cache() -> None:
    with _hub_lock:
        _hub_cache.clear()


# ------------------------------------------------------------------------------------------------ resolve


def _local_model(model: str) -> Path | None:
    """The model folder (or config.json) `model` names on disk, or None for a Hub id; the access policy
    decides before any look at the disk (a path outside the allowed folders: one answer, existing or not)."""
    return access.local_path(model, argument="model", what="a model folder")


def resolve(model: str | None, params_b: float | None = None, *, allow_hub: bool = True) -> ModelShape:
    """The shape to estimate with. Raises UnknownModelError saying what to pass instead."""
    if params_b is not None and not (params_b > 0):
        raise UnknownModelError(
            f"params_b must be a positive number of billions of parameters, got {params_b}."
        )
    if not model:
        if params_b is None:
            raise UnknownModelError("Give `model` (a Hub id or a local path) or `params_b` (billions).")
        return nearest_geometry(params_b * 1e9, f"{params_b:g}B model", "params_b")
    shape: ModelShape | None = None
    local = _local_model(model)
    if local is not None:
        if not local.exists():
            raise UnknownModelError(
                f"{model}: no such local path. Pass a Hub id, the model folder, or params_b."
            )
        shape = local_shape(local)
    else:
        shape = bundled_shape(model)
        if shape is None and allow_hub and "/" in model:
            try:
                shape = hub_shape(model)
            except UnknownModelError:
                if params_b is None:
                    raise
        if shape is None:
            if params_b is None:
                raise UnknownModelError(
                    f"{model!r} is not in the bundled table"
                    + (" and the Hub was not asked" if not allow_hub or "/" not in model else "")
                    + ". Pass params_b (parameter count in billions) or a local path to the model folder. "
                    "Bundled: " + ", ".join(bundled_names()[:12]) + ", ..."
                )
            return nearest_geometry(params_b * 1e9, model, "params_b")
    if params_b is not None:
        shape = replace(shape, params=int(params_b * 1e9), source=shape.source + "; params_b override")
    return shape
