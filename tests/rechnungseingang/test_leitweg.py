"""The Leitweg-ID arithmetic of the platform check (Formatspezifikation Leitweg-ID: format, Land prefix, ISO/IEC 7064
MOD 97-10 check number), worked against IDs whose check numbers were computed by hand or quoted from real use."""

from services.rechnungseingang.platform import leitweg
from tests.rechnungseingang.tools import KOBLENZ_LEITWEG_ID


def test_leitweg_check_numbers() -> None:
    # ISO/IEC 7064 MOD 97-10 worked by hand for 04011000-12345: 40110001234500 mod 97 = 95, 98 - 95 = 03
    assert leitweg.check_number("04011000-12345") == "03"
    assert leitweg.check("073355011000-001-59").valid  # the real ID quoted in the reference
    assert leitweg.check("991-33333TEST-33").valid  # letters count A=10 … Z=35
    assert leitweg.check(KOBLENZ_LEITWEG_ID).valid
    assert not leitweg.check("991-33333test-33").valid  # upper case only
    assert leitweg.check("04011000-12345-34").code == "leitweg-id-check-digit"
    assert leitweg.check("").code == "leitweg-id-missing"
    assert leitweg.check("1" * 47).code == "leitweg-id-format"
    # 36 testsuite files: the check number holds, but 90 names no Land (01-16) and not the Bund (99)
    assert leitweg.has_valid_check_number("90000000-03083-72")
    assert leitweg.check("90000000-03083-72").code == "leitweg-id-format"
    assert leitweg.check("99000000-03083-34").valid and leitweg.check("16000000-03083-18").valid
    assert leitweg.check("17000000-03083-03").code == "leitweg-id-format"
