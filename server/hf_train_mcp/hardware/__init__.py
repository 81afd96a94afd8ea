"""hardware capability: which Jobs flavor a plan needs, whether it fits, how long it runs, what it costs.

The only owner of flavors and prices: one lookup (with the one unknown-flavor message), one price per
hour, one billing rule, one timeout factor; other capabilities import them from api.py.

- contract.py    the data: FlavorInfo, TrainingPlan, Recommendation, the errors (imports no sibling)
- api.py         the contract other capabilities call: flavor_info(), lookup(), price_per_hour(),
                 unknown_flavor_message(), fit(), recommend(), estimate(), budget_verdict(),
                 TIMEOUT_FACTOR, FIT_MARGIN (imports its siblings; none imports it: no cycle)
- catalog.py     flavors: the live Hub hardware list (cached, refreshed hourly) or flavors.json (dated)
- models.py      model shapes: local config.json, models.json (popular models), the Hub, params_b
- memory.py      what must fit per GPU (reserved memory + CUDA context), term by term, and the fit
- throughput.py  time: k x N x D / (HFU x peak x GPUs) + start-up, generation for GRPO/inference
- recommend.py   cheapest fitting flavor, alternatives, notes, timeout rule, budget verdict
- tool.py        the recommend_hardware MCP tool (ToolError only here)

Evidence: tests/hardware (every term, the GPU runs, the budget headline), benchmarks/estimates.py
(the H200 runs of gpu-measurements.md, published peaks, the design documents' rule table).
"""
