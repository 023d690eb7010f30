"""IncrementalPCA: scikit-learn's batch-by-batch PCA, with dask row blocks as the batches.

The fit is a fold: ``state = update(state, batch)`` over the batches in order, each update
scikit-learn's ``partial_fit`` arithmetic (:func:`._kernels.ipca_update`). For dask input every
update runs where its block lives and only the state (the components, a few KiB) moves between
them: one pass over X, block after block. The chain is computed a window of blocks at a time,
so a streamed source (parquet) is never read far ahead of the update that needs it.
"""

from __future__ import annotations

import math
import os
from numbers import Integral
from typing import Any

import dask
import dask.array as da
import numpy as np

from .._blockwise import share_once, with_single_blas_thread
from .._chunks import rows_only
from .._client import active_client
from .._params import Interval, Options, check_params
from .._validation import check_random_state_int, validate_data
from . import _kernels as K
from ._base import BasePCA

__all__ = ["IncrementalPCA"]

#: Blocks per compute of the chain, per thread of the cluster (at least 8).
_WINDOW_PER_THREAD = 2


def _window() -> int:
    client = active_client()
    threads = sum(client.nthreads().values()) if client is not None else os.cpu_count() or 1
    return max(8, _WINDOW_PER_THREAD * threads)


def fold_blocks(state: K.IPCAState, X: da.Array, *args: Any) -> K.IPCAState:
    """``ipca_block(state, block, *args)`` over the row blocks of X in order: one pass.

    Each window of blocks is one compute: the state comes back to the client between windows
    (it is small), and no block is read before the window that uses it.
    """
    step = dask.delayed(with_single_blas_thread(K.ipca_block), pure=True)
    blocks = rows_only(X).to_delayed().ravel()
    window = _window()
    for start in range(0, len(blocks), window):
        current: Any = share_once(state)
        for block in blocks[start : start + window]:
            current = step(current, block, *args)
        (state,) = dask.compute(current)
    return state


