"""`mlopsgen new`: rendering examples, staging, refusal, dry runs, no template evaluation."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from mlopsgen import __version__
from mlopsgen.new import create_repository
from mlopsgen.scaffold import CONTEXT_KEYS, build_context
from mlopsgen.spec import load_spec
from tests.repo_paths import EXAMPLES, ROOT, CliResult

MINIMAL = "version: 1\nproject:\n  name: Spam Filter\n"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_renders_every_example(
    tmp_path: Path, run_cli: Callable[..., CliResult], example: Path
) -> None:
    out = tmp_path / "repo"
    result = run_cli("new", str(example), "-o", str(out))
    assert result.code == 0
    spec = load_spec(example)
    module = spec.project.slug
    assert (out / "mlops.yaml").read_text() == example.read_text(), "spec copied verbatim"
    for rel in (
        "Makefile",
        "pyproject.toml",
        "README.md",
        ".gitignore",
        ".pre-commit-config.yaml",
        "data/contract.yaml",
        "data/raw/train.csv",
        f"src/{module}/__init__.py",
        f"src/{module}/train.py",
        f"src/{module}/gate.py",
        f"src/{module}/drift.py",
        f"src/{module}/lineage.py",
    ):
        assert (out / rel).is_file(), rel
    target = spec.deploy.target.value
    assert (out / "Dockerfile").exists() == (target == "webservice")
    assert (out / f"src/{module}/serve.py").exists() == (target == "webservice")
    assert (out / f"src/{module}/batch.py").exists() == (target == "batch")
    assert (out / f"src/{module}/export.py").exists() == (target == "edge")
    assert (out / "dvc.yaml").exists() == (spec.data.versioning == "dvc")
    assert not list(out.parent.glob(".repo.mlopsgen-*")), "staging directory cleaned up"
    assert f"{spec.project.name!r}" in result.out


def test_makefile_targets(tmp_path: Path) -> None:
    out = tmp_path / "repo"
    create_repository((ROOT / "examples/spam-filter.yaml").read_text(), out)
    makefile = (out / "Makefile").read_text()
    for target in (
        "check",
        "secrets-check",
        "lint",
        "test",
        "sast",
        "audit-deps",
        "secrets-scan",
        "data-validate",
        "train",
        "evaluate",
        "model-gate",
        "drift",
        "all",
    ):
        assert f"\n{target}:" in makefile, target
    assert "spec-check" not in makefile


def test_context_covers_the_template_variables() -> None:
    declared = json.loads((ROOT / "template/cookiecutter.json").read_text())
    public = {k for k in declared if not k.startswith("_")}
    assert public == set(CONTEXT_KEYS)
    context = build_context(load_spec(EXAMPLES[0]), "x")
    assert set(CONTEXT_KEYS) <= set(context)


def test_make_check_installs_the_rendering_version() -> None:
    declared = json.loads((ROOT / "template/cookiecutter.json").read_text())
    assert declared["mlopsgen_version"] == __version__, "plain cookiecutter's default pin"
    assert build_context(load_spec(EXAMPLES[0]), "x")["mlopsgen_version"] == __version__


def test_make_check_runs_mlopsgen_check_and_never_skips(tmp_path: Path) -> None:
    create_repository(MINIMAL, tmp_path / "repo")
    makefile = (tmp_path / "repo" / "Makefile").read_text()
    assert f"\nMLOPSGEN ?= mlopsgen=={__version__}\n" in makefile
    recipe = makefile.split("\ncheck:", 1)[1].split("\n\n", 1)[0]
    assert '-m pip install --quiet --disable-pip-version-check "$(MLOPSGEN)" ||' in recipe
    assert "exit 2; }" in recipe, "a failed install fails the target"
    assert recipe.rstrip().endswith("$(PYTHON) -m mlopsgen check .")
    assert (tmp_path / "repo" / ".mlopsgen" / "mlops.schema.json").is_file()


def _rendered(tmp_path: Path, spec: Path) -> Path:
    out = tmp_path / spec.stem
    create_repository(spec.read_text(), out)
    return out


SECRET_SPECS = sorted((ROOT / "tests/cases/secrets").glob("*.yaml"))


@pytest.mark.parametrize("path", [*EXAMPLES, *SECRET_SPECS], ids=lambda p: p.stem)
def test_dotenv_example_names_every_secret_without_a_value(tmp_path: Path, path: Path) -> None:
    spec = load_spec(path)
    text = (_rendered(tmp_path, path) / ".env.example").read_text()
    assert "copy .env.example .env" in text.replace("`", "").replace("cp ", "copy ")
    assert "git-ignored" in text
    entries = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert entries == [f"{item.name}=" for item in spec.secrets.items], "names, never values"
    for item in spec.secrets.items:
        comment = text.split(f"\n{item.name}=")[0].rsplit("\n", 1)[1]
        assert comment.startswith(f"# {spec.secrets.provider} {item.ref}; stages: ")
        assert ", ".join(item.stages) in comment
        if item.environments:
            assert f"environments: {', '.join(item.environments)}" in comment


def test_dotenv_example_without_secrets(tmp_path: Path) -> None:
    create_repository(MINIMAL, tmp_path / "repo")
    text = (tmp_path / "repo" / ".env.example").read_text()
    assert "declares no secrets" in text
    assert not [line for line in text.splitlines() if line and not line.startswith("#")]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
@pytest.mark.parametrize("path", [*EXAMPLES, SECRET_SPECS[0]], ids=lambda p: p.stem)
def test_gitignore_keeps_credentials_out_and_nothing_rendered(tmp_path: Path, path: Path) -> None:
    out = _rendered(tmp_path, path)
    git = shutil.which("git") or "git"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([git, *args], cwd=out, capture_output=True, text=True, check=False)

    assert run("init", "-q").returncode == 0
    ignored = run("ls-files", "--others", "--ignored", "--exclude-standard").stdout.split()
    assert ignored == [], "the template ships files its own .gitignore ignores"
    credentials = [".env", ".env.local", "sub/.env.prod", "gha-creds-1a2b.json", "ca.pem", "x.key"]
    checked = run("check-ignore", "--no-index", *credentials, ".env.example")
    assert checked.stdout.split() == credentials


def _secret_scan_args(out: Path) -> tuple[list[str], list[str]]:
    makefile = (out / "Makefile").read_text()
    block = makefile.split("\nSECRETS_ALLOW := \\\n", 1)[1].split("\n\n", 1)[0]
    make_args = [
        arg
        for line in block.splitlines()
        for arg in re.findall(r"(--exclude-lines) '([^']+)'", line)[0]
    ]
    config = yaml.safe_load((out / ".pre-commit-config.yaml").read_text())
    (hook,) = [h for repo in config["repos"] for h in repo["hooks"] if h["id"] == "detect-secrets"]
    return make_args, hook["args"]


def _assert_search(
    patterns: list[re.Pattern[str]], *, matched: list[str], unmatched: list[str]
) -> None:
    for text in matched:
        assert any(p.search(text) for p in patterns), f"not matched: {text}"
    for text in unmatched:
        assert not any(p.search(text) for p in patterns), f"matched: {text}"


def test_secret_scan_allowances_are_narrow_and_shared(tmp_path: Path) -> None:
    out = _rendered(tmp_path, EXAMPLES[0])
    make_args, hook_args = _secret_scan_args(out)
    assert make_args == hook_args, "make secrets-scan and the hook allow the same lines"
    patterns = [re.compile(p) for p in hook_args[1::2]]
    allowed = [
        'ref: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ml/registry-AbCdEf"',
        '    workload_identity_provider: "projects/42/locations/global/'
        'workloadIdentityPools/ci-pool/providers/gh"',
        'ref: "projects/shared/secrets/registry-password/versions/3"',
    ]
    refused = [
        'ref: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x" AKIA' + "Q" * 16,
        'password: "hunter2hunter2"',
        'AWS_SECRET_ACCESS_KEY = "arn:aws:iam::123456789012:root"',
        'token: "projects/p/secrets/s" # and more',
    ]
    _assert_search(patterns, matched=allowed, unmatched=refused)


def test_every_hook_installs_from_a_registry(tmp_path: Path) -> None:
    config = yaml.safe_load(
        (_rendered(tmp_path, EXAMPLES[0]) / ".pre-commit-config.yaml").read_text()
    )
    assert [repo["repo"] for repo in config["repos"]] == ["local"], "no GitHub clones"
    hooks = {hook["id"]: hook for hook in config["repos"][0]["hooks"]}
    assert hooks["detect-secrets"]["additional_dependencies"] == ["detect-secrets==1.5.0"]
    assert hooks["mlopsgen-check"]["entry"] == "make check"
    for hook in hooks.values():
        pins = hook.get("additional_dependencies", [])
        assert all("==" in pin for pin in pins), hook["id"]
        assert hook["language"] in {"python", "system"}, hook["id"]


def test_gitleaks_skips_git_ignored_credentials_only(tmp_path: Path) -> None:
    tomllib = pytest.importorskip("tomllib")
    text = (
        MINIMAL
        + "security:\n  secrets_scan: {tool: gitleaks}\n"
        + "secrets:\n  items: [{name: TOKEN, ref: TOKEN}]\n"
    )
    out = tmp_path / "repo"
    create_repository(text, out)
    config = tomllib.loads((out / ".gitleaks.toml").read_text())
    paths = [re.compile(p) for p in config["allowlist"]["paths"]]
    skipped = [
        ".env",
        "sub/.env",
        ".env.local",
        ".env.e",
        ".env.exampl",
        ".env.examples",
        ".env.production",
        "gha-creds-abc.json",
        "tls.pem",
        "id.key",
        "data/raw/x.csv",
    ]
    scanned = [
        ".env.example",
        "sub/.env.example",
        "src/pkg/secrets.py",
        "mlops.yaml",
        ".envrc",
        "Makefile",
        "docs/keys.md",
    ]
    _assert_search(paths, matched=skipped, unmatched=scanned)
    hooks = yaml.safe_load((out / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    (gitleaks,) = [h for h in hooks if h["id"] == "gitleaks"]
    assert gitleaks["language"] == "golang"
    assert gitleaks["additional_dependencies"][0].startswith("github.com/zricethezav/gitleaks/v8@v")


def test_refuses_non_empty_target(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text(MINIMAL)
    out = tmp_path / "repo"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = run_cli("new", str(spec), "-o", str(out))
    assert result.code == 2
    assert "is not empty" in result.err
    assert "--force" in result.err
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_force_overwrites_generated_files_and_keeps_others(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text(MINIMAL)
    out = tmp_path / "repo"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    (out / "README.md").write_text("old")
    assert run_cli("new", str(spec), "-o", str(out), "--force").code == 0
    assert (out / "keep.txt").read_text() == "mine"
    assert (out / "README.md").read_text() != "old"
    assert (out / "Makefile").is_file()


def test_empty_existing_target_is_used(tmp_path: Path) -> None:
    out = tmp_path / "repo"
    out.mkdir()
    create_repository(MINIMAL, out)
    assert (out / "Makefile").is_file()


@pytest.mark.parametrize("existing", [True, False], ids=["empty-dir", "dangling"])
def test_a_link_as_target_renders_where_it_points(
    tmp_path: Path, run_cli: Callable[..., CliResult], existing: bool
) -> None:
    """-o LINK follows the link (exit 3 before: the rename met the link, not a directory)."""
    spec = tmp_path / "mlops.yaml"
    spec.write_text(MINIMAL)
    real = tmp_path / "elsewhere" / "repo"
    if existing:
        real.mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    result = run_cli("new", str(spec), "-o", str(link))
    assert result.code == 0, result.err
    assert link.is_symlink() and link.resolve() == real
    assert (real / "Makefile").is_file() and (real / "mlops.yaml").read_text() == MINIMAL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "link", "mlops.yaml"]


def test_a_link_to_a_non_empty_directory_is_refused_and_a_loop_explained(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text(MINIMAL)
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    (tmp_path / "link").symlink_to(full)
    result = run_cli("new", str(spec), "-o", str(tmp_path / "link"))
    assert result.code == 2 and "is not empty" in result.err
    assert sorted(p.name for p in full.iterdir()) == ["keep.txt"]
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    result = run_cli("new", str(spec), "-o", str(tmp_path / "a"))
    assert result.code == 2, result.err
    assert "is a symbolic link that cannot be followed" in result.err


def test_dry_run_writes_nothing(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    out = tmp_path / "repo"
    result = run_cli("new", str(EXAMPLES[0]), "-o", str(out), "--dry-run")
    assert result.code == 0
    assert not out.exists()
    listed = result.out.splitlines()
    assert str(out / "Makefile") in listed
    assert "files would be written" in result.err
    assert list(tmp_path.iterdir()) == []


def test_values_are_never_evaluated_as_templates(tmp_path: Path) -> None:
    text = MINIMAL + "  description: 'uses {{ 7*7 }} and {% raw %} literally'\n"
    out = tmp_path / "repo"
    create_repository(text, out)
    assert (out / "mlops.yaml").read_text() == text
    readme = (out / "README.md").read_text()
    assert "uses {{ 7*7 }} and {% raw %} literally" in readme
    assert "49" not in readme


def test_no_input_uses_defaults(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    out = tmp_path / "repo"
    result = run_cli("new", "--no-input", "-o", str(out))
    assert result.code == 0
    spec = load_spec(out / "mlops.yaml")
    assert spec.project.name == "Spam Filter"
    assert (out / "src/spam_filter/serve.py").is_file()


def test_prompts(tmp_path: Path) -> None:
    out = tmp_path / "repo"
    answers = "Pump Watch\nWatches pumps.\ngitlab\nsensors\nedge\n"
    proc = subprocess.run(
        [sys.executable, "-m", "mlopsgen", "new", "-o", str(out)],
        input=answers,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    spec = load_spec(out / "mlops.yaml")
    assert (spec.project.slug, spec.data.sample, spec.deploy.target.value) == (
        "pump_watch",
        "sensors",
        "edge",
    )
    assert [p.value for p in spec.ci.platforms] == ["gitlab"]


def test_default_output_dir_is_the_slug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Callable[..., CliResult]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_cli("new", str(EXAMPLES[0])).code == 0
    slug = load_spec(EXAMPLES[0]).project.slug.replace("_", "-")
    assert (tmp_path / slug / "Makefile").is_file()


def test_render_failure_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlopsgen import scaffold

    def boom(*args: object, **kwargs: object) -> Path:
        staging = args[2]
        assert isinstance(staging, Path)
        (staging / "half").mkdir()
        (staging / "half" / "written.txt").write_text("x")
        raise RuntimeError("render failed")

    monkeypatch.setattr(scaffold, "render_scaffold", boom)
    with pytest.raises(RuntimeError):
        create_repository(MINIMAL, tmp_path / "repo")
    assert list(tmp_path.iterdir()) == []


def test_plain_cookiecutter_no_input(tmp_path: Path) -> None:
    """`cookiecutter <this repo> --no-input` goes through the nested-template index."""
    proc = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    repos = [p for p in tmp_path.iterdir() if (p / "Makefile").is_file()]
    assert len(repos) == 1
    spec = load_spec(repos[0] / "mlops.yaml")
    assert (repos[0] / "src" / spec.project.slug / "train.py").is_file()
