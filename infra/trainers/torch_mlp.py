#!/usr/bin/env python3
"""driftloop's reference PyTorch trainer: a ReLU MLP on tabular snapshots.

Speaks the external trainer command protocol, ``driftloop.trainer/1``::

    python3 torch_mlp.py <spec.json>      (or the path in $DRIFTLOOP_SPEC)

It reads the spec, trains on ``data.train`` with preprocessing fitted there,
prints one JSON line per epoch on stdout (nothing else goes to stdout), and
writes to ``output_dir``:

- ``model.json``: the network in driftloop's own servable format
  (``driftloop.builtin`` v1, preprocessing included), which the gateway serves
  without an ONNX runtime;
- ``model.onnx``: the network on preprocessed float32 input, with softmax output;
- ``metrics.json``: final validation and test metrics, the artifacts, the device.

Params, preprocessing and metrics follow driftloop's builtin TypeScript
trainer (services/trainer/builtin) so that both kinds of trial compare on
equal terms in one search.

Exit codes: 0 success; 64 bad spec or params; 65 bad data; 75 a failure
another attempt may fix (CUDA out of memory, transient I/O error); 143 on
SIGTERM (pruning or cancellation); 1 anything else. Errors go to stderr as one
line starting with ``torch_mlp: ``.

Needs Python 3.9+, numpy and torch 1.13 to 2.x; nothing else.
"""

from __future__ import annotations

import csv
import errno
import gzip
import inspect
import json
import math
import os
import re
import signal
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import IO, Any, NoReturn, Optional, Union

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from torch import nn

PROTOCOL = "driftloop.trainer/1"

EXIT_USAGE = 64  # sysexits EX_USAGE: the spec or its params are wrong
EXIT_DATA = 65  # EX_DATAERR: a data file is unreadable or inconsistent
EXIT_RETRIABLE = 75  # EX_TEMPFAIL: driftloop may run the trial again

# Probabilities are clipped to [1e-15, 1] in reported losses, as in driftloop's
# metrics: one confident mistake costs at most -ln(1e-15) ~ 34.5.
MAX_EXAMPLE_LOSS = -math.log(1e-15)

# Rows scored per forward pass at evaluation, bounding activation memory.
SCORE_CHUNK_ROWS = 65536

# Errors reading inputs that another attempt may not meet (flaky network file
# systems, a busy device); anything else (no such file, permission) is a data error.
TRANSIENT_ERRNOS = frozenset(
    {errno.EAGAIN, errno.EBUSY, errno.EINTR, errno.EIO, errno.ESTALE, errno.ETIMEDOUT,
     errno.ECONNRESET, errno.ENETDOWN, errno.ENETUNREACH, errno.EHOSTDOWN, errno.EHOSTUNREACH}
)


# --- Errors ---------------------------------------------------------------


class TrainerError(Exception):
    """A failure with a known exit code; its message is the stderr line."""

    exit_code = 1


class UsageError(TrainerError):
    exit_code = EXIT_USAGE


class DataError(TrainerError):
    exit_code = EXIT_DATA


class RetriableError(TrainerError):
    exit_code = EXIT_RETRIABLE


def warn(message: str) -> None:
    print(f"torch_mlp: warning: {message}", file=sys.stderr, flush=True)


def code_units(text: str) -> bytes:
    """Sort key for UTF-16 code-unit order, the order of driftloop's compareStrings.

    Python compares code points, which differs for characters beyond U+FFFF;
    big-endian UTF-16 bytes compare exactly like the code units they encode.
    """
    return text.encode("utf-16-be", "surrogatepass")


# --- Params ---------------------------------------------------------------


@dataclass(frozen=True)
class NumberRule:
    low: float
    high: float
    low_open: bool = False
    high_open: bool = False
    integer: bool = False

    def describe(self) -> str:
        kind = "an integer" if self.integer else "a number"
        return f"{kind} {'>' if self.low_open else '>='} {self.low:.15g} and {'<' if self.high_open else '<='} {self.high:.15g}"


