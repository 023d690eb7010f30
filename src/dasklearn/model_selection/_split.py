"""Splitters for dask collections: ``train_test_split``, ``KFold``, ``ShuffleSplit``.

dask-ml's splitters, with exact sizes. A split of a dask collection never moves rows between
blocks: every row block is split on its own (``blockwise=True``, dask-ml's behaviour), so a
split is one task per block where the block lives, whatever the size of the data. The client
decides how many rows each block gives to the train and to the test side (so that the totals
are exactly scikit-learn's: ``ceil(test_size * n)`` test rows, and so on) and a seed per block;
the block task draws its rows from those. Several collections split together (X, y, weights)
get the same rows, and the same ``random_state`` gives the same split on any scheduler.

In-memory input (NumPy, pandas) goes to scikit-learn as it is: the same splits as
``sklearn.model_selection``.

How a block is split (the per-block *specs*, exact allocation of rows to blocks, the block
task) is :mod:`._blocks`; the searches build on the splitters' ``_block_specs`` and
:func:`._blocks.take` to cut dask folds made of row blocks.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from typing import Any

import dask
import dask.array as da
import numpy as np
import sklearn.model_selection as ms
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import type_of_target

from .._chunks import aligned_frames, block_lengths, is_dask_input, is_frame
from ._blocks import (
    aligned_dask,
    class_counts,
    head_specs,
    indices,
    seeds,
    shuffle_specs,
    split_sizes,
    stratified_specs,
    take,
)

__all__ = ["KFold", "ShuffleSplit", "check_cv", "compute_n_splits", "train_test_split"]


# --------------------------------------------------------------------------------------------
# splitters
# --------------------------------------------------------------------------------------------


def _check_blockwise(blockwise: Any) -> bool:
    if blockwise not in (True, False):
        raise ValueError(f"Expected a boolean for 'blockwise' but got {blockwise!r} instead.")
    return bool(blockwise)


class ShuffleSplit(ms.BaseCrossValidator):
    """Random permutation cross-validator: ``n_splits`` random train/test splits.

    For dask input each row block is split on its own (``blockwise=True``): the block keeps
    ``test_size`` of its rows (in proportion, exactly summing to the total) for the test side,
    drawn with a seed of its own. NumPy and pandas input are split as by
    :class:`sklearn.model_selection.ShuffleSplit`.

    Parameters
    ----------
    n_splits : int, default=10
        Number of re-shuffling and splitting iterations.
    test_size : float, int or None, default=0.1
        A fraction of the rows (rounded up) or a number of rows; None: the complement of
        ``train_size``.
    train_size : float, int or None, default=None
        A fraction (rounded down) or a number of rows; None: the complement of ``test_size``.
    blockwise : bool, default=True
        Only True is implemented for dask input (rows never move between blocks), as in dask-ml.
    random_state : int, RandomState instance or None, default=None
        Seeds the per-block seeds (and scikit-learn's splitter for in-memory input).

    Examples
    --------
    >>> import dask.array as da
    >>> from dasklearn.model_selection import ShuffleSplit
    >>> X = da.ones((100, 2), chunks=25)
    >>> train, test = next(ShuffleSplit(n_splits=1, test_size=0.2, random_state=0).split(X))
    >>> train.shape, test.shape, test.chunks
    ((80,), (20,), ((5, 5, 5, 5),))
    """

    def __init__(
        self,
        n_splits: int = 10,
        test_size: float | int | None = 0.1,
        train_size: float | int | None = None,
        blockwise: bool = True,
        random_state: Any = None,
    ) -> None:
        self.n_splits = n_splits
        self.test_size = test_size
        self.train_size = train_size
        self.blockwise = blockwise
        self.random_state = random_state

    def split(self, X: Any, y: Any = None, groups: Any = None) -> Iterator[tuple[Any, Any]]:
        """Generate train and test indices (dask arrays, one chunk per row block, for dask X).

        Parameters
        ----------
        X : array-like or dask collection
        y, groups : ignored

        Yields
        ------
        train, test : ndarray or dask.array.Array
            Row indices of X.
        """
        if not is_dask_input(X):
            sk = ms.ShuffleSplit(
                self.n_splits,
                test_size=self.test_size,
                train_size=self.train_size,
                random_state=self.random_state,
            )
            yield from sk.split(X, y, groups)
            return
        for lengths, specs in self._block_specs(X):
            yield indices(lengths, specs, 0), indices(lengths, specs, 1)

    def _block_specs(self, X: Any, lengths: tuple | None = None) -> Iterator[tuple[tuple, list]]:
        """(block lengths, a spec per block) for each split of dask X."""
        if not _check_blockwise(self.blockwise):
            raise NotImplementedError("ShuffleSplit with `blockwise=False` is not implemented.")
        lengths = block_lengths(X) if lengths is None else lengths
        n_train, n_test = split_sizes(sum(lengths), self.test_size, self.train_size)
        rng = check_random_state(self.random_state)
        for _ in range(self.n_splits):
            yield lengths, shuffle_specs(lengths, n_train, n_test, seeds(rng, len(lengths)))

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """The number of splits, ``n_splits``.

        Parameters
        ----------
        X, y, groups : ignored

        Returns
        -------
        n_splits : int
        """
        return self.n_splits


class KFold(ms.BaseCrossValidator):
    """K-fold cross-validator: k consecutive folds, each the test set once.

    Fold sizes are scikit-learn's (``n // k`` rows, the first ``n % k`` folds one more). For
    dask input with ``shuffle=True`` the rows are permuted within each block (a seed per
    block), not across blocks, as in dask-ml; NumPy and pandas input are split as by
    :class:`sklearn.model_selection.KFold`, and so is unshuffled dask input.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    shuffle : bool, default=False
        Permute the rows (of each block, for dask input) before cutting the folds.
    random_state : int, RandomState instance or None, default=None
        Seeds the permutation when ``shuffle`` is True.

    Examples
    --------
    >>> import dask.array as da
    >>> from dasklearn.model_selection import KFold
    >>> X = da.ones((10, 2), chunks=4)
    >>> [test.compute().tolist() for _, test in KFold(n_splits=3).split(X)]
    [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    """

    def __init__(self, n_splits: int = 5, shuffle: bool = False, random_state: Any = None) -> None:
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state

    def split(self, X: Any, y: Any = None, groups: Any = None) -> Iterator[tuple[Any, Any]]:
        """Generate train and test indices (dask arrays, one chunk per row block, for dask X).

        Parameters
        ----------
        X : array-like or dask collection
        y, groups : ignored

        Yields
        ------
        train, test : ndarray or dask.array.Array
            Row indices of X.
        """
        if not is_dask_input(X):
            sk = ms.KFold(
                self.n_splits,
                shuffle=self.shuffle,
                random_state=self.random_state if self.shuffle else None,
            )
            yield from sk.split(X, y, groups)
            return
        for lengths, specs in self._block_specs(X):
            yield indices(lengths, specs, 0), indices(lengths, specs, 1)

    def _block_specs(self, X: Any, lengths: tuple | None = None) -> Iterator[tuple[tuple, list]]:
        """(block lengths, a spec per block) for each fold of dask X."""
        if not isinstance(self.n_splits, numbers.Integral) or self.n_splits < 2:
            raise ValueError(f"k-fold cross-validation needs n_splits >= 2, got {self.n_splits}.")
        lengths = block_lengths(X) if lengths is None else lengths
        n = sum(lengths)
        if self.n_splits > n:
            raise ValueError(
                f"Cannot have number of splits n_splits={self.n_splits} greater than the "
                f"number of samples: n_samples={n}."
            )
        block_seeds: list = [None] * len(lengths)
        if self.shuffle:
            block_seeds = seeds(check_random_state(self.random_state), len(lengths))
        sizes = np.full(self.n_splits, n // self.n_splits, dtype=np.int64)
        sizes[: n % self.n_splits] += 1
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        start = 0
        for size in sizes:
            stop = start + int(size)
            specs = [
                ("fold", seed, int(np.clip(start - o, 0, m)), int(np.clip(stop - o, 0, m)))
                for seed, o, m in zip(block_seeds, offsets[:-1], lengths, strict=True)
            ]
            yield lengths, specs
            start = stop

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """The number of folds, ``n_splits``.

        Parameters
        ----------
        X, y, groups : ignored

        Returns
        -------
        n_splits : int
        """
        return self.n_splits


def check_cv(cv: Any = 3, y: Any = None, classifier: bool = False) -> Any:
    """The cross-validator for ``cv``: scikit-learn's ``check_cv`` that also takes dask ``y``.

    Parameters
    ----------
    cv : int, cross-validation generator, iterable or None, default=3
        None means 3 folds (dask-ml's default). An int is a number of folds: a
        :class:`~sklearn.model_selection.StratifiedKFold` for a classifier with a binary or
        multiclass ``y``, else a :class:`KFold` (dasklearn's, blockwise for dask input).
    y : array-like or dask collection, optional
        The target; for dask ``y`` with an int ``cv`` and a classifier, its type is computed.
    classifier : bool, default=False
        Whether the estimator is a classifier.

    Returns
    -------
    checked_cv : cross-validator
        An object with ``split`` and ``get_n_splits``.

    Examples
    --------
    >>> from dasklearn.model_selection import check_cv
    >>> check_cv(4, [0, 1, 0, 1, 0, 1, 0, 1], classifier=True)
    StratifiedKFold(n_splits=4, random_state=None, shuffle=False)
    """
    cv = 3 if cv is None else cv
    if not isinstance(cv, numbers.Integral) or isinstance(cv, bool):
        return ms.check_cv(cv, None, classifier=classifier)
    if classifier and y is not None:
        target = (
            dask.delayed(type_of_target, pure=True)(y).compute()
            if is_dask_input(y)
            else (type_of_target(y))
        )
        if target in ("binary", "multiclass"):
            return ms.StratifiedKFold(cv)
    return KFold(cv)


#: Splitters whose number of splits is their ``n_splits``, whatever the data.
_N_SPLITS_CLASSES = (
    KFold,
    ShuffleSplit,
    ms.KFold,
    ms.StratifiedKFold,
    ms.GroupKFold,
    ms.StratifiedGroupKFold,
    ms.TimeSeriesSplit,
    ms.BaseShuffleSplit,
)


def compute_n_splits(cv: Any, X: Any, y: Any = None, groups: Any = None) -> int:
    """The number of splits of ``cv`` over the data, without reading dask data where possible.

    Parameters
    ----------
    cv : cross-validator
        As returned by :func:`check_cv`.
    X, y, groups : array-like, dask collection or None

    Returns
    -------
    n_splits : int

    Examples
    --------
    >>> import dask.array as da
    >>> from dasklearn.model_selection import KFold, compute_n_splits
    >>> compute_n_splits(KFold(4), da.ones((20, 2), chunks=5))
    4
    """
    if not callable(getattr(cv, "get_n_splits", None)) and not isinstance(
        getattr(cv, "cv", None), list
    ):
        raise TypeError(
            "cv must be a cross-validator (with get_n_splits), as returned by check_cv; got "
            f"{cv!r}."
        )
    if not any(v is not None and is_dask_input(v) for v in (X, y, groups)):
        return int(cv.get_n_splits(X, y, groups))
    if isinstance(cv, _N_SPLITS_CLASSES):
        return int(cv.n_splits)
    if isinstance(getattr(cv, "cv", None), list):  # scikit-learn's wrapper of an iterable
        return len(cv.cv)
    if isinstance(cv, ms.PredefinedSplit):
        return len(cv.unique_folds)
    if isinstance(cv, ms.LeaveOneOut | ms.LeavePOut) and not is_dask_input(X):
        return int(cv.get_n_splits(X, None, None))
    if isinstance(cv, ms.LeaveOneGroupOut | ms.LeavePGroupsOut) and (
        groups is not None and not is_dask_input(groups)
    ):
        return int(cv.get_n_splits(None, None, groups))
    return int(dask.delayed(cv.get_n_splits, pure=True)(X, y, groups).compute())


def train_test_split(
    *arrays: Any,
    test_size: float | int | None = None,
    train_size: float | int | None = None,
    stratify: Any = None,
    classes: Any = None,
    random_state: Any = None,
    shuffle: bool | None = None,
    blockwise: bool | None = None,
    convert_mixed_types: bool = False,
    **options: Any,
) -> list[Any]:
    """Split arrays into random train and test subsets, blockwise for dask collections.

    Dask arrays, dataframes and series (several at once, with the same row blocks) are split
    block by block: each block gives its share of the rows to each side, so that the totals are
    exactly scikit-learn's (``ceil(test_size * n)`` test rows for a fraction). Every input gets
    the same rows. In-memory input (all NumPy or pandas) goes to
    :func:`sklearn.model_selection.train_test_split`.

    Parameters
    ----------
    *arrays : dask arrays, dataframes or series, or array-likes
        With the same number of rows. NumPy arrays beside dask input are cut like it.
    test_size : float or int, optional
        A fraction of the rows (rounded up) or a number of rows. Default: 0.1 when
        ``train_size`` is None as well (dask-ml's default), else the complement.
    train_size : float or int, optional
        A fraction (rounded down) or a number; default the complement of ``test_size``.
    stratify : array-like or dask collection, optional
        Class labels: each side gets the classes in the proportions of the whole (for dask input
        the class counts of each block are computed in one pass; suited to a few classes).
    classes : array-like, optional
        The labels ``stratify`` may hold (found in the same pass when None).
    random_state : int, RandomState instance or None, default=None
        Seeds the split; the same value gives the same split on every scheduler.
    shuffle : bool, default=True
        False: the first rows go to train and the next to test, as in scikit-learn.
    blockwise : bool, default=True
        Only True is implemented: rows never move between blocks (dask-ml's behaviour).
    convert_mixed_types : bool, default=False
        Convert dask dataframes and series to dask arrays when dask arrays are split with them
        (dask-ml's option); otherwise each keeps its type.

    Returns
    -------
    splitting : list, length 2 * len(arrays)
        ``[a_train, a_test, b_train, b_test, ...]``; dask collections for dask input (dask
        arrays with known chunks; dataframes keep their index).

    Examples
    --------
    >>> from dasklearn.datasets import make_regression
    >>> from dasklearn.model_selection import train_test_split
    >>> X, y = make_regression(n_samples=125, n_features=4, chunks=50, random_state=0)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> X_train.shape, X_test.shape, X_test.chunks[0]
    ((112, 4), (13, 4), (5, 5, 3))
    """
    if options:
        raise TypeError(f"Unexpected options {options}")
    if not arrays:
        raise ValueError("At least one array required as input")
    if test_size is None and train_size is None:
        test_size = 0.1
    shuffle = True if shuffle is None else shuffle
    if not isinstance(shuffle, bool | np.bool_):
        raise ValueError(f"shuffle must be True or False, got {shuffle!r}.")
    if not any(is_dask_input(a) for a in (*arrays, stratify)):
        return ms.train_test_split(
            *arrays,
            test_size=test_size,
            train_size=train_size,
            random_state=random_state,
            shuffle=shuffle,
            stratify=stratify,
        )
    if not _check_blockwise(True if blockwise is None else blockwise):
        raise NotImplementedError("'blockwise=False' is not implemented for dask collections.")
    if convert_mixed_types and any(isinstance(a, da.Array) for a in arrays):
        arrays = tuple(a.to_dask_array(lengths=True) if is_frame(a) else a for a in arrays)
    # dataframes from one source (X = df[features], y = df[target]) keep one partitioning
    *arrays, stratify = aligned_frames(*arrays, stratify)
    arrays = tuple(arrays)
    collections, lengths = aligned_dask(arrays + (() if stratify is None else (stratify,)))
    if stratify is not None:
        *collections, stratify = collections
    n_train, n_test = split_sizes(sum(lengths), test_size, train_size)
    if not shuffle:
        if stratify is not None:
            raise ValueError("Stratified train/test split is not implemented for shuffle=False")
        specs = head_specs(lengths, n_train, n_test)
    else:
        block_seeds = seeds(check_random_state(random_state), len(lengths))
        if stratify is None:
            specs = shuffle_specs(lengths, n_train, n_test, block_seeds)
        else:
            found, counts = class_counts(stratify, classes)
            specs = stratified_specs(counts, found, n_train, n_test, block_seeds)
    return [
        take(a, lengths, specs, side, None if specs[0][0] != "stratified" else stratify)
        for a in collections
        for side in (0, 1)
    ]
