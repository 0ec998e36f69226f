"""Runs the compiled CEN Schematron XSLTs on saxonche and turns their SVRL into findings with line numbers.

Saxon only ever sees the re-serialised lxml tree (no DOCTYPE can survive the lxml parse in parsing.py), and
stylesheets are compiled once at start-up. saxonche objects are not safe for concurrent use, so runs are
serialised with a lock; the service calls the validator from a worker thread.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

import saxonche
from lxml import etree

from services.rechnungseingang.validation.fast_stylesheet import fast_stylesheet

SVRL = "{http://purl.oclc.org/dsdl/svrl}"
_STEP = re.compile(r"/(?:\*:|)([\w.-]+)(?:\[namespace-uri\(\)='([^']*)'\])?\[(\d+)\]|/@([\w:.-]+)")


@dataclass(slots=True)
class SvrlResult:
    rule_id: str
    flag: str | None
    text: str
    location: str
    report: bool  # successful-report (true) or failed-assert (false)


class SchematronRunner:
    """One Saxon processor with the compiled executables, keyed by name."""

    def __init__(self, stylesheets: dict[str, Path]) -> None:
        self._lock = threading.Lock()
        self._processor = saxonche.PySaxonProcessor(license=False)
        compiler = self._processor.new_xslt30_processor()
        self._executables = {}
        for name, path in stylesheets.items():
            fast = fast_stylesheet(path)
            compiler.set_cwd(str(path.parent))  # relative references resolve as in the package folder
            executable = compiler.compile_stylesheet(stylesheet_text=fast.text)
            for parameter, document in fast.documents.items():  # parsed once, used by every run
                executable.set_parameter(parameter, self._processor.parse_xml(xml_file_name=str(document)))
            self._executables[name] = executable
        # Defence in depth after compilation: the parser refuses any DOCTYPE even if one reached Saxon, and only
        # the file protocol may be read (the code database, read once above, is all the stylesheets ever read).
        self._processor.set_configuration_property(
            "http://saxon.sf.net/feature/parserFeature?uri=http://apache.org/xml/features/disallow-doctype-decl",
            "true",
        )
        self._processor.set_configuration_property("http://saxon.sf.net/feature/allowedProtocols", "file")

    def run(self, name: str, serialized: str) -> list[SvrlResult]:
        with self._lock:
            document = self._processor.parse_xml(xml_text=serialized)
            output = self._executables[name].transform_to_string(xdm_node=document)
        svrl = etree.fromstring(output.encode("utf-8"))
        results: list[SvrlResult] = []
        for element in svrl:
            tag = element.tag
            if tag not in (SVRL + "failed-assert", SVRL + "successful-report"):
                continue
            text = element.findtext(SVRL + "text") or ""
            results.append(
                SvrlResult(
                    rule_id=element.get("id") or "",
                    flag=element.get("flag"),
                    text=" ".join(text.split()),
                    location=element.get("location") or "",
                    report=tag == SVRL + "successful-report",
                )
            )
        return results


def resolve(root: etree._Element, location: str) -> etree._Element | None:
    """Find the element an SVRL location (Schematron full path, ``/*:Name[namespace-uri()='…'][n]/…``) names."""
    if not location or location == "/":
        return root
    node: etree._Element | None = None
    for match in _STEP.finditer(location):
        local, namespace, position, attribute = match.groups()
        if attribute:
            break
        tag = f"{{{namespace}}}{local}" if namespace else local
        index = int(position) - 1
        if node is None:
            node = root if root.tag == tag and index == 0 else None
        else:
            children = [child for child in node if child.tag == tag]
            node = children[index] if index < len(children) else None
        if node is None:
            return None
    return node
