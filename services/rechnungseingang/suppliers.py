"""Who a supplier is: a company logged in with Mein Unternehmenskonto (ELSTER) at the Nutzerkonto. The API takes
its bearer token (audience ``rechnungseingang``); the supplier is the token's subject, the same pseudonym the web
portal's OIDC login yields, so both channels show the same invoices."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends

from kit.problems import Problem
from kit.tokens import require_token

# The authentication method reference of an ELSTER software certificate login (Mein Unternehmenskonto).
ELSTER_AMR = "swk"


@dataclass(frozen=True)
class Supplier:
    sub: str
    name: str | None = None


def supplier_from_claims(claims: dict[str, Any]) -> Supplier:
    amr = claims.get("amr") or []
    if not claims.get("sub") or claims.get("sub") == claims.get("client_id") or ELSTER_AMR not in amr:
        raise Problem(403, "Rechnungen reichen Unternehmen mit ihrem Unternehmenskonto (Mein Unternehmenskonto, "
                      "ELSTER) ein; dieses Token gehört zu keiner solchen Anmeldung.", type_="supplier-login-required",
                      title="Forbidden")
    return Supplier(sub=str(claims["sub"]), name=claims.get("organization_name") or claims.get("name"))


async def _current_supplier(claims: Annotated[dict[str, Any], Depends(require_token())]) -> Supplier:
    return supplier_from_claims(claims)


SupplierDep = Annotated[Supplier, Depends(_current_supplier)]
