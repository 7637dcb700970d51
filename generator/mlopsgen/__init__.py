"""mlopsgen: one policy-checked spec to a runnable ML repository and its CI/CD pipelines."""

from __future__ import annotations

from mlopsgen.diagnostics import Diagnostic, Location, Severity
from mlopsgen.errors import GeneratorError, GeneratorWarning, SpecError, UserError

__version__ = "0.1.0"

__all__ = [
    "Diagnostic",
    "GeneratorError",
    "GeneratorWarning",
    "Location",
    "Severity",
    "SpecError",
    "UserError",
    "__version__",
    "create_repository",
    "load_spec",
    "parse_spec",
    "schema_text",
]


def __getattr__(name: str) -> object:
    # Lazy re-exports: `import mlopsgen` stays cheap for the CLI's start-up time.
    if name == "create_repository":
        from mlopsgen.new import create_repository  # noqa: PLC0415

        return create_repository
    if name in {"load_spec", "parse_spec", "schema_text"}:
        from mlopsgen import spec  # noqa: PLC0415

        return getattr(spec, name)
    raise AttributeError(name)
