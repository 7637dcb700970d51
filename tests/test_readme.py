"""README.md documents every command of the CLI, and `.ci/run` runs exactly its commands."""

from __future__ import annotations

import re
from collections.abc import Callable

from mlopsgen.cli import cli
from tests.repo_paths import ROOT, CliResult

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _table_commands() -> set[str]:
    """The subcommand of each row of the README's command table."""
    table = README.split("## Commands", 1)[1].split("\n\n", 2)[1]
    return set(re.findall(r"^\| `mlopsgen (\w+)", table, flags=re.MULTILINE))


def test_every_command_in_help_is_in_the_readme_table(run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("--help")
    assert result.code == 0
    listed = result.out.split("Commands:", 1)[1]
    in_help = set(re.findall(r"^  (\w+)\s", listed, flags=re.MULTILINE))
    assert in_help == set(cli.commands), "the parse of --help found every command"
    assert in_help <= _table_commands(), f"missing from README: {in_help - _table_commands()}"


def test_readme_documents_allow_findings_and_a_virtual_environment() -> None:
    assert "--allow-findings" in README
    assert "virtual environment" in README and "externally-managed-environment" in README


def _bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)\n```", text, flags=re.DOTALL)


def test_ci_run_calls_exactly_the_readme_commands() -> None:
    setup = README.split("## Set up", 1)[1].split("## Test", 1)[0]
    test = README.split("## Test", 1)[1].split("##", 1)[0]
    commands = [_bash_blocks(setup)[0], _bash_blocks(test)[0]]
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [ln for ln in run.splitlines() if ln and not ln.startswith(("#", "set ", "cd "))]
    assert _without_installs(lines) == commands


#: The only lines a guarded install block of .ci/run may hold: root or sudo, then apt-get;
#: or a Python tool in its own venv under build/ (checkov: its pins clash with the dev
#: tools), put on PATH.
_INSTALL_LINE = re.compile(
    r'\s*(sudo=\$\(\[ "\$\(id -u\)" -eq 0 \] \|\| echo sudo\)'
    r"|\$sudo env DEBIAN_FRONTEND=noninteractive apt-get (update|install) [-\w ]+"
    r"|python3 -m venv build/(\w+) && build/\3/bin/python -m pip install --quiet '[\w<>=.,]+'"
    r'|export PATH="\$PWD/build/\w+/bin:\$PATH")'
)


def _without_installs(lines: list[str]) -> list[str]:
    """``lines`` minus guarded installs of system requirements (``if ! command -v TOOL``).

    Each such block runs apt-get only (update, install) and installs something.
    """
    out: list[str] = []
    block: list[str] | None = None
    for line in lines:
        if block is None and re.fullmatch(r"if ! command -v [\w-]+ > /dev/null 2>&1; then", line):
            block = []
        elif block is not None and line == "fi":
            assert any(" apt-get install " in ln or " pip install " in ln for ln in block), block
            block = None
        elif block is not None:
            assert _INSTALL_LINE.fullmatch(line), f"not an install: {line}"
            block.append(line)
        else:
            out.append(line)
    assert block is None, "an install block without fi"
    return out


def test_an_install_block_holds_installs_only() -> None:
    guard = "if ! command -v promtool > /dev/null 2>&1; then"
    install = "    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y prometheus"
    assert _without_installs(["a", guard, install, "fi", "b"]) == ["a", "b"]
    for smuggled in (
        "    pytest -x",
        "    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y x; rm -rf /",
    ):
        try:
            _without_installs([guard, smuggled, install, "fi"])
        except AssertionError:
            continue
        raise AssertionError(f"accepted {smuggled!r}")
