"""What a hand-written training script's calls say, read from its syntax tree (no import, no run).

`read_calls()` walks the tree once and returns a `ScriptFacts`: the config and trainer calls with their
constant keywords, the model id, whether it pushes, whether values come from the command line, and the
import statements (for the dependency and import-location checks: one walk serves every check, which is
most of what validating a 1,000-line script costs). The checks
in static_checks.py judge those facts; each rule is scoped to the classes and functions it belongs to
(a TRL rename is not a rename in Unsloth's own `max_seq_length`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

# Config classes (TrainingArguments and TRL's configs) and the trainers the keyword check knows.
ARGS_CLASSES = (
    "TrainingArguments",
    "SFTConfig",
    "DPOConfig",
    "GRPOConfig",
    "RLOOConfig",
    "KTOConfig",
    "RewardConfig",
)
TRL_CONFIGS = ARGS_CLASSES[1:]  # these turn bf16 on unless fp16 is set
TRAINERS = (
    "Trainer",
    "SFTTrainer",
    "DPOTrainer",
    "GRPOTrainer",
    "RLOOTrainer",
    "KTOTrainer",
    "RewardTrainer",
)
OTHER_CHECKED = ("LoraConfig", "BitsAndBytesConfig", "ModelConfig")
CHECKED_CALLS = (*ARGS_CLASSES, *TRAINERS, *OTHER_CHECKED)
REWARD_TRAINERS = ("GRPOTrainer", "RLOOTrainer")  # need reward_funcs or an environment that owns the reward
METHOD_OF = {
    "SFTTrainer": "sft",
    "Trainer": "sft",
    "DPOTrainer": "dpo",
    "GRPOTrainer": "grpo",
    "RLOOTrainer": "grpo",
    "KTOTrainer": "dpo",
    "RewardTrainer": "sft",
}
ARG_PARSERS = ("TrlParser", "HfArgumentParser", "ArgumentParser", "parse_args_into_dataclasses")
PUSH_CALLS = ("push_to_hub", "upload_folder", "upload_file", "upload_large_folder", "create_commit")
HUB_ID_KEYWORDS = ("hub_model_id", "repo_id", "repo_name")
# Hub namespaces copied from tutorials: the job gets a 403 creating the repo, before the first step.
PLACEHOLDER_NAMESPACE = re.compile(
    r"^(<[^>]*>|\{[^}]*\}|your[-_]?(hf[-_]?)?(user(name)?|name|org(anization)?|namespace|account|id)|"
    r"user(name)?|my[-_]?(user(name)?|org)|hf[-_]?user(name)?|xxx+|todo|changeme|placeholder)$",
    re.IGNORECASE,
)


@dataclass
class Call:
    name: str
    line: int
    keywords: dict[str, ast.expr]
    positional: list[ast.expr]
    owner: str | None = None  # `AutoModelForCausalLM` in AutoModelForCausalLM.from_pretrained(...)

    def const(self, key: str, default: Any = None) -> Any:
        node = self.keywords.get(key)
        return default if node is None else constant(node)


@dataclass
class ScriptFacts:
    calls: list[Call] = field(default_factory=list)
    strings: dict[str, str] = field(default_factory=dict)  # module-level NAME = "literal"
    cli_values: bool = False  # an argument parser fills the configs: their values are unknown here
    trains: bool = False  # a trainer is built or .train() called
    push_call: bool = False  # push_to_hub(), upload_folder(), ... is called somewhere
    torch_dtype_keys: list[int] = field(default_factory=list)  # lines of {"torch_dtype": ...}
    literals: list[tuple[str, int]] = field(default_factory=list)  # string constants with their lines
    bf16_attributes: list[int] = field(default_factory=list)  # torch.bfloat16
    imports: list[ast.Import | ast.ImportFrom] = field(default_factory=list)  # every import statement

    def of(self, *names: str) -> list[Call]:
        return [c for c in self.calls if c.name in names]


class _UnknownType:
    def __repr__(self) -> str:
        return "<not a constant>"


Unknown = _UnknownType()


def constant(node: ast.expr | None) -> Any:
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return Unknown


def name_of(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}  # node class -> its fields, less `ctx`


def walk(tree: ast.AST) -> list[ast.AST]:
    """Every node of `tree` in `ast.walk`'s order (breadth first, children in field order) except the
    expression contexts (Load/Store/Del, a third of all nodes, which no check reads), about twice as fast:
    a list that grows while it is read, no generator per node, each class's fields looked up once. A
    generated script has ~7,500 nodes and validating it is mostly this walk and the parse."""
    nodes = [tree]
    for node in nodes:
        fields = _CHILD_FIELDS.get(type(node))
        if fields is None:
            fields = _CHILD_FIELDS[type(node)] = tuple(f for f in node._fields if f != "ctx")
        for name in fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                nodes.append(value)
            elif type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        nodes.append(item)
    return nodes


def read_calls(tree: ast.Module) -> ScriptFacts:
    facts = ScriptFacts()
    for node in tree.body:
        is_string = isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        if is_string and isinstance(node.value.value, str):  # type: ignore[union-attr]
            for target in node.targets:  # type: ignore[union-attr]
                if isinstance(target, ast.Name):
                    facts.strings[target.id] = node.value.value  # type: ignore[union-attr]
    # Dispatch on the exact node class (a parsed tree holds no subclasses): `type(...) is` costs a fraction
    # of isinstance, and this loop visits every node of the script.
    for node in walk(tree):
        if type(node) is ast.Call:
            _read_call(node, facts)
        elif type(node) is ast.Constant:
            if type(node.value) is str:
                facts.literals.append((node.value, node.lineno))
        elif type(node) is ast.Attribute:
            if node.attr == "bfloat16":
                facts.bf16_attributes.append(node.lineno)
        elif type(node) is ast.Dict:
            for key in node.keys:
                if isinstance(key, ast.Constant) and key.value == "torch_dtype":
                    facts.torch_dtype_keys.append(key.lineno)
        elif type(node) is ast.Import or type(node) is ast.ImportFrom:
            facts.imports.append(node)
    return facts


def _read_call(node: ast.Call, facts: ScriptFacts) -> None:
    name = name_of(node.func)
    if name is None:
        return
    if name in ARG_PARSERS:
        facts.cli_values = True
    if name in PUSH_CALLS:
        facts.push_call = True
    if name in TRAINERS or name.endswith("Trainer") or name == "train":
        facts.trains = True
    keywords = {kw.arg: kw.value for kw in node.keywords if kw.arg is not None}
    owner = name_of(node.func.value) if isinstance(node.func, ast.Attribute) else None
    facts.calls.append(Call(name, node.lineno, keywords, list(node.args), owner))


def resolve_string(node: ast.expr | None, facts: ScriptFacts) -> str | None:
    """A string constant, or a module-level name bound to one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return facts.strings.get(node.id)
    return None


