#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into Fuzz/Corpus/<Target>/ (standard library only).

Each target gets a few small valid inputs and a few near-valid ones (one field wrong, cut short, ...), so that
libFuzzer starts from the interesting paths. Run it again after changing it: `python3 Fuzz/Corpus/make_seeds.py`.
"""
import gzip
import json
import os
import shutil
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    directory = os.path.join(HERE, target)
    os.makedirs(directory, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


# --- safetensors -------------------------------------------------------------------------------------------

def safetensors(header, data=b"", pad=True):
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def safetensors_seeds():
    weight = struct.pack("<4f", 1.0, -2.0, 0.5, 3.25)
    steps = struct.pack("<2q", 0, 999)
    write("FuzzSafeTensors", "valid-two-tensors", safetensors({
        "__metadata__": {"format": "pt"},
        "bias": {"dtype": "I64", "shape": [2], "data_offsets": [16, 32]},
        "weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
    }, weight + steps))
    write("FuzzSafeTensors", "valid-empty", safetensors({}))
    write("FuzzSafeTensors", "valid-scalar", safetensors(
        {"s": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}}, struct.pack("<f", 42.0)))
    write("FuzzSafeTensors", "valid-other-dtypes", safetensors({
        "h": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]},
        "i": {"dtype": "I32", "shape": [1], "data_offsets": [4, 8]},
        "b": {"dtype": "BOOL", "shape": [2], "data_offsets": [8, 10]},
        "e": {"dtype": "U8", "shape": [0, 3], "data_offsets": [10, 10]},
    }, b"\x80\x3f\x00\x40" + struct.pack("<i", -7) + b"\x01\x00"))
    write("FuzzSafeTensors", "bad-size-mismatch", safetensors(
        {"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 12]}}, weight))
    write("FuzzSafeTensors", "bad-overlap", safetensors({
        "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]},
    }, weight))
    write("FuzzSafeTensors", "bad-dtype", safetensors(
        {"w": {"dtype": "F8_E4M3", "shape": [4], "data_offsets": [0, 4]}}, b"\x00" * 4))
    write("FuzzSafeTensors", "bad-header-length", struct.pack("<Q", 1 << 40) + b"{}")
    write("FuzzSafeTensors", "bad-truncated", safetensors(
        {"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}, weight)[:-5])


# --- IDX, and gzip of it -----------------------------------------------------------------------------------

def idx(dimensions, data):
    return bytes([0, 0, 8, len(dimensions)]) + b"".join(struct.pack(">I", d) for d in dimensions) + bytes(data)


def gz(data, **kwargs):
    return gzip.compress(data, mtime=0, **kwargs)


def idx_and_gzip_seeds():
    images = idx([2, 3, 3], range(18))
    labels = idx([5], [7, 2, 1, 0, 4])
    write("FuzzIDX", "valid-images", images)
    write("FuzzIDX", "valid-labels", labels)
    write("FuzzIDX", "valid-empty", idx([0, 28, 28], []))
    write("FuzzIDX", "bad-truncated", images[:-3])
    write("FuzzIDX", "bad-type", bytes([0, 0, 0x0D, 1, 0, 0, 0, 1, 0]))
    write("FuzzIDX", "bad-rank", bytes([0, 0, 8, 9]) + b"\x00\x00\x00\x01" * 9 + b"\x00")
    write("FuzzIDX", "bad-huge-dimensions", idx([0xFFFFFFFF, 0xFFFFFFFF], [1, 2, 3]))

    write("FuzzGzip", "valid-idx", gz(images))
    write("FuzzGzip", "valid-two-members", gz(images) + gz(labels))
    write("FuzzGzip", "valid-empty", gz(b""))
    write("FuzzGzip", "valid-stored", gz(labels, compresslevel=0))
    # FEXTRA | FNAME | FCOMMENT | FHCRC header fields, built by hand around a raw deflate stream.
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = raw.compress(images) + raw.flush()
    header = b"\x1f\x8b\x08" + bytes([0x04 | 0x08 | 0x10 | 0x02]) + b"\x00" * 4 + b"\x02\x03"
    header += struct.pack("<H", 4) + b"ab\x00\x00" + b"name\x00" + b"comment\x00"
    header += struct.pack("<H", zlib.crc32(header) & 0xFFFF)
    trailer = struct.pack("<II", zlib.crc32(images), len(images))
    write("FuzzGzip", "valid-header-fields", header + body + trailer)
    run = gz(b"\x00" * 50_000)
    write("FuzzGzip", "valid-zeros-50k", run)
    write("FuzzGzip", "bad-truncated", gz(images)[:-6])
    broken = bytearray(gz(images))
    broken[-8] ^= 0xFF  # CRC-32
    write("FuzzGzip", "bad-crc", bytes(broken))
    write("FuzzGzip", "bad-trailing-garbage", gz(labels) + b"\x00\x01")


# --- PNG ---------------------------------------------------------------------------------------------------

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width, height, rows, bit_depth=8, color_type=0, extra=b"", interlace=0):
    """`rows`: the filtered scanlines (filter byte + row bytes) of all passes, concatenated."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def scanlines(pixel_rows, filter_type=0):
    return b"".join(bytes([filter_type]) + bytes(row) for row in pixel_rows)


