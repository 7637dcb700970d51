"""Deploy the gated model to one environment of deploy.environments (`make deploy ENV=<name>`).

1. Refuse unless reports/gate.json says the gate passed and models/model.joblib is
   the model that was evaluated and recorded (its SHA-256 equals the one in
   reports/lineage.json and reports/metrics.json): an ungated or swapped model never ships.
2. Write dist/release-<env>.json: version, git commit, model and data hashes, target.
3. Ship it with the CLI of deploy.cloud. webservice: the image `make image` built and
   pushed once (`--build-image`: docker buildx build --push to deploy.registry, else
   $IMAGE_REGISTRY; its digest goes to dist/image.json), deployed by digest, never
   rebuilt: update the service (az containerapp update, aws ecr put-image of the
   environment's tag + ecs update-service, gcloud run deploy; cloud none: nothing more),
   then GET <url>/health when the environment has a url. On deploy.platform kubernetes
   or kserve, write dist/kubernetes/<env>/kustomization.yaml (the environment's overlay
   under deploy/kubernetes/, the image set to that digest), `kubectl apply --server-side -k`
   it and wait for the rollout (`kubectl rollout status`; KServe: `kubectl wait` for
   Ready), with the kubeconfig the CI job wrote after its OIDC login. batch (wheel, model, spec,
   contract) and edge (dist/model-bundle.tar.gz): upload to storage (az storage blob
   upload-batch, aws s3 cp, gcloud storage rsync; cloud none: copy to $RELEASE_DIR).
   browser (dist/browser/ from `make browser-bundle`): published at the root of the
   environment's static website (Azure Storage's $web container, an S3 or GCS website
   bucket): az storage blob sync, aws s3 sync --delete, gcloud storage rsync; cloud none:
   the bundle is the release, copied to $RELEASE_DIR.
   Names come from environment variables (DEPLOY_<ENV>_SERVICE, ...: see the README);
   a missing variable or CLI is named.
{%- if cookiecutter.model_registry == 'mlflow' %}
4. After a successful deploy to the last environment of deploy.environments (production),
   move the MLflow alias model.champion.alias to the deployed model's registered version.
{%- endif %}
`--rollback <env>` (`make rollback ENV=<env>`, clusters only) goes back to the previous
release: `kubectl rollout undo` (KServe: all traffic back to the previous revision).
Exit status: 0 deployed, 1 refused or a deploy step failed, 2 usage or setup error.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess  # nosec B404  # runs the deploy CLIs with argument lists, see run_commands()
import sys
import tarfile
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .data import sha256_file
from .lineage import git_commit
from .settings import SPEC_FILE, Environment, Settings, TaskError, load_settings, task_parser

IMAGE_NAME = "{{ cookiecutter.project_slug }}"
EDGE_BUNDLE = "model-bundle.tar.gz"
#: The browser bundle `make browser-bundle` builds: the static site, as it is served.
BROWSER_BUNDLE = "browser"
COMMIT_VARIABLES = ("GITHUB_SHA", "CI_COMMIT_SHA", "BUILD_SOURCEVERSION")
DEFAULT_SMOKE_TIMEOUT = 300
#: What `make image` pushed: {"image": "<registry>/<name>", "digest": "sha256:..."}.
IMAGE_RECORD = "image.json"
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
#: In a command, stands for the output of the command before it (ECR's image manifest).
PREVIOUS_OUTPUT = "{previous-output}"
#: The environment overlays mlopsgen renders for deploy.platform kubernetes | kserve.
OVERLAYS = "deploy/kubernetes/overlays"
#: The image name in the manifests, set to the pushed digest at deploy time.
MANIFEST_IMAGE = "model-image"
#: The Deployment or InferenceService (mlopsgen names it after the project).
WORKLOAD = IMAGE_NAME.replace("_", "-")
ROLLOUT_TIMEOUT = "300s"


class Refused(Exception):
    """The model must not ship: ungated, failed the gate, or not the recorded model."""


class Failed(Exception):
    """A deploy step failed."""


@dataclass(frozen=True)
class Plan:
    """How one release ships: commands to run, files to stage, where it lands."""

    destination: str
    commands: tuple[tuple[str, ...], ...] = ()
    files: Mapping[str, Path] = field(default_factory=dict)
    copy_to: Path | None = None
    smoke_url: str | None = None
    #: Files to write (path -> text) before the commands run.
    writes: Mapping[Path, str] = field(default_factory=dict)


def _json(path: Path, settings: Settings, hint: str) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TaskError(f"{settings.display(path)}: not found; {hint}") from None
    except ValueError as exc:
        raise TaskError(f"{settings.display(path)}: not valid JSON: {exc}") from None


def check_release(settings: Settings) -> dict[str, Any]:
    """Refuse an ungated or swapped model; return the lineage record of the model that ships."""
    gate = _json(settings.report("gate.json"), settings, "run `make model-gate` first")
    lineage = _json(settings.report("lineage.json"), settings, "run `make lineage` first")
    metrics = _json(settings.report("metrics.json"), settings, "run `make evaluate` first")
    if gate.get("passed") is not True:
        failed = [c.get("message", "?") for c in gate.get("checks", []) if not c.get("passed")]
        raise Refused(f"the model gate did not pass ({'; '.join(failed) or 'no checks'})")
    if not settings.model_path.is_file():
        raise TaskError(f"{settings.display(settings.model_path)}: not found")
    actual = sha256_file(settings.model_path)
    for what, recorded in (
        ("reports/lineage.json", (lineage.get("model") or {}).get("sha256")),
        ("reports/metrics.json", metrics.get("model_sha256")),
    ):
        if recorded != actual:
            raise Refused(
                f"{settings.display(settings.model_path)} has sha256 {actual[:12]}, but "
                f"{what} records {str(recorded)[:12]}: not the model that was gated"
            )
    return lineage


def project_version(root: Path) -> str:
    """The version in pyproject.toml (the one the wheel and the image carry)."""
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if not found:
        raise TaskError("pyproject.toml: no version")
    return found.group(1)


def release_commit(root: Path, environ: Mapping[str, str]) -> str:
    """The commit being released: git's HEAD, else the CI's commit variable."""
    commit = git_commit(root) or next((environ[v] for v in COMMIT_VARIABLES if environ.get(v)), "")
    if not commit:
        raise TaskError("no git commit: a release must come from a commit (git or $GITHUB_SHA)")
    return commit


def release_record(
    settings: Settings,
    environment: Environment,
    lineage: Mapping[str, Any],
    *,
    version: str,
    commit: str,
    destination: str = "",
) -> dict[str, Any]:
    """The release manifest written to dist/release-<env>.json."""
    return {
        "project": settings.project_name,
        "environment": environment.name,
        "url": environment.url,
        "target": settings.deploy_target,
        "cloud": settings.cloud,
        "version": version,
        "git_commit": commit,
        "trained_at_commit": (lineage.get("code") or {}).get("git_commit"),
        "model": lineage.get("model"),
        "data": lineage.get("data"),
        "metrics": lineage.get("metrics"),
        "destination": destination,
        "released_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def variable(environment: Environment, key: str) -> str:
    """The name of a per-environment variable: DEPLOY_<ENV>_<KEY>."""
    return f"DEPLOY_{re.sub(r'[^A-Z0-9]', '_', environment.name.upper())}_{key}"


def _need(environ: Mapping[str, str], name: str, why: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise TaskError(f"${name} is not set: {why}")
    return value


def _release_files(settings: Settings, spec: Path, version: str) -> dict[str, Path]:
    dist = settings.dist_dir
    if settings.deploy_target == "edge":
        bundle = dist / EDGE_BUNDLE
        if not bundle.is_file():
            raise TaskError(f"{settings.display(bundle)}: not found; run `make export` first")
        return {EDGE_BUNDLE: bundle}
    if settings.deploy_target == "browser":
        site = dist / BROWSER_BUNDLE
        if not (site / "manifest.json").is_file():
            raise TaskError(f"{settings.display(site)}: no bundle; run `make browser-bundle` first")
        return {path.name: path for path in sorted(site.iterdir()) if path.is_file()}
    wheels = sorted(dist.glob(f"*-{version}-*.whl"))
    if not wheels:
        raise TaskError(f"no wheel of version {version} in dist/; run `make package` first")
    return {
        wheels[-1].name: wheels[-1],
        SPEC_FILE: spec,
        settings.display(settings.contract): settings.contract,
        settings.display(settings.model_path): settings.model_path,
    }


def image_repository(settings: Settings, environ: Mapping[str, str]) -> str:
    """Where the image is pushed: deploy.registry (else $IMAGE_REGISTRY) / the project."""
    registry = settings.image_registry or _need(
        environ, "IMAGE_REGISTRY", "the registry the image is pushed to (or set deploy.registry)"
    )
    return f"{registry.rstrip('/')}/{IMAGE_NAME}"


def read_image(settings: Settings) -> str:
    """The image `make image` pushed, by digest (``<repository>@sha256:...``).

    TaskError when dist/image.json is missing or malformed: a deploy never rebuilds.
    """
    path = settings.dist_dir / IMAGE_RECORD
    hint = "run `make image` first (in CI, the container-image job's artifact)"
    record = _json(path, settings, hint)
    image = record.get("image") if isinstance(record, dict) else None
    digest = record.get("digest") if isinstance(record, dict) else None
    if not isinstance(image, str) or not image or "@" in image or not isinstance(digest, str):
        raise TaskError(
            f'{settings.display(path)}: expected a JSON object with "image" '
            f'(<registry>/<name>) and "digest" (sha256:<64 hex>); {hint}'
        )
    if not _DIGEST.fullmatch(digest):
        raise TaskError(f"{settings.display(path)}: {digest!r} is not a sha256 digest; {hint}")
    return f"{image}@{digest}"


def build_image(
    settings: Settings, *, version: str, commit: str, environ: Mapping[str, str]
) -> str:
    """Build and push the image once; record its digest in dist/image.json; return it."""
    repository = image_repository(settings, environ)
    metadata = settings.dist_dir / "image-metadata.json"
    metadata.parent.mkdir(parents=True, exist_ok=True)
    tags = (f"{repository}:{version}", f"{repository}:{commit[:12]}")
    command = ("docker", "buildx", "build", "--push", "--metadata-file", str(metadata))
    run_commands((command + tuple(a for t in tags for a in ("-t", t)) + (".",),), settings.root)
    digest = _json(metadata, settings, "docker buildx wrote no metadata").get(
        "containerimage.digest"
    )
    record = {"image": repository, "digest": digest, "tags": list(tags)}
    path = settings.dist_dir / IMAGE_RECORD
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return read_image(settings)  # refuses a digest buildx did not report


def _service_update(
    cloud: str, environment: Environment, image: str, environ: Mapping[str, str]
) -> tuple[tuple[str, ...], ...]:
    if cloud == "none":
        return ()
    service = _need(environ, variable(environment, "SERVICE"), f"the {cloud} service to update")
    if cloud == "azure":
        group = _need(environ, variable(environment, "RESOURCE_GROUP"), "its resource group")
        options = ("--name", service, "--resource-group", group, "--image", image)
        return (("az", "containerapp", "update", *options),)
    if cloud == "aws":
        # ECS has no image flag: its task definition runs the environment's tag, which is
        # moved to the pushed digest in ECR (no docker pull, build or push).
        cluster = _need(environ, variable(environment, "CLUSTER"), "the ECS cluster")
        repository, _, digest = image.partition("@")
        host, _, name = repository.partition("/")
        region = host.split(".")[3] if host.count(".") >= 5 else ""
        where = ("--region", region) if region else ()
        return (
            ("aws", "ecr", "batch-get-image", *where, "--repository-name", name)
            + ("--image-ids", f"imageDigest={digest}", "--query", "images[0].imageManifest")
            + ("--output", "text"),
            ("aws", "ecr", "put-image", *where, "--repository-name", name)
            + ("--image-tag", environment.name, "--image-manifest", PREVIOUS_OUTPUT),
            ("aws", "ecs", "update-service", "--cluster", cluster, "--service", service)
            + ("--force-new-deployment",),
        )
    region = _need(environ, variable(environment, "REGION"), "the Cloud Run region")
    return (("gcloud", "run", "deploy", service, "--image", image, "--region", region, "--quiet"),)


def _rollout(settings: Settings) -> tuple[str, ...]:
    """Wait until the workload serves the new release, or fail after ROLLOUT_TIMEOUT."""
    where = ("--namespace", settings.namespace, f"--timeout={ROLLOUT_TIMEOUT}")
    if settings.platform == "kserve":
        return ("kubectl", "wait", "--for=condition=Ready", f"inferenceservice/{WORKLOAD}", *where)
    return ("kubectl", "rollout", "status", f"deployment/{WORKLOAD}", *where)


def cluster_plan(settings: Settings, environment: Environment, image: str) -> Plan:
    """Apply the environment's overlay with the image by digest, then wait for the rollout."""
    overlay = settings.root / OVERLAYS / environment.name
    if not (overlay / "kustomization.yaml").is_file():
        raise TaskError(
            f"{settings.display(overlay)}: no kustomization.yaml; run `mlopsgen update`"
        )
    directory = settings.dist_dir / "kubernetes" / environment.name
    repository, _, digest = image.partition("@")
    kustomization = {
        "resources": [os.path.relpath(overlay, directory)],
        "images": [{"name": MANIFEST_IMAGE, "newName": repository, "digest": digest}],
    }
    apply = ("kubectl", "apply", "--server-side", "--field-manager=mlopsgen")
    return Plan(
        image,
        (apply + ("-k", str(directory)), _rollout(settings)),
        smoke_url=environment.url,
        writes={directory / "kustomization.yaml": json.dumps(kustomization, indent=2) + "\n"},
    )


