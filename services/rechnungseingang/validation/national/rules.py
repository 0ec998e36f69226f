"""The one table of the national step: rule id → flag and assertion text, as the XRechnung Schematron publishes them
(itplr-kosit/xrechnung-schematron v2.5.0, the release for XRechnung 3.0.x: src/validation/schematron/ubl/ and cii/,
and the Peppol BIS Billing 3.0 rules it merges in through src/xsl/rule-list.xml and src/xsl/peppol-into-xr.xsl).

Both syntaxes report through this table; a text that differs between the UBL and the CII Schematron carries its CII
wording in ``cii``. ``{name}`` stands for the Schematron's ``<name/>`` (the context element's name), ``{value}`` for
a ``<value-of/>`` of the context (a ``<value-of/>`` of a constant is written out). White space inside a text is
folded to single blanks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from services.rechnungseingang.validation.report import Severity

Flag = Literal["fatal", "warning", "information"]
LEVEL: dict[Flag, Severity] = {"fatal": "error", "warning": "warning", "information": "information"}

SKONTO_REGEX = r"(^|\r?\n)#(SKONTO)#TAGE=([0-9]+#PROZENT=[0-9]+\.[0-9]{2})(#BASISBETRAG=-?[0-9]+\.[0-9]{2})?#$"


@dataclass(frozen=True, slots=True)
class Rule:
    flag: Flag
    text: str
    cii: str | None = None

    def message(self, syntax: str, name: str = "", value: str = "") -> str:
        text = self.cii if syntax == "cii" and self.cii is not None else self.text
        return text.replace("{name}", name).replace("{value}", value)


def _fatal(text: str, cii: str | None = None) -> Rule:
    return Rule("fatal", text, cii)


def _warning(text: str, cii: str | None = None) -> Rule:
    return Rule("warning", text, cii)


_MUST = "muss übermittelt werden."
_SKONTO = (
    f"diesem regulärem Ausdruck entsprechen: {SKONTO_REGEX}. "
    "Die Informationen zur Gewährung von Skonto müssen wie folgt im "
    'Element "Payment terms" (BT-20) übermittelt werden: Anzugeben ist im ersten Segment "SKONTO", im zweiten '
    '"TAGE=n", im dritten "PROZENT=n". Prozentzahlen sind ohne Vorzeichen sowie mit Punkt getrennt von zwei '
    'Nachkommastellen anzugeben. Liegt dem zu berechnenden Betrag nicht BT-115, "fälliger Betrag" zugrunde, sondern '
    "nur ein Teil des fälligen Betrags der Rechnung, ist der Grundwert zur Berechnung von Skonto als viertes Segment "
    '"BASISBETRAG=n" gemäß dem semantischen Datentypen Amount anzugeben. Jeder Eintrag beginnt mit einer #, die '
    "Segmente sind mit einer # getrennt und eine Zeile schließt mit einer # ab. Am Ende einer vollständigen "
    "Skontoangabe muss ein XML-konformer Zeilenumbruch folgen. Alle Angaben zur Gewährung von Skonto müssen in "
    "Großbuchstaben gemacht werden. Zusätzliches Whitespace (Leerzeichen, Tabulatoren oder Zeilenumbrüche) ist nicht "
    "zulässig. Andere Zeichen oder Texte als in den oberen Vorgaben genannt sind nicht zulässig."
)
_TRANSFER = 'Wenn BT-81 "Payment means type code" einen Schlüssel für Überweisungen enthält (30, 58),'
_CARD = 'Wenn BT-81 "Payment means type code" einen Schlüssel für Kartenzahlungen enthält (48, 54, 55),'
_DEBIT = 'Wenn BT-81 "Payment means type code" einen Schlüssel für Lastschriften enthält (59),'
_ICD = "MUST be coded using one of the ISO 6523 ICD list."
_THIRD_PARTY = 'übermittelt werden, wenn die Gruppe "THIRD PARTY PAYMENT" (BG-DEX-09) übermittelt wird.'
_ALLOWANCE_INDICATOR = "Allowance/charge ChargeIndicator value MUST equal 'true' or 'false'"

RULES: dict[str, Rule] = {
    # XRechnung national rules (BR-DE-*), both syntaxes.
    "BR-DE-1": _fatal('[BR-DE-1] Eine Rechnung (INVOICE) muss Angaben zu "PAYMENT INSTRUCTIONS" (BG-16) enthalten.'),
    "BR-DE-2": _fatal('[BR-DE-2] Die Gruppe "SELLER CONTACT" (BG-6) ' + _MUST),
    "BR-DE-3": _fatal('[BR-DE-3] Das Element "Seller city" (BT-37) ' + _MUST),
    "BR-DE-4": _fatal('[BR-DE-4] Das Element "Seller post code" (BT-38) ' + _MUST),
    "BR-DE-5": _fatal('[BR-DE-5] Das Element "Seller contact point" (BT-41) ' + _MUST),
    "BR-DE-6": _fatal('[BR-DE-6] Das Element "Seller contact telephone number" (BT-42) ' + _MUST),
    "BR-DE-7": _fatal('[BR-DE-7] Das Element "Seller contact email address" (BT-43) ' + _MUST),
    "BR-DE-8": _fatal('[BR-DE-8] Das Element "Buyer city" (BT-52) ' + _MUST),
    "BR-DE-9": _fatal('[BR-DE-9] Das Element "Buyer post code" (BT-53) ' + _MUST),
    "BR-DE-10": _fatal(
        '[BR-DE-10] Das Element "Deliver to city" (BT-77) muss übermittelt werden, wenn die Gruppe "DELIVER TO '
        'ADDRESS" (BG-15) übermittelt wird.'
    ),
    "BR-DE-11": _fatal(
        '[BR-DE-11] Das Element "Deliver to post code" (BT-78) muss übermittelt werden, wenn die Gruppe "DELIVER TO '
        'ADDRESS" (BG-15) übermittelt wird.'
    ),
    "BR-DE-14": _fatal('[BR-DE-14] Das Element "VAT category rate" (BT-119) ' + _MUST),
    "BR-DE-15": _fatal('[BR-DE-15] Das Element "Buyer reference" (BT-10) ' + _MUST),
    "BR-DE-16": _fatal(
        "[BR-DE-16] Wenn in einer Rechnung die Steuercodes S, Z, E, AE, K, G, L oder M verwendet werden, muss "
        'mindestens eines der Elemente "Seller VAT identifier" (BT-31), "Seller tax registration identifier" (BT-32) '
        'oder "SELLER TAX REPRESENTATIVE PARTY" (BG-11) übermittelt werden.'
    ),
    "BR-DE-17": _warning(
        '[BR-DE-17] Mit dem Element "Invoice type code" (BT-3) sollen ausschließlich folgende Codes aus der '
        "Codeliste UNTDID 1001 übermittelt werden: 326 (Partial invoice), 380 (Commercial invoice), 384 (Corrected "
        "invoice), 389 (Self-billed invoice) und 381 (Credit note),875 (Partial construction invoice), 876 (Partial "
        "final construction invoice), 877 (Final construction invoice)."
    ),
    "BR-DE-18": _fatal(
        "[BR-DE-18] Skonto Zeilen in {name} müssen " + _SKONTO,
        cii="[BR-DE-18] Skonto Zeilen in {name} muessen " + _SKONTO,
    ),
    "BR-DE-19": _warning(
        '[BR-DE-19] "Payment account identifier" (BT-84) soll eine korrekte IBAN enthalten, wenn in "Payment means '
        'type code" (BT-81) mit dem Code 58 SEPA als Zahlungsmittel gefordert wird.'
    ),
    "BR-DE-20": _warning(
        '[BR-DE-20] "Debited account identifier" (BT-91) soll eine korrekte IBAN enthalten, wenn in "Payment means '
        'type code" (BT-81) mit dem Code 59 SEPA als Zahlungsmittel gefordert wird.'
    ),
    "BR-DE-21": _warning(
        '[BR-DE-21] Das Element "Specification identifier" (BT-24) soll syntaktisch der Kennung des Standards '
        "XRechnung entsprechen."
    ),
    "BR-DE-22": _fatal(
        '[BR-DE-22] Das "filename"-Attribut aller "EmbeddedDocumentBinaryObject"-Elemente muss eindeutig sein',
        cii="[BR-DE-22] Not all filename attributes of the embeddedDocumentBinaryObject elements are unique",
    ),
    "BR-DE-23-a": _fatal(f'[BR-DE-23-a] {_TRANSFER} muss BG-17 "CREDIT TRANSFER" übermittelt werden.'),
    "BR-DE-23-b": _fatal(f"[BR-DE-23-b] {_TRANSFER} dürfen BG-18 und BG-19 nicht übermittelt werden."),
    "BR-DE-24-a": _fatal(f'[BR-DE-24-a] {_CARD} muss genau BG-18 "PAYMENT CARD INFORMATION" übermittelt werden.'),
    "BR-DE-24-b": _fatal(f"[BR-DE-24-b] {_CARD} dürfen BG-17 und BG-19 nicht übermittelt werden."),
    "BR-DE-25-a": _fatal(f'[BR-DE-25-a] {_DEBIT} muss genau BG-19 "DIRECT DEBIT" übermittelt werden.'),
    "BR-DE-25-b": _fatal(f"[BR-DE-25-b] {_DEBIT} dürfen BG-17 und BG-18 nicht übermittelt werden."),
    "BR-DE-26": _warning(
        '[BR-DE-26] Wenn im Element "Invoice type code" (BT-3) der Code 384 (Corrected invoice) übergeben wird, soll '
        "PRECEDING INVOICE REFERENCE BG-3 mind. einmal vorhanden sein.",
        cii="[BR-DE-26] Wenn im Element Invoice type code (BT-3) der Code 384 (Corrected invoice) übergeben wird, soll "
        "PRECEDING INVOICE REFERENCE BG-3 mind. einmal vorhanden sein.",
    ),
    "BR-DE-27": _warning("[BR-DE-27] In BT-42 sollen mindestens drei Ziffern enthalten sein."),
    "BR-DE-28": _warning(
        "[BR-DE-28] In BT-43 soll genau ein @-Zeichen enthalten sein, welches nicht von einem Leerzeichen, einem "
        "Punkt, aber mindestens zwei Zeichen auf beiden Seiten flankiert werden soll. Ein Punkt sollte nicht am "
        "Anfang oder am Ende stehen."
    ),
    "BR-DE-30": _fatal(
        '[BR-DE-30] Wenn "DIRECT DEBIT" BG-19 vorhanden ist, dann muss "Bank assigned creditor identifier" BT-90 '
        "übermittelt werden."
    ),
    "BR-DE-31": _fatal(
        '[BR-DE-31] Wenn "DIRECT DEBIT" BG-19 vorhanden ist, dann muss "Debited account identifier" BT-91 '
        "übermittelt werden."
    ),
    "BR-DE-TMP-32": Rule(
        "information",
        '[BR-DE-TMP-32] Eine Rechnung sollte zur Angabe des Liefer-/Leistungsdatums entweder BT-72 "Actual delivery '
        'date", BG-14 "Invoicing period" oder in jeder Rechnungsposition BG-26 "Invoice line period" enthalten.',
    ),
    "BR-TMP-2": _warning(
        '[BR-TMP-2] BT-124 "External document location" muss eine absolute URL mit gültigem Schema enthalten.'
    ),
    # CII only.
    "BR-TMP-3": _fatal(
        "[BR-TMP-3] Wenn BT-149 (Item price base quantity) sowohl in GrossPriceProductTradePrice als auch in "
        "NetPriceProductTradePrice vorhanden ist, müssen die Werte identisch sein. Wenn BT-150 (unit of measure code) "
        "auf dem NetPrice-Pfad vorhanden ist, muss es auch auf dem GrossPrice-Pfad vorhanden und identisch sein."
    ),
    # Extension (BR-DEX-*): 01 and 04-08 in both syntaxes, 02, 03, 09-14 in UBL only, 15 in CII only.
    "BR-DEX-01": _fatal(
        '[BR-DEX-01] Das Element {name} "Attached Document" (BT-125) benutzt einen nicht zulässigen MIME-Code: '
        "{value}. Im Falle einer Extension darf zusätzlich zu der Liste der mime codes (definiert in Abschnitt 8.2, "
        '"Binary Object") der MIME-Code application/xml genutzt werden.'
    ),
    "BR-DEX-02": _warning(
        '[BR-DEX-02] Der Wert von "Invoice line net amount" (BT-131) einer "INVOICE LINE" (BG-25) oder einer "SUB '
        'INVOICE LINE" (BG-DEX-01) soll der Summe der "Invoice line net amount" (BT-131) der direkt '
        'darunterliegenden "SUB INVOICE LINE" (BG-DEX-01) entsprechen.'
    ),
    "BR-DEX-03": _fatal(
        '[BR-DEX-03] Eine Sub Invoice Line (BG-DEX-01) muss genau eine "SUB INVOICE LINE VAT INFORMATION" '
        "(BG-DEX-06) enthalten."
    ),
    "BR-DEX-04": _fatal("[BR-DEX-04] Any scheme identifier in {name} " + _ICD),
    "BR-DEX-05": _fatal("[BR-DEX-05] Any scheme identifier in {name} " + _ICD),
    "BR-DEX-06": _fatal("[BR-DEX-06] Any scheme identifier in {name} " + _ICD),
    "BR-DEX-07": _fatal(
        "[BR-DEX-07] Any scheme identifier for an Endpoint Identifier in {name} MUST belong to the CEF EAS code list."
    ),
    "BR-DEX-08": _fatal("[BR-DEX-08] Any scheme identifier for a Delivery location identifier in {name} " + _ICD),
    "BR-DEX-09": _fatal(
        "[BR-DEX-09] Amount due for payment (BT-115) = Invoice total amount with VAT (BT-112) - Paid amount (BT-113) "
        "+ Rounding amount (BT-114) + Σ Third party payment amount (BT-DEX-002)."
    ),
    "BR-DEX-10": _fatal('[BR-DEX-10] Das Element "Third party payment type" BT-DEX-001 muss ' + _THIRD_PARTY),
    "BR-DEX-11": _fatal('[BR-DEX-11] Das Element "Third party payment amount" BT-DEX-002 muss ' + _THIRD_PARTY),
    "BR-DEX-12": _fatal('[BR-DEX-12] Das Element "Third party payment description" BT-DEX-003 muss ' + _THIRD_PARTY),
    "BR-DEX-13": _fatal(
        '[BR-DEX-13] Die maximale Anzahl zulässiger Nachkommastellen für das Element "Third party payment amount" '
        "(BT-DEX-002) ist 2."
    ),
    "BR-DEX-14": _fatal(
        '[BR-DEX-14] Die Währungsangabe von "Third party payment amount" BT-DEX-002 muss BT-5 ("Invoice currency '
        'code") entsprechen.'
    ),
    "BR-DEX-15": _warning(
        "[BR-DEX-15] This CII file might use the concept of Sub Invoice Lines. However XRechnung does not support this."
    ),
    # CVD.
    "BR-DE-CVD-01": _fatal('[BR-DE-CVD-01] Das Element {name} "Contract reference" (BT-12) ' + _MUST),
    "BR-DE-CVD-02": _fatal('[BR-DE-CVD-02] Das Element {name} "Tender or lot reference" (BT-17) ' + _MUST),
    "BR-DE-CVD-03": _fatal(
        "[BR-DE-CVD-03] In einer Rechnung muss mindestens eine {name} INVOICE LINE (BG-25) enthalten sein, in der "
        "der Scheme identifier von {name} \"Item classification identifier\" (BT-158) den Wert 'CVD' und der {name} "
        "\"Item attribute name\" (BT-160) den Wert 'cva' enthält."
    ),
    "BR-DE-CVD-04": _fatal(
        "[BR-DE-CVD-04] Ein {name} \"Item classification identifier\" (BT-158) mit dem Scheme identifier 'CVD' muss "
        "einen Wert aus der Liste der zulässigen Fahrzeugkategorien enthalten."
    ),
    "BR-DE-CVD-05": _fatal(
        '[BR-DE-CVD-05] Wenn innerhalb von {name} ITEM ATTRIBUTES (BG-32) der {name} "Item attribute name" '
        "(BT-160) den Wert 'cva' hat, muss der {name} \"Item attribute value\" (BT-161) einen der zulässigen Werte "
        "enthalten."
    ),
    "BR-DE-CVD-06-a": _fatal(
        '[BR-DE-CVD-06-a] Wenn der Scheme identifier von {name} "Item classification identifier" (BT-158) mit dem '
        "Wert 'CVD' angegeben ist, muss in derselben Rechnungszeile genau ein {name} \"Item attribute name\" "
        "(BT-160) mit dem Wert 'cva' vorhanden sein."
    ),
    "BR-DE-CVD-06-b": _fatal(
        "[BR-DE-CVD-06-b] Wenn {name} \"Item attribute name\" (BT-160) mit dem Wert 'cva' angegeben ist, muss in "
        'derselben Rechnungszeile genau ein {name} "Item classification identifier" (BT-158) mit dem Scheme '
        "identifier 'CVD' vorhanden sein."
    ),
    "BR-TMP-CVD-01": _fatal(
        '[BR-TMP-CVD-01] Das Bildungsschema für {name} "Item classification identifier" (BT-158) ist aus der '
        "Codeliste UNTDID 7143 zu wählen."
    ),
    # Peppol BIS Billing 3.0 rules merged in (src/xsl/rule-list.xml). Texts carry no id prefix, as Peppol writes
    # them; in CII, R043 stands twice in one pattern, so peppol-into-xr.xsl numbers it R043-1 and R043-2.
    "PEPPOL-EN16931-R001": _fatal("Business process MUST be provided."),
    "PEPPOL-EN16931-R005": _fatal(
        "VAT accounting currency code MUST be different from invoice currency code when provided."
    ),
    "PEPPOL-EN16931-R008": _fatal("Document MUST not contain empty elements."),
    "PEPPOL-EN16931-R010": _fatal("Buyer electronic address MUST be provided"),
    "PEPPOL-EN16931-R020": _fatal("Seller electronic address MUST be provided"),
    "PEPPOL-EN16931-R040": _fatal(
        "Allowance/charge amount must equal base amount * percentage/100 if base amount and percentage exists"
    ),
    "PEPPOL-EN16931-R041": _fatal(
        "Allowance/charge base amount MUST be provided when allowance/charge percentage is provided."
    ),
    "PEPPOL-EN16931-R042": _fatal(
        "Allowance/charge percentage MUST be provided when allowance/charge base amount is provided."
    ),
    "PEPPOL-EN16931-R043": _fatal(_ALLOWANCE_INDICATOR),
    "PEPPOL-EN16931-R043-1": _fatal(_ALLOWANCE_INDICATOR),
    "PEPPOL-EN16931-R043-2": _fatal(_ALLOWANCE_INDICATOR),
    "PEPPOL-EN16931-R044": _fatal("Charge on price level is NOT allowed. Only value 'false' allowed."),
    "PEPPOL-EN16931-R046": _fatal(
        "Item net price MUST equal (Gross price - Allowance amount) when gross price is provided."
    ),
    "PEPPOL-EN16931-R053": _fatal(
        "Only one tax total with tax subtotals MUST be provided.",
        cii="No more than one tax total amount must be provided where currency id equals document currency code.",
    ),
    "PEPPOL-EN16931-R054": _fatal(
        "Only one tax total without tax subtotals MUST be provided when tax currency code is provided.",
        cii="Only one tax total amount must be provided where currency id equals tax currency code, if tax currency "
        "code (BT-6) is provided.",
    ),
    "PEPPOL-EN16931-R055": _fatal(
        "Invoice total VAT amount and Invoice total VAT amount in accounting currency MUST have the same operational "
        "sign"
    ),
    "PEPPOL-EN16931-R061": _fatal("Mandate reference MUST be provided for direct debit."),
    "PEPPOL-EN16931-R101": _fatal(
        "Element Document reference can only be used for Invoice line object",
        cii="Element Additional referenced document can only be used for Invoice line object.",
    ),
    "PEPPOL-EN16931-R110": _fatal("Start date of line period MUST be within invoice period."),
    "PEPPOL-EN16931-R111": _fatal("End date of line period MUST be within invoice period."),
    # peppol-into-xr.xsl sets R120 to warning in both syntaxes.
    "PEPPOL-EN16931-R120": _warning(
        "Invoice line net amount MUST equal (Invoiced quantity * (Item net price/item price base quantity) + Sum of "
        "invoice line charge amount - sum of invoice line allowance amount"
    ),
    "PEPPOL-EN16931-R121": _fatal("Base quantity MUST be a positive number above zero."),
    "PEPPOL-EN16931-R130": _fatal("Unit code of price base quantity MUST be same as invoiced quantity."),
}
