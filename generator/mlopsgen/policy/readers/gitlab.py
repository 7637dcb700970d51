"""GitLab CI files to the audit view, tolerantly: extends, default:, stages, !reference."""

from __future__ import annotations

from typing import Any

import yaml

from mlopsgen.policy.classify import classify
from mlopsgen.policy.readers._util import (
    as_list,
    as_map,
    as_str,
    duration_minutes,
    strings,
    walk_strings,
)
from mlopsgen.policy.view import ImageRef, IncludeRef, JobView, PipelineView, StepView
from mlopsgen.spec.model import Platform
from mlopsgen.yamlio import Duplicate, JsonPath, Tagged

__all__ = ["RESERVED", "read"]

#: Top-level keys that are not jobs.
RESERVED = frozenset(
    {
        "image",
        "services",
        "stages",
        "types",
        "before_script",
        "after_script",
        "variables",
        "cache",
        "include",
        "workflow",
        "default",
        "spec",
    }
)
_DEFAULT_STAGES = (".pre", "build", "test", "deploy", ".post")
_NOT_DEPLOY = frozenset({"stop", "prepare", "verify", "access"})
_SECRETISH = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "API_KEY", "PRIVATE_KEY", "CREDENTIAL")


#: Keys that make a (visible) job: GitLab needs a script, a trigger or a run.
_JOB_CONTENT = ("script", "trigger", "extends", "stage", "run")
#: Keys that make a hidden job worth auditing as a job in a file of templates.
_HIDDEN_CONTENT = ("script", "before_script", "after_script", "trigger", "run", "image", "services")


def _visible(job_id: str, value: Any) -> bool:
    return job_id not in RESERVED and not job_id.startswith(".") and isinstance(value, dict)


def _hidden_job(job_id: str, value: Any, data: dict[str, Any]) -> bool:
    """A hidden job (``.name:``) that no other hidden job of the file extends.

    A file of hidden jobs only is a library of templates that other files include and
    extend; each is audited as a job (with what it extends), once: a template that another
    one extends is audited through it.
    """
    if not job_id.startswith(".") or not isinstance(value, dict):
        return False
    return not any(
        job_id in strings(other.get("extends"))
        for key, other in data.items()
        if key != job_id and key.startswith(".") and isinstance(other, dict)
    )


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _resolve(
    name: str, data: dict[str, Any], seen: frozenset[str], provided: dict[str, str]
) -> dict[str, Any]:
    """The job with its ``extends:`` bases merged in.

    ``provided`` gets, per key, the job that defines it (findings point there).
    """
    raw = as_map(data.get(name))
    bases = strings(raw.get("extends"))
    if not bases:
        provided.update(dict.fromkeys(raw, name))
        return raw
    merged: dict[str, Any] = {}
    for base in bases:
        if base in seen or base not in data:
            continue
        merged = _merge(merged, _resolve(base, data, seen | {base}, provided))
    provided.update(dict.fromkeys(raw, name))
    return _merge(merged, raw)


def _image(value: Any) -> str | None:
    return as_str(as_map(value).get("name")) if isinstance(value, dict) else as_str(value)


def _images(prefix: tuple[str, ...], raw: dict[str, Any]) -> list[ImageRef]:
    out = []
    image = _image(raw.get("image"))
    if image:
        out.append(ImageRef(image, (*prefix, "image")))
    for i, service in enumerate(as_list(raw.get("services"))):
        ref = _image(service)
        if ref:
            out.append(ImageRef(ref, (*prefix, "services", i)))
    return out


def _steps(job_id: str, raw: dict[str, Any]) -> tuple[StepView, ...]:
    out = []
    for key in ("before_script", "script", "after_script"):
        value = raw.get(key)
        for i, line in enumerate(as_list(value)):
            path = (job_id, key, i) if isinstance(value, list) else (job_id, key)
            if isinstance(line, Tagged):
                out.append(StepView(path=path, uses=f"{line.tag} {line.value}"))
            elif isinstance(line, list):  # a !reference expanded by hand, nested lists
                for item in line:
                    text = as_str(item)
                    if text is not None:
                        out.append(StepView(path=path, run=text, run_path=path))
            else:
                text = as_str(line)
                if text is not None:
                    out.append(StepView(path=path, run=text, run_path=path))
    return tuple(out)