def rollback_commands(settings: Settings) -> tuple[tuple[str, ...], ...]:
    """Go back to the previous release on the cluster, and wait until it serves."""
    if settings.platform == "kserve":
        # KServe keeps the previous revision: canaryTrafficPercent 0 sends all traffic to it.
        patch = json.dumps({"spec": {"predictor": {"canaryTrafficPercent": 0}}})
        undo = ("kubectl", "patch", f"inferenceservice/{WORKLOAD}", "--namespace")
        undo += (settings.namespace, "--type", "merge", "--patch", patch)
    elif settings.platform == "kubernetes":
        undo = ("kubectl", "rollout", "undo", f"deployment/{WORKLOAD}")
        undo += ("--namespace", settings.namespace)
    else:
        raise TaskError(
            "rollback is for deploy.platform kubernetes or kserve; on a container service, "
            "deploy the previous release again"
        )
    return (undo, _rollout(settings))


def _upload(
    cloud: str, environment: Environment, staging: Path, prefix: str, environ: Mapping[str, str]
) -> tuple[str, tuple[str, ...]]:
    bucket = _need(environ, variable(environment, "BUCKET"), "the storage bucket or container")
    if cloud == "azure":
        account = _need(environ, variable(environment, "STORAGE_ACCOUNT"), "the storage account")
        command = ("az", "storage", "blob", "upload-batch", "--auth-mode", "login")
        command += ("--account-name", account, "--destination", bucket)
        command += ("--destination-path", prefix, "--source", str(staging))
        return f"https://{account}.blob.core.windows.net/{bucket}/{prefix}", command
    if cloud == "aws":
        destination = f"s3://{bucket}/{prefix}/"
        return destination, ("aws", "s3", "cp", str(staging), destination, "--recursive")
    destination = f"gs://{bucket}/{prefix}"
    return destination, ("gcloud", "storage", "rsync", str(staging), destination, "--recursive")


