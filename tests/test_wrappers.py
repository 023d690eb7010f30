"""ParallelPostFit and Incremental against scikit-learn on every input kind and scheduler."""

from __future__ import annotations

import pickle

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn
from distributed import wait
from distributed.diagnostics.plugin import SchedulerPlugin
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.compose import make_column_transformer
from sklearn.datasets import make_classification, make_regression
from sklearn.decomposition import PCA, IncrementalPCA
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import (
    LinearRegression,
    LogisticRegression,
    SGDClassifier,
    SGDRegressor,
)
from sklearn.metrics import accuracy_score, make_scorer, r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC

from dasklearn.wrappers import BLOCKWISE_SCORERS, Incremental, ParallelPostFit

N, P, CHUNK = 230, 5, 50  # 5 row blocks, the last one short


@pytest.fixture(scope="module")
def clf_data():
    return make_classification(N, P, n_informative=3, n_classes=3, random_state=0)


@pytest.fixture(scope="module")
def reg_data():
    X, y = make_regression(N, P, noise=1.0, random_state=0)
    return X, y


def _values(out):
    """Computed output as NumPy (dask and pandas outputs alike)."""
    if dask.is_dask_collection(out):
        out = out.compute()
    if isinstance(out, pd.DataFrame | pd.Series):
        return out.to_numpy()
    return out


def _twin(kind, X):
    """X in memory in the layout the estimator sees for ``kind`` (NumPy or pandas blocks).

    Exact equality needs the same layout: BLAS may round C- and F-ordered input differently.
    """
    if kind in ("pandas", "dask_dataframe"):
        return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    return X


def _memory_blocks(Xk):
    """The row blocks of a dask collection, computed (pandas partitions or NumPy blocks)."""
    if isinstance(Xk, da.Array):
        Xk = Xk.rechunk({1: -1}) if Xk.ndim == 2 else Xk
        return list(dask.compute(*Xk.to_delayed().ravel()))
    return list(dask.compute(*Xk.to_delayed()))


def _expected(model, method, Xk, Xm):
    """``model.<method>`` on the same rows, block by block for dask input (the same BLAS calls)."""
    if not dask.is_dask_collection(Xk):
        return getattr(model, method)(Xm)
    parts = [getattr(model, method)(b) for b in _memory_blocks(Xk) if len(b)]
    return np.concatenate([np.asarray(p) for p in parts])


def _assert_same(out, expected, kind, scheduler="threads"):
    """Exactly equal, except float output computed in other processes.

    A partition unpickled on a worker lies elsewhere in memory, and BLAS may round a dot product
    differently (by an ulp) depending on alignment; and worker processes start with
    ``OPENBLAS_NUM_THREADS=1``, which on some machines selects another GEMM kernel than this
    process's (measured: IncrementalPCA.transform of the same 130 rows differs by 1e-16 between
    a worker and here). There we allow 1e-13 relative; and for a dask DataFrame on threads,
    whose partitions (cut here from pandas) are joined into one call per thread: a row's
    position in the joined block differs from its position in its partition, and so does the
    alignment that BLAS rounds by.
    """
    values = _values(out)
    crossed = kind == "dask_dataframe" or (kind == "dask_array" and scheduler == "distributed")
    if crossed and values.dtype.kind == "f":
        np.testing.assert_allclose(values, expected, rtol=1e-13, atol=1e-13)
    else:
        np.testing.assert_array_equal(values, expected)


def _check_output_kind(out, kind, X, ndim, width=None):
    """Lazy for dask input with X's row blocks; eager otherwise; Series/DataFrame for frames."""
    if kind in ("numpy", "pandas"):
        assert isinstance(out, np.ndarray)
    elif kind == "dask_array":
        assert isinstance(out, da.Array)
        assert out.chunks[0] == X.chunks[0]
        assert out.ndim == ndim
        if width is not None:
            assert out.chunks[1] == (width,)
    else:
        assert isinstance(out, dd.Series if ndim == 1 else dd.DataFrame)
        assert out.npartitions == X.npartitions
        assert out.divisions == X.divisions
        computed = out.compute()
        pd.testing.assert_index_equal(computed.index, X.index.compute())
        if width is not None:
            assert computed.shape[1] == width


