"""The fitted model of a categorical encoder, from its categories and their counts: pure NumPy.

scikit-learn's rules, reproduced from the merged counts of the one pass: infrequent categories
(``min_frequency``, ``max_categories``), the dropped category of each feature (``drop``), the
output columns, and the per-feature tables that the block kernels of :mod:`._cat_kernels`
apply (position in ``categories_`` -> output column or code; the last entry is for unknown
values).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np

from ._cat_kernels import INFREQUENT, OneHotInverse, OrdinalInverse, is_nan


def missing_index(categories: np.ndarray) -> int | None:
    """Position of NaN in ``categories`` (always last), or None."""
    return len(categories) - 1 if len(categories) and is_nan(categories[-1]) else None


def identify_infrequent(
    counts: np.ndarray, n_samples: int, min_frequency: Any, max_categories: int | None
) -> np.ndarray | None:
    """Indices of the infrequent categories of a feature (scikit-learn's rule), or None."""
    if isinstance(min_frequency, numbers.Integral):
        infrequent = counts < min_frequency
    elif isinstance(min_frequency, numbers.Real):
        infrequent = counts < n_samples * min_frequency
    else:
        infrequent = np.zeros(counts.shape[0], dtype=bool)
    n_current = counts.size - infrequent.sum() + 1
    if max_categories is not None and max_categories < n_current:
        frequent = max_categories - 1  # max_categories counts the infrequent category
        if frequent == 0:
            infrequent[:] = True
        else:  # stable: among equal counts, the first categories stay frequent
            infrequent[np.argsort(counts, kind="mergesort")[:-frequent]] = True
    out = np.flatnonzero(infrequent)
    return out if out.size else None


def infrequent_mappings(
    categories: Sequence[np.ndarray],
    counts: Sequence[np.ndarray],
    n_samples: int,
    min_frequency: Any,
    max_categories: int | None,
    ignore_missing: bool,
) -> tuple[list[np.ndarray | None], list[np.ndarray | None]]:
    """Infrequent indices and scikit-learn's position -> grouped-position mappings per feature.

    ``ignore_missing`` (OrdinalEncoder): a NaN category is never infrequent and keeps its own
    code; the mapping then covers the other categories only.
    """
    indices, mappings = [], []
    for cats, count in zip(categories, counts, strict=True):
        miss = missing_index(cats) if ignore_missing else None
        if miss is not None:
            count = np.delete(count, miss)
        infrequent = identify_infrequent(count, n_samples, min_frequency, max_categories)
        indices.append(infrequent)
        if infrequent is None:
            mappings.append(None)
            continue
        n_cats = len(count)
        mapping = np.empty(n_cats, dtype=np.int64)
        n_frequent = n_cats - infrequent.size
        mapping[infrequent] = n_frequent
        mapping[np.setdiff1d(np.arange(n_cats), infrequent)] = np.arange(n_frequent)
        mappings.append(mapping)
    return indices, mappings


def _grouped(mapping: np.ndarray | None, index: int) -> int:
    return int(index if mapping is None else mapping[index])


def drop_indices(
    drop: Any,
    categories: Sequence[np.ndarray],
    infrequent: Sequence[np.ndarray | None],
    mappings: Sequence[np.ndarray | None],
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """scikit-learn's ``drop_idx_`` and the dropped position after grouping, per feature."""
    if drop is None:
        return None, None
    n = len(categories)
    if isinstance(drop, str):
        if drop == "first":
            after = np.zeros(n, dtype=object)
        else:  # "if_binary"
            widths = [
                len(c) - (0 if inf is None else inf.size - 1)
                for c, inf in zip(categories, infrequent, strict=True)
            ]
            after = np.array([0 if w == 2 else None for w in widths], dtype=object)
    else:
        values = np.asarray(drop, dtype=object)
        if len(values) != n:
            raise ValueError(
                f"`drop` should have length equal to the number of features ({n}), "
                f"got {len(values)}"
            )
        found, missing = [], []
        for i, (value, cats) in enumerate(zip(values, categories, strict=True)):
            if is_nan(value):
                hits = [len(cats) - 1] if len(cats) and is_nan(cats[-1]) else []
            else:
                hits = list(np.flatnonzero(cats == value))
            if not hits:
                missing.append((i, value))
                continue
            if infrequent[i] is not None and hits[0] in infrequent[i]:
                raise ValueError(
                    f"Unable to drop category {cats[hits[0]]!r} from feature {i} because it "
                    "is infrequent"
                )
            found.append(_grouped(mappings[i], hits[0]))
        if missing:
            listed = "\n".join(f"Category: {c}, Feature: {i}" for i, c in missing)
            raise ValueError(
                "The following categories were supposed to be dropped, but were not found "
                f"in the training data.\n{listed}"
            )
        after = np.array(found, dtype=object)
    public = []
    for i, index in enumerate(after):
        if index is None or mappings[i] is None:
            public.append(index)
        else:
            public.append(int(np.flatnonzero(mappings[i] == index)[0]))
    return np.asarray(public, dtype=object), after


def transformed_categories(
    categories: np.ndarray, mapping: np.ndarray | None, drop_after: Any, remove_dropped: bool
) -> np.ndarray:
    """The category each output column of a feature stands for (scikit-learn's names)."""
    cats = categories
    if mapping is not None:
        frequent = mapping < mapping.max()
        cats = np.concatenate([cats[frequent], np.array([INFREQUENT], dtype=object)])
    if remove_dropped and drop_after is not None:
        cats = np.delete(cats, drop_after)
    return cats


def one_hot_tables(
    categories: Sequence[np.ndarray],
    infrequent: Sequence[np.ndarray | None],
    mappings: Sequence[np.ndarray | None],
    drop_after: np.ndarray | None,
    handle_unknown: str,
) -> list[np.ndarray]:
    """Per feature: position in ``categories_`` (last entry: unknown) -> output column or -1."""
    tables = []
    for i, cats in enumerate(categories):
        mapping = mappings[i]
        grouped = np.arange(len(cats)) if mapping is None else mapping.copy()
        drop = None if drop_after is None else drop_after[i]
        column = grouped.copy()
        if drop is not None:
            column = np.where(grouped == drop, -1, grouped - (grouped > drop))
        unknown = -1
        if handle_unknown in ("infrequent_if_exist", "warn") and infrequent[i] is not None:
            unknown = column[infrequent[i][0]]
        tables.append(np.append(column, unknown).astype(np.intp))
    return tables


def one_hot_widths(
    categories: Sequence[np.ndarray],
    infrequent: Sequence[np.ndarray | None],
    drop_after: np.ndarray | None,
) -> list[int]:
    """Output columns of each feature (scikit-learn's ``_n_features_outs``)."""
    widths = [len(c) for c in categories]
    for i in range(len(widths)):
        if drop_after is not None and drop_after[i] is not None:
            widths[i] -= 1
        if infrequent[i] is not None:
            widths[i] -= infrequent[i].size - 1
    return widths


def ordinal_tables(
    categories: Sequence[np.ndarray],
    mappings: Sequence[np.ndarray | None],
    dtype: Any,
    encoded_missing_value: Any,
    unknown_value: Any,
) -> list[np.ndarray]:
    """Per feature: position in ``categories_`` (last entry: unknown) -> code, in ``dtype``."""
    tables = []
    for cats, mapping in zip(categories, mappings, strict=True):
        miss = missing_index(cats)
        n = len(cats) - (miss is not None)
        codes = np.arange(n) if mapping is None else mapping
        table = np.empty(len(cats) + 1, dtype=dtype)
        table[:n] = codes
        if miss is not None:
            table[miss] = encoded_missing_value
        table[-1] = 0 if unknown_value is None else unknown_value
        tables.append(table)
    return tables


def one_hot_inverse_spec(
    categories: Sequence[np.ndarray],
    infrequent: Sequence[np.ndarray | None],
    mappings: Sequence[np.ndarray | None],
    drop_after: np.ndarray | None,
    handle_unknown: str,
) -> OneHotInverse:
    """What the inverse kernel needs; the result dtype is fixed here (object when a row may
    invert to None)."""
    outputs, fill, kinds, full = [], [], [], []
    for i, cats in enumerate(categories):
        drop = None if drop_after is None else drop_after[i]
        every = transformed_categories(cats, mappings[i], drop, remove_dropped=False)
        full.append(every)
        outputs.append(transformed_categories(cats, mappings[i], drop, remove_dropped=True))
        ignoring = handle_unknown == "ignore" or (
            handle_unknown in ("infrequent_if_exist", "warn") and infrequent[i] is None
        )
        if len(outputs[-1]) == 0:
            fill.append(cats[drop])
            kinds.append("dropped")
        elif ignoring and drop is None:
            fill.append(None)
            kinds.append("unknown")
        elif drop is not None:
            fill.append(cats[drop] if ignoring else every[drop])
            kinds.append("dropped")
        else:
            fill.append(None)
            kinds.append("error")
    base = np.result_type(*[c.dtype for c in full])
    dtype = np.dtype(object) if "unknown" in kinds else base
    return OneHotInverse(outputs, fill, kinds, dtype, base)


def ordinal_inverse_spec(
    categories: Sequence[np.ndarray],
    infrequent: Sequence[np.ndarray | None],
    encoded_missing_value: Any,
    unknown_value: Any,
) -> OrdinalInverse:
    """What the inverse kernel needs of an OrdinalEncoder; object dtype when a code may invert
    to None or ``"infrequent_sklearn"``."""
    cats_out, missing, infrequent_code = [], [], []
    for cats, inf in zip(categories, infrequent, strict=True):
        miss = missing_index(cats)
        plain = cats if miss is None else cats[:miss]
        missing.append(None if miss is None else (encoded_missing_value, cats[miss]))
        if inf is None:
            infrequent_code.append(None)
            cats_out.append(plain)
        else:
            keep = np.ones(len(plain), dtype=bool)
            keep[inf] = False
            infrequent_code.append(int(keep.sum()))
            cats_out.append(plain[keep])
    dtype = np.result_type(*[c.dtype for c in categories])
    if unknown_value is not None or any(c is not None for c in infrequent_code):
        dtype = np.dtype(object)
    return OrdinalInverse(cats_out, missing, infrequent_code, unknown_value, dtype)


def check_unknown_value(handle_unknown: str, unknown_value: Any, dtype: Any) -> None:
    """scikit-learn's checks of OrdinalEncoder's ``unknown_value`` (before any pass)."""
    if handle_unknown == "use_encoded_value":
        if is_nan(unknown_value):
            if np.dtype(dtype).kind != "f":
                raise ValueError(
                    "When unknown_value is np.nan, the dtype parameter should be a float "
                    f"dtype. Got {dtype}."
                )
        elif not isinstance(unknown_value, Integral):
            raise TypeError(
                "unknown_value should be an integer or np.nan when handle_unknown is "
                f"'use_encoded_value', got {unknown_value}."
            )
    elif unknown_value is not None:
        raise TypeError(
            "unknown_value should only be set when handle_unknown is 'use_encoded_value', "
            f"got {unknown_value}."
        )


def check_ordinal_codes(
    categories: Sequence[np.ndarray],
    infrequent: Sequence[np.ndarray | None],
    missing: dict[int, int],
    handle_unknown: str,
    unknown_value: Any,
    encoded_missing_value: Any,
    dtype: Any,
    names: np.ndarray | None,
) -> None:
    """scikit-learn's checks of ``unknown_value`` and ``encoded_missing_value`` against the
    codes of the known categories (after fit)."""
    sizes = [len(c) for c in categories]
    for i, indices in enumerate(infrequent):
        if indices is not None:
            sizes[i] -= len(indices)
    for i in missing:
        sizes[i] -= 1
    if handle_unknown == "use_encoded_value" and any(0 <= unknown_value < s for s in sizes):
        raise ValueError(
            f"The used value for unknown_value {unknown_value} is one of the values already "
            "used for encoding the seen categories."
        )
    if not missing:
        return
    if np.dtype(dtype).kind != "f" and is_nan(encoded_missing_value):
        raise ValueError(
            f"There are missing values in features {list(missing)}. For OrdinalEncoder to "
            f"encode missing values with dtype: {dtype}, set encoded_missing_value to a "
            "non-nan value, or set dtype to a float"
        )
    if not is_nan(encoded_missing_value):
        invalid = [i for i in missing if 0 <= encoded_missing_value < sizes[i]]
        if invalid:
            shown = names[invalid] if names is not None else invalid
            raise ValueError(
                f"encoded_missing_value ({encoded_missing_value}) is already used to encode a "
                f"known category in features: {shown}"
            )