# Ranges and defaults as in services/trainer/builtin/params.ts.
NUMBER_RULES: dict[str, NumberRule] = {
    "lr": NumberRule(0, 10, low_open=True),
    "batchSize": NumberRule(1, 1_000_000, integer=True),
    "epochs": NumberRule(1, 100_000, integer=True),
    "l2": NumberRule(0, 1e6),
    "beta1": NumberRule(0, 1, high_open=True),
    "beta2": NumberRule(0, 1, high_open=True),
    "epsilon": NumberRule(0, 1, low_open=True),
    "maxCategories": NumberRule(1, 100_000, integer=True),
    "dropout": NumberRule(0, 1, high_open=True),
}
ALLOWED_PARAMS = ("lr", "batchSize", "epochs", "l2", "beta1", "beta2", "epsilon", "maxCategories", "positiveClass", "hidden", "dropout")
MAX_HIDDEN_LAYERS = 16
MAX_HIDDEN_WIDTH = 4096


@dataclass(frozen=True)
class Params:
    """Training params with defaults filled in (see builtin/params.ts for their meaning)."""

    lr: float = 0.01
    batchSize: int = 32
    epochs: int = 20
    l2: float = 0.0  # objective adds l2/2 * sum of squared weights (biases excluded)
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    maxCategories: int = 100
    hidden: tuple[int, ...] = (32,)
    dropout: float = 0.0  # inverted dropout on hidden activations while training
    positiveClass: Optional[str] = None  # binary only; None: the second class in sorted order

    def recorded(self) -> dict[str, Any]:
        """The params as model.json records them: every value explicit, positiveClass only when given."""
        out: dict[str, Any] = {
            "lr": self.lr, "batchSize": self.batchSize, "epochs": self.epochs, "l2": self.l2, "beta1": self.beta1, "beta2": self.beta2,
            "epsilon": self.epsilon, "maxCategories": self.maxCategories, "hidden": list(self.hidden), "dropout": self.dropout,
        }
        if self.positiveClass is not None:
            out["positiveClass"] = self.positiveClass
        return out


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_number(name: str, value: Any) -> Union[int, float]:
    rule = NUMBER_RULES[name]
    ok = (
        is_number(value)
        and math.isfinite(value)
        and (value > rule.low if rule.low_open else value >= rule.low)
        and (value < rule.high if rule.high_open else value <= rule.high)
        and (not rule.integer or float(value).is_integer())
    )
    if not ok:
        raise UsageError(f"params.{name} must be {rule.describe()} (got {json.dumps(value)})")
    return int(value) if rule.integer else float(value)


def check_hidden(value: Any) -> tuple[int, ...]:
    """Hidden widths from a list, a number (one layer) or a string such as "64,32"."""
    widths: list[Any]
    if is_number(value):
        widths = [value]
    elif isinstance(value, str):
        widths = []
        for part in value.split(","):
            try:
                widths.append(float(part))
            except ValueError:
                widths.append(None)
    elif isinstance(value, list):
        widths = value
    else:
        widths = []
    ok = 1 <= len(widths) <= MAX_HIDDEN_LAYERS and all(
        is_number(w) and math.isfinite(w) and float(w).is_integer() and 1 <= w <= MAX_HIDDEN_WIDTH for w in widths
    )
    if not ok:
        raise UsageError(
            f"params.hidden must be 1 to {MAX_HIDDEN_LAYERS} layer widths, integers from 1 to {MAX_HIDDEN_WIDTH}, "
            f'as a list, a number or a string such as "64,32" (got {json.dumps(value)})'
        )
    return tuple(int(w) for w in widths)


def resolve_params(raw: Any) -> Params:
    """Checks params (unknown names, types, ranges) and fills in defaults."""
    if not isinstance(raw, dict):
        raise UsageError(f"params must be an object (got {json.dumps(raw)})")
    for name in raw:
        if name not in ALLOWED_PARAMS:
            raise UsageError(f"unknown param {json.dumps(name)} (allowed: {', '.join(ALLOWED_PARAMS)})")
    values: dict[str, Any] = {name: check_number(name, raw[name]) for name in NUMBER_RULES if name in raw}
    if "hidden" in raw:
        values["hidden"] = check_hidden(raw["hidden"])
    if "positiveClass" in raw:
        positive = raw["positiveClass"]
        if not isinstance(positive, str) or positive == "":
            raise UsageError(f"params.positiveClass must be a non-empty string naming a class (got {json.dumps(positive)})")
        values["positiveClass"] = positive
    return Params(**values)


