"""The one exception hierarchy: what a user can fix versus what is a bug."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlopsgen.diagnostics import Diagnostic

__all__ = [
    "GeneratorError",
    "GeneratorWarning",
    "PolicyError",
    "SpecError",
    "TargetExistsError",
    "UserError",
]


class GeneratorError(Exception):
    """Base of every error mlopsgen raises on purpose."""


class UserError(GeneratorError):
    """A problem the user can fix: bad input, a refused target, a missing file.

    Args:
        message: What went wrong, in one sentence.
        path: The file or directory concerned, when there is one.
        hint: What to do about it, when something useful can be said.
    """

    def __init__(self, message: str, *, path: Path | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.hint = hint

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path is not None else ""
        tail = f" (hint: {self.hint})" if self.hint else ""
        return f"{where}{self.message}{tail}"


class SpecError(UserError):
    """A spec that cannot be used; carries every problem found, not just the first."""

    def __init__(self, diagnostics: Sequence[Diagnostic], *, path: Path | None = None):
        count = len(diagnostics)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"invalid spec: {count} {noun}", path=path)
        self.diagnostics = tuple(diagnostics)


class PolicyError(UserError):
    """A spec that fails its own policy packs; rendering it is refused (exit 1).

    Carries the findings at or above the packs' fail threshold.
    """

    def __init__(self, diagnostics: Sequence[Diagnostic], *, path: Path | None = None):
        count = len(diagnostics)
        super().__init__(
            f"the spec fails its policy packs: {count} finding{'s' if count != 1 else ''} "
            "at or above their fail threshold; nothing written",
            path=path,
            hint="fix the spec, waive the rule in policies.waivers (with a reason, an owner "
            "and an expiry), or pass --allow-findings",
        )
        self.diagnostics = tuple(diagnostics)


class TargetExistsError(UserError):
    """The output directory is not empty and --force was not given."""


class GeneratorWarning(UserWarning):
    """Base of the warnings mlopsgen emits (lossy mappings, deprecated keys)."""
