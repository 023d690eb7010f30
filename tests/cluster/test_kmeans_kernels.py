"""The k-means block kernels, on NumPy alone (no dask)."""

from __future__ import annotations

import numpy as np
import pytest

from dasklearn.cluster import _kmeans_kernels as K
from dasklearn.cluster import _weighted_kmeans as W


def _naive_sq_distances(X, C):
    """Every row's squared distance to every center, (n, k)."""
    return ((X[:, None, :] - C[None]) ** 2).sum(-1)


def _naive_labels(X, C):
    return _naive_sq_distances(X, C).argmin(1)


@pytest.mark.parametrize("k", [1, 2, 3, 8, 40, 300])
@pytest.mark.parametrize("n", [1, 3, 1001])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_nearest_centers_matches_argmin(k, n, dtype):
    """Every tile size and remainder (rows and centers not multiples of 4); ties: lowest index."""
    rng = np.random.default_rng(k * n)
    X = rng.standard_normal((n, 5)).astype(dtype)
    C = rng.standard_normal((k, 5))
    if k > 2:
        C[2] = C[1]  # duplicate center: index 1 must win
    A, b, mu = K.center_terms(C, X.dtype)
    labels, values = K.nearest_centers(X, A, b)
    expected = _naive_labels(X.astype(np.float64), C)
    np.testing.assert_array_equal(labels, expected)
    d2 = ((X.astype(np.float64) - mu) ** 2).sum(1) + values
    exact = ((X.astype(np.float64) - C[expected]) ** 2).sum(1)
    np.testing.assert_allclose(d2, exact, rtol=1e-4 if dtype == np.float32 else 1e-9, atol=1e-4)


