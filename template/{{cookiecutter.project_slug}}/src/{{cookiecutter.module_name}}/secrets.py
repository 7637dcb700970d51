"""Secrets for local runs, from the secrets: section of mlops.yaml (`make secrets-check`).

python -m {{ cookiecutter.module_name }}.secrets check
    names each secret of secrets.items and where it resolves; never prints a value.
python -m {{ cookiecutter.module_name }}.secrets run -- CMD [ARG ...]
    runs CMD with the secrets in its environment and exits with CMD's status.

Both take --stage and --env to narrow the secrets to those one CI job reads, and the
spec comes first: `python -m {{ cookiecutter.module_name }}.secrets --spec other.yaml check`.
The section is read at run time, so a secret added to mlops.yaml is picked up at once.
Each value comes from the first of:

1. the environment (CI jobs get their secrets there);
2. `.env` beside mlops.yaml: `NAME=value` lines (copy `.env.example`); it must be
   git-ignored, and an empty value counts as unset;
3. secrets.provider, through its own CLI, logged in beforehand (`fetch_command`):
   vault `vault kv get` (KV v2 references, `<mount>/data/<path>#<key>`) or `vault read`;
   azure-keyvault `az keyvault secret show`; aws-secrets-manager `aws secretsmanager
   get-secret-value`; gcp-secret-manager `gcloud secrets versions access`. Provider ci
   has no local store: its secrets come from the environment or `.env` only.

A secret that does not resolve is named with the CLI and what to do (install it, log
in, or set the variable in `.env`).
Exit status: 0 every secret resolved (run: the command's status), 1 a secret did not
resolve, 2 usage or setup error.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess  # nosec B404  # runs the stores' CLIs and `run`'s command, see _call()
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .settings import (
    SECRET_SETTINGS,
    SECRET_STAGES,
    SecretItem,
    SecretsSpec,
    SpecError,
    TaskError,
    load_secrets,
    task_parser,
)

DOTENV = ".env"
DOTENV_EXAMPLE = ".env.example"
TIMEOUT_SECONDS = 120
_VAULT_REF = re.compile(r"(?P<path>[^#\s]+)#(?P<key>[^#\s]+)")
_GCP_REF = re.compile(
    r"projects/(?P<project>[^/]+)/secrets/(?P<name>[^/]+)(?:/versions/(?P<version>[^/]+))?"
)
_GCP_PROJECT_NUMBER = re.compile(r"projects/(?P<number>[0-9]+)/")
_DOTENV_LINE = re.compile(r"(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*)")


@dataclass(frozen=True)
class Store:
    """A provider's CLI: where to get it and how to log in before a fetch."""

    cli: str
    install: str
    login: str


#: The CLI of each provider; ci has none (a CI platform's secrets have no local API).
STORES: dict[str, Store | None] = {
    "vault": Store(
        "vault",
        "https://developer.hashicorp.com/vault/install",
        "vault login -method=oidc, with VAULT_ADDR set or secrets.vault.url in mlops.yaml",
    ),
    "azure-keyvault": Store(
        "az", "https://learn.microsoft.com/cli/azure/install-azure-cli", "az login"
    ),
    "aws-secrets-manager": Store(
        "aws",
        "https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html",
        "aws sso login, or aws configure",
    ),
    "gcp-secret-manager": Store(
        "gcloud", "https://cloud.google.com/sdk/docs/install", "gcloud auth login"
    ),
    "ci": None,
}


class Unresolved(Exception):
    """A secret has no value: not set, and the store could not give it."""


@dataclass(frozen=True)
class Resolution:
    """Where one secret's value came from; the value itself is never shown."""

    name: str
    source: str
    value: str = field(repr=False)


def _setting(secrets: SecretsSpec, key: str) -> str:
    value = secrets.settings.get(key, "")
    if not value:
        section = SECRET_SETTINGS[secrets.provider]
        raise SpecError(f"secrets.{section}.{key} is not set; provider {secrets.provider} needs it")
    return value


