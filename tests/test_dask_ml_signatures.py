"""dasklearn against dask-ml's public API: the same signatures, and the calls dask-ml users write.

For every public name that dasklearn shares with dask-ml (``cluster``, ``linear_model``,
``wrappers``, ``datasets``, ``metrics``, ``utils``, ``preprocessing``, ``decomposition``,
``impute``, ``compose``, ``feature_extraction.text``, ``naive_bayes``, ``ensemble``),
:data:`DASK_ML` holds dask-ml's signature as data (parameter names in order and dask-ml's
defaults, copied from dask-ml's newest sources; no dask-ml code, and dask-ml is not
installed). Where a dask-ml class inherits scikit-learn's constructor or method, the row is
scikit-learn's signature as dask-ml's users get it today; methods dask-ml leaves to
scikit-learn have no row. Then:

* :func:`test_signature` checks that ours starts with dask-ml's parameters, in dask-ml's order,
  with the same kind (positional, ``*args``, keyword-only after ``*args`` or a bare ``"*"``,
  ``**kwargs``) and dask-ml's defaults.
  Parameters of ours after dask-ml's must be listed in :data:`EXTRA`, with why; a default that
  differs on purpose must be listed in :data:`OUR_DEFAULTS`, with why.
* the ``test_call_*`` tests call every name with dask-ml's positional arguments on small data
  and check what dask-ml's documentation promises (a fitted estimator, arrays of the
  documented shape, a float). Where dasklearn differs from dask-ml on purpose, a comment says
  so and the test checks dasklearn's documented behaviour.

A mismatch that looks like a bug in dasklearn is marked ``xfail(strict=True)`` (see
:data:`KNOWN_BUGS`): fixing the source turns it into an XPASS, which fails until the mark goes.
"""

from __future__ import annotations

import importlib
import inspect
import warnings
from datetime import date

import dask
import dask.array as da
import dask.bag as db
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn.decomposition as skd
import sklearn.feature_extraction as skfe
import sklearn.feature_extraction.text as sk_text
import sklearn.metrics as skm
import sklearn.preprocessing as skp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.linear_model import SGDClassifier
from sklearn.naive_bayes import GaussianNB as SkGaussianNB
from sklearn.preprocessing import StandardScaler
from sklearn.utils.extmath import row_norms as sk_row_norms

from dasklearn import (
    cluster,
    compose,
    datasets,
    decomposition,
    ensemble,
    impute,
    linear_model,
    metrics,
    naive_bayes,
    preprocessing,
    utils,
    wrappers,
)
from dasklearn.feature_extraction import text

# --------------------------------------------------------------------------------------------
# dask-ml's signatures, as data
# --------------------------------------------------------------------------------------------

#: dask-ml's parameter has no default (a required argument)
REQUIRED = inspect.Parameter.empty

#: dask-ml's 15 parameters shared by LogisticRegression, LinearRegression, PoissonRegression
_GLM = [
    ("penalty", "l2"),
    ("dual", False),
    ("tol", 1e-4),
    ("C", 1.0),
    ("fit_intercept", True),
    ("intercept_scaling", 1.0),
    ("class_weight", None),
    ("random_state", None),
    ("solver", "admm"),
    ("max_iter", 100),
    ("multi_class", "ovr"),
    ("verbose", 0),
    ("warm_start", False),
    ("n_jobs", 1),
    ("solver_kwargs", None),
]
_X = [("X", REQUIRED)]
_X_y = [("X", REQUIRED), ("y", REQUIRED)]
_X_y_none = [("X", REQUIRED), ("y", None)]
_PREDICT_META = [("predict_meta", None), ("predict_proba_meta", None), ("transform_meta", None)]
#: scikit-learn's text analysis parameters, shared by HashingVectorizer and CountVectorizer
_TEXT_ANALYSIS = [
    ("input", "content"),
    ("encoding", "utf-8"),
    ("decode_error", "strict"),
    ("strip_accents", None),
    ("lowercase", True),
    ("preprocessor", None),
    ("tokenizer", None),
    ("stop_words", None),
    ("token_pattern", r"(?u)\b\w\w+\b"),
    ("ngram_range", (1, 1)),
    ("analyzer", "word"),
]

