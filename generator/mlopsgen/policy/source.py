"""One pipeline file to its audit view: decode, read YAML tolerantly, detect, read."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

import yaml

from mlopsgen import yamlio
from mlopsgen.policy.includes import LocalFiles, follow, pipeline_index
from mlopsgen.policy.readers import READERS
from mlopsgen.policy.view import PipelineView
from mlopsgen.spec.model import Platform

__all__ = ["ParseProblem", "detect_by_content", "detect_by_path", "read_pipeline"]

#: Larger files are not pipelines (the biggest file of the corpus is about 100 kB).
MAX_BYTES = 2 * 1024 * 1024

_AZURE_KEYS = frozenset({"trigger", "pr", "pool", "extends", "resources", "schedules"})
_GITLAB_KEYS = frozenset({"include", "workflow", "default", "before_script", "after_script"})
_GITLAB_JOB_KEYS = frozenset(
    {"script", "extends", "stage", "trigger", "needs", "rules", "only", "when", "image"}
)


@dataclass(frozen=True)
class ParseProblem:
    """Why a file cannot be audited: the engine rule, a message and where."""

    rule: str
    message: str
    line: int | None = None
    column: int | None = None
    hint: str | None = None


def detect_by_path(path: str) -> Platform | None:
    """The platform a file belongs to by its (``/``-separated) path alone."""
    name = posixpath.basename(path)
    if "/.github/workflows/" in f"/{path}" or name in {"action.yml", "action.yaml"}:
        return Platform.GITHUB
    if name.endswith((".gitlab-ci.yml", ".gitlab-ci.yaml")) or "/.gitlab/" in f"/{path}":
        return Platform.GITLAB
    if name.startswith("azure-pipelines") or any(
        f"/{d}/" in f"/{path}" for d in (".azure-pipelines", ".pipelines", ".azuredevops")
    ):
        return Platform.AZURE
    return None


def detect_by_content(data: Any) -> Platform | None:
    """The platform a loaded document looks like, or None when it looks like none."""
    if not isinstance(data, dict):
        return None
    jobs = data.get("jobs")
    runs = data.get("runs")
    if jobs is None and isinstance(runs, dict) and "using" in runs:
        return Platform.GITHUB  # an action's action.yml
    if isinstance(jobs, dict) and (
        "on" in data
        or any(
            isinstance(j, dict) and ("runs-on" in j or "uses" in j or "steps" in j)
            for j in jobs.values()
        )
    ):
        return Platform.GITHUB
    stages = data.get("stages")
    if (
        isinstance(jobs, list)
        or isinstance(data.get("steps"), list)
        or (isinstance(stages, list) and any(isinstance(s, dict) for s in stages))
        or _AZURE_KEYS & data.keys()
        or isinstance(data.get("variables"), list)
        or isinstance(data.get("parameters"), list)
    ):
        return Platform.AZURE
    if (
        _GITLAB_KEYS & data.keys()
        or (isinstance(stages, list) and all(isinstance(s, str) for s in stages))
        or "spec" in data
        or any(
            isinstance(v, dict) and _GITLAB_JOB_KEYS & v.keys()
            for k, v in data.items()
            if isinstance(k, str)
        )
    ):
        return Platform.GITLAB
    return None


def _shape_problem(platform: Platform, data: dict[str, Any]) -> str | None:
    if platform is Platform.GITHUB and "jobs" in data and not isinstance(data["jobs"], dict):
        return "`jobs:` must be a mapping of job ids to jobs"
    if platform is Platform.AZURE:
        for key in ("stages", "jobs", "steps"):
            if key in data and not isinstance(data[key], list | type(None)):
                return f"`{key}:` must be a list"
    return None


def read_pipeline(
    text: str,
    *,
    file: str,
    path: str,
    platform: Platform | None = None,
    files: LocalFiles | None = None,
) -> PipelineView | ParseProblem:
    """Read one pipeline file; a problem value (never an exception) when it cannot be audited.

    Args:
        text: The file's text.
        file: The name findings use.
        path: The path used for platform detection (repository-relative when known).
        platform: Force a platform instead of detecting it.
        files: Where local includes and templates are read from; None to not follow them.
    """
    try:
        loaded = yamlio.load_lenient(text, filename=file)
    except yamlio.YamlLoadError as exc:
        diag = exc.diagnostics[0]
        return ParseProblem(
            "PARSE-001",
            diag.message,
            diag.location.line,
            diag.location.column,
            diag.hint,
        )
    docs, nodes = loaded.documents, loaded.nodes
    index = pipeline_index(docs)
    template = index == 1  # GitLab `spec: inputs` header, then the pipeline
    if not docs:
        return ParseProblem("PARSE-002", "the file is empty: not a pipeline")
    data: Any = docs[index]
    node: yaml.Node = nodes[index]
    chosen = platform or detect_by_path(path) or detect_by_content(data)
    if chosen is None:
        return ParseProblem(
            "PARSE-002",
            "not a GitHub, GitLab or Azure pipeline (by path or content)",
            1,
            1,
            "pass --platform to audit it as one",
        )
    if not isinstance(data, dict):
        return ParseProblem(
            "PARSE-003",
            f"a {chosen} pipeline is a mapping at the top level, not "
            f"{type(data).__name__ if data is not None else 'empty'}",
            node.start_mark.line + 1,
            node.start_mark.column + 1,
        )
    shape = _shape_problem(chosen, data)
    if shape:
        return ParseProblem("PARSE-003", shape, node.start_mark.line + 1, 1)
    followed = follow(chosen, data, text=text, files=files) if files is not None else None
    if followed is None:
        view = READERS[chosen](
            data, file=file, text=text, node=node, duplicates=tuple(loaded.duplicates)
        )
    else:
        # The readers' text heuristics (GitLab triggers) see every file; positions and
        # the text rules see this one (``view.sources`` holds the others).
        everything = "\n".join([text, *(s.text for s in followed.sources)])
        view = READERS[chosen](
            followed.data,
            file=file,
            text=everything,
            node=node,
            duplicates=tuple(loaded.duplicates),
        )
        view.text = text
        view.sources = tuple(followed.sources)
        view.origins = followed.origins
        view.include_problems = tuple(followed.problems)
        view.included = tuple(followed.paths)
    if template:
        view.template = True
    return view
