"""The one finding type that crosses every layer: spec errors, policy and audit findings."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Diagnostic", "Location", "Severity"]


class Severity(str, enum.Enum):
    """How bad a finding is, ordered from least to most severe."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """Position in the ordering, for thresholds such as ``--fail-on``."""
        return list(Severity).index(self)


@dataclass(frozen=True)
class Location:
    """Where a finding points: a file, a 1-based line and column, and a JSON path."""

    file: str
    line: int | None = None
    column: int | None = None
    json_path: str = ""

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


@dataclass(frozen=True)
class Diagnostic:
    """One finding: a stable code, a severity, a message, where, and a hint."""

    code: str
    severity: Severity
    message: str
    location: Location
    hint: str | None = None
    url: str | None = None

    def format(self) -> str:
        """Render as the one-line form ``file:line:col: path: message (hint: ...)``."""
        path = f"{self.location.json_path}: " if self.location.json_path else ""
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"{self.location}: {path}{self.message}{hint}"

    def format_finding(self) -> str:
        """Render a policy finding as ``audit`` does: ``file:line:col: severity RULE message``."""
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"{self.location}: {self.severity.value} {self.code} {self.message}{hint}"
