"""workflow capability: prepare_training, one call from intent (model, dataset, method, budget) to a
checked, submittable (or submitted) Hugging Face Job.

`prepare` composes the domain functions (dataset inspection, account and model checks in `checks`, one
hardware estimate, `training.generate.generate_script`) and records each decision with its reason; it
raises `checks.PrepareError`, which only `tool` turns into an MCP error.
"""
