"""XML Signature (XML-DSig 1.1) for SAML: signing Responses and Assertions with the IdP's active key (RSA-SHA256,
exclusive c14n, enveloped, as SAML 2.0 Core §5 profiles it), and verifying what service providers sign: enveloped
signatures on AuthnRequests (HTTP-POST binding) and query-string signatures (HTTP-Redirect binding, SAML 2.0
Bindings §3.4.4.1).

SHA-1 is refused on purpose: BSI TR-02102-1 no longer allows it for signatures, and neither does BundID.
"""

import base64
import binascii

import xmlsec
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from services.nutzerkonto.keys import KeyRing, LoadedKey
from services.nutzerkonto.saml.xml import DS, SamlXmlError, child, children

SIG_RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
_SIG_HASHES: dict[str, hashes.HashAlgorithm] = {
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": hashes.SHA256(),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": hashes.SHA384(),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": hashes.SHA512(),
}
_DIGESTS = frozenset({"http://www.w3.org/2001/04/xmlenc#sha256", "http://www.w3.org/2001/04/xmldsig-more#sha384",
                      "http://www.w3.org/2001/04/xmlenc#sha512"})
_C14N = frozenset({"http://www.w3.org/2001/10/xml-exc-c14n#", "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"})
_TRANSFORMS = _C14N | {"http://www.w3.org/2000/09/xmldsig#enveloped-signature"}


class SignatureError(ValueError):
    """A signature is missing, malformed, uses a refused algorithm or does not verify; German message."""


def certificate_pem(certificate_base64: str) -> bytes:
    """PEM of a base64 DER certificate as metadata carries it (``ds:X509Certificate``)."""
    der = base64.b64decode("".join(certificate_base64.split()), validate=True)
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)


class Signer:
    """Signs with the key ring's active key; the xmlsec key is parsed once per key id, not once per signature."""

    def __init__(self, keys: KeyRing) -> None:
        self.keys = keys
        self._cache: dict[str, xmlsec.Key] = {}

    def _xmlsec_key(self, key: LoadedKey) -> xmlsec.Key:
        cached = self._cache.get(key.kid)
        if cached is None:
            cached = xmlsec.Key.from_memory(key.private_key_pem, xmlsec.KeyFormat.PEM, None)
            cached.load_cert_from_memory(key.certificate_pem.encode(), xmlsec.KeyFormat.CERT_PEM)
            self._cache = {key.kid: cached}  # only the active key ever signs; a rotation replaces the entry
        return cached

    def sign(self, element: etree._Element, *, after: etree._Element, inclusive_prefixes: tuple[str, ...] = ()) -> None:
        """Put an enveloped signature over ``element`` (by its ``ID``) right after ``after`` (its Issuer), where
        the SAML schema wants it. ``inclusive_prefixes`` keeps namespaces used only in attribute values
        (``xsi:type="xs:string"``) in the canonical form, as Shibboleth does."""
        signature = xmlsec.template.create(element, xmlsec.Transform.EXCL_C14N, xmlsec.Transform.RSA_SHA256,
                                           ns="ds")
        after.addnext(signature)
        reference = xmlsec.template.add_reference(signature, xmlsec.Transform.SHA256, uri="#" + element.get("ID"))
        xmlsec.template.add_transform(reference, xmlsec.Transform.ENVELOPED)
        c14n = xmlsec.template.add_transform(reference, xmlsec.Transform.EXCL_C14N)
        if inclusive_prefixes:
            xmlsec.template.transform_add_c14n_inclusive_namespaces(c14n, list(inclusive_prefixes))
        x509_data = xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature))
        xmlsec.template.x509_data_add_certificate(x509_data)
        context = xmlsec.SignatureContext()
        context.register_id(element, "ID")
        context.key = self._xmlsec_key(self.keys.active)
        context.sign(signature)


