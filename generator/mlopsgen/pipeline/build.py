"""Spec to pipeline model: the main CI/CD pipeline and the scheduled pipelines.

The scheduled pipelines are monitoring (``monitoring.drift.schedule``) and, for
``deploy.target: batch``, batch scoring (``deploy.batch.schedule``).

Thin CI, fat tasks: every job runs targets of the generated repository's Makefile, so the
same step runs on a laptop, on each CI platform and in tests. Targets CI calls are listed
in :data:`MAKE_TARGETS`. Installing is the exception, spelled out in every job
(:data:`INSTALL_COMMANDS`, the same commands as ``make install``) so that a policy rule
reading the pipeline sees that it installs hash-checked packages from ``uv.lock`` only.

uv's cache (:data:`UV_CACHE`, keyed on the lock, uv's own pin and the Python version) is
restored by the jobs that test, scan, train and gate, never by the jobs whose output
ships (package, image) or deploys: a cache that another run wrote must not reach what is
released (cache poisoning; zizmor's ``cache-poisoning``, rule ART-002).
"""

from __future__ import annotations

from mlopsgen.pipeline.model import (
    Artifacts,
    Cache,
    CloudLogin,
    Environment,
    Job,
    JobKind,
    Pipeline,
    Rule,
    Schedule,
    Secret,
    SecretStore,
    Triggers,
)
from mlopsgen.spec.model import (
    ComputeEngine,
    DeployTarget,
    Kubernetes,
    SecretItem,
    SecretProvider,
    Spec,
    registry_host,
)
from mlopsgen.spec.secrets import SECRET_ENVIRONMENT_PREFIX, canonical_ref

__all__ = [
    "BATCH_PIPELINE",
    "INSTALL_COMMANDS",
    "MAIN_PIPELINE",
    "MAKE_TARGETS",
    "MONITOR_PIPELINE",
    "build_pipelines",
    "cluster_credentials",
    "secret_scopes",
    "uv_cache",
]

MAIN_PIPELINE = "ci"
MONITOR_PIPELINE = "monitor"
BATCH_PIPELINE = "batch"

#: Every Makefile target a generated pipeline may call (``deploy`` takes ``ENV=<name>``).
MAKE_TARGETS = (
    "install",
    "lock-check",
    "check",
    "lint",
    "test",
    "sast",
    "audit-deps",
    "secrets-scan",
    "data-validate",
    "train",
    "evaluate",
    "model-gate",
    "lineage",
    "data-pull",
    "package",
    "image",
    "export",
    "browser-tools",
    "browser-bundle",
    "browser-test",
    "sbom",
    "model-scan",
    "deploy",
    "drift",
    "monitor",
    "batch-score",
    "aml-train",
    "aml-register",
    "kfp-compile",
    "kfp-run",
)