def _publish_site(
    cloud: str, environment: Environment, staging: Path, environ: Mapping[str, str]
) -> tuple[str, tuple[str, ...]]:
    """The command that makes staging the whole static website of the environment."""
    if cloud == "azure":
        account = _need(environ, variable(environment, "STORAGE_ACCOUNT"), "the storage account")
        command = ("az", "storage", "blob", "sync", "--auth-mode", "login")
        command += ("--account-name", account, "--container", "$web", "--source", str(staging))
        command += ("--delete-destination", "true")
        return f"https://{account}.blob.core.windows.net/$web", command
    bucket = _need(environ, variable(environment, "BUCKET"), "the static website's bucket")
    if cloud == "aws":
        destination = f"s3://{bucket}/"
        return destination, ("aws", "s3", "sync", str(staging), destination, "--delete")
    destination = f"gs://{bucket}"
    command = ("gcloud", "storage", "rsync", str(staging), destination, "--recursive")
    return destination, (*command, "--delete-unmatched-destination-objects")


def plan_release(
    settings: Settings,
    environment: Environment,
    *,
    spec: Path,
    version: str,
    commit: str,
    environ: Mapping[str, str],
) -> Plan:
    """The commands that ship this release for deploy.target and deploy.cloud."""
    cloud, env = settings.cloud, environment.name
    if settings.deploy_target == "webservice":
        image = read_image(settings)  # the image CI built and scanned, by digest
        if settings.platform != "container-service":
            return cluster_plan(settings, environment, image)
        commands = _service_update(cloud, environment, image, environ)
        return Plan(image, commands, smoke_url=environment.url)
    files = _release_files(settings, spec, version)
    prefix = f"{IMAGE_NAME}/{env}/{version}-{commit[:12]}"
    if cloud == "none":
        root = Path(_need(environ, "RELEASE_DIR", "the directory releases are copied to"))
        return Plan(str(root / prefix), files=files, copy_to=root / prefix)
    staging = settings.dist_dir / f"release-{env}"
    if settings.deploy_target == "browser":
        destination, command = _publish_site(cloud, environment, staging, environ)
    else:
        destination, command = _upload(cloud, environment, staging, prefix, environ)
    return Plan(destination, (command,), files=files)