# --- Spec -----------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """The parts of a driftloop.trainer/1 spec this trainer acts on."""

    run_id: str  # run_id and trial name the run in log lines
    trial: str
    train: str
    validation: str
    test: str
    params: Params
    seed: int
    device: str
    output_dir: str


def spec_path_from(argv: list[str]) -> str:
    """The spec path: the last argument, else $DRIFTLOOP_SPEC."""
    path = argv[-1] if len(argv) > 1 else os.environ.get("DRIFTLOOP_SPEC", "")
    if not path:
        raise UsageError("usage: torch_mlp.py <spec.json> (or set DRIFTLOOP_SPEC)")
    return path


def non_empty_string(doc: dict[str, Any], key: str, where: str = "") -> str:
    value = doc.get(key)
    if not isinstance(value, str) or value == "":
        raise UsageError(f"spec {where}{key} must be a non-empty string (got {json.dumps(value)})")
    return value


def read_spec(path: str) -> Spec:
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as e:
        raise UsageError(f"cannot read the spec {path}: {e.strerror or e}") from e
    except ValueError as e:
        raise UsageError(f"the spec {path} is not JSON: {e}") from e
    if not isinstance(doc, dict):
        raise UsageError(f"the spec {path} must be a JSON object")
    if doc.get("protocol") != PROTOCOL:
        raise UsageError(f"spec protocol must be {json.dumps(PROTOCOL)} (got {json.dumps(doc.get('protocol'))})")
    data = doc.get("data")
    if not isinstance(data, dict):
        raise UsageError("spec data must be an object with format, train, validation and test")
    if data.get("format") != "csv":
        raise UsageError(f'spec data.format must be "csv" (got {json.dumps(data.get("format"))})')
    seed = doc.get("seed")
    if not (isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed <= 0xFFFFFFFF):
        raise UsageError(f"spec seed must be an integer from 0 to 4294967295 (got {json.dumps(seed)})")
    device = doc.get("device", "cpu")
    if device not in ("cuda", "cpu"):
        raise UsageError(f'spec device must be "cuda" or "cpu" (got {json.dumps(device)})')
    return Spec(
        run_id=str(doc.get("run_id", "")),
        trial=str(doc.get("trial", "")),
        train=non_empty_string(data, "train", "data."),
        validation=non_empty_string(data, "validation", "data."),
        test=non_empty_string(data, "test", "data."),
        params=resolve_params(doc.get("params", {})),
        seed=seed,
        device=device,
        output_dir=non_empty_string(doc, "output_dir"),
    )


# --- Snapshot CSV files ---------------------------------------------------


@dataclass
class Table:
    """One snapshot file, by column: NaN is a missing number, None a missing category."""

    labels: list[str]
    numeric: dict[str, NDArray[np.float64]]
    categorical: dict[str, list[Optional[str]]]

    @property
    def rows(self) -> int:
        return len(self.labels)


class RecordText:
    """The lines of a file for csv.reader, keeping those of the record being parsed.

    csv.reader pulls exactly one record's lines before yielding it, so after
    each record ``take()`` returns that record's raw text.
    """

    def __init__(self, lines: IO[str]) -> None:
        self._lines = lines
        self._current: list[str] = []

    def __iter__(self) -> RecordText:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self._current.append(line)
        return line

    def take(self) -> str:
        text = "".join(self._current)
        self._current.clear()
        return text


def quoted_fields(raw: str, values: list[str]) -> list[bool]:
    """Which fields of a record were quoted, from its raw text and the values csv.reader (strict) parsed from it."""
    flags = []
    at = 0
    for value in values:
        quoted = raw.startswith('"', at)
        flags.append(quoted)
        # A quoted field is its value between quotes with each quote doubled; then a comma.
        at += (len(value) + value.count('"') + 2 if quoted else len(value)) + 1
    return flags


# A numeric field that is a missing value rather than a number (as in builtin/csv.ts).
MISSING_NUMBER = re.compile(r"(nan|[+-]?inf(inity)?)", re.IGNORECASE)
COLUMN = re.compile(r"(num|cat):(.+)", re.DOTALL)


