"""A seed folder (``basisdienste up --seed DIR``): a team's own test data in YAML or JSON files, registered through the
services' emulator controls at start-up and again after every ``POST /_emulator/reset``.

Every ``*.yaml``, ``*.yml`` and ``*.json`` file at the folder's top level is a mapping of sections to lists of entries;
an entry has the fields of the control its section names (README, "Seed folder"). The gateway checks the files'
shape; each service checks its entries as its control does (attribute values, Leitweg-ID check digits, SAML
metadata), and its refusal is reported as ``<file>: <section>[<n>].<field>: <reason>``. At start-up a folder that
any service refuses changes nothing: the suite's data is put back as it was (gateway/snapshots.py) and ``up`` exits.
"""

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from gateway import snapshots
from kit.clock import Clock
from kit.peers import Peers
from kit.problems import Problem

DATA_SUFFIXES = (".yaml", ".yml", ".json")
MAX_FILE_BYTES = 4 * 1024 * 1024
TIMEOUT_SECONDS = 120.0  # the first registration of a FIT-Connect destination generates its RSA keys
SAML_METADATA_TYPE = "application/samlmetadata+xml"
_SAML_FLAGS = ("sign_response", "sign_assertion", "encrypt_assertion")


class SeedFolderError(Exception):
    """The seed folder was refused; ``errors`` lists every problem as ``<file>: <where>: <reason>``."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class Entry:
    section: str
    index: int
    file: str  # as the user named the folder, so that messages point where they look
    body: dict[str, Any]
    content: bytes | None = None  # SAML metadata: the file's bytes

    @property
    def where(self) -> str:
        return f"{self.file}: {self.section}[{self.index}]"


@dataclass(frozen=True)
class Section:
    service: str
    path: str
    description: str
    # For entries whose id exists already (a data directory the folder was loaded into before).
    on_conflict: Callable[["Applier", Entry], Awaitable[list[str]]] | None = None


@dataclass
class SeedFolder:
    path: Path
    entries: list[Entry] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry in self.entries:
            counts[entry.section] = counts.get(entry.section, 0) + 1
        return counts


# -- reading ---------------------------------------------------------------------------------------------------

class _Loader(yaml.SafeLoader):
    """YAML read as the controls' JSON: an unquoted ``birthdate: 1964-08-12`` stays the string it is written as
    (YAML 1.1 would make it a date, which no control takes)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _load(path: Path, shown: str) -> Any:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise SeedFolderError([f"{shown}: larger than {MAX_FILE_BYTES} bytes"])
    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_Loader)  # noqa: S506
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise SeedFolderError([f"{shown}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}"]) from exc


def _not_json(value: Any, where: str) -> list[str]:
    """Values JSON cannot carry (YAML's ``!!binary``, ``!!set``, an explicit ``!!timestamp``, a list as a key)."""
    if value is None or isinstance(value, str | bool | int):
        return []
    if isinstance(value, float):
        return [] if value == value and value not in (float("inf"), float("-inf")) else [
            f"{where}: {value} is not a JSON number"]
    if isinstance(value, list):
        return [e for i, item in enumerate(value) for e in _not_json(item, f"{where}[{i}]")]
    if isinstance(value, dict):
        errors = [f"{where}: the key {k!r} is not a string" for k in value if not isinstance(k, str)]
        return errors + [e for k, v in value.items() if isinstance(k, str) for e in _not_json(v, f"{where}.{k}")]
    return [f"{where}: a {type(value).__name__} is not a JSON value; quote it"]


def read(folder: Path) -> SeedFolder:
    """Every entry of the folder, in the order they are registered; refuses the folder with all its problems."""
    if not folder.is_dir():
        raise SeedFolderError([f"{folder}: not a directory"])
    errors: list[str] = []
    by_section: dict[str, list[Entry]] = {name: [] for name in SECTIONS}
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in DATA_SUFFIXES)
    if not files:
        errors.append(f"{folder}: no *.yaml, *.yml or *.json files")
    for path in files:
        shown = str(folder / path.name)
        try:
            data = _load(path, shown)
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(f"{shown}: not readable: {exc}")
            continue
        except SeedFolderError as exc:
            errors.extend(exc.errors)
            continue
        if data is None:
            continue
        if not isinstance(data, dict):
            errors.append(f"{shown}: expected a mapping of sections ({', '.join(SECTIONS)})")
            continue
        for section, items in data.items():
            if section not in SECTIONS:
                errors.append(f"{shown}: unknown section {section!r} (known: {', '.join(SECTIONS)})")
                continue
            if not isinstance(items, list):
                errors.append(f"{shown}: {section}: expected a list of entries")
                continue
            for index, item in enumerate(items):
                entry = Entry(section, index, shown, item if isinstance(item, dict) else {})
                if not isinstance(item, dict):
                    errors.append(f"{entry.where}: expected a mapping of fields")
                elif problems := _not_json(item, entry.where):
                    errors.extend(problems)
                elif section == "saml_service_providers":
                    errors.extend(_read_metadata(entry, folder))
                by_section[section].append(entry)
    errors.extend(_duplicates(by_section))
    if errors:
        raise SeedFolderError(errors)
    return SeedFolder(folder, [e for entries in by_section.values() for e in entries])


