"""A tampered copy of a signed PDF for error-handling tests: one character inside the first signed byte range
changes (a digit of the XMP creation date, so the file still opens), the signature stays as it was."""

import re

_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")
_DATE_DIGIT = re.compile(rb'CreateDate="\d\d\d(\d)')


def tamper(pdf: bytes) -> bytes:
    byte_range = _BYTE_RANGE.search(pdf)
    if byte_range is None:
        raise ValueError("not a signed PDF")
    signed_end = int(byte_range.group(2))
    data = bytearray(pdf)
    digit = _DATE_DIGIT.search(pdf)
    if digit is not None and digit.end() < signed_end:
        position = digit.start(1)
        data[position] = ord("0") + (data[position] - ord("0") + 1) % 10  # another year, same length
    else:
        data[signed_end // 2] ^= 0x01
    return bytes(data)