def open_text(path: str) -> IO[str]:
    """A snapshot file as text (gunzipped when it ends in .gz), for csv.reader."""
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def read_table(path: str) -> Table:
    """Reads a snapshot CSV: ``event_id,label,num:<name>...,cat:<name>...``, RFC 4180 quoting.

    An empty field is missing, as is an unquoted ``\\N`` (ClickHouse's NULL)
    and, in numeric columns, nan and inf. Malformed files raise DataError;
    OS errors that look transient raise RetriableError.
    """
    try:
        with open_text(path) as f:
            return parse_table(f, path)
    except OSError as e:
        error = RetriableError if e.errno in TRANSIENT_ERRNOS else DataError
        raise error(f"cannot read {path}: {e.strerror or e}") from e
    except (csv.Error, UnicodeDecodeError, EOFError) as e:
        raise DataError(f"{path}: not a readable CSV file: {e}") from e


def parse_table(f: IO[str], path: str) -> Table:
    """read_table on an open file; ``path`` names it in errors."""
    lines = RecordText(f)
    reader = csv.reader(lines, strict=True)
    header = next(reader, None)
    lines.take()
    if header is None:
        raise DataError(f"{path}: has no header")
    if header[:2] != ["event_id", "label"]:
        raise DataError(f"{path}:1: the header must start with event_id,label (got {','.join(header[:2])})")
    columns: list[tuple[str, str]] = []
    for i, title in enumerate(header[2:], start=3):
        match = COLUMN.fullmatch(title)
        if match is None:
            raise DataError(f"{path}:1: column {i} {json.dumps(title)} must be num:<name> or cat:<name>")
        columns.append((match.group(1), match.group(2)))
    if len(set(columns)) != len(columns):
        raise DataError(f"{path}:1: the header repeats a column")

    labels: list[str] = []
    numbers: list[list[float]] = [[] for _ in columns]
    categories: list[list[Optional[str]]] = [[] for _ in columns]
    for fields in reader:
        raw = lines.take()
        if not fields:  # a blank line carries no record
            continue
        where = f"{path}:{reader.line_num}"
        if len(fields) != len(header):
            raise DataError(f"{where}: has {len(fields)} fields, the header {len(header)}")
        if fields[1] == "":
            raise DataError(f"{where}: label is empty")
        labels.append(fields[1])
        # csv.reader drops quotes, yet an unquoted \N is a NULL and a quoted one the text \N:
        # a record holding that text is looked at again, raw, to tell which is which.
        quoted = quoted_fields(raw, fields) if "\\N" in fields else None
        for c, (kind, name) in enumerate(columns):
            value = fields[c + 2]
            missing = value == "" or (value == "\\N" and quoted is not None and not quoted[c + 2])
            if kind == "cat":
                categories[c].append(None if missing else value)
                continue
            text = value.strip()
            if missing or MISSING_NUMBER.fullmatch(text):
                numbers[c].append(math.nan)
                continue
            try:
                number = float(text)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                raise DataError(f"{where}: num:{name} {json.dumps(value)} is not a number")
            numbers[c].append(number)
    return Table(
        labels=labels,
        numeric={name: np.array(numbers[c], dtype=np.float64) for c, (kind, name) in enumerate(columns) if kind == "num"},
        categorical={name: categories[c] for c, (kind, name) in enumerate(columns) if kind == "cat"},
    )


# --- Preprocessing (as builtin/preprocess.ts) -----------------------------


@dataclass(frozen=True)
class NumericFeature:
    name: str
    mean: float
    std: float  # population std of the present train values; 0 where they are all equal (the feature then contributes nothing)


@dataclass(frozen=True)
class CategoricalFeature:
    name: str
    categories: list[str]  # sorted; the maxCategories most frequent train values
    other: bool  # train had more distinct values: one extra column takes every value outside `categories`


@dataclass(frozen=True)
class Preprocessing:
    numeric: list[NumericFeature]
    categorical: list[CategoricalFeature]

    @property
    def width(self) -> int:
        return len(self.numeric) + sum(len(f.categories) + f.other for f in self.categorical)

    def to_json(self) -> dict[str, Any]:
        return {
            "numeric": [{"name": f.name, "mean": f.mean, "std": f.std} for f in self.numeric],
            "categorical": [{"name": f.name, "categories": f.categories, "other": f.other} for f in self.categorical],
        }


def sequential_sum(values: NDArray[np.float64]) -> float:
    """The sum added left to right, as the builtin trainer's loop does (numpy's sum is
    pairwise), so that both fit bit-identical means and stds on the same file."""
    return float(np.cumsum(values)[-1])


