"""Nothing lost: ``basisdienste serve bezahlplattform`` is killed with SIGKILL while webhooks are pending (some
waiting for a retry after receiver failures, some in flight) and started again on the same database; every
webhook then arrives at the receiver, each event at least once."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.bezahlplattform.conftest import KOBLENZ
from tests.bezahlplattform.webhook_receiver import WebhookReceiver
from tests.bezahlplattform.xbd_client import XBezahldiensteClient, basic, payment_request
from tests.browser import free_port

BASISDIENSTE = Path(sys.executable).with_name("basisdienste")
SECRET = "whsec_restart_test_1"


class Service:
    """One ``basisdienste serve bezahlplattform`` process on a fixed port and data directory."""

    def __init__(self, tmp_path: Path, database_url: str | None, port: int) -> None:
        self.tmp_path = tmp_path
        self.database_url = database_url
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BASISDIENSTE_")}
        args = [str(BASISDIENSTE), "serve", "bezahlplattform", "--port", str(self.port), "--data-dir",
                str(self.tmp_path / "data")]
        if self.database_url:
            args += ["--database-url", self.database_url]
        log = (self.tmp_path / "serve.log").open("ab")
        self.process = subprocess.Popen(args, cwd=self.tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        pytest.fail("the service did not come up:\n" + (self.tmp_path / "serve.log").read_text())

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def service(tmp_path: Path, database_url: str | None) -> Iterator[Service]:
    running = Service(tmp_path, database_url, free_port())
    try:
        yield running
    finally:
        running.stop()


async def test_sigkill_with_pending_webhooks_loses_nothing(service: Service) -> None:
    # The test moves the kit clock 15 minutes; deliveries signed just before and after that are both fresh.
    receiver = WebhookReceiver(SECRET, tolerance=3600)
    await receiver.start()
    try:
        service.start()
        async with httpx.AsyncClient(base_url=service.base, timeout=30) as http:
            registered = await http.post("/_emulator/originators", json={
                "originatorId": "sperrmuell", "name": "Sperrmüllabholung", "basicUsername": "sperrmuell",
                "basicPassword": "sperrmuell-passwort", "webhookUrl": receiver.url, "webhookSecret": SECRET,
                "endpoints": [{"endpointId": KOBLENZ, "name": "Stadt Koblenz", "serviceName": "Sperrmüll"}]})
            assert registered.status_code == 201, registered.text
            api = XBezahldiensteClient(http, "", "sperrmuell", KOBLENZ, basic("sperrmuell", "sperrmuell-passwort"))
            expected: set[tuple[str, str]] = set()

            # First the receiver is down: these webhooks wait for their retry (backoff).
            receiver.fail_with = 503
            for _ in range(5):
                transaction = (await api.create(amount=25.0, items=[]))["paymentInformation"]["transactionId"]
                expected.add((transaction, "payment.created"))
                assert (await api.cancel(transaction)).status_code == 200
                expected.add((transaction, "payment.canceled"))
            await receiver.wait_for(lambda r: r.deliveries >= 5)

            # Then deliveries hang (the platform is slow to send): these are in flight when the process dies.
            fault = await http.post("/_emulator/webhooks/faults", json={"delayMs": 60_000})
            assert fault.status_code == 201
            for _ in range(5):
                transaction = (await api.create_raw(payment_request(amount=25.0, items=[]))).json()[
                    "paymentInformation"]["transactionId"]
                expected.add((transaction, "payment.created"))
            pending = [w for w in (await http.get("/_emulator/webhooks?limit=1000")).json()
                       if w["status"] == "pending"]
            assert len(pending) == 15

        service.kill()
        receiver.fail_with = None
        assert not receiver.events

        service.start()
        async with httpx.AsyncClient(base_url=service.base, timeout=30) as http:
            # Past every lease and backoff of the dead process (the kit clock moves, the receiver's clock with it).
            advanced = await http.post("/_emulator/clock", json={"advance": "PT15M"})
            assert advanced.status_code == 200
            await receiver.wait_for(lambda r: len(r.events) == 15, timeout=60)
            got = {(e["data"]["object"]["paymentInformation"]["transactionId"], e["type"])
                   for e in receiver.events.values()}
            assert got == expected
            assert receiver.rejected == 0
            listed = (await http.get("/_emulator/webhooks?limit=1000")).json()
            for _ in range(50):
                if all(w["status"] == "delivered" for w in listed):
                    break
                await asyncio.sleep(0.1)
                listed = (await http.get("/_emulator/webhooks?limit=1000")).json()
            assert {w["status"] for w in listed} == {"delivered"}
    finally:
        await receiver.stop()
