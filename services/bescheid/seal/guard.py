"""Checks a PDF upload must pass before any PDF parser sees it: size, the ``%PDF-`` header, an ``%%EOF`` marker,
and the inflated size of its Flate streams (a PDF bomb is a small file whose streams inflate to gigabytes).
Streams are inflated incrementally with an output cap, so checking a bomb costs no more than the cap."""

import re
import zlib

_STREAM = re.compile(rb"stream\r?\n")
_ENDSTREAM = b"endstream"
_CHUNK = 1024 * 1024
MAX_OBJECTS = 200_000


class Rejected(ValueError):
    def __init__(self, status: int, type_: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.type = type_


def check(data: bytes, *, max_bytes: int, max_inflated: int) -> None:
    if len(data) > max_bytes:
        raise Rejected(413, "pdf-too-large", f"The PDF has {len(data)} bytes; at most {max_bytes} are accepted.")
    if b"%PDF-" not in data[:1024]:
        raise Rejected(415, "not-a-pdf", "The upload is not a PDF (no %PDF- header).")
    if b"%%EOF" not in data[-2048:]:
        raise Rejected(422, "pdf-unreadable", "The PDF is truncated (no %%EOF marker at its end).")
    if data.count(b" obj") > MAX_OBJECTS:
        raise Rejected(422, "pdf-too-complex", f"The PDF has more than {MAX_OBJECTS} objects.")
    inflated = 0
    for match in _STREAM.finditer(data):
        start = match.end()
        end = data.find(_ENDSTREAM, start)
        if end < 0:
            break
        inflated += _inflated_size(data[start:end], max_inflated - inflated)
        if inflated > max_inflated:
            raise Rejected(422, "pdf-bomb", f"The PDF's streams inflate to more than {max_inflated} bytes; it is "
                           "refused as a decompression bomb.")


def _inflated_size(raw: bytes, budget: int) -> int:
    """Bytes ``raw`` inflates to (0 when it is not zlib data), counting no further than ``budget`` + 1."""
    if not raw[:1] or raw[0] & 0x0F != 8:  # not a zlib header: not Flate, nothing to inflate
        return 0
    inflater = zlib.decompressobj()
    total = 0
    pending = raw
    try:
        while pending and total <= budget:
            total += len(inflater.decompress(pending, _CHUNK))
            pending = inflater.unconsumed_tail
    except zlib.error:
        return total
    return total