def fit_preprocessing(train: Table, max_categories: int) -> Preprocessing:
    """Standardization and one-hot vocabularies fitted on train only.

    Like the builtin trainer, which sees a feature only where a row has a
    value, a column with no present train value is not a feature; one whose
    present values are all equal gets std 0, so that it contributes nothing
    when it varies later (Elec2's Victorian columns, constant for a year).
    """
    numeric = []
    for name in sorted(train.numeric, key=code_units):
        present = train.numeric[name][~np.isnan(train.numeric[name])]
        if present.size == 0:
            continue
        mean = sequential_sum(present) / present.size
        if present.min() == present.max():
            # Tested directly, as in the builtin trainer: the computed std of equal values is a rounding residue, rarely 0.
            numeric.append(NumericFeature(name, mean, 0.0))
            continue
        std = math.sqrt(sequential_sum((present - mean) ** 2) / present.size)
        numeric.append(NumericFeature(name, mean, std if std > 0 and math.isfinite(std) else 1.0))
    categorical = []
    for name in sorted(train.categorical, key=code_units):
        counts = Counter(v for v in train.categorical[name] if v is not None)
        if not counts:
            continue
        # Most frequent first, ties by value; the kept values are then stored sorted.
        ranked = sorted(counts.items(), key=lambda item: (-item[1], code_units(item[0])))
        kept = sorted((value for value, _ in ranked[:max_categories]), key=code_units)
        categorical.append(CategoricalFeature(name, kept, len(counts) > max_categories))
    return Preprocessing(numeric, categorical)


def transform(pre: Preprocessing, table: Table) -> NDArray[np.float32]:
    """Rows to the float32 input matrix: standardized numerics (missing: 0, the train
    mean; a feature with std 0, constant in train: 0 in every row), then each
    categorical's one-hot columns (missing: all zeros; outside the vocabulary: the
    other column where there is one, else all zeros). A feature the file lacks is
    missing in every row."""
    x = np.zeros((table.rows, pre.width), dtype=np.float64)
    for c, f in enumerate(pre.numeric):
        if f.std > 0 and f.name in table.numeric:
            x[:, c] = np.nan_to_num((table.numeric[f.name] - f.mean) / f.std, nan=0.0)
    row_index = np.arange(table.rows)
    c = len(pre.numeric)
    for f in pre.categorical:
        values = table.categorical.get(f.name)
        if values is not None:
            index = {value: i for i, value in enumerate(f.categories)}
            unseen = len(f.categories) if f.other else -1
            column = np.array([-1 if v is None else index.get(v, unseen) for v in values], dtype=np.int64)
            hit = column >= 0
            x[row_index[hit], c + column[hit]] = 1.0
        c += len(f.categories) + f.other
    return x.astype(np.float32)


def encode_labels(classes: list[str], table: Table, path: str) -> NDArray[np.int64]:
    index = {label: k for k, label in enumerate(classes)}
    try:
        return np.array([index[label] for label in table.labels], dtype=np.int64)
    except KeyError as e:
        raise DataError(f"{path}: label {json.dumps(e.args[0])} is not a class seen in train (classes: {', '.join(classes)})") from None


# --- Metrics (as builtin/metrics.ts) --------------------------------------


