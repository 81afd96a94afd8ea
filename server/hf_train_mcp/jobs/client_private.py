"""The private `huggingface_hub` helpers this server still needs, in one place.

`huggingface_hub` 2.4 has no public way to get the JSON body `run_job` would send (our `dry_run` and
scheduled jobs need it) or the default job name it derives; everything else goes through the public
`HfApi` and `huggingface_hub.JobInfo` (`ScheduledJobInfo` is not exported either).
`tests/jobs/test_client_private.py` pins
these names and signatures, and checks that the spec built here is the body the client really sends,
so a client upgrade that moves them fails a test instead of a user's call.
"""

from __future__ import annotations

from typing import Any


def create_job_spec(**kwargs: Any) -> dict[str, Any]:
    """The JobSpec body `HfApi.run_job(**kwargs)` sends (no namespace or token)."""
    from huggingface_hub._jobs_api import _create_job_spec

    return _create_job_spec(**kwargs)


def default_job_name_from_image(image: str, command: list[str]) -> str:
    """The name `run_job` gives a job without one (image and command)."""
    from huggingface_hub._jobs_api import _default_job_name_from_image

    return _default_job_name_from_image(image, command)


def default_job_name_from_script(script: str, script_args: list[str] | None) -> str:
    """The name `run_uv_job` gives a job without one (script and its arguments)."""
    from huggingface_hub._jobs_api import _default_job_name_from_script

    return _default_job_name_from_script(script, script_args)


def scheduled_job_info_class() -> type:
    """The class `HfApi` builds scheduled-job answers from (not exported by `huggingface_hub` 2.4)."""
    from huggingface_hub._jobs_api import ScheduledJobInfo

    return ScheduledJobInfo