def _check_algorithms(signature: etree._Element, root_id: str) -> None:
    signed_info = child(signature, DS, "SignedInfo")
    if signed_info is None:
        raise SignatureError("Die Signatur hat kein SignedInfo.")
    method = child(signed_info, DS, "SignatureMethod")
    algorithm = method.get("Algorithm") if method is not None else None
    if algorithm == SIG_RSA_SHA1:
        raise SignatureError("RSA-SHA1 ist nicht zulässig; bitte mit RSA-SHA256 signieren.")
    if algorithm not in _SIG_HASHES:
        raise SignatureError(f"Signaturverfahren {algorithm!r} wird nicht unterstützt (RSA-SHA256/384/512).")
    c14n = child(signed_info, DS, "CanonicalizationMethod")
    if c14n is None or c14n.get("Algorithm") not in _C14N:
        raise SignatureError("Die Signatur muss Exclusive Canonicalization verwenden.")
    references = children(signed_info, DS, "Reference")
    # Exactly one reference, to the root element itself: anything else is how signature wrapping attacks start.
    if len(references) != 1 or references[0].get("URI") != "#" + root_id:
        raise SignatureError("Die Signatur muss genau die Nachricht selbst (ihre ID) referenzieren.")
    digest = child(references[0], DS, "DigestMethod")
    if digest is None or digest.get("Algorithm") not in _DIGESTS:
        raise SignatureError("Hashverfahren der Signatur nicht zulässig (SHA-256/384/512).")
    transforms = child(references[0], DS, "Transforms")
    for transform in children(transforms, DS, "Transform") if transforms is not None else []:
        if transform.get("Algorithm") not in _TRANSFORMS:
            raise SignatureError("Die Signatur verwendet eine nicht zulässige Transformation.")


def enveloped_signature(root: etree._Element) -> etree._Element | None:
    """The message's own ``ds:Signature`` (a direct child), if it has one."""
    signatures = children(root, DS, "Signature")
    if len(signatures) > 1:
        raise SignatureError("Die Nachricht enthält mehr als eine Signatur.")
    return signatures[0] if signatures else None


def verify_enveloped(root: etree._Element, certificates: list[str]) -> None:
    """Verify the root's enveloped signature with one of the SP's metadata certificates (never with a key the
    message brings along in its KeyInfo)."""
    signature = enveloped_signature(root)
    root_id = root.get("ID")
    if signature is None or not root_id:
        raise SignatureError("Die Nachricht ist nicht signiert.")
    _check_algorithms(signature, root_id)
    for certificate in certificates:
        context = xmlsec.SignatureContext()
        context.register_id(root, "ID")
        context.key = xmlsec.Key.from_memory(certificate_pem(certificate), xmlsec.KeyFormat.CERT_PEM, None)
        try:
            context.verify(signature)
        except xmlsec.Error:
            continue
        return
    raise SignatureError("Die Signatur der Nachricht ist ungültig (passt zu keinem Zertifikat des Dienstes).")


def verify_query(signed_octets: bytes, sig_alg: str, signature_b64: str, certificates: list[str]) -> None:
    """Verify an HTTP-Redirect signature: over the query string's ``SAMLRequest=…&RelayState=…&SigAlg=…`` octets
    exactly as they were sent (Bindings §3.4.4.1), with one of the SP's metadata certificates."""
    if sig_alg == SIG_RSA_SHA1:
        raise SignatureError("RSA-SHA1 ist nicht zulässig; bitte mit RSA-SHA256 signieren.")
    algorithm = _SIG_HASHES.get(sig_alg)
    if algorithm is None:
        raise SignatureError(f"Signaturverfahren {sig_alg!r} wird nicht unterstützt (RSA-SHA256/384/512).")
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("Der Parameter Signature ist kein gültiges Base64.") from exc
    for certificate in certificates:
        public_key = x509.load_der_x509_certificate(base64.b64decode(certificate)).public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            continue
        try:
            public_key.verify(signature, signed_octets, padding.PKCS1v15(), algorithm)
        except InvalidSignature:
            continue
        return
    raise SignatureError("Die Signatur der Anfrage ist ungültig (passt zu keinem Zertifikat des Dienstes).")


def check_certificate(certificate_base64: str) -> str:
    """A metadata certificate, normalised (whitespace removed), or :class:`SamlXmlError` if it is none."""
    compact = "".join(certificate_base64.split())
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(compact, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise SamlXmlError("Ein ds:X509Certificate ist kein gültiges X.509-Zertifikat.") from exc
    if not isinstance(certificate.public_key(), rsa.RSAPublicKey):
        raise SamlXmlError("Nur RSA-Zertifikate werden unterstützt.")
    return compact

