"""dataset_inspection capability."""
