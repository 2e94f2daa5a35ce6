"""The SM2 recommended curve (GB/T 32918.5-2017 / GM/T 0003.5-2012 §4) and the little pure-Python
point arithmetic the package needs outside the backends: deriving a public key from a private key
when only ``d`` is given, checking that points are on the curve, and decompressing 02/03 points.

Backends do the heavy scalar multiplications; this module is only used once per key, so plain
Jacobian double-and-add is fast enough and keeps billing_core free of a hard C dependency.
"""

from __future__ import annotations

P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0

Point = tuple[int, int]
_Jacobian = tuple[int, int, int]


def is_on_curve(x: int, y: int) -> bool:
    """True when (x, y) is a finite point of the curve with coordinates in [0, p)."""
    return 0 <= x < P and 0 <= y < P and (y * y - (x * x * x + A * x + B)) % P == 0


def decompress(prefix: int, x: int) -> Point | None:
    """Recover y from x and the 02/03 parity prefix; None when x is not on the curve."""
    if prefix not in (2, 3) or not 0 <= x < P:
        return None
    y = pow((x * x * x + A * x + B) % P, (P + 1) // 4, P)  # p = 3 (mod 4)
    if (y * y - (x * x * x + A * x + B)) % P:
        return None
    if (y & 1) != (prefix & 1):
        y = P - y
    return x, y


def _double(pt: _Jacobian) -> _Jacobian:
    x, y, z = pt
    if y == 0 or z == 0:
        return 0, 1, 0
    yy = y * y % P
    s = 4 * x * yy % P
    zz = z * z % P
    m = (3 * x * x + A * zz * zz) % P
    x3 = (m * m - 2 * s) % P
    y3 = (m * (s - x3) - 8 * yy * yy) % P
    z3 = 2 * y * z % P
    return x3, y3, z3


def _add(p1: _Jacobian, p2: _Jacobian) -> _Jacobian:
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    if z1 == 0:
        return p2
    if z2 == 0:
        return p1
    z1z1 = z1 * z1 % P
    z2z2 = z2 * z2 % P
    u1 = x1 * z2z2 % P
    u2 = x2 * z1z1 % P
    s1 = y1 * z2 * z2z2 % P
    s2 = y2 * z1 * z1z1 % P
    if u1 == u2:
        return _double(p1) if s1 == s2 else (0, 1, 0)
    h = (u2 - u1) % P
    r = (s2 - s1) % P
    hh = h * h % P
    hhh = h * hh % P
    v = u1 * hh % P
    x3 = (r * r - hhh - 2 * v) % P
    y3 = (r * (v - x3) - s1 * hhh) % P
    z3 = h * z1 * z2 % P
    return x3, y3, z3


def multiply(k: int, point: Point = (GX, GY)) -> Point | None:
    """k * point in affine coordinates; None for the point at infinity."""
    result: _Jacobian = (0, 1, 0)
    addend: _Jacobian = (point[0], point[1], 1)
    k %= N
    while k:
        if k & 1:
            result = _add(result, addend)
        addend = _double(addend)
        k >>= 1
    x, y, z = result
    if z == 0:
        return None
    zinv = pow(z, -1, P)
    zinv2 = zinv * zinv % P
    return x * zinv2 % P, y * zinv2 * zinv % P
