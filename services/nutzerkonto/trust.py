"""Trust levels (Vertrauensniveaus) as BundID expresses them: STORK QAA levels in SAML, eIDAS LoA URIs, and
the ``akdb:TrustLevel`` names on each attribute; and the level each login method reaches.

Method → level follows the BundID simulator (``AuthLevelTools``): user name/password reaches STORK 1,
an ELSTER certificate STORK 3, the Online-Ausweis and notified EU eIDs STORK 4.
"""

from enum import IntEnum, StrEnum


class Level(IntEnum):
    STORK_1 = 1
    STORK_2 = 2
    STORK_3 = 3
    STORK_4 = 4


class Method(StrEnum):
    """Login methods; the values are what BundID names them (AuthnMethod / AssertionProvedBy)."""

    BENUTZERNAME = "Benutzername"
    ELSTER = "Elster"
    EID = "eID"
    EIDAS = "eIDAS"


METHOD_LEVEL: dict[Method, Level] = {
    Method.BENUTZERNAME: Level.STORK_1,
    Method.ELSTER: Level.STORK_3,
    Method.EID: Level.STORK_4,
    Method.EIDAS: Level.STORK_4,
}

# German labels for the login page, in the order BundID shows them.
METHOD_LABEL: dict[Method, str] = {
    Method.EID: "Online-Ausweis (eID)",
    Method.ELSTER: "ELSTER-Zertifikat",
    Method.EIDAS: "EU-eID (eIDAS)",
    Method.BENUTZERNAME: "Benutzername und Passwort",
}

STORK_PREFIX = "STORK-QAA-Level-"
EIDAS_PREFIX = "http://eidas.europa.eu/LoA/"
_EIDAS_LEVEL = {"low": Level.STORK_1, "substantial": Level.STORK_3, "high": Level.STORK_4}
_LEVEL_EIDAS = {Level.STORK_1: "low", Level.STORK_2: "low", Level.STORK_3: "substantial", Level.STORK_4: "high"}

# akdb:TrustLevel on each returned attribute (inferred from the level the login method reached).
_TRUST_NAME = {Level.STORK_1: "NORMAL", Level.STORK_2: "NORMAL", Level.STORK_3: "SUBSTANTIELL",
               Level.STORK_4: "HOCH"}
SELF_DECLARED_TRUST = "UNTERGEORDNET"


def stork(level: Level) -> str:
    return f"{STORK_PREFIX}{int(level)}"


def eidas(level: Level) -> str:
    return EIDAS_PREFIX + _LEVEL_EIDAS[level]


def trust_name(level: Level) -> str:
    return _TRUST_NAME[level]


def parse_level(value: str) -> Level | None:
    """A requested level from ``STORK-QAA-Level-N`` or an eIDAS LoA URI; None for anything else."""
    value = value.strip()
    if value.startswith(STORK_PREFIX) and value[len(STORK_PREFIX):] in ("1", "2", "3", "4"):
        return Level(int(value[len(STORK_PREFIX):]))
    if value.startswith(EIDAS_PREFIX):
        return _EIDAS_LEVEL.get(value[len(EIDAS_PREFIX):])
    return None


def acr_for(level: Level, requested: list[str]) -> str:
    """The ``acr`` to return: in the family the client asked in (eIDAS URIs or STORK), STORK by default."""
    if any(r.startswith(EIDAS_PREFIX) for r in requested):
        return eidas(level)
    return stork(level)


def methods_reaching(level: Level) -> list[Method]:
    return [m for m in METHOD_LABEL if METHOD_LEVEL[m] >= level]
