"""Bad input gets a clear error or, where accepting it is right, scikit-learn's answer.

Three parts:

1. **The examples of issue 14** that no other test file holds (the cluster-bound ones live next
   to their module: LightGBM's and XGBoost's NaN in y in ``test_lightgbm.py``/``test_xgboost.py``,
   the command line's NaN rows in ``test_cli.py``, ``on_cluster``'s address and closed client in
   ``test_parallel.py``).
2. **A property-based sweep** (hypothesis) over the shared validation and the public estimators
   and functions. The property, for every bad input: either a *clear error* (ValueError,
   TypeError, NotFittedError or InvalidParameterError whose message names the problem, raised
   by dasklearn's or scikit-learn's own checks, not from deep inside NumPy, SciPy, pandas, dask
   or Numba), or, where scikit-learn accepts the input, *scikit-learn's result* (never a silently
   different one); never a hang (pytest-timeout on every test). The cases are parametrized, so
   every kind of bad input runs on every estimator it applies to; hypothesis draws the data
   (sizes, where the bad value sits, the input kind, the row blocks). One example a case keeps
   the file within its CI budget; ``DASKLEARN_SWEEP_EXAMPLES=10`` runs more.
3. **What the sweep found**, one deterministic regression test each.
"""

from __future__ import annotations

import os
import re
import traceback
import warnings
from dataclasses import dataclass
from typing import Any

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from dasklearn import datasets
from dasklearn.exceptions import InvalidParameterError
from dasklearn.linear_model import LinearRegression, LogisticRegression, PoissonRegression

pytestmark = pytest.mark.timeout(60)


