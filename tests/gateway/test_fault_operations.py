"""A fault names an operation that exists (a route's name or a step the service names), or it is refused: a fault
for a misspelt name would never fire, and the test that armed it would pass for the wrong reason."""

import httpx
import pytest

from kit.faults import Faults, FaultSpec
from kit.problems import PROBLEM_MEDIA_TYPE, Problem
from kit.settings import SERVICE_NAMES

# Each service's own fault points (faults.check outside a route), as its docs and controls name them.
STEPS = {
    "nutzerkonto": ["outbox.deliver"],
    "postfach": ["outbox.deliver", "mailbox.deliver", "mailbox.retrieval_confirmation",
                 "fitconnect.destination.{destination_id}"],
    "bezahlplattform": ["outbox.deliver", "webhook.deliver"],
    "bescheid": ["outbox.deliver", "tsa.timestamp"],
    "rechnungseingang": ["outbox.deliver", "validation", "virus-scan", "forwarding", "erp-webhook"],
}


def test_every_service_is_covered() -> None:
    assert sorted(STEPS) == sorted(SERVICE_NAMES)


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_an_unknown_operation_is_refused_with_the_names_there_are(service: str,
                                                                   basisdienste_http: httpx.Client) -> None:
    answer = basisdienste_http.post("/_emulator/faults", json={
        "service": service, "operation": "no_such_operation", "status": 503})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM_MEDIA_TYPE
    problem = answer.json()
    assert problem["status"] == 422
    assert problem["type"].endswith(":unknown-operation")
    assert problem["service"] == service and problem["operation"] == "no_such_operation"
    assert {"health", *STEPS[service]} <= set(problem["operations"])
    assert "no_such_operation" not in problem["operations"]
    assert basisdienste_http.get("/_emulator/faults").json() == []


def test_a_service_refuses_it_at_its_own_control_too(basisdienste_http: httpx.Client) -> None:
    answer = basisdienste_http.post("/_emulator/postfach/faults", json={"operation": "zbp_send_mesage", "status": 500})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert "zbp_send_message" in answer.json()["operations"]
    assert "Did you mean 'zbp_send_message'" in answer.json()["detail"]


@pytest.mark.parametrize(("service", "operation"), [
    ("postfach", "zbp_send_message"),  # a route
    ("nutzerkonto", "oidc_token"),
    ("bescheid", "tsa.timestamp"),  # a step the service names
    ("postfach", "outbox.deliver"),  # the kit's step, in every service
    ("postfach", "fitconnect.destination.6f1d7c1e-4d9a-4b8e-9b53-2a7f1f0c3e11"),  # one of a family
])
def test_known_operations_are_armed(service: str, operation: str, basisdienste_http: httpx.Client) -> None:
    answer = basisdienste_http.post("/_emulator/faults", json={"service": service, "operation": operation,
                                                               "status": 503, "times": 1})
    assert answer.status_code == 201, answer.text
    assert [f["operation"] for f in basisdienste_http.get("/_emulator/faults").json()] == [operation]


def test_an_armed_route_fault_fires(basisdienste_http: httpx.Client) -> None:
    assert basisdienste_http.post("/_emulator/faults", json={
        "service": "bescheid", "operation": "health", "status": 503, "times": 1}).status_code == 201
    assert basisdienste_http.get("/bescheid/health").status_code == 503
    assert basisdienste_http.get("/bescheid/health").status_code == 200


def test_faults_know_their_routes_and_steps() -> None:
    faults = Faults("test", steps=["outbox.deliver", "destination.{id}"])
    assert faults.knows("outbox.deliver") and faults.knows("destination.abc")
    assert not faults.knows("destination.") and not faults.knows("outbox")
    with pytest.raises(Problem) as refused:
        faults.add(FaultSpec(operation="outbox.delivr", status=503))
    assert refused.value.status == 422
    assert refused.value.extensions["operations"] == ["destination.{id}", "outbox.deliver"]
    assert faults.list() == []


def test_faults_of_nothing_take_any_name() -> None:
    """A Faults that no app or step names anything for (a unit test's own) cannot tell, so it refuses nothing."""
    assert Faults("test").add(FaultSpec(operation="anything", status=500)).operation == "anything"
