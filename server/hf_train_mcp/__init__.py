"""hf-train-mcp: fine-tune language models on Hugging Face Jobs from any MCP client.

Kept import-free on purpose: `import hf_train_mcp` must stay cheap so the server starts fast.
"""

__version__ = "0.1.0"
