"""Job modules rendered into uv scripts (and the Space app); each runs without hf_train_mcp installed."""
