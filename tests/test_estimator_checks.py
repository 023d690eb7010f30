"""scikit-learn's own estimator checks, run on every dasklearn estimator (in-memory input).

The two expected failures are properties of the algorithms, not of the validation:
KMeans' k-means|| initialisation samples rows at random, so integer weights do not give the
same draws as repeated rows (scikit-learn's own KMeans carries the same exception), and the
checks give SpectralClustering ``n_components=1``, fewer landmarks than clusters (refused).
"""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from dasklearn.cluster import KMeans, SpectralClustering
from dasklearn.linear_model import LinearRegression, LogisticRegression, PoissonRegression

_EXPECTED_FAILURES = {
    "KMeans": {
        "check_sample_weight_equivalence_on_dense_data": (
            "random k-means|| draws differ between weights and repeated rows"
        ),
    },
    "SpectralClustering": {
        "check_methods_sample_order_invariance": "n_components=1 < n_clusters is refused",
    },
}


def _expected_failures(estimator):
    return _EXPECTED_FAILURES.get(type(estimator).__name__, {})


@parametrize_with_checks(
    [
        KMeans(n_clusters=3, random_state=0),
        SpectralClustering(n_clusters=2, n_components=20, random_state=0),
        LogisticRegression(),
        LinearRegression(),
        PoissonRegression(),
    ],
    expected_failed_checks=_expected_failures,
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
