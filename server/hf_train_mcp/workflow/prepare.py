"""prepare_training: from intent (model + dataset + method + budget) to a job that can be submitted.

It composes the domain functions an agent would reach through separate tools — the dataset inspection,
the model check, ONE hardware recommendation (or estimate for a given flavor) built by
`training.requests.hardware_plan`, and `training.generate.generate_script` (which reuses that estimate) —
and records every decision with its reason, so the person approving the spend sees why this flavor, this
timeout and this mapping. It refuses early, with the fix (`PrepareError`), what would fail on the GPU.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from hf_train_mcp import hub
from hf_train_mcp.dataset_formats import METHOD_NEEDS, SYNONYMS
from hf_train_mcp.errors import with_fix
from hf_train_mcp.hardware.api import TIMEOUT_FACTOR, HardwareError, Recommendation
from hf_train_mcp.jobs.model import LOCAL_FLAVOR
from hf_train_mcp.toolkit import Answer, md_table
from hf_train_mcp.training.arguments import SOLUTION_REWARDS
from hf_train_mcp.training.generate import GeneratedScript, GenerationError, generate_script
from hf_train_mcp.training.hardware_steps import hardware_answer
from hf_train_mcp.training.requests import GRPORequest, Request, RequestError, hardware_plan, parse_request
from hf_train_mcp.workflow.checks import Account, PrepareError, account, check_model

# prepare_training's own options; everything else it takes is a generate_training_script argument.
PLANNING_OPTIONS = frozenset(
    {
        "budget_usd",
        "max_hours",
        "params_b",
        "save_to",
        "submit",
        "detach",
        "wait_seconds",
        "local_python",
        "allow_duplicate",
        "attempts",
        "upload_local",
    }
)


@dataclass
class Decision:
    topic: str
    choice: str
    reason: str


@dataclass
class PreparedRun:
    decisions: list[Decision] = field(default_factory=list)
    script: GeneratedScript | None = None
    recommendation: dict[str, Any] | None = None
    dataset: dict[str, Any] = field(default_factory=dict)

    def decide(self, topic: str, choice: Any, reason: str) -> None:
        shown = choice if isinstance(choice, str) else json.dumps(choice)  # JSON: what an agent passes back
        self.decisions.append(Decision(topic, shown, reason))

    @property
    def generated(self) -> GeneratedScript:
        assert self.script is not None, "prepare() sets the script before returning"
        return self.script

    @property
    def hf_jobs_call(self) -> dict[str, Any]:
        return self.generated.hf_jobs


def prepare(request: dict[str, Any]) -> PreparedRun:
    """Plan the run; raises `PrepareError` with the fix for anything that would fail."""
    run = PreparedRun()
    method: str = request.get("method") or "sft"
    flavor: str | None = request.get("flavor")
    local = flavor == LOCAL_FLAVOR
    push = request.get("push_to_hub") is not False

    who = _check_account(run, request, push=push, local=local)
    where = check_model(request["model"])
    run.decide("model", request["model"], f"found ({'local folder' if where == 'local' else 'on the Hub'})")
    if method == "grpo" and request.get("reward_model"):
        check_model(request["reward_model"])
        run.decide("reward_model", request["reward_model"], "found: scores the completions")

    mapping, conversion = _check_dataset(run, request, method)
    if method == "grpo":
        mapping = _solution_column(run, request, mapping)

    hub_model_id = request.get("hub_model_id")
    if push and not hub_model_id:
        if who is None or not who.user:
            raise PrepareError(
                "push_to_hub needs a hub_model_id ('your-username/model-name') and a token with write "
                "access; or set push_to_hub to false for a local run."
            )
        hub_model_id = _default_repo(who.user, request["model"], method, request.get("peft") or "lora")
        run.decide("hub_model_id", hub_model_id, "not given: derived from your user name, model and method")

    if request.get("upload_local") and not local:
        _upload_local_inputs(run, request, who)
    arguments = {k: v for k, v in request.items() if k not in PLANNING_OPTIONS and v is not None}
    arguments.update(
        method=method,
        hub_model_id=hub_model_id,
        column_mapping=mapping or None,
        dataset_conversion=conversion,
        dataset_columns=run.dataset.get("column_names"),
    )
    rec: Recommendation | None = None
    if local:
        run.decide("flavor", flavor, "given: runs on this machine")
    else:
        rec = _choose_hardware(run, _parse(arguments), request)
        arguments.update(flavor=rec.flavor, timeout=request.get("timeout") or rec.timeout)
    try:
        run.script = generate_script(
            arguments,
            save_to=request.get("save_to"),
            dataset_examples=run.dataset.get("num_rows"),
            recommendation=rec,
        )
    except GenerationError as exc:
        raise PrepareError(str(exc)) from None
    dtype = run.script.plan.config["dtype"]
    if local:
        run.decide("precision", dtype, "chosen by the script from this machine's GPU when it starts")
    else:
        run.decide("precision", dtype, "matched to the GPU (bf16 on Ampere and newer, fp16 on T4)")
    return run


def _parse(arguments: dict[str, Any]) -> Request:
    try:
        return parse_request(arguments)
    except RequestError as exc:
        raise PrepareError(
            "The training request is invalid:\n"
            + "\n".join(f"- {with_fix(p.message, p.fix)}" for p in exc.problems)
        ) from None


def _upload_local_inputs(run: PreparedRun, request: dict[str, Any], who: Account | None) -> None:
    """With the caller's consent (`upload_local`), local model/data go to private Hub repos the job reads.

    Checked first from the local copy (the dataset viewer does not know a fresh repo yet); the script
    then names the repo id.
    """
    from hf_train_mcp.training.requests import is_local_only
    from hf_train_mcp.workflow.upload import upload_local

    for key, repo_type in (("model", "model"), ("dataset", "dataset")):
        value = request.get(key)
        if not value or not is_local_only(value):
            continue
        if who is None or not who.user:
            raise PrepareError(hub.NO_TOKEN_HELP + " Uploading local files needs it too.")
        repo_id = upload_local(value, repo_type=repo_type, user=who.user)
        request[key] = repo_id
        run.decide(
            f"{key} upload",
            repo_id,
            f"{value} uploaded to this private {repo_type} repo (upload_local: true), which the job reads",
        )


def _check_account(run: PreparedRun, request: dict[str, Any], *, push: bool, local: bool) -> Account | None:
    who = account()
    # A plan sends nothing: only a submission (to the Hub, or a local run that pushes) needs the token.
    needs_token = bool(request.get("submit")) and (push or not local)
    if who is None:
        if needs_token:
            raise PrepareError(
                hub.NO_TOKEN_HELP + " Without one, plan a local run: flavor 'local' and push_to_hub false."
            )
        run.decide(
            "account",
            "no token",
            "fine for planning; submitting (or pushing to the Hub) needs a token with write access"
            if push or not local
            else "fine for a local run without pushing to the Hub",
        )
        return None
    if push and who.can_write is False:
        raise PrepareError(
            f"The token of {who.user} is read-only: the job could not push the model and checkpoints. "
            "Create a token with write access (https://huggingface.co/settings/tokens) and set HF_TOKEN, "
            "or set push_to_hub to false."
        )
    role = who.role or "unknown role"
    run.decide(
        "account",
        who.user,
        f"token role: {role}"
        + ("" if who.can_write else " (fine-grained: make sure it may write to the target repo)"),
    )
    return who


def _check_dataset(
    run: PreparedRun, request: dict[str, Any], method: str
) -> tuple[dict[str, str], str | None]:
    """The column mapping that makes the dataset ready for `method`, and the conversion its rows need
    (None, or "sharegpt" for SFT conversations in {from, value} turns)."""
    from hf_train_mcp.dataset_inspection.errors import InspectionError
    from hf_train_mcp.dataset_inspection.inspect import inspect_dataset

    try:
        inspection = inspect_dataset(
            request["dataset"], request.get("dataset_config"), request.get("split"), rows=3, method=method
        )
    except InspectionError as exc:
        raise PrepareError(str(exc)) from None
    data = inspection.data()
    columns = [c["name"] for c in data["columns"]]
    run.dataset = {
        "name": data["dataset"],
        "split": data["split"],
        "num_rows": data["num_rows"],
        "format": data["format"]["kind"],
        "column_names": columns,
    }
    verdict = data["methods"][method]
    given = request.get("column_mapping") or {}
    given_conversion = request.get("dataset_conversion")
    if given:
        missing = sorted(v for v in given.values() if v not in columns)
        if missing:
            raise PrepareError(
                f"column_mapping names columns the dataset does not have: {', '.join(missing)}. "
                f"Its columns: {', '.join(columns)}."
            )
        run.decide("column_mapping", given, "given")
        conversion = given_conversion or _sharegpt_source(data, given, method)
        if conversion and not given_conversion:
            _decide_sharegpt(run, given["messages"])
        return dict(given), conversion
    if verdict["ready"]:
        run.decide("dataset format", data["format"]["kind"], f"ready for {method.upper()} as is")
        return {}, given_conversion
    suggestion = verdict.get("column_mapping")
    if suggestion and not verdict.get("conversion"):
        run.decide(
            "column_mapping",
            suggestion,
            f"the dataset is not in a {method.upper()} format; these columns map onto it (pass "
            "column_mapping to choose others)",
        )
        return dict(suggestion), given_conversion
    sharegpt = verdict.get("conversion") == "sharegpt"
    if suggestion and sharegpt and method == "sft" and "messages" in suggestion:
        run.decide(
            "column_mapping",
            suggestion,
            "the dataset is not in the SFT format; renaming the conversation column makes it 'messages' "
            "(pass column_mapping to choose others)",
        )
        _decide_sharegpt(run, suggestion["messages"])
        return dict(suggestion), "sharegpt"
    if suggestion and verdict.get("conversion"):
        raise PrepareError(
            f"The dataset {request['dataset']} holds ShareGPT-style conversations ({{from, value}} turns), "
            f"which hf-train-mcp converts for SFT only; {method.upper()} needs {METHOD_NEEDS[method]}. "
            "Convert the data to those columns first, or train with method 'sft'."
        )
    # The inspector's first reason already says what the method needs; say it once, with the columns.
    reasons = verdict.get("reasons") or [f"{method.upper()} needs {METHOD_NEEDS[method]}"]
    raise PrepareError(
        f"The dataset {request['dataset']} is not ready for {method.upper()} and no column mapping fits: "
        f"{reasons[0]}. Its columns: {', '.join(columns)}. Pass column_mapping (TRL column -> dataset "
        "column), or preprocess the data."
    )


def _solution_column(run: PreparedRun, request: dict[str, Any], mapping: dict[str, str]) -> dict[str, str]:
    """GRPO's accuracy rewards read a `solution` column: map the dataset's answer column onto it, or
    refuse."""
    rewards = GRPORequest.model_construct(
        reward_funcs=request.get("reward_funcs"), reward_model=request.get("reward_model")
    ).rewards()
    needs = [r for r in rewards if r in SOLUTION_REWARDS]
    columns: list[str] = run.dataset.get("column_names") or []
    if not needs or "solution" in mapping:
        return mapping
    used = set(mapping.values())
    if "solution" in columns and "solution" not in used:
        return mapping
    by_name = {c.lower().replace("-", "_").replace(" ", "_"): c for c in columns if c not in used}
    found = next((by_name[n] for n in SYNONYMS["solution"] if n in by_name), None)
    if found is None:
        raise PrepareError(
            f"The reward {needs[0]!r} compares each completion with the row's reference answer (a 'solution' "
            f"column), and {request['dataset']} has none that looks like one (columns: "
            f"{', '.join(columns)}). "
            'Pass column_mapping with the answer column, e.g. {"prompt": "question", "solution": "answer"}, '
            "or choose rewards that need no answer: reward_funcs ['think_format'] (or repetition_penalty, "
            "soft_overlong), or a reward_model."
        )
    mapping = {**mapping, "solution": found}
    run.decide("column_mapping", mapping, f"reward {needs[0]!r} compares completions with `{found}`")
    return mapping


def _decide_sharegpt(run: PreparedRun, column: str) -> None:
    run.decide(
        "dataset_conversion",
        "sharegpt",
        f"column {column!r} holds ShareGPT turns ({{from, value}}, roles like human/gpt), which chat "
        "templates reject: the script converts them to {role, content} messages",
    )


def _sharegpt_source(data: dict[str, Any], mapping: dict[str, str], method: str) -> str | None:
    """ "sharegpt" when a given SFT mapping puts a column of {from, value} turns onto messages."""
    if method != "sft" or "messages" not in mapping:
        return None
    types = {c["name"]: c.get("type") for c in data["columns"]}
    return "sharegpt" if types.get(mapping["messages"]) == "list[{from, value}]" else None


def _choose_hardware(run: PreparedRun, req: Request, request: dict[str, Any]) -> Recommendation:
    """The cheapest flavor that fits (or check the given one): fit, budget and time, or a refusal.

    The one hardware estimate of the call: `generate_script` reuses it."""
    from hf_train_mcp.hardware import api, catalog

    catalog.refresh()
    plan = hardware_plan(req, dataset_examples=run.dataset.get("num_rows"), params_b=request.get("params_b"))
    given, budget = req.flavor, request.get("budget_usd")
    try:
        limits = {} if given else {"budget_usd": budget, "max_hours": request.get("max_hours")}
        rec = hardware_answer(req, plan, given, **limits)  # sharded when replicas do not fit
    except HardwareError as exc:
        raise PrepareError(str(exc)) from None
    run.recommendation = {
        **rec.summary(),
        "memory": rec.memory,
        "notes": rec.notes,
        "alternatives": [alt.summary() for alt in rec.alternatives],
    }
    need = f"{rec.memory.get('total_gb')} GB per GPU"
    what = f"{req.model} ({req.method}, {plan.peft}, max_length {plan.max_length})"
    if not rec.fits:
        if given:
            raise PrepareError(
                f"{what} does not fit {given}: it needs {need}, {given} has {rec.vram_gb:g} GB. "
                f"{' '.join(rec.notes)} Leave flavor out to get the cheapest flavor that fits."
            )
        raise PrepareError(f"Nothing fits: {what} needs {need}. {' '.join(rec.notes)}")
    cost = f"${rec.est_cost_usd:.2f}" if rec.est_cost_usd is not None else "cost unknown"
    hours = f"{rec.est_hours:.2f} h" if rec.est_hours is not None else "unknown time"
    verdict = api.budget_verdict(rec, budget)
    if verdict.within_budget is False:
        subject = f"{given} is" if given else f"the cheapest flavor that fits, {rec.flavor}, is"
        raise PrepareError(
            f"{verdict.headline[0].upper()}{verdict.headline[1:]}. Nothing was generated: {subject} "
            f"estimated at {cost} ({hours} at ${rec.price_per_hour:.2f}/h). Raise budget_usd, train on "
            "fewer rows (max_rows) or steps (max_steps), use a shorter max_length, or QLoRA."
        )
    why = "given" if given else ("; ".join(rec.notes[:2]) if rec.notes else "cheapest flavor that fits")
    run.decide("flavor", rec.flavor, f"{why} — {need} of {rec.vram_gb:g} GB; {hours}, {cost}")
    timeout = request.get("timeout") or rec.timeout
    reason = (
        "given"
        if request.get("timeout")
        else f"at least {TIMEOUT_FACTOR}x the estimate, never below the start-up time"
    )
    run.decide("timeout", timeout, reason)
    return rec


def _default_repo(user: str, model: str, method: str, peft: str) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", model.rstrip("/").split("/")[-1]).strip("-.") or "model"
    return f"{user}/{base}-{method}-{peft}"[:96]


def to_answer(run: PreparedRun, submitted: Answer | None = None) -> Answer:
    script = run.generated
    plan = script.plan_data()
    rows = [[d.topic, f"`{d.choice}`", d.reason] for d in run.decisions]
    passed = sum(1 for c in script.checks if c["status"] == "pass")
    warnings = [c for c in script.checks if c["status"] != "pass"]
    lines = [
        f"## Plan: {plan['method'].upper()} ({plan['peft']}) on `{plan['flavor']}`",
        "",
        md_table(["decision", "choice", "why"], rows),
        "",
        _cost_line(plan, plan.get("estimate") or {}, run.recommendation),
        *(
            [f"Live metrics (trackio): {dashboard}"]
            if (dashboard := plan["config"].get("trackio_dashboard"))
            else []
        ),
        f"Script: `{script.script_path}` — {passed} checks passed"
        + (f", {len(warnings)} warnings: " + "; ".join(w["message"] for w in warnings) if warnings else "."),
        "",
    ]
    data: dict[str, Any] = {
        "decisions": [d.__dict__ for d in run.decisions],
        "dataset": run.dataset,
        "recommendation": run.recommendation,
        "plan": plan,
        "checks": script.checks,
        "script_path": script.script_path,
        "hf_jobs": script.hf_jobs,
        "submitted": submitted is not None,
    }
    if submitted is None:
        lines += [
            "Submit it (after the person agrees to the cost) with `prepare_training` and "
            '`"submit": true`, or this call:',
            "",
            "```json",
            _json(script.hf_jobs),
            "```",
        ]
    else:
        lines += ["### Submitted", "", submitted.markdown]
        data["job"] = submitted.data
    return Answer("\n".join(lines), data)


def _cost_line(plan: dict[str, Any], estimate: dict[str, Any], rec: dict[str, Any] | None) -> str:
    source = rec or estimate or {}
    hours = source.get("est_hours")
    cost = source.get("est_cost_usd")
    price = source.get("price_per_hour")
    parts = [f"Timeout `{plan['timeout']}`"]
    if hours is not None:
        parts.append(f"estimated {hours:.2f} h")
    if cost is not None:
        parts.append(f"about ${cost:.2f}")
    if price is not None and plan.get("timeout_seconds"):
        parts.append(f"at most ${price * plan['timeout_seconds'] / 3600:.2f} (timeout x ${price:.2f}/h)")
    return ", ".join(parts) + "."


def _json(value: Any) -> str:
    return json.dumps(value, indent=2)
