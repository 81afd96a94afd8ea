"""The training tools: generate_training_script, validate_training_script, dry_run_training_script."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from hf_train_mcp.access import local_path, read_training_script, require_local
from hf_train_mcp.published import group_rarely_used
from hf_train_mcp.toolkit import Answer, OpenOutput, agent_tool, fail, md_table, structured
from hf_train_mcp.training import arguments as A
from hf_train_mcp.training.advanced import PRIMARY_TRAINING_PARAMETERS, SAVE_TO, AdvancedSettings
from hf_train_mcp.training.requests import D

if TYPE_CHECKING:
    from hf_train_mcp.training.generate import GeneratedScript

MAX_SCRIPT_CHARS = 500_000
GENERATOR_ADVANCED = AdvancedSettings(PRIMARY_TRAINING_PARAMETERS, extra=SAVE_TO).serve(
    "generate_training_script"
)
GeneratorAdvanced = GENERATOR_ADVANCED.annotation()


class Check(OpenOutput):
    name: str
    status: str
    message: str


class ScriptOutput(OpenOutput):
    """generate_training_script: the script and its hf_jobs call; with advanced {"help": true}, the keys."""

    ok: bool | None = None
    script: str | None = None
    script_path: str | None = None
    checks: list[Check] | None = None
    hf_jobs: dict[str, Any] | None = None
    advanced: list[dict[str, str]] | None = None


class ValidationOutput(OpenOutput):
    ok: bool
    verdict: str
    path: str | None
    checks: list[Check]


class RehearsalOutput(OpenOutput):
    ok: bool
    error: str | None = None


ScriptResult = structured(ScriptOutput)
ValidationResult = structured(ValidationOutput)
RehearsalResult = structured(RehearsalOutput)


def advanced_help(tool: str, settings: AdvancedSettings) -> Answer:
    """The answer to `advanced: {"help": true}`: every key with its meaning and default."""
    return Answer(settings.help_markdown(tool), {"advanced": settings.help_rows()})


# The decided settings shown in generate_training_script's answer.
SETTINGS_SHOWN = (
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
    "num_generations",
    "max_completion_length",
    "reward_model",
)


def checks_table(checks: list[dict[str, Any]]) -> str:
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
        # the policy before any look at the disk: outside the allowed folders, one answer, file or not
        path = local_path(script, argument="script", what="a script", looks_local=script.endswith(".py"))
        if path is not None:
            if not path.is_file():
                raise fail(
                    f"no such file: {script}. Pass the script's text, or the path of an existing file."
                )
            text = read_training_script(path, argument="script", max_bytes=MAX_SCRIPT_CHARS)
            return text, str(Path(script).expanduser())
    if len(script) > MAX_SCRIPT_CHARS:
        raise fail(f"the script is longer than {MAX_SCRIPT_CHARS} characters")
    return script, None


def generate(arguments: dict[str, Any], save_to: str | None) -> Answer:
    """The body of generate_training_script: `generate_script`, as an answer (its errors as ToolError)."""
    from hf_train_mcp.training.generate import GenerationError, generate_script

    try:
        script = generate_script(arguments, save_to=save_to)
    except GenerationError as exc:
        raise fail(str(exc)) from None
    return script_answer(script)


def script_answer(script: GeneratedScript) -> Answer:
    plan, cfg = script.plan, script.plan.config
    hf_jobs = script.hf_jobs
    settings = {k: cfg[k] for k in SETTINGS_SHOWN if k in cfg}  # type: ignore[literal-required]
    if "lora" in cfg:
        settings["lora"] = cfg["lora"]
    launcher = (
        "accelerate with FSDP2, the model sharded across them"
        if cfg.get("parallelism") == "fsdp"
        else "torchrun, data parallel"
    )
    multi = (
        f" Uses all {plan.gpu_count} GPUs (the script re-launches itself under {launcher}; effective batch = "
        f"batch x accumulation x {plan.gpu_count})."
        if plan.gpu_count > 1
        else ""
    )
    written = script.saved_paths
    markdown = "\n".join(
        [
            f"## {cfg['method'].upper()} ({cfg['peft']}) script for `{cfg['model']}`",
            "",
            f"Saved to `{script.script_path}`"
            + (f" (copy in `{written[0]}`)" if len(written) > 1 else "")
            + ". "
            f"Flavor `{plan.flavor}`, timeout `{plan.timeout}`, weights `{cfg['dtype']}`, "
            f"attention `{cfg['attn_implementation']}`.{multi}",
            "",
            "Settings: `" + json.dumps(settings) + "`",
            *(
                [f"Live metrics (trackio): {cfg['trackio_dashboard']}"]
                if cfg.get("trackio_dashboard")
                else []
            ),
            "",
            checks_table(script.checks),
            "",
            "Rehearse it locally first (a couple of steps on a tiny model): `dry_run_training_script` with "
            f'{{"script": "{script.script_path}"}}. Then submit:',
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
        "script": script.text,
        "script_path": script.script_path,
        "saved_paths": written,
        "checks": script.checks,
        "hf_jobs": hf_jobs,
        "hf_jobs_inline": {**hf_jobs, "args": {**hf_jobs["args"], "script": script.text}},
        "plan": script.plan_data(),
    }
    return Answer(markdown, data)


def _push_namespaces() -> tuple[frozenset[str] | None, str | None]:
    """Where the configured token may create repos (its user and orgs), from whoami; or why unknown."""
    from hf_train_mcp import hub

    token = hub.get_token()
    if not token:
        return None, None  # nothing to compare with; the placeholder check still runs
    try:
        info = hub.call_with_retries(lambda: hub.get_api(token).whoami(), what="whoami")
    except Exception as exc:
        return None, f"the Hub ids' namespaces were not checked: {hub.hub_error(exc, what='whoami')}"
    names = {info.get("name")} | {org.get("name") for org in info.get("orgs") or []}
    return frozenset(n for n in names if isinstance(n, str) and n), None


def register(server: MCPServer) -> None:
    """Register the training tools on `server`."""
    group_rarely_used("validate_training_script", primary={"script", "flavor"})
    group_rarely_used("dry_run_training_script", primary={"script"})

    @server.tool(
        title="Generate a training script",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
        ),
    )
    @agent_tool
    def generate_training_script(
        model: A.ModelArg,
        dataset: A.DatasetArg,
        method: A.MethodArg = D.method,
        peft: A.PeftArg = D.peft,
        hub_model_id: A.HubModelId = None,
        flavor: A.Flavor = None,
        column_mapping: A.ColumnMapping = None,
        advanced: GeneratorAdvanced = None,
    ) -> ScriptResult:
        """A validated, pinned uv training script (SFT/DPO/GRPO/KTO/reward) that resumes from its last
        pushed checkpoint, and its hf_jobs call. timeout, learning_rate, lora_r...: in advanced."""
        if GENERATOR_ADVANCED.wants_help(advanced):
            return advanced_help("generate_training_script", GENERATOR_ADVANCED)
        args = dict(locals())
        args.pop("advanced")
        args.update(GENERATOR_ADVANCED.split(advanced))
        save = args.pop("save_to", None)
        if save is not None and not isinstance(save, str):
            raise fail('advanced.save_to must be a path as text, e.g. "./train.py".')
        return generate(args, save)

    @server.tool(
        title="Validate a training script",
        annotations=ToolAnnotations(
            read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
        ),
    )
    @agent_tool
    def validate_training_script(
        script: Annotated[str, Field(description="the script's text, or the path of a .py file")],
        flavor: Annotated[
            str | None, Field(description="flavor it will run on, to check dtype and fit")
        ] = None,
        secrets: Annotated[dict[str, str] | None, Field(description="the hf_jobs call's secrets")] = None,
        env: Annotated[dict[str, str] | None, Field(description="the hf_jobs call's env")] = None,
        timeout: Annotated[str | None, Field(description="the hf_jobs call's timeout")] = None,
    ) -> ValidationResult:
        """Check a uv training script for what fails GPU jobs (pins, renamed TRL arguments, dtype, push,
        memory fit...), each problem with its fix."""
        from hf_train_mcp.training import static_checks

        text, path = _read_script(script)
        namespaces, unchecked = _push_namespaces()
        found = static_checks.validate_script(
            text, flavor=flavor, secrets=secrets, env=env, timeout=timeout, namespaces=namespaces
        )
        if unchecked:
            found.append(static_checks.Check("hub_id_owner", "info", unchecked))
        checks = [c.as_dict() for c in found]
        failed = [c for c in checks if c["status"] == "fail"]
        verdict = f"**The script {static_checks.verdict(found)}.**"
        markdown = (
            f"## Validation of {'`' + path + '`' if path else 'the script'}\n\n{verdict}\n\n"
            + checks_table(checks)
        )
        return Answer(
            markdown,
            {"ok": not failed, "verdict": static_checks.verdict(found), "path": path, "checks": checks},
        )

    @server.tool(
        title="Rehearse a training script",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
        ),
    )
    @agent_tool
    def dry_run_training_script(
        script: Annotated[str, Field(description="script text or path of a .py file")],
        model: Annotated[
            str | None, Field(description="local model folder to train as is (small!) instead of a tiny copy")
        ] = None,
        tiny_from: Annotated[
            str | None,
            Field(description="model to make the tiny random copy of; default: the script's"),
        ] = None,
        dataset: Annotated[
            str | None, Field(description="local data file or folder; default: the script's dataset")
        ] = None,
        max_steps: Annotated[int, Field(ge=1, le=50, description="optimizer steps")] = 2,
        max_rows: Annotated[int, Field(ge=1, le=1000, description="training rows")] = 8,
        timeout_s: Annotated[int, Field(ge=30, le=1800, description="give up after this many seconds")] = 600,
    ) -> RehearsalResult:
        """Run a training script here for a few steps on a tiny random copy of its model, before paying
        for a GPU."""
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