def _condition(raw: dict[str, Any]) -> str | None:
    parts = []
    for rule in as_list(raw.get("rules")):
        rule_map = as_map(rule)
        text = as_str(rule_map.get("if"))
        when = as_str(rule_map.get("when"))
        if text or when:
            parts.append(f"if: {text or 'always'} when: {when or 'on_success'}")
    for key in ("only", "except"):
        if key in raw:
            parts.append(f"{key}: {' '.join(walk_strings(raw[key]))}")
    return "; ".join(parts) or None


def _includes(data: dict[str, Any]) -> tuple[IncludeRef, ...]:
    raw = data.get("include")
    items = as_list(raw)
    out = []
    for i, item in enumerate(items):
        path = ("include", i) if isinstance(raw, list) else ("include",)
        if isinstance(item, str):
            kind = "remote" if item.startswith(("http://", "https://")) else "local"
            out.append(IncludeRef(kind, item, None, path))
            continue
        item_map = as_map(item)
        for kind in ("local", "project", "remote", "template", "component"):
            target = as_str(item_map.get(kind))
            if target:
                out.append(IncludeRef(kind, target, as_str(item_map.get("ref")), path))
                break
    return tuple(out)


def _triggers(data: dict[str, Any], text: str) -> frozenset[str]:
    events = {"push"}
    if "merge_request" in text:
        events.add("merge_request")
    if "schedule" in text:
        events.add("schedule")
    if "CI_COMMIT_TAG" in text or "tags" in text:
        events.add("tag")
    if '"web"' in text or "== web" in text or "when: manual" in text:
        events.add("manual")
    return frozenset(events)


_Collected = list[tuple[str, dict[str, Any], str, bool]]


def _collect(
    data: dict[str, Any],
    default: dict[str, Any],
    aliases: dict[JsonPath, JsonPath],
    *,
    hidden: bool,
) -> _Collected:
    """The jobs (or, with ``hidden``, the hidden jobs) with what they extend and inherit.

    Each is ``(id, resolved job, stage, has explicit needs)``; ``aliases`` gets, per
    inherited key, where it is written.
    """
    collected: _Collected = []
    for job_id, value in data.items():
        if not (_hidden_job(job_id, value, data) if hidden else _visible(job_id, value)):
            continue
        provided: dict[str, str] = {}
        raw = _resolve(job_id, data, frozenset({job_id}), provided)
        if not any(k in raw for k in (_HIDDEN_CONTENT if hidden else _JOB_CONTENT)):
            continue
        for key, owner in provided.items():
            if owner != job_id:
                aliases[(job_id, key)] = (owner, key)
        inherit = as_map(raw.get("inherit")).get("default", True)
        if inherit is not False:
            for key in ("before_script", "after_script", "timeout", "tags", "interruptible"):
                if key in default and key not in raw:
                    raw = {**raw, key: default[key]}
                    aliases[(job_id, key)] = ("default", key)
        stage = as_str(raw.get("stage")) or "test"
        collected.append((job_id, raw, stage, "needs" in raw))
    return collected


