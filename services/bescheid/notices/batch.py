"""Batch jobs for mass notices: the request stores the validated items and answers 202 at once; a background
task issues them one by one (each in its own transaction, with its own outcome) and records progress. Jobs left
unfinished by a stopped process are resumed at startup from the first item without an outcome."""

import asyncio
import logging
import uuid
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from kit.problems import Problem
from kit.service import ServiceRuntime
from services.bescheid.models import BatchJob
from services.bescheid.notices import repository, service
from services.bescheid.notices.schemas import BatchIn, BatchItemResult, BatchOut, BescheidIn
from services.bescheid.state import BescheidState

log = logging.getLogger("basisdienste.bescheid.batch")


async def create(session: AsyncSession, runtime: ServiceRuntime, body: BatchIn, *, client_id: str) -> BatchJob:
    now = runtime.clock.now()
    job = BatchJob(id=str(uuid.uuid4()), client_id=client_id, status="queued", total=len(body.items), done=0,
                   items=[i.model_dump(mode="json", by_alias=True, exclude_none=True) for i in body.items],
                   results=[], created_at=now, finished_at=None)
    session.add(job)
    await session.flush()
    return job


def describe(job: BatchJob) -> BatchOut:
    results = [BatchItemResult(**r) for r in job.results]
    succeeded = sum(r.status == "created" for r in results)
    return BatchOut(id=job.id, status=job.status, total=job.total, done=job.done,  # type: ignore[arg-type]
                    succeeded=succeeded, failed=len(results) - succeeded, created_at=job.created_at,
                    finished_at=job.finished_at, results=results)


def start(state: BescheidState, runtime: ServiceRuntime, batch_id: str) -> None:
    task = asyncio.get_running_loop().create_task(run(state, runtime, batch_id), name=f"bescheid-batch-{batch_id}")
    state.batch_tasks.add(task)
    task.add_done_callback(state.batch_tasks.discard)


def start_after_commit(session: AsyncSession, state: BescheidState, runtime: ServiceRuntime, batch_id: str) -> None:
    def after_commit(_: Session) -> None:
        start(state, runtime, batch_id)

    event.listen(session.sync_session, "after_commit", after_commit, once=True)


async def run(state: BescheidState, runtime: ServiceRuntime, batch_id: str) -> None:
    try:
        while await _next(state, runtime, batch_id):
            pass
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("batch %s stopped; it resumes at the next start", batch_id)


async def _next(state: BescheidState, runtime: ServiceRuntime, batch_id: str) -> bool:
    """Issue the next item of the job in one transaction with its outcome; answers whether items remain."""
    async with runtime.db.sessionmaker() as session:
        job = await repository.get_batch(session, batch_id)
        if job is None or job.status == "completed":
            return False
        index = job.done
        if index >= job.total:
            job.status, job.finished_at = "completed", runtime.clock.now()
            await session.commit()
            return False
        job.status = "running"
        result: dict[str, Any] = {"index": index}
        try:
            async with session.begin_nested():
                bescheid = await service.issue(session, state, runtime, BescheidIn.model_validate(job.items[index]),
                                               client_id=job.client_id, batch_id=job.id)
            result.update(status="created", bescheid_id=bescheid.id, number=bescheid.number)
        except Problem as problem:
            result.update(status="failed", problem=problem.body())
        job.results = [*job.results, result]
        job.done = index + 1
        if job.done >= job.total:
            job.status, job.finished_at = "completed", runtime.clock.now()
        await session.commit()
        return job.done < job.total


async def resume(state: BescheidState, runtime: ServiceRuntime) -> None:
    async with runtime.db.sessionmaker() as session:
        pending = list(await repository.unfinished_batches(session))
    for batch_id in pending:
        start(state, runtime, batch_id)
