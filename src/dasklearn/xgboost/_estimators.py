"""The scikit-learn estimators of :mod:`dasklearn.xgboost`: :class:`XGBClassifier`,
:class:`XGBRegressor`, :class:`XGBRanker` (subclasses of XGBoost's own Dask estimators, on the
shared bases of :mod:`._base`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from dasklearn._output import Output, map_rows

from ._base import _DaskLearnXGB, _PredictValues
from ._train import _dxgb, _label_block, _proba_block

__all__ = ["XGBClassifier", "XGBRanker", "XGBRegressor"]


class XGBRegressor(_PredictValues, _dxgb.DaskXGBRegressor):
    """XGBoost regression on a Dask cluster (every ``xgboost.XGBRegressor`` parameter).

    ``fit`` takes NumPy, pandas or dask input; each worker trains on its own partitions.
    ``predict`` returns output aligned with its input (see :func:`dasklearn.xgboost.predict`).
    Set ``early_stopping_rounds`` and pass ``eval_set`` to stop early; prediction then uses the
    best iteration.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import numpy as np
    >>> import pandas as pd
    >>> from dasklearn._client import connect
    >>> from dasklearn.xgboost import XGBRegressor
    >>> client = connect(n_workers=2, threads_per_worker=1, dashboard=False)
    >>> df = pd.DataFrame(np.random.default_rng(0).normal(size=(400, 3)), columns=list("abc"))
    >>> X = dd.from_pandas(df, npartitions=4)
    >>> y = dd.from_pandas(2 * df["a"] - df["b"], npartitions=4)
    >>> reg = XGBRegressor(n_estimators=20, max_depth=3).fit(X, y)
    >>> pred = reg.predict(X)  # lazy: a dask Series with X's index and divisions
    >>> pred.name, pred.dtype, pred.divisions == X.divisions
    ('prediction', dtype('float32'), True)
    >>> reg.predict(df.iloc[:2]).shape  # pandas in, NumPy out
    (2,)
    >>> client.close()
    """

    def fit(
        self,
        X: Any,
        y: Any,
        *,
        sample_weight: Any = None,
        base_margin: Any = None,
        eval_set: Sequence[tuple[Any, Any]] | None = None,
        verbose: bool | int | None = False,
        xgb_model: Any = None,
        sample_weight_eval_set: Sequence[Any] | None = None,
        base_margin_eval_set: Sequence[Any] | None = None,
        feature_weights: Any = None,
    ) -> XGBRegressor:
        """Train on the cluster: every worker boosts on the partitions it holds; returns self.

        The inputs are checked, converted and persisted once before XGBoost starts.

        Parameters
        ----------
        X : NumPy array, pandas DataFrame, dask array or dask DataFrame
            Features, shape (n_samples, n_features): numeric, boolean or categorical columns
            (categorical columns are categorical features, with the same categories on every
            worker). In-memory X is split into one partition per worker.
        y : NumPy array, pandas Series, dask array or dask Series of shape (n_samples,)
            Targets. Beside dask X, a dask y must have X's partitions (the same rows in each)
            and a NumPy or pandas y is split into them; beside in-memory X, y is in memory.
        sample_weight : same kinds as y, optional
            Weight of every row, split into X's partitions like y.
        base_margin : same kinds as y, optional
            XGBoost's initial margin of every row, split like y.
        eval_set : list of (X, y) pairs, optional
            Data evaluated after every round (``evals_result()``); each pair may be of any of
            the kinds above and is checked and persisted as X and y are. With
            ``early_stopping_rounds`` (a constructor parameter) the last pair decides when to
            stop, and predictions then use the best iteration.
        verbose : bool or int, default=False
            XGBoost's: report the evaluation results every round (every ``verbose``-th round
            for an int).
        xgb_model : xgboost.Booster or XGBoost estimator, optional
            A model to continue training from.
        sample_weight_eval_set, base_margin_eval_set : list, optional
            One entry per ``eval_set`` pair (None for none), split like that pair's y.
        feature_weights : array-like of shape (n_features,), optional
            XGBoost's weight of every feature in column sampling.

        Returns
        -------
        self : XGBRegressor
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
            extra={"sample_weight": sample_weight, "base_margin": base_margin},
            eval_set=eval_set,
            eval_extra={
                "sample_weight_eval_set": sample_weight_eval_set,
                "base_margin_eval_set": base_margin_eval_set,
            },
            fit_kwargs={
                "verbose": verbose,
                "xgb_model": xgb_model,
                "feature_weights": feature_weights,
            },
        )
        return self


