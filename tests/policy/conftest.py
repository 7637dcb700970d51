"""Policy tests: make `mlopsgen audit` and `mlopsgen rules` reachable through cli.main."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def _policy_commands() -> None:
    """Register the commands as cli.py will (a no-op once the lead has registered them)."""
    from mlopsgen.cli import cli
    from mlopsgen.policy.commands import audit_command, rules_command

    cli.commands.setdefault("audit", audit_command)
    cli.commands.setdefault("rules", rules_command)
