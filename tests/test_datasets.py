"""Chunked synthetic datasets: lazy, generated on the workers, reproducible on any scheduler."""

from __future__ import annotations

import datetime
import inspect
import pickle
import time

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from dasklearn import datasets

GENERATORS = {
    "classification": lambda **kw: datasets.make_classification(n_features=6, **kw),
    # 4 classes x 2 clusters need 3 informative features (scikit-learn's hypercube rule)
    "multiclass": lambda **kw: datasets.make_classification(
        n_features=6, n_informative=3, n_classes=4, **kw
    ),
    "regression": lambda **kw: datasets.make_regression(
        n_features=6, n_informative=3, noise=1.0, **kw
    ),
    "blobs": lambda **kw: datasets.make_blobs(n_features=6, centers=4, **kw),
    "counts": lambda **kw: datasets.make_counts(n_features=6, **kw),
}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_shapes_chunks_and_dtypes(name):
    X, y = GENERATORS[name](n_samples=1050, chunks=200, random_state=0)[:2]
    assert isinstance(X, da.Array) and isinstance(y, da.Array)
    assert X.shape == (1050, 6) and y.shape == (1050,)
    assert X.chunks == ((200,) * 5 + (50,), (6,))
    assert y.chunks == (X.chunks[0],)
    Xc, yc = dask.compute(X, y, scheduler="sync")
    assert Xc.dtype == np.float64 and Xc.shape == (1050, 6)
    assert np.isfinite(Xc).all()
    assert yc.dtype == (np.float64 if name == "regression" else np.int64)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_same_random_state_same_values_on_every_scheduler(name, client):
    make = GENERATORS[name]
    X1, y1 = make(n_samples=600, chunks=100, random_state=7)[:2]
    X2, y2 = make(n_samples=600, chunks=100, random_state=7)[:2]
    sync = dask.compute(X1, y1, scheduler="sync")
    threads = dask.compute(X2, y2, scheduler="threads")
    on_cluster = client.compute([X2, y2], sync=True)
    for other in (threads, on_cluster):
        np.testing.assert_array_equal(sync[0], other[0])
        np.testing.assert_array_equal(sync[1], other[1])
    X3, _ = make(n_samples=600, chunks=100, random_state=8)[:2]
    assert not np.allclose(sync[0], X3.compute(scheduler="sync"))


def test_blocks_are_independent_of_the_number_of_workers(client):
    X, y = datasets.make_classification(400, 5, chunks=100, random_state=3)
    one_block = X.blocks[2].compute(scheduler="sync")
    np.testing.assert_array_equal(one_block, client.compute(X, sync=True)[200:300])


def test_a_billion_rows_is_lazy_and_instant():
    start = time.perf_counter()
    X, y = datasets.make_classification(10**9, 20, chunks=1_000_000, random_state=0)
    elapsed = time.perf_counter() - start
    assert X.shape == (10**9, 20)
    assert elapsed < 5  # generous: the graph is built, no data is made
    # The graph holds seeds and small coefficients, never data.
    assert len(pickle.dumps(dict(X.__dask_graph__()))) < 2_000_000


def test_classification_is_learnable():
    from sklearn.linear_model import LogisticRegression

    X, y = datasets.make_classification(
        4000, 5, n_informative=3, scale=2.0, chunks=1000, random_state=0
    )
    X, y = dask.compute(X, y)
    majority = np.bincount(y[3000:]).max() / 1000
    assert LogisticRegression().fit(X[:3000], y[:3000]).score(X[3000:], y[3000:]) > majority + 0.15
    # scikit-learn's meaning now: 3 classes need 3 informative features; class_sep, not the
    # old coefficient ``scale``, sets how separable they are.
    X, y = datasets.make_classification(
        4000,
        5,
        n_informative=3,
        n_classes=3,
        n_clusters_per_class=1,
        class_sep=3.0,
        chunks=1000,
        random_state=0,
    )
    X, y = dask.compute(X, y)
    assert set(np.unique(y)) == {0, 1, 2}
    majority = np.bincount(y[3000:]).max() / 1000
    assert LogisticRegression().fit(X[:3000], y[:3000]).score(X[3000:], y[3000:]) > majority + 0.15