def check_bundle(settings: Settings, plan: Plan, model_sha256: str) -> None:
    """Refuse an edge or browser bundle whose model is not the gated model."""
    if settings.deploy_target == "browser":
        manifest = _json(plan.files["manifest.json"], settings, "run `make browser-bundle`")
        if manifest.get("model_sha256") != model_sha256:
            raise Refused(
                f"{settings.display(settings.dist_dir / BROWSER_BUNDLE)} holds another model; "
                "run `make browser-bundle` again"
            )
        return
    bundle = plan.files.get(EDGE_BUNDLE)
    if bundle is None:
        return
    with tarfile.open(bundle) as tar:
        member = tar.extractfile("manifest.json")
        manifest = json.loads(member.read()) if member else {}
    packed = manifest.get("files", {}).get("model.joblib", {}).get("sha256")
    if packed != model_sha256:
        raise Refused(f"{settings.display(bundle)} holds another model; run `make export` again")


def stage(plan: Plan, staging: Path, release: Path) -> None:
    """Copy the files of the release, and the manifest as release.json, into staging."""
    shutil.rmtree(staging, ignore_errors=True)
    for name, source in {**plan.files, "release.json": release}.items():
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def resolve(commands: tuple[tuple[str, ...], ...]) -> list[tuple[str, ...]]:
    """The commands with their programs' full paths; TaskError names a CLI that is not on PATH."""
    resolved = []
    for command in commands:
        path = shutil.which(command[0])
        if path is None:
            shown = shlex.join(command[:4])
            raise TaskError(f"the {command[0]} CLI is not on PATH; this deploy runs `{shown} ...`")
        resolved.append((path, *command[1:]))
    return resolved


