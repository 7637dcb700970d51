"""Local includes and templates: a pipeline split across files, read as one document.

GitLab ``include:`` of local files (``include: ci/build.yml``, ``include: {local: ...}``,
globs) is merged the way GitLab merges it: included files in order, then the including
file, mappings merged key by key, the later value winning. Azure ``- template: x.yml``
items of ``stages``, ``jobs``, ``steps`` and ``variables`` are replaced by the template's
items, and ``extends: {template: x.yml}`` brings in the template's stages, jobs or steps.
Includes of other projects, URLs, GitLab templates and components, templates of other
repositories and paths written with variables are not followed: each is a ``PARSE-004``
problem, as is a local file that is missing, unreadable or part of a cycle, and nesting
deeper than :data:`MAX_DEPTH`.

The merged data keeps a map from its paths to the file and path each part came from
(:class:`Origin`), so that a finding in an included file names that file and line.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from mlopsgen import yamlio
from mlopsgen.diagnostics import Severity
from mlopsgen.policy.readers._util import as_list, as_map, as_str
from mlopsgen.policy.view import IncludeProblem, Source
from mlopsgen.spec.model import Platform
from mlopsgen.yamlio import JsonPath

__all__ = [
    "MAX_DEPTH",
    "MAX_FILES",
    "Followed",
    "IncludeProblem",
    "LocalFiles",
    "Origin",
    "follow",
    "longest_prefix",
    "lookup",
    "pipeline_index",
]

#: Nesting limit of includes and templates (Azure allows 20 levels; GitLab 100).
MAX_DEPTH = 20
#: Files one pipeline may pull in (GitLab's limit is 150 includes).
MAX_FILES = 150

#: Where a part of the merged data was written: a source (0 is the including file, then
#: ``Followed.sources`` from 1) and the path in that source's document.
Origin = tuple[int, JsonPath]
_AZURE_LISTS = frozenset({"stages", "jobs", "steps", "variables"})
_V = TypeVar("_V")


@dataclass
class Followed:
    """The merged document, the files it came from, and the includes not followed."""

    data: dict[str, Any]
    #: The included files, in the order they were read (source 1, 2, ...).
    sources: list[Source] = field(default_factory=list)
    #: Path prefixes of ``data`` that come from elsewhere than the same path of source 0.
    origins: dict[JsonPath, Origin] = field(default_factory=dict)
    problems: list[IncludeProblem] = field(default_factory=list)
    #: Every file read, resolved (a repository audit reports them with their includer).
    paths: list[Path] = field(default_factory=list)


class LocalFiles:
    """Reads the files includes name: repository-relative, or relative to the includer.

    ``root`` is the repository root (GitLab paths and Azure ``/`` paths start there;
    without one, the folder of the pipeline file); ``display`` turns a path into the name
    findings use.
    """

    def __init__(self, main: Path, *, root: Path | None, display: Callable[[Path], str]):
        self._main = main
        self._root = root or main.parent
        self.display = display

    @functools.cached_property
    def main(self) -> Path:
        """The pipeline file, resolved (only when it includes something)."""
        return self._main.resolve()

    @functools.cached_property
    def root(self) -> Path:
        """Where repository-relative paths start, resolved."""
        return self._root.resolve()

    def gitlab(self, ref: str) -> list[Path]:
        """The files a GitLab local include names (globs expanded, sorted)."""
        rel = ref.lstrip("/")
        if any(c in rel for c in "*?["):
            return sorted(p for p in self.root.glob(rel) if p.is_file())
        path = self.root / rel
        return [path] if path.is_file() else []

    def azure(self, ref: str, including: Path) -> list[Path]:
        """The file an Azure template path names, from the including file's folder."""
        base = self.root if ref.startswith("/") else including.parent
        path = base / ref.lstrip("/")
        return [path] if path.is_file() else []