def test_regression_coefficients():
    X, y, coef = datasets.make_regression(
        2000, 8, n_informative=3, noise=0.5, bias=2.0, coef=True, chunks=500, random_state=1
    )
    X, y = dask.compute(X, y)
    assert (coef != 0).sum() == 3
    A = np.column_stack([X, np.ones(len(X))])
    fitted = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(fitted[:-1], coef, atol=0.1)
    assert abs(fitted[-1] - 2.0) < 0.1


def test_blobs_centers():
    centers = np.array([[0.0, 0.0], [10.0, 10.0]])
    X, y = datasets.make_blobs(1000, centers=centers, cluster_std=0.1, chunks=300, random_state=0)
    X, y = dask.compute(X, y)
    for k in range(2):
        np.testing.assert_allclose(X[y == k].mean(axis=0), centers[k], atol=0.05)


def test_counts_are_poisson():
    X, y = datasets.make_counts(3000, 4, n_informative=1, scale=0.5, chunks=1000, random_state=0)
    y = y.compute()
    assert y.min() >= 0 and y.dtype == np.int64
    assert 0.5 < y.mean() < 3


def test_mixed_df(client):
    # make_classification_df's former table, now under its own name
    X, y = datasets.make_mixed_df(2000, n_features=3, chunks=500, random_state=0)
    assert isinstance(X, dd.DataFrame) and isinstance(y, dd.Series)
    assert X.npartitions == 4
    assert list(X.columns) == ["x0", "x1", "x2", "visits", "region", "plan", "signup"]
    assert isinstance(X.dtypes["region"], pd.CategoricalDtype)
    assert pd.api.types.is_string_dtype(X.dtypes["plan"])
    assert pd.api.types.is_datetime64_any_dtype(X.dtypes["signup"])
    frame, target = client.compute([X, y], sync=True)
    assert len(frame) == 2000 and frame.index.is_unique
    again = datasets.make_mixed_df(2000, n_features=3, chunks=500, random_state=0)[0]
    pd.testing.assert_frame_equal(frame, again.compute(scheduler="sync"))
    assert 0.2 < target.mean() < 0.8


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_informative"):
        datasets.make_classification(100, 3, n_informative=5)
    with pytest.raises(ValueError, match="n_classes"):
        datasets.make_classification(100, 3, n_classes=1)
    with pytest.raises(ValueError, match="n_samples"):
        datasets.make_regression(0, 3, n_informative=2)
    with pytest.raises(ValueError, match="do not add up"):
        datasets.make_blobs(100, chunks=(30, 30, 30))
    with pytest.raises(ValueError, match="positive"):
        datasets.make_counts(100, 3, chunks=0)
    with pytest.raises(ValueError, match="response_rate"):
        datasets.make_classification_df(100, response_rate=1.5)


# ---------------------------------------------------------------------------------------------
# dask-ml's signatures, positionally
# ---------------------------------------------------------------------------------------------

#: dask-ml's parameters (name, default) in its order; our functions may only add after them.
DASK_ML_SIGNATURES = {
    "make_classification": [
        ("n_samples", 100),
        ("n_features", 20),
        ("n_informative", 2),
        ("n_redundant", 2),
        ("n_repeated", 0),
        ("n_classes", 2),
        ("n_clusters_per_class", 2),
        ("weights", None),
        ("flip_y", 0.01),
        ("class_sep", 1.0),
        ("hypercube", True),
        ("shift", 0.0),
        ("scale", 1.0),
        ("shuffle", True),
        ("random_state", None),
        ("chunks", None),
    ],
    "make_regression": [
        ("n_samples", 100),
        ("n_features", 100),
        ("n_informative", 10),
        ("n_targets", 1),
        ("bias", 0.0),
        ("effective_rank", None),
        ("tail_strength", 0.5),
        ("noise", 0.0),
        ("shuffle", True),
        ("coef", False),
        ("random_state", None),
        ("chunks", None),
    ],
    "make_blobs": [
        ("n_samples", 100),
        ("n_features", 2),
        ("centers", None),
        ("cluster_std", 1.0),
        ("center_box", (-10.0, 10.0)),
        ("shuffle", True),
        ("random_state", None),
        ("chunks", None),
    ],
    "make_counts": [
        ("n_samples", 1000),
        ("n_features", 100),
        ("n_informative", 2),
        ("scale", 1.0),
        ("chunks", 100),
        ("random_state", None),
    ],
    "make_classification_df": [
        ("n_samples", 10000),
        ("response_rate", 0.5),
        ("predictability", 0.1),
        ("random_state", None),
        ("chunks", None),
        ("dates", None),
    ],
    "random_date": [("start", inspect.Parameter.empty), ("end", inspect.Parameter.empty)],
}


