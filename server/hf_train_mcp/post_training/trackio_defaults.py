"""Trackio on by default for training runs: where the metrics go and the dashboard's address.

For the training generator (which calls `trackio_settings` while resolving a request) and for the answer
that submits a run (which shows `dashboard`). A cloud job's disk is discarded, so a run there reports to a
Space, by default `<namespace of hub_model_id>/trackio`. A local run reports to trackio's local store only
when asked (`trackio=True`; `trackio show` opens it): its logs already feed `training_loss_curve`, and
trackio is not part of the pinned training stack a local machine has. `trackio=False` turns it off.
"""

from __future__ import annotations

from typing import Any

from hf_train_mcp.jobs.model import LOCAL_FLAVOR

DEFAULT_SPACE_NAME = "trackio"


def trackio_settings(
    *, trackio: bool | None, space_id: str | None, hub_model_id: str | None, flavor: str, project: str
) -> dict[str, Any]:
    """{"trackio", "trackio_space_id", "dashboard", "note"} for a run (trackio=None means the default: on)."""
    from hf_train_mcp import hub

    if trackio is False:
        return {"trackio": False, "trackio_space_id": None, "dashboard": None, "note": "trackio off (asked)"}
    if space_id is None and flavor != LOCAL_FLAVOR and hub_model_id and "/" in hub_model_id:
        space_id = f"{hub_model_id.split('/', 1)[0]}/{DEFAULT_SPACE_NAME}"
    if space_id:
        dashboard = f"{hub.endpoint()}/spaces/{space_id}?project={project}"
        note = f"live metrics on the trackio Space {space_id} (made on first log; trackio=false opts out)"
        return {"trackio": True, "trackio_space_id": space_id, "dashboard": dashboard, "note": note}
    if flavor == LOCAL_FLAVOR:
        if trackio:
            note = f"metrics in trackio's local store: `trackio show --project {project}` opens the dashboard"
            return {"trackio": True, "trackio_space_id": None, "dashboard": None, "note": note}
        note = "trackio off for a local run (training_loss_curve reads its logs); trackio=true turns it on"
        return {"trackio": False, "trackio_space_id": None, "dashboard": None, "note": note}
    note = "trackio off: without hub_model_id or trackio_space_id a cloud job loses its metrics with its disk"
    return {"trackio": False, "trackio_space_id": None, "dashboard": None, "note": note}
