"""One pipeline file to its audit view: decode, read YAML tolerantly, detect, read."""

from __future__ import annotations

import posixpath
from dataclasses import replace
from typing import Any

import yaml

from mlopsgen import yamlio
from mlopsgen.policy.includes import LocalFiles, follow, pipeline_index
from mlopsgen.policy.readers import READERS
from mlopsgen.policy.view import ParseProblem, PipelineView
from mlopsgen.spec.model import Platform

__all__ = ["ParseProblem", "detect_by_content", "detect_by_path", "read_pipeline"]

#: Larger files are not pipelines (the biggest file of the corpus is about 100 kB).
MAX_BYTES = 2 * 1024 * 1024

_AZURE_KEYS = frozenset({"trigger", "pr", "pool", "extends", "resources", "schedules"})
_GITLAB_KEYS = frozenset({"include", "workflow", "default", "before_script", "after_script"})
_GITLAB_JOB_KEYS = frozenset(
    {"script", "extends", "stage", "trigger", "needs", "rules", "only", "when", "image"}
)
#: What each platform makes of a file of several YAML documents.
_ONE_DOCUMENT = {
    Platform.GITHUB: "GitHub reads one YAML document per workflow file and rejects more",
    Platform.GITLAB: "GitLab reads a `spec:` header and one pipeline document, no more",
    Platform.AZURE: "Azure Pipelines reads one YAML document per file and rejects more",
}


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


def _empty(node: yaml.Node) -> bool:
    """A document with nothing in it (a stray ``---``)."""
    return isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null") and not node.value


