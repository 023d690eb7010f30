"""Block kernels of the dataset generators: pure NumPy/pandas, one row block at a time.

Every kernel takes ``(block, start, n_rows, ...)``: the block's index, the global index of its
first row and its length. Its random numbers come from generators seeded by ``(seed, block,
stream)``, so a block's values depend on the seed and the row chunks only, never on where or in
which order the blocks are computed. The parameters shared by every block (centroids,
coefficients) are drawn once on the client into a *plan* and arrive here as arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

# Independent streams of random numbers within one block.
FEATURES, TARGET, NOISE, GROUPS, FLIP, DATES = range(6)


def rng(seed: int, block: int, stream: int) -> np.random.Generator:
    """The generator of one stream of one block."""
    return np.random.default_rng(np.random.SeedSequence([seed, block, stream]))


class _Plan:
    """Arrays drawn on the client and shared by every block; ``nbytes`` lets ``share`` decide
    whether the plan is embedded in each block task or enters the graph once."""

    @property
    def nbytes(self) -> int:
        return sum(getattr(getattr(self, f.name), "nbytes", 0) for f in fields(self))


# ------------------------------------------------------------------------------------------
# rows divided into groups (clusters, blobs) in exact numbers
# ------------------------------------------------------------------------------------------


def _mulmod(k: np.ndarray, a: int, n: int) -> np.ndarray:
    """``(k * a) % n`` for uint64 ``k`` and ``a < n < 2**44`` without overflowing 64 bits."""
    if (int(k[-1]) + 1) * n < 2**64:
        return k * np.uint64(a) % np.uint64(n)
    lo, hi = k & np.uint64(0xFFFFF), k >> np.uint64(20)
    return (lo * np.uint64(a) % np.uint64(n) + hi * np.uint64((a << 20) % n)) % np.uint64(n)


def block_groups(
    seed: int, block: int, start: int, n_rows: int, counts: np.ndarray, stride: int | None
) -> np.ndarray:
    """The group of each row of a block, such that group ``g`` has ``counts[g]`` rows in all.

    Unshuffled (``stride=None``) the groups are laid out in order, as scikit-learn does with
    ``shuffle=False``. Shuffled, global row ``i`` takes the group of position
    ``(i * stride) % n_samples`` of that layout (a bijection for a stride coprime with
    ``n_samples``, near ``n_samples / golden ratio`` so that every block gets a near-proportional
    share of every group), then the block's rows are permuted at random. Either way the totals
    are exactly scikit-learn's, whatever the chunks.
    """
    if n_rows == 0:
        return np.empty(0, dtype=np.int64)
    k = np.arange(n_rows, dtype=np.uint64)
    n = int(counts.sum())
    if stride is None:
        positions = k + np.uint64(start)
    else:
        positions = (_mulmod(k, stride, n) + np.uint64(start * stride % n)) % np.uint64(n)
    bounds = np.cumsum(counts).astype(np.uint64)
    groups = np.searchsorted(bounds, positions, side="right").astype(np.int64)
    if stride is not None:
        rng(seed, block, GROUPS).shuffle(groups)
    return groups


def _by_group(groups: np.ndarray, n_groups: int):
    """Yield ``(group, row indices)`` for every group present in a block."""
    order = np.argsort(groups, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(groups, minlength=n_groups))])
    for g in range(n_groups):
        if bounds[g] < bounds[g + 1]:
            yield g, order[bounds[g] : bounds[g + 1]]


# ------------------------------------------------------------------------------------------
# make_classification
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ClassificationPlan(_Plan):
    """scikit-learn's ``make_classification`` parameters, drawn once for every block.

    Cluster ``k`` has ``counts[k]`` rows, class ``k % n_classes``, centre ``centroids[k]`` and
    covariance factor ``covariances[k]`` on the informative features. scikit-learn's column
    ``j`` (informative, then redundant, repeated and noise columns) lands in column
    ``columns[j]`` of X: its feature shuffle, or ``arange`` without one.
    """

    n_classes: int
    counts: np.ndarray
    stride: int | None
    centroids: np.ndarray  # (n_clusters, n_informative)
    covariances: np.ndarray  # (n_clusters, n_informative, n_informative)
    redundant: np.ndarray  # (n_informative, n_redundant): redundant = informative @ redundant
    repeated: np.ndarray  # (n_repeated,): source columns among informative + redundant
    flip_y: float
    shift: np.ndarray  # (n_features,), in X's column order
    scale: np.ndarray  # (n_features,), in X's column order
    columns: np.ndarray  # (n_features,)

    @property
    def n_features(self) -> int:
        return len(self.columns)


def classification_features(
    block: int, start: int, n_rows: int, seed: int, plan: ClassificationPlan
) -> np.ndarray:
    """X of one block, built as scikit-learn builds it.

    All columns start standard normal, which the noise columns stay; the informative ones are
    then moved and stretched per cluster, the redundant and repeated ones computed from them.
    """
    groups = block_groups(seed, block, start, n_rows, plan.counts, plan.stride)
    X = rng(seed, block, FEATURES).standard_normal((n_rows, plan.n_features))
    n_informative = plan.centroids.shape[1]
    stop = n_informative + plan.redundant.shape[1]
    at = plan.columns
    informative = X[:, at[:n_informative]]
    for k, rows in _by_group(groups, len(plan.counts)):
        informative[rows] = informative[rows] @ plan.covariances[k] + plan.centroids[k]
    X[:, at[:n_informative]] = informative
    X[:, at[n_informative:stop]] = informative @ plan.redundant
    X[:, at[stop : stop + len(plan.repeated)]] = X[:, at[plan.repeated]]
    if plan.shift.any():
        X += plan.shift
    if (plan.scale != 1).any():
        X *= plan.scale
    return X


def classification_labels(
    block: int, start: int, n_rows: int, seed: int, plan: ClassificationPlan
) -> np.ndarray:
    """y of one block: each row's cluster's class, then a fraction ``flip_y`` drawn anew."""
    groups = block_groups(seed, block, start, n_rows, plan.counts, plan.stride)
    y = groups % plan.n_classes
    if plan.flip_y > 0:
        gen = rng(seed, block, FLIP)
        flip = gen.random(n_rows) < plan.flip_y
        y[flip] = gen.integers(plan.n_classes, size=int(flip.sum()))
    return y


# ------------------------------------------------------------------------------------------
# make_regression, make_counts
# ------------------------------------------------------------------------------------------


def normal_features(block: int, start: int, n_rows: int, seed: int, n_features: int) -> np.ndarray:
    """Independent standard normal features."""
    return rng(seed, block, FEATURES).standard_normal((n_rows, n_features))


def low_rank_features(
    block: int, start: int, n_rows: int, seed: int, basis: np.ndarray
) -> np.ndarray:
    """``Z @ basis`` with standard normal ``Z``: the rows of a low-rank matrix whose singular
    values follow ``basis`` (a profile-scaled orthonormal basis)."""
    return rng(seed, block, FEATURES).standard_normal((n_rows, basis.shape[0])) @ basis


def regression_target(
    block: int, X: np.ndarray, coef: np.ndarray, bias: float, noise: float, seed: int
) -> np.ndarray:
    """``X @ coef + bias + N(0, noise²)``; 1-D for a 1-D ``coef``."""
    y = X @ coef + bias
    if noise > 0:
        y += rng(seed, block, NOISE).normal(scale=noise, size=y.shape)
    return y


def poisson_counts(
    block: int, X: np.ndarray, idx: np.ndarray, beta: np.ndarray, seed: int
) -> np.ndarray:
    """``y ~ Poisson(exp(X[:, idx] @ beta))``."""
    rate = np.exp(X[:, idx] @ beta)
    return rng(seed, block, TARGET).poisson(rate).astype(np.int64)


# ------------------------------------------------------------------------------------------
# make_blobs
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class BlobsPlan(_Plan):
    counts: np.ndarray  # rows per center
    stride: int | None
    centers: np.ndarray  # (n_centers, n_features)
    std: np.ndarray  # (n_centers,)


def blob_points(block: int, start: int, n_rows: int, seed: int, plan: BlobsPlan) -> np.ndarray:
    groups = block_groups(seed, block, start, n_rows, plan.counts, plan.stride)
    X = rng(seed, block, FEATURES).standard_normal((n_rows, plan.centers.shape[1]))
    X *= plan.std[groups, None]
    X += plan.centers[groups]
    return X


def blob_labels(block: int, start: int, n_rows: int, seed: int, plan: BlobsPlan) -> np.ndarray:
    return block_groups(seed, block, start, n_rows, plan.counts, plan.stride)


# ------------------------------------------------------------------------------------------
# dataframes
# ------------------------------------------------------------------------------------------


def random_seconds(gen: np.random.Generator, n_rows: int, span: tuple) -> pd.DatetimeIndex:
    """Datetimes ``start + s`` for whole seconds ``s`` uniform in ``[0, end - start)``, floored
    to the day when ``span`` is ``(start, end, True)`` (``datetime.date`` bounds)."""
    start, end, whole_days = span
    seconds = gen.integers(0, int((end - start).total_seconds()), n_rows)
    when = pd.DatetimeIndex(start + pd.to_timedelta(seconds, unit="s")).as_unit("ns")
    return when.floor("D") if whole_days else when


def classification_frame(
    block: int,
    start: int,
    n_rows: int,
    seed: int,
    plan: ClassificationPlan,
    names: list[str],
    dates: tuple | None,
) -> pd.DataFrame:
    """X of ``make_classification_df``: the block of ``make_classification``'s X as float
    columns, and a ``date`` column when ``dates`` is given."""
    X = classification_features(block, start, n_rows, seed, plan)
    frame = pd.DataFrame(X, columns=names, index=pd.RangeIndex(start, start + n_rows))
    if dates is not None:
        frame["date"] = random_seconds(rng(seed, block, DATES), n_rows, dates)
    return frame


def classification_series(
    block: int, start: int, n_rows: int, seed: int, plan: ClassificationPlan
) -> pd.Series:
    y = classification_labels(block, start, n_rows, seed, plan)
    return pd.Series(y, name="target", index=pd.RangeIndex(start, start + n_rows))


CATEGORIES = ("north", "south", "east", "west")
PLANS = ("basic", "plus", "pro")


def mixed_frame(
    block: int,
    start: int,
    n_rows: int,
    seed: int,
    n_numeric: int,
    beta: np.ndarray,
    response_rate: float,
    dates: tuple[pd.Timestamp, pd.Timestamp],
) -> pd.DataFrame:
    """A block of ``make_mixed_df``: numeric, count, categorical, string, datetime columns and
    a binary target that depends on the numeric features, the region and the plan."""
    gen = rng(seed, block, FEATURES)
    numeric = gen.standard_normal((n_rows, n_numeric))
    region = gen.integers(0, len(CATEGORIES), n_rows)
    plan = gen.integers(0, len(PLANS), n_rows)
    visits = gen.poisson(3.0, n_rows)
    span = int((dates[1] - dates[0]).total_seconds())
    when = dates[0] + pd.to_timedelta(gen.integers(0, span, n_rows), unit="s")
    logits = numeric @ beta[:n_numeric] + beta[n_numeric + region] + 0.3 * plan
    logits += np.log(response_rate / (1 - response_rate))
    target = rng(seed, block, TARGET).random(n_rows) < 1 / (1 + np.exp(-logits))
    frame = pd.DataFrame(numeric, columns=[f"x{i}" for i in range(n_numeric)])
    frame["visits"] = visits.astype(np.int64)
    frame["region"] = pd.Categorical.from_codes(region, categories=list(CATEGORIES))
    frame["plan"] = pd.Series(np.asarray(PLANS)[plan], dtype="string")
    frame["signup"] = when
    frame["target"] = target.astype(np.int64)
    frame.index = pd.RangeIndex(start, start + n_rows)
    return frame
