"""Preprocessing on dask arrays and dataframes larger than memory, as in ``dask_ml.preprocessing``.

Scalers and transformers whose statistics come from one pass over the data (``_data``,
``_quantile``, ``_polynomial``, ``_block``), and encoders of categorical, string and label
columns (``_encoders``, ``_label``, ``_categorical``). Dataframe in, dataframe out, with
scikit-learn's column names.
"""

from ._block import BlockTransformer
from ._categorical import Categorizer, DummyEncoder
from ._data import MinMaxScaler, RobustScaler, StandardScaler
from ._encoders import OneHotEncoder, OrdinalEncoder
from ._label import LabelEncoder
from ._polynomial import PolynomialFeatures
from ._quantile import QuantileTransformer

__all__ = [
    "BlockTransformer",
    "Categorizer",
    "DummyEncoder",
    "LabelEncoder",
    "MinMaxScaler",
    "OneHotEncoder",
    "OrdinalEncoder",
    "PolynomialFeatures",
    "QuantileTransformer",
    "RobustScaler",
    "StandardScaler",
]
