"""The ARS hierarchy of reference/bus.md: levels by zeroing, Gemeinde → Gemeindeverband → Kreis → Land → Bund."""

import pytest

from services.bus.areas import BUND, ArsError, Level, parse_ags, parse_ars

KOBLENZ = "071110000000"  # kreisfreie Stadt (reference/bus.md)
MAYEN_KOBLENZ = "071370000000"  # Landkreis (reference/bus.md)
# A Gemeindeverband-level key of the reference (the ARS in the Leitweg-ID example of reference/rechnungseingang.md).
VERBAND = "073355011000"


def test_a_kreisfreie_stadt_is_a_kreis_level_key_under_its_land_and_the_bund() -> None:
    koblenz = parse_ars(KOBLENZ)
    assert koblenz.level is Level.KREIS
    assert [str(a) for a in koblenz.lineage()] == [KOBLENZ, "070000000000", BUND]
    assert koblenz.ags == "07111000"


def test_a_key_below_a_kreis_walks_up_through_each_level() -> None:
    area = parse_ars("073355011001")  # a key built below it for the structure only, not a real Gemeinde
    assert area.level is Level.GEMEINDE
    assert [str(a) for a in area.lineage()] == ["073355011001", VERBAND, "073350000000", "070000000000", BUND]
    assert parse_ars(VERBAND).level is Level.GEMEINDEVERBAND
    assert area.ags == "07335001"


def test_containment_follows_the_lineage() -> None:
    kreis, land = parse_ars(MAYEN_KOBLENZ), parse_ars("070000000000")
    assert land.contains(kreis) and parse_ars(BUND).contains(kreis) and kreis.contains(kreis)
    assert not kreis.contains(land) and not parse_ars(KOBLENZ).contains(kreis)
    assert parse_ars(BUND).level is Level.BUND and land.level is Level.LAND


@pytest.mark.parametrize(("text", "reason"), [
    ("07111000000", "12 Ziffern"), ("0711100000001", "12 Ziffern"), ("07111000000a", "12 Ziffern"),
    ("171110000000", "kein Land"), ("001110000000", "kein Land"), ("070000001000", "ohne Kreis"),
])
def test_malformed_keys_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(ArsError, match=reason):
        parse_ars(text)


def test_ags_is_checked_alike() -> None:
    assert parse_ags("07111000") == "07111000"
    for bad in ("0711100", "17111000", "0711100x"):
        with pytest.raises(ArsError):
            parse_ags(bad)