@pytest.mark.parametrize("name", sorted(DASK_ML_SIGNATURES))
def test_parameters_are_dask_mls_in_its_order(name):
    params = list(inspect.signature(getattr(datasets, name)).parameters.values())
    expected = DASK_ML_SIGNATURES[name]
    assert [(p.name, p.default) for p in params[: len(expected)]] == expected
    for extra in params[len(expected) :]:  # additions come after and have defaults
        assert extra.kind == inspect.Parameter.VAR_KEYWORD or extra.default is not extra.empty


def test_dask_ml_positional_calls():
    X, y = datasets.make_classification(
        200, 6, 3, 1, 1, 2, 2, [0.7, 0.3], 0.0, 1.5, True, 0.0, 1.0, False, 0, 50
    )
    assert X.shape == (200, 6) and X.chunks[0] == (50,) * 4
    np.testing.assert_array_equal(y.compute(), [0] * 70 + [1] * 30 + [0] * 70 + [1] * 30)

    X, y, coef = datasets.make_regression(200, 5, 2, 2, 1.0, None, 0.5, 0.0, False, True, 0, 50)
    X, y = dask.compute(X, y)
    assert X.shape == (200, 5) and y.shape == (200, 2) and coef.shape == (5, 2)
    assert (coef[:2] > 0).all() and (coef[2:] == 0).all()  # shuffle=False: informative first
    np.testing.assert_allclose(y, X @ coef + 1.0)

    X, y = datasets.make_blobs(200, 3, 4, 0.5, (-5.0, 5.0), False, 0, 50)
    assert X.shape == (200, 3) and X.chunks[0] == (50,) * 4
    np.testing.assert_array_equal(y.compute(), np.repeat(np.arange(4), 50))

    X, y = datasets.make_counts(200, 5, 2, 1.0, 50, 0)  # chunks before random_state
    assert X.chunks[0] == (50,) * 4 and y.chunks[0] == (50,) * 4
    X0, _ = datasets.make_counts(200, 5, 2, 1.0, 50, 0)
    np.testing.assert_array_equal(X.compute(), X0.compute())

    span = (datetime.date(2024, 1, 1), datetime.date(2024, 3, 1))
    X, y = datasets.make_classification_df(200, 0.5, 0.9, 0, 50, span)
    assert list(X.columns) == [f"var{i}" for i in range(20)] + ["date"]
    assert X.npartitions == 4 and y.name == "target"

    day = datasets.random_date(*span)
    assert type(day) is datetime.date and span[0] <= day < span[1]


# ---------------------------------------------------------------------------------------------
# make_classification against scikit-learn's generator
# ---------------------------------------------------------------------------------------------

CLASSIFICATION_CASES = [
    {},
    {"n_features": 8, "n_informative": 3, "weights": [0.8]},
    {"n_features": 10, "n_informative": 4, "n_classes": 3, "n_clusters_per_class": 3},
    {"n_features": 6, "n_informative": 3, "n_classes": 4, "weights": [0.1, 0.2, 0.3, 0.4]},
]


