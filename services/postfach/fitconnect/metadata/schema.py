"""JSON Schemas (draft 2020-12) of FIT-Connect metadata, written for this emulator from the field list of the
metadata standard: ``contentStructure`` (data hash and submission schema, attachments with SHA-512 hashes and
purposes), ``publicServiceType``, ``authenticationInformation``, ``paymentInformation``, ``replyChannel`` (exactly
one channel), ``additionalReferenceInfo``; 2.1.0 adds ``publicService`` and ``dataSets``.

The delivery service never reads metadata (it is encrypted for the destination); the schema is offered at
``/fitconnect/schema/metadata/<version>/metadata.schema.json`` for subscribers, which validate after decrypting.
"""

import copy
from typing import Any

VERSIONS = ("1.0.0", "2.1.0")
BASE = "https://schema.fitko.de/fit-connect/metadata/"

_HASH = {"type": "object", "required": ["type", "content"], "properties": {
    "type": {"type": "string", "enum": ["sha512"]},
    "content": {"type": "string", "pattern": "^[a-f0-9]{128}$"}}}
_UUID = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_URN = "^urn:[a-z0-9][a-z0-9-]{0,31}:[^\\s]+$"
_SIGNATURE = {"type": "object", "required": ["signatureFormat", "detachedSignature"], "properties": {
    "signatureFormat": {"type": "string", "enum": ["cms", "xml", "pdf", "asic", "json"]},
    "detachedSignature": {"type": "boolean"},
    "content": {"type": "string"}}}
_ADDRESS = {"type": "string", "minLength": 3, "maxLength": 320, "pattern": "^[^@\\s]+@[^@\\s]+$"}


def _common() -> dict[str, Any]:
    return {
        "$schema": {"type": "string"},
        "contentStructure": {"type": "object", "required": ["attachments"], "properties": {
            "data": {"type": "object", "required": ["hash", "submissionSchema"], "properties": {
                "hash": _HASH,
                "submissionSchema": {"type": "object", "required": ["schemaUri", "mimeType"], "properties": {
                    "schemaUri": {"type": "string", "minLength": 1},
                    "mimeType": {"type": "string", "enum": ["application/json", "application/xml"]}}},
                "signature": _SIGNATURE}},
            "attachments": {"type": "array", "items": {
                "type": "object", "required": ["attachmentId", "hash", "purpose", "mimeType"], "properties": {
                    "attachmentId": {"type": "string", "pattern": _UUID},
                    "hash": _HASH,
                    "purpose": {"type": "string", "enum": ["form", "attachment", "report"]},
                    "mimeType": {"type": "string", "pattern": "^[-\\w.]+/[-\\w.+]+$"},
                    "filename": {"type": "string", "maxLength": 255},
                    "description": {"type": "string"},
                    "signature": _SIGNATURE}}}}},
        "publicServiceType": {"type": "object", "required": ["identifier"], "properties": {
            "identifier": {"type": "string", "pattern": _URN},
            "name": {"type": "string"}, "description": {"type": "string"}}},
        "authenticationInformation": {"type": "array", "items": {
            "type": "object", "required": ["type", "version", "content"], "properties": {
                "type": {"type": "string", "enum": ["identificationReport"]},
                "version": {"type": "string", "pattern": "^\\d+\\.\\d+\\.\\d+$"},
                "content": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"}}}},
        "paymentInformation": {"type": "object",
                               "required": ["transactionReference", "transactionId", "paymentMethod", "status"],
                               "properties": {
            "transactionReference": {"type": "string"},
            "transactionId": {"type": "string", "pattern": "^[\\w-]+$"},
            "transactionUrl": {"type": "string"},
            "transactionTimestamp": {"type": "string"},
            "paymentMethod": {"type": "string",
                              "enum": ["GIROPAY", "PAYDIRECT", "CREDITCARD", "PAYPAL", "INVOICE", "OTHER"]},
            "paymentMethodDetail": {"type": "string"},
            "status": {"type": "string", "enum": ["INITIAL", "BOOKED", "FAILED", "CANCELED"]},
            "grossAmount": {"type": "number", "minimum": 0}}},
        "replyChannel": {"type": "object", "minProperties": 1, "maxProperties": 1, "properties": {
            "eMail": {"type": "object", "required": ["address"],
                      "properties": {"address": _ADDRESS, "pgpPublicKey": {"type": "string"}}},
            "deMail": {"type": "object", "required": ["address"], "properties": {"address": _ADDRESS}},
            "fink": {"type": "object", "required": ["finkPostfachRef"],
                     "properties": {"finkPostfachRef": {"type": "string"}, "host": {"type": "string"}}},
            "elster": {"type": "object", "required": ["accountId"],
                       "properties": {"accountId": {"type": "string"}, "lieferTicket": {"type": "string"}}},
            "fitConnect": {"type": "object", "required": ["encryptionPublicKey"],
                           "properties": {"encryptionPublicKey": {"type": "object", "required": ["kty"]},
                                          "signingPublicKey": {"type": "object"}}}},
            "additionalProperties": False},
        "additionalReferenceInfo": {"type": "object", "properties": {
            "senderReference": {"type": "string"},
            "applicationDate": {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}"}}},
    }


def metadata_schema(version: str) -> dict[str, Any]:
    if version not in VERSIONS:
        raise KeyError(version)
    properties = copy.deepcopy(_common())
    if version == "2.1.0":
        properties["publicService"] = {"type": "object", "required": ["identifier"], "properties": {
            "identifier": {"type": "string", "pattern": _URN}, "name": {"type": "string"}}}
        properties["dataSets"] = {"type": "array", "items": {"type": "object", "required": ["type"], "properties": {
            "type": {"type": "string"},
            "levelOfAssurance": {"type": "string", "enum": ["low", "substantial", "high"]},
            "content": {"type": "string"}}}}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{BASE}{version}/metadata.schema.json",
            "title": f"FIT-Connect Metadaten {version} (Basisdienste)",
            "type": "object", "required": ["contentStructure"], "properties": properties}