def pipeline_index(docs: list[Any]) -> int:
    """Which document of a file holds the pipeline: 1 after a GitLab ``spec:`` header."""
    return 1 if len(docs) >= 2 and isinstance(docs[0], dict) and set(docs[0]) == {"spec"} else 0


def longest_prefix(mapping: Mapping[JsonPath, _V], path: JsonPath) -> tuple[_V, JsonPath] | None:
    """The value of ``path``'s longest prefix in ``mapping``, and the rest of ``path``."""
    for n in range(len(path), -1, -1):
        value = mapping.get(path[:n])
        if value is not None:
            return value, path[n:]
    return None


def lookup(origins: Mapping[JsonPath, Origin], path: JsonPath) -> Origin:
    """The source and path of ``path``: its longest prefix with an origin, and the rest."""
    found = longest_prefix(origins, path)
    if found is None:
        return 0, path
    (source, at), rest = found
    return source, (*at, *rest)


class _Follower:
    def __init__(self, files: LocalFiles):
        self.files = files
        self.out = Followed({})
        self.file_of: dict[int, Path] = {0: files.main}
        self.index: dict[Path, int] = {files.main: 0}
        self.docs: dict[int, Any] = {}

    def problem(
        self,
        message: str,
        where: Origin,
        severity: Severity = Severity.LOW,
        hint: str | None = None,
    ) -> None:
        self.out.problems.append(IncludeProblem(message, where, severity, hint))

    def load(self, path: Path, where: Origin, chain: tuple[Path, ...]) -> tuple[int, Any] | None:
        """Read an included file; its source index and pipeline document, or None."""
        resolved = path.resolve()
        shown = self.files.display(path)
        if resolved in chain:
            self.problem(
                f"{shown} includes itself (through {len(chain)} file(s)): not followed", where
            )
            return None
        if len(chain) > MAX_DEPTH:
            self.problem(f"includes nest deeper than {MAX_DEPTH} levels at {shown}", where)
            return None
        if resolved not in self.index and len(self.out.sources) >= MAX_FILES:
            self.problem(f"more than {MAX_FILES} files included: {shown} not followed", where)
            return None
        if resolved in self.index:
            source = self.index[resolved]
            return source, self.docs.get(source)
        try:
            text = resolved.read_bytes().decode("utf-8-sig")
            loaded = yamlio.load_lenient(text, filename=shown)
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(f"{shown} cannot be read ({exc}): not followed", where)
            return None
        except yamlio.YamlLoadError as exc:
            self.problem(f"{shown} is not valid YAML ({exc.diagnostics[0].message})", where)
            return None
        docs, nodes = loaded.documents, loaded.nodes
        index = pipeline_index(docs)
        source = len(self.out.sources) + 1
        self.out.sources.append(
            Source(shown, text, nodes[index] if nodes else None, tuple(loaded.duplicates))
        )
        self.out.paths.append(resolved)
        self.index[resolved] = source
        self.file_of[source] = resolved
        self.docs[source] = docs[index] if docs else None
        return source, self.docs[source]


# --- GitLab --------------------------------------------------------------------------------


def _copy(origins: dict[JsonPath, Origin], prefix: JsonPath, out: dict[JsonPath, Origin]) -> None:
    out[prefix] = lookup(origins, prefix)
    for path, origin in origins.items():
        if len(path) > len(prefix) and path[: len(prefix)] == prefix:
            out[path] = origin


def _merge(
    base: dict[str, Any],
    base_origins: dict[JsonPath, Origin],
    over: dict[str, Any],
    over_origins: dict[JsonPath, Origin],
    prefix: JsonPath,
    out: dict[JsonPath, Origin],
) -> dict[str, Any]:
    """GitLab's deep merge (``over`` wins), recording where each key came from."""
    merged = dict(base)
    for key in base:
        if key not in over:
            _copy(base_origins, (*prefix, key), out)
    for key, value in over.items():
        path = (*prefix, key)
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            out[path] = lookup(over_origins, path)
            merged[key] = _merge(base[key], base_origins, value, over_origins, path, out)
        else:
            merged[key] = value
            _copy(over_origins, path, out)
    return merged