@pytest.mark.parametrize("params", CLASSIFICATION_CASES)
def test_classification_cluster_sizes_are_scikit_learns(params):
    from sklearn.datasets import make_classification

    for n_samples in (100, 997):
        kw = dict(params, n_samples=n_samples, flip_y=0.0, random_state=0)
        expected = make_classification(shuffle=False, **kw)[1]
        # unshuffled: scikit-learn's labels row for row, whatever the chunks
        y = datasets.make_classification(shuffle=False, chunks=30, **kw)[1].compute()
        np.testing.assert_array_equal(y, expected)
        # shuffled: the same class sizes, rows mixed in every block
        y = datasets.make_classification(chunks=(n_samples // 3, -1), **kw)[1].compute()
        np.testing.assert_array_equal(np.bincount(y), np.bincount(expected))
        assert not (np.diff(y) >= 0).all()


def test_classification_class_balance_follows_weights():
    from sklearn.datasets import make_classification

    kw = dict(n_samples=20_000, n_features=5, n_informative=3, n_classes=3, random_state=1)
    for weights in ([0.6, 0.3, 0.1], [0.2, 0.2]):
        ours = datasets.make_classification(weights=weights, chunks=3000, **kw)[1].compute()
        theirs = make_classification(weights=weights, **kw)[1]
        expected = np.append(weights, 1 - sum(weights))[:3]
        np.testing.assert_allclose(np.bincount(ours) / len(ours), expected, atol=0.01)
        np.testing.assert_allclose(np.bincount(ours), np.bincount(theirs), rtol=0.05)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_classification_flips_a_fraction_flip_y(n_classes):
    from sklearn.datasets import make_classification

    kw = dict(n_samples=30_000, n_features=5, n_informative=3, n_classes=n_classes, shuffle=False)
    clean = make_classification(flip_y=0.0, random_state=0, **kw)[1]
    for flip_y in (0.0, 0.2):
        ours = datasets.make_classification(flip_y=flip_y, random_state=3, chunks=7000, **kw)
        theirs = make_classification(flip_y=flip_y, random_state=3, **kw)[1]
        changed = (ours[1].compute() != clean).mean()
        # a flipped row gets a uniformly random class: 1/n_classes of them keep theirs
        assert changed == pytest.approx(flip_y * (1 - 1 / n_classes), abs=0.01)
        assert changed == pytest.approx((theirs != clean).mean(), abs=0.01)


def test_classification_logistic_accuracy_is_scikit_learns():
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    def accuracy(X, y):
        model = LogisticRegression(max_iter=500).fit(X[:1500], y[:1500])
        return model.score(X[1500:], y[1500:])

    cases = [
        {"n_features": 8, "n_informative": 3},
        {"n_features": 8, "n_informative": 3, "n_classes": 3, "n_clusters_per_class": 1},
    ]
    for kw in cases:
        # averages over random problems: the accuracy of one depends on its random geometry
        ours = [
            accuracy(*dask.compute(*datasets.make_classification(2000, random_state=s, **kw)))
            for s in range(20)
        ]
        theirs = [accuracy(*make_classification(2000, random_state=s, **kw)) for s in range(20)]
        assert np.mean(ours) == pytest.approx(np.mean(theirs), abs=0.05)


def test_classification_feature_structure_is_scikit_learns():
    from sklearn.datasets import make_classification

    kw = dict(
        n_samples=500,
        n_features=12,
        n_informative=4,
        n_redundant=3,
        n_repeated=2,
        shuffle=False,
        random_state=0,
    )
    X = datasets.make_classification(chunks=128, **kw)[0].compute()
    X_sk = make_classification(**kw)[0]
    informative_redundant = slice(0, 7)
    rank = np.linalg.matrix_rank(X[:, informative_redundant])
    assert rank == np.linalg.matrix_rank(X_sk[:, informative_redundant]) == 4
    assert np.linalg.matrix_rank(X) == np.linalg.matrix_rank(X_sk) == 4 + (12 - 4 - 3 - 2)
    for j in (7, 8):  # each repeated column equals one of the informative/redundant ones
        assert any(np.array_equal(X[:, j], X[:, k]) for k in range(7))
    noise = X[:, 9:]  # the useless features are standard normal
    assert abs(noise.mean()) < 0.1 and noise.std() == pytest.approx(1, abs=0.1)


def test_classification_class_sep_hypercube_shift_scale():
    kw = dict(n_samples=4000, n_features=4, n_informative=2, n_redundant=0, shuffle=False)
    X, y = datasets.make_classification(
        n_clusters_per_class=1, flip_y=0, class_sep=5.0, random_state=0, **kw
    )
    X, y = dask.compute(X, y)
    # cluster centres on the vertices of a square of side 2 * class_sep
    for k in (0, 1):
        centre = np.median(X[y == k, :2], axis=0)
        np.testing.assert_allclose(np.abs(centre), 5.0, atol=0.5)
    X_cube = datasets.make_classification(class_sep=5.0, random_state=0, **kw)[0].compute()
    X_poly = datasets.make_classification(class_sep=5.0, hypercube=False, random_state=0, **kw)[
        0
    ].compute()
    assert np.abs(X_poly[:, :2]).mean() < np.abs(X_cube[:, :2]).mean()

    shift, scale = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 1.0, 10.0, 0.5])
    X = datasets.make_classification(shift=shift, scale=scale, random_state=0, **kw)[0]
    noise = X.compute()[:, 2:]  # standard normal, shifted then scaled
    np.testing.assert_allclose(noise.mean(axis=0), shift[2:] * scale[2:], atol=0.2)
    np.testing.assert_allclose(noise.std(axis=0), scale[2:], rtol=0.05)
    X = datasets.make_classification(shift=None, scale=None, random_state=0, **kw)[0]
    stds = X.compute()[:, 2:].std(axis=0)
    assert ((stds > 0.9) & (stds < 110)).all()