def adam7(pixel_rows, bytes_per_pixel):
    """Scanlines of an Adam7-interlaced 8-bit image."""
    height, width = len(pixel_rows), len(pixel_rows[0]) // bytes_per_pixel
    out = b""
    for x0, y0, dx, dy in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]:
        for y in range(y0, height, dy):
            row = b"".join(bytes(pixel_rows[y][x * bytes_per_pixel:(x + 1) * bytes_per_pixel]) for x in range(x0, width, dx))
            if row:
                out += b"\x00" + row
    return out


def png_seeds():
    gray = [[(x * 40 + y * 70) % 256 for x in range(4)] for y in range(3)]
    write("FuzzPNG", "valid-gray-4x3", png(4, 3, scanlines(gray)))
    write("FuzzPNG", "valid-gray-sub-filter", png(4, 3, scanlines(gray, filter_type=1)))
    rgb = [[10, 20, 30, 200, 100, 0], [0, 255, 0, 1, 2, 3]]
    write("FuzzPNG", "valid-rgb-2x2", png(2, 2, scanlines(rgb), color_type=2))
    rgba = [[255, 0, 0, 128, 0, 0, 255, 255]]
    write("FuzzPNG", "valid-rgba-2x1", png(2, 1, scanlines(rgba), color_type=6))
    palette = chunk(b"PLTE", bytes([0, 0, 0, 255, 255, 255, 255, 0, 0])) + chunk(b"tRNS", bytes([0, 255]))
    write("FuzzPNG", "valid-palette-3x2", png(3, 2, scanlines([[0, 1, 2], [2, 1, 0]]), color_type=3, extra=palette))
    write("FuzzPNG", "valid-gray-1bit-9x2", png(9, 2, scanlines([[0b10101010, 0b10000000], [0xFF, 0x00]]), bit_depth=1))
    write("FuzzPNG", "valid-gray-16bit-2x1", png(2, 1, scanlines([[0x12, 0x34, 0xFF, 0xFF]]), bit_depth=16))
    write("FuzzPNG", "valid-gray-alpha-1x1", png(1, 1, scanlines([[200, 100]]), color_type=4,
                                                 extra=chunk(b"gAMA", struct.pack(">I", 45455))))
    big = [[(x ^ y) & 0xFF for x in range(9)] for y in range(9)]
    write("FuzzPNG", "valid-interlaced-9x9", png(9, 9, adam7(big, 1), interlace=1))
    valid = png(4, 3, scanlines(gray))
    write("FuzzPNG", "bad-truncated", valid[:-12])
    broken = bytearray(valid)
    broken[29] ^= 0xFF  # inside the IHDR CRC
    write("FuzzPNG", "bad-crc", bytes(broken))
    write("FuzzPNG", "bad-short-idat", png(4, 3, scanlines(gray)[:-4]))


# --- DigitRequest ------------------------------------------------------------------------------------------

def digit_request_seeds():
    queries = {
        "generate-default": "digit=7&count=4&steps=10&guidance=0.35",
        "generate-ddim": "digit=3&sampler=ddim&steps=25&guidance=1.5&seed=42&scale=4",
        "generate-ddpm": "digit=0&sampler=ddpm&trajectory=true&seed=1",
        "generate-animate": "digit=5&animate=yes&scale=16&steps=200",
        "generate-fashion": "digit=7&model=fashion&steps=12",
        "number": "digits=2026&sampler=dpm-solver&steps=8&scale=2&animate=1",
        "number-uri": "/api/number?digits=0123456789&seed=18446744073709551615#frag",
        "percent-encoded": "digit=%37&steps=%31%30&guidance=%2B0.5",
        "bad-values": "digit=9&guidance=1e3&steps=2.5&scale=0&seed=-1",
        "bad-digits": "digits=12a4&sampler=euler",
        "repeated": "digit=1&digit=2&&=&steps=&scale",
    }
    for name, query in queries.items():
        write("FuzzDigitRequest", name, query)


if __name__ == "__main__":
    for target in ["FuzzSafeTensors", "FuzzIDX", "FuzzGzip", "FuzzPNG", "FuzzDigitRequest"]:
        shutil.rmtree(os.path.join(HERE, target), ignore_errors=True)
    safetensors_seeds()
    idx_and_gzip_seeds()
    png_seeds()
    digit_request_seeds()
