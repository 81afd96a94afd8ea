"""hardware capability: which Jobs flavor a plan needs, how long it runs, what it costs.

- api.py         the contract other capabilities call: FlavorInfo, TrainingPlan, Recommendation,
                 flavor_info(), recommend(), estimate()
- catalog.py     flavors: the live Hub hardware list (cached, refreshed hourly) or flavors.json (dated)
- models.py      model shapes: local config.json, models.json (popular models), the Hub, params_b
- memory.py      peak GPU memory per GPU, term by term (documented constants)
- throughput.py  time: k x N x D / (HFU x peak x GPUs) + start-up, generation for GRPO/inference
- recommend.py   cheapest fitting flavor, alternatives, notes, timeout rule
- tool.py        the recommend_hardware and estimate_cost MCP tools

Evidence: tests/hardware (every term), benchmarks/estimates.py (against published peaks and the design
documents' rule table).
"""