def run_commands(commands: tuple[tuple[str, ...], ...], cwd: Path) -> None:
    """Run each command in order; stop at the first that fails.

    A command that holds PREVIOUS_OUTPUT gets the output of the one before it there.
    """
    previous = ""
    for command, shown in zip(resolve(commands), commands, strict=True):
        print(f"$ {shlex.join(shown)}", flush=True)
        argv = [previous if part == PREVIOUS_OUTPUT else part for part in command]
        # Safe: argument lists from the spec and the deploy variables; no shell.
        done = subprocess.run(  # noqa: S603  # nosec B603
            argv, cwd=cwd, check=False, stdout=subprocess.PIPE, text=True
        )
        print(done.stdout, end="", flush=True)
        if done.returncode != 0:
            raise Failed(f"`{shlex.join(shown)}` exited {done.returncode}")
        previous = done.stdout.strip()


def smoke_test(
    url: str,
    model_sha256: str,
    *,
    timeout: float,
    interval: float = 10.0,
    opener: Callable[..., Any] = urllib.request.urlopen,
) -> None:
    """GET <url>/health until it answers ok with the released model, or fail after timeout."""
    health = f"{url.rstrip('/')}/health"
    if not health.startswith("https://"):
        raise TaskError(f"{health}: the environment url must be https://")
    deadline, last = time.monotonic() + timeout, "no answer"
    while True:
        try:
            # Safe: an https URL from deploy.environments (checked above).
            with opener(health, timeout=10) as answer:  # noqa: S310  # nosec B310
                body = json.loads(answer.read().decode("utf-8"))
            if body.get("status") == "ok" and body.get("model_sha256") == model_sha256:
                return
            last = f"answered {body.get('status')!r} with model {body.get('model_sha256')!r}"
        except (OSError, ValueError, AttributeError) as exc:
            last = str(exc)
        if time.monotonic() >= deadline:
            raise Failed(f"GET {health}: {last}; expected status ok and model {model_sha256}")
        time.sleep(interval)


