"""Shared fixtures of the validation tests: one compiled Validator per session (compilation takes ~1 s)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from services.rechnungseingang.validation import Validator

CORPUS = Path(__file__).resolve().parents[4] / "shared" / "testdata" / "xrechnung"
if not CORPUS.is_dir():  # the repository's shared folder sits beside the checkout
    CORPUS = Path("/work/shared/testdata/xrechnung")

CORPUS_FILES = sorted(CORPUS.rglob("*.xml"))


@pytest.fixture(scope="session")
def validator() -> Validator:
    return Validator.load()


def corpus_file(name: str) -> bytes:
    matches = [path for path in CORPUS_FILES if path.name == name]
    assert matches, f"{name} not in the testsuite"
    return matches[0].read_bytes()


class Doc:
    """A testsuite invoice to mutate with XPath (namespaces of UBL and CII preset)."""

    NS = {
        "ubl": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
        "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
        "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
        "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
        "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
        "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
        "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    }

    def __init__(self, name: str) -> None:
        self.root = etree.fromstring(corpus_file(name))

    def one(self, xpath: str) -> etree._Element:
        found = self.root.xpath(xpath, namespaces=self.NS)
        assert found, xpath
        return found[0]

    def remove(self, xpath: str) -> Doc:
        for node in self.root.xpath(xpath, namespaces=self.NS):
            node.getparent().remove(node)
        return self

    def set(self, xpath: str, value: str, attribute: str | None = None) -> Doc:
        nodes = self.root.xpath(xpath, namespaces=self.NS)
        assert nodes, xpath
        for node in nodes:
            if attribute:
                node.set(attribute, value)
            else:
                node.text = value
        return self

    def bytes(self) -> bytes:
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8")
