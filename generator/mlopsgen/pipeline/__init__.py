"""The CI-neutral pipeline model and its construction from a spec."""

from __future__ import annotations

from mlopsgen.pipeline.build import (
    BATCH_PIPELINE,
    INSTALL_COMMANDS,
    MAIN_PIPELINE,
    MAKE_TARGETS,
    MONITOR_PIPELINE,
    build_pipelines,
)
from mlopsgen.pipeline.model import (
    DEFAULT_EXPIRE_DAYS,
    STORE_SETTINGS,
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

__all__ = [
    "BATCH_PIPELINE",
    "DEFAULT_EXPIRE_DAYS",
    "INSTALL_COMMANDS",
    "MAIN_PIPELINE",
    "MAKE_TARGETS",
    "MONITOR_PIPELINE",
    "STORE_SETTINGS",
    "Artifacts",
    "Cache",
    "CloudLogin",
    "Environment",
    "Job",
    "JobKind",
    "Pipeline",
    "Rule",
    "Schedule",
    "Secret",
    "SecretProvider",
    "SecretStore",
    "Triggers",
    "build_pipelines",
]
