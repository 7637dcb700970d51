"""Write the sample data sets that the ML repository template ships.

Each sample is a small, deterministic, learnable tabular data set with numeric
and categorical features and a binary label (a numeric target for energy, the
regression sample), plus an unlabelled "incoming"
batch drawn from the same distribution (so that the drift check passes) and
the data contract that describes both.

Run from the repository root (the output is committed)::

    python tools/make_samples.py            # rewrite template/templates/samples/
    python tools/make_samples.py --check    # fail if the committed files differ

Only numpy and PyYAML are needed. The champion baselines
(``champion.json``) are not written here: they are measured by training the
rendered project and set a little below what training reaches.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

OUT_DIR = Path(__file__).resolve().parents[1] / "template" / "templates" / "samples"
TRAIN_ROWS = 500
BATCH_ROWS = 200
TRAIN_SEED = 20240611
BATCH_SEED = 20240612

Rows = dict[str, list[object]]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    result: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return result


def _with_nulls(rng: np.random.Generator, values: list[object], rate: float) -> list[object]:
    mask = rng.random(len(values)) < rate
    return [None if m else v for v, m in zip(values, mask, strict=True)]


def spam(rng: np.random.Generator, n: int, *, first_id: int) -> Rows:
    """Comments posted on a blog; is_spam marks the ones moderators removed."""
    is_spam = (rng.random(n) < 0.35).astype(int)
    s = is_spam == 1
    n_links = np.where(s, rng.poisson(1.8, n), rng.poisson(0.4, n))
    n_chars = np.clip(
        np.where(s, rng.lognormal(5.0, 0.8, n), rng.lognormal(5.4, 0.9, n)), 3, 20000
    ).astype(int)
    caps_ratio = np.clip(np.where(s, rng.beta(2.2, 10, n), rng.beta(1.6, 16, n)), 0, 1)
    exclamations = np.where(s, rng.poisson(1.6, n), rng.poisson(0.6, n))
    spam_words = np.where(s, rng.poisson(1.8, n), rng.poisson(0.4, n))
    account_age_days = np.clip(
        np.where(s, rng.exponential(60, n), rng.exponential(650, n)), 0, 6000
    ).astype(int)
    author_kind = np.where(rng.random(n) < np.where(s, 0.65, 0.35), "guest", "registered").tolist()
    languages = ["en", "de", "fr", "es", "other"]
    language = [
        languages[i]
        for i in np.where(
            s,
            rng.choice(5, n, p=[0.55, 0.08, 0.07, 0.1, 0.2]),
            rng.choice(5, n, p=[0.6, 0.15, 0.12, 0.1, 0.03]),
        )
    ]
    post_hour = np.where(s, rng.integers(0, 24, n), np.clip(rng.normal(15, 4, n), 0, 23)).astype(
        int
    )
    return {
        "comment_id": [f"c{first_id + i:06d}" for i in range(n)],
        "n_chars": n_chars.tolist(),
        "n_links": n_links.tolist(),
        "caps_ratio": [round(float(v), 3) for v in caps_ratio],
        "exclamations": exclamations.tolist(),
        "spam_words": spam_words.tolist(),
        "account_age_days": account_age_days.tolist(),
        "author_kind": author_kind,
        "language": _with_nulls(rng, language, 0.02),
        "post_hour": post_hour.tolist(),
        "is_spam": is_spam.tolist(),
    }


def sensors(rng: np.random.Generator, n: int, *, first_id: int) -> Rows:
    """Daily sensor readings of machines; failure_within_7d is the label."""
    types = ["pump", "compressor", "turbine", "conveyor"]
    type_idx = rng.choice(4, n, p=[0.35, 0.25, 0.15, 0.25])
    base_temp = np.array([55.0, 70.0, 80.0, 45.0])[type_idx]
    base_rpm = np.array([1800.0, 2900.0, 3600.0, 900.0])[type_idx]
    operating_hours = rng.uniform(200, 45000, n)
    days_since_maintenance = rng.gamma(2.0, 45.0, n)
    wear = (
        0.6 * (operating_hours / 45000)
        + 0.9 * np.clip(days_since_maintenance / 180, 0, 2)
        + rng.normal(0, 0.2, n)
    )
    temperature = base_temp + 12 * wear + rng.normal(0, 4, n)
    vibration = np.clip(2.0 + 3.2 * wear + rng.gamma(2.0, 0.6, n), 0.1, 40)
    pressure = np.clip(rng.normal(6.0, 1.2, n) - 0.8 * wear, 0.5, 15)
    rpm = np.clip(base_rpm * (1 + rng.normal(0, 0.05, n)), 300, 4500)
    humidity = np.clip(rng.normal(55, 15, n), 5, 100)
    site = rng.choice(["north", "south", "east"], n, p=[0.4, 0.35, 0.25]).tolist()
    logit = 9.0 * (wear - 1.15) + 0.8 * (type_idx == 2)
    failure = (rng.random(n) < _sigmoid(logit)).astype(int)
    return {
        "reading_id": [f"r{first_id + i:06d}" for i in range(n)],
        "machine_type": [types[i] for i in type_idx],
        "site": site,
        "temperature_c": [round(float(v), 2) for v in temperature],
        "vibration_mm_s": [round(float(v), 3) for v in vibration],
        "pressure_bar": [round(float(v), 3) for v in pressure],
        "rpm": [int(v) for v in rpm],
        "operating_hours": [int(v) for v in operating_hours],
        "days_since_maintenance": [int(v) for v in days_since_maintenance],
        "ambient_humidity": _with_nulls(rng, [round(float(v), 1) for v in humidity], 0.03),
        "failure_within_7d": failure.tolist(),
    }


def loans(rng: np.random.Generator, n: int, *, first_id: int) -> Rows:
    """Consumer loan applications; defaulted marks loans that defaulted within a year."""
    age = np.clip(rng.normal(40, 11, n), 18, 80).astype(int)
    income = np.clip(rng.lognormal(10.9, 0.5, n), 9000, 400000)
    credit_score = np.clip(rng.normal(680, 70, n), 300, 850).astype(int)
    employment_years = np.clip(rng.gamma(2.0, 3.5, n), 0, 45).astype(int)
    purposes = ["debt_consolidation", "car", "home_improvement", "education", "medical", "other"]
    purpose = rng.choice(6, n, p=[0.35, 0.2, 0.15, 0.1, 0.08, 0.12])
    home = rng.choice(["rent", "own", "mortgage"], n, p=[0.4, 0.2, 0.4]).tolist()
    term = rng.choice([12, 24, 36, 48, 60], n, p=[0.1, 0.2, 0.35, 0.15, 0.2])
    loan_amount = np.clip(income * rng.uniform(0.05, 0.45, n), 1000, 50000)
    debt_to_income = np.clip(rng.beta(2.2, 5.0, n) + loan_amount / income * 0.3, 0, 1.5)
    prior_defaults = rng.poisson(np.where(credit_score < 620, 0.8, 0.15))
    interest_rate = np.clip(
        4 + (760 - credit_score) * 0.045 + term * 0.03 + rng.normal(0, 1.2, n), 2, 30
    )
    logit = (
        -1.6
        - 0.021 * (credit_score - 680)
        + 4.2 * (debt_to_income - 0.35)
        + 0.9 * prior_defaults
        + 0.025 * (term - 36)
        - 0.05 * employment_years
        + 0.6 * (purpose == 4)
        + rng.normal(0, 0.3, n)
    )
    defaulted = (rng.random(n) < _sigmoid(logit)).astype(int)
    return {
        "application_id": [f"a{first_id + i:06d}" for i in range(n)],
        "age": age.tolist(),
        "annual_income": [round(float(v), 2) for v in income],
        "loan_amount": [round(float(v), 2) for v in loan_amount],
        "term_months": [int(v) for v in term],
        "interest_rate": [round(float(v), 2) for v in interest_rate],
        "credit_score": credit_score.tolist(),
        "employment_years": _with_nulls(rng, employment_years.tolist(), 0.04),
        "home_ownership": home,
        "purpose": [purposes[i] for i in purpose],
        "debt_to_income": [round(float(v), 3) for v in debt_to_income],
        "prior_defaults": prior_defaults.tolist(),
        "defaulted": defaulted.tolist(),
    }


def energy(rng: np.random.Generator, n: int, *, first_id: int) -> Rows:
    """Daily energy use of office buildings; load_kwh is the day's metered consumption."""
    floor_area = np.clip(rng.lognormal(7.6, 0.45, n), 400, 12000)
    building = rng.choice(["office", "retail", "warehouse"], n, p=[0.5, 0.3, 0.2]).tolist()
    per_m2 = np.array([{"office": 0.11, "retail": 0.15, "warehouse": 0.06}[b] for b in building])
    outdoor_temp = rng.normal(12, 8, n)
    occupancy = np.clip(rng.beta(4, 3, n), 0, 1)
    weekday = rng.random(n) < 5 / 7
    insulation = rng.choice(["poor", "average", "good"], n, p=[0.25, 0.5, 0.25]).tolist()
    leak = np.array([{"poor": 1.35, "average": 1.0, "good": 0.75}[i] for i in insulation])
    year_built = rng.integers(1950, 2024, n)
    heating = np.maximum(0, 18 - outdoor_temp) * 0.004 * leak
    cooling = np.maximum(0, outdoor_temp - 22) * 0.003
    load = floor_area * (
        per_m2 * (0.4 + 0.6 * occupancy * np.where(weekday, 1.0, 0.35)) + heating + cooling
    ) * (1 + (2000 - year_built) * 0.002) + rng.normal(0, 25, n)
    return {
        "meter_id": [f"m{first_id + i:06d}" for i in range(n)],
        "building_type": building,
        "floor_area_m2": [round(float(v), 1) for v in floor_area],
        "year_built": year_built.tolist(),
        "insulation": insulation,
        "outdoor_temp_c": [round(float(v), 1) for v in outdoor_temp],
        "occupancy_rate": _with_nulls(rng, [round(float(v), 3) for v in occupancy], 0.03),
        "is_weekday": weekday.astype(int).tolist(),
        "load_kwh": [round(float(max(v, 1.0)), 1) for v in load],
    }