def _binary(n: int = 80, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, (X[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(int)


# ============================================================================================
# 1. the examples of issue 14
# ============================================================================================


def test_logistic_predict_and_score_refuse_nan_rows_of_a_dask_array():
    X, y = _binary()
    model = LogisticRegression().fit(X, y)
    bad = X.copy()
    bad[70] = np.nan
    dX, dy = da.from_array(bad, chunks=20), da.from_array(y, chunks=20)
    for call in (
        lambda: model.predict(dX).compute(),
        lambda: model.predict_proba(dX).compute(),
        lambda: model.score(dX, dy),
    ):
        with pytest.raises(ValueError, match="NaN"):
            call()


def test_linear_regression_score_refuses_nan_in_dask_y():
    X, _ = _binary()
    y = X @ [1.0, -1.0, 0.5]
    model = LinearRegression().fit(X, y)
    bad = y.copy()
    bad[5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.score(da.from_array(X, chunks=20), da.from_array(bad, chunks=20))


@pytest.mark.parametrize(
    "make",
    [datasets.make_classification, datasets.make_regression, datasets.make_blobs],
)
def test_datasets_refuse_a_pair_of_row_lengths(make):
    with pytest.raises(ValueError, match=r"chunks=\(40, 60\).*column entry"):
        make(n_samples=100, chunks=(40, 60))
    X, _ = make(n_samples=100, chunks="auto")  # accepted: dask's "auto" row blocks
    assert X.shape[0] == 100 and X.numblocks[1] == 1


def test_datasets_refuse_impossible_sizes_and_dates():
    with pytest.raises(ValueError, match="n_features must be an integer >= 1, got 0"):
        datasets.make_blobs(n_samples=10, n_features=0)
    with pytest.raises(ValueError, match="cluster_std must be finite numbers >= 0"):
        datasets.make_blobs(n_samples=10, cluster_std=-1.0)
    with pytest.raises(TypeError, match=r"n_samples must be an integer, got 100.0 \(float\)"):
        datasets.make_classification(n_samples=100.0)
    with pytest.raises(ValueError, match="end .* must come at least a second after the start"):
        datasets.random_date("2020-01-01", "2019-01-01")


def test_poisson_score_refuses_negative_y():
    X, _ = _binary()
    model = PoissonRegression().fit(X, np.abs(X[:, 0]))
    with pytest.raises(ValueError, match="negative"):
        model.score(da.from_array(X, chunks=20), da.from_array(-np.abs(X[:, 0]), chunks=20))


def test_sample_weight_of_the_wrong_length_is_named():
    X, y = _binary()
    dX, dy = da.from_array(X, chunks=20), da.from_array(y, chunks=20)
    with pytest.raises(ValueError, match="X and sample_weight have different numbers of rows"):
        LogisticRegression().fit(dX, dy, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="row blocks of X and sample_weight do not line up"):
        LogisticRegression().fit(dX, dy, sample_weight=da.ones(60, chunks=30))


def test_balanced_weights_and_huge_values_name_the_real_problem():
    X, y = _binary()
    dX, dy = da.from_array(X, chunks=20), da.from_array(y, chunks=20)
    zero_for_ones = da.from_array(np.where(y == 1, 0.0, 1.0), chunks=20)
    with pytest.raises(ValueError, match=r"class\(es\) \[1\] have none"):
        LogisticRegression(class_weight="balanced").fit(dX, dy, sample_weight=zero_for_ones)
    with pytest.raises(ValueError, match="too large for float64"):
        LogisticRegression().fit(dX * 1e306, dy)


def test_warm_start_refit_with_more_classes_is_a_fresh_fit():
    X, y = _binary()
    three = np.arange(len(y)) % 3
    warm = LogisticRegression(warm_start=True).fit(X, y).fit(X, three)
    cold = LogisticRegression().fit(X, three)
    assert warm.coef_.shape == (3, 3)
    np.testing.assert_allclose(warm.coef_, cold.coef_, atol=1e-4)
    np.testing.assert_array_equal(warm.classes_, [0, 1, 2])


def test_parallel_post_fit_keeps_scikit_learns_reason():
    from sklearn.svm import SVC

    from dasklearn.wrappers import ParallelPostFit

    X, y = _binary()
    with pytest.raises(AttributeError, match="probability=False"):
        ParallelPostFit(SVC()).fit(X, y).predict_proba(X)


@pytest.mark.parametrize("damage", ["truncated", "corrupted", "empty"])
def test_damaged_model_files_get_a_sentence(damage, tmp_path):
    import joblib
    from sklearn.pipeline import Pipeline

    from dasklearn.cli.errors import CLIError
    from dasklearn.cli.modelfile import FORMAT, load_model

    X, y = _binary()
    bundle = {"format": FORMAT, "model": Pipeline([("m", LogisticRegression())]).fit(X, y)}
    path = tmp_path / "m.joblib"
    joblib.dump({**bundle, "features": ["a", "b", "c"], "target": "y"}, path)
    data = path.read_bytes()
    damaged = {
        "truncated": data[: len(data) // 2],
        "corrupted": data[:100] + bytes([107]) * 50 + data[150:],  # once KeyError: 107
        "empty": b"",
    }[damage]
    path.write_bytes(damaged)
    with pytest.raises(CLIError, match=r"m\.joblib .*(not a readable model file|empty)"):
        load_model(path, trust_pickle=True)


def test_cli_errors_are_one_line(tmp_path, capsys):
    from dasklearn.cli.__main__ import main

    args = ["predict", str(tmp_path / "none.skops"), str(tmp_path / "none.csv")]
    status = main([*args, "--output", str(tmp_path / "p.parquet")])
    err = capsys.readouterr().err.strip().splitlines()
    assert status != 0 and len(err) == 1 and "Traceback" not in err[0]


# ============================================================================================
# 2. the sweep
# ============================================================================================

#: Where a clear error may come from: dasklearn, or scikit-learn's own checks (the behaviour
#: dasklearn mirrors: its validation, parameter checks, metrics' and searches' own errors). Not
#: NumPy, SciPy, pandas, dask or Numba.
_VALIDATION = ("/dasklearn/", "/sklearn/")
_CLEAR = (ValueError, TypeError, NotFittedError)


#: hypothesis examples per case: 1 in CI (the parametrization gives the breadth), more locally
EXAMPLES = int(os.environ.get("DASKLEARN_SWEEP_EXAMPLES", "1"))


def _fast(n: int = EXAMPLES):
    """hypothesis settings: ``n`` examples a case, no deadline, reproducible draws."""
    return settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        database=None,
        phases=(Phase.explicit, Phase.generate),  # shrinking re-runs dask graphs: slow
        suppress_health_check=list(HealthCheck),
    )


def assert_clear(err: BaseException, pattern: str, case: str = "") -> None:
    """The error is of a clear kind, raised by validation code, and names the problem."""
    assert isinstance(err, _CLEAR), f"{case}: {type(err).__name__}: {err}"
    where = traceback.extract_tb(err.__traceback__)[-1].filename.replace("\\", "/")
    assert any(part in where for part in _VALIDATION), f"{case}: raised in {where}: {err!r}"
    assert re.search(pattern, str(err), re.IGNORECASE | re.DOTALL), (
        f"{case}: {type(err).__name__}({err}) does not name the problem /{pattern}/"
    )


def _values(out: Any) -> Any:
    if isinstance(out, BaseEstimator):  # a fit's answer: nothing to compare
        return out
    if dask.is_dask_collection(out):
        out = out.compute()
    if isinstance(out, pd.DataFrame | pd.Series):
        out = out.to_numpy()
    if hasattr(out, "toarray"):
        out = out.toarray()
    return np.asarray(out)


def attempt(call: Any) -> tuple[Any, BaseException | None]:
    """(the computed result, None) or (None, the error)."""
    with warnings.catch_warnings(), dask.config.set(scheduler="threads"):
        warnings.simplefilter("ignore")
        try:
            return _values(call()), None
        except Exception as err:  # the property looks at every error
            return None, err


def assert_same(ours: np.ndarray, theirs: np.ndarray, how: str, case: str) -> None:
    assert ours.shape == theirs.shape, f"{case}: shape {ours.shape} != {theirs.shape}"
    if how == "shape":
        return
    if ours.dtype.kind not in "fcb" or theirs.dtype.kind not in "fcb":
        np.testing.assert_array_equal(ours, theirs, err_msg=case)
        return
    ours, theirs = ours.astype(np.float64), theirs.astype(np.float64)
    if how == "abs":  # components are defined up to their sign
        ours, theirs = np.abs(ours), np.abs(theirs)
    rtol, atol = (1e-3, 1e-3) if how == "loose" else (1e-6, 1e-9)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, equal_nan=True, err_msg=case)


def check_property(
    ours: Any, reference: Any, pattern: str, how: str, case: str, same_errors: bool = False
) -> str:
    """The property of the sweep: a clear refusal naming ``pattern``, or the reference's result
    (scikit-learn's; None where there is no reference to compare with). Returns the outcome.
    ``same_errors``: the data goes as it is to a scikit-learn estimator or a user's function, so
    the error scikit-learn's counterpart raises, word for word, is the right answer too."""
    result, err = attempt(ours)
    if err is not None and same_errors and reference is not None:
        _, their_err = attempt(reference)
        if type(their_err) is type(err) and str(their_err) == str(err):
            return "refused"
    if err is not None:
        assert_clear(err, pattern, case)
        return "refused"
    if reference is None:
        return "accepted"
    expected, their_err = attempt(reference)
    assert their_err is None, (
        f"{case}: accepted what scikit-learn refuses ({type(their_err).__name__}: {their_err})"
    )
    assert_same(result, expected, how, case)
    return "accepted"


# ---- the estimators whose data is swept ------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """An estimator of the sweep: how to build it, its scikit-learn counterpart (a function of
    the number of rows, or None) and how their results are compared."""

    name: str
    make: Any
    target: str | None = None  # "class", "real", "count"
    sk: Any = None
    how: str = "exact"  # "exact", "loose" (iterative solvers), "abs" (signs), "shape"
    method: str = "transform"
    weights: bool = False
    blocks: str = ""  # what a refusal may name where the row blocks are the training batches
    same_errors: bool = False  # data handed as it is to scikit-learn or a user's function
    reads_at_fit: bool = True  # False: fit reads metadata only (cannot see an empty dataframe)


def _specs() -> list[Spec]:
    import sklearn.decomposition as skd
    import sklearn.impute as ski
    import sklearn.linear_model as skl
    import sklearn.naive_bayes as sknb
    import sklearn.preprocessing as skp

    from dasklearn import cluster, decomposition, ensemble, impute, naive_bayes, preprocessing
    from dasklearn.wrappers import ParallelPostFit

    return [
        Spec("KMeans", lambda: cluster.KMeans(n_clusters=2, random_state=0), how="shape",
             method="predict", weights=True),
        Spec("SpectralClustering",
             lambda: cluster.SpectralClustering(n_clusters=2, n_components=8, random_state=0),
             how="shape", method="labels"),
        Spec("LogisticRegression", LogisticRegression, "class",
             lambda n: skl.LogisticRegression(), "loose", "predict_proba", True),
        Spec("LinearRegression", LinearRegression, "real",
             lambda n: skl.Ridge(alpha=1.0), "loose", "predict", True),
        Spec("PoissonRegression", PoissonRegression, "count",
             lambda n: skl.PoissonRegressor(alpha=1.0 / n), "loose", "predict", True),
        Spec("GaussianNB", naive_bayes.GaussianNB, "class", lambda n: sknb.GaussianNB(),
             method="predict_proba", weights=True),
        Spec("StandardScaler", preprocessing.StandardScaler, sk=lambda n: skp.StandardScaler(),
             weights=True),
        Spec("MinMaxScaler", preprocessing.MinMaxScaler, sk=lambda n: skp.MinMaxScaler()),
        Spec("RobustScaler", preprocessing.RobustScaler, sk=lambda n: skp.RobustScaler()),
        Spec("QuantileTransformer", lambda: preprocessing.QuantileTransformer(n_quantiles=10),
             sk=lambda n: skp.QuantileTransformer(n_quantiles=10)),
        Spec("PolynomialFeatures", preprocessing.PolynomialFeatures,
             sk=lambda n: skp.PolynomialFeatures(), reads_at_fit=False),
        Spec("PCA", lambda: decomposition.PCA(n_components=2),
             sk=lambda n: skd.PCA(n_components=2), how="abs"),
        Spec("TruncatedSVD", lambda: decomposition.TruncatedSVD(n_components=2),
             sk=lambda n: skd.TruncatedSVD(n_components=2, n_iter=20, random_state=0),
             how="abs"),
        Spec("IncrementalPCA", lambda: decomposition.IncrementalPCA(n_components=2), how="shape",
             blocks="batch"),
        Spec("SimpleImputer", impute.SimpleImputer, sk=lambda n: ski.SimpleImputer()),
        Spec("BlockTransformer", lambda: preprocessing.BlockTransformer(np.abs),
             sk=lambda n: skp.FunctionTransformer(np.abs), same_errors=True, reads_at_fit=False),
        Spec("ParallelPostFit", lambda: ParallelPostFit(skl.LogisticRegression()), "class",
             lambda n: skl.LogisticRegression(), method="predict_proba", same_errors=True),
        Spec("BlockwiseVotingClassifier",
             lambda: ensemble.BlockwiseVotingClassifier(skl.LogisticRegression(),
                                                        classes=[0, 1]),
             "class", how="shape", method="predict", blocks="class"),
    ]  # fmt: skip


SPECS = _specs()


def _target(kind: str | None, X: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    if kind is None:
        return None
    if kind == "class":  # both classes, whatever the rows
        return (X[:, 0] > np.median(X[:, 0])).astype(np.int64)
    real = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=len(X))
    return real if kind == "real" else np.abs(real)


def _fit_output(spec: Spec, est: Any, X: Any, y: Any, w: Any, X_out: Any = None) -> Any:
    """Fit ``est`` (weights where given), then the compared per-row method on ``X_out``."""
    kw = {} if w is None else {"sample_weight": w}
    est = est.fit(X, y, **kw) if y is not None else est.fit(X, **kw)
    if spec.method == "labels":
        return est.labels_
    return getattr(est, spec.method)(X if X_out is None else X_out)


# ---- input kinds, row blocks -------------------------------------------------------------------

KINDS = ("numpy", "pandas", "dask_array", "dask_dataframe")
DASK = ("dask_array", "dask_dataframe")
NUMERIC_2D = KINDS


def _columns(width: int) -> list[str]:
    return [f"x{i}" for i in range(width)]


def as_kind(kind: str, X: Any, y: Any = None, w: Any = None, lengths: Any = None,
            unknown: bool = False) -> tuple:  # fmt: skip
    """X, y, w as ``kind``: dask collections with row blocks of ``lengths`` (may hold empty or
    one-row blocks), dask arrays with unknown chunk sizes when ``unknown``."""
    X = np.asarray(X)
    n = len(X)
    lengths = tuple(lengths) if lengths is not None else (n,)
    if kind == "numpy" or X.ndim != 2 and kind != "dask_array":
        return X, y, w
    if kind == "pandas":
        frame = pd.DataFrame(X, columns=_columns(X.shape[1]))
        return frame, None if y is None else pd.Series(y, name="y"), w
    if kind == "dask_array" and not unknown:
        Xd = da.from_array(X, chunks=(lengths, *X.shape[1:]))

        def vec(v):
            v = None if v is None else np.asarray(v)
            return None if v is None else da.from_array(v, chunks=(lengths, *v.shape[1:]))

        return Xd, vec(y), vec(w)
    frame = pd.DataFrame(X, columns=_columns(X.shape[1]))
    extra = {"__y": y, "__w": w}
    for name, v in extra.items():
        if v is not None:
            frame[name] = np.asarray(v)
    # from_map, not from_delayed: a from_delayed frame's to_dask_array() fails in dask itself
    # ("Missing dependency"), so dasklearn cannot read it either (left to dask)
    pieces = [(frame, s, e) for s, e in _spans(lengths)]
    ddf = dd.from_map(_rows, pieces, meta=frame.iloc[:0], enforce_metadata=False)
    Xd = ddf[_columns(X.shape[1])]
    out = [Xd] + [ddf[k] if v is not None else None for k, v in extra.items()]
    if kind == "dask_array":  # unknown chunk sizes
        out = [None if o is None else o.to_dask_array() for o in out]
    return tuple(out)


def _rows(piece: tuple) -> pd.DataFrame:
    frame, start, stop = piece
    return frame.iloc[start:stop]


def _spans(lengths: tuple[int, ...]) -> list[tuple[int, int]]:
    stops = np.cumsum(lengths)
    return [(int(s - n), int(s)) for s, n in zip(stops, lengths, strict=True)]


@st.composite
def row_lengths(draw: Any, n: int) -> tuple[int, ...]:
    """Row blocks of ``n`` rows: one to four, one-row blocks and empty blocks included."""
    k = draw(st.integers(1, 4))
    cuts = sorted(draw(st.lists(st.integers(0, n), min_size=k - 1, max_size=k - 1)))
    edges = [0, *cuts, n]
    return tuple(b - a for a, b in zip(edges, edges[1:], strict=False))


# ---- bad data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    """A kind of bad data: which kinds of input it applies to, what a refusal must name, what
    it needs of the estimator (a target, weights, a per-row method), and how it is made.

    ``make(case, draw)`` changes the clean ``case`` (X, y, w: NumPy) in place: ``X``/``y``/``w``
    what dasklearn gets, ``ref`` what scikit-learn gets (default: the same), ``post`` the X of
    the per-row method after a fit on clean data, ``lengths``/``unknown`` the row blocks.
    """

    name: str
    pattern: str
    kinds: tuple[str, ...] = KINDS
    needs: str = ""  # "target", "class", "real", "weights", "predict", "frame"
    make: Any = None


def _cell(case: dict, draw: Any, value: float, where: str = "X") -> None:
    A = case[where].astype(np.float64)
    i = draw(st.integers(0, len(A) - 1))
    if A.ndim == 2:
        A[i, draw(st.integers(0, A.shape[1] - 1))] = value
    else:
        A[i] = value
    case[where] = A


def _set(**changes: Any):
    def make(case: dict, draw: Any) -> None:
        for key, f in changes.items():
            case[key] = f(case)

    return make


def _strings(case: dict, draw: Any) -> None:
    X = case["X"].astype(object)
    X[draw(st.integers(0, len(X) - 1)), 0] = draw(st.sampled_from(["a", "n/a", "", "1,5"]))
    case["X"] = X


def _post_value(value: float):
    def make(case: dict, draw: Any) -> None:
        post = case["X"].copy()
        post[draw(st.integers(0, len(post) - 1)), draw(st.integers(0, post.shape[1] - 1))] = value
        case["post"] = post

    return make


def _blocks_of(kind_of_block: str):
    def make(case: dict, draw: Any) -> None:
        n = len(case["X"])
        if kind_of_block == "one-row":
            case["lengths"] = (1,) * n
        elif kind_of_block == "empty":
            k = draw(st.integers(1, n - 1))
            case["lengths"] = (k, 0, n - k)
        else:
            case["lengths"] = draw(row_lengths(n))
            case["unknown"] = True

    return make


def _misaligned(case: dict, draw: Any) -> None:
    n = len(case["X"])
    case["lengths"] = (n // 2, n - n // 2)
    case["y_lengths"] = (n // 3, n - n // 3)


_NAN = r"NaN|infinit|finite"
_NUMBERS = r"numer|number|string|convert|float|dtype"
_EMPTY = r"0 sample|no rows|0 rows|n_samples=0|minimum|at least|empty"
_ROWS = r"rows|length|inconsistent|line up|partitions|row blocks"
_WEIGHT = r"sample.?weight|weights"

BAD: list[Bad] = [
    # X at fit
    Bad("NaN in X", _NAN, make=lambda c, d: _cell(c, d, np.nan)),
    Bad("inf in X", _NAN + "|too large", make=lambda c, d: _cell(c, d, np.inf)),
    Bad("-inf in X", _NAN + "|too large", make=lambda c, d: _cell(c, d, -np.inf)),
    Bad("values near 1e308", r"too large|overflow|finite|infinit",
        make=_set(X=lambda c: c["X"] * 1e306)),
    Bad("non-numeric strings in object X", _NUMBERS, ("numpy", "dask_array"), make=_strings),
    Bad("numbers as strings", _NUMBERS, ("numpy", "dask_array"),
        make=_set(X=lambda c: c["X"].astype(str))),
    Bad("bool X", _NUMBERS, make=_set(X=lambda c: c["X"] > 0)),
    Bad("complex X", r"complex|numer", make=_set(X=lambda c: c["X"] + 1j)),
    Bad("datetime X", r"datetime|numer|dtype",
        make=_set(X=lambda c: (c["X"] * 1e9).astype("int64").astype("datetime64[ns]"))),
    Bad("1-D X", r"2-dimensional|2D|Reshape|dimension", ("numpy", "dask_array"),
        make=_set(X=lambda c: c["X"][:, 0])),
    Bad("3-D X", r"dim", ("numpy", "dask_array"), make=_set(X=lambda c: c["X"][:, :, None])),
    Bad("no rows", _EMPTY + "|class", make=_set(
        X=lambda c: c["X"][:0], y=lambda c: None if c["y"] is None else c["y"][:0])),
    Bad("no columns", r"0 feature|feature", make=_set(X=lambda c: c["X"][:, :0])),
    Bad("one row", r"sample|n_samples|class|minimum|at least|n_components", make=_set(
        X=lambda c: c["X"][:1], y=lambda c: None if c["y"] is None else c["y"][:1])),
    # row blocks are IncrementalPCA's batches: a first batch under n_components is refused
    Bad("one-row blocks", "batch", DASK, make=_blocks_of("one-row")),
    Bad("an empty block", "batch", DASK, make=_blocks_of("empty")),
    Bad("unknown chunk sizes", "batch", ("dask_array",), make=_blocks_of("unknown")),
    # y and sample weights at fit
    Bad("y misaligned with X", _ROWS, ("dask_array",), "target", _misaligned),
    Bad("y too short", _ROWS, needs="target", make=_set(y=lambda c: c["y"][:-3])),
    Bad("NaN in y", _NAN, needs="target", make=lambda c, d: _cell(c, d, np.nan, "y")),
    Bad("inf in y", _NAN, needs="target", make=lambda c, d: _cell(c, d, np.inf, "y")),
    Bad("y of two columns", r"1-dimensional|1d|shape|dimension|column", ("numpy", "dask_array"),
        "target", _set(y=lambda c: np.c_[c["y"], c["y"]])),
    Bad("string labels", _NUMBERS + "|label", needs="target",
        make=_set(y=lambda c: np.where(c["y"] > np.median(c["y"]), "yes", "no").astype(object))),
    Bad("one class", r"class", needs="class", make=_set(y=lambda c: np.zeros_like(c["y"]))),
    Bad("continuous labels", r"continuous|label", needs="class",
        make=_set(y=lambda c: c["X"][:, 1])),
    Bad("sample_weight too short", _WEIGHT, needs="weights",
        make=_set(w=lambda c: np.ones(len(c["X"]) - 2))),
    Bad("negative sample_weight", _WEIGHT, needs="weights",
        make=_set(w=lambda c: np.r_[np.ones(len(c["X"]) - 1), -1.0])),
    Bad("NaN sample_weight", _WEIGHT, needs="weights",
        make=_set(w=lambda c: np.r_[np.ones(len(c["X"]) - 1), np.nan])),
    Bad("all-zero sample_weight", _WEIGHT, needs="weights",
        make=_set(w=lambda c: np.zeros(len(c["X"])))),
    Bad("2-D sample_weight", _WEIGHT + r"|1-dimensional", ("numpy", "dask_array"), "weights",
        _set(w=lambda c: np.ones((len(c["X"]), 2)))),
    # per-row methods after a clean fit
    Bad("unfitted", r"not fitted|fit", needs="predict"),
    Bad("fewer features than fitted", r"feature", needs="predict",
        make=_set(post=lambda c: c["X"][:, :2])),
    Bad("NaN at predict", _NAN, needs="predict", make=_post_value(np.nan)),
    Bad("inf at predict", _NAN, needs="predict", make=_post_value(np.inf)),
    Bad("complex at predict", r"complex", needs="predict",
        make=_set(post=lambda c: c["X"] + 1j)),
    Bad("strings at predict", _NUMBERS, ("numpy", "dask_array"), "predict",
        make=_set(post=lambda c: np.where(c["X"] > 0, "a", "b").astype(object))),
    Bad("1-D at predict", r"2-dimensional|Reshape|dimension", ("numpy", "dask_array"),
        "predict", _set(post=lambda c: c["X"][:, 0])),
    Bad("renamed column at predict", r"feature names|names", ("pandas", "dask_dataframe"),
        "frame", _set(rename=lambda c: {"x1": "renamed"})),
    Bad("reordered columns at predict", r"feature names|names", ("pandas", "dask_dataframe"),
        "frame", _set(rename=lambda c: "reorder")),
    Bad("float32 at predict", "", needs="predict",
        make=_set(post=lambda c: c["X"].astype(np.float32))),
    Bad("kind switched between fit and predict", "", needs="predict",
        make=_set(post=lambda c: c["X"], switch=lambda c: True)),
]  # fmt: skip


def _applies(spec: Spec, bad: Bad) -> bool:
    needs = bad.needs
    if needs in ("target", "class") and spec.target is None:
        return False
    if needs == "class" and spec.target != "class":
        return False
    if needs == "weights" and not spec.weights:
        return False
    if needs in ("predict", "frame") and spec.method == "labels":
        return False
    return True


FIT_CASES = [
    pytest.param(spec, bad, id=f"{spec.name}-{bad.name}")
    for spec in SPECS
    for bad in BAD
    if _applies(spec, bad)
]


def _vector_as(kind: str, v: Any, like: Any, lengths: tuple[int, ...]) -> Any:
    """A y or weights whose length differs from X's, in ``kind``, cut as X's blocks allow."""
    if v is None or kind in ("numpy", "pandas") or len(v) == sum(lengths):
        return None
    parts = max(1, min(len(lengths), len(v)))
    if kind == "dask_array":
        return da.from_array(np.asarray(v), chunks=-(-len(v) // parts))
    return dd.from_pandas(pd.Series(np.asarray(v)), npartitions=parts)


def _draw_case(spec: Spec, bad: Bad, draw: Any) -> tuple[str, dict]:
    n = draw(st.integers(12, 30), label="rows")
    rng = np.random.default_rng(draw(st.integers(0, 2**16), label="seed"))
    X = rng.normal(size=(n, 3))
    case: dict[str, Any] = {"X": X, "y": _target(spec.target, X, rng), "w": None}
    if spec.weights and bad.needs == "weights":
        case["w"] = rng.uniform(0.5, 2.0, n)
    kind = draw(st.sampled_from(bad.kinds), label="kind")
    if bad.make is not None:
        bad.make(case, draw)
    if kind in DASK and "lengths" not in case:
        case["lengths"] = draw(row_lengths(len(case["X"])), label="row blocks")
    if case.get("switch"):
        case["post_kind"] = draw(st.sampled_from([k for k in KINDS if k != kind]), label="to")
    return kind, case


def _ours(spec: Spec, bad: Bad, kind: str, case: dict) -> Any:
    """The call dasklearn answers, for :func:`check_property`."""
    X, y, w = case["X"], case["y"], case["w"]
    lengths = case.get("lengths")
    Xk, yk, wk = as_kind(kind, X, y if len(np.atleast_1d(y)) == len(X) else None,
                         w if w is not None and len(w) == len(X) else None,
                         lengths, case.get("unknown", False))  # fmt: skip
    if y is not None and yk is None:
        yk = _vector_as(kind, y, Xk, lengths or (len(X),))
        yk = y if yk is None else yk
    if w is not None and wk is None:
        wk = _vector_as(kind, w, Xk, lengths or (len(X),))
        wk = w if wk is None else wk
    if "y_lengths" in case:
        yk = da.from_array(y, chunks=(case["y_lengths"],))
    if bad.needs not in ("predict", "frame"):
        return lambda: _fit_output(spec, spec.make(), Xk, yk, wk)
    est = spec.make()
    if bad.name == "unfitted":
        return lambda: getattr(est, spec.method)(Xk)
    if "rename" in case:
        post = Xk.rename(columns=case["rename"]) if case["rename"] != "reorder" else Xk[
            ["x1", "x0", "x2"]]  # fmt: skip
    else:
        post = as_kind(case.get("post_kind", kind), case["post"], lengths=lengths)[0]
    return lambda: _fit_output(spec, est, Xk, yk, wk, post)


def _reference(spec: Spec, bad: Bad, kind: str, case: dict) -> Any:
    """scikit-learn's answer for the same data as NumPy (dasklearn's own on NumPy where there
    is no counterpart; None where that would compare dasklearn with itself)."""
    if spec.sk is None and kind == "numpy" and not case.get("switch"):
        return None
    if not spec.reads_at_fit and kind == "dask_dataframe" and len(case["X"]) == 0:
        return None  # a length read only for this refusal would be a pass: 0 rows in, 0 out
    X, y, w = case["X"], case["y"], case["w"]
    post = case.get("post")
    if spec.same_errors and kind in ("pandas", "dask_dataframe") and X.ndim == 2:  # a frame in
        X, y, _ = as_kind("pandas", X, y)
    if "rename" in case:
        return None  # scikit-learn refuses both
    make = (lambda: spec.sk(len(X))) if spec.sk is not None else spec.make
    return lambda: _fit_output(spec, make(), X, y, w, post)


def _check_case(spec: Spec, bad: Bad, draw: Any) -> None:
    kind, case = _draw_case(spec, bad, draw)
    how = "loose" if bad.name.startswith("float32") and spec.how == "exact" else spec.how
    label = f"{spec.name}, {bad.name}, {kind}"
    pattern = bad.pattern or "$^"  # "": the input must be accepted
    if spec.blocks and kind in DASK:  # its batches are the row blocks
        pattern += "|" + spec.blocks
    check_property(_ours(spec, bad, kind, case), _reference(spec, bad, kind, case), pattern,
                   how, label, spec.same_errors)  # fmt: skip


@pytest.mark.parametrize("spec, bad", FIT_CASES)
@given(draw=st.data())
@_fast()
def test_bad_data_gets_a_clear_error_or_scikit_learns_answer(spec, bad, draw):
    _check_case(spec, bad, draw.draw)


# ---- wrong parameter values, from each estimator's declared constraints ---------------------


def _never_read(*_: Any) -> Any:
    raise AssertionError("the data was read before the parameters were checked")


def _tripwire(kind: str) -> Any:
    """Input whose data cannot be read: a parameter error must come first."""
    if kind == "frame":
        meta = pd.DataFrame({"a": pd.Series([], dtype=float), "c": pd.Categorical([])})
        return dd.from_map(_never_read, [0, 1], meta=meta, enforce_metadata=False)
    if kind == "text":
        return da.from_delayed(dask.delayed(_never_read)(), shape=(20,), dtype=object)
    shape = (20, 3) if kind == "X" else (20,)
    return da.from_delayed(dask.delayed(_never_read)(), shape=shape, dtype=np.float64)


def _param_specs() -> list[tuple[type, dict, str]]:
    """(class, arguments it needs, what it is fitted on): X, X+y, frame, text or y."""
    from sklearn.linear_model import LogisticRegression as SkLogistic
    from sklearn.linear_model import SGDClassifier

    from dasklearn import (
        cluster,
        compose,
        decomposition,
        ensemble,
        impute,
        model_selection,
        naive_bayes,
        preprocessing,
    )
    from dasklearn.feature_extraction import text

    sgd = {"estimator": SGDClassifier(), "parameters": {"alpha": [1e-4, 1e-3]}}
    return [
        (cluster.KMeans, {}, "X"),
        (cluster.SpectralClustering, {}, "X"),
        (LogisticRegression, {}, "Xy"),
        (LinearRegression, {}, "Xy"),
        (PoissonRegression, {}, "Xy"),
        (naive_bayes.GaussianNB, {}, "Xy"),
        (preprocessing.StandardScaler, {}, "X"),
        (preprocessing.MinMaxScaler, {}, "X"),
        (preprocessing.RobustScaler, {}, "X"),
        (preprocessing.QuantileTransformer, {}, "X"),
        (preprocessing.PolynomialFeatures, {}, "X"),
        (preprocessing.BlockTransformer, {"func": np.abs}, "X"),
        (preprocessing.Categorizer, {}, "frame"),
        (preprocessing.DummyEncoder, {}, "frame"),
        (preprocessing.OneHotEncoder, {}, "frame"),
        (preprocessing.OrdinalEncoder, {}, "frame"),
        (preprocessing.LabelEncoder, {}, "y"),
        (decomposition.PCA, {}, "X"),
        (decomposition.IncrementalPCA, {}, "X"),
        (decomposition.TruncatedSVD, {}, "X"),
        (impute.SimpleImputer, {}, "X"),
        (compose.ColumnTransformer, {"transformers": [("s", "passthrough", ["a"])]}, "frame"),
        (text.CountVectorizer, {}, "text"),
        (text.HashingVectorizer, {}, "text"),
        (text.FeatureHasher, {"input_type": "string"}, "text"),
        (ensemble.BlockwiseVotingClassifier, {"estimator": SkLogistic()}, "Xy"),
        (ensemble.BlockwiseVotingRegressor, {"estimator": SkLogistic()}, "Xy"),
        (model_selection.GridSearchCV, {"estimator": SkLogistic(), "param_grid": {"C": [1.0]}},
         "Xy"),
        (model_selection.RandomizedSearchCV,
         {"estimator": SkLogistic(), "param_distributions": {"C": [1.0]}}, "Xy"),
        (model_selection.IncrementalSearchCV, sgd, "Xy"),
        (model_selection.InverseDecaySearchCV, sgd, "Xy"),
        (model_selection.SuccessiveHalvingSearchCV, sgd, "Xy"),
        (model_selection.HyperbandSearchCV, sgd, "Xy"),
    ]  # fmt: skip


#: Values tried against every parameter; those its constraints refuse are the bad ones.
_POOL = (-1, 0, -0.5, 1.5, 10**9, np.nan, np.inf, -np.inf, "not-an-option", "", True, None,
         [1, 2], {"a": 1}, 1j, object(), np.float64(-2.0), -(10**9))  # fmt: skip


def _refused_values(constraints: list[Any]) -> list[Any]:
    from dasklearn._params import _accepts

    return [v for v in _POOL if not any(_accepts(c, v) for c in constraints)]


PARAM_CASES = [
    pytest.param(cls, args, fit_on, name, values, id=f"{cls.__name__}-{name}")
    for cls, args, fit_on in _param_specs()
    for name, constraints in cls._parameter_constraints.items()
    if (values := _refused_values(constraints))
    and name not in args
    and name in cls(**args).get_params(deep=False)  # not a constructor parameter of its own
]


@pytest.mark.parametrize("cls, args, fit_on, name, values", PARAM_CASES)
@given(draw=st.data())
@_fast()
def test_wrong_parameter_values_are_named_before_any_read(cls, args, fit_on, name, values, draw):
    value = draw.draw(st.sampled_from(values), label=name)
    est = cls(**args).set_params(**{name: value})
    inputs = {"X": [_tripwire("X")], "Xy": [_tripwire("X"), _tripwire("y")],
              "frame": [_tripwire("frame")], "text": [_tripwire("text")],
              "y": [_tripwire("y")]}[fit_on]  # fmt: skip
    with warnings.catch_warnings(), dask.config.set(scheduler="threads"):
        warnings.simplefilter("ignore")
        with pytest.raises(InvalidParameterError) as info:
            est.fit(*inputs)
    assert_clear(info.value, rf"\b{name}\b", f"{cls.__name__}({name}={value!r})")


# ---- functions, encoders, text, wrappers, searches, datasets, utils --------------------------


def _cases(n: int, seed: int) -> dict[str, tuple[Any, str]]:
    """Named bad calls on data of ``n`` rows: (``call``, what a refusal must name[, scikit-learn's
    answer where accepting is right])."""
    import sklearn.metrics as skm
    from sklearn.linear_model import LinearRegression as SkLinear
    from sklearn.linear_model import LogisticRegression as SkLogistic

    from dasklearn import compose, ensemble, metrics, model_selection, preprocessing, utils
    from dasklearn.feature_extraction import text
    from dasklearn.parallel import on_cluster
    from dasklearn.wrappers import Incremental, ParallelPostFit

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] > np.median(X[:, 0])).astype(int)
    yf = X[:, 1].copy()
    dX, dy = da.from_array(X, chunks=n // 2), da.from_array(y, chunks=n // 2)
    with_nan = yf.copy()
    with_nan[n // 3] = np.nan
    cats = pd.DataFrame({"a": X[:, 0], "c": pd.Categorical(rng.choice(["u", "v"], n))})
    dcats = dd.from_pandas(cats, npartitions=2)
    unseen = cats.assign(c=pd.Categorical(["w"] * n))
    docs = np.array(["a b", "b c", "c d"] * (n // 3 + 1), dtype=object)[:n]

    def fitted(est, *data):
        return est.fit(*data)

    return {
        # metrics
        "accuracy: lengths differ": (lambda: metrics.accuracy_score(dy, dy[:-2]), _ROWS),
        "accuracy: blocks misaligned": (  # accepted: the blocks are aligned for it
            lambda: metrics.accuracy_score(dy, da.from_array(y, chunks=n // 3)), _ROWS,
            lambda: skm.accuracy_score(y, y)),
        "mse: NaN in y_pred": (lambda: metrics.mean_squared_error(yf, with_nan), _NAN),
        "mse: NaN in dask y_true": (
            lambda: metrics.mean_squared_error(da.from_array(with_nan, chunks=n // 2),
                                               da.from_array(yf, chunks=n // 2)), _NAN),
        "mse: lengths differ": (lambda: metrics.mean_squared_error(yf, yf[:-1]), _ROWS),
        "r2: empty": (lambda: metrics.r2_score(yf[:0], yf[:0]), _EMPTY + "|empty|0"),
        "r2: numbers as strings": (lambda: metrics.r2_score(yf.astype(str), yf), _NUMBERS,
                                   lambda: skm.r2_score(yf.astype(str), yf)),
        "r2: dask strings": (lambda: metrics.r2_score(da.from_array(yf.astype(str), chunks=n // 2),
                                                     da.from_array(yf, chunks=n // 2)), _NUMBERS),
        "mae: 3-D": (lambda: metrics.mean_absolute_error(X[:, :, None], X[:, :, None]),
                     r"dimension|shape|2"),
        "msle: negative": (lambda: metrics.mean_squared_log_error(-np.abs(yf), np.abs(yf)),
                           r"negative|-1|greater"),
        "mape: complex": (lambda: metrics.mean_absolute_percentage_error(yf + 1j, yf),
                          r"complex"),
        "log_loss: probabilities of the wrong width": (
            lambda: metrics.log_loss(y, np.full((n, 3), 1 / 3)), r"label|class|column|shape"),
        "log_loss: one label": (lambda: metrics.log_loss(np.zeros(n), np.full(n, 0.5)),
                                r"label|class"),
        "pairwise_distances: widths differ": (
            lambda: metrics.pairwise_distances(dX, X[:, :2]), r"feature|dimension|shape|width"),
        "euclidean_distances: NaN": (
            lambda: metrics.euclidean_distances(np.where(X > 1, np.nan, X), X), _NAN),
        "rbf_kernel: numbers as strings": (lambda: metrics.rbf_kernel(X.astype(str)), _NUMBERS,
                                           lambda: skm.pairwise.rbf_kernel(X.astype(str))),
        "rbf_kernel: dask numbers as strings": (
            lambda: metrics.rbf_kernel(da.from_array(X.astype(str), chunks=n // 2)), _NUMBERS,
            lambda: skm.pairwise.rbf_kernel(X.astype(str))),
        "pairwise_distances: unknown metric": (
            lambda: metrics.pairwise_distances(X, X, metric="nope"), r"metric|nope"),
        "argmin_min: widths differ": (
            lambda: metrics.pairwise_distances_argmin_min(dX, X[:2, :2]),
            r"feature|dimension|shape|width"),
        "get_scorer: unknown name": (lambda: metrics.get_scorer("nope"), r"nope|scor"),
        "check_scoring: unknown name": (
            lambda: metrics.check_scoring(preprocessing.StandardScaler(), scoring="nope"),
            r"nope|scor"),
        "check_scoring: not an estimator": (lambda: metrics.check_scoring(object()),
                                            r"estimator|fit"),
        "pairwise_kernels: unknown metric": (
            lambda: metrics.pairwise_kernels(dX, metric="nope"), r"metric|nope"),
        "linear_kernel: widths differ": (lambda: metrics.linear_kernel(dX, X[:, :2]),
                                         r"dimension|shape"),
        "polynomial_kernel: degree -1": (lambda: metrics.polynomial_kernel(dX, degree=-1),
                                         r"degree"),
        "sigmoid_kernel: NaN in dask X": (
            lambda: metrics.sigmoid_kernel(da.from_array(np.where(X > 1, np.nan, X),
                                                         chunks=n // 2)), _NAN),
        "mse: unknown multioutput": (lambda: metrics.mean_squared_error(yf, yf, multioutput="x"),
                                     r"multioutput"),
        "accuracy: 1-D against 2-D": (
            lambda: metrics.accuracy_score(dy, da.from_array(np.c_[y, y], chunks=n // 2)),
            r"multiclass|multilabel|mix|target"),
        "r2: sample_weight too short": (
            lambda: metrics.r2_score(yf, yf, sample_weight=np.ones(3)), _ROWS),
        "mae: NaN in dask sample_weight": (
            lambda: metrics.mean_absolute_error(
                dy, dy, sample_weight=da.from_array(np.r_[np.ones(n - 1), np.nan],
                                                    chunks=n // 2)), _NAN),
        "log_loss: probabilities above 1": (lambda: metrics.log_loss(y, np.full(n, 1.5)),
                                            r"greater than 1|y_prob"),
        # model selection
        "train_test_split: test_size 1.5": (
            lambda: model_selection.train_test_split(dX, dy, test_size=1.5), r"test_size"),
        "train_test_split: test_size -1": (
            lambda: model_selection.train_test_split(dX, dy, test_size=-1), r"test_size"),
        "train_test_split: lengths differ": (
            lambda: model_selection.train_test_split(X, y[:-1]), _ROWS + "|inconsistent"),
        "train_test_split: test_size 'half'": (
            lambda: model_selection.train_test_split(X, y, test_size="half"), r"test_size"),
        "KFold: one split": (lambda: list(model_selection.KFold(n_splits=1).split(dX)),
                             r"n_splits"),
        "KFold: more splits than rows": (
            lambda: list(model_selection.KFold(n_splits=n + 1).split(dX)),
            r"n_splits|split|samples"),
        "ShuffleSplit: test_size 2.0": (
            lambda: list(model_selection.ShuffleSplit(test_size=2.0).split(dX)), r"test_size"),
        "check_cv: a string": (lambda: model_selection.check_cv("nope"), r"cv|nope"),
        "GridSearchCV: unknown parameter": (
            lambda: model_selection.GridSearchCV(SkLogistic(), {"nope": [1]}).fit(X, y),
            r"nope|parameter"),
        "GridSearchCV: empty grid": (
            lambda: model_selection.GridSearchCV(SkLogistic(), {"C": []}).fit(X, y),
            r"param_grid|empty|C"),
        "RandomizedSearchCV: y too short": (
            lambda: model_selection.RandomizedSearchCV(
                SkLogistic(), {"C": [1.0]}, n_iter=1).fit(X, y[:-3]), _ROWS + "|inconsistent"),
        "IncrementalSearchCV: estimator without partial_fit": (
            lambda: model_selection.IncrementalSearchCV(SkLogistic(), {"C": [1.0]}).fit(dX, dy),
            r"partial_fit"),
        "GridSearchCV: unfitted predict": (
            lambda: model_selection.GridSearchCV(SkLogistic(), {"C": [1.0]}).predict(X),
            r"fit"),
        # wrappers and ensembles
        "ParallelPostFit: unfitted predict": (
            lambda: ParallelPostFit(SkLogistic()).predict(dX), r"fit"),
        "ParallelPostFit: fewer features": (
            lambda: fitted(ParallelPostFit(SkLogistic()), X, y).predict(dX[:, :2]), r"feature"),
        "ParallelPostFit: NaN at predict": (
            lambda: fitted(ParallelPostFit(SkLogistic()), X, y).predict(
                da.from_array(np.where(X == X[n // 3, 1], np.nan, X), chunks=n // 2)), _NAN),
        "Incremental: estimator without partial_fit": (
            lambda: Incremental(SkLinear()).fit(dX, dy), r"partial_fit"),
        "Incremental: y misaligned": (
            lambda: Incremental(SkLogistic()).fit(dX, da.from_array(y, chunks=n // 3)),
            _ROWS + "|partial_fit"),
        "BlockwiseVoting: unfitted predict": (
            lambda: ensemble.BlockwiseVotingClassifier(SkLogistic()).predict(dX), r"fit"),
        "BlockwiseVoting: fewer features": (
            lambda: fitted(ensemble.BlockwiseVotingRegressor(SkLinear()), dX, dy).predict(
                dX[:, :2]), r"feature"),
        # encoders, text, columns
        "OneHotEncoder: unseen category": (
            lambda: fitted(preprocessing.OneHotEncoder(), cats[["c"]]).transform(unseen[["c"]]),
            r"unknown|categor|w"),
        "OrdinalEncoder: unseen category": (
            lambda: fitted(preprocessing.OrdinalEncoder(), cats[["c"]]).transform(unseen[["c"]]),
            r"unknown|categor|w"),
        "OneHotEncoder: column missing at transform": (
            lambda: fitted(preprocessing.OneHotEncoder(), dcats).transform(dcats[["a"]]),
            r"feature|column|c"),
        "Categorizer: column missing at transform": (
            lambda: fitted(preprocessing.Categorizer(), cats).transform(cats[["a"]]),
            r"column|feature|c"),
        "DummyEncoder: an array": (lambda: preprocessing.DummyEncoder().fit(X),
                                   r"DataFrame|frame|column"),
        "LabelEncoder: unseen label": (
            lambda: fitted(preprocessing.LabelEncoder(), y).transform(np.full(n, 7)),
            r"unseen|label|7"),
        "LabelEncoder: 2-D y": (lambda: preprocessing.LabelEncoder().fit(X),
                                r"1d|1-dimensional|shape|dimension"),
        "ColumnTransformer: column missing at transform": (
            lambda: fitted(compose.ColumnTransformer([("s", preprocessing.StandardScaler(),
                                                       ["a"])]), dcats).transform(dcats[["c"]]),
            r"column|feature|a"),
        "CountVectorizer: 2-D input": (lambda: text.CountVectorizer().fit(X),
                                       r"1-dimensional|dimension|string|document"),
        "CountVectorizer: nothing but stop words": (
            lambda: text.CountVectorizer(stop_words=["a", "b", "c", "d"]).fit(docs),
            r"vocabulary|stop words"),
        "HashingVectorizer: a single string": (
            lambda: text.HashingVectorizer().transform("a b c"), r"string|iterable|1-dimensional"),
        # datasets
        "make_regression: n_samples -1": (lambda: datasets.make_regression(n_samples=-1),
                                          r"n_samples"),
        "make_classification: n_informative > n_features": (
            lambda: datasets.make_classification(n_features=2, n_informative=5),
            r"n_informative|n_features|features"),
        "make_blobs: chunks 0": (lambda: datasets.make_blobs(n_samples=10, chunks=0), r"chunks"),
        "make_counts: n_samples '10'": (lambda: datasets.make_counts(n_samples="10"),
                                        r"n_samples"),
        "make_classification_df: response_rate 2": (
            lambda: datasets.make_classification_df(n_samples=10, response_rate=2.0),
            r"response_rate"),
        "make_blobs: random_state 'x'": (
            lambda: datasets.make_blobs(n_samples=10, random_state="x"), r"random_state|seed|x"),
        # utils
        "utils.check_array: strings": (lambda: utils.check_array(np.array([["a", "b"]])),
                                       _NUMBERS),
        "utils.check_array: 1-D": (lambda: utils.check_array(yf), r"2D|2-dimensional|Reshape"),
        "utils.check_consistent_length": (
            lambda: utils.check_consistent_length(X, y[:-1]), _ROWS + "|inconsistent"),
        "utils.check_matching_blocks": (
            lambda: utils.check_matching_blocks(dX, da.from_array(y, chunks=n // 3)),
            r"block|chunk|partition"),
        "utils.check_random_state: a string": (lambda: utils.check_random_state("x"),
                                               r"seed|random_state|x"),
        "utils.check_chunks: chunks -1": (lambda: utils.check_chunks(n, 3, chunks=-1),
                                          r"chunks"),
        "utils.row_norms: 3-D": (lambda: utils.row_norms(X[:, :, None]), r"dimension|2"),
        "KFold: random_state 'x'": (
            lambda: list(model_selection.KFold(2, shuffle=True, random_state="x").split(dX)),
            r"seed|random_state|x"),
        "make_mixed_df: n_samples -1": (lambda: datasets.make_mixed_df(n_samples=-1),
                                        r"n_samples"),
        "make_counts: n_features 0": (lambda: datasets.make_counts(n_samples=10, n_features=0),
                                      r"n_features"),
        "make_regression: noise -1": (lambda: datasets.make_regression(n_samples=10, noise=-1.0),
                                      r"noise"),
        "make_classification: n_classes 1": (
            lambda: datasets.make_classification(n_samples=10, n_classes=1), r"n_classes"),
        "make_blobs: centers 0": (lambda: datasets.make_blobs(n_samples=10, centers=0),
                                  r"centers"),
        "random_date: not a date": (lambda: datasets.random_date("nope", "2020-01-01"),
                                    r"dates|nope"),
        "make_column_transformer: a string as transformer": (
            lambda: compose.make_column_transformer(("nope", ["a"])).fit(cats), r"nope|fit"),
        "on_cluster: an int": (lambda: on_cluster(42).__enter__(), r"Client|int"),
        "on_cluster: an unknown address scheme": (
            lambda: on_cluster("nope://x").__enter__(), r"nope|scheme"),
    }  # fmt: skip


FUNCTION_CASES = sorted(_cases(12, 0))


@pytest.mark.parametrize("name", FUNCTION_CASES)
@given(draw=st.data())
@_fast()
def test_bad_calls_get_a_clear_error(name, draw):
    n = draw.draw(st.integers(12, 40), label="rows")
    call, pattern, *reference = _cases(n, draw.draw(st.integers(0, 2**16), label="seed"))[name]
    outcome = check_property(call, reference[0] if reference else None, pattern, "exact", name)
    assert reference or outcome == "refused", f"{name}: accepted"


# ============================================================================================
# 3. what the sweep found (each was silently wrong or named the wrong problem)
# ============================================================================================


def _found() -> dict[str, tuple[Any, str]]:
    """(call, what the refusal must name) for each input the sweep caught being accepted or
    refused for the wrong reason."""
    from dasklearn import cluster, decomposition, impute, naive_bayes, preprocessing
    from dasklearn.feature_extraction import text

    X, y = _binary(24)
    dates = (X * 1e9).astype("int64").astype("datetime64[ns]")
    words = X.astype(str)
    objects = X.astype(object)
    objects[5, 0] = "n/a"
    empty = as_kind("dask_dataframe", X[:0], y[:0], lengths=(0, 0))
    zero_w = as_kind("dask_array", X, y, np.zeros(len(X)), lengths=(12, 12))
    blocks = as_kind("dask_array", X, lengths=(10, 14))[0]
    frame = as_kind("dask_dataframe", X, lengths=(10, 14))[0]
    numbers = r"Expected numeric data.*convert or encode"
    spectral = cluster.SpectralClustering(n_clusters=2, n_components=8, random_state=0)
    return {
        "SpectralClustering: dates": (lambda: spectral.fit(dates), numbers),
        "GaussianNB: numbers as strings": (lambda: naive_bayes.GaussianNB().fit(words, y), numbers),
        "GaussianNB: dates": (lambda: naive_bayes.GaussianNB().fit(dates, y), numbers),
        "GaussianNB: empty dask dataframe": (
            lambda: naive_bayes.GaussianNB().fit(empty[0], empty[1]), r"0 sample\(s\)"),
        "GaussianNB: all-zero dask weights": (
            lambda: naive_bayes.GaussianNB().fit(*zero_w), r"sample_weight sums to zero"),
        "StandardScaler: values near 1e308": (
            lambda: preprocessing.StandardScaler().fit(blocks * 1e306), r"too large for float64"),
        "StandardScaler: complex dask array at transform": (
            lambda: preprocessing.StandardScaler().fit(blocks).transform(
                blocks + 1j).compute(), r"Complex data not supported"),
        "RobustScaler: complex dask dataframe at transform": (
            lambda: preprocessing.RobustScaler().fit(frame).transform(frame + 1j).compute(),
            r"Complex data not supported"),
        "LogisticRegression: complex dask dataframe at predict": (
            lambda: LogisticRegression().fit(X, y).predict(frame + 1j).compute(),
            r"Complex data not supported"),
        "PolynomialFeatures: numbers as strings": (
            lambda: preprocessing.PolynomialFeatures().fit(words), numbers),
        "TruncatedSVD: numbers as strings": (
            lambda: decomposition.TruncatedSVD(2).fit(words), numbers),
        "TruncatedSVD: dates": (lambda: decomposition.TruncatedSVD(2).fit(dates), numbers),
        "TruncatedSVD: complex at transform": (
            lambda: decomposition.TruncatedSVD(2).fit(blocks).transform(blocks + 1j).compute(),
            r"Complex data not supported"),
        "SimpleImputer: a word in a dask object array": (
            lambda: impute.SimpleImputer().fit(da.from_array(objects, chunks=12)),
            r"Cannot use mean strategy with non-numeric data"),
        "BlockTransformer: a 3-D dask array": (
            lambda: preprocessing.BlockTransformer(np.abs).fit(blocks[:, :, None]).transform(
                blocks[:, :, None]).compute(), r"1- or 2-dimensional"),
        "CountVectorizer: a table": (
            lambda: text.CountVectorizer().fit(pd.DataFrame({"a": ["x y"], "b": ["z"]})),
            r"1-dimensional"),
    }  # fmt: skip


def _open() -> dict[str, tuple[Any, str]]:
    """Found by the sweep and fixed after it in the pass runner and the linear models."""
    from dasklearn import cluster

    X, y = _binary(24)
    Xd, yd, _ = as_kind("dask_dataframe", X, X[:, 0], lengths=(12, 12))
    short = dd.from_pandas(pd.Series(np.ones(22)), npartitions=2)  # 2 partitions, 22 rows
    empty = as_kind("dask_dataframe", X[:0], X[:0, 0], lengths=(0, 0))
    return {
        # dasklearn._placement.place learns X's unknown block lengths but not the weights'
        "LinearRegression: dask weights of another length": (
            lambda: LinearRegression().fit(Xd, yd, sample_weight=short),
            _ROWS,
        ),
        "KMeans: dask weights of another length": (
            lambda: cluster.KMeans(2, random_state=0).fit(Xd, sample_weight=short),
            _ROWS,
        ),
        # linear_model/_regression.py: the weight sum is checked before the row count
        "LinearRegression: empty dask dataframe": (
            lambda: LinearRegression().fit(empty[0], empty[1]),
            r"0 sample\(s\)",
        ),
    }


@pytest.mark.parametrize(
    "name",
    [*sorted(_found()), *sorted(_open())],
)
def test_what_the_sweep_found_is_refused_by_name(name):
    call, pattern = {**_found(), **_open()}[name]
    result, err = attempt(call)
    assert err is not None, f"{name}: accepted"
    assert_clear(err, pattern, name)
