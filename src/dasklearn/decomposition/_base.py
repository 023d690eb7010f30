"""What PCA, IncrementalPCA and TruncatedSVD share: projection onto the components and back,
and the probabilistic PCA model (covariance, precision).

Per-row results go through the shared output layer (:mod:`dasklearn._output`): NumPy and pandas
in give NumPy (pandas under ``set_output(transform="pandas")``), a dask array gives a dask array
with its row chunks, a dask DataFrame a dask DataFrame with its index and columns from
``get_feature_names_out()`` (``pca0``, ``pca1``, ...).
"""

from __future__ import annotations

from typing import Any

import dask.dataframe as dd
import numpy as np
import pandas as pd
from scipy import linalg
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin

from .._chunks import row_shape
from .._output import Output, OutputMixin, apply_rows, map_rows
from .._validation import check_is_fitted
from . import _kernels as K

__all__ = ["BaseProjection", "float_dtype"]

_FLOATS = [np.float64, np.float32]


def float_dtype(X: Any) -> np.dtype:
    """The float dtype X's blocks are read in (from metadata): float32 stays float32, anything
    else becomes float64, as the output layer converts them."""
    if isinstance(X, pd.DataFrame | dd.DataFrame):
        dtypes = {np.dtype(t) if isinstance(t, np.dtype) else None for t in X.dtypes}
        dtype = dtypes.pop() if len(dtypes) == 1 else None
    else:
        dtype = np.dtype(X.dtype) if hasattr(X, "dtype") else np.asarray(X).dtype
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)


class BaseProjection(
    OutputMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    BaseEstimator,
    auto_wrap_output_keys=None,
):
    """``transform`` / ``inverse_transform`` onto ``components_``, centred on ``mean_`` unless
    the subclass sets ``_centred = False`` (TruncatedSVD), whitened when ``whiten`` is True."""

    _centred = True

    @property
    def _n_features_out(self) -> int:
        return self.components_.shape[0]

    def _whitening_scale(self) -> np.ndarray | None:
        if not getattr(self, "whiten", False):
            return None
        # components of (near) zero variance would give infinities: floored as scikit-learn does
        scale = np.sqrt(self.explained_variance_)
        return np.maximum(scale, np.finfo(scale.dtype).eps)

    def transform(self, X: Any) -> Any:
        """Project X onto the components.

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_features)
            New data.

        Returns
        -------
        X_new : ndarray, dask array or dask DataFrame of shape (n_samples, n_components)
            NumPy for in-memory X (pandas under ``set_output(transform="pandas")``); lazy, in
            X's container and row blocks, for dask X.
        """
        check_is_fitted(self, "components_")
        components = self.components_
        offset = self.mean_ @ components.T if self._centred else None
        dtype = np.result_type(float_dtype(X), components.dtype)
        return apply_rows(
            self,
            "transform",
            K.transform_block,
            X,
            components,
            offset,
            self._whitening_scale(),
            output=Output(dtype, width=components.shape[0]),
            dtype=_FLOATS,
            fitted="components_",
        )

    def inverse_transform(self, X: Any) -> Any:
        """Map projected data back to the space of the features.

        With ``whiten=True`` this undoes the whitening too (an exact inverse on the span of the
        components).

        Parameters
        ----------
        X : array-like, pandas or dask collection of shape (n_samples, n_components)
            Data in the space of the components.

        Returns
        -------
        X_original : ndarray, dask array or dask DataFrame of shape (n_samples, n_features)
            In X's container; a dask DataFrame gets the fitted feature names as columns.
        """
        check_is_fitted(self, "components_")
        if not hasattr(X, "ndim"):  # as check_features: a dask DataFrame's shape is costly
            X = np.asarray(X)
        width = row_shape(X)[0] if X.ndim == 2 else 0
        if X.ndim != 2 or width != self.components_.shape[0]:
            raise ValueError(
                f"X has shape {X.shape} but inverse_transform expects {self.components_.shape[0]} "
                "columns (one per component)."
            )
        components = self.components_
        if getattr(self, "whiten", False):
            components = np.sqrt(self.explained_variance_)[:, None] * components
        names = getattr(self, "feature_names_in_", None)
        dtype = np.result_type(float_dtype(X), components.dtype)
        return map_rows(
            K.inverse_block,
            X,
            components,
            self.mean_ if self._centred else None,
            output=Output(
                dtype,
                width=components.shape[1],
                columns=None if names is None else list(names),
            ),
            dtype=_FLOATS,
            ensure_all_finite=True,
        )


class BasePCA(BaseProjection, auto_wrap_output_keys=None):
    """The probabilistic PCA model of Tipping and Bishop (1999): scikit-learn's ``_BasePCA``."""

    def _kept_variance(self) -> tuple[np.ndarray, np.ndarray]:
        components = self.components_
        variance = self.explained_variance_
        if self.whiten:
            components = components * np.sqrt(variance[:, None])
        excess = np.where(variance > self.noise_variance_, variance - self.noise_variance_, 0)
        return components, excess.astype(variance.dtype, copy=False)

    def get_covariance(self) -> np.ndarray:
        """Data covariance under the generative model.

        ``components_ᵀ diag(explained_variance_ - noise_variance_) components_ +
        noise_variance_ I``.

        Returns
        -------
        cov : ndarray of shape (n_features, n_features)
            Estimated covariance of the data.
        """
        check_is_fitted(self, "components_")
        components, excess = self._kept_variance()
        cov = (components.T * excess) @ components
        cov.flat[:: cov.shape[0] + 1] += self.noise_variance_
        return cov

    def get_precision(self) -> np.ndarray:
        """Data precision matrix under the generative model (the inverse of
        :meth:`get_covariance`, by the matrix inversion lemma).

        Returns
        -------
        precision : ndarray of shape (n_features, n_features)
            Estimated precision of the data.
        """
        check_is_fitted(self, "components_")
        n_features = self.components_.shape[1]
        if self.n_components_ == 0:
            return np.eye(n_features) / self.noise_variance_
        if self.noise_variance_ == 0.0:
            return linalg.inv(self.get_covariance())
        components, excess = self._kept_variance()
        precision = components @ components.T / self.noise_variance_
        precision.flat[:: precision.shape[0] + 1] += 1.0 / excess
        precision = components.T @ linalg.inv(precision) @ components
        precision /= -(self.noise_variance_**2)
        precision.flat[:: precision.shape[0] + 1] += 1.0 / self.noise_variance_
        return precision