@dataclass(frozen=True)
class Sample:
    """One sample data set: its generator and its data contract."""

    make: Callable[..., Rows]
    contract: dict[str, object]


SAMPLES: dict[str, Sample] = {
    "spam": Sample(
        make=spam,
        contract={
            "version": 1,
            "description": "Comments posted on the blog, one row per comment, "
            "with is_spam set by the moderators.",
            "target": "is_spam",
            "rows": {"min": 300, "max": 1000000},
            "columns": {
                "comment_id": {"type": "string", "role": "id", "unique": True},
                "n_chars": {"type": "int", "min": 1, "max": 20000},
                "n_links": {"type": "int", "min": 0, "max": 100},
                "caps_ratio": {"type": "float", "min": 0.0, "max": 1.0},
                "exclamations": {"type": "int", "min": 0, "max": 200},
                "spam_words": {"type": "int", "min": 0, "max": 200},
                "account_age_days": {"type": "int", "min": 0, "max": 10000},
                "author_kind": {"type": "category", "allowed": ["guest", "registered"]},
                "language": {
                    "type": "category",
                    "allowed": ["en", "de", "fr", "es", "other"],
                    "max_null_rate": 0.05,
                },
                "post_hour": {"type": "int", "min": 0, "max": 23},
                "is_spam": {"type": "int", "allowed": [0, 1]},
            },
        },
    ),
    "sensors": Sample(
        make=sensors,
        contract={
            "version": 1,
            "description": "Daily sensor readings per machine; failure_within_7d "
            "is 1 when the machine failed within the next seven days.",
            "target": "failure_within_7d",
            "rows": {"min": 300, "max": 1000000},
            "columns": {
                "reading_id": {"type": "string", "role": "id", "unique": True},
                "machine_type": {
                    "type": "category",
                    "allowed": ["pump", "compressor", "turbine", "conveyor"],
                },
                "site": {"type": "category", "allowed": ["north", "south", "east"]},
                "temperature_c": {"type": "float", "min": -20.0, "max": 200.0},
                "vibration_mm_s": {"type": "float", "min": 0.0, "max": 50.0},
                "pressure_bar": {"type": "float", "min": 0.0, "max": 20.0},
                "rpm": {"type": "int", "min": 0, "max": 6000},
                "operating_hours": {"type": "int", "min": 0, "max": 100000},
                "days_since_maintenance": {"type": "int", "min": 0, "max": 3650},
                "ambient_humidity": {
                    "type": "float",
                    "min": 0.0,
                    "max": 100.0,
                    "max_null_rate": 0.1,
                },
                "failure_within_7d": {"type": "int", "allowed": [0, 1]},
            },
        },
    ),
    "loans": Sample(
        make=loans,
        contract={
            "version": 1,
            "description": "Consumer loan applications at booking time; defaulted "
            "is 1 when the loan defaulted within twelve months.",
            "target": "defaulted",
            "rows": {"min": 300, "max": 1000000},
            "columns": {
                "application_id": {"type": "string", "role": "id", "unique": True},
                "age": {"type": "int", "min": 18, "max": 100},
                "annual_income": {"type": "float", "min": 0.0, "max": 5000000.0},
                "loan_amount": {"type": "float", "min": 500.0, "max": 100000.0},
                "term_months": {"type": "int", "allowed": [12, 24, 36, 48, 60]},
                "interest_rate": {"type": "float", "min": 0.0, "max": 40.0},
                "credit_score": {"type": "int", "min": 300, "max": 850},
                "employment_years": {
                    "type": "int",
                    "min": 0,
                    "max": 60,
                    "max_null_rate": 0.1,
                },
                "home_ownership": {"type": "category", "allowed": ["rent", "own", "mortgage"]},
                "purpose": {
                    "type": "category",
                    "allowed": [
                        "debt_consolidation",
                        "car",
                        "home_improvement",
                        "education",
                        "medical",
                        "other",
                    ],
                },
                "debt_to_income": {"type": "float", "min": 0.0, "max": 3.0},
                "prior_defaults": {"type": "int", "min": 0, "max": 20},
                "defaulted": {"type": "int", "allowed": [0, 1]},
            },
        },
    ),
    "energy": Sample(
        make=energy,
        contract={
            "version": 1,
            "description": "Daily metered energy use of commercial buildings; load_kwh "
            "is the day's consumption (a regression target).",
            "target": "load_kwh",
            "rows": {"min": 300, "max": 1000000},
            "columns": {
                "meter_id": {"type": "string", "role": "id", "unique": True},
                "building_type": {
                    "type": "category",
                    "allowed": ["office", "retail", "warehouse"],
                },
                "floor_area_m2": {"type": "float", "min": 50.0, "max": 100000.0},
                "year_built": {"type": "int", "min": 1800, "max": 2100},
                "insulation": {"type": "category", "allowed": ["poor", "average", "good"]},
                "outdoor_temp_c": {"type": "float", "min": -40.0, "max": 50.0},
                "occupancy_rate": {
                    "type": "float",
                    "min": 0.0,
                    "max": 1.0,
                    "max_null_rate": 0.1,
                },
                "is_weekday": {"type": "int", "allowed": [0, 1]},
                "load_kwh": {"type": "float", "min": 0.0, "max": 100000.0},
            },
        },
    ),
}