def test_classification_shuffle_permutes_features_and_rows():
    informative = set()
    for seed in range(10):
        X, y = datasets.make_classification(
            2000, 10, n_informative=2, n_redundant=0, flip_y=0, random_state=seed, chunks=500
        )
        X, y = dask.compute(X, y)
        gap = np.abs(X[y == 0].mean(axis=0) - X[y == 1].mean(axis=0))
        informative.add(tuple(np.flatnonzero(gap > 0.3)))
        for block in np.split(y, 4):  # every block near the overall balance, in random order
            assert 0.4 < block.mean() < 0.6 and not (np.diff(block) >= 0).all()
    assert len(informative) > 3  # not always the same columns


# ---------------------------------------------------------------------------------------------
# make_regression, make_blobs, make_counts against their references
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_targets", [1, 3])
def test_regression_targets_shuffle_and_noise(n_targets):
    from sklearn.datasets import make_regression

    kw = dict(n_samples=3000, n_features=8, n_informative=3, n_targets=n_targets, bias=5.0)
    X, y, coef = datasets.make_regression(
        noise=2.0, shuffle=False, coef=True, random_state=0, chunks=700, **kw
    )
    _, y_sk, coef_sk = make_regression(noise=2.0, shuffle=False, coef=True, random_state=0, **kw)
    assert y.shape == y_sk.shape and coef.shape == coef_sk.shape
    X, y = dask.compute(X, y)
    assert y.ndim == (1 if n_targets == 1 else 2)
    assert (coef[:3] > 0).all() and (coef[:3] < 100).all() and (coef[3:] == 0).all()
    residual = y - X @ coef - 5.0
    assert residual.std() == pytest.approx(2.0, rel=0.05)
    assert abs(residual.mean()) < 0.15
    _, _, shuffled = datasets.make_regression(coef=True, random_state=0, **kw)
    rows = (shuffled != 0).reshape(8, -1).any(axis=1)
    assert rows.sum() == 3 and not rows[:3].all()  # shuffled: not the first three columns


def test_regression_effective_rank_has_scikit_learns_singular_values():
    from sklearn.datasets import make_regression

    for tail_strength in (0.1, 0.5, 0.9):
        kw = dict(n_features=20, effective_rank=5, tail_strength=tail_strength, random_state=0)
        X = datasets.make_regression(20_000, chunks=3000, **kw)[0].compute()
        X_sk = make_regression(20_000, **kw)[0]
        np.testing.assert_allclose(
            np.linalg.svd(X, compute_uv=False), np.linalg.svd(X_sk, compute_uv=False), rtol=0.05
        )
    X, y, coef = datasets.make_regression(
        300, 20, effective_rank=3, coef=True, random_state=0, chunks=100
    )
    X, y = dask.compute(X, y)
    np.testing.assert_allclose(y, X @ coef)