class IncrementalPCA(BasePCA, auto_wrap_output_keys=None):
    """Incremental principal component analysis: scikit-learn's, over the row blocks of dask
    data in one pass.

    A drop-in for ``dask_ml.decomposition.IncrementalPCA`` (same constructor) that gives
    scikit-learn's ``IncrementalPCA`` results: ``fit`` on NumPy or pandas input makes the same
    batches as scikit-learn's; on dask input the row blocks are the batches (each cut into
    batches of ``batch_size`` rows when it is set), visited in order, each where it lives.
    ``partial_fit`` takes one batch (NumPy, pandas) or every block of a dask collection in
    order. Memory holds one block and the components, whatever the size of X.

    Parameters
    ----------
    n_components : int or None, default=None
        Components to keep. None: ``min(n_features, rows of the first batch)``.
    whiten : bool, default=False
        Scale the projections to unit variance.
    copy : bool, default=True
        Ignored: X is never modified.
    batch_size : int or None, default=None
        Rows per batch. None: ``5 * n_features`` for in-memory input (scikit-learn's), the
        row blocks themselves for dask input.
    svd_solver : {"auto", "full", "tsqr", "randomized"}, default="auto"
        The SVD of each batch: LAPACK's (``"auto"``, ``"full"``, ``"tsqr"``: scikit-learn's
        result) or a randomized SVD (``iterated_power``, ``random_state``).
    iterated_power : int or "auto", default="auto"
        Power iterations of the randomized SVD of each batch (scikit-learn's rule for
        ``"auto"``).
    random_state : int, RandomState, Generator or None, default=None
        Seeds the randomized SVD of every batch.

    Attributes
    ----------
    components_ : ndarray of shape (n_components_, n_features)
        Principal axes, by decreasing explained variance.
    explained_variance_ : ndarray of shape (n_components_,)
        Variance along each component.
    explained_variance_ratio_ : ndarray of shape (n_components_,)
        Fraction of the total variance along each component.
    singular_values_ : ndarray of shape (n_components_,)
        Singular values of the centred data seen so far.
    mean_ : ndarray of shape (n_features,)
        Column means over the data seen so far.
    var_ : ndarray of shape (n_features,)
        Column variances over the data seen so far.
    noise_variance_ : float
        Variance of the probabilistic PCA model's noise.
    n_components_ : int
        Components kept.
    n_samples_seen_ : int
        Rows seen by ``fit`` or by every ``partial_fit`` since.
    batch_size_ : int
        Rows per batch of the last ``fit`` (for dask input without ``batch_size``: the longest
        row block).
    n_passes_ : int
        Passes over X made by the last ``fit`` or ``partial_fit`` (1).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit (string column names only).

    Notes
    -----
    Differences from dask-ml: the batches are scikit-learn's (dask-ml computed every batch as
    a dask graph of its own); ``svd_solver="auto"`` is the exact SVD of each batch, and
    ``iterated_power`` defaults to ``"auto"``. Float32 data is processed in float64, as
    scikit-learn's attributes are.

    Examples
    --------
    >>> import numpy as np
    >>> from dasklearn.decomposition import IncrementalPCA
    >>> X = np.array([[-1, -1], [-2, -1], [-3, -2], [1, 1], [2, 1], [3, 2]])
    >>> ipca = IncrementalPCA(n_components=2, batch_size=3).fit(X)
    >>> ipca.explained_variance_ratio_.round(5)
    array([0.99244, 0.00756])

    On dask input every row block is a batch, visited in order:

    >>> import dask.array as da
    >>> dX = da.from_array(X.astype(float), chunks=3)
    >>> ipca = IncrementalPCA(n_components=1).fit(dX)
    >>> ipca.n_samples_seen_, ipca.n_passes_
    (6, 1)
    """

    def __init__(
        self,
        n_components: int | None = None,
        whiten: bool = False,
        copy: bool = True,
        batch_size: int | None = None,
        svd_solver: str = "auto",
        iterated_power: int | str = "auto",
        random_state: Any = None,
    ) -> None:
        self.n_components = n_components
        self.whiten = whiten
        self.copy = copy
        self.batch_size = batch_size
        self.svd_solver = svd_solver
        self.iterated_power = iterated_power
        self.random_state = random_state

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "whiten": ["boolean"],
        "copy": ["boolean"],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "svd_solver": [Options({"auto", "full", "tsqr", "randomized"})],
        "iterated_power": [Options({"auto"}), Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    # ---- state <-> attributes --------------------------------------------------------------
    def _state(self) -> K.IPCAState:
        if getattr(self, "components_", None) is None:
            return K.IPCAState(0, 0.0, 0.0, None, None, None, None, None, None)
        return K.IPCAState(
            self.n_samples_seen_,
            self.mean_,
            self.var_,
            self.components_,
            self.singular_values_,
            self.explained_variance_,
            self.explained_variance_ratio_,
            self.noise_variance_,
            self.n_components_,
        )

    def _store(self, state: K.IPCAState) -> None:
        if state.components is None:
            raise ValueError("X has no rows: nothing to fit.")
        self.n_samples_seen_ = int(state.n_samples_seen)
        self.mean_ = state.mean
        self.var_ = state.var
        self.components_ = state.components
        self.singular_values_ = state.singular_values
        self.explained_variance_ = state.explained_variance
        self.explained_variance_ratio_ = state.explained_variance_ratio
        self.noise_variance_ = state.noise_variance
        self.n_components_ = int(state.n_components)
        self.n_passes_ = 1

    def _solver(self) -> tuple | None:
        if self.svd_solver != "randomized":
            return None
        seed = check_random_state_int(self.random_state) % 2**32
        return (10, self.iterated_power, seed)

    def _first_batch(self, Xv: Any, batch_size: int | None) -> int | None:
        """Rows of the first batch, when X's metadata tells (None for unknown chunk sizes)."""
        if isinstance(Xv, da.Array):
            lengths = [c for c in Xv.chunks[0] if c]
            if not lengths or math.isnan(lengths[0]):
                return None
            n = int(lengths[0])
        else:
            n = len(Xv)
        batches = K.ipca_batches(n, batch_size, self.n_components or 0)
        return batches[0].stop if batches else None

    def _check(self, Xv: Any, first_batch: int | None, fresh: bool) -> None:
        """Errors that X's shape shows, before any pass."""
        d = Xv.shape[1]
        k = self.n_components
        if k is not None and k > d:
            raise ValueError(
                f"n_components={k} invalid for n_features={d}, need more rows than columns "
                "for IncrementalPCA processing."
            )
        if fresh and k is not None and first_batch is not None and k > first_batch:
            raise ValueError(
                f"n_components={k} must be less or equal to the batch number of samples "
                f"{first_batch} for the first partial_fit call."
            )

    def _run(self, state: K.IPCAState, Xv: Any, batch_size: int | None) -> K.IPCAState:
        """Update ``state`` with every batch of validated X (cut by ``batch_size``), in order."""
        k, solver = self.n_components, self._solver()
        if isinstance(Xv, da.Array):
            return fold_blocks(state, Xv, k, solver, batch_size)
        return K.ipca_block(state, Xv, k, solver, batch_size)

    # ---- fit -------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None) -> IncrementalPCA:
        """Fit the model with X, batch after batch (one pass).

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            Training data; dask input may be larger than the cluster's memory.
        y : ignored
            Not used, present for API consistency.

        Returns
        -------
        self : IncrementalPCA
            The fitted estimator.
        """
        check_params(self)
        Xv = self._validate(X, reset=True)
        in_memory = not isinstance(Xv, da.Array)
        batch_size = self.batch_size or (5 * Xv.shape[1] if in_memory else None)
        self._check(Xv, self._first_batch(Xv, batch_size), fresh=True)
        fresh = K.IPCAState(0, 0.0, 0.0, None, None, None, None, None, None)
        state = self._run(fresh, Xv, batch_size)
        self._store(state)
        self.batch_size_ = int(batch_size or state.largest_batch)
        return self

    def fit_transform(self, X: Any, y: Any = None) -> Any:
        """Fit the model with X, then project X onto the components.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            Training data.
        y : ignored
            Not used, present for API consistency.

        Returns
        -------
        X_new : ndarray, dask array or dask DataFrame of shape (n_samples, n_components_)
            As :meth:`transform` gives it (lazy for dask X).
        """
        return self.fit(X).transform(X)

    def partial_fit(self, X: Any, y: Any = None, check_input: bool = True) -> IncrementalPCA:
        """Update the model with X: one batch (in-memory X) or its row blocks in order (dask).

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            Training data.
        y : ignored
            Not used, present for API consistency.
        check_input : bool, default=True
            Ignored: X is always validated (as cheaply as scikit-learn's check).

        Returns
        -------
        self : IncrementalPCA
            The updated estimator.
        """
        check_params(self)
        fresh = getattr(self, "components_", None) is None
        Xv = self._validate(X, reset=fresh)
        first = self._first_batch(Xv, None) if fresh else None
        self._check(Xv, first, fresh)
        self._store(self._run(self._state(), Xv, None))
        return self

    def _validate(self, X: Any, reset: bool) -> Any:
        in_memory = not isinstance(X, da.Array) and not hasattr(X, "__dask_graph__")
        return validate_data(
            self,
            X,
            reset=reset,
            dtype=[np.float64, np.float32],
            ensure_all_finite=in_memory,  # dask blocks are checked by the update itself
            known_chunks=False,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
