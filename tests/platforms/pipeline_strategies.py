"""Hypothesis strategies: pipeline models every platform can render, and specs to build from."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from mlopsgen import yamlio
from mlopsgen.pipeline import (
    Artifacts,
    Cache,
    Environment,
    Job,
    JobKind,
    Pipeline,
    Rule,
    Schedule,
    Triggers,
)
from mlopsgen.platforms.gitlab import IMAGES, RESERVED
from mlopsgen.spec import Spec, parse_spec

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
        out.append(
            Job(
                id=f"{prefix}{word}-{i}",
                kind=kind,
                commands=tuple(draw(st.lists(COMMANDS, min_size=1, max_size=4))),
                needs=tuple(needs),
                rule=draw(rules),
                timeout_minutes=draw(st.integers(1, 360)),
                environment=draw(st.one_of(st.none(), environments)),
                secrets=tuple(draw(st.lists(VAR_NAMES, max_size=3, unique=True))),
                env=draw(envs),
                artifacts=draw(st.one_of(st.none(), artifacts)),
                caches=tuple(draw(caches)),
                oidc=draw(st.booleans()),
                exclusive=draw(st.booleans()),
                allow_failure=draw(st.booleans()),
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
        "secrets": {
            "items": [
                {
                    "name": name,
                    "ref": f"ref-{name.lower()}",
                    "stages": draw(
                        st.lists(
                            st.sampled_from(["train", "evaluate", "deploy", "monitor", "package"]),
                            unique=True,
                        )
                    ),
                    "environments": draw(st.lists(st.sampled_from(env_names), unique=True))
                    if env_names
                    else [],
                }
                for name in draw(st.lists(VAR_NAMES, unique=True, max_size=3))
            ],
        },
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
    return parse_spec(yamlio.dump(data), filename="generated.yaml")