def read(
    data: dict[str, Any],
    *,
    file: str,
    text: str,
    node: yaml.Node | None,
    duplicates: tuple[Duplicate, ...] = (),
) -> PipelineView:
    """Read a GitLab CI file; jobs inherit ``default:`` and resolve local ``extends:``.

    A file without a visible job (a library of hidden jobs that others include) is a
    template whose hidden jobs are read as its jobs.
    """
    default = as_map(data.get("default"))
    stages = strings(data.get("stages")) or strings(data.get("types")) or _DEFAULT_STAGES
    stage_index = {s: i for i, s in enumerate(stages)}
    top_images = _images((), data) + _images(("default",), default)
    default_image = _image(default.get("image")) or _image(data.get("image"))
    default_timeout = duration_minutes(default.get("timeout"))
    aliases: dict[JsonPath, JsonPath] = {}
    collected = _collect(data, default, aliases, hidden=False)
    hidden = not collected
    if hidden:
        collected = _collect(data, default, aliases, hidden=True)
    by_stage: dict[str, list[str]] = {}
    for job_id, _, stage, _ in collected:
        by_stage.setdefault(stage, []).append(job_id)
    jobs = []
    for job_id, raw, stage, explicit in collected:
        if explicit:
            needs = tuple(
                n
                for n in (
                    as_str(as_map(item).get("job")) if isinstance(item, dict) else as_str(item)
                    for item in as_list(raw.get("needs"))
                )
                if n
            )
        else:
            mine = stage_index.get(stage, len(stages))
            needs = tuple(
                other
                for s, ids in by_stage.items()
                if stage_index.get(s, len(stages)) < mine
                for other in ids
            )
        env_raw = raw.get("environment")
        env_map = as_map(env_raw)
        environment = as_str(env_map.get("name")) if env_map else as_str(env_raw)
        deployment = environment is not None and as_str(env_map.get("action")) not in _NOT_DEPLOY
        rules = [as_map(r) for r in as_list(raw.get("rules"))]
        manual_job = raw.get("when") == "manual"
        manual_rule = any(r.get("when") == "manual" for r in rules)
        allow = raw.get("allow_failure")
        if allow is None:
            # NOTE: a manual job outside rules defaults to allow_failure: true; inside rules to
            # false. See: https://docs.gitlab.com/ee/ci/yaml/#allow_failure
            soft = manual_job
            soft_path: tuple[str, ...] | None = (job_id, "when") if manual_job else None
        else:
            soft = allow is True or isinstance(allow, dict)
            soft_path = (job_id, "allow_failure")
        steps = _steps(job_id, raw)
        images = _images((job_id,), raw)
        if not any(i.path[-1] == "image" for i in images) and default_image:
            images.insert(0, ImageRef(default_image, ("default", "image")))
        variables = as_map(raw.get("variables"))
        timeout = duration_minutes(raw.get("timeout"))
        secrets = list(as_map(raw.get("secrets")))
        secrets += [k for k in variables if any(s in k.upper() for s in _SECRETISH)]
        jobs.append(
            JobView(
                id=job_id,
                path=(job_id,),
                name=job_id,
                kind=classify(
                    [job_id], [s.run for s in steps if s.run], deployment=deployment, stage=stage
                ),
                steps=steps,
                needs=needs,
                stage=stage,
                env=variables,
                environment=environment,
                deployment=deployment,
                manual=manual_job or manual_rule,
                allow_failure=soft,
                allow_failure_path=soft_path,
                timeout_minutes=timeout if timeout is not None else default_timeout,
                images=tuple(images),
                runner=strings(raw.get("tags")),
                condition=_condition(raw),
                secrets=tuple(dict.fromkeys(secrets)),
                oidc="id_tokens" in raw,
                exclusive="resource_group" in raw,
                uses=f"trigger: {as_str(raw['trigger']) or 'child'}" if "trigger" in raw else None,
                raw=raw,
                hidden=hidden,
            )
        )
    template = hidden or not jobs or "spec" in data
    return PipelineView(
        platform=Platform.GITLAB,
        file=file,
        text=text,
        data=data,
        node=node,
        name=as_str(as_map(data.get("workflow")).get("name")) or "",
        triggers=_triggers(data, text),
        jobs=tuple(jobs),
        images=tuple(top_images),
        includes=_includes(data),
        env=as_map(data.get("variables")),
        template=template,
        duplicates=duplicates,
        aliases=aliases,
    )