def roc_auc(scores: NDArray[np.float64], positive: NDArray[np.bool_]) -> float:
    """ROC AUC from ranks (Mann-Whitney U), ties averaged; NaN when a class is absent."""
    n = scores.size
    positives = int(positive.sum())
    negatives = n - positives
    if positives == 0 or negatives == 0:
        return math.nan
    order = np.argsort(scores, kind="stable")
    ordered = scores[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], n]
    group_rank = (starts + ends + 1) / 2  # mean 1-based rank of each run of tied scores
    ranks = np.empty(n)
    ranks[order] = np.repeat(group_rank, ends - starts)
    return float((ranks[positive].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def score_metrics(logits: NDArray[np.float32], y: NDArray[np.int64], positive_index: Optional[int], prefix: str) -> dict[str, float]:
    """Cross-entropy (clipped), accuracy and, for binary problems, AUC of P(positive)."""
    shifted = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    probabilities = np.exp(log_p)
    metrics = {
        f"{prefix}_loss": float(np.minimum(-log_p[np.arange(y.size), y], MAX_EXAMPLE_LOSS).mean()),
        f"{prefix}_accuracy": float((probabilities.argmax(axis=1) == y).mean()),
    }
    if positive_index is not None:
        metrics[f"{prefix}_auc"] = roc_auc(probabilities[:, positive_index], y == positive_index)
    return metrics


def finite_only(metrics: dict[str, float]) -> dict[str, float]:
    """JSON has no NaN: a metric that is not finite (AUC with one class present) is left out."""
    return {name: value for name, value in metrics.items() if math.isfinite(value)}


# --- Network --------------------------------------------------------------


def build_network(widths: list[int], dropout: float) -> nn.Sequential:
    """Linear layers for widths [inputs, *hidden, classes]: ReLU (then dropout) after
    each hidden one, logits out. He-normal weights and zero biases, as the builtin MLP."""
    modules: list[nn.Module] = []
    for i in range(1, len(widths)):
        linear = nn.Linear(widths[i - 1], widths[i])
        nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        nn.init.zeros_(linear.bias)
        modules.append(linear)
        if i < len(widths) - 1:
            modules.append(nn.ReLU())
            if dropout > 0:
                modules.append(nn.Dropout(dropout))
    return nn.Sequential(*modules)


def linear_layers(net: nn.Sequential) -> list[nn.Linear]:
    return [m for m in net if isinstance(m, nn.Linear)]


@torch.no_grad()
def logits_of(net: nn.Sequential, x: torch.Tensor) -> NDArray[np.float32]:
    net.eval()
    return torch.cat([net(x[start : start + SCORE_CHUNK_ROWS]).cpu() for start in range(0, x.shape[0], SCORE_CHUNK_ROWS)]).numpy()


# --- Run data ---------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """Train, validation and test as the network sees them, with what was fitted on train."""

    pre: Preprocessing
    classes: list[str]  # sorted distinct train labels: the output columns in this order
    positive: Optional[str]  # binary: the class whose probability is the score; multi-class: None
    x: dict[str, torch.Tensor]  # "train", "validation", "test": float32 inputs on the device
    y: dict[str, NDArray[np.int64]]  # their class indices

    @property
    def positive_index(self) -> Optional[int]:
        return None if self.positive is None else self.classes.index(self.positive)


def positive_class(classes: list[str], requested: Optional[str]) -> Optional[str]:
    """Binary problems: the requested class, by default the second; multi-class: None."""
    if len(classes) == 2:
        positive = classes[1] if requested is None else requested
        if positive not in classes:
            raise UsageError(f"params.positiveClass {json.dumps(positive)} is not a class (classes: {', '.join(classes)})")
        return positive
    if requested is not None:
        raise UsageError(f"params.positiveClass applies to binary problems only (found {len(classes)} classes)")
    return None


def prepare(spec: Spec, device: torch.device) -> Prepared:
    """Reads the three files, fits preprocessing and classes on train, transforms all three."""
    paths = {"train": spec.train, "validation": spec.validation, "test": spec.test}
    tables = {name: read_table(path) for name, path in paths.items()}
    train_table = tables["train"]
    if train_table.rows == 0:
        raise DataError(f"{spec.train}: train has no rows")
    classes = sorted(set(train_table.labels), key=code_units)
    if len(classes) < 2:
        raise DataError(f"{spec.train}: train needs at least 2 classes (found {len(classes)}: {', '.join(classes)})")
    pre = fit_preprocessing(train_table, spec.params.maxCategories)
    return Prepared(
        pre=pre,
        classes=classes,
        positive=positive_class(classes, spec.params.positiveClass),
        x={name: torch.from_numpy(transform(pre, table)).to(device) for name, table in tables.items()},
        y={name: encode_labels(classes, table, paths[name]) for name, table in tables.items()},
    )


# --- Artifacts ------------------------------------------------------------


def model_json(net: nn.Sequential, data: Prepared, spec: Spec) -> dict[str, Any]:
    """The network as a driftloop.builtin v1 artifact. A layer computes
    activation(input · W + b) with W row-major, rows = inputs: torch's Linear
    weight is [outputs, inputs], hence the transpose. float32 values are
    written as the doubles they are, so the TypeScript predictor uses the
    very same weights."""
    linears = linear_layers(net)
    layers = [
        {
            "weights": layer.weight.detach().cpu().t().contiguous().flatten().tolist(),
            "bias": layer.bias.detach().cpu().tolist(),
            "rows": layer.in_features,
            "cols": layer.out_features,
            "activation": "softmax" if i == len(linears) - 1 else "relu",
        }
        for i, layer in enumerate(linears)
    ]
    return {
        "format": "driftloop.builtin",
        "version": 1,
        "algorithm": "mlp",
        "classes": data.classes,
        "positive_class": data.positive,
        "preprocessing": data.pre.to_json(),
        "layers": layers,
        "params": spec.params.recorded(),
        "seed": spec.seed,
        "trained_rows": int(data.y["train"].size),
        "created_with": f"driftloop torch_mlp.py (torch {torch.__version__})",
    }


def export_onnx(net: nn.Sequential, width: int, path: str) -> None:
    """The network on preprocessed input: "input" float32 [batch, width] to
    "probabilities" [batch, classes], batch dynamic; exported from a CPU copy."""
    model = nn.Sequential(*net.cpu(), nn.Softmax(dim=1)).eval()  # eval: dropout is the identity
    options: dict[str, Any] = {}
    # torch >= 2.5 also has the dynamo exporter (the default from 2.9), which needs onnxscript: keep the TorchScript one.
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        options["dynamo"] = False
    torch.onnx.export(
        model,
        (torch.zeros(1, width),),
        path,
        input_names=["input"],
        output_names=["probabilities"],
        dynamic_axes={"input": {0: "batch"}, "probabilities": {0: "batch"}},
        opset_version=13,
        **options,
    )


def write_json(path: str, doc: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, allow_nan=False, separators=(",", ":"))
        f.write("\n")


# --- Training -------------------------------------------------------------


def pick_device(requested: str) -> tuple[torch.device, str]:
    """The torch device and how metrics.json names it. The executor sets
    CUDA_VISIBLE_DEVICES to the slot, so the GPU is always cuda:0."""
    if requested == "cuda":
        if torch.cuda.is_available():
            return torch.device("cuda:0"), f"cuda:0 ({torch.cuda.get_device_name(0)})"
        warn("device cuda requested but CUDA is not available: training on the CPU")
    return torch.device("cpu"), "cpu"


def fit(net: nn.Sequential, data: Prepared, params: Params, seed: int, emit: Callable[[dict[str, Any]], None]) -> tuple[dict[str, float], list[float]]:
    """Mini-batch Adam on train, scoring validation (when it has rows) after each
    epoch and emitting the epoch line. Returns the last epoch's metrics and the
    seconds each epoch took."""
    x = data.x["train"]
    y = torch.from_numpy(data.y["train"]).to(x.device)
    rows = x.shape[0]
    batch_size = min(params.batchSize, rows)
    shuffle = torch.Generator().manual_seed(seed)  # its own stream: dropout does not change the batch order
    weights = [layer.weight for layer in linear_layers(net)]
    optimizer = torch.optim.Adam(net.parameters(), lr=params.lr, betas=(params.beta1, params.beta2), eps=params.epsilon)
    metrics: dict[str, float] = {}
    seconds: list[float] = []
    for epoch in range(1, params.epochs + 1):
        started = time.perf_counter()
        net.train()
        order = torch.randperm(rows, generator=shuffle).to(x.device)
        loss_sum = torch.zeros((), dtype=torch.float64, device=x.device)  # summed on the device: no sync per batch
        for start in range(0, rows, batch_size):
            batch = order[start : start + batch_size]
            example_loss = F.cross_entropy(net(x[batch]), y[batch], reduction="none")
            objective = example_loss.mean()
            if params.l2 > 0:
                objective = objective + params.l2 / 2 * sum(w.pow(2).sum() for w in weights)
            optimizer.zero_grad(set_to_none=True)
            objective.backward()
            optimizer.step()
            loss_sum += example_loss.detach().clamp(max=MAX_EXAMPLE_LOSS).sum()
        # Mean training cross-entropy per example over the epoch (dropout on, L2 excluded).
        metrics = {"loss": loss_sum.item() / rows}
        if not math.isfinite(metrics["loss"]):
            raise TrainerError(f"training diverged in epoch {epoch}: the loss is {metrics['loss']} (lr too large, or inputs beyond float32)")
        if data.y["validation"].size > 0:
            metrics.update(score_metrics(logits_of(net, data.x["validation"]), data.y["validation"], data.positive_index, "val"))
        seconds.append(time.perf_counter() - started)
        emit({"epoch": epoch, "metrics": finite_only(metrics), "elapsed_s": round(seconds[-1], 4)})
    return metrics, seconds


def train(spec: Spec, emit: Callable[[dict[str, Any]], None]) -> None:
    """The whole run: data, training, then model.json, model.onnx and metrics.json in output_dir."""
    device, device_name = pick_device(spec.device)
    data = prepare(spec, device)
    rows = data.y["train"].size
    print(
        f"torch_mlp: run {spec.run_id} trial {spec.trial}: {rows} train rows, {data.y['validation'].size} validation, "
        f"{data.y['test'].size} test; {data.pre.width} inputs, {len(data.classes)} classes; {device_name}",
        file=sys.stderr,
        flush=True,
    )
    torch.manual_seed(spec.seed)  # initial weights, then dropout masks
    net = build_network([data.pre.width, *spec.params.hidden, len(data.classes)], spec.params.dropout).to(device)
    last, seconds = fit(net, data, spec.params, spec.seed, emit)

    final = {name: value for name, value in last.items() if name != "loss"}
    if data.y["test"].size > 0:
        final.update(score_metrics(logits_of(net, data.x["test"]), data.y["test"], data.positive_index, "test"))
    final.update(trained_rows=rows, epoch_seconds=sum(seconds) / len(seconds))

    os.makedirs(spec.output_dir, exist_ok=True)
    write_json(os.path.join(spec.output_dir, "model.json"), model_json(net, data, spec))
    export_onnx(net, data.pre.width, os.path.join(spec.output_dir, "model.onnx"))
    # metrics.json last: the artifacts it lists are all in place before it exists.
    write_json(
        os.path.join(spec.output_dir, "metrics.json"),
        {
            "metrics": finite_only(final),
            "artifacts": [{"name": "model", "path": "model.json"}, {"name": "onnx", "path": "model.onnx"}],
            "device": device_name,
            "torch": torch.__version__,
        },
    )


# --- Entry point ----------------------------------------------------------


def on_signal(signum: int, _frame: Optional[FrameType]) -> NoReturn:
    """SIGTERM (pruning, cancellation) or SIGINT: stop at once. os.write, not print:
    the signal may arrive in the middle of another write to stderr."""
    os.write(2, f"torch_mlp: stopped by {signal.Signals(signum).name}\n".encode())
    os._exit(128 + signum)


def epoch_writer() -> Callable[[dict[str, Any]], None]:
    """Keeps stdout for the epoch lines alone: they go to a duplicate of the
    original stdout, and file descriptor 1 is pointed at stderr, so that
    whatever else writes to stdout (torch's C++ side included) lands there."""
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)

    def emit(line: dict[str, Any]) -> None:
        out.write(json.dumps(line) + "\n")
        out.flush()

    return emit


def exit_with_parent() -> None:
    """A trainer whose driftloop was killed (SIGKILL, a crashed node) would train on
    as an orphan, holding its slot's GPU: it watches its parent and stops when it goes."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os.write(2, b"torch_mlp: the driftloop process that started this trial is gone: stopping\n")
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list[str]) -> int:
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)
    exit_with_parent()
    emit = epoch_writer()
    # cuBLAS is deterministic only with a fixed workspace; must be set before CUDA starts.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    # Bit-for-bit repeatable on the CPU; on a GPU, an operation with no deterministic kernel warns instead of failing.
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        train(read_spec(spec_path_from(argv)), emit)
        return 0
    except TrainerError as e:
        message, code = str(e), e.exit_code
    except RuntimeError as e:  # torch.cuda.OutOfMemoryError (torch >= 1.13) is a RuntimeError too
        if "out of memory" not in str(e):
            raise
        message, code = f"CUDA out of memory (retriable): {str(e).splitlines()[0]}", EXIT_RETRIABLE
    print(f"torch_mlp: {message}", file=sys.stderr, flush=True)
    return code


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as error:  # noqa: BLE001 - the last resort: a traceback, then the one-line reason
        traceback.print_exc()
        print(f"torch_mlp: unexpected error: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
        sys.exit(1)
