"""`mlopsgen new`: rendering examples, staging, refusal, dry runs, no template evaluation."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from mlopsgen import __version__
from mlopsgen.new import create_repository
from mlopsgen.scaffold import CONTEXT_KEYS, build_context
from mlopsgen.spec import load_spec
from tests.repo_paths import EXAMPLES, ROOT, CliResult, failing_its_pack

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
    assert (out / "benchmarks/load.py").exists() == (target == "webservice")
    assert not (out / "benchmarks").exists() or target == "webservice"
    # The service's dependencies reach only the repositories that serve.
    pyproject = (out / "pyproject.toml").read_text()
    for package in ("fastapi", "uvicorn", "prometheus-client"):
        assert (f'"{package}>=' in pyproject) == (target == "webservice"), package
    assert (out / f"src/{module}/batch.py").exists() == (target == "batch")
    assert (out / f"src/{module}/export.py").exists() == (target == "edge")
    assert (out / "dvc.yaml").exists() == (spec.data.versioning == "dvc")
    assert not list(out.parent.glob(".repo.mlopsgen-*")), "staging directory cleaned up"
    assert f"{spec.project.name!r}" in result.out
    assert not re.search(r"warning: \S+:\d+:\d+: ", result.err), "no finding under its packs"
    checked = run_cli("check", str(out))
    assert checked.code == 0, "the rendered example passes `mlopsgen check` (make check)"
    assert "0 finding(s)" in checked.err
    # Every task starts by reading mlops.yaml into the generated Settings: it must take
    # each example (a Settings field defined twice once broke every task of every repo).
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from {module}.settings import load_settings; "
            "s = load_settings('mlops.yaml'); print(s.registry, s.image_registry)",
        ],
        cwd=out,
        env={**os.environ, "PYTHONPATH": str(out / "src")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == [spec.model.registry, str(spec.deploy.registry)]


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
    spec = load_spec(out / "mlops.yaml")
    # With DVC, git ignores exactly the data DVC tracks, whose .dvc files it keeps.
    tracked = sorted(spec.data.sources) if spec.data.dvc else []
    assert ignored == tracked, "the template ships files its own .gitignore ignores"
    assert all((out / f"{source}.dvc").is_file() for source in tracked)
    credentials = [".env", ".env.local", "sub/.env.prod", "gha-creds-1a2b.json", "ca.pem", "x.key"]
    checked = run("check-ignore", "--no-index", *credentials, ".env.example")
    assert checked.stdout.split() == credentials


def _secret_scan_args(out: Path) -> tuple[list[str], list[str]]:
    makefile = (out / "Makefile").read_text()
    block = makefile.split("\nSECRETS_ALLOW := \\\n", 1)[1]
    make_args: list[str] = []
    for line in block.splitlines():
        match = re.fullmatch(r"\s*(--exclude-(?:lines|files)) '([^']+)'( \\)?", line)
        assert match, line
        make_args += match.group(1, 2)
        if not match.group(3):
            break
    config = yaml.safe_load((out / ".pre-commit-config.yaml").read_text())
    (hook,) = [h for repo in config["repos"] for h in repo["hooks"] if h["id"] == "detect-secrets"]
    assert "exclude" not in hook, "the hook scans the files make secrets-scan scans"
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
    flags = dict(zip(hook_args[1::2], hook_args[::2], strict=True))
    files = [re.compile(p) for p, flag in flags.items() if flag == "--exclude-files"]
    _assert_search(
        files,
        matched=[".mlopsgen/base.json", "./.mlopsgen/base.json"],
        unmatched=[".mlopsgen/lock.json", "data/base.json", ".mlopsgen/base.json.bak", ".env"],
    )
    patterns = [re.compile(p) for p, flag in flags.items() if flag == "--exclude-lines"]
    allowed = [
        '    "sha256": "' + "0123456789abcdef" * 4 + '",',
        '      "sha256": "' + "0123456789abcdef" * 4 + '"',
        '  "template": "5c77b9284696314f",',
        "- md5: 6f3985e0f0fe02bf704e09267f0abeb3",  # a .dvc file's
        # ci.mlopsgen.sha256 of a vendored wheel (issue 11: it failed the scan of a
        # pipeline run), block style and the one-line mapping
        '    sha256: "' + "0123456789abcdef" * 4 + '"',
        "    sha256: " + "0123456789abcdef" * 4,
        "  mlopsgen: {source: wheel, wheel: tools/mlopsgen-0.1.0-py3-none-any.whl, sha256: '"
        + "0123456789abcdef" * 4
        + "'}",
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
        '  "token": "' + "0123456789abcdef" * 4 + '",',
        '  "sha256": "' + "0123456789abcdef" * 4 + '", "key": "AKIA' + "Q" * 16 + '"',
        '  "template": "' + "0123456789abcdef" * 2 + '",',
        '    sha256: "' + "0123456789abcdef" * 4 + '"  # AKIA' + "Q" * 16,
        "- md5: 6f3985e0f0fe02bf704e09267f0abeb3 AKIA" + "Q" * 16,
        "    token: " + "0123456789abcdef" * 4,
        "  mlopsgen: {source: wheel, wheel: x.whl, sha256: '"
        + "0123456789abcdef" * 4
        + "', token: 'AKIA"
        + "Q" * 16
        + "'}",
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


def _hook_command(hook_id: str) -> list[str]:
    """The command pre-commit runs for one of mlopsgen's own hooks (entry split as it does)."""
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    entry = shlex.split(hooks[hook_id]["entry"])
    assert entry[0] == "mlopsgen"
    return [sys.executable, "-m", "mlopsgen", *entry[1:]]  # this checkout, not the PATH's


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_validate_hook_passes_on_every_spec_of_a_rendered_repo(
    tmp_path: Path, example: Path
) -> None:
    """pre-commit hands `mlopsgen-validate` every matching file at once (there are two)."""
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    hook = hooks["mlopsgen-validate"]
    assert hook["pass_filenames"] is True
    repo = _rendered(tmp_path, example)
    files = sorted(
        p.relative_to(repo).as_posix()
        for p in repo.rglob("*")
        if p.is_file() and re.search(hook["files"], p.relative_to(repo).as_posix())
    )
    assert len(files) >= 2, files
    env = {**os.environ, "PYTHONPATH": str(ROOT / "generator")}
    command = [*_hook_command("mlopsgen-validate"), *files]

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, cwd=repo, capture_output=True, text=True, env=env, check=False
        )

    proc = run()
    assert proc.returncode == 0, proc.stderr
    assert [line.split(":")[0] for line in proc.stdout.splitlines()] == files

    (repo / files[-1]).write_text("version: 1\nproject: {name: X}\npolicies: {packs: [nope]}\n")
    proc = run()
    assert proc.returncode == 2
    assert f"{files[-1]}:3:20: policies.packs[0]: unknown policy pack 'nope'" in proc.stderr


