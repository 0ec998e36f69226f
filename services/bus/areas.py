"""The Amtlicher Regionalschlüssel (ARS) and the hierarchy a Zuständigkeit is inherited along.

An ARS has 12 digits: Land (2), Regierungsbezirk (1), Kreis (2), Gemeindeverband (4), Gemeinde (3); the AGS is the
same without the Gemeindeverband (8 digits). Each level above is the key with the lower parts zeroed: Gemeinde →
Gemeindeverband → Kreis → Land (``07`` and ten zeros) → Bund (twelve zeros) (reference/bus.md, "Identifiers"). A
kreisfreie Stadt such as Koblenz (071110000000) is a Kreis-level key with zero Gemeindeverband and Gemeinde.
"""

import re
from dataclasses import dataclass
from enum import IntEnum

BUND = "0" * 12
# The 16 Länder, 01 Schleswig-Holstein … 16 Thüringen (the Land part of every ARS).
LAND_CODES = frozenset(f"{n:02d}" for n in range(1, 17))
_DIGITS = re.compile(r"^\d+$")


class Level(IntEnum):
    """From the most local to the widest; a lower value is more local."""

    GEMEINDE = 0
    GEMEINDEVERBAND = 1
    KREIS = 2
    LAND = 3
    BUND = 4


class ArsError(ValueError):
    """Not a usable ARS or AGS; the message says why (in German, as the problem detail)."""


@dataclass(frozen=True, order=True)
class Ars:
    value: str

    @property
    def land(self) -> str:
        return self.value[:2]

    @property
    def ags(self) -> str:
        """The 8-digit Amtlicher Gemeindeschlüssel: the ARS without its Gemeindeverband."""
        return self.value[:5] + self.value[9:]

    @property
    def level(self) -> Level:
        if self.value == BUND:
            return Level.BUND
        if self.value[2:] == "0" * 10:
            return Level.LAND
        if self.value[5:] == "0" * 7:
            return Level.KREIS
        if self.value[9:] == "000":
            return Level.GEMEINDEVERBAND
        return Level.GEMEINDE

    def at(self, level: Level) -> "Ars":
        """This key's area at ``level`` (itself when it is already that wide or wider)."""
        if level <= self.level:
            return self
        keep = {Level.GEMEINDEVERBAND: 9, Level.KREIS: 5, Level.LAND: 2, Level.BUND: 0}[level]
        return Ars(self.value[:keep] + "0" * (12 - keep))

    def lineage(self) -> list["Ars"]:
        """This area and every area above it, most local first, ending with the Bund."""
        found: list[Ars] = []
        for level in Level:
            if level >= self.level:
                area = self.at(level)
                if area not in found:
                    found.append(area)
        return found

    def contains(self, other: "Ars") -> bool:
        """Whether ``other`` lies in this area (or is it)."""
        return self in other.lineage()

    def __str__(self) -> str:
        return self.value


def parse_ars(text: str) -> Ars:
    """An ARS from its 12 digits; anything else is refused with the reason."""
    value = text.strip()
    if len(value) != 12 or not _DIGITS.match(value):
        raise ArsError(f"Ein ARS hat 12 Ziffern: {text!r}.")
    if value != BUND and value[:2] not in LAND_CODES:
        raise ArsError(f"{value}: {value[:2]} ist kein Land (01 bis 16).")
    if value[2:5] == "000" and value[5:] != "0" * 7:
        raise ArsError(f"{value}: ein Gemeindeverband oder eine Gemeinde ohne Kreis gibt es nicht.")
    return Ars(value)


def parse_ags(text: str) -> str:
    """An AGS's 8 digits, checked the same way (its ARS needs the directory: the Gemeindeverband is not in it)."""
    value = text.strip()
    if len(value) != 8 or not _DIGITS.match(value):
        raise ArsError(f"Ein AGS hat 8 Ziffern: {text!r}.")
    if value[:2] not in LAND_CODES:
        raise ArsError(f"{value}: {value[:2]} ist kein Land (01 bis 16).")
    return value
