"""The training tools: generate_training_script, validate_training_script, dry_run_training_script."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from hf_train_mcp.access import read_training_script, require_local, writable_file
from hf_train_mcp.paths import data_dir
from hf_train_mcp.toolkit import Answer, agent_tool, fail, md_table

TOKEN_SECRET = {"HF_TOKEN": "$HF_TOKEN"}
MAX_SCRIPT_CHARS = 500_000


def _checks_table(checks: list[dict[str, Any]]) -> str:
    rows = [
        [c["status"].upper(), c["name"], c["message"], c.get("fix", "")]
        for c in checks
        if c["status"] != "pass"
    ]
    passed = sum(1 for c in checks if c["status"] == "pass")
    if not rows:
        return f"All {passed} checks passed."
    return f"{passed} checks passed; the others:\n\n" + md_table(["status", "check", "finding", "fix"], rows)


def _read_script(script: str) -> tuple[str, str | None]:
    """`script` is the text itself, or a path to a file holding it."""
    if "\n" not in script and len(script) < 4096:
        path = Path(script).expanduser()
        if path.is_file():
            return read_training_script(path, argument="script", max_bytes=MAX_SCRIPT_CHARS), str(path)
        if script.endswith(".py"):
            raise fail(f"no such file: {script}. Pass the script's text, or the path of an existing file.")
    if len(script) > MAX_SCRIPT_CHARS:
        raise fail(f"the script is longer than {MAX_SCRIPT_CHARS} characters")
    return script, None


def generate(args: dict[str, Any], save_to: str | None) -> Answer:
    """The body of generate_training_script: validate, render, check the text, save."""
    from hf_train_mcp.training.config import RequestError, parse_request, resolve
    from hf_train_mcp.training.render import RenderError, render_script, training_pins
    from hf_train_mcp.training.static_checks import validate_script

    try:
        request = parse_request({k: v for k, v in args.items() if v is not None})
    except RequestError as exc:
        raise fail(
            "The training request is invalid:\n"
            + "\n".join(f"- {p.message}" + (f" Fix: {p.fix}" if p.fix else "") for p in exc.problems)
        ) from None
    plan = resolve(request, pinned=training_pins())
    if not plan.ok:
        raise fail(
            "The run would fail; nothing was generated. Fix these and call again:\n"
            + "\n".join(f"- [{c.name}] {c.message} Fix: {c.fix}" for c in plan.failures)
        )
    try:
        text = render_script(plan)
    except RenderError as exc:
        raise fail(f"Could not render the script safely: {exc}") from None
    script_checks = validate_script(
        text,
        flavor=plan.flavor,
        secrets=None if plan.flavor == "local" else TOKEN_SECRET,
        timeout=plan.timeout,
    )
    checks = [c.as_dict() for c in plan.checks] + [
        {**c.as_dict(), "name": f"script.{c.name}"} for c in script_checks
    ]
    broken = [c for c in script_checks if c.status == "fail"]
    if broken:
        raise fail(
            "The rendered script failed its own checks (a bug in hf-train-mcp's templates): "
            + "; ".join(f"[{c.name}] {c.message}" for c in broken)
        )

    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    name = f"{plan.config['method']}-{plan.config['peft']}-{Path(plan.config['output_dir']).name}-{digest}.py"
    saved = data_dir() / "scripts" / name
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_text(text, encoding="utf-8")
    written = [str(saved)]
    if save_to:
        target = writable_file(Path(save_to).expanduser(), argument="save_to")
        if target.is_dir():
            target = target / "train.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(str(target))
    script_path = written[-1]

    hf_jobs = {
        "operation": "uv",
        "args": {
            "script": script_path,
            "flavor": plan.flavor,
            "timeout": plan.timeout,
            "secrets": TOKEN_SECRET,
        },
    }
    if plan.flavor == "local":
        hf_jobs["args"].pop("secrets")
    cfg = plan.config
    settings = {
        k: cfg[k]
        for k in (
            "model",
            "hub_model_id",
            "output_dir",
            "dtype",
            "mixed_precision",
            "attn_implementation",
            "learning_rate",
            "num_train_epochs",
            "max_steps",
            "per_device_train_batch_size",
            "gradient_accumulation_steps",
            "max_length",
            "save_steps",
            "eval_strategy",
            "beta",
        )
        if k in cfg
    }
    if "lora" in cfg:
        settings["lora"] = cfg["lora"]
    multi = (
        f" Uses all {plan.gpu_count} GPUs (the script re-launches itself under torchrun; effective batch = "
        f"batch x accumulation x {plan.gpu_count})."
        if plan.gpu_count > 1
        else ""
    )
    markdown = "\n".join(
        [
            f"## {cfg['method'].upper()} ({cfg['peft']}) script for `{cfg['model']}`",
            "",
            f"Saved to `{script_path}`" + (f" (copy in `{written[0]}`)" if len(written) > 1 else "") + ". "
            f"Flavor `{plan.flavor}`, timeout `{plan.timeout}`, weights `{cfg['dtype']}`, "
            f"attention `{cfg['attn_implementation']}`.{multi}",
            "",
            "Settings: `" + json.dumps(settings) + "`",
            "",
            _checks_table(checks),
            "",
            "Rehearse it locally first (a couple of steps on a tiny model): `dry_run_training_script` with "
            f'{{"script": "{script_path}"}}. Then submit:',
            "",
            "```json",
            json.dumps(hf_jobs, indent=2),
            "```",
            "",
            "A re-run of the same job resumes from the last checkpoint pushed to the Hub. The last log line "
            "`HF_TRAIN_SUMMARY {...}` holds final loss, steps, runtime, tokens/s and peak memory. "
            "The full script text is in the structured result (`script`).",
        ]
    )
    data = {
        "ok": True,
        "script": text,
        "script_path": script_path,
        "saved_paths": written,
        "checks": checks,
        "hf_jobs": hf_jobs,
        "hf_jobs_inline": {**hf_jobs, "args": {**hf_jobs["args"], "script": text}},
        "plan": {
            "method": plan.method,
            "peft": plan.peft,
            "flavor": plan.flavor,
            "gpu_count": plan.gpu_count,
            "timeout": plan.timeout,
            "timeout_seconds": plan.timeout_seconds,
            "estimate": plan.estimate,
            "config": plan.config,
        },
    }
    return Answer(markdown, data)


def register(server: MCPServer) -> None:
    """Register the training tools on `server`."""

    @server.tool(
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
        )
    )
    @agent_tool
    def generate_training_script(
        method: Annotated[
            Literal["sft", "dpo"], Field(description="sft: supervised fine-tuning; dpo: preference pairs")
        ],
        model: Annotated[
            str, Field(description="base model: Hub id (e.g. 'Qwen/Qwen2.5-0.5B') or local path")
        ],
        dataset: Annotated[
            str, Field(description="Hub dataset id, or a local .jsonl/.json/.parquet/.csv file or folder")
        ],
        peft: Annotated[
            Literal["full", "lora", "qlora"],
            Field(
                description="full weights, a LoRA adapter, or QLoRA (4-bit base + LoRA; GPU only). "
                "Default lora"
            ),
        ] = "lora",
        hub_model_id: Annotated[
            str | None,
            Field(description="repo to push the model and checkpoints to, 'user/name'. Default none"),
        ] = None,
        push_to_hub: Annotated[
            bool,
            Field(
                description="push the result and checkpoints (needed on Jobs: the disk is discarded). "
                "Default true"
            ),
        ] = True,
        output_dir: Annotated[
            str | None, Field(description="local output folder. Default: the repo name, or model-method-peft")
        ] = None,
        private: Annotated[bool, Field(description="create the Hub repo private. Default true")] = True,
        flavor: Annotated[
            str | None,
            Field(
                description="Jobs hardware flavor (e.g. a10g-large, l4x1, a100-large) or 'local'. "
                "Default: recommended for the run"
            ),
        ] = None,
        timeout: Annotated[
            str | None,
            Field(
                description="job timeout ('2h', '90m'); at least 1.3 x the estimate. "
                "Default: from the estimate"
            ),
        ] = None,
        split: Annotated[str, Field(description="training split. Default 'train'")] = "train",
        dataset_config: Annotated[
            str | None, Field(description="dataset subset/config name. Default none")
        ] = None,
        eval_split: Annotated[str | None, Field(description="split to evaluate on. Default none")] = None,
        eval_fraction: Annotated[
            float | None, Field(description="hold out this fraction of training rows for eval. Default none")
        ] = None,
        max_rows: Annotated[
            int | None, Field(description="use at most this many training rows. Default all")
        ] = None,
        column_mapping: Annotated[
            dict[str, str] | None,
            Field(
                description='TRL column -> dataset column, e.g. {"prompt": "question", "completion": '
                '"answer"}. Default none'
            ),
        ] = None,
        dataset_conversion: Annotated[
            Literal["sharegpt"] | None,
            Field(
                description="SFT only: 'sharegpt' converts [{from, value}] turns with roles human/gpt/"
                "system (inspect_dataset's conversion) to {role, content} messages after the column "
                'mapping; map the conversation column onto messages, e.g. {"messages": "conversations"}. '
                "Default none"
            ),
        ] = None,
        dataset_columns: Annotated[
            list[str] | None,
            Field(
                description="the dataset's columns (from inspect_dataset), to check the format now. "
                "Default none"
            ),
        ] = None,
        learning_rate: Annotated[
            float | None,
            Field(description="Default per method: SFT 2e-5 full / 2e-4 LoRA; DPO 5e-7 full / 5e-6 LoRA"),
        ] = None,
        num_train_epochs: Annotated[float, Field(description="epochs. Default 1")] = 1.0,
        max_steps: Annotated[
            int | None, Field(description="stop after N optimizer steps. Default: epochs")
        ] = None,
        per_device_train_batch_size: Annotated[
            int | None, Field(description="batch per GPU. Default SFT 4, DPO 2")
        ] = None,
        gradient_accumulation_steps: Annotated[int | None, Field(description="Default SFT 4, DPO 8")] = None,
        max_length: Annotated[
            int, Field(description="max tokens per sample (truncated). Default 1024")
        ] = 1024,
        lora_r: Annotated[int, Field(description="LoRA rank. Default 16")] = 16,
        lora_alpha: Annotated[int, Field(description="LoRA alpha. Default 32")] = 32,
        lora_dropout: Annotated[float, Field(description="LoRA dropout. Default 0.05")] = 0.05,
        lora_target_modules: Annotated[
            str | list[str],
            Field(description="'all-linear' or module names like ['q_proj','v_proj']. Default all-linear"),
        ] = "all-linear",
        beta: Annotated[float | None, Field(description="DPO only: KL strength. Default 0.1")] = None,
        loss_type: Annotated[
            Literal["sigmoid", "hinge", "ipo", "robust", "sigmoid_norm"] | None,
            Field(description="DPO only: loss. Default sigmoid"),
        ] = None,
        packing: Annotated[
            bool | None,
            Field(
                description="SFT only: pack samples (refused: unsafe with the pinned stack). Default false"
            ),
        ] = None,
        assistant_only_loss: Annotated[
            bool | None,
            Field(description="SFT only: loss on assistant turns of 'messages' data. Default false"),
        ] = None,
        warmup_ratio: Annotated[
            float, Field(description="fraction of steps to warm up. Default 0.03")
        ] = 0.03,
        lr_scheduler_type: Annotated[
            Literal["linear", "cosine", "constant", "constant_with_warmup"],
            Field(description="Default cosine"),
        ] = "cosine",
        save_steps: Annotated[
            int, Field(description="checkpoint (and push) every N steps. Default 100")
        ] = 100,
        logging_steps: Annotated[int, Field(description="log the loss every N steps. Default 10")] = 10,
        eval_steps: Annotated[
            int | None, Field(description="evaluate every N steps. Default: save_steps")
        ] = None,
        save_every_minutes: Annotated[
            float | None, Field(description="also checkpoint at least this often. Default 30")
        ] = 30.0,
        eval_strategy: Annotated[
            Literal["auto", "no", "steps", "epoch"],
            Field(description="auto: 'steps' when eval data is given, else 'no'. Default auto"),
        ] = "auto",
        dtype: Annotated[
            Literal["auto", "bfloat16", "float16", "float32"],
            Field(
                description="weights dtype; auto: bf16 on Ampere+, fp16 mixed precision on T4. Default auto"
            ),
        ] = "auto",
        trackio: Annotated[bool, Field(description="report metrics to trackio. Default false")] = False,
        trackio_space_id: Annotated[
            str | None, Field(description="Space for a live trackio dashboard, 'user/name'. Default none")
        ] = None,
        seed: Annotated[int, Field(description="random seed. Default 42")] = 42,
        model_revision: Annotated[
            str | None, Field(description="model branch/tag/commit. Default main")
        ] = None,
        trust_remote_code: Annotated[
            bool, Field(description="allow the model's own code. Default false")
        ] = False,
        save_to: Annotated[
            str | None,
            Field(description="also write the script to this path (file or folder). Default: data dir only"),
        ] = None,
    ) -> Any:
        """Generate a validated fine-tuning uv script (SFT/DPO; full, LoRA, QLoRA) and its hf_jobs call.

        Checks the request first (dtype and attention against the GPU, quantization only with an adapter,
        dataset format, packing, eval data, timeout vs estimate, Hub repo id, token secret), renders a
        self-contained script with pinned dependencies, checks every keyword it uses against the pinned
        TRL/transformers, and saves it. Returns the script, the checks and the ready `hf_jobs` uv call.
        """
        args = dict(locals())
        save = args.pop("save_to")
        return generate(args, save)

    @server.tool(
        annotations=ToolAnnotations(
            read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
        )
    )
    @agent_tool
    def validate_training_script(
        script: Annotated[str, Field(description="the script's text, or the path of a .py file")],
        flavor: Annotated[
            str | None,
            Field(
                description="flavor it will run on ('local': this machine), to check dtype/attention. "
                "Default none"
            ),
        ] = None,
        secrets: Annotated[
            dict[str, str] | None,
            Field(
                description='the secrets of the hf_jobs call, e.g. {"HF_TOKEN": "$HF_TOKEN"}. Default none'
            ),
        ] = None,
        env: Annotated[
            dict[str, str] | None, Field(description="the env of the hf_jobs call. Default none")
        ] = None,
        timeout: Annotated[
            str | None, Field(description="the timeout of the hf_jobs call. Default none")
        ] = None,
    ) -> Any:
        """Check any uv training script for the mistakes that fail a GPU job: each problem with its fix.

        PEP 723 header present, complete and pinned; compiles; renamed or removed TRL/transformers arguments
        (max_seq_length, tokenizer=, torch_dtype, evaluation_strategy, ...); every config keyword against the
        pinned versions; eval strategy without eval data; bf16 on T4; no push to the Hub; missing token
        secret.
        """
        from hf_train_mcp.training.static_checks import validate_script

        text, path = _read_script(script)
        checks = [
            c.as_dict()
            for c in validate_script(text, flavor=flavor, secrets=secrets, env=env, timeout=timeout)
        ]
        failed = [c for c in checks if c["status"] == "fail"]
        verdict = (
            f"**{len(failed)} problem(s) would fail or waste the job.**"
            if failed
            else "**No blocking problem found.**"
        )
        markdown = (
            f"## Validation of {'`' + path + '`' if path else 'the script'}\n\n{verdict}\n\n"
            + _checks_table(checks)
        )
        return Answer(markdown, {"ok": not failed, "path": path, "checks": checks})

    @server.tool(
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
        )
    )
    @agent_tool
    def dry_run_training_script(
        script: Annotated[
            str, Field(description="script text or path (e.g. script_path of generate_training_script)")
        ],
        model: Annotated[
            str | None,
            Field(
                description="local model folder to train as is (small!). Default: a tiny copy, see tiny_from"
            ),
        ] = None,
        tiny_from: Annotated[
            str | None,
            Field(
                description="build a 2-layer random copy of this model id/folder's architecture and "
                "tokenizer. "
                "Default: the script's model"
            ),
        ] = None,
        dataset: Annotated[
            str | None,
            Field(description="local data file/folder to rehearse on. Default: the script's dataset"),
        ] = None,
        max_steps: Annotated[int, Field(ge=1, le=50, description="optimizer steps. Default 2")] = 2,
        max_rows: Annotated[int, Field(ge=1, le=1000, description="training rows. Default 8")] = 8,
        timeout_s: Annotated[
            int, Field(ge=30, le=1800, description="give up after this many seconds. Default 600")
        ] = 600,
    ) -> Any:
        """Rehearse a training script locally for a couple of steps on a tiny model, before paying for a GPU.

        Runs it in a subprocess (CPU is fine, nothing is pushed) with a tiny random copy of the model's
        architecture (or a model you point to) and a few rows of the data; reports success with the
        summary line, or the error and the end of the log.
        """
        from hf_train_mcp.training.dry_run import dry_run
        from hf_train_mcp.training.render import extract_config

        require_local("Dry runs (they run the script on this machine)")

        text, _path = _read_script(script)
        source = tiny_from
        if model is None and source is None:
            config = extract_config(text) or {}
            source = config.get("model") if isinstance(config.get("model"), str) else None
            if source is None:
                raise fail(
                    "the script has no CONFIG with a model: pass model= (a local model folder) or tiny_from="
                )
        result = dry_run(
            text,
            model=model,
            tiny_from=None if model else source,
            dataset=dataset,
            max_steps=max_steps,
            max_rows=max_rows,
            timeout_s=timeout_s,
        )
        data = result.as_dict()
        if result.ok:
            summary = result.summary or {}
            markdown = (
                f"## Rehearsal passed in {result.duration_s:.0f}s\n\n"
                f"{summary.get('steps')} steps on {result.model}, final loss {summary.get('final_loss')}; "
                f"wrote {', '.join(result.files[:12])}.\n\nThe script is ready to submit."
            )
        else:
            markdown = (
                f"## Rehearsal FAILED after {result.duration_s:.0f}s\n\n**{result.error}**\n\n"
                f"Log tail:\n```\n{result.log_tail[-3000:]}\n```"
            )
        return Answer(markdown + "".join(f"\n\n{note}" for note in result.notes), data)
