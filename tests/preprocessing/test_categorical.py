"""Categorizer and DummyEncoder (dask-ml's) against pandas, on pandas and dask DataFrames."""

from __future__ import annotations

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from dasklearn.preprocessing import Categorizer, DummyEncoder


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "A": [1, 2, 3, 4, 5, 6],
            "B": pd.Series(["b", "a", None, "c", "a", "b"], dtype="str"),
            "C": pd.Series(["x", "y", "x", "x", "y", "x"], dtype=object),
            "D": pd.Categorical(["p", "q", "p", "p", "q", "p"], categories=["q", "p", "r"]),
        }
    )


@pytest.mark.parametrize("kind", ["pandas", "dask"])
def test_categorizer_matches_pandas(kind, scheduler):
    df = _frame()
    X = df if kind == "pandas" else dd.from_pandas(df, npartitions=3)
    ce = Categorizer().fit(X)
    assert list(ce.columns_) == ["B", "C", "D"]
    assert ce.n_passes_ == 1  # B and C are learned, D is known
    for column in "BC":
        expected = df[column].astype("category").dtype
        assert list(ce.categories_[column].categories) == list(expected.categories)
    assert ce.categories_["D"] == df["D"].dtype
    out = ce.transform(X)
    if kind == "dask":
        assert isinstance(out, dd.DataFrame) and out.divisions == X.divisions
        assert out["B"].cat.known
        out = out.compute()
    assert out["A"].tolist() == df["A"].tolist()
    assert out["B"].tolist()[:2] == ["b", "a"] and out["B"].isna().sum() == 1
    assert (out.dtypes[1:] == "category").all()


def test_categorizer_parameters():
    df = _frame()
    only = Categorizer(columns=["C"]).fit(df)
    assert list(only.columns_) == ["C"]
    given = Categorizer(categories={"C": (["y", "x", "w"], True)}).fit(dd.from_pandas(df, 2))
    assert given.n_passes_ == 0
    out = given.transform(df)
    assert out["C"].dtype == pd.CategoricalDtype(["y", "x", "w"], ordered=True)
    new = df.assign(C=["x", "zz", "x", "x", "y", "x"])
    assert Categorizer(columns=["C"]).fit(df).transform(new)["C"].isna().sum() == 1
    with pytest.raises(TypeError, match="DataFrame"):
        Categorizer().fit(df.to_numpy())
    with pytest.raises(ValueError, match=r"\['Z'\]"):
        Categorizer(columns=["Z"]).fit(df)
    with pytest.raises(ValueError, match="feature names"):
        Categorizer().fit(df).transform(df.rename(columns={"B": "b"}))


@pytest.mark.parametrize("drop_first", [False, True])
@pytest.mark.parametrize("kind", ["pandas", "dask"])
def test_dummy_encoder_matches_get_dummies(kind, drop_first, scheduler):
    df = Categorizer().fit_transform(_frame())
    X = df if kind == "pandas" else dd.from_pandas(df, npartitions=3)
    de = DummyEncoder(drop_first=drop_first).fit(X)
    expected = pd.get_dummies(df, columns=["B", "C", "D"], drop_first=drop_first)
    assert list(de.transformed_columns_) == list(expected.columns)
    assert list(de.categorical_columns_) == ["B", "C", "D"]
    assert list(de.non_categorical_columns_) == ["A"]
    assert de.categorical_blocks_["B"] == slice(1, 4 - drop_first)
    out = de.transform(X)
    if kind == "dask":
        assert isinstance(out, dd.DataFrame) and out.divisions == X.divisions
        out = out.compute()
    pd.testing.assert_frame_equal(out, expected)
    values = out.to_numpy(dtype=np.float64)
    for encoded in (out, values, dd.from_pandas(out, 2), da.from_array(values, 2)):
        back = de.inverse_transform(encoded)
        back = back.compute() if hasattr(back, "compute") else back
        back = back.reset_index(drop=True)
        assert list(back.columns) == list(df.columns)
        known = df["B"].notna()  # NaN has no dummy: it comes back as the first category
        assert back["B"][known].tolist() == df["B"][known].tolist()
        assert back["D"].tolist() == df["D"].tolist() and back["D"].dtype == df["D"].dtype


def test_dummy_encoder_unknown_categories_and_checks(scheduler):
    df = _frame()
    X = dd.from_pandas(df, npartitions=2).astype({"C": "category"})
    assert not X["C"].cat.known
    de = DummyEncoder().fit(X)
    assert de.n_passes_ == 1 and list(de.dtypes_["C"].categories) == ["x", "y"]
    assert list(de.transform(X).columns) == ["A", "B", "C_x", "C_y", "D_q", "D_p", "D_r"]
    with pytest.raises(ValueError, match="do not match the training columns"):
        de.transform(X[["A", "C", "D", "B"]])
    other = df.astype({"D": pd.CategoricalDtype(["p", "q"])})
    with pytest.raises(ValueError, match="has categories"):
        DummyEncoder().fit(df).transform(dd.from_pandas(other, 2))
    with pytest.raises(ValueError, match="must be categorical"):
        DummyEncoder(columns=["B"]).fit(df)
    for unfitted in (Categorizer(), DummyEncoder()):
        with pytest.raises(NotFittedError):
            unfitted.transform(df)