class XGBClassifier(_DaskLearnXGB, _dxgb.DaskXGBClassifier):
    """XGBoost classification on a Dask cluster (every ``xgboost.XGBClassifier`` parameter).

    Labels may be any sortable values (strings, -1/1, ...): ``classes_`` holds them and
    ``predict`` returns them. ``predict_proba`` has one column per class. Output is aligned
    with the input: lazy for dask input, NumPy for NumPy/pandas input.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from dasklearn._client import connect
    >>> from dasklearn.xgboost import XGBClassifier
    >>> client = connect(n_workers=2, threads_per_worker=1, dashboard=False)
    >>> features = np.random.default_rng(0).normal(size=(400, 4))
    >>> labels = np.where(features[:, 0] > 0, "yes", "no")
    >>> X, y = da.from_array(features, chunks=100), da.from_array(labels, chunks=100)
    >>> clf = XGBClassifier(n_estimators=10, max_depth=2).fit(X, y)
    >>> clf.classes_
    array(['no', 'yes'], dtype='<U3')
    >>> clf.predict_proba(X)  # lazy, with X's row chunks
    dask.array<..., shape=(400, 2), dtype=float32, chunksize=(100, 2), chunktype=numpy.ndarray>
    >>> clf.predict(features[:3])  # NumPy in, NumPy out
    array(['yes', 'no', 'no'], dtype='<U3')
    >>> client.close()
    """

    def fit(
        self,
        X: Any,
        y: Any,
        *,
        sample_weight: Any = None,
        base_margin: Any = None,
        eval_set: Sequence[tuple[Any, Any]] | None = None,
        verbose: bool | int | None = False,
        xgb_model: Any = None,
        sample_weight_eval_set: Sequence[Any] | None = None,
        base_margin_eval_set: Sequence[Any] | None = None,
        feature_weights: Any = None,
    ) -> XGBClassifier:
        """Train on the cluster: every worker boosts on the partitions it holds; returns self.

        The inputs are checked, converted and persisted once before XGBoost starts; the class
        labels are read from the persisted y and handed to XGBoost as codes 0..n_classes-1.

        Parameters
        ----------
        X : NumPy array, pandas DataFrame, dask array or dask DataFrame
            Features, shape (n_samples, n_features): numeric, boolean or categorical columns
            (categorical columns are categorical features, with the same categories on every
            worker). In-memory X is split into one partition per worker.
        y : NumPy array, pandas Series, dask array or dask Series of shape (n_samples,)
            Class labels: any sortable values (ints, strings, -1/1, ...), at least two
            distinct ones. Beside dask X, a dask y must have X's partitions (the same rows in
            each) and a NumPy or pandas y is split into them; beside in-memory X, y is in
            memory. The labels of an eval set must be labels of y.
        sample_weight : same kinds as y, optional
            Weight of every row, split into X's partitions like y.
        base_margin : same kinds as y, optional
            XGBoost's initial margin of every row, split like y.
        eval_set : list of (X, y) pairs, optional
            Data evaluated after every round (``evals_result()``); each pair may be of any of
            the kinds above and is checked and persisted as X and y are. With
            ``early_stopping_rounds`` (a constructor parameter) the last pair decides when to
            stop, and predictions then use the best iteration.
        verbose : bool or int, default=False
            XGBoost's: report the evaluation results every round (every ``verbose``-th round
            for an int).
        xgb_model : xgboost.Booster or XGBoost estimator, optional
            A model to continue training from.
        sample_weight_eval_set, base_margin_eval_set : list, optional
            One entry per ``eval_set`` pair (None for none), split like that pair's y.
        feature_weights : array-like of shape (n_features,), optional
            XGBoost's weight of every feature in column sampling.

        Returns
        -------
        self : XGBClassifier
            The fitted estimator; ``classes_`` holds the sorted labels, ``n_classes_`` their
            number.

        Raises
        ------
        ValueError
            Before training: partitions of X, y, weights or an eval set that do not line up,
            per-row inputs of another length than X, X that is not 2-D or has columns that are
            neither numeric, boolean nor categorical, eval-set lists of another length than
            ``eval_set``; fewer than two classes, or eval-set labels that are not in y.
        TypeError
            A dask per-row input beside in-memory X.
        """
        data = self._fit_on_cluster(
            X,
            y,
            classifier=True,
            extra={"sample_weight": sample_weight, "base_margin": base_margin},
            eval_set=eval_set,
            eval_extra={
                "sample_weight_eval_set": sample_weight_eval_set,
                "base_margin_eval_set": base_margin_eval_set,
            },
            fit_kwargs={
                "verbose": verbose,
                "xgb_model": xgb_model,
                "feature_weights": feature_weights,
            },
        )
        self.classes_ = data.classes
        self.n_classes_ = len(data.classes)
        return self

    def predict_proba(
        self,
        X: Any,
        validate_features: bool = True,
        base_margin: Any = None,
        iteration_range: tuple[int, int] | None = None,
    ) -> Any:
        """Class probabilities, one column per entry of ``classes_``, block by block.

        Parameters
        ----------
        X : NumPy array, pandas DataFrame, dask array or dask DataFrame
            The rows to predict, shape (n_samples, n_features): numeric, boolean or
            categorical columns, as many as the model has (checked first).
        validate_features : bool, default=True
            Accepted for XGBoost's signature; dataframe blocks always have their feature names
            checked (XGBoost's default).
        base_margin : None
            Not supported here (``NotImplementedError``); use ``xgboost.dask`` directly.
        iteration_range : (int, int), optional
            The trees to use; by default all of them, or those up to the best iteration after
            early stopping.

        Returns
        -------
        proba : NumPy array, dask array or dask DataFrame of shape (n_samples, n_classes)
            float32, columns in the order of ``classes_``. NumPy for NumPy or pandas X. For a
            dask array, a lazy dask array with X's row chunks (one column block); for a dask
            DataFrame, a lazy dask DataFrame with columns named after ``classes_`` and X's
            index and divisions. Each block is predicted where it is, and nothing is computed
            until asked.
        """
        if base_margin is not None:
            raise NotImplementedError("predict_proba with base_margin: use xgboost.dask directly.")
        self._check_predict_input(X)
        return map_rows(
            _proba_block,
            X,
            self.get_booster(),
            self._get_iteration_range(iteration_range),
            self.n_classes_,
            output=Output(np.float32, width=self.n_classes_, columns=list(self.classes_)),
            dtype=None,
        )

    def predict(
        self,
        X: Any,
        *,
        output_margin: bool = False,
        validate_features: bool = True,
        base_margin: Any = None,
        iteration_range: tuple[int, int] | None = None,
    ) -> Any:
        """Predicted class labels (raw margins with ``output_margin=True``), block by block.

        Parameters
        ----------
        X : NumPy array, pandas DataFrame, dask array or dask DataFrame
            The rows to predict, shape (n_samples, n_features): numeric, boolean or
            categorical columns, as many as the model has (checked first).
        output_margin : bool, default=False
            Return the raw margins instead of labels: float32, one per row for two classes,
            one column per class otherwise (columns 0, 1, ... for dataframe X).
        validate_features : bool, default=True
            Used with ``output_margin=True``: check the feature names of dataframe blocks
            against the model's. Labels always have them checked (XGBoost's default).
        base_margin : None
            Not supported for labels (``NotImplementedError``; use ``xgboost.dask``
            directly); with ``output_margin=True`` it is not applied.
        iteration_range : (int, int), optional
            The trees to use; by default all of them, or those up to the best iteration after
            early stopping.

        Returns
        -------
        labels : NumPy array, dask array or dask Series of shape (n_samples,)
            Entries of ``classes_``, in its dtype. NumPy for NumPy or pandas X. For a dask
            array, a lazy dask array with X's row chunks; for a dask DataFrame, a lazy dask
            Series named ``"prediction"`` with X's index and divisions. Each block is
            predicted where it is, and nothing is computed until asked. With
            ``output_margin=True``, the float32 margins in the same containers.
        """
        if output_margin:
            return self._values(X, True, iteration_range, validate_features)
        if base_margin is not None:
            raise NotImplementedError("predict with base_margin: use xgboost.dask directly.")
        self._check_predict_input(X)
        classes = np.asarray(self.classes_)
        return map_rows(
            _label_block,
            X,
            self.get_booster(),
            self._get_iteration_range(iteration_range),
            classes,
            output=Output(classes.dtype, name="prediction"),
            dtype=None,
        )