def fetch_command(secrets: SecretsSpec, ref: str) -> tuple[str, ...]:
    """The provider CLI's command that prints the value of ``ref`` (and nothing else).

    A reference is passed as ``--option=value``, so one starting with ``-`` stays a value.

    vault: a KV v2 path (``<mount>/data/<path>#<key>``) is read with ``vault kv get``,
    any other path (KV v1, dynamic engines) with ``vault read``; a GCP short name is read
    in the project of secrets.gcp.workload_identity_provider at version latest, as CI does.
    """
    provider = secrets.provider
    if provider == "vault":
        match = _VAULT_REF.fullmatch(ref)
        if match is None:
            raise SpecError(f"{ref!r} is not a vault reference (<path>#<key>)")
        mount, _, rest = match["path"].partition("/")
        if rest.startswith("data/"):
            path = rest.removeprefix("data/")
            return ("vault", "kv", "get", f"-mount={mount}", f"-field={match['key']}", path)
        return ("vault", "read", f"-field={match['key']}", match["path"])
    if provider == "azure-keyvault":
        vault = _setting(secrets, "name")
        return (
            *("az", "keyvault", "secret", "show", f"--vault-name={vault}", f"--name={ref}"),
            *("--query", "value", "-o", "tsv"),
        )
    if provider == "aws-secrets-manager":
        region = _setting(secrets, "region")
        return (
            *("aws", "secretsmanager", "get-secret-value", f"--secret-id={ref}"),
            *("--region", region, "--query", "SecretString", "--output", "text"),
        )
    if provider == "gcp-secret-manager":
        match = _GCP_REF.fullmatch(ref)
        if match is not None:
            project, name, version = match["project"], match["name"], match["version"]
        else:
            provider_name = _setting(secrets, "workload_identity_provider")
            number = _GCP_PROJECT_NUMBER.match(provider_name)
            if number is None:
                raise SpecError(
                    "secrets.gcp.workload_identity_provider: expected projects/<number>/..."
                )
            project, name, version = number["number"], ref, None
        return (
            "gcloud",
            "secrets",
            "versions",
            "access",
            version or "latest",
            f"--secret={name}",
            f"--project={project}",
        )
    raise SpecError(f"provider {provider} has no CLI: set the secret in the environment or .env")


