"""training capability: generate, validate and rehearse fine-tuning scripts for Hugging Face Jobs.

Import-light: the summary parser only (json). Everything else is imported where it is used.
"""

from hf_train_mcp.training.summary import SUMMARY_PREFIX, parse_summary

__all__ = ["SUMMARY_PREFIX", "parse_summary"]
