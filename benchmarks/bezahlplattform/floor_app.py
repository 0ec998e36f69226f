"""The least a FastAPI service can do per request: one GET route that answers a constant status document of the
size of a payment's, no middleware, no database, no authentication. Its read rate is the ceiling of any read
path built on FastAPI + uvicorn on this machine, measured in the same run as localstripe's.

Run by the benchmark as ``python -m uvicorn benchmarks.bezahlplattform.floor_app:app``.
"""

from typing import Any

from fastapi import FastAPI

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

_STATUS: dict[str, Any] = {
    "paymentInformation": {
        "transactionId": "019a4e2b7c10d5e8f1a2b3c4d5e6f708", "transactionReference": "71120260000013",
        "transactionTimestamp": "2026-11-22T09:51:19.721Z", "paymentMethod": "CREDITCARD",
        "paymentMethodDetail": "VISA", "transactionStatus": "PAYED", "statusDetail": None,
        "transactionUrl": "http://127.0.0.1:8000/bezahlplattform/paymenttransaction/bewohnerparkausweis/"
                          "071110000000/019a4e2b7c10d5e8f1a2b3c4d5e6f708",
    },
    "paymentRequest": {
        "requestId": "read-0123456789ab", "currency": "EUR", "grosAmount": 30, "purpose": "Bewohnerparkausweis",
        "redirectUrl": "https://onlinedienst.example/zurueck",
        "items": [{"id": "1", "totalNetAmount": 30, "totalTaxAmount": 0,
                   "bookingData": {"Haushaltsstelle": "1.2.2.01.431100"}}],
    },
}


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "pass"}


@app.get("/status/{transaction_id}")
async def status(transaction_id: str) -> dict[str, Any]:
    return _STATUS
