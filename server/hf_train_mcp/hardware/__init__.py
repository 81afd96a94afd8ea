"""hardware capability."""
