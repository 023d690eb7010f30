"""Vectorisable ``exp`` and ``log`` for the compiled sweeps, and a cache-line prefetch.

``exp`` and ``log`` are written as polynomials over bit-level range reduction, so that LLVM
vectorises the per-row loops that call them (the libm calls it would otherwise make are scalar:
measured 7.5 ns a row for ``exp`` and 16 ns for ``log1p`` against ~0.2 ns a row for these, eight
rows to an AVX-512 register). ``log`` is within 2 ulp; ``exp`` within about ``4 + |x|/3`` ulp
(1.6e-15 relative for |x| <= 40, 2.4e-14 at 700): fastmath's reassociation lets LLVM merge the
two parts of ln 2 in the argument reduction.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .._compiled import FASTMATH
from .._compiled import compiled as _compiled

__all__ = ["exp", "log", "prefetch", "vexp", "vlog"]

_jit = _compiled(fastmath=FASTMATH, error_model="numpy")
_inline = _compiled(fastmath=FASTMATH, error_model="numpy", inline="always")


@intrinsic
def _float_from_bits(typingctx, bits):  # pragma: no cover - compile time
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _bits_of_float(typingctx, x):  # pragma: no cover - compile time
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def prefetch(typingctx, flat, index):  # pragma: no cover - compile time
    """Ask for the cache line holding ``flat[index]`` (a hint: no fault, no result)."""

    def codegen(context, builder, signature, args):
        array = context.make_array(signature.args[0])(context, builder, args[0])
        pointer = builder.gep(array.data, [args[1]])
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [pointer.type, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        # read, keep in all cache levels, data cache
        builder.call(fn, [pointer, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.void(flat, types.intp), codegen


_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 split in two (fdlibm): k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_EXP_MAX = 709.0  # above: +inf (e^709.78 overflows float64)
_EXP_MIN = -708.0  # below: 0 (e^-708.4 is subnormal)
_SQRT2 = 1.4142135623730951
_MANTISSA = 0x000FFFFFFFFFFFFF
_ONE_BITS = 0x3FF0000000000000


@_inline
def exp(x):  # pragma: no cover - compiled
    """e^x: x = k ln2 + r, |r| <= ln2/2, e^r by its Taylor polynomial of degree 13 (relative
    truncation error < 1e-17), 2^k by writing k into the exponent bits. NaN stays NaN."""
    xc = x
    if xc > _EXP_MAX:
        xc = _EXP_MAX
    if xc < _EXP_MIN:
        xc = _EXP_MIN
    xs = xc if xc == xc else 0.0  # NaN-free for the integer part
    k = np.floor(xs * _LOG2E + 0.5)
    r = (xc - k * _LN2_HI) - k * _LN2_LO
    q = 1.6059043836821613e-10
    q = q * r + 2.08767569878681e-09
    q = q * r + 2.505210838544172e-08
    q = q * r + 2.755731922398589e-07
    q = q * r + 2.7557319223985893e-06
    q = q * r + 2.48015873015873e-05
    q = q * r + 0.0001984126984126984
    q = q * r + 0.001388888888888889
    q = q * r + 0.008333333333333333
    q = q * r + 0.041666666666666664
    q = q * r + 0.16666666666666666
    q = q * r + 0.5
    q = q * r + 1.0
    q = q * r + 1.0
    out = q * _float_from_bits((np.int64(k) + 1023) << 52)
    if x > _EXP_MAX:
        out = np.inf
    if x < _EXP_MIN:
        out = 0.0
    return out


@_inline
def log(x):  # pragma: no cover - compiled
    """log x for finite x >= 1e-300: x = 2^k m, m in [sqrt(1/2), sqrt(2)), log m = 2 atanh(s)
    with s = (m - 1)/(m + 1), |s| < 0.172, by 11 terms of its series (error < 1e-17)."""
    bits = _bits_of_float(x)
    k = (bits >> 52) - 1023
    m = _float_from_bits((bits & _MANTISSA) | _ONE_BITS)
    if m > _SQRT2:
        m = 0.5 * m
        k = k + 1
    s = (m - 1.0) / (m + 1.0)
    z = s * s
    q = 1.0 / 21.0
    q = q * z + 1.0 / 19.0
    q = q * z + 1.0 / 17.0
    q = q * z + 1.0 / 15.0
    q = q * z + 1.0 / 13.0
    q = q * z + 1.0 / 11.0
    q = q * z + 1.0 / 9.0
    q = q * z + 1.0 / 7.0
    q = q * z + 1.0 / 5.0
    q = q * z + 1.0 / 3.0
    q = q * z + 1.0
    kf = np.float64(k)
    return kf * _LN2_HI + (2.0 * s * q + kf * _LN2_LO)


@_jit
def vexp(x, out):  # pragma: no cover - compiled
    """``out[i] = e^x[i]`` (:func:`exp` over an array, for tests)."""
    for i in range(x.shape[0]):
        out[i] = exp(x[i])


@_jit
def vlog(x, out):  # pragma: no cover - compiled
    """``out[i] = log x[i]`` (:func:`log` over an array, for tests)."""
    for i in range(x.shape[0]):
        out[i] = log(x[i])