#: The Node.js major version of the jobs that run ``npm ci`` (deploy.target browser).
NODE_VERSION = "22"
#: What ``make install`` runs outside a virtualenv, spelled out in every job: a virtualenv,
#: uv from its hash-pinned requirements file, then exactly ``uv.lock`` (``--locked``: a
#: stale lock fails; uv checks every hash) and the project, editable, with the dev tools.
INSTALL_UV = (
    "python -m venv .venv",
    ".venv/bin/python -m pip install --require-hashes -r requirements-uv.txt",
)
SYNC = ".venv/bin/python -m uv sync --locked --inexact --extra dev"
INSTALL_COMMANDS = (*INSTALL_UV, SYNC)
#: Where uv keeps its cache in CI: in the work tree (GitLab caches nothing outside it),
#: git-ignored and skipped by the secret scans of the generated repository.
UV_CACHE_DIR = ".uv-cache"
#: Jobs that build what ships or deploy it start from an empty cache.
_UNCACHED = frozenset({JobKind.PACKAGE, JobKind.DEPLOY})
_REPORTS = Artifacts(paths=("reports/",), expire_days=30, keep_on_failure=True)
_MODEL = Artifacts(paths=("models/", "reports/"), expire_days=30)
#: The monitor's reports (monitoring.json/html/prom) matter most when it fails.
_MONITOR_MODEL = Artifacts(paths=("models/", "reports/"), expire_days=30, keep_on_failure=True)
#: The container-image job's record of what it pushed: dist/image.json (image and digest).
_IMAGE = Artifacts(paths=("dist/",), expire_days=30)
#: The secret scopes of the spec (``secrets.items[].stages``) by the jobs that carry them.
#: A job that reads secrets and does not deploy is bound to the environment
#: ``secrets-<stage>``, so the secrets (GitHub environment secrets, GitLab
#: environment-scoped variables) and the OIDC subject (``...:environment:secrets-train``)
#: are scoped to the stage, not to the repository.
_SECRET_STAGE = {
    "train": "train",
    "retrain-on-drift": "train",
    "evaluate": "evaluate",
    # The gate reads the champion's metrics from the model registry (model.registry mlflow).
    "model-gate": "evaluate",
    "package": "package",
    "drift": "monitor",
    # The scheduled scoring run trains and gates its model (see _batch).
    "batch-score": "train",
}
#: With ``data.versioning: dvc``, the jobs that read the data run ``make data-pull`` first
#: and read the secrets of the stage ``data`` (the DVC remote's credentials) besides their
#: own; a job with no stage of its own is scoped to ``secrets-data``. CI never pushes: it
#: produces no data, and its models are artifacts (README "Data under DVC").
_DATA_JOBS = (
    "data-validate",
    "train",
    "evaluate",
    "model-gate",
    "drift",
    "retrain-on-drift",
    "batch-score",
)
_DATA_STAGE = "data"


def secret_scopes() -> dict[str, tuple[str, ...]]:
    """The jobs that read the secrets of each stage (``secrets.items[].stages``) but deploy."""
    out: dict[str, tuple[str, ...]] = {}
    for job_id, stage in _SECRET_STAGE.items():
        out[stage] = (*out.get(stage, ()), job_id)
    out[_DATA_STAGE] = _DATA_JOBS
    return out


def _stage(job_id: str) -> str:
    """The secret scope of a job that is not a deploy: its stage, else ``data``."""
    return _SECRET_STAGE.get(job_id, _DATA_STAGE)


def uv_cache(python: str) -> Cache:
    """The cache of uv for a Python version, keyed on the lock and on uv's own pin."""
    return Cache(
        name=f"uv-py{python.replace('.', '')}",
        key_files=("uv.lock", "requirements-uv.txt"),
        path=f"{UV_CACHE_DIR}/",
    )


def build_pipelines(spec: Spec) -> tuple[Pipeline, ...]:
    """Build the pipelines a spec asks for: the main pipeline, then the scheduled ones.

    Args:
        spec: A validated spec with defaults applied.

    Returns:
        ``(main, monitor)``, plus ``batch`` for ``deploy.target: batch``; ``main`` has id
        :data:`MAIN_PIPELINE`, ``monitor`` :data:`MONITOR_PIPELINE`, ``batch``
        :data:`BATCH_PIPELINE`.
    """
    if spec.deploy.target is DeployTarget.BATCH:
        return _main(spec), _monitor(spec), _batch(spec)
    return _main(spec), _monitor(spec)


