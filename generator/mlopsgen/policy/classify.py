"""What a hand-written job is for (deploy, security scan, data validation, model gate...).

Generated pipelines say it outright (``name: "security: sast"``, a GitLab stage named
after the kind); hand-written ones are read from job names, stages and the commands
they run. Rules about gate integrity depend on this, so the patterns are conservative
and documented in docs/policy.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mlopsgen.pipeline.model import JobKind

__all__ = [
    "DATA_TOOLS",
    "GATE_WORDS",
    "SECURITY_TOOLS",
    "classify",
    "generated_kind",
]

_KINDS = {k.value: k for k in JobKind}

#: Scanners and the generated Makefile targets that run them.
SECURITY_TOOLS = re.compile(
    r"(?<![\w./-])(bandit|semgrep|codeql|pip-audit|safety (?:check|scan)|gitleaks|trufflehog|"
    r"detect-secrets|trivy|grype|snyk|modelscan|picklescan|zizmor|checkov|osv-scanner|"
    r"dependency-check|govulncheck|npm audit|cargo audit|cargo deny|make (?:sast|audit-deps|"
    r"secrets-scan|model-scan))(?![\w-])",
    re.IGNORECASE,
)
#: Data validation tools and targets.
DATA_TOOLS = re.compile(
    r"(great[_ -]expectations|\bgx checkpoint|pandera|deepchecks|\bsoda scan|"
    r"data[-_ ]?validat\w*|validate[-_ ]?data\b|data[-_]contract|data[-_]check)",
    re.IGNORECASE,
)
#: Model gates: a job that fails when metrics miss their bounds.
GATE_WORDS = re.compile(
    r"(model[-_ ]?gate|check[-_ ]?metrics|model[-_ ]?validat\w*|validate[-_ ]?model|"
    r"champion|challenger)",
    re.IGNORECASE,
)

_DEPLOY = re.compile(r"(deploy|release|publish|rollout|promote)", re.IGNORECASE)
_SECURITY = re.compile(
    r"(security|\bsast\b|secret[-_ ]?(scan|detection)|codeql|vulnerab|dependency[-_ ]?(scan|audit|"
    r"review|check)|audit[-_ ]?dep|container[-_ ]?scan|model[-_ ]?scan)",
    re.IGNORECASE,
)
_TRAIN = re.compile(r"(\btrain|retrain|fine[-_ ]?tune)", re.IGNORECASE)
_TEST = re.compile(r"(test|lint|check|pytest|unit|style|format)", re.IGNORECASE)
_BUILD = re.compile(r"(build|package|compile|wheel|docker|image|sbom)", re.IGNORECASE)


def generated_kind(label: str) -> JobKind | None:
    """The kind in a generated display name ``"<kind>: <id>"``, if the label is one."""
    prefix, sep, rest = label.partition(": ")
    if sep and rest and prefix in _KINDS:
        return _KINDS[prefix]
    return None


_TOOL_HINTS = (
    "bandit",
    "semgrep",
    "codeql",
    "audit",
    "safety",
    "gitleaks",
    "trufflehog",
    "secrets",
    "trivy",
    "grype",
    "snyk",
    "modelscan",
    "picklescan",
    "zizmor",
    "checkov",
    "osv-scanner",
    "dependency-check",
    "govulncheck",
    "cargo deny",
    "make sast",
    "model-scan",
)
_DATA_HINTS = ("expectations", "gx ", "pandera", "deepchecks", "soda", "valid", "contract", "data")


def _strong(text: str, *, deployment: bool = False) -> JobKind | None:
    if deployment or _DEPLOY.search(text):
        return JobKind.DEPLOY
    if _SECURITY.search(text):
        return JobKind.SECURITY
    if DATA_TOOLS.search(text):
        return JobKind.DATA
    if GATE_WORDS.search(text):
        return JobKind.GATE
    if _TRAIN.search(text):
        return JobKind.TRAIN
    return None


def classify(
    labels: Iterable[str],
    commands: Iterable[str],
    *,
    deployment: bool = False,
    stage: str | None = None,
) -> JobKind:
    """The kind of a hand-written job from its labels (id, name), commands and stage.

    A generated name (``"security: sast"``) says it outright. Otherwise an environment
    makes a deploy; then words in the labels decide; then the tools the commands run (a
    job called ``lint`` that runs bandit is a security job: soft-failing it soft-fails
    the scan); then the stage (GitLab stages, Azure stage names).
    """
    labels = list(labels)
    for label in labels:
        kind = generated_kind(label)
        if kind is not None:
            return kind
    text = " ".join(labels)
    strong = _strong(text, deployment=deployment)
    if strong is not None:
        return strong
    # Comments say what a script once did or might do; only commands count.
    script = "\n".join(
        line
        for command in commands
        for line in command.splitlines()
        if not line.lstrip().startswith("#")
    ).lower()
    if any(h in script for h in _TOOL_HINTS) and SECURITY_TOOLS.search(script):
        return JobKind.SECURITY
    if any(h in script for h in _DATA_HINTS) and DATA_TOOLS.search(script):
        return JobKind.DATA
    if stage:
        if stage in _KINDS:
            return _KINDS[stage]
        strong = _strong(stage)
        if strong is not None:
            return strong
        text = f"{text} {stage}"
    if _TEST.search(text):
        return JobKind.TEST
    if _BUILD.search(text):
        return JobKind.PACKAGE
    return JobKind.OTHER