def test_gitleaks_allows_only_mlopsgen_records(tmp_path: Path) -> None:
    tomllib = pytest.importorskip("tomllib")
    text = (
        MINIMAL
        + "security:\n  secrets_scan: {tool: gitleaks}\n"
        + "secrets:\n  items: [{name: TOKEN, ref: TOKEN}]\n"
    )
    out = tmp_path / "repo"
    create_repository(text, out)
    allowlist = tomllib.loads((out / ".gitleaks.toml").read_text())["allowlist"]
    paths = [re.compile(p) for p in allowlist["paths"]]
    # What git tracks is scanned, data, models and credential files forced into git included.
    scanned = [
        ".env",
        ".env.production",
        "deploy/key.pem",
        "data/raw/notes.txt",
        "models/notes.txt",
        ".mlopsgen/lock.json",
        "src/pkg/secrets.py",
        "mlops.yaml",
    ]
    _assert_search(paths, matched=[".mlopsgen/base.json"], unmatched=scanned)
    assert allowlist["regexTarget"] == "line"
    hash_line = '    "sha256": "' + "0123456789abcdef" * 4 + '",'
    _assert_search(
        [re.compile(p) for p in allowlist["regexes"]],
        matched=[
            hash_line,
            '  "template": "5c77b9284696314f",',
            "    sha256: '" + "0123456789abcdef" * 4 + "'",
        ],
        unmatched=[
            hash_line.replace("sha256", "token"),
            hash_line + ' "AKIA' + "Q" * 16 + '"',
            "    sha256: '" + "0123456789abcdef" * 4 + "' # AKIA" + "Q" * 16,
        ],
    )
    hooks = yaml.safe_load((out / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    (gitleaks,) = [h for h in hooks if h["id"] == "gitleaks"]
    assert gitleaks["language"] == "golang"
    assert "--config .gitleaks.toml" in gitleaks["entry"]
    assert "exclude" not in gitleaks
    version = re.search(r"^GITLEAKS_VERSION := (\S+)$", (out / "Makefile").read_text(), re.M)
    assert version, "the Makefile pins gitleaks"
    assert gitleaks["additional_dependencies"] == [
        f"github.com/zricethezav/gitleaks/v8@v{version.group(1)}"
    ], "the hook and make secrets-scan run the same gitleaks"


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


def test_refuses_a_spec_that_fails_its_own_packs(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text(failing_its_pack((ROOT / "examples" / "spam-filter.yaml").read_text()))
    out = tmp_path / "repo"
    result = run_cli("new", str(spec), "-o", str(out))
    assert result.code == 1
    assert f"{spec}:35:3: high ML-003 the model gate does not compare" in result.err
    assert "nothing written" in result.err and "--allow-findings" in result.err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [spec], "no staging directory left behind"

    allowed = run_cli("new", str(spec), "-o", str(out), "--allow-findings")
    assert allowed.code == 0
    assert f"warning: {spec}:35:3: high ML-003" in allowed.err
    assert (out / "Makefile").is_file()


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


SHA = "0123456789abcdef0123456789abcdef01234567"
WHEEL_NAME = f"mlopsgen-{__version__}-py3-none-any.whl"
INSTALL_SPECS = {
    "pypi": "{source: pypi}",
    "index": "{source: index, index_url: 'https://pypi.example.com/simple'}",
    "git": f"{{source: git, git: 'https://github.com/acme/mlopsgen.git', commit: '{SHA}'}}",
    "wheel": f"{{source: wheel, wheel: tools/{WHEEL_NAME}}}",
}


def _install_spec(install: str) -> str:
    return MINIMAL + f"ci:\n  mlopsgen: {install}\n"


def _check_recipe(makefile: str) -> str:
    return makefile.split("\ncheck:", 1)[1].split("\n\n", 1)[0]


@pytest.mark.parametrize("source", INSTALL_SPECS)
def test_make_check_installs_from_the_spec_source(tmp_path: Path, source: str) -> None:
    create_repository(_install_spec(INSTALL_SPECS[source]), tmp_path / "repo")
    makefile = (tmp_path / "repo" / "Makefile").read_text()
    recipe = _check_recipe(makefile)
    expected = {
        "pypi": f"\nMLOPSGEN ?= mlopsgen=={__version__}\n",
        "index": f"\nMLOPSGEN ?= mlopsgen=={__version__}\n"
        "MLOPSGEN_INDEX_URL ?= https://pypi.example.com/simple\n",
        "git": f"\nMLOPSGEN ?= mlopsgen @ git+https://github.com/acme/mlopsgen.git@{SHA}\n",
        "wheel": f"\nMLOPSGEN_WHEEL := ./tools/{WHEEL_NAME}\nMLOPSGEN ?= $(MLOPSGEN_WHEEL)\n",
    }[source]
    assert expected in makefile
    index = ' --index-url "$(MLOPSGEN_INDEX_URL)"' if source == "index" else ""
    assert f'--disable-pip-version-check{index} "$(MLOPSGEN)" ||' in recipe
    assert ("--index-url" in recipe) == (source == "index"), "never an index besides PyPI"
    assert "--extra-index-url" not in makefile
    assert f"(MLOPSGEN, from ci.mlopsgen in mlops.yaml: source {source})" in recipe
    assert recipe.rstrip().endswith("$(PYTHON) -m mlopsgen check .")


def test_pypi_source_failure_names_the_fix(tmp_path: Path) -> None:
    create_repository(MINIMAL, tmp_path / "repo")
    recipe = _check_recipe((tmp_path / "repo" / "Makefile").read_text())
    assert "mlopsgen is not published on PyPI: point ci.mlopsgen at" in recipe
    assert "make check MLOPSGEN=..." in recipe


def _fake_wheel(path: Path, *, name: str = "mlopsgen", version: str = __version__) -> Path:
    """A zip with the METADATA of a wheel: enough for ``--vendor-wheel``'s checks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            f"{name}-{version}.dist-info/METADATA",
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        )
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_vendor_wheel_copies_the_wheel_into_place(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    wheel = _fake_wheel(tmp_path / "dist" / WHEEL_NAME)
    spec = tmp_path / "mlops.yaml"
    spec.write_text(
        _install_spec(f"{{source: wheel, wheel: tools/{WHEEL_NAME}, sha256: '{_sha256(wheel)}'}}")
    )
    out = tmp_path / "repo"
    result = run_cli("new", str(spec), "-o", str(out), "--vendor-wheel", str(wheel))
    assert result.code == 0, result.err
    assert (out / "tools" / WHEEL_NAME).read_bytes() == wheel.read_bytes()
    assert "is not in" not in result.err
    assert f"\nMLOPSGEN_SHA256 ?= {_sha256(wheel)}\n" in (out / "Makefile").read_text()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("wrong-hash", "has sha256"),
        ("wrong-name", "is not named like ci.mlopsgen.wheel"),
        ("not-a-wheel", "is not a wheel"),
        ("other-package", "is not a wheel of mlopsgen"),
        ("missing", "no such wheel"),
        ("index-source", "--vendor-wheel needs ci.mlopsgen.source: wheel"),
    ],
)
def test_vendor_wheel_refuses_what_the_spec_does_not_declare(
    tmp_path: Path, run_cli: Callable[..., CliResult], case: str, message: str
) -> None:
    wheel = _fake_wheel(tmp_path / "dist" / WHEEL_NAME)
    install = f"{{source: wheel, wheel: tools/{WHEEL_NAME}}}"
    if case == "wrong-hash":
        install = f"{{source: wheel, wheel: tools/{WHEEL_NAME}, sha256: '{'0' * 64}'}}"
    elif case == "wrong-name":
        wheel = _fake_wheel(tmp_path / "dist" / "mlopsgen-9.9-py3-none-any.whl")
    elif case == "not-a-wheel":
        wheel.write_text("not a zip")
    elif case == "other-package":
        wheel = _fake_wheel(tmp_path / "other" / WHEEL_NAME, name="requests")
    elif case == "missing":
        wheel = tmp_path / "nowhere" / WHEEL_NAME
    elif case == "index-source":
        install = INSTALL_SPECS["index"]
    spec = tmp_path / "mlops.yaml"
    spec.write_text(_install_spec(install))
    out = tmp_path / "repo"
    result = run_cli("new", str(spec), "-o", str(out), "--vendor-wheel", str(wheel))
    assert result.code == 2
    assert message in result.err
    assert not out.exists(), "nothing is written when the wheel is refused"


def test_wheel_source_without_the_wheel_warns(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text(_install_spec(INSTALL_SPECS["wheel"]))
    result = run_cli("new", str(spec), "-o", str(tmp_path / "repo"))
    assert result.code == 0
    assert f"warning: ci.mlopsgen.wheel tools/{WHEEL_NAME} is not in" in result.err


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_check_refuses_a_missing_or_tampered_wheel(tmp_path: Path) -> None:
    """The hash is checked before pip sees the wheel; both failures exit 2 and say why."""
    wheel = _fake_wheel(tmp_path / "dist" / WHEEL_NAME)
    install = f"{{source: wheel, wheel: tools/{WHEEL_NAME}, sha256: '{_sha256(wheel)}'}}"
    repo = tmp_path / "repo"
    create_repository(_install_spec(install), repo)
    env = {k: v for k, v in os.environ.items() if k not in {"MLOPSGEN", "PYTHONPATH"}}

    def make_check() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["make", "check", f"PYTHON={sys.executable}"],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    missing = make_check()
    assert missing.returncode == 2, missing.stderr
    assert f"check FAILED: no mlopsgen wheel at ./tools/{WHEEL_NAME} (MLOPSGEN" in missing.stderr
    (repo / "tools").mkdir()
    (repo / "tools" / WHEEL_NAME).write_bytes(wheel.read_bytes() + b"tampered")
    tampered = make_check()
    assert tampered.returncode == 2, tampered.stderr
    assert f"has sha256 {_sha256(repo / 'tools' / WHEEL_NAME)}, not MLOPSGEN_SHA256" in (
        tampered.stderr
    )
