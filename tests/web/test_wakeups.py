"""Thread futures reach the event loop with one wake-up per burst, results and errors intact."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import Any

import pytest

from fireline.web.wakeups import Wakeups


class _CountingLoop:
    """Counts `call_soon_threadsafe` on a real loop (each one is a write to its self-pipe)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.wakeups = 0
        self._original = loop.call_soon_threadsafe

        def counted(callback: Any, *args: Any, **kwargs: Any) -> Any:
            self.wakeups += 1
            return self._original(callback, *args, **kwargs)

        loop.call_soon_threadsafe = counted  # type: ignore[method-assign]


def test_a_burst_of_finished_futures_wakes_the_loop_once() -> None:
    async def main() -> tuple[list[int], int]:
        loop = asyncio.get_running_loop()
        counting = _CountingLoop(loop)
        wakeups: Wakeups[int] = Wakeups(loop)
        done: list[Future[int]] = [Future() for _ in range(20)]
        waiters = [wakeups.watch(d) for d in done]
        for number, future in enumerate(done):  # one burst: the loop runs nothing meanwhile
            future.set_result(number)
        return list(await asyncio.gather(*waiters)), counting.wakeups

    results, wakeups = asyncio.run(main())
    assert results == list(range(20))
    assert wakeups == 1


def test_futures_finished_by_another_thread_all_arrive() -> None:
    async def main() -> list[int]:
        wakeups: Wakeups[int] = Wakeups(asyncio.get_running_loop())
        done: list[Future[int]] = [Future() for _ in range(500)]
        waiters = [wakeups.watch(d) for d in done]

        def finish() -> None:
            for number, future in enumerate(done):
                future.set_result(number)

        worker = threading.Thread(target=finish)
        worker.start()
        results = list(await asyncio.gather(*waiters))
        worker.join()
        return results

    assert asyncio.run(main()) == list(range(500))


def test_an_error_reaches_its_own_waiter_only() -> None:
    async def main() -> tuple[BaseException | None, int]:
        wakeups: Wakeups[int] = Wakeups(asyncio.get_running_loop())
        failing, fine = Future[int](), Future[int]()
        first, second = wakeups.watch(failing), wakeups.watch(fine)
        failing.set_exception(ValueError("the batch is bad"))
        fine.set_result(7)
        outcomes = await asyncio.gather(first, second, return_exceptions=True)
        error = outcomes[0] if isinstance(outcomes[0], BaseException) else None
        return error, int(outcomes[1])  # type: ignore[arg-type]

    error, value = asyncio.run(main())
    assert isinstance(error, ValueError)
    assert str(error) == "the batch is bad"
    assert value == 7


def test_a_waiter_cancelled_by_its_sender_withdraws_work_not_yet_started() -> None:
    async def main() -> tuple[bool, bool]:
        wakeups: Wakeups[int] = Wakeups(asyncio.get_running_loop())
        queued, running = Future[int](), Future[int]()
        assert running.set_running_or_notify_cancel()
        first, second = wakeups.watch(queued), wakeups.watch(running)
        first.cancel()
        second.cancel()
        await asyncio.sleep(0)  # let the waiters' done-callbacks run
        return queued.cancelled(), running.cancelled()

    # Work already running in its transaction cannot be withdrawn: it commits regardless.
    assert asyncio.run(main()) == (True, False)


def test_a_cancelled_thread_future_cancels_its_waiter() -> None:
    async def main() -> None:
        wakeups: Wakeups[int] = Wakeups(asyncio.get_running_loop())
        done = Future[int]()
        waiter = wakeups.watch(done)
        done.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter

    asyncio.run(main())
