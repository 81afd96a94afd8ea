"""dataset_inspection capability: inspect_dataset reads a few rows of a Hub dataset (through the Dataset
Viewer, or the repo's files with `huggingface_hub`) or a local file, and reports its columns, format and
readiness per TRL method (`hf_train_mcp.dataset_formats`) with the column mapping that would make it ready
(`hf_train_mcp.dataset_mapping`); its ShareGPT conversion is the one generated scripts run
(`training.sharegpt`).
"""