def _gitlab_items(data: dict[str, Any]) -> list[tuple[Any, JsonPath]]:
    raw = data.get("include")
    return [
        (item, ("include", i) if isinstance(raw, list) else ("include",))
        for i, item in enumerate(as_list(raw))
    ]


def _gitlab(
    follower: _Follower,
    data: dict[str, Any],
    source: int,
    chain: tuple[Path, ...],
) -> tuple[dict[str, Any], dict[JsonPath, Origin], list[tuple[Any, Origin]]]:
    """One file merged with what it includes; its origins and every include entry."""
    merged: dict[str, Any] = {}
    origins: dict[JsonPath, Origin] = {}
    entries: list[tuple[Any, Origin]] = []
    for item, item_path in _gitlab_items(data):
        where = (source, item_path)
        entries.append((item, where))
        if isinstance(item, str):
            kind, target = ("remote" if item.startswith(("http://", "https://")) else "local"), item
        else:
            item_map = as_map(item)
            kind = next(
                (
                    k
                    for k in ("local", "project", "remote", "template", "component")
                    if k in item_map
                ),
                "",
            )
            target = as_str(item_map.get(kind)) or ""
        if kind != "local":
            what = f"{kind} include {target!r}" if kind else "this include"
            follower.problem(
                f"{what} is not followed: the audit reads local files only",
                where,
                Severity.INFO,
                "audit that project's files too, or vendor the file",
            )
            continue
        if "$" in target:
            follower.problem(
                f"local include {target!r} is named with a variable: not followed",
                where,
                Severity.INFO,
            )
            continue
        found = follower.files.gitlab(target)
        if not found:
            follower.problem(
                f"local include {target!r} does not exist: its jobs are not audited",
                where,
                hint="fix the path (local includes are relative to the repository root)",
            )
            continue
        for path in found:
            loaded = follower.load(path, where, (*chain, follower.file_of[source]))
            if loaded is None:
                continue
            included, doc = loaded
            if not isinstance(doc, dict):
                follower.problem(
                    f"{follower.files.display(path)} is not a mapping: not merged", where
                )
                continue
            sub, sub_origins, sub_entries = _gitlab(
                follower, doc, included, (*chain, follower.file_of[source])
            )
            entries += sub_entries
            combined: dict[JsonPath, Origin] = {}
            merged = _merge(merged, origins, sub, sub_origins, (), combined)
            origins = combined
    own = {k: v for k, v in data.items() if k != "include"}
    combined = {}
    merged = _merge(merged, origins, own, {(): (source, ())}, (), combined)
    return merged, combined, entries


def _follow_gitlab(follower: _Follower, data: dict[str, Any]) -> None:
    merged, origins, entries = _gitlab(follower, data, 0, ())
    if len(entries) > (len(_gitlab_items(data))):
        # Every file's include entries, so that PIN-008 sees the nested ones too.
        merged["include"] = [item for item, _ in entries]
        for i, (_, where) in enumerate(entries):
            origins[("include", i)] = where
    elif "include" in data:
        merged["include"] = data["include"]
        origins[("include",)] = (0, ("include",))
    follower.out.data = merged
    follower.out.origins = origins


# --- Azure ---------------------------------------------------------------------------------


def _template_ref(item: Any) -> str | None:
    if isinstance(item, dict) and "template" in item and set(item) <= {"template", "parameters"}:
        return as_str(item["template"]) or ""
    return None


