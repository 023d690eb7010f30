"""IncrementalPCA against scikit-learn's fed the same batches, on every input kind and
scheduler; partial_fit; errors."""

from __future__ import annotations

import pickle

import dask
import dask.array as da
import numpy as np
import pytest
import sklearn.decomposition as skd
from support import output_type

from dasklearn.decomposition import IncrementalPCA
from dasklearn.exceptions import InvalidParameterError


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.normal(size=(6, 6)))[0]
    return rng.normal(size=(400, 6)) * np.linspace(3.0, 0.5, 6) @ basis + 4.0


def _values(out):
    return out.compute() if dask.is_dask_collection(out) else np.asarray(out)


def _fed(X, batches, **params):
    """scikit-learn's IncrementalPCA, partial_fit on each batch in order."""
    sk = skd.IncrementalPCA(**params)
    for batch in batches:
        sk.partial_fit(X[batch])
    return sk


ATTRIBUTES = (
    "components_",
    "singular_values_",
    "mean_",
    "var_",
    "explained_variance_",
    "explained_variance_ratio_",
    "noise_variance_",
    "n_samples_seen_",
    "n_components_",
)


def _assert_equal(model, sk, rtol=1e-12):
    for name in ATTRIBUTES:
        np.testing.assert_allclose(getattr(model, name), getattr(sk, name), rtol=rtol, atol=1e-12)


def test_matches_sklearn_fed_the_same_batches(data, input_kind, as_kind, scheduler):
    """In-memory input: scikit-learn's own batches of ``batch_size``; dask input: the row
    blocks, in order."""
    X = data
    Xk = as_kind(input_kind, X, chunks=90)
    model = IncrementalPCA(3, batch_size=None if "dask" in input_kind else 90).fit(Xk)
    if "dask" in input_kind:
        blocks = np.ravel(Xk.to_delayed())
        lengths = [len(block) for block in dask.compute(*blocks)]
        edges = np.cumsum([0, *lengths])
        batches = [slice(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]
        sk = _fed(X, batches, n_components=3)
        assert model.batch_size_ == max(lengths)
    else:  # scikit-learn's gen_batches: the short last batch stays (10 rows >= 3 components)
        sk = skd.IncrementalPCA(3, batch_size=90).fit(X)
    _assert_equal(model, sk)
    assert model.n_passes_ == 1
    out = model.transform(Xk)
    assert isinstance(out, output_type(input_kind, 2))
    np.testing.assert_allclose(_values(out), sk.transform(X), atol=1e-10)
    if input_kind == "dask_dataframe":
        assert list(out.columns) == ["incrementalpca0", "incrementalpca1", "incrementalpca2"]


def test_blocks_cut_into_batches(data):
    """batch_size with dask input: every block cut as scikit-learn's gen_batches cuts it."""
    X = data
    model = IncrementalPCA(2, batch_size=40).fit(da.from_array(X, chunks=((150, 150, 100), (6,))))
    batches = []
    for start, stop in [(0, 150), (150, 300), (300, 400)]:
        edges = list(range(start, stop, 40))
        if stop - edges[-1] < 2:  # min_batch_size=n_components: a short tail joins its batch
            edges.pop()
        batches += [slice(a, b) for a, b in zip(edges, edges[1:] + [stop], strict=True)]
    _assert_equal(model, _fed(X, batches, n_components=2))


def test_partial_fit(data, as_kind):
    X = data
    model = IncrementalPCA(3)
    model.partial_fit(X[:100])
    model.partial_fit(as_kind("dask_array", X[100:], chunks=150))  # blocks, in order
    sk = _fed(X, [slice(0, 100), slice(100, 250), slice(250, 400)], n_components=3)
    _assert_equal(model, sk)


@pytest.mark.parametrize("whiten", [False, True])
def test_methods_and_defaults(data, whiten):
    X = data
    model = IncrementalPCA(whiten=whiten).fit(X)  # batch_size_ = 5 * n_features = 30
    sk = skd.IncrementalPCA(whiten=whiten).fit(X)
    assert model.batch_size_ == sk.batch_size_ == 30
    _assert_equal(model, sk, rtol=1e-10)
    Z = model.transform(X)
    np.testing.assert_allclose(Z, sk.transform(X), atol=1e-9)
    np.testing.assert_allclose(model.inverse_transform(Z), sk.inverse_transform(Z), atol=1e-9)
    np.testing.assert_allclose(model.get_covariance(), sk.get_covariance(), atol=1e-9)
    np.testing.assert_allclose(model.get_precision(), sk.get_precision(), atol=1e-8)


def test_randomized_batches(data):
    model = IncrementalPCA(2, svd_solver="randomized", random_state=0, batch_size=100).fit(data)
    exact = skd.IncrementalPCA(2, batch_size=100).fit(data)
    np.testing.assert_allclose(np.abs(model.components_), np.abs(exact.components_), atol=1e-6)


def test_float32_and_pickle(data):
    X = data.astype(np.float32)
    model = IncrementalPCA(2).fit(da.from_array(X, chunks=100))
    sk = _fed(X, [slice(s, s + 100) for s in range(0, 400, 100)], n_components=2)
    np.testing.assert_allclose(model.components_, sk.components_, atol=1e-5)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(again.transform(X), model.transform(X), rtol=1e-12)


def test_errors(data):
    X = da.from_array(data, chunks=100)
    with pytest.raises(ValueError, match="n_components=7 invalid for n_features=6"):
        IncrementalPCA(7).fit(X)
    with pytest.raises(ValueError, match="less or equal to the batch number of samples 2"):
        IncrementalPCA(3).fit(da.from_array(data, chunks=(2, 398)))
    with pytest.raises(InvalidParameterError, match="batch_size"):
        IncrementalPCA(batch_size=0).fit(X)
    with pytest.raises(InvalidParameterError, match="svd_solver"):
        IncrementalPCA(svd_solver="arpack").fit(X)
    bad = data.copy()
    bad[250, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        IncrementalPCA(2).fit(bad)
    with pytest.raises(ValueError, match="NaN or infinity"):
        IncrementalPCA(2).fit(da.from_array(bad, chunks=100))
    model = IncrementalPCA(2).fit(X)
    with pytest.raises(ValueError, match="6 features"):
        model.partial_fit(data[:, :4])


def test_blocks_are_folded_a_window_at_a_time(data, monkeypatch):
    """A window of blocks per compute: a streamed source is never read far ahead."""
    import dasklearn.decomposition._incremental_pca as IP

    computes = []
    original = dask.compute

    def counting(*args, **kwargs):
        computes.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(IP, "_window", lambda: 2)
    monkeypatch.setattr(IP.dask, "compute", counting)
    model = IncrementalPCA(2).fit(da.from_array(data, chunks=80))  # 5 blocks
    assert len(computes) == 3
    sk = _fed(data, [slice(s, s + 80) for s in range(0, 400, 80)], n_components=2)
    _assert_equal(model, sk)