# --------------------------------------------------------------------------------------------
# ParallelPostFit: predictions equal scikit-learn's, exactly
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, ndim",
    [("predict", 1), ("predict_proba", 2), ("predict_log_proba", 2), ("decision_function", 2)],
)
def test_classifier_methods_match_sklearn(clf_data, input_kind, as_kind, scheduler, method, ndim):
    X, y = clf_data
    Xm = _twin(input_kind, X)
    wrapper = ParallelPostFit(LogisticRegression(max_iter=500)).fit(Xm, y)
    reference = LogisticRegression(max_iter=500).fit(Xm, y)
    Xk = as_kind(input_kind, X, chunks=CHUNK)
    out = getattr(wrapper, method)(Xk)
    _check_output_kind(out, input_kind, Xk, ndim, None if ndim == 1 else 3)
    _assert_same(out, _expected(reference, method, Xk, Xm), input_kind, scheduler)
    np.testing.assert_allclose(_values(out), getattr(reference, method)(Xm), rtol=1e-12)
    if input_kind == "dask_dataframe" and ndim == 2:
        assert list(out.columns) == [0, 1, 2]  # one column per class


def test_binary_decision_function_is_one_dimensional(input_kind, as_kind):
    X, y = make_classification(N, P, random_state=1)
    Xm = _twin(input_kind, X)
    wrapper = ParallelPostFit(SVC()).fit(Xm, y)
    Xk = as_kind(input_kind, X, chunks=CHUNK)
    out = wrapper.decision_function(Xk)
    _check_output_kind(out, input_kind, Xk, 1)
    expected = _expected(SVC().fit(Xm, y), "decision_function", Xk, Xm)
    _assert_same(out, expected, input_kind)


def test_regressor_and_transformer_match_sklearn(reg_data, input_kind, as_kind, scheduler):
    X, y = reg_data
    Xm = _twin(input_kind, X)
    Xk = as_kind(input_kind, X, chunks=CHUNK)
    reg = ParallelPostFit(LinearRegression()).fit(Xm, y)
    out = reg.predict(Xk)
    _check_output_kind(out, input_kind, Xk, 1)
    expected = _expected(LinearRegression().fit(Xm, y), "predict", Xk, Xm)
    _assert_same(out, expected, input_kind, scheduler)

    pca = ParallelPostFit(PCA(n_components=2, random_state=0)).fit(Xm)
    out = pca.transform(Xk)
    _check_output_kind(out, input_kind, Xk, 2, 2)
    expected = _expected(PCA(2, random_state=0).fit(Xm), "transform", Xk, Xm)
    _assert_same(out, expected, input_kind, scheduler)
    if input_kind == "dask_dataframe":
        assert list(out.columns) == ["pca0", "pca1"]  # from get_feature_names_out


