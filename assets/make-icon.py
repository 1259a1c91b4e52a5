#!/usr/bin/env python3
"""Draws Weir's icon, assets/weir.png (256 x 256, RGBA), with the standard
library only: messages flowing over a weir. Run from anywhere:
python3 assets/make-icon.py"""

import math
import os
import struct
import zlib

SIZE = 256
SAMPLES = 4  # per axis, for anti-aliasing

TOP = (0x35, 0x7A, 0xD6)
BOTTOM = (0x1F, 0x4C, 0x96)
WATER = (0xBF, 0xE3, 0xFF)
WALL = (0xFF, 0xFF, 0xFF)
DOT = (0xE6, 0x9F, 0x00)  # Okabe-Ito orange, as on the canvas


def rounded_square(x, y, r=0.2):
    """Inside the rounded square that fills the icon (with a small margin)."""
    lo, hi = 0.04, 0.96
    if not (lo <= x <= hi and lo <= y <= hi):
        return False
    cx = min(max(x, lo + r), hi - r)
    cy = min(max(y, lo + r), hi - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def flow_y(x):
    """The crest of the water falling over the wall, x from 0.54 to 0.84."""
    t = (x - 0.54) / 0.30
    return 0.40 + 0.34 * (1 - math.cos(min(max(t, 0.0), 1.0) * math.pi / 2))


def colour(x, y):
    if not rounded_square(x, y):
        return None
    # Upstream water, level with the top of the wall.
    if 0.14 <= x <= 0.54 and 0.40 <= y <= 0.50:
        return WATER
    # The wall.
    if 0.46 <= x <= 0.56 and 0.40 <= y <= 0.82:
        return WALL
    # The fall and the pool below it.
    if 0.56 <= x <= 0.86 and flow_y(min(x, 0.84)) <= y <= 0.82:
        return WATER
    # Messages on their way: dots on the upstream line and the fall.
    for dx, dy in ((0.22, 0.32), (0.36, 0.32), (0.68, 0.40)):
        if (x - dx) ** 2 + (y - dy) ** 2 <= 0.05**2:
            return DOT
    t = y
    return tuple(round(a + (b - a) * t) for a, b in zip(TOP, BOTTOM))


def pixel(px, py):
    acc = [0, 0, 0, 0]
    for sy in range(SAMPLES):
        for sx in range(SAMPLES):
            x = (px + (sx + 0.5) / SAMPLES) / SIZE
            y = (py + (sy + 0.5) / SAMPLES) / SIZE
            c = colour(x, y)
            if c is not None:
                acc[0] += c[0]
                acc[1] += c[1]
                acc[2] += c[2]
                acc[3] += 255
    n = SAMPLES * SAMPLES
    alpha = acc[3] / n
    if alpha == 0:
        return (0, 0, 0, 0)
    # Colours averaged over the covered samples only (straight alpha).
    covered = acc[3] / 255
    return tuple(round(v / covered) for v in acc[:3]) + (round(alpha),)


def png(width, height, rows):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + bytes(v for p in row for v in p) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


rows = [[pixel(px, py) for px in range(SIZE)] for py in range(SIZE)]
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weir.png")
with open(out, "wb") as f:
    f.write(png(SIZE, SIZE, rows))