def test_blobs_are_scikit_learns():
    from sklearn.datasets import make_blobs

    for n_samples in (100, 1001, [50, 0, 200]):
        kw = dict(n_features=3, random_state=0)
        y_sk = make_blobs(n_samples, shuffle=False, **kw)[1]
        y = datasets.make_blobs(n_samples, shuffle=False, chunks=64, **kw)[1].compute()
        np.testing.assert_array_equal(y, y_sk)
        y = datasets.make_blobs(n_samples, chunks=64, **kw)[1].compute()
        np.testing.assert_array_equal(np.bincount(y), np.bincount(y_sk))

    std = np.array([0.5, 1.0, 3.0])
    X, y, centers = datasets.make_blobs(
        30_000,
        4,
        centers=3,
        cluster_std=std,
        center_box=(0.0, 5.0),
        random_state=1,
        chunks=7000,
        return_centers=True,
    )
    X, y = dask.compute(X, y)
    assert centers.shape == (3, 4) and (centers >= 0).all() and (centers <= 5).all()
    for k in range(3):
        np.testing.assert_allclose(X[y == k].mean(axis=0), centers[k], atol=0.1)
        np.testing.assert_allclose(X[y == k].std(axis=0), std[k], rtol=0.05)


def test_counts_coefficients_as_dask_ml():
    # dask-ml draws the coefficients uniformly in [-scale, 0): the log-rate never rises with X
    X, y = datasets.make_counts(40_000, 3, n_informative=3, scale=0.5, chunks=10_000)
    X, y = dask.compute(X, y)
    from sklearn.linear_model import PoissonRegressor

    beta = PoissonRegressor(alpha=0).fit(X, y).coef_
    assert ((beta > -0.55) & (beta < 0.05)).all()
    assert datasets.make_counts(1000, 3)[0].chunks[0] == (100,) * 10  # dask-ml's default


# ---------------------------------------------------------------------------------------------
# dataframes and dates
# ---------------------------------------------------------------------------------------------


def test_classification_df_is_make_classification_as_frames(client):
    kw = dict(n_features=5, n_informative=3, n_redundant=1)
    X, y = datasets.make_classification_df(3000, 0.2, 0.8, 0, 700, **kw)
    assert isinstance(X, dd.DataFrame) and isinstance(y, dd.Series)
    assert list(X.columns) == ["var0", "var1", "var2", "var3", "var4"]
    assert (X.dtypes == np.float64).all() and y.name == "target"
    assert X.divisions == (0, 700, 1400, 2100, 2800, 2999) == y.divisions
    frame, target = client.compute([X, y], sync=True)
    Xa, ya = datasets.make_classification(
        3000, weights=[0.8, 0.2], flip_y=0.2, random_state=0, chunks=700, **kw
    )
    np.testing.assert_array_equal(frame.to_numpy(), Xa.compute())
    np.testing.assert_array_equal(target.to_numpy(), ya.compute())
    pd.testing.assert_index_equal(frame.index, pd.RangeIndex(3000))
    # response_rate before noise; the 20% random labels pull it towards 1/2
    assert target.mean() == pytest.approx(0.8 * 0.2 + 0.2 * 0.5, abs=0.02)
    assert datasets.make_classification_df(500, chunks=100)[0].shape[1] == 20  # sklearn's


def test_classification_df_dates():
    start, end = datetime.datetime(2024, 1, 1, 12), datetime.datetime(2024, 1, 3)
    X, _ = datasets.make_classification_df(2000, dates=(start, end), random_state=0, chunks=500)
    when = X["date"].compute()
    assert pd.api.types.is_datetime64_any_dtype(when.dtype)
    assert when.min() >= start and when.max() < end
    assert (when.dt.floor("s") == when).all() and when.nunique() > 1900
    days = (datetime.date(2024, 1, 1), datetime.date(2024, 2, 1))
    X, _ = datasets.make_classification_df(2000, dates=days, random_state=0, chunks=500)
    when = X["date"].compute()
    assert (when.dt.normalize() == when).all() and when.nunique() == 31  # dates, as dask-ml
    again = datasets.make_classification_df(2000, dates=days, random_state=0, chunks=500)[0]
    pd.testing.assert_frame_equal(X.compute(), again.compute(scheduler="threads"))


def test_random_date():
    start, end = datetime.datetime(2024, 1, 1), datetime.datetime(2024, 1, 1, 0, 1)
    draws = {datasets.random_date(start, end) for _ in range(300)}
    assert all(start <= d < end and d.microsecond == 0 for d in draws) and len(draws) > 40
    assert datasets.random_date(start, end, random_state=3) == datasets.random_date(
        start, end, random_state=3
    )
    stamp = datasets.random_date("2024-01-01", "2024-06-01", random_state=0)
    assert isinstance(stamp, pd.Timestamp)
    assert pd.Timestamp("2024-01-01") <= stamp < pd.Timestamp("2024-06-01")