def test_pipeline_on_a_mixed_dataframe(scheduler):
    """A pipeline with a categorical column: the wrapper hands pandas partitions on unchanged."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=N),
            "b": rng.normal(size=N),
            "city": rng.choice(["paris", "rome", "oslo"], size=N),
        }
    )
    y = (frame.a + (frame.city == "rome") > 0.5).astype(int).to_numpy()
    pipe = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(), ["city"]), (StandardScaler(), ["a", "b"]), remainder="drop"
        ),
        LogisticRegression(),
    )
    wrapper = ParallelPostFit(pipe).fit(frame, y)
    ddf = dd.from_pandas(frame, npartitions=4)
    pred = wrapper.predict(ddf)
    assert isinstance(pred, dd.Series)
    reference = clone(pipe).fit(frame, y)
    np.testing.assert_array_equal(pred.compute().to_numpy(), reference.predict(frame))
    proba = wrapper.predict_proba(ddf).compute()
    np.testing.assert_array_equal(proba.to_numpy(), reference.predict_proba(frame))
    pd.testing.assert_index_equal(proba.index, frame.index)
    assert wrapper.score(ddf, dd.from_pandas(pd.Series(y), npartitions=4)) == reference.score(
        frame, y
    )


def test_pipeline_transform_keeps_pandas_output():
    X, _ = make_regression(N, P, random_state=0)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(P)])
    scaler = StandardScaler().set_output(transform="pandas").fit(frame)
    out = ParallelPostFit(scaler).transform(dd.from_pandas(frame, npartitions=3))
    assert isinstance(out, dd.DataFrame) and list(out.columns) == list(frame.columns)
    pd.testing.assert_frame_equal(out.compute(), scaler.transform(frame))


def test_string_labels_keep_their_dtype(clf_data, scheduler):
    X, y = clf_data
    labels = np.array(["ant", "bee", "cat"], dtype=object)[y]
    wrapper = ParallelPostFit(LogisticRegression(max_iter=500)).fit(X, labels)
    pred = wrapper.predict(da.from_array(X, chunks=CHUNK))
    assert pred.dtype == object
    np.testing.assert_array_equal(pred.compute(), wrapper.estimator_.predict(X))
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(P)])
    wrapper.fit(frame, labels)
    ddf_pred = wrapper.predict(dd.from_pandas(frame, npartitions=3))
    assert ddf_pred.dtype == ddf_pred.compute().dtype  # meta matches the real partitions
    np.testing.assert_array_equal(ddf_pred.compute().to_numpy(), wrapper.estimator_.predict(frame))
    proba = wrapper.predict_proba(dd.from_pandas(frame, npartitions=3))
    assert list(proba.columns) == ["ant", "bee", "cat"]


def test_sparse_output_from_text(scheduler):
    docs = np.array(["the cat sat", "on the mat", "", "a dog barked at the cat"] * 20, dtype=object)
    hv = HashingVectorizer(n_features=32)
    wrapper = ParallelPostFit(hv)  # stateless: usable without fit
    dX = da.from_array(docs, chunks=25)
    out = wrapper.transform(dX)
    assert isinstance(out, da.Array) and out.shape == (80, 32) and out.chunks[0] == dX.chunks[0]
    computed = out.compute()
    assert sp.issparse(computed)
    assert (computed != hv.transform(docs)).nnz == 0
    series = dd.from_pandas(pd.Series(docs), npartitions=3)
    computed = wrapper.transform(series).compute()
    assert sp.issparse(computed) and (computed != hv.transform(docs)).nnz == 0


def test_prefitted_estimator_needs_no_fit(clf_data, as_kind):
    X, y = clf_data
    fitted = LogisticRegression(max_iter=500).fit(X, y)
    wrapper = ParallelPostFit(fitted)
    np.testing.assert_array_equal(wrapper.predict(as_kind("dask_array", X)), fitted.predict(X))
    np.testing.assert_array_equal(wrapper.classes_, fitted.classes_)
    assert not hasattr(wrapper, "estimator_")


# --------------------------------------------------------------------------------------------
# blocks: empty, unknown sizes, several column blocks; the model enters the graph once
# --------------------------------------------------------------------------------------------


def test_empty_blocks(clf_data, scheduler):
    X, y = clf_data
    model = LogisticRegression(max_iter=500).fit(X, y)
    wrapper = ParallelPostFit(model)
    dX = da.from_array(X, chunks=((50, 50, 0, 130), (P,)))
    for method in ("predict", "predict_proba", "decision_function"):
        out = getattr(wrapper, method)(dX)
        assert out.chunks[0] == dX.chunks[0]
        np.testing.assert_array_equal(out.compute(), getattr(model, method)(X))
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(P)])
    parts = [frame.iloc[:100], frame.iloc[:0], frame.iloc[100:]]
    ddf = dd.from_delayed([dask.delayed(p) for p in parts], meta=frame.iloc[:0])
    model_df = LogisticRegression(max_iter=500).fit(frame, y)
    wrapper = ParallelPostFit(model_df)
    pd.testing.assert_series_equal(
        wrapper.predict(ddf).compute(), pd.Series(model_df.predict(frame), index=frame.index)
    )
    np.testing.assert_array_equal(
        wrapper.predict_proba(ddf).compute().to_numpy(), model_df.predict_proba(frame)
    )
    y_dd = dd.from_delayed(
        [
            dask.delayed(pd.Series(y[s], index=p.index))
            for s, p in zip(_slices(), parts, strict=True)
        ],
        meta=pd.Series(y[:0]),
    )
    assert wrapper.score(ddf, y_dd) == model_df.score(frame, y)


def _slices():
    return [slice(0, 100), slice(0, 0), slice(100, None)]


def test_unknown_chunk_sizes_stay_lazy(clf_data, scheduler):
    X, y = clf_data
    model = LogisticRegression(max_iter=500).fit(X, y)
    keep = X[:, 0] > 0
    dX = da.from_array(X, chunks=CHUNK)
    masked = dX[da.from_array(keep, chunks=CHUNK)]
    assert np.isnan(masked.shape[0])
    wrapper = ParallelPostFit(model)
    pred = wrapper.predict(masked)
    proba = wrapper.predict_proba(masked)
    assert np.isnan(pred.shape[0]) and proba.shape[1] == 3
    np.testing.assert_array_equal(pred.compute(), model.predict(X[keep]))
    np.testing.assert_array_equal(proba.compute(), model.predict_proba(X[keep]))
    assert wrapper.score(masked, y[keep]) == model.score(X[keep], y[keep])  # y in memory


def test_column_blocks_are_joined(clf_data):
    X, y = clf_data
    model = LogisticRegression(max_iter=500).fit(X, y)
    dX = da.from_array(X, chunks=(CHUNK, 2))
    out = ParallelPostFit(model).predict_proba(dX)
    assert out.chunks == (dX.chunks[0], (3,))
    np.testing.assert_array_equal(out.compute(), model.predict_proba(X))


def test_model_enters_the_graph_once(scheduler):
    X, y = make_classification(400, P, flip_y=0.3, random_state=0)
    model = SVC().fit(X, y)  # ~300 support vectors: a model far bigger than one task
    model_bytes = len(pickle.dumps(model))
    dX = da.from_array(X, chunks=20)  # 20 blocks
    out = ParallelPostFit(model).decision_function(dX)
    graph = dict(out.__dask_graph__())
    sizes = [len(pickle.dumps(task)) for task in graph.values()]
    # on every scheduler one key of the graph holds the model, once (not scattered: a worker
    # that dies must not take the only copy with it, see test_faults.py)
    assert sum(s >= model_bytes for s in sizes) == 1
    assert sum(sizes) < model_bytes + X.nbytes * 1.2 + 20 * 2000
    np.testing.assert_array_equal(out.compute(), model.decision_function(X))


# --------------------------------------------------------------------------------------------
# errors, metadata, pickling, attribute delegation
# --------------------------------------------------------------------------------------------


def test_unfitted_raises_not_fitted(clf_data, input_kind, as_kind):
    X, _ = clf_data
    wrapper = ParallelPostFit(LogisticRegression())
    with pytest.raises(NotFittedError, match="not fitted"):
        wrapper.predict(as_kind(input_kind, X, chunks=CHUNK))
    with pytest.raises(NotFittedError):
        wrapper.score(as_kind(input_kind, X, chunks=CHUNK), np.zeros(N))
    assert not hasattr(wrapper, "classes_")
    with pytest.raises(NotFittedError):
        Incremental(SGDClassifier()).predict(as_kind(input_kind, X, chunks=CHUNK))


@pytest.mark.parametrize("kind", ["dask_array", "dask_dataframe"])
def test_wrong_number_of_features_fails_before_any_work(clf_data, as_kind, kind):
    X, y = clf_data
    wrapper = ParallelPostFit(LogisticRegression(max_iter=500)).fit(X, y)
    with pytest.raises(ValueError, match="X has 4 features, but LogisticRegression is expecting 5"):
        wrapper.predict(as_kind(kind, X[:, :4], chunks=CHUNK))  # raised at call time, no compute
    with pytest.raises(ValueError, match="X has 4 features"):
        wrapper.score(as_kind(kind, X[:, :4], chunks=CHUNK), y)


def test_other_column_names_fail(clf_data):
    X, y = clf_data
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(P)])
    wrapper = ParallelPostFit(LogisticRegression(max_iter=500)).fit(frame, y)
    renamed = dd.from_pandas(frame.rename(columns={"x0": "z"}), npartitions=2)
    with pytest.raises(ValueError, match="feature names should match"):
        wrapper.predict_proba(renamed)


def test_user_meta_skips_inference(clf_data, monkeypatch):
    X, y = clf_data
    wrapper = ParallelPostFit(
        LogisticRegression(max_iter=500),
        predict_meta=np.array([], dtype=np.int32),
        predict_proba_meta=np.empty((0, 3), dtype=np.float64),
    ).fit(X, y)
    monkeypatch.setattr(
        "dasklearn.wrappers._parallel_post_fit._probe",
        lambda *a: pytest.fail("meta was inferred anyway"),
    )
    dX = da.from_array(X, chunks=CHUNK)
    assert wrapper.predict(dX).dtype == np.int32
    assert wrapper.predict_proba(dX).chunks[1] == (3,)
    np.testing.assert_array_equal(wrapper.predict_log_proba(dX), wrapper.predict_log_proba(X))


def test_repeated_calls_infer_the_output_once(clf_data, monkeypatch):
    from dasklearn import _probe

    X, y = clf_data
    monkeypatch.setattr(_probe, "_PROBED", {})
    samples = []
    fake_rows = _probe._fake_rows
    monkeypatch.setattr(_probe, "_fake_rows", lambda X: samples.append(1) or fake_rows(X))
    wrapper = ParallelPostFit(LogisticRegression(max_iter=500)).fit(X, y)
    dX = da.from_array(X, chunks=CHUNK)
    first = wrapper.predict_proba(dX)
    assert len(samples) == 1
    again = wrapper.predict_proba(dX)
    assert len(samples) == 1 and again.name == first.name
    assert again.dtype == first.dtype and again.chunks == first.chunks
    wrapper.predict(dX)  # another method
    wrapper.predict_proba(dd.from_dask_array(dX))  # other columns
    assert len(samples) == 3
    wrapper.estimator_.coef_ = wrapper.estimator_.coef_ * 2  # another model
    changed = wrapper.predict_proba(dX)
    assert len(samples) == 4 and changed.name != first.name
    np.testing.assert_array_equal(changed.compute(), wrapper.estimator_.predict_proba(X))
    scaler = ParallelPostFit(StandardScaler()).fit(X)
    frame = dd.from_dask_array(dX)
    assert isinstance(scaler.transform(frame), dd.DataFrame)
    with sklearn.config_context(transform_output="pandas"):  # scikit-learn's settings count
        assert isinstance(scaler.transform(frame).compute(), pd.DataFrame)
    assert len(samples) == 6


def test_methods_follow_the_estimator(clf_data):
    X, y = clf_data
    assert not hasattr(ParallelPostFit(LinearRegression()), "predict_proba")
    assert not hasattr(ParallelPostFit(LinearRegression()), "transform")
    assert hasattr(ParallelPostFit(SVC(probability=True)), "predict_proba")
    assert is_classifier(ParallelPostFit(LogisticRegression()))
    assert is_regressor(Incremental(SGDRegressor()))
    wrapper = ParallelPostFit(LogisticRegression(max_iter=500)).fit(X, y)
    np.testing.assert_array_equal(wrapper.coef_, wrapper.estimator_.coef_)
    assert wrapper.n_features_in_ == P
    with pytest.raises(AttributeError):
        wrapper.not_an_attribute_  # noqa: B018


def test_pickle_fitted_wrappers(clf_data):
    X, y = clf_data
    dX = da.from_array(X, chunks=CHUNK)
    dy = da.from_array(y, chunks=CHUNK)
    for wrapper in (
        ParallelPostFit(LogisticRegression(max_iter=500)).fit(dX, dy),
        Incremental(SGDClassifier(random_state=0), random_state=0).fit(
            dX, dy, classes=np.unique(y)
        ),
    ):
        assert not any(dask.is_dask_collection(v) for v in vars(wrapper).values())
        restored = pickle.loads(pickle.dumps(wrapper))
        np.testing.assert_array_equal(restored.predict(dX).compute(), wrapper.predict(X))


def test_works_inside_sklearn_model_selection(clf_data):
    X, y = clf_data
    search = GridSearchCV(ParallelPostFit(LogisticRegression()), {"estimator__C": [0.1, 1.0]}, cv=3)
    search.fit(X, y)
    plain = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=3).fit(X, y)
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )


def test_fit_computes_dask_input_once(clf_data, monkeypatch):
    X, y = clf_data
    calls = []
    original = dask.compute
    monkeypatch.setattr(dask, "compute", lambda *a, **k: calls.append(1) or original(*a, **k))
    w = np.linspace(0.5, 1.5, N)
    wrapper = ParallelPostFit(LogisticRegression(max_iter=500)).fit(
        da.from_array(X, chunks=CHUNK), da.from_array(y, chunks=CHUNK), sample_weight=w
    )
    assert len(calls) == 1
    reference = LogisticRegression(max_iter=500).fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(wrapper.coef_, reference.coef_)


# --------------------------------------------------------------------------------------------
# score: blockwise reductions equal scikit-learn's metrics
# --------------------------------------------------------------------------------------------


def test_default_score_is_blockwise(
    clf_data, reg_data, input_kind, as_kind, scheduler, monkeypatch
):
    X, y = clf_data
    Xm = _twin(input_kind, X)
    weights = np.random.default_rng(0).uniform(0.5, 2.0, N)
    Xk, yk = as_kind(input_kind, X, y, chunks=CHUNK)
    clf = ParallelPostFit(LogisticRegression(max_iter=500)).fit(Xm, y)
    reg = ParallelPostFit(LinearRegression()).fit(_twin(input_kind, reg_data[0]), reg_data[1])
    if input_kind.startswith("dask"):
        monkeypatch.setattr(
            "dasklearn.wrappers._parallel_post_fit._to_memory",
            lambda *a: pytest.fail("gathered instead of reduced"),
        )
    assert clf.score(Xk, yk) == pytest.approx(clf.estimator_.score(Xm, y), abs=1e-15)
    wk = as_kind(input_kind, weights[:, None], chunks=CHUNK)
    wk = wk[:, 0] if input_kind in ("numpy", "dask_array") else wk.iloc[:, 0]
    assert clf.score(Xk, yk, sample_weight=wk) == pytest.approx(
        clf.estimator_.score(Xm, y, sample_weight=weights), abs=1e-14
    )
    X, y = reg_data
    Xm = _twin(input_kind, X)
    Xk, yk = as_kind(input_kind, X, y, chunks=CHUNK)
    assert reg.score(Xk, yk) == pytest.approx(reg.estimator_.score(Xm, y), rel=1e-12)


@pytest.mark.parametrize("scoring", BLOCKWISE_SCORERS[1:])
def test_regression_scorers_are_blockwise(reg_data, scoring, monkeypatch):
    X, y = reg_data
    Y = np.column_stack([y, 0.5 * y + X[:, 0]])  # two outputs: uniform average
    model = LinearRegression().fit(X, Y[:, ::-1] * 1.1)  # imperfect on purpose
    from sklearn.metrics import get_scorer

    expected = get_scorer(scoring)(model, X, Y)
    monkeypatch.setattr(
        "dasklearn.wrappers._parallel_post_fit._to_memory",
        lambda *a: pytest.fail("gathered instead of reduced"),
    )
    wrapper = ParallelPostFit(model, scoring=scoring)
    got = wrapper.score(da.from_array(X, chunks=CHUNK), da.from_array(Y, chunks=(CHUNK, 2)))
    assert got == pytest.approx(expected, rel=1e-12)


def test_constant_target_r2_follows_sklearn():
    X = np.arange(20.0).reshape(10, 2)
    model = LinearRegression().fit(X, np.ones(10))
    dX, dy = da.from_array(X, chunks=4), da.from_array(np.ones(10), chunks=4)
    assert ParallelPostFit(model).score(dX, dy) == r2_score(np.ones(10), model.predict(X))


def test_other_scorers_get_the_data_in_memory(clf_data):
    X, y = clf_data
    model = LogisticRegression(max_iter=500).fit(X, y)
    dX, dy = da.from_array(X, chunks=CHUNK), da.from_array(y, chunks=CHUNK)
    wrapper = ParallelPostFit(model, scoring="f1_macro")
    from sklearn.metrics import get_scorer

    assert wrapper.score(dX, dy) == get_scorer("f1_macro")(model, X, y)
    scorer = make_scorer(accuracy_score)
    assert ParallelPostFit(model, scoring=scorer).score(dX, dy) == scorer(model, X, y)


def test_misaligned_blocks_are_reported(clf_data):
    X, y = clf_data
    wrapper = ParallelPostFit(LogisticRegression(max_iter=500)).fit(X, y)
    dX = da.from_array(X, chunks=CHUNK)
    with pytest.raises(ValueError, match="row chunks"):
        wrapper.score(dX, da.from_array(y, chunks=((40, 40, 50, 50, 50),)))
    with pytest.raises(ValueError, match="X has 5 row blocks but y has 3"):
        wrapper.score(dX, da.from_array(y, chunks=100))


# --------------------------------------------------------------------------------------------
# Incremental
# --------------------------------------------------------------------------------------------


def _blocks(X, y, chunk=CHUNK):
    starts = range(0, len(X), chunk)
    return [(X[s : s + chunk], None if y is None else y[s : s + chunk]) for s in starts]


def _collection_blocks(Xk, yk):
    return list(zip(_memory_blocks(Xk), _memory_blocks(yk), strict=True))


def _sequential(estimator, blocks, order, **kwargs):
    model = clone(estimator)
    for i in order:
        Xb, yb = blocks[i]
        if yb is None:
            model.partial_fit(Xb, **kwargs)
        else:
            model.partial_fit(Xb, yb, **kwargs)
    return model


@pytest.mark.parametrize("shuffle", [False, True])
def test_incremental_equals_sequential_partial_fit(
    clf_data, input_kind, as_kind, scheduler, shuffle
):
    X, y = clf_data
    classes = np.unique(y)
    sgd = SGDClassifier(random_state=0, tol=None)
    inc = Incremental(sgd, shuffle_blocks=shuffle, random_state=7)
    Xk, yk = as_kind(input_kind, X, y, chunks=CHUNK)
    inc.fit(Xk, yk, classes=classes)
    if input_kind in ("numpy", "pandas"):  # in memory: one partial_fit call
        expected = _sequential(sgd, [(X, y)], [0], classes=classes)
    else:
        order = inc._block_order(5)
        assert sorted(order) == list(range(5))
        expected = _sequential(sgd, _collection_blocks(Xk, yk), order, classes=classes)
    np.testing.assert_array_equal(inc.estimator_.coef_, expected.coef_)
    np.testing.assert_array_equal(inc.coef_, expected.coef_)
    if input_kind in ("dask_array", "dask_dataframe"):
        pred = inc.predict(Xk)
        _check_output_kind(pred, input_kind, Xk, 1)
        np.testing.assert_array_equal(_values(pred), _expected(expected, "predict", Xk, None))
        assert inc.score(Xk, yk) == pytest.approx(
            expected.score(_twin(input_kind, X), y), abs=1e-15
        )


def test_incremental_block_order_is_seeded():
    a = Incremental(SGDClassifier(), random_state=3)._block_order(20)
    b = Incremental(SGDClassifier(), random_state=3)._block_order(20)
    c = Incremental(SGDClassifier(), random_state=4)._block_order(20)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert list(Incremental(SGDClassifier(), shuffle_blocks=False)._block_order(4)) == [0, 1, 2, 3]


def test_incremental_is_one_chain_computed_once(clf_data, client, monkeypatch):
    X, y = clf_data
    calls = []
    original = dask.compute
    monkeypatch.setattr(dask, "compute", lambda *a, **k: calls.append(1) or original(*a, **k))
    dX, dy = da.from_array(X, chunks=CHUNK), da.from_array(y, chunks=CHUNK)
    inc = Incremental(SGDClassifier(random_state=0), random_state=0)
    inc.fit(dX, dy, classes=np.unique(y))
    assert len(calls) == 1
    assert isinstance(inc.estimator_, SGDClassifier)


class _Placement(SchedulerPlugin):
    """Records, for each partial_fit task, whether it ran on a worker holding its X block."""

    name = "dasklearn-test-placement"

    def __init__(self, scheduler, x_name):
        self.scheduler, self.x_name, self.local = scheduler, x_name, []

    def transition(self, key, start, finish, *args, **kwargs):
        if finish == "processing" and str(key).startswith("_partial_fit_block"):
            ts = self.scheduler.tasks[key]
            blocks = [d for d in ts.dependencies if isinstance(d.key, tuple)]
            blocks = [d for d in blocks if d.key[0] == self.x_name]
            self.local.append(all(ts.processing_on in d.who_has for d in blocks))


def test_incremental_moves_the_model_not_the_data(client):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16_000, 5))
    y = (X[:, 0] > 0).astype(int)
    dX, dy = client.persist([da.from_array(X, chunks=2000), da.from_array(y, chunks=2000)])
    wait([dX, dy])
    holders = {v[0] for v in client.who_has(dX).values()}
    assert len(holders) == 2  # the blocks are spread over both workers
    scheduler = client.cluster.scheduler
    plugin = _Placement(scheduler, dX.name)
    scheduler.add_plugin(plugin)
    try:
        Incremental(SGDClassifier(random_state=0), random_state=0).fit(dX, dy, classes=[0, 1])
    finally:
        scheduler.remove_plugin(name=plugin.name)
    assert len(plugin.local) == 8 and all(plugin.local)


def test_incremental_sample_weight_is_split_per_block(reg_data, scheduler):
    X, y = reg_data
    w = np.linspace(0.1, 2.0, N)
    sgd = SGDRegressor(random_state=0, tol=None)
    inc = Incremental(sgd, shuffle_blocks=False)
    dX, dy = da.from_array(X, chunks=CHUNK), da.from_array(y, chunks=CHUNK)
    inc.fit(dX, dy, sample_weight=da.from_array(w, chunks=CHUNK))
    model = clone(sgd)
    for s in range(0, N, CHUNK):
        model.partial_fit(X[s : s + CHUNK], y[s : s + CHUNK], sample_weight=w[s : s + CHUNK])
    np.testing.assert_array_equal(inc.coef_, model.coef_)
    inc2 = Incremental(sgd, shuffle_blocks=False).fit(dX, y, sample_weight=w)  # in memory, split
    np.testing.assert_array_equal(inc2.coef_, model.coef_)


def test_incremental_partial_fit_continues(clf_data):
    X, y = clf_data
    classes = np.unique(y)
    dX, dy = da.from_array(X, chunks=CHUNK), da.from_array(y, chunks=CHUNK)
    sgd = SGDClassifier(random_state=0, tol=None)
    inc = Incremental(sgd, shuffle_blocks=False)
    inc.partial_fit(dX, dy, classes=classes).partial_fit(dX, dy, classes=classes)
    blocks = _blocks(X, y)
    expected = _sequential(sgd, blocks + blocks, range(10), classes=classes)
    np.testing.assert_array_equal(inc.coef_, expected.coef_)
    inc.fit(dX, dy, classes=classes)  # fit starts over
    np.testing.assert_array_equal(
        inc.coef_, _sequential(sgd, blocks, range(5), classes=classes).coef_
    )


def test_incremental_unsupervised_and_empty_blocks(reg_data, scheduler):
    X, _ = reg_data
    dX = da.from_array(X, chunks=((50, 50, 0, 130), (P,)))
    inc = Incremental(IncrementalPCA(n_components=2), shuffle_blocks=False).fit(dX)
    expected = IncrementalPCA(n_components=2)
    for block in (X[:50], X[50:100], X[100:]):
        expected.partial_fit(block)
    np.testing.assert_allclose(inc.components_, expected.components_, rtol=1e-12)
    _assert_same(inc.transform(dX), inc.estimator_.transform(X), "dask_array", scheduler)


def test_incremental_needs_partial_fit(clf_data):
    X, y = clf_data
    with pytest.raises(TypeError, match="partial_fit; SVC has none"):
        Incremental(SVC()).fit(da.from_array(X, chunks=CHUNK), y)


def test_incremental_misaligned_y(clf_data):
    X, y = clf_data
    with pytest.raises(ValueError, match="row blocks"):
        Incremental(SGDClassifier()).fit(
            dd.from_pandas(pd.DataFrame(X), npartitions=3),
            dd.from_pandas(pd.Series(y), npartitions=2),
            classes=np.unique(y),
        )
    with pytest.raises(ValueError, match="has 230 rows but y has 200"):
        Incremental(SGDClassifier()).fit(da.from_array(X, chunks=CHUNK), y[:200])


def test_a_missing_method_keeps_the_models_reason():
    with pytest.raises(AttributeError, match="probability=False"):
        ParallelPostFit(SVC()).predict_proba  # noqa: B018
    assert not hasattr(ParallelPostFit(SVC()), "predict_proba")
    assert hasattr(ParallelPostFit(SVC(probability=True)), "predict_proba")