class _Azure:
    def __init__(self, follower: _Follower):
        self.follower = follower
        self.origins: dict[JsonPath, Origin] = {}

    def resolve(self, ref: str, where: Origin, chain: tuple[Path, ...]) -> tuple[int, Any] | None:
        follower = self.follower
        if "${{" in ref or "$(" in ref:
            follower.problem(
                f"template {ref!r} is named with an expression: not followed", where, Severity.INFO
            )
            return None
        name, _, repo = ref.partition("@")
        if repo and repo != "self":
            follower.problem(
                f"template {ref!r} is in repository {repo!r}: not followed",
                where,
                Severity.INFO,
                "audit that repository's templates too",
            )
            return None
        including = follower.file_of[where[0]]
        paths = follower.files.azure(name, including)
        if not paths:
            follower.problem(
                f"template {name!r} does not exist: what it holds is not audited",
                where,
                hint="fix the path (relative to the including file; / is the repository root)",
            )
            return None
        return follower.load(paths[0], where, chain)

    def items(
        self, value: list[Any], src: int, spath: JsonPath, chain: tuple[Path, ...], key: str
    ) -> Iterator[tuple[Any, int, JsonPath, tuple[Path, ...]]]:
        """A list's items with ``template:`` items replaced by the template's, recursively.

        Yields ``(item, source, path there, chain of including files)``.
        """
        for i, item in enumerate(value):
            ref = _template_ref(item)
            loaded = self.resolve(ref, (src, (*spath, i)), chain) if ref is not None else None
            if loaded is None:
                yield item, src, (*spath, i), chain
                continue
            included, doc = loaded
            inner = (*chain, self.follower.file_of[src])
            yield from self.items(as_list(as_map(doc).get(key)), included, (key,), inner, key)

    def expand(
        self,
        value: Any,
        src: int,
        spath: JsonPath,
        opath: JsonPath,
        chain: tuple[Path, ...],
        key: str | None = None,
    ) -> Any:
        """``value`` (at ``spath`` of source ``src``, ``opath`` of the result) expanded."""
        if isinstance(value, dict):
            return {
                k: self.expand(
                    v, src, (*spath, k), (*opath, k), chain, k if isinstance(k, str) else None
                )
                for k, v in value.items()
            }
        if not isinstance(value, list) or key not in _AZURE_LISTS:
            return value
        out: list[Any] = []
        for item, isrc, ipath, ichain in self.items(value, src, spath, chain, key):
            j = len(out)
            self.origins[(*opath, j)] = (isrc, ipath)
            if isinstance(item, dict) and len(item) == 1:
                (cond,) = item
                if (
                    isinstance(cond, str)
                    and cond.startswith("${{")
                    and isinstance(item[cond], list)
                ):
                    inner = self.expand(
                        item[cond], isrc, (*ipath, cond), (*opath, j, cond), ichain, key
                    )
                    out.append({cond: inner})
                    continue
            out.append(self.expand(item, isrc, ipath, (*opath, j), ichain))
        return out


def _follow_azure(follower: _Follower, data: dict[str, Any]) -> None:
    azure = _Azure(follower)
    merged: dict[str, Any] = azure.expand(data, 0, (), (), ())
    extends = as_map(data.get("extends"))
    ref = as_str(extends.get("template"))
    if ref:
        loaded = azure.resolve(ref, (0, ("extends", "template")), ())
        if loaded is not None:
            included, doc = loaded
            chain = (follower.file_of[0],)
            for key, value in as_map(doc).items():
                if key in merged or key == "parameters":
                    continue
                azure.origins[(key,)] = (included, (key,))
                merged[key] = azure.expand(value, included, (key,), (key,), chain, key)
    follower.out.data = merged
    follower.out.origins = azure.origins


def follow(
    platform: Platform,
    data: dict[str, Any],
    *,
    text: str,
    files: LocalFiles,
) -> Followed | None:
    """Merge what the pipeline includes; None when it includes nothing (the common case)."""
    if platform is Platform.GITLAB:
        if "include" not in data:
            return None
        handler = _follow_gitlab
    elif platform is Platform.AZURE:
        if "template" not in text:
            return None
        handler = _follow_azure
    else:
        return None
    follower = _Follower(files)
    follower.docs[0] = data
    handler(follower, data)
    if not follower.out.sources and not follower.out.problems:
        return None
    return follower.out
