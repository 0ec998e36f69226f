"""The seeded destinations and API clients: one destination per authority that the mailbox part also seeds
(same ARS), a sender client for online services, one subscriber client per destination and one that is linked to
none (to see the 403). Ids are derived from the ARS, so they are the same on every machine."""

import uuid
from typing import Any

# (ARS, authority, slug). The same authorities the Postfach seeds Behördenpostfächer for.
AUTHORITIES: tuple[tuple[str, str, str], ...] = (
    ("071110000000", "Stadt Koblenz", "koblenz"),
    ("073150000000", "Stadt Mainz", "mainz"),
    ("072110000000", "Stadt Trier", "trier"),
    ("071370000000", "Landkreis Mayen-Koblenz", "mayen-koblenz"),
)

# LeiKa keys of the services every seeded destination accepts, with a JSON submission schema each. The keys are the
# verified ones of reference/bus.md (verwaltung.bund.de Leistungsverzeichnis): Gewerbe anmelden, Wohnsitz Anmeldung,
# Hundesteuer Anmeldung. The schema URIs follow FIM's pattern (reference/antragsplattform.md) but are not verified
# schema ids: test data until the Antragsplattform brings real ones.
PUBLIC_SERVICES: tuple[tuple[str, str, str], ...] = (
    ("urn:de:fim:leika:leistung:99050012104000", "Gewerbeanmeldung",
     "https://schema.fitko.de/fim/s00000096_1.0.schema.json"),
    ("urn:de:fim:leika:leistung:99115005104000", "Anmeldung einer Wohnung",
     "https://schema.fitko.de/fim/s00000121_1.0.schema.json"),
    ("urn:de:fim:leika:leistung:99102013104000", "Hundesteuer Anmeldung",
     "https://schema.fitko.de/fim/s00000213_1.0.schema.json"),
)

SENDER_CLIENT = ("fitconnect-sender", "fitconnect-sender-secret", "Demo-Onlinedienst (Sender)")
UNLINKED_SUBSCRIBER = ("fitconnect-subscriber-ohne-zustellpunkt", "fitconnect-subscriber-ohne-zustellpunkt-secret",
                       "Fachverfahren ohne Zustellpunkt")
METADATA_VERSIONS = ["1.0.0", "2.1.0"]
REPLY_CHANNELS: dict[str, Any] = {"eMail": {"usePgp": False}, "fitConnect": {}}


def destination_id_for(ars: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:basisdienste:fitconnect:destination:{ars}"))


def subscriber_for(slug: str) -> tuple[str, str]:
    client_id = f"fitconnect-subscriber-{slug}"
    return client_id, f"{client_id}-secret"


def public_services(ars: str | None) -> list[dict[str, Any]]:
    regions = [f"DE{ars}"] if ars else []
    return [{"identifier": identifier, "name": name,
             "submissionSchemas": [{"schemaUri": schema, "mimeType": "application/json"}], "regions": regions}
            for identifier, name, schema in PUBLIC_SERVICES]


def contact_information(authority: str, slug: str) -> dict[str, Any]:
    return {"legalName": authority, "unit": "Bürgerbüro", "email": f"buergerbuero@{slug}.example",
            "phone": "+49 261 0000000", "address": {"street": "Rathausplatz", "houseNumber": "1",
                                                     "postalCode": "00000", "city": authority.split()[-1]},
            # Not published: where the 3-day "not picked up" notification goes.
            "technicalContactEmail": f"fitconnect-technik@{slug}.example"}
