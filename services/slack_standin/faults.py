"""Faults the stand-in injects on request, so tests can show how the product copes with
Slack's bad days: rate limits, server errors, stalls and refusals."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class FaultKind(StrEnum):
    RATE_LIMITED = "rate_limited"  # HTTP 429 with Retry-After, body {"ok": false, "error": "ratelimited"}
    HTTP_ERROR = "http_error"      # an HTTP 5xx with a non-JSON body, as a failing load balancer answers
    STALL = "stall"                # wait, then answer (and act) normally: the client may time out first
    ERROR = "error"                # HTTP 200 {"ok": false, "error": <error>}


@dataclass
class Fault:
    """One fault for the next `count` calls of `method` (`*` = any method) whose arguments
    include `match` (e.g. `{"channel": "D…"}`, so concurrent traffic doesn't use it up)."""

    kind: FaultKind
    method: str = "*"
    count: int = 1
    match: dict[str, str] = field(default_factory=dict)
    retry_after: int = 1
    status: int = 500
    seconds: float = 1.0
    error: str = "invalid_auth"

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Fault:
        """A fault from a control request; ValueError when it is not one."""
        known = {k: body[k] for k in ("method", "count", "retry_after", "status", "seconds", "error", "match") if k in body}
        fault = cls(kind=FaultKind(body.get("kind", "")), **known)
        if not isinstance(fault.match, dict):
            raise ValueError("match must be an object of argument values")
        if fault.count < 1:
            raise ValueError("count must be at least 1")
        if fault.kind is FaultKind.HTTP_ERROR and not 500 <= int(fault.status) <= 599:
            raise ValueError("status must be a 5xx")
        return fault

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultBook:
    """Pending faults, used first-come first-served; each call consumes at most one."""

    def __init__(self) -> None:
        self.pending: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self.pending.append(fault)

    def clear(self) -> None:
        self.pending.clear()

    def take(self, method: str, args: dict[str, Any]) -> Fault | None:
        for fault in self.pending:
            if fault.method in ("*", method) and all(str(args.get(k)) == str(v) for k, v in fault.match.items()):
                fault.count -= 1
                if fault.count == 0:
                    self.pending.remove(fault)
                return fault
        return None
