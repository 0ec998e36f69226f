"""XML Encryption (XML-Enc 1.1) of Assertions to a service provider's encryption key, as SAML 2.0 Core §2.3.4
(``saml:EncryptedAssertion``) and the Metadata spec's ``KeyDescriptor use="encryption"`` describe it.

The content key is a fresh AES key per Assertion, transported with RSA-OAEP to the SP's certificate. AES-GCM is
preferred: AES-CBC in XML-Enc is open to padding-oracle attacks (Jager/Somorovsky 2011). An SP that lists
``md:EncryptionMethod`` in its metadata gets the first of those we support, so an older SP can ask for CBC.
"""

import xmlsec
from lxml import etree

from services.nutzerkonto.saml.signatures import certificate_pem
from services.nutzerkonto.saml.xml import SAML, XENC, q

AES256_GCM = "http://www.w3.org/2009/xmlenc11#aes256-gcm"
_CONTENT: dict[str, tuple[xmlsec.Transform, int]] = {
    AES256_GCM: (xmlsec.Transform.AES256_GCM, 256),
    "http://www.w3.org/2009/xmlenc11#aes128-gcm": (xmlsec.Transform.AES128_GCM, 128),
    "http://www.w3.org/2001/04/xmlenc#aes256-cbc": (xmlsec.Transform.AES256, 256),
    "http://www.w3.org/2001/04/xmlenc#aes128-cbc": (xmlsec.Transform.AES128, 128),
}


def content_algorithm(listed: list[str]) -> str:
    """The content encryption to use for an SP whose metadata lists ``listed`` (in its order of preference)."""
    return next((a for a in listed if a in _CONTENT), AES256_GCM)


class Encrypter:
    """Encrypts assertions; keeps one xmlsec keys manager per SP certificate, because building one (it sets up an
    X.509 store) costs about 15 ms, fifty times the encryption itself."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._managers: dict[str, xmlsec.KeysManager] = {}

    def _manager(self, certificate_base64: str) -> xmlsec.KeysManager:
        manager = self._managers.get(certificate_base64)
        if manager is None:
            manager = xmlsec.KeysManager()
            manager.add_key(xmlsec.Key.from_memory(certificate_pem(certificate_base64), xmlsec.KeyFormat.CERT_PEM,
                                                   None))
            if len(self._managers) >= self.max_entries:
                self._managers.pop(next(iter(self._managers)))  # the oldest: SPs rarely change keys
            self._managers[certificate_base64] = manager
        return manager

    def encrypt_assertion(self, assertion: etree._Element, certificate_base64: str,
                          algorithm: str = AES256_GCM) -> None:
        """Replace ``assertion`` (already signed, if it is to be) by a ``saml:EncryptedAssertion`` in its
        parent."""
        parent = assertion.getparent()
        assert parent is not None, "the assertion must sit in its Response"
        transform, bits = _CONTENT[algorithm]
        template = xmlsec.template.encrypted_data_create(assertion, transform, type=xmlsec.EncryptionType.ELEMENT,
                                                         ns="xenc")
        xmlsec.template.encrypted_data_ensure_cipher_value(template)
        key_info = xmlsec.template.encrypted_data_ensure_key_info(template, ns="ds")
        encrypted_key = xmlsec.template.add_encrypted_key(key_info, xmlsec.Transform.RSA_OAEP)
        xmlsec.template.encrypted_data_ensure_cipher_value(encrypted_key)

        context = xmlsec.EncryptionContext(self._manager(certificate_base64))
        context.key = xmlsec.Key.generate(xmlsec.KeyData.AES, bits, xmlsec.KeyDataType.SESSION)
        # Serialised by lxml, the assertion declares every namespace in scope, also those its Response declares:
        # the SP parses the decrypted octets on their own (pysaml2 does), where an inherited prefix would be unbound.
        encrypted = context.encrypt_binary(template, etree.tostring(assertion))
        wrapper = etree.Element(q(SAML, "EncryptedAssertion"), nsmap={"saml": SAML, "xenc": XENC})
        wrapper.append(encrypted)
        parent.replace(assertion, wrapper)
