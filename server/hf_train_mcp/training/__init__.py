"""training capability: generate, validate and rehearse fine-tuning scripts for Hugging Face Jobs.

Modules, in the order a request flows through them:

- `arguments`: every training argument declared once (type, bounds, description, default), the request
  models per method, `parse_request`, and `hardware_plan` (request -> the hardware model's TrainingPlan).
- `resolve`: the named decision steps (`STEPS`: flavor, parallelism, memory, timeout, precision, attention,
  method rules, data, output, training) that turn a request into a `config.Plan` and record their checks;
  the steps that read the machine are in `hardware_steps`, the others in `memory_fit`, `method_rules`
  and `data_checks` (the data step's column checks).
- `config`: the shapes: `Check`, `ScriptConfig` (the script's CONFIG, declared) and `Plan`.
- `runner`: the training script's code as an importable, linted module (its entry point; `runner_io`,
  `runner_data`, `runner_methods`, `runner_trainer`, `runner_fit`, `launch` and `sharegpt` hold its parts);
  `render` writes it out as a PEP 723 script (header + `CONFIG = {literal}` + runner code, the parts inlined).
- `generate`: `generate_script(arguments) -> GeneratedScript`, the domain function the tools and
  prepare_training share; `static_checks` / `introspect` check scripts against the pinned stack;
  `dry_run` rehearses one; `tool` registers the MCP tools (the only place errors become ToolError).

Import-light: the summary parser only (json). Everything else is imported where it is used.
"""

from hf_train_mcp.training.summary import SUMMARY_PREFIX, parse_summary

__all__ = ["SUMMARY_PREFIX", "parse_summary"]
