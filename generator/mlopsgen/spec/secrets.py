"""Secret references per provider, and the guard against literal secrets in a spec.

A spec names secrets, it never holds them: each ``secrets.items[].ref`` is a reference
in the provider's own format, checked here, and every string in the file is scanned for
values that look like credentials (known token formats, private keys, high-entropy
tokens). Both run inside the loader, so a bad reference or a pasted token is a
positioned spec error (exit 2) before anything is rendered.

Reference formats (``ref``), one per provider:

- ``vault``: ``<path>#<key>``, the API path vault-action reads (KV v2 paths carry
  ``/data/``: ``secret/data/ml/mlflow#token``); the first segment is the mount.
- ``azure-keyvault``: the secret's name, ``^[0-9A-Za-z-]{1,127}$``.
- ``aws-secrets-manager``: the secret's name or full ARN; the whole ``SecretString``
  is read (a JSON key cannot be selected on GitHub or Azure Pipelines: store such a
  value as a secret of its own).
- ``gcp-secret-manager``: ``projects/<project>/secrets/<name>[/versions/<version>]`` or
  a short ``<name>``, which resolves in the project of the workload identity provider;
  the version defaults to ``latest``.
- ``ci``: the CI platform's secret (variable) name, ``^[A-Za-z_][A-Za-z0-9_]*$``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping

from mlopsgen.spec.model import SecretProvider

__all__ = [
    "SECRET_ENVIRONMENT_PREFIX",
    "STATIC_AUTH_RULE",
    "canonical_ref",
    "gcp_provider_parts",
    "literal_kinds",
    "literal_secret",
    "ref_problem",
    "vault_ref_parts",
]

#: The policy rule a spec waives to authenticate with static credentials
#: (``secrets.auth: static``): the policy pack's "CI authenticates to the secret store with
#: static credentials" rule. The loader refuses ``auth: static`` without a waiver of it.
STATIC_AUTH_RULE = "SPEC-003"

#: Prefix of the environments that scope the secrets of jobs that do not deploy
#: (``secrets-train``); deployment environments may not use it.
SECRET_ENVIRONMENT_PREFIX = "secrets-"  # noqa: S105 - a name prefix, not a value

_SEGMENT = r"[A-Za-z0-9_.-]+"
_VAULT = re.compile(rf"(?P<path>{_SEGMENT}(?:/{_SEGMENT})+)#(?P<key>{_SEGMENT})")
_KEYVAULT = re.compile(r"[0-9A-Za-z-]{1,127}")
_AWS_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")
_AWS_ARN = re.compile(
    r"arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+"
)
_GCP_NAME = r"[A-Za-z0-9_-]{1,255}"
_GCP_FULL = re.compile(
    rf"projects/(?P<project>[a-z0-9][a-z0-9-]{{0,62}})/secrets/(?P<name>{_GCP_NAME})"
    r"(?:/versions/(?P<version>latest|[1-9][0-9]{0,18}))?"
)
_GCP_SHORT = re.compile(_GCP_NAME)
_GCP_PROVIDER = re.compile(
    r"projects/(?P<number>[0-9]+)/locations/global/workloadIdentityPools/(?P<pool>[a-z0-9-]+)"
    r"/providers/(?P<provider>[a-z0-9-]+)"
)
_CI = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_FORMATS = {
    SecretProvider.VAULT: "<path>#<key>, e.g. secret/data/ml/mlflow#token",
    SecretProvider.AZURE_KEYVAULT: "a Key Vault secret name: letters, digits and '-', at most 127",
    SecretProvider.AWS: "a secret name or ARN, e.g. prod/ml/mlflow-token",
    SecretProvider.GCP: "projects/<project>/secrets/<name>[/versions/<version>] or <name>",
    SecretProvider.CI: "the CI secret's name, e.g. MLFLOW_TRACKING_TOKEN",
}


def ref_problem(provider: SecretProvider, ref: str) -> tuple[str, str] | None:
    """Why ``ref`` is not a reference of ``provider``, as ``(message, hint)``, or None."""
    if provider is SecretProvider.VAULT:
        match = _VAULT.fullmatch(ref)
        if match is None:
            return _bad(provider, ref)
        segments = match["path"].split("/")
        if segments[1] == "data" and len(segments) < 3:
            return (
                f"{ref!r} names a KV v2 mount but no secret under it",
                "write <mount>/data/<path>#<key>, e.g. secret/data/ml/mlflow#token",
            )
        return None
    if provider is SecretProvider.AZURE_KEYVAULT:
        return None if _KEYVAULT.fullmatch(ref) else _bad(provider, ref)
    if provider is SecretProvider.AWS:
        if "#" in ref:
            return (
                f"{ref!r} selects a JSON key; the whole secret string is read",
                "GitHub's aws-secretsmanager-get-secrets and Azure Pipelines cannot select "
                "a key: store the value as a secret of its own",
            )
        if ref.startswith("arn:"):
            return None if _AWS_ARN.fullmatch(ref) else _bad(provider, ref)
        return None if _AWS_NAME.fullmatch(ref) else _bad(provider, ref)
    if provider is SecretProvider.GCP:
        if ref.startswith("projects/"):
            return None if _GCP_FULL.fullmatch(ref) else _bad(provider, ref)
        return None if _GCP_SHORT.fullmatch(ref) else _bad(provider, ref)
    if _CI.fullmatch(ref) is None:
        return _bad(provider, ref)
    if ref.upper().startswith("GITHUB_"):
        return (
            f"{ref!r} is reserved: CI secret names cannot start with GITHUB_",
            "rename the secret on the CI platform and here",
        )
    return None


def _bad(provider: SecretProvider, ref: str) -> tuple[str, str]:
    shown = ref if len(ref) <= 60 else ref[:57] + "..."
    return (f"{shown!r} is not a {provider} reference", f"expected {_FORMATS[provider]}")


def vault_ref_parts(ref: str) -> tuple[str, str, str, str]:
    """``(mount, engine, path, key)`` of a Vault reference, as GitLab's ``secrets:vault`` wants.

    ``secret/data/ml/mlflow#token`` is ``("secret", "kv-v2", "ml/mlflow", "token")``; a path
    without ``/data/`` after its mount is read as KV v1 (a plain read of the API path).

    Raises:
        ValueError: not a Vault reference.
    """
    match = _VAULT.fullmatch(ref)
    if match is None:
        raise ValueError(f"not a Vault reference: {ref!r}")
    mount, _, rest = match["path"].partition("/")
    if rest.startswith("data/"):
        return mount, "kv-v2", rest.removeprefix("data/"), match["key"]
    return mount, "kv-v1", rest, match["key"]


def gcp_provider_parts(resource: str) -> tuple[str, str, str]:
    """``(project number, pool id, provider id)`` of a workload identity provider's name.

    Raises:
        ValueError: not a workload identity provider resource name.
    """
    match = _GCP_PROVIDER.fullmatch(resource)
    if match is None:
        raise ValueError(f"not a workload identity provider: {resource!r}")
    return match["number"], match["pool"], match["provider"]


def canonical_ref(provider: SecretProvider, ref: str, settings: Mapping[str, str]) -> str:
    """The reference every platform renders: GCP names made full, others unchanged.

    A short GCP name resolves in the project of ``settings["workload_identity_provider"]``
    and every GCP reference gets its version (``latest`` unless given), so the three
    platforms read the same version of the same secret.
    """
    if provider is not SecretProvider.GCP:
        return ref
    match = _GCP_FULL.fullmatch(ref)
    if match is not None:
        return (
            f"projects/{match['project']}/secrets/{match['name']}"
            f"/versions/{match['version'] or 'latest'}"
        )
    number, _, _ = gcp_provider_parts(settings["workload_identity_provider"])
    return f"projects/{number}/secrets/{ref}/versions/latest"


# --- the literal-secret guard ------------------------------------------------------------

#: Formats with a fixed shape, each with what to call it. Prefixes as gitleaks and
#: detect-secrets define them.
_KNOWN: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----"), "a private key"),
    (
        re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])"),
        "an AWS access key ID",
    ),
    (re.compile(r"(?<![A-Za-z0-9])gh[pousr]_[A-Za-z0-9]{36,}"), "a GitHub token"),
    (re.compile(r"github_pat_[A-Za-z0-9_]{22,}"), "a GitHub fine-grained token"),
    (re.compile(r"gl(?:pat|dt|rt|ptt|cbt|imt|agent|oas)-[A-Za-z0-9_-]{20,}"), "a GitLab token"),
    (re.compile(r"xox[abposr]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (
        re.compile(r"hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+"),
        "a Slack webhook URL",
    ),
    (re.compile(r"AIza[0-9A-Za-z_-]{35}"), "a Google API key"),
    (re.compile(r"(?:sk|rk)_live_[0-9A-Za-z]{24,}"), "a Stripe key"),
    (re.compile(r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}"), "a PyPI token"),
    (re.compile(r"npm_[A-Za-z0-9]{36}"), "an npm token"),
    (re.compile(r"AccountKey=[A-Za-z0-9+/]{86}==", re.IGNORECASE), "an Azure storage key"),
    (
        re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])"),
        "an Azure storage key",
    ),
    (re.compile(r"[?&]sig=[A-Za-z0-9%+/=]{30,}"), "an Azure SAS token"),
    (
        # Starts a token: without the look-behind, "eyJeyJeyJ..." is tried at every eyJ.
        re.compile(
            r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"
        ),
        "a JSON Web Token",
    ),
    (re.compile(r"hvs\.[A-Za-z0-9_-]{24,}|hvb\.[A-Za-z0-9_-]{24,}"), "a Vault token"),
    # Anchored on "://" (a scheme character before it), not on the scheme: a leading
    # [a-z][a-z0-9+.-]* made every letter of a long word a start, quadratic in its length.
    (re.compile(r"(?<=[A-Za-z0-9+.-])://[^/\s:@]+:[^/\s@]{3,}@"), "a password in a URL"),
)
#: Shapes that are long and mixed but structured, never a secret on their own.
_STRUCTURED = (
    re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+"),  # URLs (credentials in them are caught above)
    re.compile(r"arn:[a-z0-9-]+:\S+"),  # ARNs
    re.compile(r"[^@\s]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),  # e-mail addresses
    re.compile(r"(sha(1|256|384|512):)?[0-9a-fA-F]+"),  # digests and commit SHAs
    re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:.+-]+Z?)?"),  # dates
    # Wheel file names (ci.mlopsgen.wheel): name-version[-build]-pytag-abitag-platform.whl,
    # whose tags (py3, cp311) mix letters and digits.
    re.compile(
        r"/?([A-Za-z0-9._-]+/)*[A-Za-z0-9_.]+-[0-9][A-Za-z0-9_.+!]*(-[0-9][A-Za-z0-9_]*)?"
        r"-(py|cp|pp)[0-9]+(\.(py|cp|pp)[0-9]+)*-[a-z0-9_.]+-[a-z0-9_.]+\.whl"
    ),
    # Host names, with a path: image registries (europe-west1-docker.pkg.dev/proj/ml)
    re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+(/[a-z0-9._-]+)*"),
)
#: A piece of an identifier made of one word or number: ``registry``, ``2024``, ``PROD``,
#: ``workloadIdentityPools``, or a word and a number (``p1``, ``v2``, ``ec2``);
#: identifiers join pieces with ``/``, ``.``, ``_``, ``-``, ``:`` (an image's tag) or
#: ``#`` (a Vault key).
_WORD = re.compile(r"(?:[a-z]+|[A-Z]+)[0-9]*|[0-9]+|[A-Z]?[a-z]+(?:[A-Z][a-z]+)*")
_JOINERS = re.compile(r"[/._:#-]+")
_MIN_LENGTH = 20
_MAX_WORD = 1024
_MIN_ENTROPY = 3.5


def literal_kinds() -> tuple[str, ...]:
    """What the guard recognizes, in words (for the documentation)."""
    return (*dict.fromkeys(what for _, what in _KNOWN), "high-entropy tokens")


def literal_secret(value: str) -> str | None:
    """What ``value`` looks like when it looks like a credential (``"an AWS access key ID"``).

    Known token formats match anywhere in the value. Otherwise each whitespace-separated
    word of at least 20 characters that mixes letters, digits and case (or symbols), is
    not a URL, ARN, e-mail address, hex digest, date or identifier made of words and
    numbers (``registry-token-2024``, ``workloadIdentityPools/p``), and has a Shannon
    entropy of at least 3.5 bits per character counts as "a high-entropy token".
    """
    for pattern, what in _KNOWN:
        if pattern.search(value):
            return what
    for word in value.split():
        # A prefix of a random token is random: the first characters decide, which keeps
        # a megabyte-long "word" of a thousand identifier pieces cheap.
        if _random_looking(word.strip("'\"(),;")[:_MAX_WORD]):
            return "a high-entropy token, like a generated password or key"
    return None


def _random_looking(word: str) -> bool:
    if len(word) < _MIN_LENGTH or any(p.fullmatch(word) for p in _STRUCTURED):
        return False
    if all(_WORD.fullmatch(piece) for piece in _JOINERS.split(word) if piece):
        return False
    lower = any(c.islower() for c in word)
    upper = any(c.isupper() for c in word)
    digit = any(c.isdigit() for c in word)
    symbol = any(not c.isalnum() for c in word)
    if not digit or not (lower or upper):
        return False
    if sum((lower, upper, digit, symbol)) < 3:
        return False
    counts = Counter(word)
    entropy = -sum(n / len(word) * math.log2(n / len(word)) for n in counts.values())
    return entropy >= _MIN_ENTROPY
