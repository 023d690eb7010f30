"""scikit-learn's own estimator checks, run on every dasklearn estimator (in-memory input).

Expected failures are properties of the algorithms or of dask-ml's contracts, not of the
validation (each with its reason in :data:`_EXPECTED_FAILURES` or :func:`_expected_failures`):

* KMeans' k-means|| initialisation samples rows at random, so integer weights do not give the
  same draws as repeated rows (scikit-learn's own KMeans carries the same exception), and the
  checks give SpectralClustering ``n_components=1``, fewer landmarks than clusters (refused).
* ``SimpleImputer(strategy="most_frequent")`` and ``ColumnTransformer`` fail
  ``check_dtype_object`` and ``check_transformer_data_not_an_array`` as scikit-learn's own
  estimators of those names do.
* ``Categorizer`` and ``DummyEncoder`` take pandas or dask DataFrames only (dask-ml's
  contract): every check that feeds them a NumPy, sparse or list input fails with their
  TypeError; the checks of the estimator API (cloning, parameters, tags, repr, unfitted use)
  apply and run.
* ``BlockwiseVotingClassifier`` needs ``classes`` up front (dask-ml's): the checks run with
  ``classes=[0, 1, 2, 3]``, the labels they use, except the one that fits string labels, and
  with ``voting="soft"`` ``predict_proba`` has a column per declared class where
  ``check_classifiers_train`` expects one per class seen.
* ``BlockTransformer`` runs with ``validate=True``: with dask-ml's default ``validate=False``
  it passes X to ``func`` unchecked, which eight input checks do not allow.

The text vectorizers (``HashingVectorizer``, ``FeatureHasher``, ``CountVectorizer``) take text
or mappings, not numbers: scikit-learn's tags skip the numeric checks, as for its own
vectorizers, and what applies runs.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from dasklearn.cluster import KMeans, SpectralClustering
from dasklearn.compose import ColumnTransformer
from dasklearn.decomposition import PCA, IncrementalPCA, TruncatedSVD
from dasklearn.ensemble import BlockwiseVotingClassifier, BlockwiseVotingRegressor
from dasklearn.feature_extraction.text import CountVectorizer, FeatureHasher, HashingVectorizer
from dasklearn.impute import SimpleImputer
from dasklearn.linear_model import LinearRegression, LogisticRegression, PoissonRegression
from dasklearn.naive_bayes import GaussianNB
from dasklearn.preprocessing import (
    BlockTransformer,
    Categorizer,
    DummyEncoder,
    LabelEncoder,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    PolynomialFeatures,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
)

_EXPECTED_FAILURES = {
    "KMeans": {
        "check_sample_weight_equivalence_on_dense_data": (
            "random k-means|| draws differ between weights and repeated rows"
        ),
    },
    "SpectralClustering": {
        "check_methods_sample_order_invariance": "n_components=1 < n_clusters is refused",
    },
    "ColumnTransformer": {
        "check_transformer_data_not_an_array": (
            "a list-like that is not an array reaches the transformers as it is "
            "(scikit-learn's ColumnTransformer fails it too)"
        ),
    },
}

#: the checks that feed an estimator NumPy, sparse or list input (and so fail for one that
#: takes DataFrames only)
_FEEDS_ARRAYS = (
    "check_complex_data",
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimator_sparse_array",
    "check_estimator_sparse_matrix",
    "check_estimator_sparse_tag",
    "check_estimators_dtypes",
    "check_estimators_empty_data_messages",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit1d",
    "check_fit2d_1feature",
    "check_fit2d_1sample",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
    "check_transformer_data_not_an_array",
    "check_transformer_general",
    "check_transformer_preserve_dtypes",
)
_FRAMES_ONLY = "takes pandas or dask DataFrames only (dask-ml's contract); the check feeds arrays"


def _expected_failures(estimator) -> dict[str, str]:
    name = type(estimator).__name__
    failures = dict(_EXPECTED_FAILURES.get(name, {}))
    if name in ("Categorizer", "DummyEncoder"):
        failures.update(dict.fromkeys(_FEEDS_ARRAYS, _FRAMES_ONLY))
    if isinstance(estimator, SimpleImputer) and estimator.strategy == "most_frequent":
        failures["check_dtype_object"] = (
            "most_frequent counts object values, so a dict is counted, not refused with the "
            "check's message (scikit-learn's SimpleImputer fails it too)"
        )
    if isinstance(estimator, BlockwiseVotingClassifier):
        failures["check_classifiers_classes"] = (
            "fits string labels that are not among the declared classes (refused)"
        )
        if estimator.voting == "soft":
            failures["check_classifiers_train"] = (
                "predict_proba has a column per declared class (4), the check expects one "
                "per class it trained on"
            )
    return failures


_ESTIMATORS = [
    KMeans(n_clusters=3, random_state=0),
    SpectralClustering(n_clusters=2, n_components=20, random_state=0),
    LogisticRegression(),
    LinearRegression(),
    PoissonRegression(),
    # preprocessing
    StandardScaler(),
    MinMaxScaler(),
    RobustScaler(),
    QuantileTransformer(),
    PolynomialFeatures(),
    BlockTransformer(np.log1p, validate=True),
    OneHotEncoder(),
    OrdinalEncoder(),
    LabelEncoder(),
    Categorizer(),
    DummyEncoder(),
    # decomposition
    PCA(),
    TruncatedSVD(),
    IncrementalPCA(),
    # impute, compose
    SimpleImputer(),
    SimpleImputer(strategy="most_frequent"),
    ColumnTransformer([("scale", StandardScaler(), [0])], remainder="passthrough"),
    # text
    HashingVectorizer(),
    FeatureHasher(),
    CountVectorizer(),
    # naive Bayes, blockwise ensembles
    GaussianNB(),
    BlockwiseVotingClassifier(SkLogisticRegression(), classes=[0, 1, 2, 3]),
    BlockwiseVotingRegressor(SkLinearRegression()),
]

#: other configurations of the same estimators (other code paths: dense output, randomized
#: SVD, another statistic, soft voting)
_VARIANTS = [
    OneHotEncoder(sparse_output=False, handle_unknown="ignore"),
    PCA(n_components=2, svd_solver="randomized", random_state=0),
    TruncatedSVD(algorithm="randomized", random_state=0),
    SimpleImputer(strategy="median"),
    BlockwiseVotingClassifier(SkLogisticRegression(), voting="soft", classes=[0, 1, 2, 3]),
]


@parametrize_with_checks(_ESTIMATORS, expected_failed_checks=_expected_failures)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.slow  # ~240 checks, about 7 s together
@parametrize_with_checks(_VARIANTS, expected_failed_checks=_expected_failures)
def test_scikit_learn_estimator_checks_of_other_configurations(estimator, check):
    check(estimator)
