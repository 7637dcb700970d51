"""The spec as spec rules see it: the typed spec plus positions in its file."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mlopsgen.spec.model import Spec
from mlopsgen.yamlio import LoadedYaml

__all__ = ["SpecView"]


@dataclass(frozen=True)
class SpecView:
    """A valid spec, the file it came from, its loaded YAML (for line numbers), and today."""

    file: str
    spec: Spec
    doc: LoadedYaml
    #: The day waiver expiry is judged against.
    today: dt.date