#: dask-ml's signatures: ``"module.Name"`` (the constructor for a class) or
#: ``"module.Name.method"`` -> ``[(name, default)]``, ``"*args"``/``"**kwargs"`` for the
#: variadic ones (names after ``*args`` are keyword-only).
DASK_ML: dict[str, list[tuple[str, object]]] = {
    # dask_ml/cluster/k_means.py
    "cluster.KMeans": [
        ("n_clusters", 8),
        ("init", "k-means||"),
        ("oversampling_factor", 2),
        ("max_iter", 300),
        ("tol", 1e-4),
        ("precompute_distances", "auto"),
        ("random_state", None),
        ("copy_x", True),
        ("n_jobs", 1),
        ("algorithm", "full"),
        ("init_max_iter", None),
    ],
    "cluster.KMeans.fit": _X_y_none,
    "cluster.KMeans.predict": _X,
    "cluster.KMeans.transform": _X_y_none,
    # TransformerMixin's (its **fit_params could only reach dask-ml's fit(X, y=None), which
    # takes none, so they are not part of what a dask-ml user can call)
    "cluster.KMeans.fit_transform": _X_y_none,
    # dask_ml/cluster/spectral.py
    "cluster.SpectralClustering": [
        ("n_clusters", 8),
        ("eigen_solver", None),
        ("random_state", None),
        ("n_init", 10),
        ("gamma", 1.0),
        ("affinity", "rbf"),
        ("n_neighbors", 10),
        ("eigen_tol", 0.0),
        ("assign_labels", "kmeans"),
        ("degree", 3),
        ("coef0", 1),
        ("kernel_params", None),
        ("n_jobs", 1),
        ("n_components", 100),
        ("persist_embedding", False),
        ("kmeans_params", None),
    ],
    "cluster.SpectralClustering.fit": _X_y_none,
    "cluster.SpectralClustering.fit_predict": _X_y_none,  # ClusterMixin's
    # dask_ml/linear_model/glm.py
    "linear_model.LogisticRegression": _GLM,
    "linear_model.LogisticRegression.fit": _X_y_none,
    "linear_model.LogisticRegression.predict": _X,
    "linear_model.LogisticRegression.predict_proba": _X,
    "linear_model.LogisticRegression.decision_function": _X,
    "linear_model.LogisticRegression.score": _X_y,
    "linear_model.LinearRegression": _GLM,
    "linear_model.LinearRegression.fit": _X_y_none,
    "linear_model.LinearRegression.predict": _X,
    "linear_model.LinearRegression.score": _X_y,
    "linear_model.PoissonRegression": _GLM,
    "linear_model.PoissonRegression.fit": _X_y_none,
    "linear_model.PoissonRegression.predict": _X,
    "linear_model.PoissonRegression.get_deviance": _X_y,
    # dask_ml/wrappers.py
    "wrappers.ParallelPostFit": [("estimator", None), ("scoring", None), *_PREDICT_META],
    "wrappers.ParallelPostFit.fit": [*_X_y_none, ("**kwargs", None)],
    "wrappers.ParallelPostFit.partial_fit": [*_X_y_none, ("**kwargs", None)],
    "wrappers.ParallelPostFit.transform": _X,
    "wrappers.ParallelPostFit.score": [*_X_y, ("compute", True)],
    "wrappers.ParallelPostFit.predict": _X,
    "wrappers.ParallelPostFit.predict_proba": _X,
    "wrappers.ParallelPostFit.predict_log_proba": _X,
    "wrappers.Incremental": [
        ("estimator", None),
        ("scoring", None),
        ("shuffle_blocks", True),
        ("random_state", None),
        ("assume_equal_chunks", True),
        *_PREDICT_META,
    ],
    "wrappers.Incremental.fit": [*_X_y_none, ("**fit_kwargs", None)],
    "wrappers.Incremental.partial_fit": [*_X_y_none, ("**fit_kwargs", None)],
    "wrappers.Incremental.score": [*_X_y, ("compute", True)],
    "wrappers.Incremental.predict": _X,
    # dask_ml/datasets.py
    "datasets.make_counts": [
        ("n_samples", 1000),
        ("n_features", 100),
        ("n_informative", 2),
        ("scale", 1.0),
        ("chunks", 100),
        ("random_state", None),
    ],
    "datasets.make_blobs": [
        ("n_samples", 100),
        ("n_features", 2),
        ("centers", None),
        ("cluster_std", 1.0),
        ("center_box", (-10.0, 10.0)),
        ("shuffle", True),
        ("random_state", None),
        ("chunks", None),
    ],
    "datasets.make_regression": [
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
    "datasets.make_classification": [
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
    "datasets.random_date": [("start", REQUIRED), ("end", REQUIRED)],
    "datasets.make_classification_df": [
        ("n_samples", 10000),
        ("response_rate", 0.5),
        ("predictability", 0.1),
        ("random_state", None),
        ("chunks", None),
        ("dates", None),
        ("**kwargs", None),
    ],
    # dask_ml/metrics/classification.py
    "metrics.accuracy_score": [
        ("y_true", REQUIRED),
        ("y_pred", REQUIRED),
        ("normalize", True),
        ("sample_weight", None),
        ("compute", True),
    ],
    "metrics.log_loss": [
        ("y_true", REQUIRED),
        ("y_pred", REQUIRED),
        ("eps", 1e-15),
        ("normalize", True),
        ("sample_weight", None),
        ("labels", None),
    ],
    # dask_ml/metrics/regression.py
    "metrics.mean_squared_error": [
        ("y_true", REQUIRED),
        ("y_pred", REQUIRED),
        ("sample_weight", None),
        ("multioutput", "uniform_average"),
        ("squared", True),
        ("compute", True),
    ],
    **{
        f"metrics.{name}": [
            ("y_true", REQUIRED),
            ("y_pred", REQUIRED),
            ("sample_weight", None),
            ("multioutput", "uniform_average"),
            ("compute", True),
        ]
        for name in (
            "mean_absolute_error",
            "mean_absolute_percentage_error",
            "mean_squared_log_error",
            "r2_score",
        )
    },
    # dask_ml/metrics/pairwise.py (dask-ml exports the kernels from dask_ml.metrics.pairwise
    # only; dasklearn.metrics exports them too)
    "metrics.pairwise_distances_argmin_min": [
        ("X", REQUIRED),
        ("Y", REQUIRED),
        ("axis", 1),
        ("metric", "euclidean"),
        ("batch_size", None),
        ("metric_kwargs", None),
    ],
    "metrics.pairwise_distances": [
        ("X", REQUIRED),
        ("Y", REQUIRED),
        ("metric", "euclidean"),
        ("n_jobs", None),
        ("**kwargs", None),
    ],
    "metrics.euclidean_distances": [
        ("X", REQUIRED),
        ("Y", None),
        ("Y_norm_squared", None),
        ("squared", False),
        ("X_norm_squared", None),
    ],
    "metrics.linear_kernel": [("X", REQUIRED), ("Y", None)],
    "metrics.rbf_kernel": [("X", REQUIRED), ("Y", None), ("gamma", None)],
    "metrics.polynomial_kernel": [
        ("X", REQUIRED),
        ("Y", None),
        ("degree", 3),
        ("gamma", None),
        ("coef0", 1),
    ],
    "metrics.sigmoid_kernel": [("X", REQUIRED), ("Y", None), ("gamma", None), ("coef0", 1)],
    "metrics.pairwise_kernels": [
        ("X", REQUIRED),
        ("Y", None),
        ("metric", "linear"),
        ("filter_params", False),
        ("n_jobs", 1),
        ("**kwds", None),
    ],
    # dask_ml/metrics/scorer.py
    "metrics.get_scorer": [("scoring", REQUIRED), ("compute", True)],
    "metrics.check_scoring": [("estimator", REQUIRED), ("scoring", None), ("**kwargs", None)],
    # dask_ml/utils.py
    "utils.assert_estimator_equal": [
        ("left", REQUIRED),
        ("right", REQUIRED),
        ("exclude", None),
        ("**kwargs", None),
    ],
    "utils.check_array": [
        ("array", REQUIRED),
        ("*args", None),
        ("accept_dask_array", True),
        ("accept_dask_dataframe", False),
        ("accept_unknown_chunks", False),
        ("accept_multiple_blocks", False),
        ("preserve_pandas_dataframe", False),
        ("remove_zero_chunks", True),
        ("**kwargs", None),
    ],
    "utils.check_chunks": [("n_samples", REQUIRED), ("n_features", REQUIRED), ("chunks", None)],
    "utils.check_consistent_length": [("*arrays", None)],
    "utils.check_matching_blocks": [("*arrays", None)],
    "utils.check_random_state": [("random_state", REQUIRED)],
    "utils.handle_zeros_in_scale": [("scale", REQUIRED)],
    "utils.row_norms": [("X", REQUIRED), ("squared", False)],
    "utils.svd_flip": [("u", REQUIRED), ("v", REQUIRED), ("u_based_decision", True)],
    # ---- issue 10: preprocessing, decomposition, impute, compose, text, naive Bayes, ensemble
    # Where dask-ml's class inherits scikit-learn's constructor (the scalers, the quantile
    # transformer, SimpleImputer, the text vectorizers), its signature is scikit-learn's,
    # keyword-only ("*") since scikit-learn 1.0; these rows are that signature today.
    # dask_ml/preprocessing/data.py
    "preprocessing.StandardScaler": [
        ("*", None),
        ("copy", True),
        ("with_mean", True),
        ("with_std", True),
    ],
    "preprocessing.StandardScaler.fit": _X_y_none,
    "preprocessing.StandardScaler.partial_fit": _X_y_none,
    "preprocessing.StandardScaler.transform": [*_X_y_none, ("copy", None)],
    "preprocessing.StandardScaler.inverse_transform": [*_X, ("copy", None)],
    "preprocessing.MinMaxScaler": [
        ("feature_range", (0, 1)),
        ("*", None),
        ("copy", True),
        ("clip", False),
    ],
    "preprocessing.MinMaxScaler.fit": _X_y_none,
    "preprocessing.MinMaxScaler.partial_fit": _X_y_none,
    "preprocessing.MinMaxScaler.transform": [*_X_y_none, ("copy", None)],
    "preprocessing.MinMaxScaler.inverse_transform": [*_X_y_none, ("copy", None)],
    "preprocessing.RobustScaler": [
        ("*", None),
        ("with_centering", True),
        ("with_scaling", True),
        ("quantile_range", (25.0, 75.0)),
        ("copy", True),
        ("unit_variance", False),
    ],
    "preprocessing.RobustScaler.fit": _X_y_none,
    "preprocessing.RobustScaler.transform": _X,
    "preprocessing.RobustScaler.inverse_transform": _X,
    # fit/transform/inverse_transform are scikit-learn's (dask-ml overrides private methods)
    "preprocessing.QuantileTransformer": [
        ("*", None),
        ("n_quantiles", 1000),
        ("output_distribution", "uniform"),
        ("ignore_implicit_zeros", False),
        ("subsample", 10_000),
        ("random_state", None),
        ("copy", True),
    ],
    "preprocessing.Categorizer": [("categories", None), ("columns", None)],
    "preprocessing.Categorizer.fit": _X_y_none,
    "preprocessing.Categorizer.transform": _X_y_none,
    "preprocessing.DummyEncoder": [("columns", None), ("drop_first", False)],
    "preprocessing.DummyEncoder.fit": _X_y_none,
    "preprocessing.DummyEncoder.transform": _X_y_none,
    "preprocessing.DummyEncoder.inverse_transform": _X,
    "preprocessing.OrdinalEncoder": [("columns", None)],
    "preprocessing.OrdinalEncoder.fit": _X_y_none,
    "preprocessing.OrdinalEncoder.transform": _X_y_none,
    "preprocessing.OrdinalEncoder.inverse_transform": _X,
    "preprocessing.PolynomialFeatures": [
        ("degree", 2),
        ("interaction_only", False),
        ("include_bias", True),
        ("preserve_dataframe", False),
    ],
    "preprocessing.PolynomialFeatures.fit": _X_y_none,
    "preprocessing.PolynomialFeatures.transform": _X_y_none,
    # dask_ml/preprocessing/label.py
    "preprocessing.LabelEncoder": [("use_categorical", True)],
    "preprocessing.LabelEncoder.fit": [("y", REQUIRED)],
    "preprocessing.LabelEncoder.fit_transform": [("y", REQUIRED)],
    "preprocessing.LabelEncoder.transform": [("y", REQUIRED)],
    "preprocessing.LabelEncoder.inverse_transform": [("y", REQUIRED)],
    # dask_ml/preprocessing/_encoders.py (newest: sparse_output, scikit-learn >= 1.2's name;
    # dask-ml releases before 2023 called it sparse)
    "preprocessing.OneHotEncoder": [
        ("n_values", None),
        ("categorical_features", None),
        ("categories", "auto"),
        ("drop", None),
        ("sparse_output", True),
        ("dtype", np.float64),
        ("handle_unknown", "error"),
    ],
    "preprocessing.OneHotEncoder.fit": _X_y_none,
    "preprocessing.OneHotEncoder.transform": _X,
    # dask_ml/preprocessing/_block_transformer.py
    "preprocessing.BlockTransformer": [
        ("func", REQUIRED),
        ("*", None),
        ("validate", False),
        ("**kw_args", None),
    ],
    "preprocessing.BlockTransformer.fit": _X_y_none,
    "preprocessing.BlockTransformer.transform": _X_y_none,
    # dask_ml/decomposition/pca.py
    "decomposition.PCA": [
        ("n_components", None),
        ("copy", True),
        ("whiten", False),
        ("svd_solver", "auto"),
        ("tol", 0.0),
        ("iterated_power", 0),
        ("random_state", None),
    ],
    "decomposition.PCA.fit": _X_y_none,
    "decomposition.PCA.transform": _X,
    "decomposition.PCA.fit_transform": _X_y_none,
    "decomposition.PCA.inverse_transform": _X,
    "decomposition.PCA.score_samples": _X,
    "decomposition.PCA.score": _X_y_none,
    # dask_ml/decomposition/incremental_pca.py (fit and transform: its PCA's)
    "decomposition.IncrementalPCA": [
        ("n_components", None),
        ("whiten", False),
        ("copy", True),
        ("batch_size", None),
        ("svd_solver", "auto"),
        ("iterated_power", 0),
        ("random_state", None),
    ],
    "decomposition.IncrementalPCA.fit": _X_y_none,
    "decomposition.IncrementalPCA.partial_fit": [*_X_y_none, ("check_input", True)],
    "decomposition.IncrementalPCA.fit_transform": _X_y_none,
    "decomposition.IncrementalPCA.transform": _X,
    # dask_ml/decomposition/truncated_svd.py
    "decomposition.TruncatedSVD": [
        ("n_components", 2),
        ("algorithm", "tsqr"),
        ("n_iter", 5),
        ("random_state", None),
        ("tol", 0.0),
        ("compute", True),
    ],
    "decomposition.TruncatedSVD.fit": _X_y_none,
    "decomposition.TruncatedSVD.fit_transform": _X_y_none,
    "decomposition.TruncatedSVD.transform": _X_y_none,
    "decomposition.TruncatedSVD.inverse_transform": _X,
    # dask_ml/impute.py
    "impute.SimpleImputer": [
        ("*", None),
        ("missing_values", np.nan),
        ("strategy", "mean"),
        ("fill_value", None),
        ("copy", True),
        ("add_indicator", False),
        ("keep_empty_features", False),
    ],
    "impute.SimpleImputer.fit": _X_y_none,
    "impute.SimpleImputer.transform": _X,
    # dask_ml/compose/_column_transformer.py (fit/transform are scikit-learn's)
    "compose.ColumnTransformer": [
        ("transformers", REQUIRED),
        ("remainder", "drop"),
        ("sparse_threshold", 0.3),
        ("n_jobs", 1),
        ("transformer_weights", None),
        ("preserve_dataframe", True),
    ],
    "compose.make_column_transformer": [("*transformers", None), ("**kwargs", None)],
    # dask_ml/feature_extraction/text.py
    "feature_extraction.text.HashingVectorizer": [
        ("*", None),
        *_TEXT_ANALYSIS,
        ("n_features", 2**20),
        ("binary", False),
        ("norm", "l2"),
        ("alternate_sign", True),
        ("dtype", np.float64),
    ],
    "feature_extraction.text.HashingVectorizer.transform": [("raw_X", REQUIRED)],
    "feature_extraction.text.FeatureHasher": [
        ("n_features", 2**20),
        ("*", None),
        ("input_type", "dict"),
        ("dtype", np.float64),
        ("alternate_sign", True),
    ],
    "feature_extraction.text.FeatureHasher.transform": [("raw_X", REQUIRED)],
    "feature_extraction.text.CountVectorizer": [
        ("*", None),
        *_TEXT_ANALYSIS,
        ("max_df", 1.0),
        ("min_df", 1),
        ("max_features", None),
        ("vocabulary", None),
        ("binary", False),
        ("dtype", np.int64),
    ],
    "feature_extraction.text.CountVectorizer.fit_transform": [
        ("raw_documents", REQUIRED),
        ("y", None),
    ],
    "feature_extraction.text.CountVectorizer.transform": [("raw_documents", REQUIRED)],
    # dask_ml/naive_bayes.py
    "naive_bayes.GaussianNB": [("priors", None), ("classes", None)],
    "naive_bayes.GaussianNB.fit": _X_y_none,
    "naive_bayes.GaussianNB.predict": _X,
    "naive_bayes.GaussianNB.predict_proba": _X,
    "naive_bayes.GaussianNB.predict_log_proba": _X,
    # dask_ml/ensemble/_blockwise.py (predict_proba is a property, as in dask-ml)
    "ensemble.BlockwiseVotingClassifier": [
        ("estimator", REQUIRED),
        ("voting", "hard"),
        ("classes", None),
    ],
    "ensemble.BlockwiseVotingClassifier.fit": [*_X_y, ("**kwargs", None)],
    "ensemble.BlockwiseVotingClassifier.predict": _X,
    "ensemble.BlockwiseVotingRegressor": [("estimator", REQUIRED)],
    "ensemble.BlockwiseVotingRegressor.fit": [*_X_y, ("**kwargs", None)],
    "ensemble.BlockwiseVotingRegressor.predict": _X,
}

#: parameters of ours after dask-ml's, and why
EXTRA: dict[str, dict[str, str]] = {
    "cluster.KMeans": {"n_init": "scikit-learn's: several runs, the best kept ('auto': one)"},
    "cluster.KMeans.fit": {"sample_weight": "scikit-learn's weighted k-means"},
    "cluster.KMeans.fit_transform": {"sample_weight": "scikit-learn's weighted k-means"},
    **{
        f"linear_model.{name}": {"l1_ratio": "the l1 share of penalty='elastic_net'"}
        for name in ("LogisticRegression", "LinearRegression", "PoissonRegression")
    },
    **{
        f"linear_model.{name}": {"sample_weight": "scikit-learn's row weights"}
        for name in (
            "LogisticRegression.fit",
            "LogisticRegression.score",
            "LinearRegression.fit",
            "LinearRegression.score",
            "PoissonRegression.fit",
            "PoissonRegression.get_deviance",
        )
    },
    "wrappers.ParallelPostFit.score": {"sample_weight": "scikit-learn's score(X, y, w)"},
    "wrappers.Incremental.score": {"sample_weight": "scikit-learn's score(X, y, w)"},
    "datasets.make_blobs": {"return_centers": "scikit-learn's: also return the centers"},
    "datasets.random_date": {"random_state": "a seed (dask-ml drew from NumPy's global RNG)"},
    "metrics.log_loss": {"compute": "False: the lazy pass, as every other dask-ml metric"},
    "metrics.r2_score": {"force_finite": "scikit-learn's (keyword-only)"},
    "preprocessing.StandardScaler.fit": {"sample_weight": "scikit-learn's row weights"},
    "preprocessing.StandardScaler.partial_fit": {"sample_weight": "scikit-learn's row weights"},
    "preprocessing.OneHotEncoder": {
        "min_frequency": "scikit-learn's infrequent categories",
        "max_categories": "scikit-learn's infrequent categories",
        "feature_name_combiner": "scikit-learn's output column names",
    },
    "preprocessing.OrdinalEncoder": {
        # keyword-only after dask-ml's columns: scikit-learn's OrdinalEncoder for arrays
        "categories": "scikit-learn's OrdinalEncoder (arrays, or all columns of a frame)",
        "dtype": "scikit-learn's",
        "handle_unknown": "scikit-learn's",
        "unknown_value": "scikit-learn's",
        "encoded_missing_value": "scikit-learn's",
        "min_frequency": "scikit-learn's infrequent categories",
        "max_categories": "scikit-learn's infrequent categories",
    },
    "preprocessing.PolynomialFeatures": {"order": "scikit-learn's output memory layout"},
    "decomposition.PCA": {"n_oversamples": "scikit-learn's: the randomized solver's oversampling"},
    "decomposition.TruncatedSVD": {
        "n_oversamples": "scikit-learn's: the randomized solver's oversampling",
    },
    "compose.ColumnTransformer": {
        "verbose": "scikit-learn's",
        "verbose_feature_names_out": "scikit-learn's output column names",
    },
    "naive_bayes.GaussianNB": {"var_smoothing": "scikit-learn's variance floor"},
    "naive_bayes.GaussianNB.fit": {"sample_weight": "scikit-learn's row weights"},
}

#: dask-ml's ``**kwargs`` that ours spells out as named keyword-only parameters
NAMED_KWARGS: dict[str, tuple[str, ...]] = {
    # dask-ml forwarded **kwargs to scikit-learn's check_scoring; ours names them
    "metrics.check_scoring": ("allow_none", "raise_exc"),
    # dask-ml took n_jobs, remainder and preserve_dataframe from **kwargs (refusing others);
    # ours names those and scikit-learn's other keywords
    "compose.make_column_transformer": (
        "remainder",
        "sparse_threshold",
        "n_jobs",
        "preserve_dataframe",
        "verbose",
        "verbose_feature_names_out",
    ),
}

#: defaults of ours that differ from dask-ml's on purpose: (ours, why)
OUR_DEFAULTS: dict[str, dict[str, tuple[object, str]]] = {
    "cluster.SpectralClustering": {
        "n_init": ("auto", "dask-ml ignored n_init (one k-means run); ours passes it to KMeans"),
    },
    **{
        f"linear_model.{name}": {
            "solver": ("auto", "newton for modest widths, else lbfgs (dask-ml: admm)"),
            "multi_class": ("auto", "multinomial for >2 classes (dask-ml was binary only)"),
            "n_jobs": (None, "ignored, as in dask-ml: the parallelism is dask's"),
        }
        for name in ("LogisticRegression", "LinearRegression", "PoissonRegression")
    },
    **{
        f"linear_model.{name}.fit": {
            "y": (REQUIRED, "supervised: dask-ml's y=None failed in the solver too"),
        }
        for name in ("LogisticRegression", "LinearRegression", "PoissonRegression")
    },
    "metrics.log_loss": {
        "eps": ("auto", "scikit-learn's clipping (dtype's eps); a number gives dask-ml's"),
    },
    "metrics.pairwise_kernels": {
        "n_jobs": (None, "ignored, as in dask-ml: the parallelism is dask's"),
    },
    **{
        f"decomposition.{name}": {
            "iterated_power": (
                "auto",
                "scikit-learn's rule for the randomized solver (7 power iterations when "
                "n_components < 0.1 * min(X.shape), else 4); dask-ml's 0 leaves the "
                "components inaccurate",
            ),
        }
        for name in ("PCA", "IncrementalPCA")
    },
}

#: mismatches that look like bugs in dasklearn: what the source should change
KNOWN_BUGS: dict[str, str] = {}

#: public names of ours that dask-ml does not have (so no signature to compare)
NOT_IN_DASK_ML = {
    "wrappers.BLOCKWISE_SCORERS": "the scorer names ParallelPostFit.score runs in one pass",
    "datasets.make_mixed_df": "dasklearn's table of mixed dtypes",
    "compose.make_column_selector": "scikit-learn's, exported beside make_column_transformer",
}

#: public values (not callables) shared with dask-ml, checked by a test of their own
VALUES = {"metrics.SCORERS"}

_MODULES = {
    "cluster": cluster,
    "linear_model": linear_model,
    "wrappers": wrappers,
    "datasets": datasets,
    "metrics": metrics,
    "utils": utils,
    "preprocessing": preprocessing,
    "decomposition": decomposition,
    "impute": impute,
    "compose": compose,
    "feature_extraction.text": text,
    "naive_bayes": naive_bayes,
    "ensemble": ensemble,
}


def _split(path: str) -> tuple[str, list[str]]:
    """``"feature_extraction.text.CountVectorizer.transform"`` -> the module's key in
    :data:`_MODULES` and the names inside it."""
    module = max((m for m in _MODULES if path.startswith(m + ".")), key=len)
    return module, path[len(module) + 1 :].split(".")


def _resolve(path: str):
    module, names = _split(path)
    obj = importlib.import_module(f"dasklearn.{module}")
    for name in names:
        obj = getattr(obj, name)
    return obj


def _same_default(ours: object, theirs: object) -> bool:
    if isinstance(theirs, float) and np.isnan(theirs):  # SimpleImputer(missing_values=nan)
        return isinstance(ours, float) and np.isnan(ours)
    return ours == theirs


def _our_parameters(path: str) -> list[inspect.Parameter]:
    params = list(inspect.signature(_resolve(path)).parameters.values())
    if params and params[0].name == "self":  # a method looked up on the class
        params = params[1:]
    return params


def _paths():
    out = []
    for path in DASK_ML:
        marks = []
        if path in KNOWN_BUGS:
            marks = [pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[path])]
        out.append(pytest.param(path, id=path, marks=marks))
    return out


# --------------------------------------------------------------------------------------------
# (a) signatures
# --------------------------------------------------------------------------------------------


def test_every_shared_public_name_has_a_signature_row():
    """Every public name of the modules we share with dask-ml is in the table, or is ours."""
    ours = {f"{m}.{name}" for m, module in _MODULES.items() for name in module.__all__}
    constructors = {p for p in DASK_ML if len(_split(p)[1]) == 1}
    assert ours == constructors | set(NOT_IN_DASK_ML) | VALUES
    # the table's side notes name rows that exist
    assert set(EXTRA) | set(OUR_DEFAULTS) | set(KNOWN_BUGS) | set(NAMED_KWARGS) <= set(DASK_ML)


@pytest.mark.parametrize("path", _paths())
def test_signature(path):
    """Ours starts with dask-ml's parameters: same names, order, kind and defaults."""
    P = inspect.Parameter
    ours = _our_parameters(path)
    our_defaults = OUR_DEFAULTS.get(path, {})
    i = 0
    keyword_only = False
    for name, default in DASK_ML[path]:
        if name.startswith("**"):
            named = NAMED_KWARGS.get(path, ())
            rest = ours[i:]
            if named:  # dask-ml's **kwargs forwarded these; ours names them
                assert [p.name for p in rest if p.kind == P.KEYWORD_ONLY] == list(named)
            else:
                assert any(p.kind == P.VAR_KEYWORD for p in rest), f"{path}: no {name}"
            continue
        if name == "*":  # a bare star: the names after it are keyword-only
            keyword_only = True
            continue
        assert i < len(ours), f"{path}: dask-ml's {name!r} is missing"
        p = ours[i]
        i += 1
        if name.startswith("*"):
            assert p.kind == P.VAR_POSITIONAL, f"{path}: {p.name} is not {name}"
            keyword_only = True
            continue
        assert p.name == name, f"{path}: parameter {i} is {p.name!r}, dask-ml's is {name!r}"
        expected_kind = P.KEYWORD_ONLY if keyword_only else P.POSITIONAL_OR_KEYWORD
        assert p.kind == expected_kind, f"{path}: {name} is {p.kind.description}"
        if name in our_defaults:  # differs from dask-ml on purpose
            assert p.default == our_defaults[name][0], f"{path}: {name}={p.default!r}"
        elif default is not REQUIRED:
            assert _same_default(p.default, default), (
                f"{path}: {name}={p.default!r}, dask-ml's {default!r}"
            )
    extra = [
        p.name
        for p in ours[i:]
        if p.kind != P.VAR_KEYWORD and p.name not in NAMED_KWARGS.get(path, ())
    ]
    assert extra == list(EXTRA.get(path, {})), f"{path}: unlisted extra parameters {extra}"
    if not any(name.startswith("**") for name, _ in DASK_ML[path]):
        # no **kwargs in dask-ml: a misspelt keyword must fail in ours too
        assert not any(p.kind == P.VAR_KEYWORD for p in ours), f"{path}: takes **kwargs"


# --------------------------------------------------------------------------------------------
# (b) calls with dask-ml's positional arguments
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def blobs():
    """300 rows, 3 well separated blobs, 3 blocks."""
    X, y = datasets.make_blobs(300, 2, None, 0.5, (-10.0, 10.0), True, 0, 100)
    return X, y


@pytest.fixture(scope="module")
def binary():
    """A dask binary problem (200 rows, 4 blocks) and its NumPy copy."""
    X, y = datasets.make_classification(
        200, 5, 3, 0, 0, 2, 1, None, 0.0, 2.0, True, 0.0, 1.0, True, 0, 50
    )
    return X, y, X.compute(), y.compute()


def _is_float(value) -> bool:
    return isinstance(value, float) and np.isfinite(value)


def test_call_KMeans(blobs):
    X, _ = blobs
    km = cluster.KMeans(3, "k-means||", 2, 300, 1e-4, "auto", 0, True, 1, "full", None)
    assert km.fit(X) is km
    # dask-ml's documented attributes: NumPy centers, a dask array of labels, a float
    assert km.cluster_centers_.shape == (3, 2) and isinstance(km.cluster_centers_, np.ndarray)
    assert isinstance(km.labels_, da.Array) and km.labels_.shape == (300,)
    assert _is_float(km.inertia_) and km.n_iter_ >= 1
    labels = km.predict(X)
    assert isinstance(labels, da.Array) and labels.dtype == np.int32  # dask-ml's dtype
    np.testing.assert_array_equal(labels.compute(), km.labels_.compute())
    distances = km.transform(X)
    assert isinstance(distances, da.Array) and distances.shape == (300, 3)
    assert km.fit_transform(X, None).shape == (300, 3)
    # KMeans.tol: the same default, but relative to the data's variance (scikit-learn's rule);
    # dask-ml compared the centers' squared shift with tol itself. Documented in the README.
    # NumPy input: dask-ml turned it into a dask array (dask results); ours stays eager.
    Xn = X.compute()
    assert isinstance(clone(km).fit(Xn).predict(Xn), np.ndarray)


def test_call_KMeans_transform_with_y(blobs):
    X, y = blobs
    km = cluster.KMeans(3, random_state=0).fit(X)
    assert km.transform(X, y).shape == (300, 3)


def test_call_SpectralClustering(blobs):
    X, _ = blobs
    # n_init=10 is dask-ml's default, which dask-ml ignored; ours hands it to the KMeans that
    # assigns the labels (10 runs, the best kept): a valid, slower call.
    sc = cluster.SpectralClustering(
        3, None, 0, 10, 1.0, "rbf", 10, 0.0, "kmeans", 3, 1, None, 1, 50, False, None
    )
    assert sc.fit(X) is sc
    assert isinstance(sc.labels_, da.Array) and sc.labels_.shape == (300,)
    assert sc.eigenvalues_.shape == (3,)
    assert hasattr(sc.assign_labels_, "cluster_centers_")
    assert sc.fit_predict(X, None).shape == (300,)


def test_call_SpectralClustering_sklearn_kmeans(blobs):
    X, _ = blobs
    sc = cluster.SpectralClustering(3, random_state=0, n_components=50)
    sc.set_params(assign_labels="sklearn-kmeans").fit(X)
    assert sc.labels_.shape == (300,)


def _glm(cls):
    """``cls`` built with dask-ml's defaults, positionally (solver='admm', multi_class='ovr')."""
    return cls("l2", False, 1e-4, 1.0, True, 1.0, None, None, "admm", 100, "ovr", 0, False, 1, None)


def test_call_LogisticRegression(binary):
    X, y, Xn, yn = binary
    lr = _glm(linear_model.LogisticRegression)
    with warnings.catch_warnings():
        # admm (dask-ml's default solver) needs ~850 iterations on these well separated
        # classes; max_iter=100 stops it early with a ConvergenceWarning
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert lr.fit(X, y) is lr
    # scikit-learn's shapes: coef_ (1, n_features), intercept_ (1,) (dask-ml documented
    # (n_classes, n_features) but gave (n_features,) and a float)
    assert lr.coef_.shape == (1, 5) and lr.intercept_.shape == (1,)
    labels = lr.predict(X)
    # class labels from classes_ (dask-ml: booleans, the probability thresholded at 0.5)
    assert isinstance(labels, da.Array) and labels.shape == (200,)
    assert set(np.unique(labels.compute())) <= set(lr.classes_)
    proba = lr.predict_proba(X)
    assert proba.shape == (200, 2)
    np.testing.assert_allclose(proba.sum(axis=1).compute(), 1.0)
    assert lr.decision_function(X).shape == (200,)
    score = lr.score(X, y)
    assert _is_float(score) and score > 0.8
    # our defaults (solver="auto", C with scikit-learn's meaning, unpenalised intercept) give
    # scikit-learn's model
    ours = linear_model.LogisticRegression().fit(X, y)
    sk = SkLogisticRegression().fit(Xn, yn)
    np.testing.assert_allclose(ours.coef_, sk.coef_, atol=5e-3)
    np.testing.assert_allclose(ours.intercept_, sk.intercept_, atol=5e-3)


def test_call_LinearRegression():
    X, y = datasets.make_regression(200, 5, 3, 1, 0.0, None, 0.5, 1.0, True, False, 0, 50)
    lr = _glm(linear_model.LinearRegression)
    assert lr.fit(X, y) is lr
    assert lr.coef_.shape == (5,) and _is_float(float(lr.intercept_))
    prediction = lr.predict(X)
    assert isinstance(prediction, da.Array) and prediction.shape == (200,)
    score = lr.score(X, y)  # R^2, as dask-ml's
    assert _is_float(score) and score > 0.9


def test_call_PoissonRegression():
    X, y = datasets.make_counts(200, 5, 2, 1.0, 50, 0)
    pr = _glm(linear_model.PoissonRegression)
    assert pr.fit(X, y) is pr
    assert pr.coef_.shape == (5,)
    mu = pr.predict(X)
    assert isinstance(mu, da.Array) and mu.shape == (200,) and (mu.compute() > 0).all()
    deviance = pr.get_deviance(X, y)  # the summed Poisson deviance, a float
    assert _is_float(deviance) and deviance >= 0
    default = linear_model.PoissonRegression().fit(X, y).get_deviance(X, y)
    assert _is_float(default) and default >= 0


def test_call_ParallelPostFit(binary):
    X, y, Xn, yn = binary
    est = SkLogisticRegression()
    clf = wrappers.ParallelPostFit(est, None, None, None, None)
    assert clf.fit(Xn, yn) is clf
    # ours fits a clone into estimator_ (scikit-learn's meta-estimator convention); dask-ml
    # fitted `estimator` itself. The fitted attributes are readable on the wrapper either way.
    assert hasattr(clf.estimator_, "coef_") and not hasattr(est, "coef_")
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    predictions = clf.predict(X)
    assert isinstance(predictions, da.Array) and predictions.chunks == ((50,) * 4,)
    assert clf.predict_proba(X).shape == (200, 2)
    assert clf.predict_log_proba(X).shape == (200, 2)
    score = clf.score(X, y, True)
    assert _is_float(score)
    lazy = clf.score(X, y, False)
    # compute=False: a lazy dask collection (dask-ml: a 0-d dask array); .compute() gives it
    assert dask.is_dask_collection(lazy) and lazy.compute() == pytest.approx(score)
    scaler = wrappers.ParallelPostFit(StandardScaler()).fit(Xn)
    assert scaler.transform(X).shape == (200, 5)
    sgd = wrappers.ParallelPostFit(SGDClassifier(random_state=0))
    assert sgd.partial_fit(Xn, yn, classes=[0, 1]) is sgd
    # dask dataframe in: a dask Series with X's index (dask-ml gave a dask array)
    Xdf = dd.from_dask_array(X)
    assert isinstance(clf.predict(Xdf), dd.Series)


def test_call_Incremental(binary):
    X, y, _, _ = binary
    inc = wrappers.Incremental(SGDClassifier(random_state=0), None, True, 0, True)
    assert inc.fit(X, y, classes=[0, 1]) is inc
    assert hasattr(inc.estimator_, "coef_")  # a fitted clone, as in dask-ml
    assert inc.predict(X).shape == (200,)
    assert _is_float(inc.score(X, y, True))
    assert inc.partial_fit(X, y) is inc
    full = wrappers.Incremental(SGDClassifier(), None, True, 0, True, None, None, None)
    assert full.get_params()["assume_equal_chunks"] is True


def test_call_make_classification():
    X, y = datasets.make_classification(
        100, 20, 2, 2, 0, 2, 2, None, 0.01, 1.0, True, 0.0, 1.0, True, 0, 50
    )
    assert isinstance(X, da.Array) and X.shape == (100, 20) and X.chunks == ((50, 50), (20,))
    assert isinstance(y, da.Array) and y.shape == (100,) and y.chunks == ((50, 50),)
    assert set(np.unique(y.compute())) == {0, 1}
    # scikit-learn's generator (n_classes > 2 works; dask-ml raised NotImplementedError)
    _, y3 = datasets.make_classification(90, 5, 3, 0, 0, 3, 1, random_state=0, chunks=30)
    assert set(np.unique(y3.compute())) == {0, 1, 2}


def test_make_classification_defaults_are_linearly_separable_as_scikit_learns():
    scores = []
    for seed in range(4):
        X, y = datasets.make_classification(1000, 20, random_state=seed, chunks=500)
        Xn, yn = dask.compute(X, y)
        scores.append(SkLogisticRegression().fit(Xn, yn).score(Xn, yn))
    assert min(scores) > 0.75, scores


def test_call_make_regression():
    X, y = datasets.make_regression(100, 10, 3, 1, 0.0, None, 0.5, 0.0, True, False, 0, 50)
    assert X.shape == (100, 10) and y.shape == (100,) and X.chunks == ((50, 50), (10,))
    X, y, coef = datasets.make_regression(100, 10, 3, 1, 0.0, None, 0.5, 0.0, True, True, 0, 50)
    assert coef.shape == (10,) and np.count_nonzero(coef) == 3
    # noise=0: y is exactly X @ coef + bias
    np.testing.assert_allclose(y.compute(), X.compute() @ coef)


def test_call_make_blobs():
    X, y = datasets.make_blobs(100, 2, None, 1.0, (-10.0, 10.0), True, 0, 50)
    assert X.shape == (100, 2) and X.chunks == ((50, 50), (2,))
    assert set(np.unique(y.compute())) == {0, 1, 2}  # centers=None: 3 blobs, as dask-ml


def test_call_make_counts():
    X, y = datasets.make_counts(100, 10, 2, 1.0, 50, 0)
    assert X.shape == (100, 10) and y.shape == (100,) and X.chunks == ((50, 50), (10,))
    counts = y.compute()
    assert np.issubdtype(counts.dtype, np.integer) and (counts >= 0).all()


def test_call_make_classification_df():
    X, y = datasets.make_classification_df(
        100, 0.5, 0.1, 0, 50, (date(2020, 1, 1), date(2021, 1, 1))
    )
    assert isinstance(X, dd.DataFrame) and isinstance(y, dd.Series)
    assert list(X.columns) == [f"var{i}" for i in range(20)] + ["date"]
    assert y.name == "target" and len(y.compute()) == 100


def test_call_random_date():
    day = datasets.random_date(date(2020, 1, 1), date(2021, 1, 1))
    assert isinstance(day, date) and date(2020, 1, 1) <= day < date(2021, 1, 1)


# ---- metrics ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scores():
    """Dask y_true, y_pred (regression and labels) and probabilities, 2 blocks of 30."""
    rng = np.random.default_rng(0)
    y_true = rng.uniform(1, 2, 60)
    y_pred = y_true + rng.normal(0, 0.1, 60)
    labels = rng.integers(0, 2, 60)
    guesses = np.where(rng.uniform(size=60) < 0.8, labels, 1 - labels)
    p1 = np.clip(0.5 + 0.3 * (2 * labels - 1) + rng.normal(0, 0.1, 60), 0.05, 0.95)
    proba = np.column_stack([1 - p1, p1])
    as_dask = {"chunks": 30}
    return {
        "y_true": (da.from_array(y_true, **as_dask), y_true),
        "y_pred": (da.from_array(y_pred, **as_dask), y_pred),
        "labels": (da.from_array(labels, **as_dask), labels),
        "guesses": (da.from_array(guesses, **as_dask), guesses),
        "proba": (da.from_array(proba, chunks=(30, 2)), proba),
    }


def test_call_accuracy_score(scores):
    (yt, ytn), (yp, ypn) = scores["labels"], scores["guesses"]
    value = metrics.accuracy_score(yt, yp, True, None, True)
    assert _is_float(value) and value == pytest.approx(skm.accuracy_score(ytn, ypn))
    lazy = metrics.accuracy_score(yt, yp, True, None, False)
    assert dask.is_dask_collection(lazy) and lazy.compute() == pytest.approx(value)


def test_call_log_loss(scores):
    (yt, ytn), (proba, proban) = scores["labels"], scores["proba"]
    # eps=1e-15 (dask-ml's default, given explicitly); ours defaults to "auto"
    value = metrics.log_loss(yt, proba, 1e-15, True, None, None)
    assert _is_float(value) and value == pytest.approx(skm.log_loss(ytn, proban))


@pytest.mark.parametrize(
    "name",
    [
        "mean_absolute_error",
        "mean_absolute_percentage_error",
        "mean_squared_log_error",
        "r2_score",
    ],
)
def test_call_regression_metric(name, scores):
    (yt, ytn), (yp, ypn) = scores["y_true"], scores["y_pred"]
    value = getattr(metrics, name)(yt, yp, None, "uniform_average", True)
    assert _is_float(value) and value == pytest.approx(getattr(skm, name)(ytn, ypn))
    lazy = getattr(metrics, name)(yt, yp, None, "uniform_average", False)
    assert dask.is_dask_collection(lazy) and lazy.compute() == pytest.approx(value)


def test_call_mean_squared_error(scores):
    (yt, ytn), (yp, ypn) = scores["y_true"], scores["y_pred"]
    mse = metrics.mean_squared_error(yt, yp, None, "uniform_average", True, True)
    assert _is_float(mse) and mse == pytest.approx(skm.mean_squared_error(ytn, ypn))
    rmse = metrics.mean_squared_error(yt, yp, None, "uniform_average", False, True)
    assert rmse == pytest.approx(np.sqrt(mse))


@pytest.fixture(scope="module")
def points():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    Y = rng.normal(size=(5, 3))
    return da.from_array(X, chunks=(20, 3)), X, Y


def test_call_pairwise_distances(points):
    X, Xn, Y = points
    D = metrics.pairwise_distances(X, Y, "euclidean", None)
    assert isinstance(D, da.Array) and D.shape == (40, 5)
    np.testing.assert_allclose(D.compute(), skm.pairwise_distances(Xn, Y))


def test_call_euclidean_distances(points):
    X, Xn, Y = points
    D = metrics.euclidean_distances(X, Y, None, False, None)
    assert isinstance(D, da.Array) and D.shape == (40, 5)
    np.testing.assert_allclose(D.compute(), skm.euclidean_distances(Xn, Y))


def test_call_pairwise_distances_argmin_min_by_keyword(points):
    X, Xn, Y = points
    argmin, dist = metrics.pairwise_distances_argmin_min(X, Y, 1, "euclidean", metric_kwargs=None)
    argmin, dist = dask.compute(argmin, dist)
    expected = skm.pairwise_distances_argmin_min(Xn, Y)
    np.testing.assert_array_equal(argmin, expected[0])
    np.testing.assert_allclose(dist, expected[1])


def test_call_pairwise_distances_argmin_min_positional(points):
    X, _, Y = points
    argmin, dist = metrics.pairwise_distances_argmin_min(X, Y, 1, "euclidean", None, None)
    assert argmin.shape == dist.shape == (40,)


def test_call_kernels(points):
    X, Xn, Y = points
    calls = [
        (metrics.linear_kernel(X, Y), skm.pairwise.linear_kernel(Xn, Y)),
        (metrics.rbf_kernel(X, Y, 0.5), skm.pairwise.rbf_kernel(Xn, Y, 0.5)),
        (
            metrics.polynomial_kernel(X, Y, 2, 0.5, 1),
            skm.pairwise.polynomial_kernel(Xn, Y, 2, 0.5, 1),
        ),
        (metrics.sigmoid_kernel(X, Y, 0.5, 1), skm.pairwise.sigmoid_kernel(Xn, Y, 0.5, 1)),
        # filter_params=True drops what rbf does not take (degree)
        (
            metrics.pairwise_kernels(X, Y, "rbf", True, 1, gamma=0.5, degree=2),
            skm.pairwise.rbf_kernel(Xn, Y, 0.5),
        ),
    ]
    for ours, expected in calls:
        assert isinstance(ours, da.Array) and ours.shape == (40, 5)
        np.testing.assert_allclose(ours.compute(), expected)


def test_call_get_scorer_and_check_scoring(binary):
    X, y, Xn, yn = binary
    clf = wrappers.ParallelPostFit(SkLogisticRegression()).fit(Xn, yn)
    scorer = metrics.get_scorer("accuracy", True)
    assert _is_float(scorer(clf, X, y))
    assert scorer(clf, X, y) == pytest.approx(clf.score(X, y))
    checked = metrics.check_scoring(clf, "accuracy")
    assert checked(clf, X, y) == pytest.approx(clf.score(X, y))
    # dask-ml forwarded **kwargs to scikit-learn's check_scoring; ours names them
    assert callable(metrics.check_scoring(clf, "accuracy", allow_none=True))


def test_SCORERS():
    # dask-ml's four names; dask-ml's values were (metric, kwargs) pairs, ours are scorers
    # (use get_scorer(name) in either library)
    assert {"accuracy", "neg_mean_squared_error", "r2", "neg_log_loss"} <= set(metrics.SCORERS)
    assert all(callable(scorer) for scorer in metrics.SCORERS.values())


# ---- utils -----------------------------------------------------------------------------------


def test_call_assert_estimator_equal(blobs):
    X, _ = blobs
    Xn = X.compute()
    a = cluster.KMeans(3, random_state=0).fit(Xn)
    b = cluster.KMeans(3, random_state=0).fit(Xn)
    assert utils.assert_estimator_equal(a, b, None) is None
    c = cluster.KMeans(2, random_state=0).fit(Xn)
    with pytest.raises(AssertionError):
        utils.assert_estimator_equal(a, c, None)


def test_call_check_array(binary):
    X, _, Xn, _ = binary
    checked = utils.check_array(
        X,
        False,
        accept_dask_array=True,
        accept_dask_dataframe=False,
        accept_unknown_chunks=False,
        accept_multiple_blocks=False,
        preserve_pandas_dataframe=False,
        remove_zero_chunks=True,
    )
    assert isinstance(checked, da.Array) and checked.shape == X.shape
    assert isinstance(utils.check_array(Xn), np.ndarray)
    frame = pd.DataFrame(Xn)
    assert utils.check_array(frame, preserve_pandas_dataframe=True) is frame
    with pytest.raises(TypeError):
        utils.check_array(dd.from_pandas(frame, npartitions=2))


def test_call_check_chunks():
    assert utils.check_chunks(1000, 10, 4) == (250, 10)  # 4 blocks of at least 100 rows
    assert utils.check_chunks(1000, 10, (100, 10)) == (100, 10)
    rows, columns = utils.check_chunks(1000, 10, None)  # one block per core
    assert rows >= 100 and columns == 10


def test_call_check_consistent_length(binary):
    X, y, _, _ = binary
    assert utils.check_consistent_length(X, y) is None
    # dask-ml's did nothing; ours checks the lengths (documented in dasklearn.utils)
    with pytest.raises(ValueError):
        utils.check_consistent_length(X, y[:10])


def test_call_check_matching_blocks(binary):
    X, y, _, _ = binary
    assert utils.check_matching_blocks(y, y + 1) is None
    # ours compares row blocks, so X (2-D) and y (1-D) match; dask-ml compared every axis's
    # chunks and raised here (documented in dasklearn.utils)
    assert utils.check_matching_blocks(X, y) is None
    with pytest.raises(ValueError):
        utils.check_matching_blocks(y, y.rechunk(100))


def test_call_check_random_state():
    rs = utils.check_random_state(0)
    assert isinstance(rs, da.random.RandomState)
    draw = rs.random_sample(6, chunks=3).compute()
    np.testing.assert_array_equal(
        draw, utils.check_random_state(0).random_sample(6, chunks=3).compute()
    )


def test_call_handle_zeros_in_scale():
    np.testing.assert_array_equal(utils.handle_zeros_in_scale(np.array([0.0, 2.0])), [1.0, 2.0])
    lazy = utils.handle_zeros_in_scale(da.from_array(np.array([0.0, 2.0]), chunks=1))
    assert isinstance(lazy, da.Array)
    np.testing.assert_array_equal(lazy.compute(), [1.0, 2.0])


def test_call_row_norms(binary):
    X, _, Xn, _ = binary
    norms = utils.row_norms(X, False)
    assert isinstance(norms, da.Array) and norms.shape == (200,)
    np.testing.assert_allclose(norms.compute(), sk_row_norms(Xn))


def test_call_svd_flip(binary):
    _, _, Xn, _ = binary
    u, s, v = np.linalg.svd(Xn, full_matrices=False)
    U, V = utils.svd_flip(da.from_array(u, chunks=(50, 5)), da.from_array(v), True)
    assert isinstance(U, da.Array) and U.shape == u.shape and V.shape == v.shape
    np.testing.assert_allclose((U.compute() * s) @ V.compute(), Xn, atol=1e-10)


# ---- preprocessing ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def floats():
    """A dask array (200 x 4, 4 blocks) of positive floats and its NumPy copy."""
    Xn = np.random.default_rng(2).gamma(2.0, 1.0, size=(200, 4))
    return da.from_array(Xn, chunks=(50, 4)), Xn


@pytest.fixture(scope="module")
def frame():
    """A dask DataFrame (2 partitions) of a float, an int and a string column; its pandas copy."""
    pdf = pd.DataFrame(
        {"x": np.linspace(0.0, 1.0, 12), "n": np.arange(12), "city": list("abc") * 4}
    )
    return dd.from_pandas(pdf, npartitions=2), pdf


def test_call_StandardScaler(floats):
    X, Xn = floats
    # scikit-learn's constructor, keyword-only (dask-ml inherits it)
    sc = preprocessing.StandardScaler(copy=True, with_mean=True, with_std=True)
    assert sc.fit(X, None) is sc
    np.testing.assert_allclose(sc.mean_, Xn.mean(axis=0))
    np.testing.assert_allclose(sc.scale_, Xn.std(axis=0))
    Xt = sc.transform(X, None, None)
    assert isinstance(Xt, da.Array) and Xt.chunks == X.chunks
    np.testing.assert_allclose(sc.inverse_transform(Xt, None).compute(), Xn)
    # dask-ml's partial_fit raised NotImplementedError; ours learns from one more batch
    partial = preprocessing.StandardScaler().partial_fit(X, None)
    np.testing.assert_allclose(partial.mean_, sc.mean_)


def test_call_MinMaxScaler(floats):
    X, Xn = floats
    mm = preprocessing.MinMaxScaler((0, 1), copy=True, clip=False)
    assert mm.fit(X, None) is mm
    np.testing.assert_allclose(mm.data_min_, Xn.min(axis=0))
    Xt = mm.transform(X, None, None)
    assert isinstance(Xt, da.Array)
    values = Xt.compute()
    assert values.min() == pytest.approx(0.0) and values.max() == pytest.approx(1.0)
    np.testing.assert_allclose(mm.inverse_transform(Xt, None, None).compute(), Xn)
    partial = preprocessing.MinMaxScaler().partial_fit(X, None)
    np.testing.assert_allclose(partial.data_max_, Xn.max(axis=0))


def test_call_RobustScaler(floats):
    X, Xn = floats
    rs = preprocessing.RobustScaler(
        with_centering=True,
        with_scaling=True,
        quantile_range=(25.0, 75.0),
        copy=True,
        unit_variance=False,
    )
    assert rs.fit(X, None) is rs
    expected = skp.RobustScaler().fit(Xn)
    # exact quantiles (dask-ml's came from da.percentile's approximation)
    np.testing.assert_allclose(rs.center_, expected.center_)
    np.testing.assert_allclose(rs.scale_, expected.scale_)
    Xt = rs.transform(X)
    assert isinstance(Xt, da.Array)
    np.testing.assert_allclose(rs.inverse_transform(Xt).compute(), Xn)


def test_call_QuantileTransformer(floats):
    X, Xn = floats
    qt = preprocessing.QuantileTransformer(
        n_quantiles=50,
        output_distribution="uniform",
        ignore_implicit_zeros=False,
        subsample=10_000,
        random_state=0,
        copy=True,
    )
    assert qt.fit(X) is qt
    assert qt.quantiles_.shape == (50, 4)
    Xt = qt.transform(X)
    assert isinstance(Xt, da.Array)
    # 200 rows, fewer than subsample: every row is kept, so the quantiles are scikit-learn's
    expected = skp.QuantileTransformer(n_quantiles=50).fit(Xn)
    np.testing.assert_allclose(Xt.compute(), expected.transform(Xn), atol=1e-12)
    np.testing.assert_allclose(qt.inverse_transform(Xt).compute(), Xn, rtol=1e-9)


def test_call_Categorizer(frame):
    X, _ = frame
    ce = preprocessing.Categorizer(None, None)
    assert ce.fit(X, None) is ce
    assert list(ce.columns_) == ["city"]
    assert list(ce.categories_["city"].categories) == ["a", "b", "c"]
    out = ce.transform(X, None)
    assert isinstance(out, dd.DataFrame) and out["city"].dtype == "category"
    assert out["city"].cat.known
    given = preprocessing.Categorizer({"city": pd.CategoricalDtype(list("abcd"))}, None).fit(X)
    assert list(given.transform(X)["city"].cat.categories) == list("abcd")


def test_call_DummyEncoder(frame):
    X, pdf = frame
    Xc = preprocessing.Categorizer().fit_transform(X)
    de = preprocessing.DummyEncoder(None, False)
    assert de.fit(Xc, None) is de
    out = de.transform(Xc, None)
    assert isinstance(out, dd.DataFrame)
    assert list(out.columns) == ["x", "n", "city_a", "city_b", "city_c"]
    assert de.categorical_blocks_ == {"city": slice(2, 5)}
    back = de.inverse_transform(out).compute()
    pd.testing.assert_series_equal(back["city"].astype(str), pdf["city"].astype(str))
    dropped = preprocessing.DummyEncoder(None, True).fit(Xc).transform(Xc)
    assert list(dropped.columns) == ["x", "n", "city_b", "city_c"]


def test_call_OrdinalEncoder(frame):
    X, pdf = frame
    Xc = preprocessing.Categorizer().fit_transform(X)
    oe = preprocessing.OrdinalEncoder(None)
    assert oe.fit(Xc, None) is oe
    out = oe.transform(Xc, None)
    assert isinstance(out, dd.DataFrame) and list(out.columns) == ["x", "n", "city"]
    np.testing.assert_array_equal(out["city"].compute().to_numpy(), [0, 1, 2] * 4)
    back = oe.inverse_transform(out).compute()
    assert list(back["city"].astype(str)) == list(pdf["city"])


def test_call_PolynomialFeatures(floats, frame):
    X, Xn = floats
    pf = preprocessing.PolynomialFeatures(2, False, True, False)
    assert pf.fit(X, None) is pf
    Xt = pf.transform(X, None)
    assert isinstance(Xt, da.Array) and Xt.shape == (200, 15)
    np.testing.assert_allclose(Xt.compute(), skp.PolynomialFeatures(2).fit_transform(Xn))
    numeric = frame[0][["x", "n"]]
    kept = preprocessing.PolynomialFeatures(2, False, True, True).fit(numeric).transform(numeric)
    assert isinstance(kept, dd.DataFrame)
    assert list(kept.columns) == ["1", "x", "n", "x^2", "x n", "n^2"]


def test_call_LabelEncoder():
    y = dd.from_pandas(pd.Series(list("bacab"), dtype="category"), npartitions=2)
    le = preprocessing.LabelEncoder(True)
    assert le.fit(y) is le
    np.testing.assert_array_equal(le.classes_, ["a", "b", "c"])
    codes = le.transform(y)
    np.testing.assert_array_equal(np.asarray(dask.compute(codes)[0]), [1, 0, 2, 0, 1])
    np.testing.assert_array_equal(np.asarray(dask.compute(le.fit_transform(y))[0]), [1, 0, 2, 0, 1])
    back = le.inverse_transform(np.array([2, 0]))
    assert list(np.asarray(back).astype(str)) == ["c", "a"]
    labels = da.from_array(np.array(["paris", "tokyo", "paris", "amsterdam"]), chunks=2)
    plain = preprocessing.LabelEncoder(False).fit(labels)
    assert list(plain.classes_) == ["amsterdam", "paris", "tokyo"]
    np.testing.assert_array_equal(plain.transform(labels).compute(), [1, 2, 1, 0])


def test_call_OneHotEncoder():
    Xn = np.array([["a"], ["a"], ["b"], ["c"]])
    X = da.from_array(Xn, chunks=2)
    enc = preprocessing.OneHotEncoder(None, None, "auto", None, True, np.float64, "error")
    assert enc.fit(X, None) is enc
    np.testing.assert_array_equal(enc.categories_[0], ["a", "b", "c"])
    out = enc.transform(X)
    assert isinstance(out, da.Array) and out.shape == (4, 3)
    result = out.compute()
    expected = skp.OneHotEncoder().fit_transform(Xn)
    assert sp.issparse(result)
    np.testing.assert_array_equal(result.toarray(), expected.toarray())
    dense = preprocessing.OneHotEncoder(sparse_output=False).fit(X).transform(X)
    np.testing.assert_array_equal(dense.compute(), expected.toarray())


def test_call_BlockTransformer(floats, frame):
    X, Xn = floats
    bt = preprocessing.BlockTransformer(np.log1p, validate=False)
    assert bt.fit(X, None) is bt
    out = bt.transform(X, None)
    assert isinstance(out, da.Array) and out.chunks == X.chunks
    np.testing.assert_allclose(out.compute(), np.log1p(Xn))
    # dask-ml's **kw_args go to func
    rounded = preprocessing.BlockTransformer(np.round, decimals=1).transform(X)
    np.testing.assert_allclose(rounded.compute(), np.round(Xn, 1))
    # dask-ml's example: a function of a pandas partition, on a dask DataFrame
    hashed = preprocessing.BlockTransformer(pd.util.hash_pandas_object, index=False)
    series = hashed.transform(frame[0])
    assert isinstance(series, dd.Series)
    pd.testing.assert_series_equal(
        series.compute(), pd.util.hash_pandas_object(frame[1], index=False)
    )


# ---- decomposition ---------------------------------------------------------------------------


def _same_up_to_sign(a: np.ndarray, b: np.ndarray, atol: float) -> None:
    signs = np.sign(np.sum(a * b, axis=1, keepdims=True))
    np.testing.assert_allclose(a * signs, b, atol=atol)


def test_call_PCA(floats):
    X, Xn = floats
    # dask-ml's defaults, positionally (iterated_power=0 is valid; "auto" is ours)
    pca = decomposition.PCA(2, True, False, "auto", 0.0, 0, None)
    assert pca.fit(X, None) is pca
    expected = skd.PCA(2).fit(Xn)
    _same_up_to_sign(pca.components_, expected.components_, 1e-8)
    np.testing.assert_allclose(pca.explained_variance_, expected.explained_variance_)
    Xt = pca.transform(X)
    assert isinstance(Xt, da.Array) and Xt.shape == (200, 2)
    assert pca.fit_transform(X, None).shape == (200, 2)
    np.testing.assert_allclose(
        pca.inverse_transform(Xt).compute(), expected.inverse_transform(expected.transform(Xn))
    )
    np.testing.assert_allclose(pca.score_samples(X).compute(), expected.score_samples(Xn))
    score = pca.score(X, None)
    assert _is_float(score) and score == pytest.approx(expected.score(Xn))


def test_call_IncrementalPCA(floats):
    X, Xn = floats
    ipca = decomposition.IncrementalPCA(2, False, True, None, "auto", 0, None)
    assert ipca.fit(X, None) is ipca
    # batch_size=None: each row block is a batch (dask-ml: batches of 5 * n_features rows),
    # folded in as scikit-learn's IncrementalPCA folds its batches
    expected = skd.IncrementalPCA(2, batch_size=50).fit(Xn)
    _same_up_to_sign(ipca.components_, expected.components_, 1e-8)
    np.testing.assert_allclose(ipca.explained_variance_, expected.explained_variance_)
    Xt = ipca.transform(X)
    assert isinstance(Xt, da.Array) and Xt.shape == (200, 2)
    assert ipca.fit_transform(X, None).shape == (200, 2)
    partial = decomposition.IncrementalPCA(2)
    assert partial.partial_fit(Xn[:100], None, True) is partial
    partial.partial_fit(Xn[100:])
    assert partial.n_samples_seen_ == 200


def test_call_TruncatedSVD(floats):
    X, Xn = floats
    svd = decomposition.TruncatedSVD(2, "tsqr", 5, None, 0.0, True)
    assert svd.fit(X, None) is svd
    _, s, vt = np.linalg.svd(Xn, full_matrices=False)
    _same_up_to_sign(svd.components_, vt[:2], 1e-8)
    np.testing.assert_allclose(svd.singular_values_, s[:2])
    Xt = svd.fit_transform(X, None)
    assert isinstance(Xt, da.Array) and Xt.shape == (200, 2)
    np.testing.assert_allclose(svd.transform(X, None).compute(), Xt.compute())
    assert svd.inverse_transform(Xt).shape == (200, 4)


# ---- impute, compose ---------------------------------------------------------------------------


def test_call_SimpleImputer(floats, frame):
    X, Xn = floats
    holes = Xn.copy()
    holes[::7, 1] = np.nan
    Xh = da.from_array(holes, chunks=(50, 4))
    imp = impute.SimpleImputer(missing_values=np.nan, strategy="mean", fill_value=None, copy=True)
    assert imp.fit(Xh, None) is imp
    np.testing.assert_allclose(imp.statistics_, np.nanmean(holes, axis=0))
    filled = imp.transform(Xh)
    assert isinstance(filled, da.Array) and not np.isnan(filled.compute()).any()
    # dask-ml's strategies for dataframes: median and most_frequent too
    Xf, pdf = frame
    frequent = impute.SimpleImputer(strategy="most_frequent").fit(Xf[["city"]])
    assert list(frequent.statistics_) == ["a"]
    median = impute.SimpleImputer(strategy="median").fit(Xf[["x", "n"]])
    np.testing.assert_allclose(median.statistics_, pdf[["x", "n"]].median())


def test_call_ColumnTransformer(frame):
    X, pdf = frame
    ct = compose.ColumnTransformer(
        [("scale", preprocessing.StandardScaler(), ["x", "n"])], "drop", 0.3, 1, None, True
    )
    out = ct.fit_transform(X)
    assert isinstance(out, dd.DataFrame) and out.npartitions == X.npartitions
    expected = skp.StandardScaler().fit_transform(pdf[["x", "n"]])
    np.testing.assert_allclose(out.compute().to_numpy(), expected)
    made = compose.make_column_transformer(
        (preprocessing.StandardScaler(), ["x"]),
        remainder="passthrough",
        n_jobs=1,
        preserve_dataframe=True,
    )
    assert isinstance(made, compose.ColumnTransformer)
    assert made.fit_transform(X).shape[1] == 3
    with pytest.raises(TypeError):
        compose.make_column_transformer((preprocessing.StandardScaler(), ["x"]), bogus=1)


# ---- feature_extraction.text -----------------------------------------------------------------

CORPUS = [
    "This is the first document.",
    "This document is the second document.",
    "And this is the third one.",
    "Is this the first document?",
]


def test_call_HashingVectorizer():
    docs = db.from_sequence(CORPUS, npartitions=2)
    hv = text.HashingVectorizer(n_features=2**10)
    out = hv.transform(docs)
    assert isinstance(out, da.Array) and out.shape[1] == 2**10
    expected = sk_text.HashingVectorizer(n_features=2**10).transform(CORPUS)
    np.testing.assert_allclose(out.compute().toarray(), expected.toarray())
    series = dd.from_pandas(pd.Series(CORPUS), npartitions=2)
    np.testing.assert_allclose(hv.transform(series).compute().toarray(), expected.toarray())


def test_call_FeatureHasher():
    tokens = [doc.lower().split() for doc in CORPUS]
    fh = text.FeatureHasher(16, input_type="string")
    out = fh.transform(db.from_sequence(tokens, npartitions=2))
    assert isinstance(out, da.Array) and out.shape[1] == 16
    expected = skfe.FeatureHasher(16, input_type="string").transform(tokens)
    np.testing.assert_allclose(out.compute().toarray(), expected.toarray())


def test_call_CountVectorizer():
    docs = db.from_sequence(CORPUS, npartitions=2)
    cv = text.CountVectorizer()
    out = cv.fit_transform(docs, None)
    assert isinstance(out, da.Array)
    expected = sk_text.CountVectorizer().fit(CORPUS)
    assert cv.vocabulary_ == expected.vocabulary_
    np.testing.assert_array_equal(out.compute().toarray(), expected.transform(CORPUS).toarray())
    again = cv.transform(docs)
    np.testing.assert_array_equal(again.compute().toarray(), out.compute().toarray())


# ---- naive Bayes, blockwise ensembles ---------------------------------------------------------


def test_call_GaussianNB(binary):
    X, y, Xn, yn = binary
    gnb = naive_bayes.GaussianNB(None, None)
    assert gnb.fit(X, y) is gnb
    expected = SkGaussianNB().fit(Xn, yn)
    np.testing.assert_allclose(gnb.theta_, expected.theta_)
    np.testing.assert_allclose(gnb.var_, expected.var_)
    labels = gnb.predict(X)
    assert isinstance(labels, da.Array) and labels.shape == (200,)
    np.testing.assert_array_equal(labels.compute(), expected.predict(Xn))
    np.testing.assert_allclose(gnb.predict_proba(X).compute(), expected.predict_proba(Xn))
    np.testing.assert_allclose(
        gnb.predict_log_proba(X).compute(), expected.predict_log_proba(Xn), rtol=1e-9
    )
    # dask-ml's classes: the labels y may take, given up front
    assert list(naive_bayes.GaussianNB(None, [0, 1]).fit(X, y).classes_) == [0, 1]


def test_call_BlockwiseVotingClassifier(binary):
    X, y, _, yn = binary
    clf = ensemble.BlockwiseVotingClassifier(SkLogisticRegression(), "hard", [0, 1])
    # dask-ml's fit returned None; ours returns the estimator (scikit-learn's convention)
    assert clf.fit(X, y) is clf
    assert len(clf.estimators_) == X.numblocks[0]  # one model per block
    labels = clf.predict(X)
    assert isinstance(labels, da.Array) and labels.shape == (200,)
    assert (labels.compute() == yn).mean() > 0.8
    soft = ensemble.BlockwiseVotingClassifier(SkLogisticRegression(), "soft", [0, 1]).fit(X, y)
    assert soft.predict_proba(X).shape == (200, 2)
    # dask-ml's rule: the classes are given, in the constructor or to fit
    with pytest.raises(ValueError, match="classes"):
        ensemble.BlockwiseVotingClassifier(SkLogisticRegression()).fit(X, y)


def test_call_BlockwiseVotingRegressor():
    X, y = datasets.make_regression(200, 5, 3, 1, 0.0, None, 0.5, 0.1, True, False, 0, 50)
    reg = ensemble.BlockwiseVotingRegressor(SkLinearRegression())
    assert reg.fit(X, y) is reg
    assert len(reg.estimators_) == 4
    prediction = reg.predict(X)
    assert isinstance(prediction, da.Array) and prediction.shape == (200,)
    Xn = X.compute()
    average = np.mean([m.predict(Xn) for m in reg.estimators_], axis=0)
    np.testing.assert_allclose(prediction.compute(), average)
