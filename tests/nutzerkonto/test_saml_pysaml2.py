"""Logins through both bindings as pysaml2 sees them: it signs its requests, wants signed responses and signed
assertions, and decrypts the assertion with the xmlsec1 binary."""

from pathlib import Path

import httpx
import pytest
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.response import StatusAuthnFailed, StatusNoAuthnContext

from tests.nutzerkonto.saml_sp import (
    TRANSIENT,
    KeyPair,
    Pysaml2Sp,
    log_in,
    make_keypair,
    read_post_form,
    register,
    to_login_page,
)


@pytest.fixture(scope="module")
def keys() -> KeyPair:
    return make_keypair("pysaml2 SP")


@pytest.fixture
async def sp(client: httpx.AsyncClient, keys: KeyPair, tmp_path: Path) -> Pysaml2Sp:
    service = Pysaml2Sp((await client.get("/nutzerkonto/saml/metadata")).text, keys=keys, directory=tmp_path)
    registered = await register(client, service.metadata())
    assert registered["authn_requests_signed"] and registered["encrypt_assertion"]
    return service


@pytest.mark.parametrize("binding", [BINDING_HTTP_REDIRECT, BINDING_HTTP_POST])
@pytest.mark.parametrize(("requested", "method", "reached"), [
    ("STORK-QAA-Level-1", "Benutzername", "STORK-QAA-Level-1"),
    ("STORK-QAA-Level-3", "Elster", "STORK-QAA-Level-3"),
    ("STORK-QAA-Level-4", "eID", "STORK-QAA-Level-4"),
])
async def test_login_through_each_binding(client: httpx.AsyncClient, sp: Pysaml2Sp, binding: str, requested: str,
                                          method: str, reached: str) -> None:
    answer, request_id = await sp.send(client, binding, requested)
    login = await to_login_page(client, answer)
    form = read_post_form((await log_in(client, login, method=method)).text)
    assert form.fields["RelayState"] == "pysaml2-state"

    response = sp.consume(form, request_id)
    assert response is not None
    assert response.in_response_to == request_id
    assert response.name_id.format == TRANSIENT
    assert [context for context, _, _ in response.authn_info()] == [reached]
    identity = response.get_identity()
    assert identity["givenName"] == ["Erika"]
    assert identity["postOfficeBox"] == ["14233873-c709-524f-8de8-2bb055f50178"]  # urn:oid:2.5.4.18


async def test_cancel_reaches_pysaml2_as_authn_failed(client: httpx.AsyncClient, sp: Pysaml2Sp) -> None:
    answer, request_id = await sp.send(client, BINDING_HTTP_POST)
    login = await to_login_page(client, answer)
    form = read_post_form((await log_in(client, login, action="cancel")).text)
    with pytest.raises(StatusAuthnFailed, match=r"Authentication was canceled by the user\."):
        sp.consume(form, request_id)


async def test_forced_error_reaches_pysaml2_as_no_authn_context(client: httpx.AsyncClient, sp: Pysaml2Sp) -> None:
    await client.post("/_emulator/nutzerkonto/next-login", json={"outcome": "error"})
    answer, request_id = await sp.send(client, BINDING_HTTP_REDIRECT)
    login = await to_login_page(client, answer)
    form = read_post_form((await log_in(client, login)).text)
    with pytest.raises(StatusNoAuthnContext):
        sp.consume(form, request_id)
