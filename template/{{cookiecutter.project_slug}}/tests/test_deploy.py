"""Deploy: only the gated, recorded model ships; the release record; the commands per target."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import tarfile
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.module_name }} import deploy, gate, lineage
from {{ cookiecutter.module_name }}.settings import Environment, TaskError, load_settings

from .conftest import REPO, edit_spec, unreachable

COMMIT = "c0ffee" * 6 + "c0ff"  # 40 hex digits, like a git commit
STAGING = {"name": "staging", "url": "https://staging.example.invalid"}


@pytest.fixture
def released(trained_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A trained workspace that passed the gate and has its lineage; the commit is COMMIT."""
    shutil.copy(REPO / "pyproject.toml", trained_copy.parent / "pyproject.toml")
    edit_spec(trained_copy, deploy={"target": "batch", "cloud": "none", "environments": [STAGING]})
    assert gate.main(["--spec", str(trained_copy)]) == 0
    assert lineage.main(["--spec", str(trained_copy)]) == 0
    monkeypatch.setattr(deploy, "git_commit", lambda root: None)
    monkeypatch.setenv("GITHUB_SHA", COMMIT)
    return trained_copy


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _wheel(root: Path) -> Path:
    version = deploy.project_version(root)
    wheel = root / f"dist/{{ cookiecutter.module_name }}-{version}-py3-none-any.whl"
    wheel.parent.mkdir(parents=True, exist_ok=True)
    wheel.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip archive
    return wheel


# (a) what may ship


