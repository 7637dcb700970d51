"""Hypothesis strategies: pipeline models every platform can render, and specs to build from."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from mlopsgen import yamlio
from mlopsgen.pipeline import (
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
    SecretProvider,
    SecretStore,
    Triggers,
)
from mlopsgen.platforms.gitlab import IMAGES, RESERVED
from mlopsgen.spec import Spec, parse_spec
from mlopsgen.spec.model import REGISTRY_EXAMPLES
from mlopsgen.spec.secrets import literal_secret, ref_problem

KINDS = list(JobKind)
WORDS = ["lint", "test", "scan", "train", "build", "ship", "check", "gate", "data", "x"]
SAFE_TEXT = (
    st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .-_()",
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)
ENV_NAMES = st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4})?", fullmatch=True)
VAR_NAMES = st.from_regex(r"[A-Z][A-Z0-9_]{0,10}", fullmatch=True)
COMMANDS = st.one_of(
    st.sampled_from(["make install", "make lint", "make test", "make sast", "make train"]),
    ENV_NAMES.map(lambda e: f"make deploy ENV={e}"),
    st.from_regex(r"python -m [a-z_]{1,8} --flag='[a-z ]{0,6}'", fullmatch=True),
)
PYTHONS = st.sampled_from(sorted(IMAGES))
CRONS = st.sampled_from(["0 3 * * *", "30 4 * * 1", "*/15 * * * *", "0 0 1 * *"])
BRANCHES = st.sampled_from(["main", "trunk", "develop", "release/1.0"])

artifacts = st.builds(
    Artifacts,
    paths=st.lists(
        st.sampled_from(["reports/", "models/", "dist/", "out/data/"]),
        min_size=1,
        max_size=3,
        unique=True,
    ).map(tuple),
    expire_days=st.integers(1, 90),
    keep_on_failure=st.booleans(),
)
caches = st.lists(
    st.builds(
        Cache,
        name=st.sampled_from(["pip", "pre-commit", "models"]),
        key_files=st.lists(
            st.sampled_from(["pyproject.toml", "requirements.txt", "uv.lock"]),
            min_size=1,
            max_size=2,
            unique=True,
        ).map(tuple),
        path=st.sampled_from([".cache/pip/", ".cache/pre-commit/", "data/cache/"]),
    ),
    max_size=2,
    unique_by=lambda c: c.name,
)
environments = st.builds(
    Environment,
    name=ENV_NAMES,
    url=st.one_of(
        st.none(), st.from_regex(r"https://[a-z]{1,8}\.example\.com(/[a-z]{1,5})?", fullmatch=True)
    ),
    approval=st.booleans(),
    deployment=st.booleans(),
)
#: Canonical references per provider (what build_pipelines hands the emitters).
REFS = {
    SecretProvider.VAULT: st.from_regex(
        r"[a-z]{1,6}/(data/)?[a-z0-9_-]{1,8}(/[a-z0-9._-]{1,8})?#[A-Za-z_]{1,6}", fullmatch=True
    ),
    SecretProvider.AZURE_KEYVAULT: st.from_regex(r"[0-9A-Za-z-]{1,20}", fullmatch=True),
    SecretProvider.AWS: st.one_of(
        st.from_regex(r"[A-Za-z0-9/_+=.@-]{1,20}", fullmatch=True),
        st.from_regex(
            r"arn:aws:secretsmanager:eu-west-1:[0-9]{12}:secret:[a-z/]{1,10}-[A-Za-z0-9]{6}",
            fullmatch=True,
        ),
    ),
    SecretProvider.GCP: st.from_regex(
        r"projects/[a-z0-9-]{1,10}/secrets/[A-Za-z0-9_-]{1,10}/versions/(latest|[1-9][0-9]{0,3})",
        fullmatch=True,
    ),
    SecretProvider.CI: VAR_NAMES,
}
#: Every setting of each provider, as the spec gives them.
SETTINGS = {
    SecretProvider.VAULT: st.fixed_dictionaries(
        {
            "audience": st.sampled_from(["vault", "https://vault.example.com"]),
            "role": st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True),
            "url": st.sampled_from(["https://vault.example.com", "https://v.example.org:8200"]),
        }
    ),
    SecretProvider.AZURE_KEYVAULT: st.fixed_dictionaries(
        {
            "service_connection": st.sampled_from(["azure-oidc", "kv-reader"]),
            "vault": st.from_regex(r"kv-[a-z0-9]{1,10}", fullmatch=True),
        }
    ),
    SecretProvider.AWS: st.fixed_dictionaries(
        {
            "region": st.sampled_from(["eu-west-1", "us-east-2"]),
            "role_arn": st.from_regex(r"arn:aws:iam::[0-9]{12}:role/[a-z-]{1,10}", fullmatch=True),
        }
    ),
    SecretProvider.GCP: st.fixed_dictionaries(
        {
            "service_account": st.just("ci@proj-1.iam.gserviceaccount.com"),
            "workload_identity_provider": st.from_regex(
                r"projects/[0-9]{3,12}/locations/global/workloadIdentityPools/[a-z-]{1,8}"
                r"/providers/[a-z-]{1,8}",
                fullmatch=True,
            ),
        }
    ),
    SecretProvider.CI: st.fixed_dictionaries(
        {"group": st.from_regex(r"[a-z_]{1,8}-secrets-[a-z-]{1,8}", fullmatch=True)}
    ),
}


@st.composite
def secret_stores(
    draw: st.DrawFn, taken: frozenset[str]
) -> tuple[tuple[Secret, ...], SecretStore | None]:
    """No secrets, or a store with one to three secrets whose names are not in ``taken``."""
    if draw(st.booleans()):
        return (), None
    provider = draw(st.sampled_from(list(SecretProvider)))
    names = draw(
        st.lists(VAR_NAMES.filter(lambda n: n not in taken), min_size=1, max_size=3, unique=True)
    )
    refs = REFS[provider].filter(
        lambda r: ref_problem(provider, r) is None or provider is SecretProvider.CI
    )
    secrets = tuple(Secret(name=n, ref=draw(refs)) for n in names)
    settings = draw(SETTINGS[provider])
    static = provider is not SecretProvider.CI and draw(st.booleans())
    return secrets, SecretStore(
        provider=provider, settings=tuple(sorted(settings.items())), static=static
    )


#: Registry hosts per cloud (deploy.cloud).
_REGISTRIES = {
    "azure": st.from_regex(r"[a-z0-9]{5,12}\.azurecr\.io", fullmatch=True),
    "aws": st.from_regex(
        r"[0-9]{12}\.dkr\.ecr\.(eu-west-1|us-east-2)\.amazonaws\.com", fullmatch=True
    ),
    "gcp": st.sampled_from(["europe-west1-docker.pkg.dev", "us-docker.pkg.dev", "gcr.io"]),
}


@st.composite
def cloud_logins(draw: st.DrawFn) -> CloudLogin:
    """A cloud login, with or without a registry (and Azure's service connection)."""
    cloud = draw(st.sampled_from(sorted(_REGISTRIES)))
    return CloudLogin(
        cloud=cloud,
        registry=draw(st.one_of(st.none(), _REGISTRIES[cloud])),
        service_connection=draw(st.sampled_from(["spam-deploy", "ml deploy.prod_1"]))
        if cloud == "azure" or draw(st.booleans())
        else None,
    )


rules = st.builds(Rule, branch=st.one_of(st.none(), BRANCHES), tags=st.booleans())
envs = st.dictionaries(VAR_NAMES, SAFE_TEXT, max_size=3).map(lambda d: tuple(sorted(d.items())))


@st.composite
def jobs(draw: st.DrawFn, prefix: str, size: int) -> tuple[Job, ...]:
    """Jobs whose needs point back at jobs of the same or an earlier kind (GitLab stages)."""
    out: list[Job] = []
    for i in range(size):
        kind = draw(st.sampled_from(KINDS))
        earlier = [j.id for j in out if KINDS.index(j.kind) <= KINDS.index(kind)]
        needs = draw(st.lists(st.sampled_from(earlier), unique=True) if earlier else st.just([]))
        word = draw(st.sampled_from(WORDS))
        env = draw(envs)
        secrets, store = draw(secret_stores(frozenset(k for k, _ in env)))
        login = draw(st.one_of(st.none(), cloud_logins()))
        out.append(
            Job(
                id=f"{prefix}{word}-{i}",
                kind=kind,
                commands=tuple(draw(st.lists(COMMANDS, min_size=1, max_size=4))),
                needs=tuple(needs),
                rule=draw(rules),
                timeout_minutes=draw(st.integers(1, 360)),
                environment=draw(st.one_of(st.none(), environments)),
                secrets=secrets,
                store=store,
                env=env,
                artifacts=draw(st.one_of(st.none(), artifacts)),
                caches=tuple(draw(caches)),
                oidc=login is not None or draw(st.booleans()),
                cloud_login=login,
                exclusive=draw(st.booleans()),
                allow_failure=draw(st.booleans()),
                node=draw(st.sampled_from((None, "20", "22"))),
            )
        )
    return tuple(out)


@st.composite
def pipelines(draw: st.DrawFn) -> tuple[Pipeline, ...]:
    """A main pipeline ``ci`` and, usually, a scheduled pipeline ``monitor``."""
    pull_requests = draw(st.booleans())
    main = Pipeline(
        id="ci",
        name=draw(SAFE_TEXT),
        python=draw(PYTHONS),
        triggers=Triggers(
            branches=tuple(
                draw(
                    st.lists(
                        st.sampled_from(["main", "develop", "release/*"]), unique=True, max_size=3
                    )
                )
            ),
            pull_requests=pull_requests,
            tags=tuple(
                draw(st.lists(st.sampled_from(["v*", "release-*", "*"]), unique=True, max_size=2))
            ),
        ),
        jobs=draw(jobs("", draw(st.integers(1, 6)))),
        cancel_superseded=pull_requests and draw(st.booleans()),
    )
    if not draw(st.booleans()):
        return (main,)
    monitor = Pipeline(
        id="monitor",
        name=draw(SAFE_TEXT),
        python=draw(PYTHONS),
        triggers=Triggers(
            schedules=(Schedule(cron=draw(CRONS), branch=draw(st.one_of(st.none(), BRANCHES))),)
        ),
        jobs=draw(jobs("m-", draw(st.integers(1, 3)))),
    )
    assert not RESERVED & {j.id for j in (*main.jobs, *monitor.jobs)}
    return main, monitor


#: Spec sections per provider and references as users write them (GCP names may be short).
_SPEC_SECTIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "vault": ("vault", {"url": "https://vault.example.com", "role": "ml-ci"}),
    "azure-keyvault": ("azure_keyvault", {"name": "kv-generated"}),
    "aws-secrets-manager": (
        "aws",
        {"region": "eu-west-1", "role_arn": "arn:aws:iam::123456789012:role/ci"},
    ),
    "gcp-secret-manager": (
        "gcp",
        {
            "workload_identity_provider": "projects/123/locations/global/workloadIdentityPools/"
            "p/providers/q",
            "service_account": "ci@proj-1.iam.gserviceaccount.com",
        },
    ),
}
_SPEC_REFS = {
    **{str(p): r for p, r in REFS.items()},
    "gcp-secret-manager": st.one_of(
        REFS[SecretProvider.GCP], st.from_regex(r"[a-z][a-z0-9_-]{0,9}", fullmatch=True)
    ),
    "ci": st.from_regex(r"[A-Z][A-Z0-9_]{0,10}", fullmatch=True).filter(
        lambda r: not r.startswith("GITHUB_")
    ),
}