# ---------------------------------------------------------------------------------------------
# chunks, determinism, documentation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chunks", "rows"),
    [
        (40, (40, 40, 20)),
        (-1, (100,)),
        ((40, 5), (40, 40, 20)),  # dask's block shape (rows, columns), as dask-ml reads it
        ((40, -1), (40, 40, 20)),
        ((40, None), (40, 40, 20)),
        (((40, 60), 5), (40, 60)),  # explicit row lengths
        (((40, 60), (5,)), (40, 60)),
        ((30, 30, 40), (30, 30, 40)),
        ((100,), (100,)),
        ([10, 20, 70], (10, 20, 70)),
        (np.int64(25), (25,) * 4),
    ],
)
def test_chunks_forms(chunks, rows):
    for make in (datasets.make_classification, datasets.make_regression, datasets.make_blobs):
        X, y = make(100, 5, chunks=chunks, random_state=0)[:2]
        assert X.chunks == (rows, (5,)) and y.chunks[0] == rows


def test_chunks_auto_and_sizes_as_dask():
    X, y = datasets.make_classification(1_000_000, 20, chunks="auto", random_state=0)
    expected = da.core.normalize_chunks(("auto", 20), X.shape, dtype=np.float64)
    assert X.chunks == expected and len(X.chunks[0]) > 1 and y.chunks[0] == X.chunks[0]
    X, _ = datasets.make_blobs(100_000, 16, chunks="1MiB", random_state=0)
    assert X.chunks[0][0] * 16 * 8 <= 2**20 and sum(X.chunks[0]) == 100_000


FRAMES = {
    "classification_df": lambda **kw: datasets.make_classification_df(
        n_features=4, dates=("2024-01-01", "2024-02-01"), **kw
    ),
    "mixed_df": lambda **kw: datasets.make_mixed_df(n_features=2, **kw),
}

MORE_GENERATORS = {
    "classification_unshuffled_flipped": lambda **kw: datasets.make_classification(
        n_features=7, n_repeated=1, shift=None, scale=None, shuffle=False, flip_y=0.3, **kw
    ),
    "regression_low_rank_targets": lambda **kw: datasets.make_regression(
        n_features=6, n_targets=2, effective_rank=2, noise=0.5, **kw
    ),
    "blobs_unshuffled": lambda **kw: datasets.make_blobs([100, 200, 300], shuffle=False, **kw),
}


@pytest.mark.parametrize("name", sorted(MORE_GENERATORS))
def test_more_generators_are_the_same_on_every_scheduler(name, client):
    make = MORE_GENERATORS[name]
    X, y = make(random_state=11, chunks=150)[:2]
    X2, y2 = make(random_state=11, chunks=150)[:2]
    sync = dask.compute(X, y, scheduler="sync")
    for other in (
        dask.compute(X2, y2, scheduler="threads"),
        client.compute([X2, y2], sync=True),
    ):
        np.testing.assert_array_equal(sync[0], other[0])
        np.testing.assert_array_equal(sync[1], other[1])


@pytest.mark.parametrize("name", sorted(FRAMES))
def test_frames_are_the_same_on_every_scheduler(name, client):
    make = FRAMES[name]
    X, y = make(n_samples=900, random_state=5, chunks=200)
    sync = dask.compute(X, y, scheduler="sync")
    threads = dask.compute(*make(n_samples=900, random_state=5, chunks=200), scheduler="threads")
    on_cluster = client.compute(list(make(n_samples=900, random_state=5, chunks=200)), sync=True)
    for other in (threads, on_cluster):
        pd.testing.assert_frame_equal(sync[0], other[0])
        pd.testing.assert_series_equal(sync[1], other[1])


def test_frames_of_a_billion_rows_are_lazy_and_instant():
    start = time.perf_counter()
    X, y = datasets.make_classification_df(10**9, chunks=1_000_000, random_state=0)
    assert time.perf_counter() - start < 5
    assert X.npartitions == 1000 and X.divisions[-1] == 10**9 - 1


