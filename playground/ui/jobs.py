"""Named background jobs on the event loop: one task per name, a newer job replacing an older.

What the window (loading models, counting tokens, fetching providers) and the settings dialog
(detecting and testing connections) start in the background and must stop when they close.
"""

from __future__ import annotations

from collections.abc import Coroutine, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # asyncio is imported when the first job starts, after the first frame
    import asyncio


class Jobs:
    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[Any]] = {}

    def spawn(self, name: str, job: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run `job` as the one task called `name`, replacing (cancelling) an older one."""
        import asyncio

        old = self._tasks.get(name)
        if old is not None and not old.done():
            old.cancel()
        task = self._tasks[name] = asyncio.ensure_future(job)
        return task

    def running(self) -> Iterator[str]:
        """The names of the jobs not yet done."""
        return (name for name, task in list(self._tasks.items()) if not task.done())

    def cancel(self) -> list[asyncio.Task[Any]]:
        """Cancel every job; returns them, to be awaited by whoever must see them end."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        self._tasks.clear()
        return tasks

    async def stop(self) -> None:
        """Cancel every job and wait until each has ended."""
        import asyncio

        await asyncio.gather(*self.cancel(), return_exceptions=True)