def _at(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _layout_problems(platform: Platform, nodes: list[yaml.Node], header: int) -> list[ParseProblem]:
    """Several documents where the platform reads one (GitLab: a ``spec:`` header and one)."""
    present = [i for i, node in enumerate(nodes) if not _empty(node)]
    allowed = 2 if header else 1
    if len(present) <= allowed:
        return []
    extra = nodes[present[allowed]]
    message = (
        f"{_ONE_DOCUMENT[platform]}; this file has {len(present)} documents (each is audited here)"
    )
    return [ParseProblem("PARSE-003", message, *_at(extra), "split the documents into files")]


def _complex_key_problems(marks: list[yamlio.Mark]) -> list[ParseProblem]:
    return [
        ParseProblem(
            "PARSE-003",
            "a mapping key is a sequence or a mapping (`? [a, b]`): pipelines take string "
            "keys only; this entry is not audited",
            mark.line,
            mark.column,
            "write the key as a plain string",
        )
        for mark in marks
    ]


def _document_problem(platform: Platform, data: Any, node: yaml.Node) -> ParseProblem | None:
    if not isinstance(data, dict):
        return ParseProblem(
            "PARSE-003",
            f"a {platform} pipeline is a mapping at the top level, not "
            f"{type(data).__name__ if data is not None else 'empty'}",
            *_at(node),
        )
    shape = _shape_problem(platform, data)
    return ParseProblem("PARSE-003", shape, node.start_mark.line + 1, 1) if shape else None


class _Regions:
    """The text of each audited document: its lines only, the others blank.

    Document ``k`` runs from the end of document ``k - 1`` (the start of the file for the
    first) to its own end (the end of the file for the last), so every line, comments and
    skipped documents included, belongs to exactly one of them, at its own line and column.
    """

    def __init__(self, text: str, nodes: list[yaml.Node]):
        self.text = text
        self.ends = [(n.end_mark.line, n.end_mark.column) for n in nodes[:-1]]
        self.starts = [0]
        index = text.find("\n")
        while index >= 0:
            self.starts.append(index + 1)
            index = text.find("\n", index + 1)

    def offset(self, line: int, column: int) -> int:
        return (
            min(self.starts[line] + column, len(self.text))
            if line < len(self.starts)
            else len(self.text)
        )

    def piece(self, k: int) -> tuple[str, int, int]:
        """Document ``k``'s text, and its first and last line (1-based)."""
        begin = self.ends[k - 1] if k else (0, 0)
        end = self.offset(*self.ends[k]) if k < len(self.ends) else len(self.text)
        body = self.text[self.offset(*begin) : end]
        return (
            "\n" * begin[0] + " " * begin[1] + body,
            begin[0] + 1,
            begin[0] + 1 + body.count("\n"),
        )


def _read_document(
    platform: Platform,
    data: dict[str, Any],
    node: yaml.Node,
    *,
    text: str,
    file: str,
    files: LocalFiles | None,
    duplicates: tuple[yamlio.Duplicate, ...],
) -> PipelineView:
    followed = follow(platform, data, text=text, files=files) if files is not None else None
    if followed is None:
        return READERS[platform](data, file=file, text=text, node=node, duplicates=duplicates)
    # The readers' text heuristics (GitLab triggers) see every file; positions and
    # the text rules see this one (``view.sources`` holds the others).
    everything = "\n".join([text, *(s.text for s in followed.sources)])
    view = READERS[platform](
        followed.data, file=file, text=everything, node=node, duplicates=duplicates
    )
    view.text = text
    view.sources = tuple(followed.sources)
    view.origins = followed.origins
    view.include_problems = tuple(followed.problems)
    view.included = tuple(followed.paths)
    return view


def read_pipeline(
    text: str,
    *,
    file: str,
    path: str,
    platform: Platform | None = None,
    files: LocalFiles | None = None,
) -> PipelineView | ParseProblem:
    """Read one pipeline file; a problem value (never an exception) when it cannot be audited.

    Every document of the file is audited or named in a problem: after a GitLab
    ``spec:`` header, each document is read as a pipeline of its own (the first is the
    view returned, the others are in its ``documents``); a document that is no mapping,
    several documents where the platform reads one, and mapping keys that are not
    scalars are ``problems`` of the view (or of the problem returned, when no document
    can be audited).

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
    if not docs:
        return ParseProblem("PARSE-002", "the file is empty: not a pipeline")
    header = pipeline_index(docs)  # 1 after a GitLab `spec: inputs` header
    audited = [i for i in range(header, len(docs)) if not _empty(nodes[i])] or [header]
    chosen = platform or detect_by_path(path)
    for i in audited:
        chosen = chosen or detect_by_content(docs[i])
    if chosen is None:
        return ParseProblem(
            "PARSE-002",
            "not a GitHub, GitLab or Azure pipeline (by path or content)",
            1,
            1,
            "pass --platform to audit it as one",
        )
    if header and chosen is not Platform.GITLAB:
        header, audited = 0, [i for i in range(len(docs)) if not _empty(nodes[i])]
    problems = _layout_problems(chosen, nodes, header)
    problems += _complex_key_problems(loaded.complex_keys)
    regions = _Regions(text, [nodes[i] for i in audited]) if len(audited) > 1 else None
    views: list[PipelineView] = []
    unread: list[ParseProblem] = []
    for k, i in enumerate(audited):
        problem = _document_problem(chosen, docs[i], nodes[i])
        if problem is not None:
            unread.append(problem)
            continue
        piece, duplicates = text, tuple(loaded.duplicates)
        if regions is not None:
            piece, first, last = regions.piece(k)
            duplicates = tuple(d for d in duplicates if first <= d.second.line <= last)
        view = _read_document(
            chosen, docs[i], nodes[i], text=piece, file=file, files=files, duplicates=duplicates
        )
        if header:
            view.template = True
        views.append(view)
    problems.sort(key=lambda p: (p.line or 0, p.column or 0))
    if not views:
        return replace(unread[0], more=(*unread[1:], *problems))
    main = views[0]
    if len(views) > 1:
        main.documents = tuple(views[1:])
        main.included = tuple(dict.fromkeys(p for v in views for p in v.included))
    main.problems = (*unread, *problems)
    return main
