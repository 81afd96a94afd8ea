"""What a training run is, validated before anything is rendered: one pydantic model per method.

`SFTRequest` / `DPORequest` hold what the agent asked for (with per-method defaults); `resolve()` runs the
pre-flight checks of ../shared/notes/training-facts.md against the target flavor and returns a `Plan`: every
value the template needs, already decided (dtype, attention, GPU count, timeout), plus the list of checks
that ran. Problems are collected, not raised one at a time, so an agent can fix them all in one go.

Light on purpose: pydantic and the hardware contract only, no trl/transformers/torch.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hf_train_mcp.jobs import timeouts as jobs_timeouts

Method = Literal["sft", "dpo"]
PeftKind = Literal["full", "lora", "qlora"]
DtypeChoice = Literal["auto", "bfloat16", "float16", "float32"]
AttnChoice = Literal["auto", "sdpa", "eager", "flash_attention_2"]
# How the script converts the rows after the column mapping: "sharegpt" turns the `messages` column's
# [{"from", "value"}] turns with ShareGPT role names (human/gpt) into TRL's [{"role", "content"}].
DatasetConversion = Literal["sharegpt"]

LOCAL_FLAVOR = "local"  # jobs.model.LOCAL_FLAVOR: run on this machine, GPU facts unknown until run time
FALLBACK_FLAVOR = "a10g-large"
FALLBACK_TIMEOUT = "2h"
TIMEOUT_FACTOR = 1.3  # a timeout at least 1.3 x the estimated run
DEFAULT_JOB_TIMEOUT_S = 30 * 60  # what Hugging Face Jobs use when no timeout is given

# TRL column names per method (../shared/notes/training-facts.md, "Dataset formats TRL accepts").
TRL_COLUMNS: dict[str, tuple[str, ...]] = {
    "sft": ("text", "messages", "prompt", "completion"),
    "dpo": ("prompt", "chosen", "rejected"),
}
# Column sets that make a complete dataset for the method (after the column mapping).
FORMATS: dict[str, tuple[tuple[str, ...], ...]] = {
    "sft": (("messages",), ("prompt", "completion"), ("text",)),
    "dpo": (("prompt", "chosen", "rejected"), ("chosen", "rejected")),
}

# Hub ids: "name" or "namespace/name"; letters, digits, "-", "_", "."; no "--" or ".." ; at most 96 per part.
_HUB_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
HUB_ID_RE = re.compile(rf"^(?:{_HUB_PART}/)?{_HUB_PART}$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_REVISION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")
_SPLIT_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-\[\]:%+]{0,99}$")
_TARGET_MODULE_RE = re.compile(r"^[A-Za-z0-9_.\-*]{1,100}$")


def is_hub_id(value: str) -> bool:
    return bool(HUB_ID_RE.match(value)) and "--" not in value and ".." not in value


def looks_like_path(value: str) -> bool:
    return value.startswith(("/", "./", "../", "~")) or value.endswith(
        (".jsonl", ".json", ".parquet", ".csv", ".arrow")
    )


def is_local_only(value: str) -> bool:
    """A path on this machine that a cloud job cannot read (a Hub id that also exists here is not)."""
    return looks_like_path(value) or (Path(value).expanduser().exists() and not is_hub_id(value))


def _check_reachable_from_a_job(req: _Request, checks: list[Check]) -> None:
    """A Hugging Face Job runs in the cloud: local paths in the script would fail there, after paying."""
    for what, value, repo_type in (("model", req.model, "model"), ("dataset", req.dataset, "dataset")):
        if is_local_only(value):
            checks.append(
                Check(
                    f"{what}_location",
                    "fail",
                    f"{what} {value!r} is a path on this machine: the job runs in the cloud and cannot "
                    "read it",
                    f"upload it (`hf upload <user>/<name> {value} --repo-type {repo_type}`) and pass the "
                    "repo id, or run it here with flavor 'local'",
                )
            )


def parse_timeout(value: str | int | float) -> int:
    """Seconds for a timeout, with the grammar hf_jobs accepts ('2h', '90m', '2h30m', 3600).

    Unlike hf_jobs, an empty value is an error here, not the 30-minute default."""
    if isinstance(value, str) and not value.strip():
        raise ValueError("timeout is empty: pass a duration such as '2h' or '90m'")
    return jobs_timeouts.parse_timeout(value)


def format_timeout(seconds: int) -> str:
    """Seconds -> the shortest hf_jobs duration that is not shorter ('2h', '95m', '30s')."""
    if seconds % 1800 == 0:
        return f"{seconds / 3600:g}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{math.ceil(seconds / 60)}m"


def _clean_text(value: str, what: str, *, max_len: int = 500) -> str:
    if not value or not value.strip():
        raise ValueError(f"{what} is empty")
    if len(value) > max_len:
        raise ValueError(f"{what} is longer than {max_len} characters")
    if _CONTROL_RE.search(value):
        raise ValueError(f"{what} contains control characters (newline, tab, NUL...): {value!r}")
    return value


class _Request(BaseModel):
    """Fields shared by every method; None means the method's default (see DEFAULT_LR, DEFAULT_BATCH)."""

    model_config = ConfigDict(extra="forbid", frozen=False)

    method: Method
    peft: PeftKind = "lora"
    model: str
    model_revision: str | None = None
    trust_remote_code: bool = False
    # data
    dataset: str
    dataset_config: str | None = None
    split: str = "train"
    eval_split: str | None = None
    eval_fraction: Annotated[float, Field(gt=0, lt=0.5)] | None = None
    max_rows: Annotated[int, Field(ge=1)] | None = None
    column_mapping: dict[str, str] = Field(default_factory=dict)
    dataset_conversion: DatasetConversion | None = None
    dataset_columns: list[str] | None = None
    # output
    hub_model_id: str | None = None
    output_dir: str | None = None
    push_to_hub: bool = True
    private: bool = True
    # hardware
    flavor: str | None = None
    timeout: str | None = None
    dtype: DtypeChoice = "auto"
    attn_implementation: AttnChoice = "auto"
    # hyperparameters (None: the method's default)
    learning_rate: Annotated[float, Field(gt=0, lt=1)] | None = None
    num_train_epochs: Annotated[float, Field(gt=0, le=100)] = 1.0
    max_steps: Annotated[int, Field(ge=1)] | None = None
    per_device_train_batch_size: Annotated[int, Field(ge=1, le=1024)] | None = None
    gradient_accumulation_steps: Annotated[int, Field(ge=1, le=1024)] | None = None
    max_length: Annotated[int, Field(ge=16, le=262144)] = 1024
    warmup_ratio: Annotated[float, Field(ge=0, lt=1)] = 0.03
    lr_scheduler_type: Literal["linear", "cosine", "constant", "constant_with_warmup"] = "cosine"
    weight_decay: Annotated[float, Field(ge=0, le=1)] = 0.0
    gradient_checkpointing: bool = True
    logging_steps: Annotated[int, Field(ge=1)] = 10
    save_steps: Annotated[int, Field(ge=1)] = 100
    save_every_minutes: Annotated[float, Field(ge=1)] | None = 30.0
    eval_strategy: Literal["auto", "no", "steps", "epoch"] = "auto"
    eval_steps: Annotated[int, Field(ge=1)] | None = None
    seed: int = 42
    lora_r: Annotated[int, Field(ge=1, le=1024)] = 16
    lora_alpha: Annotated[int, Field(ge=1, le=4096)] = 32
    lora_dropout: Annotated[float, Field(ge=0, lt=1)] = 0.05
    lora_target_modules: str | list[str] = "all-linear"
    # reporting
    trackio: bool = False
    trackio_project: str | None = None
    trackio_space_id: str | None = None
    run_name: str | None = None

    @field_validator("model", "dataset", "output_dir")
    @classmethod
    def _no_control_chars(cls, value: str | None, info: Any) -> str | None:
        return None if value is None else _clean_text(value, info.field_name)

    @field_validator("run_name", "trackio_project", "dataset_config")
    @classmethod
    def _short_text(cls, value: str | None, info: Any) -> str | None:
        return None if value is None else _clean_text(value, info.field_name, max_len=200)

    @field_validator("model_revision")
    @classmethod
    def _revision(cls, value: str | None) -> str | None:
        if value is not None and not _REVISION_RE.match(value):
            raise ValueError(f"model_revision {value!r} is not a branch, tag or commit hash")
        return value

    @field_validator("split", "eval_split")
    @classmethod
    def _split(cls, value: str | None, info: Any) -> str | None:
        if value is not None and not _SPLIT_RE.match(value):
            raise ValueError(
                f"{info.field_name} {value!r} is not a split name such as 'train', 'test' or 'train[:1000]'"
            )
        return value

    @field_validator("hub_model_id", "trackio_space_id")
    @classmethod
    def _hub_id(cls, value: str | None, info: Any) -> str | None:
        if value is not None and not is_hub_id(value):
            raise ValueError(
                f"{info.field_name} {value!r} is not a Hub repo id: use 'your-username/model-name' "
                "(letters, digits, '-', '_', '.'; at most 96 characters per part)"
            )
        return value

    @field_validator("column_mapping")
    @classmethod
    def _mapping(cls, value: dict[str, str]) -> dict[str, str]:
        for target, source in value.items():
            _clean_text(target, "column_mapping key", max_len=200)
            _clean_text(source, "column_mapping value", max_len=200)
        if len(set(value.values())) != len(value):
            raise ValueError("column_mapping maps one dataset column onto two TRL columns")
        return value

    @field_validator("dataset_columns")
    @classmethod
    def _columns(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            for column in value:
                _clean_text(column, "dataset column", max_len=200)
        return value

    @field_validator("lora_target_modules")
    @classmethod
    def _targets(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, str):
            if value != "all-linear":
                raise ValueError("lora_target_modules is 'all-linear' or a list of module names")
            return value
        if not value:
            raise ValueError("lora_target_modules is empty")
        for name in value:
            if not _TARGET_MODULE_RE.match(name):
                raise ValueError(f"lora target module {name!r} is not a module name such as 'q_proj'")
        return value


class SFTRequest(_Request):
    """Supervised fine-tuning (full, LoRA or QLoRA) on text, messages or prompt/completion data."""

    method: Literal["sft"] = "sft"
    packing: bool = False
    assistant_only_loss: bool = False
    completion_only_loss: bool | None = None


class DPORequest(_Request):
    """Direct preference optimisation on prompt/chosen/rejected (or chosen/rejected) pairs."""

    method: Literal["dpo"] = "dpo"
    beta: Annotated[float, Field(gt=0, le=10)] = 0.1
    loss_type: Literal["sigmoid", "hinge", "ipo", "robust", "sigmoid_norm"] = "sigmoid"


REQUEST_MODELS: dict[str, type[_Request]] = {"sft": SFTRequest, "dpo": DPORequest}

# (method, peft) -> learning rate; batch size and accumulation per method.
DEFAULT_LR = {
    ("sft", "full"): 2e-5,
    ("sft", "lora"): 2e-4,
    ("sft", "qlora"): 2e-4,
    ("dpo", "full"): 5e-7,
    ("dpo", "lora"): 5e-6,
    ("dpo", "qlora"): 5e-6,
}
DEFAULT_BATCH = {"sft": (4, 4), "dpo": (2, 8)}


@dataclass
class Check:
    """One pre-flight check: what was checked, whether it passed, and what to do if not."""

    name: str
    status: Literal["pass", "fail", "warn", "info"]
    message: str
    fix: str | None = None
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class Plan:
    """Everything the template needs, decided; `config` becomes the script's CONFIG literal."""

    method: Method
    peft: PeftKind
    flavor: str
    timeout: str
    timeout_seconds: int
    gpu_count: int
    config: dict[str, Any]
    checks: list[Check] = field(default_factory=list)
    estimate: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not any(c.status == "fail" for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]


class RequestError(ValueError):
    """The request does not even parse: each problem with its fix."""

    def __init__(self, problems: list[Check]):
        self.problems = problems
        super().__init__("; ".join(f"{p.message} Fix: {p.fix}" if p.fix else p.message for p in problems))


def parse_request(data: dict[str, Any]) -> _Request:
    """Build the request model for data["method"]; pydantic errors become `RequestError`."""
    method = data.get("method")
    model_cls = REQUEST_MODELS.get(method)  # type: ignore[arg-type]
    if model_cls is None:
        raise RequestError(
            [Check("method", "fail", f"method {method!r} is not supported", "use 'sft' or 'dpo'")]
        )
    try:
        return model_cls.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "request"
            message = err["msg"].removeprefix("Value error, ")
            fix = None
            if err["type"] == "extra_forbidden":
                owners = [m for m, cls in REQUEST_MODELS.items() if where in cls.model_fields]
                if owners:
                    message = f"{where} applies to method {owners[0]!r} only, not {method!r}"
                    fix = f"remove {where}"
                else:
                    message = f"{where} is not an argument of method {method!r}"
                    fix = "remove it; arguments are: " + ", ".join(sorted(model_cls.model_fields))
            problems.append(Check(where, "fail", f"{where}: {message}", fix))
        raise RequestError(problems) from None


def _flavor_facts(flavor: str) -> Any:
    from hf_train_mcp.hardware.api import flavor_info

    return flavor_info(flavor)


def _hardware_errors() -> tuple[type[BaseException], ...]:
    """The hardware model's own "cannot estimate this" errors (absent while it is not built)."""
    from hf_train_mcp.hardware import api

    error = getattr(api, "HardwareError", None)
    return (error,) if isinstance(error, type) else ()


def _estimate_dict(rec: Any) -> dict[str, Any]:
    return {
        "flavor": rec.flavor,
        "est_hours": rec.est_hours,
        "est_cost_usd": rec.est_cost_usd,
        "fits": rec.fits,
        "memory": rec.memory,
        "notes": list(rec.notes),
        "timeout": rec.timeout,
    }


def _recommend(req: _Request, checks: list[Check]) -> tuple[str | None, str | None, dict[str, Any] | None]:
    """Flavor, timeout and estimate from the hardware model; a conservative default while it is not built."""
    from hf_train_mcp.hardware import api

    try:
        rec = api.recommend(_training_plan(req))
    except NotImplementedError:
        checks.append(
            Check(
                "flavor",
                "info",
                f"no flavor given and the hardware model is not available yet: using {FALLBACK_FLAVOR} "
                f"with a {FALLBACK_TIMEOUT} timeout",
                "pass flavor= (and timeout=) to choose; run recommend_hardware for an estimate",
            )
        )
        return FALLBACK_FLAVOR, None, None
    except _hardware_errors() as exc:
        checks.append(
            Check(
                "flavor",
                "fail",
                f"no flavor given and none could be recommended: {exc}",
                "pass flavor= (e.g. 'a10g-large') and timeout=",
            )
        )
        return None, None, None
    checks.append(Check("flavor", "info", f"recommended flavor {rec.flavor} (timeout {rec.timeout})"))
    if not rec.fits:
        checks.append(
            Check(
                "memory",
                "warn",
                f"the run may not fit in memory even on {rec.flavor}: " + "; ".join(rec.notes[:3]),
                "use peft='lora' or 'qlora', a smaller max_length or batch size, or a smaller model",
            )
        )
    return rec.flavor, rec.timeout, _estimate_dict(rec)


def _estimate(req: _Request, flavor: str, checks: list[Check]) -> dict[str, Any] | None:
    """The hardware model's figures for the chosen flavor; None (with a note) when it cannot tell."""
    from hf_train_mcp.hardware import api

    try:
        rec = api.estimate(_training_plan(req), flavor)
    except NotImplementedError:
        return None
    except _hardware_errors() as exc:
        checks.append(Check("estimate", "info", f"no run estimate: {exc}", "pass timeout= explicitly"))
        return None
    if not rec.fits:
        checks.append(
            Check(
                "memory",
                "warn",
                f"the run may not fit in {flavor}'s memory: " + "; ".join(rec.notes[:3]),
                "use peft='lora' or 'qlora', a smaller max_length or batch size, or a larger flavor",
            )
        )
    return _estimate_dict(rec)


def _training_plan(req: _Request) -> Any:
    from hf_train_mcp.hardware.api import TrainingPlan

    batch, accumulation = DEFAULT_BATCH[req.method]
    return TrainingPlan(
        model=req.model,
        method=req.method,
        peft=req.peft,
        max_length=req.max_length,
        batch_size=req.per_device_train_batch_size or batch,
        gradient_accumulation=req.gradient_accumulation_steps or accumulation,
        gradient_checkpointing=req.gradient_checkpointing,
        packing=bool(getattr(req, "packing", False)),
        dataset_examples=req.max_rows,
        epochs=req.num_train_epochs,
        max_steps=req.max_steps,
    )


def resolve(req: _Request, *, pinned: dict[str, str]) -> Plan:
    """Run every pre-flight check and decide every value. Never raises for a bad setting: see Plan.checks."""
    checks: list[Check] = []
    method, peft = req.method, req.peft

    # --- flavor, timeout -------------------------------------------------------------------------
    estimate: dict[str, Any] | None = None
    rec_timeout: str | None = None
    if req.flavor is None:
        recommended, rec_timeout, estimate = _recommend(req, checks)
        flavor = recommended or FALLBACK_FLAVOR
    else:
        flavor = req.flavor
    info = None if flavor == LOCAL_FLAVOR else _flavor_facts(flavor)
    if req.flavor is not None and info is not None:
        estimate = _estimate(req, flavor, checks)
    if flavor != LOCAL_FLAVOR and info is None:
        from hf_train_mcp.hardware.api import bundled_flavors

        known = ", ".join(n for n, f in bundled_flavors().items() if f.gpu_count)
        checks.append(
            Check("flavor", "fail", f"unknown flavor {flavor!r}", f"use one of: {known} (or 'local')")
        )
    gpu_count = info.gpu_count if info else 0
    is_gpu = bool(info and info.gpu_count)
    if info is not None and not is_gpu:
        checks.append(
            Check(
                "flavor",
                "fail" if peft == "qlora" else "warn",
                f"{flavor} has no GPU: "
                + ("4-bit QLoRA needs a CUDA GPU" if peft == "qlora" else "training on CPU is very slow"),
                "pick a GPU flavor such as a10g-large, l4x1 or a100-large",
            )
        )

    if flavor != LOCAL_FLAVOR:
        _check_reachable_from_a_job(req, checks)

    timeout_s: int | None = None
    if req.timeout is not None:
        try:
            timeout_s = parse_timeout(req.timeout)
        except ValueError as exc:
            checks.append(Check("timeout", "fail", str(exc), "pass a duration such as '2h' or '90m'"))
    elif rec_timeout is not None:
        timeout_s = parse_timeout(rec_timeout)
    elif estimate and estimate.get("timeout"):
        timeout_s = parse_timeout(estimate["timeout"])
    else:
        timeout_s = parse_timeout(FALLBACK_TIMEOUT)
        if req.flavor is not None:
            checks.append(
                Check(
                    "timeout",
                    "info",
                    f"no timeout given and no run estimate available: using {FALLBACK_TIMEOUT}",
                    "pass timeout= (the Jobs default of 30 minutes kills most training runs)",
                )
            )
    est_hours = (estimate or {}).get("est_hours")
    if timeout_s is not None:
        if est_hours:
            needed = math.ceil(est_hours * 3600 * TIMEOUT_FACTOR / 900) * 900  # next quarter hour
            if timeout_s < needed:
                checks.append(
                    Check(
                        "timeout",
                        "fail",
                        f"timeout {format_timeout(timeout_s)} is below {TIMEOUT_FACTOR} x the estimated run "
                        f"({est_hours:.2f} h): the job would be killed before it finishes",
                        f"pass timeout={format_timeout(needed)!r} or more",
                    )
                )
            else:
                checks.append(
                    Check(
                        "timeout",
                        "pass",
                        f"timeout {format_timeout(timeout_s)} >= {TIMEOUT_FACTOR} x estimate",
                    )
                )
        elif timeout_s <= DEFAULT_JOB_TIMEOUT_S:
            checks.append(
                Check(
                    "timeout",
                    "warn",
                    f"timeout {format_timeout(timeout_s)} is short for a training run",
                    "most fine-tuning runs need more than 30 minutes; pass timeout='2h' or more",
                )
            )
    timeout_s = timeout_s or parse_timeout(FALLBACK_TIMEOUT)

    # --- dtype and attention against the GPU ----------------------------------------------------
    bf16_ok = bool(info and info.bf16)
    if req.dtype == "auto":
        if flavor == LOCAL_FLAVOR:
            dtype = "auto"  # decided by the script on the machine it runs on
        elif not is_gpu:
            dtype = "float32"
        elif bf16_ok:
            dtype = "bfloat16"
        else:
            # fp16 AMP: trainable weights must stay fp32 (GradScaler cannot unscale fp16 gradients): a full
            # fine-tune loads the model in fp32; an adapter run keeps the frozen base in fp16.
            dtype = "float32" if peft == "full" else "float16"
    else:
        dtype = req.dtype
    if dtype == "bfloat16" and info is not None and is_gpu and not bf16_ok:
        checks.append(
            Check(
                "dtype",
                "fail",
                f"{flavor} ({info.gpu}, compute capability {info.compute_capability}) has no bfloat16",
                "leave dtype='auto' (fp16 mixed precision on T4) or pick an Ampere or newer flavor "
                "(a10g, l4, a100)",
            )
        )
    elif dtype == "float16" and peft == "full" and is_gpu:
        checks.append(
            Check(
                "dtype",
                "fail",
                "a full fine-tune with weights loaded in float16 fails at the first optimizer step "
                "(fp16 gradients cannot be unscaled)",
                "leave dtype='auto' (fp32 weights with fp16 mixed precision on T4, bf16 elsewhere)",
            )
        )
    else:
        checks.append(Check("dtype", "pass", f"dtype {dtype} for {flavor}"))
    if dtype == "float32" or not is_gpu:
        precision = "fp16" if (is_gpu and not bf16_ok) else ("bf16" if is_gpu else "no")
    else:
        precision = "bf16" if dtype == "bfloat16" else "fp16"
    if flavor == LOCAL_FLAVOR:
        precision = "auto"

    attn = "sdpa" if req.attn_implementation == "auto" else req.attn_implementation
    if attn == "flash_attention_2":
        if info is not None and not info.flash_attention:
            checks.append(
                Check(
                    "attention",
                    "fail",
                    f"FlashAttention-2 needs an Ampere or newer GPU; {flavor} is not",
                    "leave attn_implementation='auto' (sdpa)",
                )
            )
        else:
            checks.append(
                Check(
                    "attention",
                    "fail",
                    "flash_attention_2 needs the flash-attn package (or kernels>=0.18.2,<0.19), "
                    "which the pinned "
                    f"stack ({', '.join(f'{k}=={v}' for k, v in pinned.items())}) does not include",
                    "leave attn_implementation='auto' (sdpa: fused attention kernels from torch itself)",
                )
            )
    else:
        checks.append(Check("attention", "pass", f"attention implementation {attn}"))

    # --- method / adapter rules -----------------------------------------------------------------
    if peft == "qlora":
        checks.append(Check("quantization", "pass", "4-bit NF4 base weights with a LoRA adapter (QLoRA)"))
    if isinstance(req, SFTRequest):
        if req.packing:
            checks.append(
                Check(
                    "packing",
                    "fail",
                    "packing is not safe with the pinned stack: TRL's 'bfd' packing needs a FlashAttention "
                    "kernel "
                    "(padding-free batches), which the pinned stack does not ship, and 'wrapped' packing "
                    "lets "
                    "samples attend across each other",
                    "leave packing=False (TRL pads each batch to its longest sample)",
                )
            )
        else:
            checks.append(Check("packing", "pass", "no packing"))
        if req.assistant_only_loss and req.dataset_columns is not None:
            mapped = _mapped_columns(req)
            if "messages" not in mapped:
                checks.append(
                    Check(
                        "assistant_only_loss",
                        "fail",
                        "assistant_only_loss needs conversational data (a 'messages' column)",
                        "map the conversation column onto 'messages', or set assistant_only_loss=False",
                    )
                )
    if isinstance(req, DPORequest) and peft == "full":
        checks.append(
            Check(
                "reference_model",
                "info",
                "full DPO keeps a second frozen copy of the model as reference (twice the weights in memory)",
                "use peft='lora' to train without a reference copy",
            )
        )

    # --- data -----------------------------------------------------------------------------------
    _check_columns(req, checks)
    _check_conversion(req, checks)
    eval_on = req.eval_split is not None or req.eval_fraction is not None
    if req.eval_split is not None and req.eval_fraction is not None:
        checks.append(
            Check("eval", "fail", "both eval_split and eval_fraction are set", "pass only one of them")
        )
    eval_strategy = req.eval_strategy
    if eval_strategy == "auto":
        eval_strategy = "steps" if eval_on else "no"
    if eval_strategy != "no" and not eval_on:
        checks.append(
            Check(
                "eval",
                "fail",
                f"eval_strategy={eval_strategy!r} without eval data: the run hangs or fails at start",
                "pass eval_split='test' (or eval_fraction=0.05), or eval_strategy='no'",
            )
        )
    else:
        checks.append(Check("eval", "pass", f"eval_strategy {eval_strategy}"))
    eval_steps = req.eval_steps or req.save_steps

    # --- output ---------------------------------------------------------------------------------
    if req.push_to_hub:
        if req.hub_model_id is None:
            checks.append(
                Check(
                    "push_to_hub",
                    "fail",
                    "push_to_hub needs hub_model_id: the job's disk is discarded when it ends",
                    "pass hub_model_id='your-username/model-name' (a new, unique repo)",
                )
            )
        else:
            checks.append(
                Check(
                    "push_to_hub",
                    "pass",
                    f"checkpoints pushed to {req.hub_model_id} (hub_strategy='checkpoint'); "
                    "a re-run resumes from its last-checkpoint",
                )
            )
            if "/" not in req.hub_model_id:
                checks.append(
                    Check(
                        "hub_model_id",
                        "info",
                        f"{req.hub_model_id!r} has no namespace: the script pushes to the token owner's "
                        "namespace",
                    )
                )
    elif flavor != LOCAL_FLAVOR:
        checks.append(
            Check(
                "push_to_hub",
                "fail",
                "push_to_hub=False on a Hugging Face Jobs flavor: the trained model and every checkpoint "
                "are lost "
                "when the job ends",
                "set push_to_hub=True with hub_model_id, or use flavor='local'",
            )
        )
    if req.trackio and req.trackio_space_id is None and req.hub_model_id is None:
        checks.append(
            Check(
                "trackio",
                "info",
                "trackio logs locally in the job unless trackio_space_id is set or the model is pushed",
                "pass trackio_space_id='your-username/trackio' for a live dashboard",
            )
        )

    # --- decided values -------------------------------------------------------------------------
    batch, accumulation = DEFAULT_BATCH[method]
    lr = req.learning_rate if req.learning_rate is not None else DEFAULT_LR[(method, peft)]
    model_tail = req.model.rstrip("/").split("/")[-1] or "model"
    output_dir = req.output_dir or (
        req.hub_model_id.split("/")[-1] if req.hub_model_id else f"{model_tail}-{method}-{peft}"
    )
    dependencies = dict(pinned)
    config: dict[str, Any] = {
        "method": method,
        "peft": peft,
        "model": req.model,
        "model_revision": req.model_revision,
        "trust_remote_code": req.trust_remote_code,
        "dataset": {
            "id": req.dataset,
            "config": req.dataset_config,
            "split": req.split,
            "eval_split": req.eval_split,
            "eval_fraction": req.eval_fraction,
            "max_rows": req.max_rows,
            "column_mapping": dict(req.column_mapping),
            "conversion": req.dataset_conversion,
        },
        "output_dir": output_dir,
        "hub_model_id": req.hub_model_id,
        "push_to_hub": req.push_to_hub,
        "private": req.private,
        "flavor": flavor,
        "gpu_count": gpu_count,
        "dtype": dtype,
        "mixed_precision": precision,
        "attn_implementation": attn,
        "learning_rate": lr,
        "num_train_epochs": req.num_train_epochs,
        "max_steps": req.max_steps,
        "per_device_train_batch_size": req.per_device_train_batch_size or batch,
        "gradient_accumulation_steps": req.gradient_accumulation_steps or accumulation,
        "max_length": req.max_length,
        "warmup_ratio": req.warmup_ratio,
        "lr_scheduler_type": req.lr_scheduler_type,
        "weight_decay": req.weight_decay,
        "gradient_checkpointing": req.gradient_checkpointing,
        "logging_steps": req.logging_steps,
        "save_steps": req.save_steps,
        "save_every_minutes": req.save_every_minutes,
        "eval_strategy": eval_strategy,
        "eval_steps": eval_steps,
        "seed": req.seed,
        "trackio": req.trackio,
        "trackio_project": req.trackio_project or output_dir,
        "trackio_space_id": req.trackio_space_id,
        "run_name": req.run_name or output_dir,
        "pinned_versions": dependencies,
    }
    if peft in ("lora", "qlora"):
        config["lora"] = {
            "r": req.lora_r,
            "alpha": req.lora_alpha,
            "dropout": req.lora_dropout,
            "target_modules": req.lora_target_modules,
        }
    if isinstance(req, SFTRequest):
        config["assistant_only_loss"] = req.assistant_only_loss
        config["completion_only_loss"] = req.completion_only_loss
    if isinstance(req, DPORequest):
        config["beta"] = req.beta
        config["loss_type"] = req.loss_type
    return Plan(
        method=method,
        peft=peft,
        flavor=flavor,
        timeout=format_timeout(timeout_s),
        timeout_seconds=timeout_s,
        gpu_count=gpu_count,
        config=config,
        checks=checks,
        estimate=estimate,
    )


def _mapped_columns(req: _Request) -> set[str]:
    """The dataset's columns after the column mapping (needs dataset_columns)."""
    columns = set(req.dataset_columns or ())
    for target, source in req.column_mapping.items():
        columns.discard(source)
        columns.add(target)
    return columns


def _check_conversion(req: _Request, checks: list[Check]) -> None:
    """ShareGPT conversion rewrites SFT conversations; DPO pairs are not conversations of one column."""
    if req.dataset_conversion is None:
        return
    if req.method != "sft":
        checks.append(
            Check(
                "dataset_conversion",
                "fail",
                f"dataset_conversion={req.dataset_conversion!r} converts SFT conversations (a 'messages' "
                f"column); {req.method.upper()} reads prompt/chosen/rejected pairs, which it cannot convert",
                "convert the data to prompt/chosen/rejected columns before training (then pass "
                "column_mapping), or use method='sft' for conversations",
            )
        )
        return
    if req.dataset_columns is not None and "messages" not in _mapped_columns(req):
        checks.append(
            Check(
                "dataset_conversion",
                "fail",
                f"dataset_conversion={req.dataset_conversion!r} converts the 'messages' column, and after "
                f"the column mapping the dataset has {sorted(_mapped_columns(req))}",
                'map the conversation column onto messages, e.g. column_mapping={"messages": '
                '"conversations"}, or leave dataset_conversion out',
            )
        )
        return
    checks.append(
        Check(
            "dataset_conversion",
            "pass",
            "ShareGPT turns ({from, value}; human/gpt) are converted to {role, content} messages when "
            "the script loads the data",
        )
    )


def _check_columns(req: _Request, checks: list[Check]) -> None:
    allowed = TRL_COLUMNS[req.method]
    bad = [t for t in req.column_mapping if t not in allowed]
    if bad:
        checks.append(
            Check(
                "column_mapping",
                "fail",
                f"column_mapping maps onto {bad}, which {req.method.upper()} does not read",
                f"map dataset columns onto TRL's names {list(allowed)}, e.g. "
                + (
                    '{"prompt": "question", "completion": "answer"}'
                    if req.method == "sft"
                    else '{"prompt": "instruction", "chosen": "good", "rejected": "bad"}'
                ),
            )
        )
    if req.dataset_columns is None:
        checks.append(
            Check(
                "dataset_format",
                "info",
                "dataset columns not given: the script checks the format when it loads the data "
                "(before the model)",
                "pass dataset_columns (from inspect_dataset) to check it now",
            )
        )
        return
    missing = [s for s in req.column_mapping.values() if s not in req.dataset_columns]
    if missing:
        checks.append(
            Check(
                "column_mapping",
                "fail",
                f"column_mapping reads {missing}, which the dataset does not have "
                f"(columns: {req.dataset_columns})",
                "map existing dataset columns",
            )
        )
        return
    mapped = _mapped_columns(req)
    for fmt in FORMATS[req.method]:
        if set(fmt) <= mapped:
            checks.append(
                Check("dataset_format", "pass", f"{req.method.upper()} columns {list(fmt)} present")
            )
            return
    formats = " or ".join("+".join(f) for f in FORMATS[req.method])
    checks.append(
        Check(
            "dataset_format",
            "fail",
            f"after the column mapping the dataset has {sorted(mapped)}, not a {req.method.upper()} format "
            f"({formats})",
            "pass column_mapping from TRL column to dataset column, e.g. "
            + (
                '{"prompt": "question", "completion": "answer"}'
                if req.method == "sft"
                else '{"prompt": "instruction", "chosen": "good", "rejected": "bad"}'
            ),
        )
    )