def _call(command: Sequence[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    # Safe: an argument list (a CLI found on PATH and references from mlops.yaml); no shell.
    return subprocess.run(  # noqa: S603  # nosec B603
        list(command),
        capture_output=True,
        text=True,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )


def fetch(secrets: SecretsSpec, item: SecretItem, environ: Mapping[str, str]) -> str:
    """The value of ``item`` from the provider's CLI; Unresolved says why there is none."""
    store = STORES[secrets.provider]
    if store is None:
        raise Unresolved(
            f"{item.name} is not set: provider ci has no local store; set it in {DOTENV} "
            f"(copy {DOTENV_EXAMPLE}) or in the environment"
        )
    command = fetch_command(secrets, item.ref)
    executable = shutil.which(store.cli, path=environ.get("PATH", os.defpath))
    if executable is None:
        raise Unresolved(
            f"{item.name}: the {store.cli} CLI is not on PATH; it reads {secrets.provider} "
            f"{item.ref}. Install it ({store.install}) and log in ({store.login}), "
            f"or set {item.name} in {DOTENV}"
        )
    env = dict(environ)
    if secrets.provider == "vault" and not env.get("VAULT_ADDR") and secrets.settings.get("url"):
        env["VAULT_ADDR"] = secrets.settings["url"]
    shown = shlex.join(command)
    try:
        done = _call((executable, *command[1:]), env)
    except subprocess.TimeoutExpired:
        raise Unresolved(
            f"{item.name}: `{shown}` did not answer within {TIMEOUT_SECONDS} s; "
            f"is the store reachable, and are you logged in ({store.login})?"
        ) from None
    except OSError as exc:
        raise Unresolved(f"{item.name}: `{shown}` could not run: {exc.strerror}") from None
    # Like `$(...)` in a shell (and the CI's script steps): trailing newlines go.
    value = done.stdout.rstrip("\r\n")
    if done.returncode != 0 or not value:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        # The CLI's own error line (gcloud follows it with advice), else its last line.
        errors = [line for line in lines if "error" in line.lower()] or lines
        why = errors[-1][:300].rstrip(".") if errors else "no output"
        status = f"exited {done.returncode}" if done.returncode else "printed no value"
        raise Unresolved(
            f"{item.name}: `{shown}` {status}: {why}. Log in ({store.login}) and check "
            f"that {item.ref} exists and that you may read it, or set {item.name} in {DOTENV}"
        )
    return value


def read_dotenv(path: Path) -> dict[str, str]:
    """``NAME=value`` lines of a .env file; ``#`` comments, ``export`` and quotes allowed.

    Values are taken literally (no ``$VAR`` expansion). A line that is not ``NAME=value``
    is a TaskError naming its line number, never its text (it may hold a value).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _DOTENV_LINE.fullmatch(stripped)
        if match is None:
            raise TaskError(f"{path.name}:{number}: expected NAME=value")
        value = match["value"].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        else:
            value = value.split(" #", 1)[0].rstrip()
        values[match["name"]] = value
    return values


def check_ignored(dotenv: Path) -> None:
    """TaskError when ``dotenv`` exists inside a git work tree that would commit it."""
    git = shutil.which("git")
    if not dotenv.is_file() or git is None:
        return
    try:
        # Safe: git from PATH with a fixed argument list; exit 1 means not ignored (or tracked).
        done = subprocess.run(  # noqa: S603  # nosec B603
            [git, "check-ignore", "--quiet", dotenv.name],
            cwd=dotenv.parent,
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return
    if done.returncode == 1:
        raise TaskError(
            f"{DOTENV} is not ignored by git (or is tracked): add `{DOTENV}` to .gitignore "
            f"(and `git rm --cached {DOTENV}`) before it holds secrets"
        )


def select(
    items: Sequence[SecretItem], *, stage: str | None = None, environment: str | None = None
) -> tuple[SecretItem, ...]:
    """The items a job of ``stage`` (deploying to ``environment``) reads; None selects all."""
    return tuple(
        item
        for item in items
        if (stage is None or stage in item.stages)
        and (environment is None or not item.environments or environment in item.environments)
    )


def resolve(
    secrets: SecretsSpec, items: Sequence[SecretItem], environ: Mapping[str, str]
) -> tuple[list[Resolution], dict[str, str]]:
    """Each item's value and source, and the problem of each item that did not resolve."""
    dotenv_path = secrets.root / DOTENV
    check_ignored(dotenv_path)
    dotenv = read_dotenv(dotenv_path)
    resolved: list[Resolution] = []
    problems: dict[str, str] = {}
    for item in items:
        if environ.get(item.name):
            resolved.append(Resolution(item.name, "environment", environ[item.name]))
        elif dotenv.get(item.name):
            resolved.append(Resolution(item.name, DOTENV, dotenv[item.name]))
        else:
            try:
                value = fetch(secrets, item, environ)
            except Unresolved as exc:
                problems[item.name] = str(exc)
            else:
                resolved.append(Resolution(item.name, f"{secrets.provider} {item.ref}", value))
    return resolved, problems


def report(
    items: Sequence[SecretItem], resolved: Sequence[Resolution], problems: Mapping[str, str]
) -> None:
    """One line per secret: its name and where it resolves; each problem on stderr."""
    sources = {r.name: r.source for r in resolved}
    width = max((len(item.name) for item in items), default=0)
    for item in items:
        print(f"  {item.name:<{width}}  {sources.get(item.name, 'NOT RESOLVED')}")
    for problem in problems.values():
        print(f"secrets FAILED: {problem}", file=sys.stderr)


def run_command(command: Sequence[str], resolved: Sequence[Resolution]) -> int:
    """Run ``command`` with the resolved secrets added to this process's environment."""
    executable = shutil.which(command[0])
    if executable is None:
        raise TaskError(f"{command[0]}: command not found")
    env = {**os.environ, **{r.name: r.value for r in resolved}}
    try:
        # Safe: the user's own command line, run without a shell.
        return subprocess.run([executable, *command[1:]], env=env, check=False).returncode  # noqa: S603  # nosec B603
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    """--spec, then check or run, each with --stage and --env."""
    parser = task_parser(__doc__.splitlines()[0])
    actions = parser.add_subparsers(dest="action", required=True, metavar="{check,run}")
    check = actions.add_parser("check", help="name where each secret resolves (never a value)")
    run = actions.add_parser("run", help="run -- CMD [ARG ...] with the secrets in its environment")
    for sub in (check, run):
        sub.add_argument("--stage", choices=SECRET_STAGES, help="only the secrets of this stage")
        sub.add_argument(
            "--env",
            help="only the secrets of this deployment environment (and of every environment)",
        )
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD [ARG ...]")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Check the secrets, or run a command with them."""
    parser = build_parser()
    args = parser.parse_args(argv)
    command: list[str] = getattr(args, "command", [])
    if command[:1] == ["--"]:
        command = command[1:]
    if args.action == "run" and not command:
        parser.error("run needs a command: run -- CMD [ARG ...]")
    try:
        secrets = load_secrets(args.spec)
        items = select(secrets.items, stage=args.stage, environment=args.env)
        if args.action == "check" and not items:
            print("secrets check passed: no secret to resolve (secrets.items in mlops.yaml)")
            return 0
        resolved, problems = resolve(secrets, items, os.environ)
        if args.action == "check" or problems:
            print(f"secrets of mlops.yaml (provider {secrets.provider}):")
            report(items, resolved, problems)
        if problems:
            print(
                f"secrets FAILED: {len(problems)} of {len(items)} secret(s) did not resolve",
                file=sys.stderr,
            )
            return 1
        if args.action == "run":
            return run_command(command, resolved)
    except (TaskError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"secrets check passed: {len(items)} secret(s) resolve")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
