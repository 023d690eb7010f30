"""Parameters checked from each estimator's declared constraints, before any work."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import pytest
from sklearn.base import BaseEstimator

from dasklearn._params import Interval, Options, check_params
from dasklearn.cluster import KMeans, SpectralClustering
from dasklearn.exceptions import InvalidParameterError
from dasklearn.linear_model import LinearRegression, LogisticRegression, PoissonRegression


class _Toy(BaseEstimator):
    _parameter_constraints = {
        "k": [Interval(Integral, 1, None, closed="left")],
        "rate": [Interval(Real, 0, 1, closed="neither"), None],
        "how": [Options({"a", "b"})],
        "flag": ["boolean"],
        "seed": ["random_state"],
        "table": [dict, None],
    }

    def __init__(self, k=1, rate=None, how="a", flag=False, seed=None, table=None):
        self.k, self.rate, self.how, self.flag, self.seed, self.table = (
            k,
            rate,
            how,
            flag,
            seed,
            table,
        )


@pytest.mark.parametrize(
    "params, message",
    [
        ({"k": 0}, r"k must be an int in the range \[1, inf\); got 0 \(a parameter of _Toy\)"),
        ({"k": 2.0}, "k must be an int"),
        ({"k": True}, "k must be an int"),
        ({"rate": 1.0}, r"rate must be a float in the range \(0, 1\) or None; got 1.0"),
        ({"how": "c"}, r"how must be one of \{'a', 'b'\}; got 'c'"),
        ({"flag": 1}, "flag must be a bool"),
        ({"seed": "x"}, "seed must be None, an int, a RandomState or a Generator"),
        ({"table": []}, "table must be an instance of dict or None"),
    ],
)
def test_bad_values_name_parameter_value_and_allowed(params, message):
    with pytest.raises(InvalidParameterError, match=message) as info:
        check_params(_Toy(**params))
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)


def test_good_values_pass():
    check_params(_Toy(k=3, rate=0.5, how="b", flag=np.bool_(True), seed=np.random.default_rng(0)))


@pytest.mark.parametrize(
    "estimator",
    [
        KMeans(n_clusters=-1),
        SpectralClustering(n_components=0),
        LogisticRegression(C=-1.0),
        LinearRegression(solver="sag"),
        PoissonRegression(max_iter=0),
    ],
)
def test_every_estimator_checks_before_reading_data(estimator):
    class Unreadable:
        shape = (10, 2)

        def __array__(self, *args, **kwargs):
            raise AssertionError("the data was read before the parameters were checked")

    with pytest.raises(InvalidParameterError):
        estimator.fit(Unreadable(), np.zeros(10))