class XGBRanker(_PredictValues, _dxgb.DaskXGBRanker):
    """XGBoost learning to rank on a Dask cluster (every ``xgboost.XGBRanker`` parameter).

    ``fit(X, y, qid=...)`` needs the query id of every row. With ``allow_group_split=False``
    (the default) X must be a dataframe: NumPy input is turned into one here, dask arrays are
    refused by XGBoost. ``predict`` returns relevance scores aligned with X.

    Examples
    --------
    With ``allow_group_split=True``, dask arrays whose partitions hold whole queries (here 10
    queries of 10 rows in each partition):

    >>> import dask.array as da
    >>> import numpy as np
    >>> from dasklearn._client import connect
    >>> from dasklearn.xgboost import XGBRanker
    >>> client = connect(n_workers=2, threads_per_worker=1, dashboard=False)
    >>> features = np.random.default_rng(0).normal(size=(400, 4))
    >>> relevance = np.clip(np.round(features[:, 0] + 1), 0, 3)
    >>> qid = np.repeat(np.arange(40), 10)
    >>> X, y = da.from_array(features, chunks=100), da.from_array(relevance, chunks=100)
    >>> ranker = XGBRanker(n_estimators=10, max_depth=2, allow_group_split=True)
    >>> ranker = ranker.fit(X, y, qid=da.from_array(qid, chunks=100))
    >>> scores = ranker.predict(X)  # lazy, with X's row chunks
    >>> scores.chunks
    ((100, 100, 100, 100),)
    >>> bool(np.corrcoef(scores.compute(), features[:, 0])[0, 1] > 0.8)
    True
    >>> client.close()
    """

    def fit(
        self,
        X: Any,
        y: Any,
        *,
        group: Any = None,
        qid: Any = None,
        sample_weight: Any = None,
        base_margin: Any = None,
        eval_set: Sequence[tuple[Any, Any]] | None = None,
        eval_group: Any = None,
        eval_qid: Sequence[Any] | None = None,
        verbose: bool | int | None = False,
        xgb_model: Any = None,
        sample_weight_eval_set: Sequence[Any] | None = None,
        base_margin_eval_set: Sequence[Any] | None = None,
        feature_weights: Any = None,
    ) -> XGBRanker:
        """Train on the cluster: every worker boosts on the partitions it holds; returns self.

        The inputs are checked, converted and persisted once before XGBoost starts.

        Parameters
        ----------
        X : NumPy array, pandas DataFrame, dask array or dask DataFrame
            Features, shape (n_samples, n_features), as for :class:`XGBRegressor`. NumPy X
            (and the NumPy X of an eval set) becomes a pandas DataFrame with columns ``f0, f1,
            ...`` here. With ``allow_group_split=False`` (the default) XGBoost needs
            dataframes: it refuses dask arrays.
        y : NumPy array, pandas Series, dask array or dask Series of shape (n_samples,)
            Relevance of every row, split into X's partitions as for :class:`XGBRegressor`.
        group : None
            Not supported: pass ``qid`` (``ValueError`` otherwise).
        qid : same kinds as y
            The query id of every row (required), split like y.
        sample_weight : same kinds as y, optional
            Weight of every row, split into X's partitions like y.
        base_margin : same kinds as y, optional
            XGBoost's initial margin of every row, split like y.
        eval_set : list of (X, y) pairs, optional
            Data evaluated after every round (``evals_result()``); each pair may be of any of
            the kinds above and is checked and persisted as X and y are. With
            ``early_stopping_rounds`` (a constructor parameter) the last pair decides when to
            stop, and predictions then use the best iteration.
        verbose : bool or int, default=False
            XGBoost's: report the evaluation results every round (every ``verbose``-th round
            for an int).
        xgb_model : xgboost.Booster or XGBoost estimator, optional
            A model to continue training from.
        sample_weight_eval_set, base_margin_eval_set : list, optional
            One entry per ``eval_set`` pair (None for none), split like that pair's y.
        feature_weights : array-like of shape (n_features,), optional
            XGBoost's weight of every feature in column sampling.
        eval_group : None
            Not supported: pass ``eval_qid``.
        eval_qid : list, optional
            The query ids of every ``eval_set`` pair, one entry per pair.

        Returns
        -------
        self : XGBRanker
            The fitted estimator.

        Raises
        ------
        ValueError
            Before training: partitions of X, y, weights or an eval set that do not line up,
            per-row inputs of another length than X, X that is not 2-D or has columns that are
            neither numeric, boolean nor categorical, eval-set lists of another length than
            ``eval_set``; ``qid`` missing, or ``group``/``eval_group`` given.
        TypeError
            A dask per-row input beside in-memory X.
        """
        if group is not None or eval_group is not None:
            raise ValueError("Pass qid (the query id of every row) instead of group.")
        if qid is None:
            raise ValueError("XGBRanker.fit needs qid, the query id of every row.")
        if isinstance(X, np.ndarray):
            X = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
        if eval_set is not None:
            eval_set = [
                (
                    pd.DataFrame(Xe, columns=[f"f{i}" for i in range(Xe.shape[1])])
                    if isinstance(Xe, np.ndarray)
                    else Xe,
                    ye,
                )
                for Xe, ye in eval_set
            ]
        self._fit_on_cluster(
            X,
            y,
            classifier=False,
            extra={"qid": qid, "sample_weight": sample_weight, "base_margin": base_margin},
            eval_set=eval_set,
            eval_extra={
                "eval_qid": eval_qid,
                "sample_weight_eval_set": sample_weight_eval_set,
                "base_margin_eval_set": base_margin_eval_set,
            },
            fit_kwargs={
                "verbose": verbose,
                "xgb_model": xgb_model,
                "feature_weights": feature_weights,
            },
        )
        return self
