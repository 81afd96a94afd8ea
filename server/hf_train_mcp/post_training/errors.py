"""The after-training tools' own error: a request they cannot turn into a job, worded for the agent."""

from __future__ import annotations

from hf_train_mcp.errors import AgentError


class PostTrainingError(AgentError):
    """What was wrong with the export / evaluation / Space / loss-curve request, and what to send instead."""