def _read_metadata(entry: Entry, folder: Path) -> list[str]:
    unknown = sorted(set(entry.body) - {"metadata", *_SAML_FLAGS})
    if unknown:
        return [f"{entry.where}.{unknown[0]}: unknown field (known: metadata, {', '.join(_SAML_FLAGS)})"]
    for flag in _SAML_FLAGS:
        if flag in entry.body and not isinstance(entry.body[flag], bool):
            return [f"{entry.where}.{flag}: expected true or false"]
    name = entry.body.get("metadata")
    if not isinstance(name, str) or not name:
        return [f"{entry.where}.metadata: the name of an SP metadata XML file in the seed folder"]
    path = (folder / name).resolve()
    if not path.is_relative_to(folder.resolve()) or not path.is_file():
        return [f"{entry.where}.metadata: no file {name!r} in the seed folder"]
    entry.content = path.read_bytes()
    return []


def _duplicates(by_section: dict[str, list[Entry]]) -> list[str]:
    keys = {"identities": "id", "clients": "client_id", "originators": "originatorId", "authorities": "ars",
            "leitweg_ids": "leitweg_id", "fitconnect_destinations": "name"}
    errors = []
    for section, key in keys.items():
        seen: dict[Any, Entry] = {}
        for entry in by_section[section]:
            value = entry.body.get(key)
            if value is None or not isinstance(value, str | int):
                continue
            if value in seen:
                errors.append(f"{entry.where}.{key}: {value!r} is given twice (also {seen[value].where})")
            seen[value] = entry
    return errors


# -- applying --------------------------------------------------------------------------------------------------

def _field_path(pointer: str) -> str:
    """JSON pointer ``/attributes/birthdate`` or ``/leitweg_ids/0`` → ``.attributes.birthdate``, ``.leitweg_ids[0]``."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    return "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in parts)


def refusal(entry: Entry, answer: httpx.Response, prefix: str = "") -> list[str]:
    """A service's problem answer as messages naming the file and the field."""
    try:
        problem = answer.json()
    except ValueError:
        problem = {}
    if not isinstance(problem, dict):
        problem = {}
    where = entry.where + prefix
    if entry.section == "saml_service_providers" and answer.status_code in (415, 422):
        where += ".metadata"
    details = [e for e in problem.get("errors") or [] if isinstance(e, dict)]
    if details:
        return [f"{where}{_field_path(str(e.get('pointer', '')))}: {e.get('detail', '')}" for e in details]
    return [f"{where}: {problem.get('detail') or problem.get('title') or f'HTTP {answer.status_code}'}"]


class Applier:
    """Posts a seed folder's entries to the services' controls."""

    def __init__(self, peers: Peers) -> None:
        self.peers = peers

    async def post(self, service: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**kwargs.pop("headers", {}), **self.peers.control_headers()}
        return await self.peers.client(service).request(method, path, headers=headers, timeout=TIMEOUT_SECONDS,
                                                        **kwargs)

    async def apply(self, folder: SeedFolder) -> list[str]:
        """Register every entry; answers the problems (an entry a service refused does not stop the others)."""
        errors: list[str] = []
        for entry in folder.entries:
            section = SECTIONS[entry.section]
            try:
                answer = await self._send(section, entry)
                if answer.status_code == 409 and section.on_conflict is not None:
                    errors.extend(await section.on_conflict(self, entry))
                elif answer.status_code >= 400:
                    errors.extend(refusal(entry, answer))
            except httpx.TransportError as exc:
                errors.append(f"{entry.where}: {section.service} is unreachable ({type(exc).__name__})")
            except Exception as exc:  # an in-process service's crash arrives as its exception
                errors.append(f"{entry.where}: {section.service} failed ({type(exc).__name__}: {exc})")
        return errors

    async def _send(self, section: Section, entry: Entry) -> httpx.Response:
        if entry.section == "saml_service_providers":
            params = {f: str(entry.body[f]).lower() for f in _SAML_FLAGS if f in entry.body}
            return await self.post(section.service, "POST", section.path, params=params, content=entry.content,
                                   headers={"content-type": SAML_METADATA_TYPE})
        body = entry.body
        if entry.section == "fitconnect_destinations" and "destination_id" not in body:
            body = {**body, "destination_id": destination_id(str(body.get("name", "")))}
        return await self.post(section.service, "POST", section.path, json=body)


