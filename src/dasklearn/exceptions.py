"""Errors dasklearn raises that are its own, for users to catch.

* :class:`RankFailure`: a distributed training job (:func:`dasklearn.torch.run`,
  :func:`dasklearn.tensorflow.run`) ended because the worker of one of its ranks left the cluster.
  A rank whose training function raises re-raises that function's own exception instead, with
  a note naming the rank that failed first.
* :class:`InvalidParameterError`: an estimator's constructor parameter has a value it may not
  take (raised by ``fit`` before any work, naming the parameter, the value and what is
  allowed). A ``ValueError`` and a ``TypeError``, as scikit-learn's own.
* :func:`missing_extra` builds the ``ImportError`` that :mod:`dasklearn.xgboost`,
  :mod:`dasklearn.lightgbm`, :mod:`dasklearn.torch` and :mod:`dasklearn.tensorflow` raise on
  import when their framework is not installed (catch it as ``ImportError``).

Everything else dasklearn raises is a built-in exception (``ValueError``, ``TypeError``,
``RuntimeError``) or scikit-learn's (``NotFittedError``).
"""

from __future__ import annotations

__all__ = ["InvalidParameterError", "RankFailure", "missing_extra"]


class InvalidParameterError(ValueError, TypeError):
    """A constructor parameter has a value it may not take.

    Examples
    --------
    >>> from dasklearn.cluster import KMeans
    >>> from dasklearn.exceptions import InvalidParameterError
    >>> try:
    ...     KMeans(n_clusters=0).fit([[0.0], [1.0]])
    ... except InvalidParameterError as err:
    ...     print(err)
    n_clusters must be an int in the range [1, inf); got 0 (a parameter of KMeans).
    """


class RankFailure(RuntimeError):
    """A rank's worker left the cluster while the job ran.

    Raised by :func:`dasklearn.torch.run` and :func:`dasklearn.tensorflow.run` after the
    other ranks were told to stop; the message names the rank(s) and worker(s) that left.

    Examples
    --------
    >>> from dasklearn.exceptions import RankFailure
    >>> issubclass(RankFailure, RuntimeError)
    True
    >>> try:  # doctest: +SKIP
    ...     results = dasklearn.torch.run(client, train_fn, X, y)
    ... except RankFailure:  # a worker left mid-job: run the job again
    ...     results = dasklearn.torch.run(client, train_fn, X, y)
    """


def missing_extra(framework: str, module: str, err: ImportError) -> ImportError:
    """The ImportError raised when an optional framework is not installed.

    Parameters
    ----------
    framework : str
        The framework's name for people, e.g. ``"PyTorch"``.
    module : str
        The dasklearn module that needs it, which is also the name of the extra, e.g. ``"torch"``.
    err : ImportError
        The error of the failed import, quoted in the message.

    Returns
    -------
    ImportError
        An error that says how to install the extra, to raise ``from err``.

    Examples
    --------
    >>> print(missing_extra("PyTorch", "torch", ImportError("No module named 'torch'")))
    dasklearn.torch needs PyTorch, which is not installed (No module named 'torch'). Install it
    with the 'torch' extra: pip install 'dasklearn[torch]'.
    """
    return ImportError(
        f"dasklearn.{module} needs {framework}, which is not installed ({err}). "
        f"Install it with the '{module}' extra: pip install 'dasklearn[{module}]'."
    )
