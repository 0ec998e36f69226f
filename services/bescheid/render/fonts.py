"""The fonts every notice embeds: DejaVu Sans (Debian ``fonts-dejavu-core``). PDF/A forbids relying on the 14
standard fonts, so a TrueType font is embedded (as a subset) in every Bescheid.

DejaVu has ~6,000 glyphs; parsing it costs fpdf2 two thirds of a notice's rendering time. At startup the service
cuts it once to the scripts of DIN 91379 (Latin with all diacritics, Greek, Cyrillic: the characters names in
German registers may contain) plus punctuation and the euro sign, and renders from that cut.
"""

import io
from pathlib import Path

DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
FAMILY = "DejaVuSans"
STYLES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
# Unicode blocks kept: Basic Latin .. Latin Extended-B, IPA/spacing modifiers, combining marks, Greek, Cyrillic,
# Latin Extended Additional, general punctuation, currency (euro), letterlike symbols (numero sign).
KEPT_RANGES = ((0x0020, 0x036F), (0x0370, 0x04FF), (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x20A0, 0x20BF),
               (0x2100, 0x214F))


class FontsMissing(RuntimeError):
    pass


def source_files() -> dict[str, Path]:
    files = {style: DEJAVU_DIR / name for style, name in STYLES.items()}
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:
        raise FontsMissing(f"fonts not found ({', '.join(missing)}): install the Debian package fonts-dejavu-core")
    return files


def _cut(source: Path) -> bytes:
    # Imported here: fontTools is needed only when the cached cut is missing, not on every start.
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(source, recalcTimestamp=False)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.glyph_names = True
    options.drop_tables += ["FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for start, end in KEPT_RANGES for c in range(start, end + 1)])
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def prepare(directory: Path) -> dict[str, Path]:
    """The cut fonts in ``directory`` (made on first use; a few hundred milliseconds, call it off the loop)."""
    directory.mkdir(parents=True, exist_ok=True)
    prepared = {}
    for style, source in source_files().items():
        target = directory / f"{source.stem}-DIN91379.ttf"
        if not target.is_file() or target.stat().st_mtime < source.stat().st_mtime:
            partial = target.with_suffix(".tmp")
            partial.write_bytes(_cut(source))
            partial.replace(target)
        prepared[style] = target
    return prepared
