"""Compiled weighted Gram matrices of row tiles: ``H += Σ_t c_t z_t z_tᵀ`` inside a sweep.

A kernel that walks a block in tiles of rows adds each tile's Gram while the tile is in L1,
instead of copying the rows aside for a BLAS call: BLAS runs a tall 20-column ``ZᵀZ`` far below
its GEMM rate, and SciPy's ``dsyrk`` keeps the GIL, so two dask threads' Grams ran one after
the other. The tile is transposed once (features x rows), and each 4 x 4 block of the upper
triangle is 16 dot products over the tile's rows that LLVM keeps in vector registers.

Used by the GLM sweeps (:mod:`dasklearn.linear_model._sweeps`: the Hessians of the diagonal
families) and by PCA's centred Gram (:func:`scatter_by_tiles`).
"""

from __future__ import annotations

import numpy as np

from ._compiled import FASTMATH, compiled

__all__ = [
    "TILE",
    "add_tile_gram",
    "hold_row",
    "scale_tile",
    "scatter_by_tiles",
    "transpose_tile",
    "zero_columns",
]

#: Rows per tile (a compile-time trip count lets LLVM unroll the vectorised loops).
TILE = 64

_jit = compiled(fastmath=FASTMATH, error_model="numpy")
_inline = compiled(fastmath=FASTMATH, error_model="numpy", inline="always")


@_jit
def transpose_tile(Xt, nt, width, XT):  # pragma: no cover - compiled
    """``XT[f, t] = Xt[t, f]`` for the tile's ``nt`` rows and its first ``width`` columns;
    the columns of XT from ``nt`` on are zeroed (a short last tile adds nothing)."""
    for t in range(nt):
        for f in range(width):
            XT[f, t] = Xt[t, f]
    zero_columns(XT, width, nt)


@_inline
def hold_row(Xt, r, width, values, R, kept, held):  # pragma: no cover - compiled
    """Row ``held`` of a tile being filled row by row (sampled rows, transposed once it is
    full): row ``r`` of the tile ``Xt`` (its first ``width`` values) into ``R``, column ``r``
    of ``values`` into ``kept``. Rows, not columns of the transposed tile: sampled rows are
    sparse, and a column write touches ``width`` cache lines that the sweep's work between
    two samples may have evicted (``benchmarks/results/pass_floor.md``)."""
    for f in range(width):
        R[held, f] = Xt[r, f]
    for k in range(values.shape[0]):
        kept[k, held] = values[k, r]


@_jit
def zero_columns(XT, width, start):  # pragma: no cover - compiled
    """Zero the columns of ``XT`` from ``start`` on (its first ``width`` rows): a short tile's
    missing rows add nothing to its Gram."""
    for f in range(width):
        for t in range(start, TILE):
            XT[f, t] = 0.0


@_jit
def scale_tile(XT, c, width, ST):  # pragma: no cover - compiled
    """``ST[f, t] = c[t] XT[f, t]`` for the first ``width`` rows."""
    for f in range(width):
        for t in range(TILE):
            ST[f, t] = c[t] * XT[f, t]


@_jit
def add_tile_gram(ST, XT, width, H):  # pragma: no cover - compiled
    """``H[a, b] += Σ_t ST[a, t] XT[b, t]`` for ``a <= b < width`` (``ST = XT`` scaled by
    the rows' weights; :data:`TILE` columns each), in whole 4 x 4 blocks below the last
    multiple of 4. H's upper triangle is the one to read."""
    body = width - width % 4
    for a in range(0, body, 4):
        for b in range(a, body, 4):
            g00 = g01 = g02 = g03 = g10 = g11 = g12 = g13 = 0.0
            g20 = g21 = g22 = g23 = g30 = g31 = g32 = g33 = 0.0
            for t in range(TILE):
                s0 = ST[a, t]
                s1 = ST[a + 1, t]
                s2 = ST[a + 2, t]
                s3 = ST[a + 3, t]
                x0 = XT[b, t]
                x1 = XT[b + 1, t]
                x2 = XT[b + 2, t]
                x3 = XT[b + 3, t]
                g00 += s0 * x0
                g01 += s0 * x1
                g02 += s0 * x2
                g03 += s0 * x3
                g10 += s1 * x0
                g11 += s1 * x1
                g12 += s1 * x2
                g13 += s1 * x3
                g20 += s2 * x0
                g21 += s2 * x1
                g22 += s2 * x2
                g23 += s2 * x3
                g30 += s3 * x0
                g31 += s3 * x1
                g32 += s3 * x2
                g33 += s3 * x3
            H[a, b] += g00
            H[a, b + 1] += g01
            H[a, b + 2] += g02
            H[a, b + 3] += g03
            H[a + 1, b] += g10
            H[a + 1, b + 1] += g11
            H[a + 1, b + 2] += g12
            H[a + 1, b + 3] += g13
            H[a + 2, b] += g20
            H[a + 2, b + 1] += g21
            H[a + 2, b + 2] += g22
            H[a + 2, b + 3] += g23
            H[a + 3, b] += g30
            H[a + 3, b + 1] += g31
            H[a + 3, b + 2] += g32
            H[a + 3, b + 3] += g33
    for b in range(body, width):
        for a in range(0, body, 4):
            g0 = g1 = g2 = g3 = 0.0
            for t in range(TILE):
                x = XT[b, t]
                g0 += ST[a, t] * x
                g1 += ST[a + 1, t] * x
                g2 += ST[a + 2, t] * x
                g3 += ST[a + 3, t] * x
            H[a, b] += g0
            H[a + 1, b] += g1
            H[a + 2, b] += g2
            H[a + 3, b] += g3
        for a in range(body, b + 1):
            g = 0.0
            for t in range(TILE):
                g += ST[a, t] * XT[b, t]
            H[a, b] += g


@_jit
def scatter_by_tiles(X, M, means):  # pragma: no cover - compiled
    """``M += Σ_tiles (X_t - μ_t)ᵀ (X_t - μ_t)`` (upper triangle) over the tiles ``X_t`` of
    :data:`TILE` rows of X, each about its own column means ``μ_t``, written to ``means[t]``.

    With the scatter between the tile means added (Chan, Golub and LeVeque's update), this is
    X's scatter matrix with the accuracy of a two-pass algorithm, from one read of X.
    """
    n, d = X.shape
    XT = np.zeros((-(-d // 4) * 4, TILE))
    for i in range(means.shape[0]):
        start = i * TILE
        nt = min(TILE, n - start)
        transpose_tile(X[start : start + nt], nt, d, XT)
        for f in range(d):
            s = 0.0
            for t in range(nt):
                s += XT[f, t]
            mu = s / nt
            means[i, f] = mu
            for t in range(nt):
                XT[f, t] -= mu
        add_tile_gram(XT, XT, d, M)
