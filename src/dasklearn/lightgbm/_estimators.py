"""The scikit-learn estimators of :mod:`dasklearn.lightgbm`: :class:`LGBMClassifier`,
:class:`LGBMRegressor`, :class:`LGBMRanker` (subclasses of LightGBM's own Dask estimators)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from dasklearn._output import Output, map_rows

from ._base import (
    _DaskLearnLGBM,
    _label_block,
    _LGBMLabelEncoder,
    _proba_block,
    _values_block,
    _width_of,
    lightgbm,
)

__all__ = ["LGBMClassifier", "LGBMRanker", "LGBMRegressor"]


class LGBMRegressor(_DaskLearnLGBM, lightgbm.DaskLGBMRegressor):
    """LightGBM regression on a Dask cluster (every ``lightgbm.LGBMRegressor`` parameter).

    ``fit`` takes NumPy, pandas or dask input; each worker trains on its own partitions.
    ``predict`` returns output aligned with X: lazy for dask input, NumPy otherwise.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import numpy as np
    >>> import pandas as pd
    >>> from dasklearn._client import connect
    >>> from dasklearn.lightgbm import LGBMRegressor
    >>> client = connect(n_workers=2, threads_per_worker=1, dashboard=False)
    >>> df = pd.DataFrame(np.random.default_rng(0).normal(size=(400, 3)), columns=list("abc"))
    >>> X = dd.from_pandas(df, npartitions=4)
    >>> y = dd.from_pandas(2 * df["a"] - df["b"], npartitions=4)
    >>> reg = LGBMRegressor(n_estimators=20, num_leaves=4, verbose=-1).fit(X, y)
    Finding random open ports for workers
    >>> pred = reg.predict(X)  # lazy: a dask Series with X's index and divisions
    >>> pred.name, pred.dtype, pred.divisions == X.divisions
    ('prediction', dtype('float64'), True)
    >>> reg.predict(df.iloc[:2]).shape  # pandas in, NumPy out
    (2,)
    >>> client.close()
    """

    def fit(  # type: ignore[override]
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        init_score: Any = None,
        eval_set: Sequence[tuple[Any, Any]] | None = None,
        eval_names: list[str] | None = None,
        eval_sample_weight: Sequence[Any] | None = None,
        eval_init_score: Sequence[Any] | None = None,
        eval_metric: Any = None,
        **kwargs: Any,
    ) -> LGBMRegressor:
        """Train on the cluster: every worker trains on the partitions it holds; returns self.

        The inputs are checked, converted and persisted once before LightGBM starts.

        Parameters
        ----------
        X : NumPy array, pandas DataFrame, dask array or dask DataFrame
            Features, shape (n_samples, n_features): numeric, boolean or categorical columns
            (categorical columns get the same categories on every worker). In-memory X is split
            into one partition per worker.
        y : NumPy array, pandas Series, dask array or dask Series of shape (n_samples,)
            Targets. Beside dask X, a dask y must have X's partitions (the same rows in each)
            and a NumPy or pandas y is split into them; beside in-memory X, y is in memory.
        sample_weight : same kinds as y, optional
            Weight of every row, split into X's partitions like y.
        init_score : same kinds as y, optional
            LightGBM's initial raw score of every row (one value per row), split like y.
        eval_set : list of (X, y) pairs, optional
            Data evaluated after every round (``evals_result_``); each pair may be of any of
            the kinds above and is checked and persisted as X and y are. With early stopping
            (``callbacks=[lightgbm.early_stopping(n)]``) predictions use the best iteration.
        eval_names : list of str, optional
            Names of the eval sets in ``evals_result_``.
        eval_sample_weight, eval_init_score : list, optional
            One entry per ``eval_set`` pair (None for none), split like that pair's y.
        eval_metric : str, callable or list, optional
            LightGBM's evaluation metric(s), besides the objective's.
        **kwargs
            Passed on to LightGBM's Dask ``fit`` as given (``feature_name``,
            ``categorical_feature``, ``callbacks``, ``init_model``, ...).

        Returns
        -------
        self : LGBMRegressor
            The fitted estimator.

        Raises
        ------
        ValueError
            Before training: partitions of X, y, weights or an eval set that do not line up,
            per-row inputs of another length than X, X that is not 2-D or has columns that are
            neither numeric, boolean nor categorical, eval-set lists of another length than
            ``eval_set``.
        TypeError
            A dask per-row input beside in-memory X.
        """
        self._fit_on_cluster(
            X,
            y,
            classifier=False,
            extra={"sample_weight": sample_weight, "init_score": init_score},
            eval_set=eval_set,
            eval_extra={
                "eval_sample_weight": eval_sample_weight,
                "eval_init_score": eval_init_score,
            },
            fit_kwargs={"eval_names": eval_names, "eval_metric": eval_metric, **kwargs},
        )
        return self

    def predict(self, X: Any, raw_score: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        """Predicted values, block by block, aligned with X.

        Parameters
        ----------
        X : NumPy array, pandas DataFrame, dask array or dask DataFrame
            The rows to predict, shape (n_samples, n_features): numeric, boolean or
            categorical columns, as many as the model has (checked first).
        raw_score : bool, default=False
            Raw scores instead of predictions (they differ for objectives with a link
            function, such as ``"poisson"``).
        **kwargs
            Accepted for LightGBM's signature and ignored (``num_iteration``, ``pred_leaf``,
            ``pred_contrib``, ... have no effect here).

        Returns
        -------
        y_pred : NumPy array, dask array or dask Series of shape (n_samples,)
            float64, one value per row. NumPy for NumPy or pandas X. For a dask array, a lazy dask
            array with X's row chunks; for a dask DataFrame, a lazy dask Series named
            ``"prediction"`` with X's index and divisions. Each block is predicted where it is (with
            the model's local copy), and nothing is computed until asked.
        """
        self._check_predict_input(X)
        local = self.to_local()
        width = _width_of(local) if raw_score else None
        return map_rows(
            _values_block,
            X,
            local,
            raw_score,
            width,
            output=Output(np.float64, width=width, name="prediction"),
            dtype=None,
        )


class LGBMClassifier(_DaskLearnLGBM, lightgbm.DaskLGBMClassifier):
    """LightGBM classification on a Dask cluster (every ``lightgbm.LGBMClassifier`` parameter).

    Labels may be any sortable values; they are encoded once for the whole cluster, and every
    worker holding data must hold every class (checked before training). ``predict`` and
    ``predict_proba`` are aligned with X: lazy for dask input, NumPy otherwise.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from dasklearn._client import connect
    >>> from dasklearn.lightgbm import LGBMClassifier
    >>> client = connect(n_workers=2, threads_per_worker=1, dashboard=False)
    >>> features = np.random.default_rng(0).normal(size=(400, 4))
    >>> labels = np.where(features[:, 0] > 0, "yes", "no")
    >>> X, y = da.from_array(features, chunks=100), da.from_array(labels, chunks=100)
    >>> clf = LGBMClassifier(n_estimators=10, num_leaves=4, verbose=-1).fit(X, y)
    Finding random open ports for workers
    >>> clf.classes_
    array(['no', 'yes'], dtype='<U3')
    >>> clf.predict_proba(X)  # lazy, with X's row chunks
    dask.array<..., shape=(400, 2), dtype=float64, chunksize=(100, 2), chunktype=numpy.ndarray>
    >>> clf.predict(features[:3])  # NumPy in, NumPy out
    array(['yes', 'no', 'no'], dtype='<U3')
    >>> client.close()
    """

    def fit(  # type: ignore[override]
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        init_score: Any = None,
        eval_set: Sequence[tuple[Any, Any]] | None = None,
        eval_names: list[str] | None = None,
        eval_sample_weight: Sequence[Any] | None = None,
        eval_class_weight: list[Any] | None = None,
        eval_init_score: Sequence[Any] | None = None,
        eval_metric: Any = None,
        **kwargs: Any,
    ) -> LGBMClassifier:
        """Train on the cluster: every worker trains on the partitions it holds; returns self.

        The inputs are checked, converted and persisted once before LightGBM starts; the class
        labels are read from the persisted y and handed to LightGBM as codes 0..n_classes-1,
        and every worker holding data must hold rows of every class.

        Parameters
        ----------
        X : NumPy array, pandas DataFrame, dask array or dask DataFrame
            Features, shape (n_samples, n_features): numeric, boolean or categorical columns
            (categorical columns get the same categories on every worker). In-memory X is split
            into one partition per worker.
        y : NumPy array, pandas Series, dask array or dask Series of shape (n_samples,)
            Class labels: any sortable values (ints, strings, -1/1, ...), at least two distinct
            ones. Beside dask X, a dask y must have X's partitions (the same rows in each) and a
            NumPy or pandas y is split into them; beside in-memory X, y is in memory. The labels of
            an eval set must be labels of y.
        sample_weight : same kinds as y, optional
            Weight of every row, split into X's partitions like y.
        init_score : same kinds as y, optional
            LightGBM's initial raw score of every row (one value per row), split like y.
        eval_set : list of (X, y) pairs, optional
            Data evaluated after every round (``evals_result_``); each pair may be of any of
            the kinds above and is checked and persisted as X and y are. With early stopping
            (``callbacks=[lightgbm.early_stopping(n)]``) predictions use the best iteration.
        eval_names : list of str, optional
            Names of the eval sets in ``evals_result_``.
        eval_sample_weight, eval_init_score : list, optional
            One entry per ``eval_set`` pair (None for none), split like that pair's y.
        eval_class_weight : list of dict or "balanced", optional
            One entry per ``eval_set`` pair, passed to LightGBM as given. LightGBM sees the
            codes 0..n_classes-1 (positions in ``classes_``), so a dict is keyed by those.
        eval_metric : str, callable or list, optional
            LightGBM's evaluation metric(s), besides the objective's.
        **kwargs
            Passed on to LightGBM's Dask ``fit`` as given (``feature_name``,
            ``categorical_feature``, ``callbacks``, ``init_model``, ...).

        Returns
        -------
        self : LGBMClassifier
            The fitted estimator; ``classes_`` holds the sorted labels, ``n_classes_`` their
            number.

        Raises
        ------
        ValueError
            Before training: partitions of X, y, weights or an eval set that do not line up, per-row
            inputs of another length than X, X that is not 2-D or has columns that are neither
            numeric, boolean nor categorical, eval-set lists of another length than ``eval_set``;
            fewer than two classes, eval-set labels that are not in y, or a worker holding data
            without rows of some class.
        TypeError
            A dask per-row input beside in-memory X.
        """
        data = self._fit_on_cluster(
            X,
            y,
            classifier=True,
            extra={"sample_weight": sample_weight, "init_score": init_score},
            eval_set=eval_set,
            eval_extra={
                "eval_sample_weight": eval_sample_weight,
                "eval_init_score": eval_init_score,
            },
            fit_kwargs={
                "eval_names": eval_names,
                "eval_class_weight": eval_class_weight,
                "eval_metric": eval_metric,
                **kwargs,
            },
        )
        # the model was fitted on codes 0..n_classes-1: give it the original labels back
        self._le = _LGBMLabelEncoder().fit(data.classes)
        self._classes = data.classes
        self._n_classes = len(data.classes)
        return self

    def predict_proba(self, X: Any, raw_score: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        """Class probabilities, one column per entry of ``classes_``, block by block.

        Parameters
        ----------
        X : NumPy array, pandas DataFrame, dask array or dask DataFrame
            The rows to predict, shape (n_samples, n_features): numeric, boolean or
            categorical columns, as many as the model has (checked first).
        raw_score : bool, default=False
            LightGBM's raw scores instead of probabilities, as :meth:`predict` gives them
            with ``raw_score=True`` (one per row for two classes).
        **kwargs
            Accepted for LightGBM's signature and ignored (``num_iteration``, ``pred_leaf``,
            ``pred_contrib``, ... have no effect here).

        Returns
        -------
        proba : NumPy array, dask array or dask DataFrame of shape (n_samples, n_classes)
            float64, columns in the order of ``classes_``. NumPy for NumPy or pandas X. For a
            dask array, a lazy dask array with X's row chunks (one column block); for a dask
            DataFrame, a lazy dask DataFrame with columns named after ``classes_`` and X's
            index and divisions. Each block is predicted where it is, and nothing is computed
            until asked.
        """
        if raw_score:
            return LGBMRegressor.predict(self, X, raw_score=True)  # type: ignore[arg-type]
        self._check_predict_input(X)
        return map_rows(
            _proba_block,
            X,
            self.to_local(),
            self.n_classes_,
            output=Output(np.float64, width=self.n_classes_, columns=list(self.classes_)),
            dtype=None,
        )

    def predict(self, X: Any, raw_score: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        """Predicted class labels (raw scores with ``raw_score=True``), block by block.

        Parameters
        ----------
        X : NumPy array, pandas DataFrame, dask array or dask DataFrame
            The rows to predict, shape (n_samples, n_features): numeric, boolean or
            categorical columns, as many as the model has (checked first).
        raw_score : bool, default=False
            Return LightGBM's raw scores instead of labels: float64, one per row for two
            classes, one column per class otherwise (columns 0, 1, ... for dataframe X).
        **kwargs
            Accepted for LightGBM's signature and ignored (``num_iteration``, ``pred_leaf``,
            ``pred_contrib``, ... have no effect here).

        Returns
        -------
        labels : NumPy array, dask array or dask Series of shape (n_samples,)
            Entries of ``classes_``, in its dtype. NumPy for NumPy or pandas X. For a dask array, a
            lazy dask array with X's row chunks; for a dask DataFrame, a lazy dask Series named
            ``"prediction"`` with X's index and divisions. Each block is predicted where it is (with
            the model's local copy), and nothing is computed until asked. With ``raw_score=True``,
            the raw scores in the same containers.
        """
        if raw_score:
            return self.predict_proba(X, raw_score=True)
        self._check_predict_input(X)
        classes = np.asarray(self.classes_)
        return map_rows(
            _label_block,
            X,
            self.to_local(),
            classes,
            output=Output(classes.dtype, name="prediction"),
            dtype=None,
        )


class LGBMRanker(_DaskLearnLGBM, lightgbm.DaskLGBMRanker):
    """LightGBM learning to rank on a Dask cluster (every ``lightgbm.LGBMRanker`` parameter).

    ``fit(X, y, group=...)`` takes the group sizes of each partition's queries as LightGBM's
    Dask ranker does: a dask array or Series of group sizes with one chunk per partition of X,
    and no query may span two partitions. ``predict`` returns relevance scores aligned with X.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from dasklearn._client import connect
    >>> from dasklearn.lightgbm import LGBMRanker
    >>> client = connect(n_workers=2, threads_per_worker=1, dashboard=False)
    >>> features = np.random.default_rng(0).normal(size=(400, 4))
    >>> relevance = np.clip(np.round(features[:, 0] + 1), 0, 3)
    >>> X, y = da.from_array(features, chunks=100), da.from_array(relevance, chunks=100)
    >>> group = da.from_array(np.full(40, 10), chunks=10)  # 10 queries of 10 rows a partition
    >>> ranker = LGBMRanker(n_estimators=10, num_leaves=4, verbose=-1)
    >>> ranker = ranker.fit(X, y, group=group)
    Finding random open ports for workers
    >>> scores = ranker.predict(X)  # lazy, with X's row chunks
    >>> scores.chunks
    ((100, 100, 100, 100),)
    >>> bool(np.corrcoef(scores.compute(), features[:, 0])[0, 1] > 0.8)
    True
    >>> client.close()
    """

    def fit(  # type: ignore[override]
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        init_score: Any = None,
        group: Any = None,
        eval_set: Sequence[tuple[Any, Any]] | None = None,
        eval_names: list[str] | None = None,
        eval_sample_weight: Sequence[Any] | None = None,
        eval_init_score: Sequence[Any] | None = None,
        eval_group: Sequence[Any] | None = None,
        eval_metric: Any = None,
        eval_at: Sequence[int] | None = None,
        **kwargs: Any,
    ) -> LGBMRanker:
        """Train on the cluster: every worker trains on the partitions it holds; returns self.

        The inputs are checked, converted and persisted once before LightGBM starts.

        Parameters
        ----------
        X : dask array or dask DataFrame
            Features, shape (n_samples, n_features), as for :class:`LGBMRegressor`, in
            partitions that hold whole queries (``group`` follows them; in-memory X would be
            split into one partition per worker at row counts of its own).
        y : dask array or dask Series of shape (n_samples,)
            Relevance of every row, in X's partitions.
        sample_weight : same kinds as y, optional
            Weight of every row, split into X's partitions like y.
        init_score : same kinds as y, optional
            LightGBM's initial raw score of every row, split like y.
        group : dask array or dask Series
            Required: the number of rows of every query, in row order, with one chunk
            (partition) per partition of X holding the sizes of that partition's queries.
            Passed to LightGBM as given.
        eval_set : list of (X, y) pairs, optional
            Data evaluated after every round (``evals_result_``), checked and persisted as X
            and y are.
        eval_names : list of str, optional
            Names of the eval sets in ``evals_result_``.
        eval_sample_weight, eval_init_score : list, optional
            One entry per ``eval_set`` pair (None for none), split like that pair's y.
        eval_group : list, optional
            The query sizes of every ``eval_set`` pair, chunked as ``group`` is; passed to
            LightGBM as given.
        eval_metric : str, callable or list, optional
            LightGBM's evaluation metric(s), besides the objective's.
        eval_at : sequence of int, default=(1, 2, 3, 4, 5)
            The positions at which NDCG (and MAP) are evaluated.
        **kwargs
            Passed on to LightGBM's Dask ``fit`` as given (``feature_name``,
            ``categorical_feature``, ``callbacks``, ``init_model``, ...).

        Returns
        -------
        self : LGBMRanker
            The fitted estimator.

        Raises
        ------
        ValueError
            Before training: partitions of X, y, weights or an eval set that do not line up,
            per-row inputs of another length than X, X that is not 2-D or has columns that are
            neither numeric, boolean nor categorical, eval-set lists of another length than
            ``eval_set``; ``group`` missing.
        TypeError
            A dask per-row input beside in-memory X.
        """
        if group is None:
            raise ValueError("LGBMRanker.fit needs group, the size of every query group.")
        self._fit_on_cluster(
            X,
            y,
            classifier=False,
            extra={"sample_weight": sample_weight, "init_score": init_score},
            eval_set=eval_set,
            eval_extra={
                "eval_sample_weight": eval_sample_weight,
                "eval_init_score": eval_init_score,
            },
            fit_kwargs={
                "group": group,
                "eval_names": eval_names,
                "eval_group": eval_group,
                "eval_metric": eval_metric,
                "eval_at": eval_at if eval_at is not None else (1, 2, 3, 4, 5),
                **kwargs,
            },
        )
        return self

    def predict(self, X: Any, raw_score: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        """Relevance scores, block by block, aligned with X.

        Parameters
        ----------
        X : NumPy array, pandas DataFrame, dask array or dask DataFrame
            The rows to predict, shape (n_samples, n_features): numeric, boolean or
            categorical columns, as many as the model has (checked first).
        raw_score : bool, default=False
            Raw scores (the same values for the ranking objectives).
        **kwargs
            Accepted for LightGBM's signature and ignored (``num_iteration``, ``pred_leaf``,
            ``pred_contrib``, ... have no effect here).

        Returns
        -------
        scores : NumPy array, dask array or dask Series of shape (n_samples,)
            float64, one score per row. NumPy for NumPy or pandas X. For a dask array, a lazy dask
            array with X's row chunks; for a dask DataFrame, a lazy dask Series named
            ``"prediction"`` with X's index and divisions. Each block is predicted where it is (with
            the model's local copy), and nothing is computed until asked.
        """
        return LGBMRegressor.predict(self, X, raw_score=raw_score)  # type: ignore[arg-type]