def placeholder_hub_id(value: str) -> bool:
    """`username/...`, `your-username/...`, `<user>/...`: a namespace nobody owns."""
    if "/" not in value or value.count("/") > 1:
        return False
    return bool(PLACEHOLDER_NAMESPACE.match(value.split("/", 1)[0]))


def trainer_model(call: Call, facts: ScriptFacts) -> str | None:
    """The model id a trainer is given by name (`model="Qwen/..."`, first positional), else None."""
    node = call.keywords.get("model") or (call.positional[0] if call.positional else None)
    return resolve_string(node, facts)


def model_init_dtype(facts: ScriptFacts) -> Any:
    """The dtype in any config's model_init_kwargs (None: not given; Unknown: not a constant)."""
    found: Any = None
    for call in facts.of(*ARGS_CLASSES, "ModelConfig"):
        if call.name == "ModelConfig" and "dtype" in call.keywords:
            return call.const("dtype")
        kwargs = call.keywords.get("model_init_kwargs")
        if kwargs is None:
            continue
        value = constant(kwargs)
        if isinstance(value, dict):
            found = value.get("dtype", value.get("torch_dtype", found))
        elif isinstance(kwargs, ast.Dict):
            keys = [constant(k) for k in kwargs.keys if k is not None]
            found = Unknown if ("dtype" in keys or "torch_dtype" in keys) else found
        else:
            found = Unknown
    return found