def _csv_text(rows: Rows, *, drop: str | None = None) -> str:
    columns = [c for c in rows if c != drop]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for i in range(len(rows[columns[0]])):
        writer.writerow(["" if rows[c][i] is None else rows[c][i] for c in columns])
    return buf.getvalue()


def render(name: str) -> dict[str, str]:
    """Return the files of one sample, by file name."""
    sample = SAMPLES[name]
    target = str(sample.contract["target"])
    train = sample.make(np.random.default_rng(TRAIN_SEED), TRAIN_ROWS, first_id=1)
    batch = sample.make(np.random.default_rng(BATCH_SEED), BATCH_ROWS, first_id=TRAIN_ROWS + 1)
    header = (
        "# Data contract, checked by `make data-validate` (python -m <package>.validate).\n"
        "# Per column: type (int | float | category | string), min / max, allowed values,\n"
        "# max_null_rate (default 0: no empty cells), unique; role: id columns are not features.\n"
    )
    contract = header + yaml.safe_dump(sample.contract, sort_keys=False, width=100)
    return {
        "train.csv": _csv_text(train),
        "batch.csv": _csv_text(batch, drop=target),
        "contract.yaml": contract,
    }


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) every sample's files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if files differ")
    args = parser.parse_args(argv)
    stale = []
    for name in SAMPLES:
        for filename, text in render(name).items():
            path = OUT_DIR / name / filename
            if args.check:
                if not path.is_file() or path.read_text(encoding="utf-8") != text:
                    stale.append(path)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"{path}: out of date, run python tools/make_samples.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
