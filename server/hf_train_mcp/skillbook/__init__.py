"""skillbook capability."""