def _job(
    spec: Spec,
    job_id: str,
    kind: JobKind,
    targets: tuple[str, ...],
    *,
    needs: tuple[str, ...] = (),
    timeout: int,
    artifacts: Artifacts | None = None,
    rule: Rule | None = None,
    environment: Environment | None = None,
    exclusive: bool = False,
    before_sync: tuple[str, ...] = (),
    before_targets: tuple[str, ...] = (),
    login: CloudLogin | None = None,
    node: str | None = None,
) -> Job:
    pulls = spec.data.dvc and job_id in _DATA_JOBS
    items = _secret_items(spec, job_id, environment, data=pulls)
    store = _store(spec, job_id, environment) if items else None
    secrets = tuple(
        Secret(
            name=item.name,
            ref=canonical_ref(spec.secrets.provider, item.ref, spec.secrets.settings),
        )
        for item in items
    )
    if store is not None and environment is None:
        environment = Environment(
            name=f"{SECRET_ENVIRONMENT_PREFIX}{_stage(job_id)}", deployment=False
        )
    # Cloud deploys (and the image push) log in through workload identity federation, no
    # stored keys. (A store login's own token is the store's business:
    # SecretStore.token_login.)
    oidc = login is not None
    cached = kind not in _UNCACHED
    return Job(
        id=job_id,
        kind=kind,
        commands=(
            *INSTALL_UV,
            *(f"make {t}" for t in before_sync),
            SYNC,
            *(("make data-pull",) if pulls else ()),
            *before_targets,
            *(f"make {t}" for t in targets),
        ),
        needs=needs,
        rule=rule or Rule(),
        timeout_minutes=timeout,
        environment=environment,
        secrets=secrets,
        store=store,
        env=(("UV_CACHE_DIR", UV_CACHE_DIR),),
        artifacts=artifacts,
        caches=(uv_cache(spec.project.python),) if cached else (),
        oidc=oidc,
        cloud_login=login,
        exclusive=exclusive,
        node=node,
    )


def _secret_items(
    spec: Spec, job_id: str, environment: Environment | None, *, data: bool = False
) -> tuple[SecretItem, ...]:
    """The spec's secrets a job reads: by its stage(s), or by its deployment environment.

    A job that pulls DVC data (``data``) reads the secrets of stage ``data`` too.
    """
    if environment is not None:
        return tuple(
            item
            for item in spec.secrets.items
            if "deploy" in item.stages
            and (not item.environments or environment.name in item.environments)
        )
    stages = {_SECRET_STAGE.get(job_id), _DATA_STAGE if data else None} - {None}
    return tuple(item for item in spec.secrets.items if stages.intersection(item.stages))


#: Spec settings (``secrets.<section>.<key>``) by the model's setting names.
_SETTING_NAMES = {
    SecretProvider.VAULT: {"url": "url", "role": "role", "audience": "audience"},
    SecretProvider.AZURE_KEYVAULT: {"vault": "name", "service_connection": "service_connection"},
    SecretProvider.AWS: {"region": "region", "role_arn": "role_arn"},
    SecretProvider.GCP: {
        "workload_identity_provider": "workload_identity_provider",
        "service_account": "service_account",
    },
    SecretProvider.CI: {},
}


def _store(spec: Spec, job_id: str, environment: Environment | None) -> SecretStore:
    provider = spec.secrets.provider
    settings = {
        key: spec.secrets.settings[name]
        for key, name in _SETTING_NAMES[provider].items()
        if name in spec.secrets.settings
    }
    if provider is SecretProvider.CI:
        # One Azure DevOps variable group per scope (stage or deployment environment):
        # a job links only the group of its own scope.
        scope = environment.name if environment is not None else _stage(job_id)
        settings["group"] = f"{spec.project.slug}-secrets-{scope}"
    return SecretStore(
        provider=provider, settings=tuple(sorted(settings.items())), static=spec.secrets.static
    )


def _cloud_login(spec: Spec, *, registry: bool) -> CloudLogin | None:
    """The OIDC login of a job that pushes the image or deploys; None without a cloud."""
    cloud = spec.deploy.cloud
    if cloud == "none":
        return None
    host = registry_host(spec.deploy.registry) if registry and spec.deploy.registry else None
    connection = spec.deploy.service_connection if cloud == "azure" else None
    return CloudLogin(cloud=cloud, registry=host, service_connection=connection)


