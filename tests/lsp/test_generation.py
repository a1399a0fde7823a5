"""Specification of the model's worker (`lsp/generation.py`): one thread, warm-ups cancelled by a
real request, except the request's own warm-up already at work, which the request waits for."""

from __future__ import annotations

import asyncio
import threading

import pytest

from penna.lsp.generation import GenerationRunner
from penna.writing.backend import CancelToken


def _blocking_warm_up(runner: GenerationRunner, order: list[str]) -> tuple[CancelToken, threading.Event,
                                                                            threading.Event]:
    """A warm-up at work on the worker until `release` is set."""
    token, started, release = CancelToken(), threading.Event(), threading.Event()

    def warm(job_token: CancelToken) -> None:
        started.set()
        release.wait(timeout=30)
        order.append("warm-up cancelled" if job_token.cancelled else "warm-up done")

    runner.submit_warm(warm, token)
    assert started.wait(timeout=30)
    return token, started, release


async def _ask(runner: GenerationRunner, order: list[str], release: threading.Event,
               keep: CancelToken | None) -> str:
    """A request asked while the warm-up is at work, which then ends; it runs only after it."""
    request = asyncio.ensure_future(runner.run(lambda _t: order.append("request") or "answer", keep=keep))
    await asyncio.sleep(0.05)
    assert order == []  # the request waits behind the warm-up on the one worker
    release.set()
    return await request


def test_a_request_cancels_every_warm_up() -> None:
    runner, order = GenerationRunner(), []
    try:
        token, _started, release = _blocking_warm_up(runner, order)
        waiting = CancelToken()
        runner.hold_warm(waiting)

        assert asyncio.run(_ask(runner, order, release, keep=None)) == "answer"
        assert token.cancelled and waiting.cancelled
        assert order == ["warm-up cancelled", "request"]
    finally:
        runner.shutdown()


def test_a_request_waits_for_its_own_warm_up_at_work_and_cancels_the_others() -> None:
    runner, order = GenerationRunner(), []
    try:
        own, _started, release = _blocking_warm_up(runner, order)
        other = CancelToken()
        runner.hold_warm(other)

        assert asyncio.run(_ask(runner, order, release, keep=own)) == "answer"
        assert not own.cancelled and other.cancelled
        assert order == ["warm-up done", "request"]
    finally:
        runner.shutdown()


def test_cancelling_a_request_that_waits_for_a_warm_up_cancels_both() -> None:
    runner, order = GenerationRunner(), []
    try:
        own, _started, release = _blocking_warm_up(runner, order)
        request_token = CancelToken()

        def request(token: CancelToken) -> str:
            order.append("request cancelled" if token.cancelled else "request")
            return "answer"

        async def ask_then_cancel() -> None:
            task = asyncio.ensure_future(runner.run(request, cancel=request_token, keep=own))
            await asyncio.sleep(0.05)
            task.cancel()
            await asyncio.sleep(0.05)
            release.set()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(ask_then_cancel())
        assert own.cancelled and request_token.cancelled
        assert order == ["warm-up cancelled", "request cancelled"]
    finally:
        runner.shutdown()