def test_an_ungated_model_is_refused(released: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (released.parent / "reports/gate.json").unlink()
    assert deploy.main(["--spec", str(released), "--env", "staging"]) == 2
    assert "reports/gate.json: not found; run `make model-gate` first" in capsys.readouterr().err


def test_a_model_that_failed_the_gate_is_refused(
    released: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_spec(released, model={"metrics": {unreachable(released): {"min": 0.999}}})
    assert gate.main(["--spec", str(released)]) == 1
    assert deploy.main(["--spec", str(released), "--env", "staging"]) == 1
    err = capsys.readouterr().err
    assert f"deploy REFUSED: the model gate did not pass ({unreachable(released)} = " in err
    assert not (released.parent / "dist/release-staging.json").exists()


def test_a_swapped_model_is_refused(released: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with (released.parent / "models/model.joblib").open("ab") as handle:
        handle.write(b"\0")
    assert deploy.main(["--spec", str(released), "--env", "staging"]) == 1
    err = capsys.readouterr().err
    assert "deploy REFUSED: models/model.joblib has sha256" in err
    assert "not the model that was gated" in err


def test_an_undeclared_environment_is_refused(
    released: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert deploy.main(["--spec", str(released), "--env", "qa"]) == 2
    err = capsys.readouterr().err
    assert "environment 'qa' is not declared in deploy.environments (declared: staging)" in err


# (b) the release record


def test_a_release_is_recorded_and_copied_to_the_release_dir(
    released: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = released.parent
    wheel = _wheel(root)
    releases = tmp_path_factory.mktemp("releases")
    monkeypatch.setenv("RELEASE_DIR", str(releases))

    assert deploy.main(["--spec", str(released), "--env", "staging"]) == 0

    record = json.loads((root / "dist/release-staging.json").read_text(encoding="utf-8"))
    version = deploy.project_version(root)
    assert record["model"]["sha256"] == _sha256(root / "models/model.joblib")
    assert record["data"]["sources"][0]["sha256"] == _sha256(root / "data/raw/train.csv")
    assert record["data"]["contract"]["sha256"] == _sha256(root / "data/contract.yaml")
    assert (record["git_commit"], record["version"]) == (COMMIT, version)
    assert record["environment"] == "staging"
    assert (record["target"], record["cloud"]) == ("batch", "none")
    shipped = releases / f"{deploy.IMAGE_NAME}/staging/{version}-{COMMIT[:12]}"
    assert record["destination"] == str(shipped)
    assert _sha256(shipped / "models/model.joblib") == record["model"]["sha256"]
    assert (shipped / wheel.name).is_file()
    assert (shipped / "mlops.yaml").is_file() and (shipped / "data/contract.yaml").is_file()
    assert json.loads((shipped / "release.json").read_text(encoding="utf-8")) == record


# (c) the commands that ship it

ENVIRON = {
    "IMAGE_REGISTRY": "registry.example.invalid/ml",
    "DEPLOY_STAGING_SERVICE": "svc",
    "DEPLOY_STAGING_RESOURCE_GROUP": "rg",
    "DEPLOY_STAGING_CLUSTER": "cluster",
    "DEPLOY_STAGING_REGION": "europe-west1",
    "DEPLOY_STAGING_BUCKET": "bucket",
    "DEPLOY_STAGING_STORAGE_ACCOUNT": "account",
}


def _plan(released: Path, target: str, cloud: str, environ: dict[str, str]) -> deploy.Plan:
    edit_spec(released, deploy={"target": target, "cloud": cloud})
    settings = load_settings(released)
    return deploy.plan_release(
        settings,
        settings.environment("staging"),
        spec=released,
        version="1.2.3",
        commit=COMMIT,
        environ=environ,
    )


DIGEST = "sha256:" + "ab" * 32
REPOSITORY = f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/{deploy.IMAGE_NAME}"


def _record_image(root: Path, record: Any) -> None:
    """Write dist/image.json as the container-image job does (record as given)."""
    path = root.parent / "dist" / deploy.IMAGE_RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(record if isinstance(record, str) else json.dumps(record), encoding="utf-8")


@pytest.mark.parametrize(
    ("cloud", "update"),
    [
        ("none", None),
        ("azure", ["az", "containerapp", "update", "--name", "svc", "--resource-group", "rg"]),
        ("aws", ["aws", "ecs", "update-service", "--cluster", "cluster", "--service", "svc"]),
        ("gcp", ["gcloud", "run", "deploy", "svc", "--image", "{image}", "--region"]),
    ],
)
def test_a_webservice_deploys_the_recorded_image_by_digest(
    released: Path, cloud: str, update: list[str] | None
) -> None:
    _record_image(released, {"image": REPOSITORY, "digest": DIGEST})
    plan = _plan(released, "webservice", cloud, ENVIRON)
    image = f"{REPOSITORY}@{DIGEST}"
    assert plan.destination == image
    # The image CI built and scanned ships: a deploy never builds or pushes one.
    assert not any(c[0] == "docker" for c in plan.commands)
    if update is None:
        assert plan.commands == ()
    else:
        expected = [image if part == "{image}" else part for part in update]
        assert list(plan.commands[-1][: len(expected)]) == expected
    if cloud == "aws":
        get, put, _ = plan.commands
        assert f"imageDigest={DIGEST}" in get and "--region" in get
        assert put[-2:] == ("--image-manifest", deploy.PREVIOUS_OUTPUT)
    assert plan.smoke_url == STAGING["url"]


@pytest.mark.parametrize("platform", ["kubernetes", "kserve"])
def test_a_cluster_applies_the_overlay_with_the_image_by_digest(
    released: Path, platform: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _record_image(released, {"image": REPOSITORY, "digest": DIGEST})
    overlay = released.parent / deploy.OVERLAYS / "staging"
    overlay.mkdir(parents=True)
    (overlay / "kustomization.yaml").write_text("resources: [../../base]\n", encoding="utf-8")
    edit_spec(
        released,
        deploy={
            "target": "webservice",
            "cloud": "aws",
            "platform": platform,
            "kubernetes": {"namespace": "ml"},
        },
    )
    settings = load_settings(released)
    plan = deploy.plan_release(
        settings,
        settings.environment("staging"),
        spec=released,
        version="1.2.3",
        commit=COMMIT,
        environ={},
    )
    ((kustomization, text),) = plan.writes.items()
    written = json.loads(text)
    assert written["images"] == [
        {"name": deploy.MANIFEST_IMAGE, "newName": REPOSITORY, "digest": DIGEST}
    ]
    assert (kustomization.parent / written["resources"][0]).resolve() == overlay.resolve()
    apply, wait = plan.commands
    assert apply == (
        "kubectl",
        "apply",
        "--server-side",
        "--field-manager=mlopsgen",
        "-k",
        str(kustomization.parent),
    )
    assert wait[:2] == (("kubectl", "wait") if platform == "kserve" else ("kubectl", "rollout"))
    assert wait[-3:-1] == ("--namespace", "ml") and wait[-1].startswith("--timeout=")
    # Rolling back: the previous ReplicaSet, or (KServe) all traffic to the previous revision.
    undo, _ = deploy.rollback_commands(settings)
    assert undo[:3] == (
        ("kubectl", "patch", "inferenceservice/" + deploy.WORKLOAD)
        if platform == "kserve"
        else ("kubectl", "rollout", "undo")
    )


def test_rollback_needs_a_cluster(released: Path) -> None:
    edit_spec(released, deploy={"target": "webservice", "cloud": "none"})
    with pytest.raises(TaskError, match="rollback is for deploy.platform kubernetes or kserve"):
        deploy.rollback_commands(load_settings(released))


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        (None, "not found; run `make image` first"),
        ("{", "not valid JSON"),
        ({"image": REPOSITORY}, "expected"),
        ({"image": REPOSITORY, "digest": "latest"}, "is not a sha256 digest"),
        ({"image": f"{REPOSITORY}@{DIGEST}", "digest": DIGEST}, "expected"),
    ],
)
def test_a_missing_or_malformed_image_record_is_refused(
    released: Path, record: Any, problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_spec(released, deploy={"target": "webservice", "cloud": "none"})
    if record is not None:
        _record_image(released, record)
    with pytest.raises(TaskError, match=re.escape(problem)):
        deploy.read_image(load_settings(released))
    assert deploy.main(["--spec", str(released), "--env", "staging"]) == 2
    assert "image.json" in capsys.readouterr().err


def test_the_image_is_pushed_once_and_its_digest_recorded(
    released: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit_spec(released, deploy={"target": "webservice", "registry": "registry.example.invalid/ml"})
    ran: list[tuple[str, ...]] = []

    def buildx(commands: tuple[tuple[str, ...], ...], cwd: Path) -> None:
        (command,) = commands
        ran.append(command)
        metadata = Path(command[command.index("--metadata-file") + 1])
        metadata.write_text(json.dumps({"containerimage.digest": DIGEST}), encoding="utf-8")

    monkeypatch.setattr(deploy, "run_commands", buildx)
    settings = load_settings(released)
    pushed = deploy.build_image(settings, version="1.2.3", commit=COMMIT, environ={})
    assert pushed == f"registry.example.invalid/ml/{deploy.IMAGE_NAME}@{DIGEST}"
    assert ran[0][:4] == ("docker", "buildx", "build", "--push")
    assert deploy.read_image(settings) == pushed


@pytest.mark.parametrize(
    ("cloud", "command", "destination"),
    [
        ("azure", ["az", "storage", "blob", "upload-batch"], "https://account.blob.core"),
        ("aws", ["aws", "s3", "cp"], "s3://bucket/"),
        ("gcp", ["gcloud", "storage", "rsync"], "gs://bucket/"),
    ],
)
@pytest.mark.parametrize("target", ["batch", "edge"])
def test_batch_and_edge_upload_the_release(
    released: Path, target: str, cloud: str, command: list[str], destination: str
) -> None:
    (released.parent / "dist").mkdir()
    (released.parent / "dist/{{ cookiecutter.module_name }}-1.2.3-py3-none-any.whl").touch()
    (released.parent / "dist/model-bundle.tar.gz").touch()
    plan = _plan(released, target, cloud, ENVIRON)
    (only,) = plan.commands
    assert list(only[: len(command)]) == command
    assert plan.destination.startswith(destination)
    prefix = f"{deploy.IMAGE_NAME}/staging/1.2.3-{COMMIT[:12]}"
    assert plan.destination.rstrip("/").endswith(prefix)
    if target == "edge":
        assert set(plan.files) == {"model-bundle.tar.gz"}
    else:
        assert {"models/model.joblib", "mlops.yaml", "data/contract.yaml"} <= set(plan.files)


def test_a_missing_variable_is_named(released: Path) -> None:
    environ = {k: v for k, v in ENVIRON.items() if k != "DEPLOY_STAGING_SERVICE"}
    _record_image(released, {"image": REPOSITORY, "digest": DIGEST})
    with pytest.raises(TaskError, match=r"\$DEPLOY_STAGING_SERVICE is not set"):
        _plan(released, "webservice", "azure", environ)
    with pytest.raises(TaskError, match=r"\$IMAGE_REGISTRY is not set"):
        edit_spec(released, deploy={"target": "webservice", "cloud": "none"})
        deploy.image_repository(load_settings(released), {})


def test_variables_are_named_after_the_environment() -> None:
    assert deploy.variable(Environment("pilot-plant"), "BUCKET") == "DEPLOY_PILOT_PLANT_BUCKET"


def test_a_missing_cli_is_named(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="the no-such-cli-for-deploy CLI is not on PATH") as error:
        deploy.run_commands((("no-such-cli-for-deploy", "update", "--name", "svc"),), tmp_path)
    assert "this deploy runs `no-such-cli-for-deploy update --name svc ...`" in str(error.value)


def test_an_edge_bundle_of_another_model_is_refused(released: Path) -> None:
    bundle = released.parent / "dist/model-bundle.tar.gz"
    bundle.parent.mkdir(parents=True, exist_ok=True)
    manifest = json.dumps({"files": {"model.joblib": {"sha256": "f" * 64}}}).encode()
    with tarfile.open(bundle, "w:gz") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
    plan = deploy.Plan("x", files={"model-bundle.tar.gz": bundle})
    settings = load_settings(released)
    with pytest.raises(deploy.Refused, match="holds another model"):
        deploy.check_bundle(settings, plan, "0" * 64)
    deploy.check_bundle(settings, plan, "f" * 64)


class _Answer:
    def __init__(self, body: dict[str, Any]) -> None:
        self.body = json.dumps(body).encode()

    def __enter__(self) -> _Answer:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def read(self) -> bytes:
        return self.body


def test_the_smoke_test_waits_for_the_released_model() -> None:
    answers = [{"status": "ok", "model_sha256": "old"}, {"status": "ok", "model_sha256": "new"}]
    calls: list[str] = []

    def opener(url: str, timeout: float) -> _Answer:
        calls.append(url)
        return _Answer(answers[len(calls) - 1])

    deploy.smoke_test("https://svc.example.invalid/", "new", timeout=5, interval=0, opener=opener)
    assert calls == ["https://svc.example.invalid/health"] * 2


def test_the_smoke_test_fails_when_the_service_never_serves_the_model() -> None:
    def opener(url: str, timeout: float) -> _Answer:
        raise OSError("connection refused")

    with pytest.raises(deploy.Failed, match="GET https://svc.example.invalid/health"):
        deploy.smoke_test("https://svc.example.invalid", "new", timeout=0, opener=opener)
