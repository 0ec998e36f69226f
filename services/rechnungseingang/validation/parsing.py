"""Safe XML intake for the validator: one strict lxml parse, DOCTYPE refused, nothing resolved.

Every later step (XSD, Saxon, the national rules) works on the tree or on its re-serialisation from here, never
on the raw upload: saxonche would resolve external entities of raw input (see ARCHITECTURE.md, known traps).
"""

from __future__ import annotations

import threading

from lxml import etree

# A DOCTYPE may appear only in the prolog, after the XML declaration, comments and processing instructions; it is
# the only place entities can be declared. The prolog is scanned by hand (linear, no regex backtracking over a
# 20 MB upload); lxml's docinfo is checked as well after the parse.
_WHITESPACE = b" \t\r\n"


class UnsafeXml(ValueError):
    """The document declares a DOCTYPE, entities or external references; it is refused before any processing."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
        remove_comments=False,
    )


# lxml parsers must not be shared between threads; the service validates in a worker pool.
_local = threading.local()


def _thread_parser() -> etree.XMLParser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = _parser()
    return parser


def _normalised(xml: bytes) -> bytes:
    """The document as UTF-8 bytes without a byte-order mark, so the prolog check sees UTF-16 input too."""
    if xml.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return xml.decode("utf-16").encode("utf-8", "replace")
        except UnicodeDecodeError:
            return xml[2:]
    if xml.startswith(b"\xef\xbb\xbf"):
        return xml[3:]
    return xml


def check_safe(xml: bytes) -> None:
    """Raise UnsafeXml when the prolog carries a DOCTYPE declaration."""
    data = _normalised(xml)
    position = 0
    while True:
        while position < len(data) and data[position] in _WHITESPACE:
            position += 1
        if data.startswith(b"<?", position):
            end = data.find(b"?>", position + 2)
            if end < 0:
                return  # malformed; the parser reports it
            position = end + 2
        elif data.startswith(b"<!--", position):
            end = data.find(b"-->", position + 4)
            if end < 0:
                return
            position = end + 3
        elif data[position : position + 9].upper() == b"<!DOCTYPE":
            raise UnsafeXml("XML mit DOCTYPE-Deklaration wird nicht angenommen (keine DTDs, keine Entities).")
        else:
            return


def parse(xml: bytes) -> etree._ElementTree:
    """Parse strictly. Raises UnsafeXml for DOCTYPE/entities, etree.XMLSyntaxError for malformed XML."""
    check_safe(xml)
    tree = etree.ElementTree(etree.fromstring(xml, _thread_parser()))
    # Belt and braces: libxml2 would record an internal subset even if the byte scan were fooled by an encoding.
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None or tree.docinfo.externalDTD is not None:
        raise UnsafeXml("XML mit DOCTYPE-Deklaration wird nicht angenommen.")
    for node in tree.getroot().iter(etree.Entity):
        raise UnsafeXml(f"XML mit Entity-Referenz &{node.name}; wird nicht angenommen.")
    return tree