@st.composite
def spec_secrets(draw: st.DrawFn, env_names: list[str]) -> dict[str, Any]:
    """A valid ``secrets:`` section: any provider, valid references, scoped items."""
    provider = draw(st.sampled_from([str(p) for p in SecretProvider]))
    items = []
    for name in draw(st.lists(VAR_NAMES, unique=True, max_size=3)):
        stages = draw(
            st.lists(
                st.sampled_from(["train", "evaluate", "deploy", "monitor", "package"]), unique=True
            )
        )
        ref = draw(
            _SPEC_REFS[provider].filter(
                lambda r: (
                    ref_problem(SecretProvider(provider), r) is None and literal_secret(r) is None
                )  # random text can look like a token
            )
        )
        items.append(
            {
                "name": name,
                "ref": ref,
                "stages": stages,
                "environments": draw(st.lists(st.sampled_from(env_names), unique=True))
                if env_names and "deploy" in stages
                else [],
            }
        )
    out: dict[str, Any] = {"provider": provider, "items": items}
    if provider in _SPEC_SECTIONS:
        section, settings = _SPEC_SECTIONS[provider]
        out[section] = settings
        out["auth"] = draw(st.sampled_from(["oidc", "static"]))
    return out


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    """Valid specs over the options that shape pipelines, parsed like a user's file."""
    env_names = draw(st.lists(ENV_NAMES, unique=True, max_size=3))
    data: dict[str, Any] = {
        "version": 1,
        "project": {"name": "Generated Project", "python": draw(PYTHONS)},
        "ci": {
            "platforms": ["github", "gitlab", "azure"],
            "default_branch": draw(st.sampled_from(["main", "trunk"])),
            "triggers": {
                "branches": draw(
                    st.lists(
                        st.sampled_from(["main", "trunk", "release/*"]), unique=True, max_size=2
                    )
                ),
                "pull_requests": draw(st.booleans()),
                "tags": draw(st.sampled_from([None, "v*", "release-*"])),
            },
        },
        "security": {
            "secrets_scan": {"tool": draw(st.sampled_from(["detect-secrets", "gitleaks"]))},
            "sbom": draw(st.sampled_from(["cyclonedx", "none"])),
            "model_scan": draw(st.sampled_from(["modelscan", "none"])),
        },
        "secrets": draw(spec_secrets(env_names)),
        "deploy": {
            "target": draw(st.sampled_from(["webservice", "batch", "edge", "none"])),
            "cloud": draw(st.sampled_from(["none", "azure", "aws", "gcp"])),
            "environments": [
                {"name": n, "approval": draw(st.sampled_from(["none", "required"]))}
                for n in env_names
            ],
        },
        "monitoring": {
            "drift": {
                "schedule": draw(CRONS),
                "on_drift": draw(st.sampled_from(["retrain", "alert"])),
            }
        },
    }
    deploy = data["deploy"]
    if deploy["target"] == "webservice" and deploy["cloud"] != "none":
        deploy["registry"] = REGISTRY_EXAMPLES[deploy["cloud"]]
    if data["secrets"].get("auth") == "static":
        data["policies"] = {
            "waivers": [
                {
                    "rule": "SPEC-003",
                    "reason": "stored token for now",
                    "owner": "x",
                    "expires": "2030-01-01",
                }
            ]
        }
    return parse_spec(yamlio.dump(data), filename="generated.yaml")
