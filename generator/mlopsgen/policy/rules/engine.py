"""Findings the engine emits itself: unreadable files, an invalid spec, waivers, locks.

They are declared as rules so that they are documented, listed by ``mlopsgen rules``,
and their severities can be set by packs like any other.
"""

from __future__ import annotations

from mlopsgen.diagnostics import Severity
from mlopsgen.policy.base import EngineRule

__all__ = [
    "IncludeNotFollowed",
    "InvalidSpec",
    "LockedRuleWeakened",
    "NotAPipeline",
    "NotYaml",
    "UnreadablePipeline",
    "WaiverProblem",
]


class NotYaml(EngineRule):
    """A file is not valid YAML (or not readable text).

    The audit reports the parser's first error with its position and audits nothing
    else in that file; CI platforms reject such a file too.

    Anti-pattern::

        jobs:
          test:
           runs-on: ubuntu-24.04
            steps: []

    Best practice::

        jobs:
          test:
            runs-on: ubuntu-24.04
            steps: []
    """

    id = "PARSE-001"
    severity = Severity.HIGH


class NotAPipeline(EngineRule):
    """A file is not a pipeline of any supported platform.

    Reported for files given on the command line or found in a folder that is not a
    repository, when neither their path nor their content says GitHub Actions, GitLab CI
    or Azure Pipelines (an empty file, a docker-compose file). ``--platform`` forces one.

    Anti-pattern::

        services:
          db: {image: postgres:16}

    Best practice::

        mlopsgen audit --platform gitlab ci/jobs.yml
    """

    id = "PARSE-002"
    severity = Severity.INFO


class UnreadablePipeline(EngineRule):
    """A pipeline file has a shape the platform does not accept.

    The top level is not a mapping, or ``jobs:``/``stages:`` hold the wrong type: the
    audit cannot tell what runs, so it says so instead of passing the file. Also
    reported, while the rest of the file is audited: several YAML documents where the
    platform reads one (GitHub and Azure read one; GitLab a ``spec:`` header and one
    pipeline), each document then audited on its own, and a mapping key that is a
    sequence or a mapping (``? [a, b]``), whose entry is not audited.

    Anti-pattern::

        - jobs: [test]

    Best practice::

        jobs:
          test: {runs-on: ubuntu-24.04, steps: [{run: make test}]}
    """

    id = "PARSE-003"
    severity = Severity.MEDIUM


class IncludeNotFollowed(EngineRule):
    """An include or template is not followed, so part of the pipeline is not audited.

    The audit reads a pipeline split across files as one: GitLab ``include:`` of local
    files (and ``extends:`` of jobs they define), Azure ``template:`` references to files
    of the same repository, up to 20 levels deep. A local file that is missing, unreadable
    or includes itself is reported at low severity: the jobs it should bring are not
    audited. Includes of other projects, URLs, GitLab templates and components, templates
    of other repositories and paths written with variables are reported as info: the
    audit reads no network and no other repository (audit those files where they live).

    Anti-pattern::

        include:
          - local: ci/deploy.yml    # no such file

    Best practice::

        include:
          - local: .gitlab/ci/deploy.yml
    """

    id = "PARSE-004"
    severity = Severity.LOW


class InvalidSpec(EngineRule):
    """The spec is not valid.

    Each schema or semantic problem of ``mlops.yaml`` is one finding, with its position,
    JSON path and hint. The other spec rules need a valid spec and are skipped.

    Anti-pattern::

        version: 1
        project: {name: Spam Filter}
        secrets: {provider: keepass}

    Best practice::

        version: 1
        project: {name: Spam Filter}
        secrets: {provider: vault, vault: {url: "https://vault.example.com", role: ml-ci}}
    """

    id = "SPEC-001"
    severity = Severity.HIGH


class WaiverProblem(EngineRule):
    """A waiver is malformed, expired or unused.

    Waivers (in the spec's ``policies.waivers`` or as ``# mlopsgen: waive ...`` comments)
    need a rule id, a reason, an owner and an expiry. An expired waiver stops suppressing
    (the finding comes back, saying which waiver expired); one that matched nothing is
    stale and should go.

    Anti-pattern::

        # mlopsgen: waive GATE-004

    Best practice::

        # mlopsgen: waive GATE-004 expires=2026-06-30 owner=ml-platform reason="JIRA-42"
    """

    id = "GOV-001"
    severity = Severity.LOW
    references = ("catalogue GOV-001", "zizmor#564 (unused ignores)")


class LockedRuleWeakened(EngineRule):
    """Something tries to switch off or weaken a locked rule.

    A pack can lock rules (``locked: true``): later packs, ``--ignore``, severity
    overrides and waivers cannot disable or soften them. Each attempt is refused and
    reported.

    Anti-pattern::

        policies:
          waivers:
            - {rule: GATE-004, reason: "too noisy", owner: me, expires: 2026-12-31}

    Best practice::

        Fix the pipeline; ask the owners of the locking pack for an exception.
    """

    id = "GOV-002"
    severity = Severity.HIGH
    references = ("catalogue GOV-002", "ossf/allstar disableRepoOverride")
