"""After training: merge + GGUF export, evaluation, a demo Space, and the loss curve of a job.

Tools: export_model, evaluate_model, create_demo_space, training_loss_curve (registered by `tool`).
The export and evaluation jobs are real modules in `jobs/`, rendered into pinned uv scripts by `scripts`.
Other packages import `next_steps_after_training` (what to suggest when a training job completes) and
`trackio_settings` (trackio on by default, with the dashboard's address).
"""

from hf_train_mcp.post_training.next_steps import next_steps_after_training, next_steps_markdown
from hf_train_mcp.post_training.trackio_defaults import trackio_settings

__all__ = ["next_steps_after_training", "next_steps_markdown", "trackio_settings"]
