"""Break a rendered repository the ways its pipeline's gates must catch, for a pipeline run.

Each fault is what a user could commit; the pipeline job named beside it must fail, and
with it every deploy (they need every gate):

    bad-row     a training row outside the data contract       -> data-validate
    threshold   a model metric minimum no model reaches        -> model-gate
    fake-key    a committed AWS access key pair                 -> secrets-scan
    bandit-high a shell=True subprocess call (bandit B602 high) -> sast

The threshold fault edits mlops.yaml and re-renders with ``mlopsgen render``, as a user
would, so the first job (``mlopsgen check``) still passes and the gate is what fails.
Then run the pipeline, e.g.::

    mlopsgen new examples/spam-filter.yaml -o /tmp/faulty
    python tools/inject_faults.py /tmp/faulty bad-row fake-key bandit-high
    ../shared/oracles/run-gitlab-pipeline --variable MLOPSGEN=$PWD /tmp/faulty
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import yaml
from ruamel.yaml import YAML

from mlopsgen.spec import load_spec


def bad_row(repo: Path) -> str:
    """Append a training row whose first bounded column is ten times its maximum."""
    spec = load_spec(repo / "mlops.yaml")
    source = repo / spec.data.sources[0]
    contract = yaml.safe_load((repo / spec.data.contract).read_text(encoding="utf-8"))
    column, rule = next(
        (name, rule)
        for name, rule in contract["columns"].items()
        if isinstance(rule, dict) and "max" in rule
    )
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    bad = dict(rows[-1])
    bad[column] = str(float(rule["max"]) * 10 + 1)
    with source.open("a", encoding="utf-8", newline="") as handle:
        csv.DictWriter(handle, fieldnames=list(rows[0])).writerow(bad)
    return f"{source.relative_to(repo)}: {column} = {bad[column]} (contract max {rule['max']})"


def threshold(repo: Path) -> str:
    """Raise the first model metric's minimum to 0.999 and re-render."""
    path = repo / "mlops.yaml"
    yaml_rt = YAML()
    yaml_rt.preserve_quotes = True
    data = yaml_rt.load(path.read_text(encoding="utf-8"))
    metric = next(iter(data["model"]["metrics"]))
    data["model"]["metrics"][metric] = {"min": 0.999}
    with path.open("w", encoding="utf-8") as handle:
        yaml_rt.dump(data, handle)
    subprocess.run([sys.executable, "-m", "mlopsgen", "render", "-C", str(repo)], check=True)
    return f"mlops.yaml: model.metrics.{metric}.min = 0.999, re-rendered"


def fake_key(repo: Path) -> str:
    """Commit an AWS access key pair (AWS's documentation example) in an INI file."""
    # Assembled here so that this file itself carries no key for a scanner to find.
    key_id = "AKIA" + "IOSFODNN7" + "EXAMPLE"
    secret = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
    path = repo / "deploy" / "credentials.ini"
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n",
        encoding="utf-8",
    )
    return f"{path.relative_to(repo)}: an AWS access key pair"


def bandit_high(repo: Path) -> str:
    """Add a module that runs a command through the shell."""
    spec = load_spec(repo / "mlops.yaml")
    path = repo / "src" / spec.project.slug / "shell.py"
    # ruff's own bandit port is silenced the way a hurried developer would; bandit is not.
    path.write_text(
        '"""Run a maintenance command."""\n\n'
        "import subprocess\n\n\n"
        "def run(command: str) -> int:\n"
        '    """Run command through the shell."""\n'
        "    return subprocess.call(command, shell=True)  # noqa: S602\n",
        encoding="utf-8",
    )
    return f"{path.relative_to(repo)}: subprocess.call(..., shell=True) (bandit B602, high)"


FAULTS: dict[str, Callable[[Path], str]] = {
    "bad-row": bad_row,
    "threshold": threshold,
    "fake-key": fake_key,
    "bandit-high": bandit_high,
}


def main() -> int:
    """Apply the faults named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path, help="a repository rendered by mlopsgen new")
    parser.add_argument("faults", nargs="+", choices=sorted(FAULTS))
    args = parser.parse_args()
    if not (args.repo / "mlops.yaml").is_file():
        parser.error(f"{args.repo}: no mlops.yaml (render one with mlopsgen new)")
    for name in args.faults:
        print(f"{name}: {FAULTS[name](args.repo)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