def test_doctests_and_numpydoc_sections():
    import doctest

    from dasklearn.datasets import _blobs, _classification, _frames, _regression

    for module in (_blobs, _classification, _frames, _regression):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0, module.__name__
    for name in datasets.__all__:
        doc = inspect.getdoc(getattr(datasets, name))
        for section in ("Parameters", "Returns", "Examples"):
            assert f"\n{section}\n---" in doc, (name, section)


def test_more_bad_arguments():
    with pytest.raises(ValueError, match=r"chunks=\(40, 60\).*\(rows per block, columns"):
        datasets.make_classification(n_samples=100, chunks=(40, 60))
    with pytest.raises(ValueError, match="chunks"):
        datasets.make_blobs(100, chunks=[50, 50])  # a pair is a block shape, as in dask-ml
    with pytest.raises(ValueError, match="do not add up"):
        datasets.make_regression(100, 5, chunks=((40, 40), 5))
    with pytest.raises(ValueError, match="n_features"):
        datasets.make_blobs(n_features=0)
    with pytest.raises(ValueError, match="cluster_std"):
        datasets.make_blobs(cluster_std=-1.0)
    with pytest.raises(ValueError, match="cluster_std"):
        datasets.make_blobs(centers=2, cluster_std=[1.0, -0.5])
    with pytest.raises(ValueError, match="cluster_std"):
        datasets.make_blobs(centers=2, cluster_std=[1.0, 1.0, 1.0])
    for make in (
        datasets.make_classification,
        datasets.make_regression,
        datasets.make_blobs,
        datasets.make_counts,
        datasets.make_classification_df,
        datasets.make_mixed_df,
    ):
        with pytest.raises(TypeError, match="n_samples"):
            make(100.0)
    with pytest.raises(TypeError, match="chunks"):
        datasets.make_classification(100, chunks=12.5)
    with pytest.raises(ValueError, match="positive"):
        datasets.make_classification(100, chunks=-3)
    with pytest.raises(ValueError, match="dates"):
        datasets.make_classification_df(100, dates=("2025-01-01", "2024-01-01"))
    with pytest.raises(ValueError, match="dates"):
        datasets.make_mixed_df(100, dates=("2025-01-01", "2024-01-01"))
    with pytest.raises(ValueError, match="dates"):
        datasets.make_classification_df(100, dates=("1000-01-01", "2000-01-01"))
    with pytest.raises(ValueError, match="end"):
        datasets.random_date(datetime.date(2025, 1, 1), datetime.date(2024, 1, 1))
    with pytest.raises(ValueError, match="end"):
        datasets.random_date(datetime.date(2025, 1, 1), datetime.date(2025, 1, 1))
    with pytest.raises(ValueError, match=r"n_classes\(3\) \* n_clusters_per_class\(2\)"):
        datasets.make_classification(n_classes=3)
    with pytest.raises(ValueError, match="weights"):
        datasets.make_classification(weights=[0.5, 0.3, 0.2])
    with pytest.raises(ValueError, match="weights"):
        datasets.make_classification(weights=[0.8, 0.7])
    with pytest.raises(ValueError, match="flip_y"):
        datasets.make_classification(flip_y=1.5)
    with pytest.raises(ValueError, match="predictability"):
        datasets.make_classification_df(100, predictability=2.0)
    with pytest.raises(TypeError, match="weights"):
        datasets.make_classification_df(100, weights=[0.5])  # set from response_rate
    with pytest.raises(TypeError, match="unexpected keyword argument .n_sample."):
        datasets.make_classification_df(100, n_sample=5)
    with pytest.raises(ValueError, match="tail_strength"):
        datasets.make_regression(tail_strength=1.5)
    with pytest.raises(ValueError, match="effective_rank"):
        datasets.make_regression(effective_rank=0)
    with pytest.raises(ValueError, match="noise"):
        datasets.make_regression(noise=-1.0)
    with pytest.raises(ValueError, match="center_box"):
        datasets.make_blobs(center_box=(5.0, -5.0))
    with pytest.raises(ValueError, match="n_samples"):
        datasets.make_blobs([10, 20], centers=3)
    with pytest.raises(ValueError, match="n_informative"):
        datasets.make_counts(100, 3, n_informative=4)