def test_nearest_centers_flags_non_finite_rows():
    rng = np.random.default_rng(7)
    X, C = rng.standard_normal((9, 3)), rng.standard_normal((5, 3))
    X[2, 0], X[7, 1], X[8, 2] = np.nan, np.inf, -np.inf
    A, b, _ = K.center_terms(C, X.dtype)
    _, values = K.nearest_centers(X, A, b)
    np.testing.assert_array_equal(np.isfinite(values), ~np.isin(np.arange(9), [2, 7, 8]))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lloyd_block_sums_and_weights(dtype):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5000, 6)).astype(dtype)
    C = rng.standard_normal((5, 6))
    w = rng.uniform(0.5, 2.0, size=len(X))
    A, b, mu = K.center_terms(C, X.dtype)
    weights, sums, (s1, s2, n) = K.lloyd_block(X, w, A, b, moments_shift=mu)
    lab = _naive_labels(X.astype(np.float64), C)
    np.testing.assert_allclose(weights, np.bincount(lab, weights=w, minlength=5))
    expected = np.zeros((5, 6))
    np.add.at(expected, lab, X * w[:, None])
    np.testing.assert_allclose(sums, expected, rtol=1e-5 if dtype == np.float32 else 1e-10)
    T = X.astype(np.float64) - mu
    np.testing.assert_allclose(s1, T.sum(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(s2, (T**2).sum(0), rtol=1e-5)
    assert n == len(X)


def test_far_from_origin_keeps_precision():
    """The shift by the centers' mean: data at 1e6 still gets exact labels and inertia."""
    rng = np.random.default_rng(1)
    C = rng.standard_normal((4, 3)) * 3 + 1e6
    X = C[rng.integers(0, 4, 3000)] + rng.standard_normal((3000, 3))
    A, b, _ = K.center_terms(C, X.dtype)
    labels, inertia = K.assign_block(X, None, C, A, b)
    lab = _naive_labels(X - 1e6, C - 1e6)
    np.testing.assert_array_equal(labels, lab)
    np.testing.assert_allclose(inertia, ((X - C[lab]) ** 2).sum(), rtol=1e-9)


def test_transform_and_labels_blocks():
    rng = np.random.default_rng(2)
    X, C = rng.standard_normal((700, 4)), rng.standard_normal((3, 4))
    A, b, mu = K.center_terms(C, X.dtype)
    D = np.sqrt(((X[:, None, :] - C[None]) ** 2).sum(-1))
    np.testing.assert_allclose(K.transform_block(X, A, b, mu), D, rtol=1e-9)
    np.testing.assert_array_equal(K.labels_block(X, A, b), D.argmin(1))
    X[5, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        K.labels_block(X, A, b)


def _splitmix_uniform(key, n):
    """The k-means|| rows' uniform draws (``_nearest._uniform``), in NumPy."""
    with np.errstate(over="ignore"):
        z = np.uint64(key) + (np.arange(n, dtype=np.uint64) + np.uint64(1)) * np.uint64(
            0x9E3779B97F4A7C15
        )
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / 2.0**53


def _round(X, j, shift, updates, ell, seed, round_, previous=None, weigh=0, sample=None):
    return K.parallel_pass_block(
        X, None, j, previous, shift, updates, ell, seed, round_, weigh, sample, True
    )


def test_round_superset_is_exactly_the_global_sample():
    """Blocks sample under their own cost; the merge keeps exactly u < ell w d^2 / phi."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((3000, 2))
    cands = X[:3].copy()
    ell, seed = 6.0, 11
    updates = [K.update_terms(cands, X.dtype, 0, cands[0])]
    blocks = np.array_split(np.arange(len(X)), 5)
    parts = [_round(X[i], j, cands[0], updates, ell, seed, 1)[0] for j, i in enumerate(blocks)]
    merged = parts[0]
    for p in parts[1:]:
        merged = K.combine_round(merged, p)
    d2 = _naive_d2(X, cands)
    phi = d2.sum()
    u = np.concatenate(
        [_splitmix_uniform(K.round_key(seed, 1, j), len(i)) for j, i in enumerate(blocks)]
    )
    expected = X[u * phi < ell * d2]
    np.testing.assert_allclose(merged["phi"], phi)
    np.testing.assert_array_equal(np.sort(merged["rows"], axis=0), np.sort(expected, axis=0))
    assert 0 < len(expected) < 4 * ell


def _naive_d2(X, C):
    return _naive_sq_distances(X, C).min(1)


def test_round_state_carried_equals_recomputed_and_weighs_the_cells():
    """A block's kept state (distance to the nearest candidate) gives bit for bit what a block
    without state (streamed) recomputes from every update; the weighing pass's cell sums are
    those of the rows nearest to each candidate."""
    rng = np.random.default_rng(8)
    X = rng.standard_normal((1001, 5)) * [1, 2, 3, 4, 50] + 7
    C = X[rng.choice(len(X), 9, replace=False)]
    shift = X.mean(0)
    groups = ((C[:1], 0), (C[1:4], 1), (C[4:9], 4))
    ups = [K.update_terms(g, X.dtype, o, shift) for g, o in groups]
    _, state = _round(X, 0, shift, ups[:1], 4.0, 3, 1)
    _, state = _round(X, 0, shift, ups[1:2], 4.0, 3, 2, previous=(None, state))
    kept, state = _round(X, 0, shift, ups[2:], 0.0, 3, 3, previous=(None, state), weigh=9)
    fresh, fresh_state = _round(X, 0, shift, ups, 0.0, 3, 3, weigh=9)
    np.testing.assert_array_equal(state[0], fresh_state[0])
    np.testing.assert_array_equal(state[1], fresh_state[1])
    assert kept["phi"] == fresh["phi"]
    np.testing.assert_array_equal(kept["sums"], fresh["sums"])
    np.testing.assert_allclose(state[0], _naive_d2(X, C), rtol=1e-9, atol=1e-9)
    labels = _naive_labels(X, C)
    np.testing.assert_array_equal(state[1], labels)
    np.testing.assert_array_equal(kept["weights"], np.bincount(labels, minlength=9))
    sums = np.zeros((9, 5))
    np.add.at(sums, labels, X)
    np.testing.assert_allclose(kept["sums"], sums, rtol=1e-12)


def _seed_pass(X, w, bounds, plan, seed):
    parts = [
        K.seed_sample_block(X[a:b], None if w is None else w[a:b], j, plan, seed)
        for j, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True))
    ]
    merged = parts[0]
    for part in parts[1:]:
        merged = K.combine_seed_sample(merged, part)
    return parts, merged


def test_the_first_pass_takes_the_moments_and_a_uniform_sample():
    """Each block's moments around its own first row add up to those around the first block's
    first row (an empty block included); row i of block j is kept when its draw is below the
    rate, weighing w_i / rate; without the length, each block keeps per_block / rows."""
    rng = np.random.default_rng(12)
    X = rng.standard_normal((3000, 4)) * [1, 10, 100, 0.1] + 1e4
    w = rng.uniform(0.5, 2.0, len(X))
    bounds = [0, 700, 700, 1900, 3000]  # the second block is empty
    parts, merged = _seed_pass(X, w, bounds, (0.1, None), 7)
    shift, s1, s2, n = merged["moments"]
    np.testing.assert_array_equal(shift, X[0])
    assert n == len(X) and merged["weight"] == pytest.approx(w.sum())
    np.testing.assert_allclose(s1, (X - X[0]).sum(0), rtol=1e-9)
    np.testing.assert_allclose(s2, ((X - X[0]) ** 2).sum(0), rtol=1e-9)
    np.testing.assert_allclose(merged["wsums"][:-1], w @ (X - X[0]), rtol=1e-9)
    np.testing.assert_allclose(merged["wsums"][-1], w @ ((X - X[0]) ** 2).sum(1), rtol=1e-9)
    taken = []
    for j, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        key = np.random.SeedSequence([7, j, K._SEED_STREAM]).generate_state(1, np.uint64)[0]
        taken.append(a + np.flatnonzero(_splitmix_uniform(key, b - a) < 0.1))
    taken = np.concatenate(taken)
    np.testing.assert_array_equal(merged["rows"], X[taken])
    np.testing.assert_allclose(merged["weights"], w[taken] / 0.1)
    assert abs(len(taken) - 300) < 4 * np.sqrt(300)
    _, strata = _seed_pass(X, None, bounds, (None, 50.0), 7)
    sizes = np.diff(bounds)
    counts = [len(p["rows"]) for p in _seed_pass(X, None, bounds, (None, 50.0), 7)[0]]
    assert counts[1] == 0 and all(abs(c - 50) < 30 for i, c in enumerate(counts) if i != 1)
    expected = np.concatenate([np.full(c, s / 50.0) for c, s in zip(counts, sizes, strict=True)])
    np.testing.assert_allclose(strata["weights"], expected)
    _, every = _seed_pass(X, None, bounds, (1.0, None), 7)
    np.testing.assert_array_equal(every["rows"], X)
    np.testing.assert_array_equal(every["weights"], np.ones(len(X)))


def _weigh(X, j, shift, updates, plan, keep):
    return K.parallel_pass_block(X, None, j, None, shift, updates, 0.0, 5, 1, 7, plan, keep)


@pytest.mark.parametrize("keep", [True, False], ids=["after-rounds", "one-sweep"])
def test_the_weighing_pass_samples_rows_with_their_cells(keep):
    """Row i is kept with probability p_i = min(1, size (u/n + (1 - u) d2_i/phi)) and weighs
    1/p_i; a sample of every row weighs 1 a row. The same with the blocks' state kept (the
    path after k-means|| rounds) and in the one sweep of a weighing pass without rounds."""
    rng = np.random.default_rng(9)
    X = rng.standard_normal((5000, 3))
    X[:20] *= 30  # far rows: kept with probability 1
    C = X[20:27].copy()
    ups = [K.update_terms(C, X.dtype, 0, C[0])]
    d2 = _naive_d2(X, C)
    phi = 2 * d2.sum()  # the round before's cost: larger
    plan = (500.0, 5000.0, phi)
    out, state = _weigh(X, 4, C[0], ups, plan, keep)
    rows, labels, w = out["sample"]
    taken = np.flatnonzero((X[:, None, :] == rows[None]).all(-1).any(1))
    np.testing.assert_array_equal(rows, X[taken])
    np.testing.assert_array_equal(labels, _naive_labels(rows, C))
    u = K._UNIFORM_SHARE
    p = np.minimum(1.0, 500 * (u / 5000 + (1 - u) * d2[taken] / phi))
    np.testing.assert_allclose(w, 1 / p, rtol=1e-9)
    p_all = np.minimum(1.0, 500 * (u / 5000 + (1 - u) * d2 / phi))
    assert 10 < (p_all == 1.0).sum() and set(np.flatnonzero(p_all == 1.0)) <= set(taken)
    assert abs(len(rows) - p_all.sum()) < 4 * np.sqrt(p_all.sum())
    same = _weigh(X, 4, C[0], ups, plan, keep)[0]["sample"][0]
    other = _weigh(X, 3, C[0], ups, plan, keep)[0]["sample"][0]
    np.testing.assert_array_equal(same, rows)  # a stream per (seed, block)
    assert not np.array_equal(other, rows)
    every = _weigh(X, 4, C[0], ups, (np.inf, 5000.0, phi), keep)[0]
    np.testing.assert_array_equal(every["sample"][0], X)
    np.testing.assert_array_equal(every["sample"][2], np.ones(len(X)))
    part = _weigh(X[:10], 5, C[0], ups, (np.inf, 10.0, phi), keep)[0]
    merged = K.combine_round(out, part)
    np.testing.assert_array_equal(merged["sample"][0], np.vstack([rows, X[:10]]))


def test_stratified_points_split_each_cell_among_its_sampled_rows():
    means = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [5.0, 5.0]])
    weights = np.array([100.0, 50.0, 3.0, 0.0])  # cell 2 has no sampled row, cell 3 no row
    rows = np.array([[0.1, 0.0], [-0.1, 0.0], [0.0, 0.2], [10.0, 0.1], [9.0, 9.0]])
    labels = np.array([0, 0, 0, 1, 1])
    row_weights = np.array([1.0, 1.0, 2.0, 4.0, 0.0])  # a zero-weight row stands for nothing
    P, w = K.stratified_points(means, weights, rows, labels, row_weights)
    np.testing.assert_array_equal(P, np.vstack([rows[:4], means[2:3]]))
    np.testing.assert_allclose(w, [25.0, 25.0, 50.0, 50.0, 3.0])
    assert w.sum() == weights.sum()
    X = np.random.default_rng(1).standard_normal((20, 2))
    labels = _naive_labels(X, means[:2])
    counts = np.bincount(labels, minlength=4).astype(float)
    P, w = K.stratified_points(means, counts, X, labels, np.ones(20))  # every row sampled
    np.testing.assert_array_equal(P, X)
    np.testing.assert_array_equal(w, np.ones(20))


def test_recluster_matches_sklearn_on_weighted_points():
    """Step 8 (compiled weighted k-means on the cells' means) is as good as scikit-learn's."""
    from sklearn.cluster import KMeans as SKKMeans

    rng = np.random.default_rng(2)
    P = np.vstack([rng.normal(c, 1.0, (40, 4)) for c in rng.normal(0, 6, (6, 4))])
    w = rng.uniform(0.5, 50.0, len(P))
    w[:3] = 0.0  # empty cells are left out
    centers, cost = K.recluster(P, w, 6, 0, 10)
    np.testing.assert_allclose(cost, (w * _naive_d2(P, centers)).sum(), rtol=1e-9)
    sk = SKKMeans(6, n_init=10, random_state=0).fit(P, sample_weight=w).inertia_
    assert cost <= sk * 1.001
    np.testing.assert_array_equal(centers, K.recluster(P, w, 6, 0, 10)[0])


def _plain_lloyd(P, w, C, max_iter, tol):
    """Weighted Lloyd measuring every distance, with the re-clustering's rules (stop when no
    label changes or the centers moved at most ``tol`` in all, then one more assignment; an
    empty cluster takes the point of largest ``w * D^2``)."""
    C = C.copy()
    labels = np.full(len(P), -1)
    settled = False
    for it in range(max_iter + 1):
        d2 = _naive_sq_distances(P, C)
        new = d2.argmin(1)
        dist = d2[np.arange(len(P)), new]
        changed = (new != labels).sum()
        labels = new
        if changed == 0 or settled or it == max_iter:
            break
        old = C.copy()
        mass = np.bincount(labels, weights=w, minlength=len(C))
        for j in range(len(C)):
            if mass[j] > 0:
                C[j] = (w[labels == j, None] * P[labels == j]).sum(0) / mass[j]
        shift = ((C - old) ** 2).sum() if mass.min() > 0 else np.inf
        for j in np.flatnonzero(mass <= 0):
            far = np.argmax(w * dist)
            C[j] = P[far]
            dist[far] = 0.0
        settled = shift <= tol
    return C, float((w * dist).sum())


@pytest.mark.parametrize("case", range(12))
def test_the_bounded_lloyd_gives_plain_lloyds_centers(case):
    """Hamerly's bounds skip distances, not label changes, and sums kept up to date as points
    change cluster equal sums added up again: the same centers and cost as measuring every
    distance, from centers far off (empty clusters) or among the points."""

    rng = np.random.default_rng(case)
    m, d, k = int(rng.integers(30, 600)), int(rng.integers(1, 9)), int(rng.integers(1, 13))
    P = rng.standard_normal((m, d)) * rng.uniform(0.2, 3.0, d)
    w = rng.uniform(0.1, 3.0, m) if case % 2 else np.ones(m)
    C = P[rng.choice(m, k, replace=False)] + (5 * rng.standard_normal((k, d)) if case % 3 else 0)
    tol = 0.0 if case % 4 == 0 else 1e-6
    expected, expected_cost = _plain_lloyd(P, w, C, 300, tol)
    cost = W._coreset_lloyd(P, w, C, 300, tol)
    np.testing.assert_allclose(C, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cost, expected_cost, rtol=1e-10)


def _counting_runs(monkeypatch):

    runs = []
    lloyd = W._coreset_lloyd
    monkeypatch.setattr(W, "_coreset_lloyd", lambda *a: runs.append(1) or lloyd(*a))
    return runs


def test_recluster_runs_more_only_while_the_runs_disagree(monkeypatch):
    """Where most runs end at the same optimum (well separated groups) one batch of
    ``n_init`` runs is enough; where each run ends in its own local optimum (points spread
    without groups), batches follow up to ``max_init``. The result is the first run of the
    lowest cost, whatever the threads."""

    rng = np.random.default_rng(3)
    runs = _counting_runs(monkeypatch)
    groups = np.vstack([rng.normal(c, 0.1, (50, 3)) for c in 10 * np.eye(3)])
    K.recluster(groups, np.ones(len(groups)), 3, 0, 4, max_init=20)
    assert len(runs) == 4
    spread = rng.uniform(size=(400, 6))
    runs.clear()
    one = W.coreset_kmeans(
        spread, np.ones(400), 12, np.random.default_rng(1), 4, 300, 1, max_init=20
    )
    assert len(runs) == 20
    two = W.coreset_kmeans(
        spread, np.ones(400), 12, np.random.default_rng(1), 4, 300, 2, max_init=20
    )
    np.testing.assert_array_equal(one[0], two[0])
    assert one[1] == two[1]
    first = W.coreset_kmeans(spread, np.ones(400), 12, np.random.default_rng(1), 4, 300)
    assert one[1] <= first[1]  # the first batch's runs are the same draws


def test_the_re_clustering_runs_more_where_the_sample_stands_for_the_data():
    from dasklearn.cluster._kmeans_algorithm import _most_runs

    assert [_most_runs(s) for s in (1.0, 0.25, 0.125, 0.01)] == [64, 64, 32, 8]


def test_sample_keeps_the_largest_keys():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((1000, 3))
    parts = [
        K.sample_block(X[i : i + 250], None, j, 20, 5, X[0])
        for j, i in enumerate(range(0, 1000, 250))
    ]
    merged = parts[0]
    for p in parts[1:]:
        merged = K.combine_sample(merged, p)
    keys = np.concatenate(
        [
            np.log(np.random.default_rng(np.random.SeedSequence([5, j])).random(250))
            for j in range(4)
        ]
    )
    top = np.sort(np.argsort(-keys)[:20])
    np.testing.assert_array_equal(np.sort(merged["keys"]), np.sort(keys[top]))
    assert merged["moments"][2] == 1000


def test_farthest_rows():
    X = np.arange(20.0).reshape(10, 2)
    C = np.array([[0.0, 1.0]])
    A, b, mu = K.center_terms(C, X.dtype)
    left = K.farthest_block(X[:5], None, A, b, mu, 2)
    right = K.farthest_block(X[5:], None, A, b, mu, 2)
    best = K.combine_farthest(left, right)
    np.testing.assert_array_equal(best["rows"], X[[9, 8]])


def test_kernels_compile_without_a_writable_cache(monkeypatch):
    """Numba raises for cache=True when no cache directory is writable (read-only install and
    home): the kernels then compile without one instead of failing at import."""
    import numba.core.caching as caching

    from dasklearn.cluster import _nearest

    monkeypatch.setattr(caching.config, "CACHE_LOCATOR_CLASSES", "", raising=False)
    monkeypatch.setattr(caching.CacheImpl, "_locator_classes", [])

    def double(x):
        return 2 * x

    with pytest.raises(RuntimeError, match="no locator"):
        __import__("numba").njit(cache=True)(double)
    assert _nearest.compiled()(double)(3) == 6


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [1, 7, 1001])
def test_assign_block_labels_and_exact_weighted_inertia(dtype, n):
    """The final pass's one sweep: the nearest center (ties: the lowest index) and the exact
    weighted squared distances, on every row including the tail of fewer than 4."""
    rng = np.random.default_rng(6)
    X = rng.standard_normal((n, 6)).astype(dtype)
    C = np.vstack([X[:1], X[:1], rng.standard_normal((5, 6)).astype(dtype)])  # a tie: 0 and 1
    w = rng.uniform(0.5, 2.0, n)
    A, b, _ = K.center_terms(C, X.dtype)
    labels, inertia = K.assign_block(X, w, C, A, b)
    X64, C64 = X.astype(np.float64), C.astype(np.float64)
    expected = _naive_labels(X64, C64)
    np.testing.assert_array_equal(labels, expected)
    assert labels.dtype == np.int32 and 1 not in labels
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(inertia, w @ ((X64 - C64[expected]) ** 2).sum(1), rtol=rtol)
    assert K.assign_block(X, None, C, A, b, return_labels=False)[0] is None
