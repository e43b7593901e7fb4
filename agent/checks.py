"""``hearth.Check``: one line of ``hearth doctor``'s report, as core checks and plugins' ``doctor_checks`` give it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    """One line of the report: ``status`` (ok, warn or fail), what was checked (``name``, e.g. ``"model
    qwen"``) and what was found (``detail``, a sentence that says what to do when it is not ok).

    ``data`` holds machine-readable facts behind the line (``hearth doctor --json`` prints them as
    ``details``), e.g. the host asked or the GPU plan."""

    status: Status
    name: str
    detail: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form ``hearth doctor --json`` prints."""
        return {"check": self.name, "status": self.status, "message": self.detail, "details": dict(self.data)}
