"""The scans a shipping ML pipeline runs: SAST, dependency audit, secret scan, model scan."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from mlopsgen.diagnostics import Severity
from mlopsgen.policy.base import Finding, Option, OptionType, PipelineRule
from mlopsgen.policy.rules._common import deploys, is_library, is_ml, scripts
from mlopsgen.policy.shell import logical_lines
from mlopsgen.policy.view import JobView, PipelineView

__all__ = ["DependencyAudit", "ModelScan", "SastPresent", "SecretScanPresent"]


def _corpus(view: PipelineView) -> str:
    """Everything that says what the pipeline runs: scripts, actions, tasks, includes."""
    parts = [s.run or s.uses or "" for j in view.jobs for s in j.steps]
    parts += [j.uses or "" for j in view.jobs]
    parts += [j.id for j in view.jobs]
    parts += [i.target for i in view.includes]
    return "\n".join(parts)


def _first_deploy(view: PipelineView) -> JobView | None:
    """The first deploy of a whole pipeline (a library of templates is none)."""
    return None if is_library(view) else next(deploys(view), None)


class _Presence(PipelineRule):
    """Base of the "a shipping pipeline runs X" rules."""

    what: str
    hint: str
    ml_only = False

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield one finding when a deploying pipeline runs none of the patterns."""
        deploy = _first_deploy(view)
        if deploy is None or (self.ml_only and not is_ml(view)):
            return
        pattern = re.compile("|".join(str(p) for p in options["patterns"]), re.IGNORECASE)
        if not pattern.search(_corpus(view)):
            yield Finding(
                f"the pipeline deploys ({deploy.id!r}) but runs no {self.what}",
                deploy.path,
                hint=self.hint,
            )


class SastPresent(_Presence):
    """A pipeline that deploys runs no static analysis (SAST).

    Code that ships is scanned first: bandit for Python (including B614 ``torch.load``
    and B615 unpinned Hugging Face downloads), semgrep or CodeQL. Recognised by the
    tools' names in scripts, actions, tasks and includes (GitLab's SAST template).

    Anti-pattern::

        jobs: {test: ..., deploy: {needs: [test], environment: production}}

    Best practice::

        jobs:
          sast: {steps: [{run: bandit -r src -ll}]}
          deploy: {needs: [test, sast], environment: production}

    Options:
        patterns: regular expressions that count as SAST.
    """

    id = "SCAN-001"
    severity = Severity.MEDIUM
    what = "static analysis (SAST)"
    hint = "add a bandit, semgrep or CodeQL job and make the deploy need it"
    options = (
        Option(
            "patterns",
            OptionType.STRINGS,
            [
                r"\bbandit\b",
                r"\bsemgrep\b",
                "codeql",
                r"\bsast\b",
                "sonar",
                r"\bgosec\b",
                "snyk code",
                r"\bSAST\.gitlab-ci",
            ],
            "what counts as SAST (regexes)",
        ),
    )
    references = ("scorecard SAST", "AzSK ADO_Build_Config_Add_Static_Code_Analyzer")


class DependencyAudit(PipelineRule):
    """Dependencies are not audited, or pip-audit is not strict.

    A pipeline that ships must audit its dependencies against known vulnerabilities;
    ``pip-audit`` without ``--strict`` skips packages it cannot audit and passes.

    Anti-pattern::

        - run: pip-audit -r requirements.txt

    Best practice::

        - run: pip-audit --strict -r requirements.lock

    Options:
        patterns: regular expressions that count as a dependency audit.
    """

    id = "SCAN-003"
    severity = Severity.MEDIUM
    options = (
        Option(
            "patterns",
            OptionType.STRINGS,
            [
                r"pip-audit",
                r"\bsafety\s+(?:check|scan)",
                "osv-scanner",
                "dependency-check",
                r"snyk\s+test",
                r"npm\s+audit",
                r"cargo\s+(?:audit|deny)",
                "govulncheck",
                r"\btrivy\s+(?:fs|repo)",
                r"\bgrype\b",
                "audit-deps",
                "Dependency-Scanning",
                "dependency-review-action",
            ],
            "what counts as a dependency audit (regexes)",
        ),
    )
    references = ("catalogue SCAN-003", "scorecard Vulnerabilities")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield findings for a missing audit and for each non-strict pip-audit."""
        for job, step, script in scripts(view):
            if "pip-audit" not in script:
                continue
            for line in logical_lines(script):
                if re.search(r"\bpip-audit\b", line) and not re.search(r"--strict\b|\s-S\b", line):
                    yield Finding(
                        f"job {job.id!r} runs pip-audit without --strict: unauditable "
                        "packages pass silently",
                        step.run_path or step.path,
                        snippet="pip-audit",
                        hint="add --strict",
                    )
        deploy = _first_deploy(view)
        pattern = re.compile("|".join(str(p) for p in options["patterns"]), re.IGNORECASE)
        if deploy is not None and not pattern.search(_corpus(view)):
            yield Finding(
                f"the pipeline deploys ({deploy.id!r}) but audits no dependencies",
                deploy.path,
                hint="add pip-audit --strict (or your ecosystem's audit) and need it",
            )


class SecretScanPresent(_Presence):
    """A pipeline that deploys runs no secret scan.

    A leaked credential in the repository is found by the attacker if not by you: run
    gitleaks, detect-secrets or trufflehog in CI (and as a pre-commit hook).

    Anti-pattern::

        stages: [test, deploy]

    Best practice::

        secrets-scan:
          stage: test
          script: [gitleaks detect --no-banner --redact]

    Options:
        patterns: regular expressions that count as a secret scan.
    """

    id = "SEC-010"
    severity = Severity.MEDIUM
    what = "secret scan"
    hint = "add gitleaks, detect-secrets or trufflehog and make the deploy need it"
    options = (
        Option(
            "patterns",
            OptionType.STRINGS,
            [
                "gitleaks",
                "trufflehog",
                "detect-secrets",
                "secrets-scan",
                "Secret-Detection",
                "ggshield",
                "CredScan",
                r"secret[-_ ]?scan",
            ],
            "what counts as a secret scan (regexes)",
        ),
    )
    references = ("catalogue SEC-010",)


class ModelScan(_Presence):
    """A pipeline that ships a model does not scan model files.

    Pickled models (``.pkl``, ``.pt``, ``.joblib``...) execute code when loaded; a
    model-file scanner (modelscan, picklescan, fickling) checks them for unsafe
    operators before they are packaged or deployed. Applies to pipelines with a
    training, data or model-gate job. No CI linter has this rule.

    Anti-pattern::

        package: {stage: package, script: [make package]}

    Best practice::

        package: {stage: package, script: [make package, modelscan -p models/]}

    Options:
        patterns: regular expressions that count as a model scan.
    """

    id = "SCAN-004"
    severity = Severity.HIGH
    what = "model-file scan"
    hint = "add modelscan (or picklescan) on the model files before packaging"
    ml_only = True
    options = (
        Option(
            "patterns",
            OptionType.STRINGS,
            ["modelscan", "picklescan", "model-scan", "fickling"],
            "what counts as a model scan (regexes)",
        ),
    )
    references = ("catalogue SCAN-004",)
