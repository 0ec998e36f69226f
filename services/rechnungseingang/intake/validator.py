"""Holds the KoSIT-equivalent validator (``services.rechnungseingang.validation``) for the running service.

Loading compiles the stylesheets (seconds), so it starts in a worker thread when the service starts and requests
wait for it only if they come first. The compiled validator is immutable and shared by every app in the process:
tests start the suite many times and must not pay the compilation each time. Validations run on a dedicated
thread pool, off the event loop; one worker by default keeps Saxon on a single thread.
"""

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from kit.faults import Faults
from kit.problems import Problem

log = logging.getLogger("basisdienste.rechnungseingang.validator")

_shared: dict[str, Any] = {}
_shared_lock = threading.Lock()


class ValidatorLike(Protocol):
    def validate(self, xml: bytes) -> Any: ...


def _load_real() -> ValidatorLike:
    with _shared_lock:
        if "validator" not in _shared:
            from services.rechnungseingang.validation import Validator

            _shared["validator"] = Validator.load()
        return _shared["validator"]  # type: ignore[no-any-return]


def unsafe_xml_type() -> type[Exception]:
    """The validator's refusal of DOCTYPEs and entities (its module may still be loading or missing)."""
    try:
        from services.rechnungseingang.validation import UnsafeXml
    except ImportError:
        return _NeverRaised
    return UnsafeXml  # type: ignore[no-any-return]


class _NeverRaised(Exception):
    pass


class ValidatorHolder:
    def __init__(self, faults: Faults, *, workers: int = 1,
                 loader: Callable[[], ValidatorLike] = _load_real) -> None:
        self.faults = faults
        self.loader = loader
        self.workers = workers
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._loading: asyncio.Future[ValidatorLike] | None = None
        self._validator: ValidatorLike | None = None

    def replace(self, validator: ValidatorLike) -> None:
        """Use this validator from now on (tests use small fakes)."""
        self._validator = validator

    def _pool(self) -> concurrent.futures.ThreadPoolExecutor:
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(self.workers, thread_name_prefix="validation")
        return self._executor

    def start_loading(self) -> None:
        if self._validator is None and self._loading is None:
            self._loading = asyncio.ensure_future(asyncio.get_running_loop().run_in_executor(self._pool(),
                                                                                              self.loader))
            self._loading.add_done_callback(self._loaded)

    def _loaded(self, future: "asyncio.Future[ValidatorLike]") -> None:
        if future.cancelled():
            return
        if future.exception() is not None:
            log.error("the validator could not be loaded: %s", future.exception())

    @property
    def ready(self) -> bool:
        return self._validator is not None or (self._loading is not None and self._loading.done()
                                               and self._loading.exception() is None)

    async def get(self) -> ValidatorLike:
        if self._validator is not None:
            return self._validator
        self.start_loading()
        assert self._loading is not None
        try:
            self._validator = await asyncio.shield(self._loading)
        except Exception as exc:
            self._loading = None  # the next request tries again
            raise Problem(503, "Der Prüfdienst (Validator) steht gerade nicht zur Verfügung; bitte später erneut "
                          "einreichen.", type_="validator-unavailable", title="Validator unavailable") from exc
        return self._validator

    async def validate(self, xml: bytes) -> Any:
        """The validator's report for ``xml``; the fault point ``validation`` makes it fail on demand."""
        await self.faults.check("validation")
        validator = await self.get()
        return await asyncio.get_running_loop().run_in_executor(self._pool(), validator.validate, xml)

    def close(self) -> None:
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