def cluster_credentials(cloud: str, cluster: Kubernetes) -> tuple[str, ...]:
    """The commands that write a kubeconfig for ``cluster`` from the job's cloud session.

    They run after the cloud's OIDC login (:class:`CloudLogin`), so the kubeconfig holds no
    stored credential: AKS through kubelogin with the Azure CLI's session, EKS and GKE
    through their CLIs' exec plugins, each minting short-lived tokens.
    """
    if cloud == "azure":
        return (
            f"az aks get-credentials --resource-group {cluster.cluster_group} "
            f"--name {cluster.cluster} --overwrite-existing --only-show-errors",
            "kubelogin convert-kubeconfig --login azurecli",
        )
    if cloud == "aws":
        return (
            f"aws eks update-kubeconfig --name {cluster.cluster} "
            f"--region {cluster.cluster_location}",
        )
    if cloud == "gcp":
        return (
            f"gcloud container clusters get-credentials {cluster.cluster} "
            f"--location {cluster.cluster_location}",
        )
    raise ValueError(f"cloud {cloud!r} has no managed cluster login")


#: Minutes the train job of engine kubeflow or azureml has beyond the remote run's own
#: timeout (compute.timeout_minutes): installing, compiling, submitting, downloading.
REMOTE_JOB_MARGIN = 20


def _training(spec: Spec) -> tuple[Job, ...]:
    """The jobs that produce the model and reports/metrics.json the gate reads.

    Engine local trains and evaluates in CI. Engine azureml trains on the workspace's
    cluster: ``make aml-train`` submits azureml/pipeline.yml (``az ml job create --stream``)
    after the OIDC login, waits within the job's timeout and downloads the model and the
    reports; evaluate then runs in CI on what the cluster trained. Engine kubeflow runs
    validate, train, evaluate and gate as one KFP run (``make kfp-compile kfp-run``:
    compile, submit, wait at most ``compute.timeout_minutes``, download models/ and
    reports/), so the one train job stands for both; the model gate, lineage and the
    registry steps then run in CI on what it downloaded, as after a local run.
    """
    if spec.compute.engine is ComputeEngine.KUBEFLOW:
        return (
            _job(
                spec,
                "train",
                JobKind.TRAIN,
                ("kfp-compile", "kfp-run"),
                needs=("data-validate",),
                timeout=spec.compute.timeout_minutes + REMOTE_JOB_MARGIN,
                artifacts=_MODEL,
            ),
        )
    azureml = spec.compute.engine is ComputeEngine.AZUREML
    return (
        _job(
            spec,
            "train",
            JobKind.TRAIN,
            ("aml-train",) if azureml else ("train",),
            needs=("data-validate",),
            # The cluster job (queueing, one node per step) within the CI job's bound.
            timeout=spec.compute.timeout_minutes + REMOTE_JOB_MARGIN if azureml else 60,
            artifacts=_MODEL,
            login=_azureml_login(spec) if azureml else None,
        ),
        _job(
            spec,
            "evaluate",
            JobKind.TRAIN,
            ("evaluate",),
            needs=("train",),
            timeout=30,
            artifacts=_MODEL,
        ),
    )


def _azureml_login(spec: Spec) -> CloudLogin:
    """The OIDC login to Azure of the jobs that call ``az ml`` (compute.engine azureml)."""
    return CloudLogin(cloud="azure", service_connection=spec.deploy.service_connection)


