"""Where the tests read the material handed to the team (a real Slack export, Slack's API
examples): `../shared/data` beside the clone, as CI lays it out, or `OCO_SHARED_DATA`.
It is read in place, never copied into the repository."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("OCO_SHARED_DATA") or REPO / ".." / "shared" / "data")
