"""The inspection's own error: a dataset that cannot be read or does not have what was asked for.

Raised by the domain code with a message that says what to send instead; the tool layer (and
prepare_training) turn it into their own errors. Hub failures keep hub.py's error, already worded.
"""

from hf_train_mcp.errors import AgentError


class InspectionError(AgentError, ValueError):
    """The dataset cannot be inspected as asked; the message says why and what to pass instead."""