def _main(spec: Spec) -> Pipeline:
    security = ("sast", "audit-deps", "secrets-scan")
    training = _training(spec)
    jobs = [
        # First job: uv.lock is fresh against pyproject.toml (`make lock-check`, before
        # anything installs from it), then `mlopsgen check` (spec valid, policies pass, every
        # managed file equals a fresh render), so a stale lock or a hand-edited pipeline
        # stops the run before anything.
        _job(
            spec,
            "mlopsgen-check",
            JobKind.CHECK,
            ("check",),
            timeout=10,
            before_sync=("lock-check",),
        ),
        _job(
            spec, "lint-test", JobKind.TEST, ("lint", "test"), needs=("mlopsgen-check",), timeout=20
        ),
        _job(
            spec,
            "sast",
            JobKind.SECURITY,
            ("sast",),
            needs=("mlopsgen-check",),
            timeout=15,
            artifacts=_REPORTS,
        ),
        # pip-audit --strict: a package that cannot be audited fails the job, by design.
        _job(
            spec,
            "audit-deps",
            JobKind.SECURITY,
            ("audit-deps",),
            needs=("mlopsgen-check",),
            timeout=15,
        ),
        _job(
            spec,
            "secrets-scan",
            JobKind.SECURITY,
            ("secrets-scan",),
            needs=("mlopsgen-check",),
            timeout=10,
        ),
        _job(
            spec,
            "data-validate",
            JobKind.DATA,
            ("data-validate",),
            needs=("mlopsgen-check",),
            timeout=15,
            artifacts=_REPORTS,
        ),
        *training,
        _job(
            spec,
            "model-gate",
            JobKind.GATE,
            ("model-gate", "lineage"),
            # The gate reads reports/metrics.json: after evaluate, or after the KFP run.
            needs=(training[-1].id,),
            timeout=15,
            artifacts=_MODEL,
        ),
    ]
    package = ["package"]
    if spec.deploy.target is DeployTarget.EDGE:
        package.append("export")
    if spec.deploy.target is DeployTarget.BROWSER:
        # Node.js (npm ci) and Chromium where the runner lacks them, then npm ci + ONNX
        # export + dist/browser/, then the page in headless Chromium against the model.
        package += ["browser-tools", "browser-bundle", "browser-test"]
    if spec.security.sbom != "none":
        package.append("sbom")
    if spec.security.model_scan != "none":
        package.append("model-scan")
    gates = (*security, "data-validate", "model-gate")
    jobs.append(
        _job(
            spec,
            "package",
            JobKind.PACKAGE,
            tuple(package),
            # What ships must be tested and gated; the security scans gate the deploys
            # (below), not the build, so a scan failing for want of a service (pip-audit
            # with no vulnerability feed) still leaves an artifact to inspect.
            needs=("lint-test", "model-gate"),
            timeout=30,
            artifacts=Artifacts(paths=("dist/", "models/", "reports/"), expire_days=30),
            node=NODE_VERSION if spec.deploy.target is DeployTarget.BROWSER else None,
        )
    )
    if spec.model.registry == "azureml":
        # Its own job: the build runs without a cloud session, and only the gated, scanned
        # model of the package job is registered in the workspace.
        jobs.append(
            _job(
                spec,
                "register-model",
                JobKind.PACKAGE,
                ("aml-register",),
                needs=("package",),
                timeout=15,
                login=_azureml_login(spec),
            )
        )
    shipped: tuple[str, ...] = ("package",)
    if spec.deploy.target is DeployTarget.WEBSERVICE:
        # The container image is its own job: it needs a Docker engine, the wheel does not.
        # It is built and pushed once; dist/image.json records its digest, and each deploy
        # ships exactly that image (the one the pipeline built), never a rebuild.
        jobs.append(
            _job(
                spec,
                "container-image",  # `image` is a GitLab keyword, not a valid job name
                JobKind.PACKAGE,
                ("image",),
                needs=("package",),
                timeout=30,
                artifacts=_IMAGE,
                login=_cloud_login(spec, registry=True),
            )
        )
        shipped = ("package", "container-image")
    if spec.deploy.target is not DeployTarget.NONE:
        release = Rule(branch=spec.ci.default_branch, tags=spec.ci.triggers.tags is not None)
        previous: tuple[str, ...] = ()
        # deploy.platform kubernetes | kserve: `make deploy` applies the manifests with
        # kubectl, with the kubeconfig these commands write after the OIDC login.
        k8s = spec.deploy.kubernetes
        cluster = cluster_credentials(spec.deploy.cloud, k8s) if k8s is not None else ()
        for env in spec.deploy.environments:
            job_id = f"deploy-{env.name}"
            jobs.append(
                _job(
                    spec,
                    job_id,
                    JobKind.DEPLOY,
                    (f"deploy ENV={env.name}",),
                    needs=(*gates, *shipped, *previous),
                    timeout=30,
                    rule=release,
                    environment=Environment(
                        name=env.name, url=env.url, approval=env.needs_approval
                    ),
                    exclusive=True,
                    # A webservice deploy points the service at the pushed image, so it
                    # logs in to the registry too (az containerapp reads the ACR with it);
                    # a cluster pulls the image with its own identity.
                    login=_cloud_login(
                        spec,
                        registry=spec.deploy.target is DeployTarget.WEBSERVICE
                        and not spec.deploy.on_cluster,
                    ),
                    before_targets=cluster,
                )
            )
            previous = (job_id,)
    triggers = spec.ci.triggers
    return Pipeline(
        id=MAIN_PIPELINE,
        name=f"{spec.project.name} CI",
        python=spec.project.python,
        triggers=Triggers(
            branches=triggers.branches,
            pull_requests=triggers.pull_requests,
            tags=(triggers.tags,) if triggers.tags else (),
        ),
        jobs=tuple(jobs),
        cancel_superseded=triggers.pull_requests,
    )


