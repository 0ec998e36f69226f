"""One OpenAPI document for the whole suite: each service's paths under ``/<service>``, its controls under
``/_emulator/<service>`` (where the gateway serves them), its schemas renamed ``<Service><Schema>`` so that two
services may both have a ``Problem`` or ``Payment``."""

import copy
import re
from typing import Any

_REF = re.compile(r"^#/components/schemas/(.+)$")


def _prefix_refs(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and (m := _REF.match(value)):
                out[key] = f"#/components/schemas/{prefix}{m.group(1)}"
            else:
                out[key] = _prefix_refs(value, prefix)
        return out
    if isinstance(node, list):
        return [_prefix_refs(item, prefix) for item in node]
    return node


def merge(gateway_doc: dict[str, Any], service_docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Merge the gateway's own document with each service's. A service's ``/_emulator/...`` is listed as the
    gateway's ``/_emulator/<service>/...``: the gateway forwards it there, and refuses ``/<service>/_emulator``."""
    merged = copy.deepcopy(gateway_doc)
    merged.setdefault("paths", {})
    schemas = merged.setdefault("components", {}).setdefault("schemas", {})
    tags = merged.setdefault("tags", [])
    for name, doc in service_docs.items():
        prefix = name.capitalize()
        doc = _prefix_refs(doc, prefix)
        controls_tag = f"{name} emulator"
        tags.append({"name": name, "description": doc.get("info", {}).get("description", "")})
        tags.append({"name": controls_tag, "description": f"Emulator controls of the {name}: its part of reset, "
                                                         "clock, seed and faults, and its own."})
        for path, item in doc.get("paths", {}).items():
            control = path == "/_emulator" or path.startswith("/_emulator/")
            for operation in item.values():
                if isinstance(operation, dict) and "responses" in operation:
                    operation["tags"] = [controls_tag if control else name]
                    if "operationId" in operation:
                        operation["operationId"] = f"{name}_{operation['operationId']}"
                    if "security" in operation:
                        operation["security"] = [{prefix + k: v for k, v in requirement.items()}
                                                 for requirement in operation["security"]]
            if control:
                merged["paths"][f"/_emulator/{name}{path.removeprefix('/_emulator')}"] = item
            else:
                merged["paths"][f"/{name}{path}"] = item
        for schema_name, schema in doc.get("components", {}).get("schemas", {}).items():
            schemas[prefix + schema_name] = schema
        for scheme_name, scheme in doc.get("components", {}).get("securitySchemes", {}).items():
            merged["components"].setdefault("securitySchemes", {})[f"{prefix}{scheme_name}"] = scheme
    return merged
