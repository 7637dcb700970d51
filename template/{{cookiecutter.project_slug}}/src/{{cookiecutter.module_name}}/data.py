"""The data contract and the data sets it describes: loading, features, the split."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.model_selection import train_test_split

from .contract import check_document
from .settings import Settings, TaskError

NUMERIC_TYPES = ("int", "float")


@dataclass(frozen=True)
class Column:
    """One column of the contract."""

    name: str
    type: str
    role: str = "feature"
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[Any, ...] | None = None
    max_null_rate: float = 0.0
    unique: bool = False

    @property
    def numeric(self) -> bool:
        """True for int and float columns."""
        return self.type in NUMERIC_TYPES


@dataclass(frozen=True)
class Contract:
    """What a data file must look like: its columns, the label and the row counts."""

    path: Path
    target: str
    columns: tuple[Column, ...]
    min_rows: int | None = None
    max_rows: int | None = None

    def column(self, name: str) -> Column:
        """The column called name."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def features(self) -> tuple[Column, ...]:
        """The columns the model learns from: neither the target nor an id."""
        return tuple(c for c in self.columns if c.name != self.target and c.role == "feature")

    @property
    def numeric_features(self) -> list[str]:
        """Names of the int and float features."""
        return [c.name for c in self.features if c.numeric]

    @property
    def categorical_features(self) -> list[str]:
        """Names of the category and string features."""
        return [c.name for c in self.features if not c.numeric]

    @property
    def feature_names(self) -> list[str]:
        """Names of all features, in contract order."""
        return [c.name for c in self.features]


def _column(name: str, raw: Mapping[str, Any]) -> Column:
    allowed = raw.get("allowed")
    return Column(
        name=name,
        type=raw["type"],
        role=raw.get("role", "feature"),
        minimum=raw.get("min"),
        maximum=raw.get("max"),
        allowed=None if allowed is None else tuple(allowed),
        max_null_rate=float(raw.get("max_null_rate", 0.0)),
        unique=bool(raw.get("unique", False)),
    )


def load_contract(path: Path) -> Contract:
    """Read a data contract (YAML) and check it against contract.schema.json."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TaskError(f"{path}: data contract not found") from None
    raw = check_document(text, path)
    rows = raw.get("rows") or {}
    return Contract(
        path=path,
        target=str(raw["target"]),
        columns=tuple(_column(str(n), c) for n, c in raw["columns"].items()),
        min_rows=rows.get("min"),
        max_rows=rows.get("max"),
    )


def read_csv(path: Path, contract: Contract, *, require_target: bool = True) -> pd.DataFrame:
    """Read one CSV file with the dtypes the contract gives (numbers as float)."""
    if not path.is_file():
        raise TaskError(f"{path}: not found")
    frame = pd.read_csv(
        path,
        dtype={c.name: object for c in contract.columns if not c.numeric},
        keep_default_na=False,
        na_values=[""],
    )
    needed = [contract.target] if require_target else []
    needed += [c.name for c in contract.features]
    missing = [name for name in needed if name not in frame.columns]
    if missing:
        raise TaskError(f"{path}: missing column(s) {', '.join(missing)}")
    for name in contract.numeric_features:
        try:
            frame[name] = pd.to_numeric(frame[name], errors="raise").astype(float)
        except (TypeError, ValueError):
            raise TaskError(
                f"{path}: column {name!r} holds values that are not numbers "
                "(the validate task names the rows)"
            ) from None
    return frame


def load_training_frame(settings: Settings, contract: Contract) -> pd.DataFrame:
    """All data sources of the spec, concatenated in the order given."""
    frames = [read_csv(path, contract) for path in settings.sources]
    return pd.concat(frames, ignore_index=True)


def features(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """The feature columns, in contract order."""
    return frame[contract.feature_names]


@dataclass(frozen=True)
class Split:
    """The deterministic train / held-out split that train and evaluate share."""

    x_train: pd.DataFrame
    x_test: pd.DataFrame
    y_train: pd.Series
    y_test: pd.Series


def split(frame: pd.DataFrame, contract: Contract, settings: Settings) -> Split:
    """Split with the spec's seed and test_size, stratified on the label when classifying."""
    x_train, x_test, y_train, y_test = train_test_split(
        features(frame, contract),
        frame[contract.target],
        test_size=settings.test_size,
        random_state=settings.seed,
        stratify=frame[contract.target] if settings.classification else None,
    )
    return Split(x_train, x_test, y_train, y_test)


def _file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm, usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return _file_digest(path, "sha256")


def dvc_md5(path: Path) -> str:
    """The md5 DVC records for a single file: the plain md5 of its bytes (DVC 3)."""
    return _file_digest(path, "md5")


def dvc_pointer(path: Path) -> dict[str, Any]:
    """The ``outs`` entry of ``<path>.dvc``; TaskError when it is missing or unreadable."""
    pointer = path.with_name(path.name + ".dvc")
    if not pointer.is_file():
        raise TaskError(
            f"{pointer}: not found; data.versioning is dvc: run `make data-push` to track "
            f"{path.name} with DVC, and commit the .dvc file"
        )
    try:
        loaded = yaml.safe_load(pointer.read_text(encoding="utf-8"))
        out = loaded["outs"][0]
        str(out["md5"])
    except (yaml.YAMLError, KeyError, IndexError, TypeError) as exc:
        raise TaskError(f"{pointer}: not a DVC file with outs[0].md5 ({exc})") from None
    return dict(out)