def _monitor(spec: Spec) -> Pipeline:
    """The scheduled monitor: ``make monitor`` (the generated ``monitor.py``).

    A webservice's monitor reads the prediction log's last ``monitoring.live.window``; the
    other targets' monitor reads the file batch (docs/monitoring.md). On a breach
    ``on_drift: retrain`` retrains, evaluates and gates a new model (the job fails when
    that model fails the gate) and ``alert`` fails the job, which is the alert. The
    reports (monitoring.json, .html, .prom) are kept either way.
    """
    drift = spec.monitoring.drift
    if drift.on_drift == "retrain":
        job = _job(
            spec,
            "retrain-on-drift",
            JobKind.MONITOR,
            ("monitor",),
            timeout=90,
            artifacts=_MONITOR_MODEL,
        )
    else:
        job = _job(spec, "drift", JobKind.MONITOR, ("monitor",), timeout=30, artifacts=_REPORTS)
    jobs = [job]
    return Pipeline(
        id=MONITOR_PIPELINE,
        name=f"{spec.project.name} monitoring",
        python=spec.project.python,
        triggers=Triggers(
            schedules=(Schedule(cron=drift.schedule, branch=spec.ci.default_branch),)
        ),
        jobs=tuple(jobs),
    )


def _batch(spec: Spec) -> Pipeline:
    """Batch scoring on ``deploy.batch.schedule``, with the model the gate approves.

    A scheduled run starts from the default branch, not from the main pipeline's artifacts
    (which expire): it trains the model of that commit (training is seeded, so it is the
    model the main pipeline gated and deployed), evaluates it and runs the model gate; a
    model that fails the gate stops the job before ``make batch-score`` scores anything.
    """
    job = _job(
        spec,
        "batch-score",
        JobKind.MONITOR,  # the kind of scheduled jobs: no environment, no approval
        ("data-validate", "train", "evaluate", "model-gate", "batch-score"),
        timeout=90,
        artifacts=_MODEL,
    )
    return Pipeline(
        id=BATCH_PIPELINE,
        name=f"{spec.project.name} batch scoring",
        python=spec.project.python,
        triggers=Triggers(
            schedules=(Schedule(cron=spec.deploy.batch_schedule, branch=spec.ci.default_branch),)
        ),
        jobs=(job,),
    )
