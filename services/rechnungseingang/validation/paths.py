"""XPath locations for findings in the form the Schematron full-path mode writes them (what KoSIT reports)."""

from __future__ import annotations

from lxml import etree


def full_path(element: etree._Element) -> str:
    steps: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        qname = etree.QName(node)
        parent = node.getparent()
        position = 1
        if parent is not None:
            for sibling in parent.iterchildren(node.tag):
                if sibling is node:
                    break
                position += 1
        steps.append(f"*:{qname.localname}[namespace-uri()='{qname.namespace or ''}'][{position}]")
        node = parent
    return "/" + "/".join(reversed(steps))
