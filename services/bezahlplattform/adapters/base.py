"""The one small interface every payment method implements, and what a checkout step can answer.

An adapter sees the open payment through :class:`CheckoutContext` and answers each page request with a page to
show, a redirect, a final outcome (:class:`Finish`) or :class:`KeepOpen` (the user will pay outside, e.g. by bank
transfer). The checkout (``checkout/flow.py``) turns outcomes into conditional state changes; adapters never change
a payment's status themselves.
"""

import abc
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from kit.service import ServiceRuntime
from services.bezahlplattform.models import Endpoint, Payment


@dataclass
class Page:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    status: int = 200


@dataclass
class Redirect:
    url: str


@dataclass
class Finish:
    status: str  # PAYED | FAILED | CANCELED
    detail: str | None
    method_detail: str | None = None


@dataclass
class KeepOpen:
    detail: str


Answer = Page | Redirect | Finish | KeepOpen


@dataclass
class CheckoutContext:
    session: AsyncSession
    runtime: ServiceRuntime
    base_url: str
    payment: Payment
    endpoint: Endpoint

    @property
    def now(self) -> dt.datetime:
        return self.runtime.clock.now()

    def url(self, adapter: str, step: str = "") -> str:
        """Absolute path of an adapter's step on this checkout (for form actions and redirects)."""
        path = f"{self.base_url}/checkout/{self.payment.id}/{adapter}"
        return f"{path}/{step}" if step else path

    def remember(self, **values: Any) -> None:
        """Keep adapter state on the payment (assigning a new dict, so SQLAlchemy sees the change)."""
        self.payment.checkout_state = {**(self.payment.checkout_state or {}), **values}


class PaymentAdapter(abc.ABC):
    """A payment method on the hosted checkout. Subclasses set the class attributes and override the steps."""

    name: ClassVar[str]  # URL segment and registry key: "creditcard"
    label: ClassVar[str]  # German, as the choice page shows it
    hint: ClassVar[str] = ""
    payment_method: ClassVar[str]  # the XBezahldienste enum value: GIROPAY | PAYDIRECT | CREDITCARD | PAYPAL | OTHER
    method_detail: ClassVar[str | None] = None

    def unavailable_reason(self, ctx: CheckoutContext) -> str | None:
        """Why this method cannot take this payment now (shown to the user); None when it can."""
        return None

    @abc.abstractmethod
    async def show(self, ctx: CheckoutContext, step: str, query: dict[str, str]) -> Answer:
        """GET of a step; the main step (``""``) shows the method's form."""

    @abc.abstractmethod
    async def submit(self, ctx: CheckoutContext, step: str, form: dict[str, str]) -> Answer:
        """POST of a step's form (a cancel never reaches the adapter)."""
