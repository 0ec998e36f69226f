"""The virus-scan hook every incoming file passes: the invoice itself and each attachment, decoded. The emulator's
scanner recognises the EICAR anti-virus test file, the standard way to test that a scan hook is wired in."""

from collections.abc import Iterable
from dataclasses import dataclass

# The 68-byte EICAR test string (eicar.org); split so that this source file is not itself flagged by scanners.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
EICAR_SIGNATURE = "EICAR-Test-File"


@dataclass(frozen=True)
class Finding:
    part: str  # which file: "Rechnung" or an attachment's name
    signature: str


def scan(parts: Iterable[tuple[str, bytes]]) -> Finding | None:
    """The first infected part, or None. Looks anywhere in each part, as a scanner unpacking archives would."""
    for name, content in parts:
        if EICAR in content:
            return Finding(name, EICAR_SIGNATURE)
    return None