def deploy(settings: Settings, environment: Environment, spec: Path) -> dict[str, Any]:
    """Check, record and ship one release; return the release record."""
    if settings.deploy_target == "none":
        raise TaskError("deploy.target is none: there is nothing to deploy")
    lineage = check_release(settings)
    version = project_version(settings.root)
    commit = release_commit(settings.root, os.environ)
    plan = plan_release(
        settings, environment, spec=spec, version=version, commit=commit, environ=os.environ
    )
    model_sha256 = (lineage.get("model") or {}).get("sha256", "")
    check_bundle(settings, plan, model_sha256)
    resolve(plan.commands)  # every CLI is there before anything is written
    record = release_record(
        settings, environment, lineage, version=version, commit=commit, destination=plan.destination
    )
    release = settings.dist_dir / f"release-{environment.name}.json"
    release.parent.mkdir(parents=True, exist_ok=True)
    release.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"release record -> {settings.display(release)}")
    staging = settings.dist_dir / f"release-{environment.name}"
    if plan.files:
        stage(plan, staging, release)
    for path, text in plan.writes.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if plan.copy_to is not None:
        shutil.copytree(staging, plan.copy_to, dirs_exist_ok=True)
    run_commands(plan.commands, settings.root)
    if plan.smoke_url:
        timeout = float(os.environ.get("DEPLOY_SMOKE_TIMEOUT", DEFAULT_SMOKE_TIMEOUT))
        smoke_test(plan.smoke_url, model_sha256, timeout=timeout)
        print(f"smoke test passed: {plan.smoke_url}/health serves model {model_sha256[:12]}")
{%- if cookiecutter.model_registry == 'mlflow' %}
    if settings.registry == "mlflow" and environment == settings.production:
        from .tracking import promote

        version, previous = promote(settings)
        print(
            f"promoted {version.name} version {version.version} to {settings.champion_alias!r}"
            f" (was version {previous or 'none'})"
        )
{%- endif %}
    return record


def main(argv: list[str] | None = None) -> int:
    """Deploy to the environment named by --env."""
    parser = task_parser(__doc__.splitlines()[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--env", help="a name from deploy.environments")
    target.add_argument(
        "--rollback", metavar="ENV", help="go back to the previous release on the cluster"
    )
    target.add_argument(
        "--build-image",
        action="store_true",
        help="build and push the serving image once; record its digest in dist/image.json",
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.spec)
        if args.build_image:
            version = project_version(settings.root)
            commit = release_commit(settings.root, os.environ)
            pushed = build_image(settings, version=version, commit=commit, environ=os.environ)
            print(f"pushed {pushed} -> {settings.display(settings.dist_dir / IMAGE_RECORD)}")
            return 0
        if args.rollback:
            settings.environment(args.rollback)  # a declared environment
            run_commands(rollback_commands(settings), settings.root)
            print(f"rolled back {WORKLOAD} in {args.rollback}")
            return 0
        environment = settings.environment(args.env)
        record = deploy(settings, environment, Path(args.spec))
    except Refused as exc:
        print(f"deploy REFUSED: {exc}", file=sys.stderr)
        return 1
    except Failed as exc:
        print(f"deploy FAILED: {exc}", file=sys.stderr)
        return 1
    except (TaskError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"deployed {record['version']} ({record['git_commit'][:12]}) to {record['environment']}: "
        f"{record['destination']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