def destination_id(name: str) -> str:
    """A destination of the seed folder keeps its id (and its keys) across resets and machines: derived from its
    name, as the built-in destinations' ids are derived from their ARS."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:basisdienste:seed-folder:fitconnect:destination:{name}"))


async def _update_identity(applier: Applier, entry: Entry) -> list[str]:
    changes = {k: v for k, v in entry.body.items() if k not in ("id", "kind", "username")}
    answer = await applier.post("nutzerkonto", "PATCH", f"/_emulator/identities/{entry.body['id']}", json=changes)
    return refusal(entry, answer) if answer.status_code >= 400 else []


async def _update_originator(applier: Applier, entry: Entry) -> list[str]:
    body = entry.body
    changes = {k: body[k] for k in ("webhookUrl", "webhookSecret", "oauthClients") if k in body}
    path = f"/_emulator/originators/{body['originatorId']}"
    answer = await applier.post("bezahlplattform", "PATCH", path, json=changes)
    if answer.status_code >= 400:
        return refusal(entry, answer)
    errors = []
    for index, endpoint in enumerate(body.get("endpoints") or []):
        answer = await applier.post("bezahlplattform", "POST", f"{path}/endpoints", json=endpoint)
        if answer.status_code >= 400 and answer.status_code != 409:
            errors.extend(refusal(entry, answer, f".endpoints[{index}]"))
    return errors


async def _keep(_: Applier, __: Entry) -> list[str]:
    return []


SECTIONS: dict[str, Section] = {
    "identities": Section("nutzerkonto", "/_emulator/identities", "test identities (POST /_emulator/nutzerkonto/"
                          "identities)", _update_identity),
    "clients": Section("nutzerkonto", "/_emulator/clients", "OIDC/OAuth clients"),
    "saml_service_providers": Section("nutzerkonto", "/_emulator/service-providers", "SAML SPs by metadata file"),
    "originators": Section("bezahlplattform", "/_emulator/originators", "online services with their offices",
                           _update_originator),
    "authorities": Section("rechnungseingang", "/_emulator/authorities", "invoice recipients with Leitweg-IDs"),
    "leitweg_ids": Section("rechnungseingang", "/_emulator/leitweg-ids", "Leitweg-IDs routed to an authority"),
    "fitconnect_destinations": Section("postfach", "/_emulator/fitconnect/destinations", "FIT-Connect destinations",
                                       _keep),
}


# -- in the suite's life ---------------------------------------------------------------------------------------

class SeedFolderLoader:
    """The folder as ``up --seed`` loads it: once when the suite starts, and around every reset."""

    def __init__(self, path: Path, *, peers: Peers, services: list[str], clock: Clock) -> None:
        self.path = path
        self.peers = peers
        self.services = services
        self.clock = clock

    async def at_start(self) -> SeedFolder:
        """Read and register the folder; if any service refuses an entry, put every service's data back as it was
        (a data directory keeps no half of a refused folder) and raise the problems."""
        folder = await asyncio.to_thread(read, self.path)
        before = await snapshots.take(self.peers, self.services, self.clock)
        try:
            errors = await Applier(self.peers).apply(folder)
        except Exception:
            await snapshots.restore(self.peers, self.services, self.clock, before)
            raise
        if errors:
            await snapshots.restore(self.peers, self.services, self.clock, before)
            raise SeedFolderError(errors)
        return folder

    async def around_reset(self, reset: Callable[[], Awaitable[None]]) -> None:
        """The folder is read again first (an edited file applies; a broken one refuses the reset, which then changes
        nothing), the suite reset, the folder registered. If a service refuses an entry, the suite is reset once
        more, to the built-in seed data alone, and the reset answers the problems."""
        try:
            folder = await asyncio.to_thread(read, self.path)
        except SeedFolderError as exc:
            raise _problem(exc.errors, "nothing was reset") from exc
        await reset()
        errors = await Applier(self.peers).apply(folder)
        if errors:
            await reset()
            raise _problem(errors, "the suite was reset to the built-in seed data alone")


def _problem(errors: list[str], outcome: str) -> Problem:
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return Problem(422, f"The seed folder was refused: {errors[0]}{more}; {outcome}.", type_="seed-folder-refused",
                   title="Seed folder refused", errors=errors)
