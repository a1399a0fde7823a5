"""How `make test` shares the suite between its pytest-xdist workers (`--dist loadgroup`),
as a plugin: tests/conftest.py loads it, and tests/test_xdist_scheduling.py runs it alone.

A group of tests goes to one worker: a file (its module fixtures start once), or, for tests
parametrised by editor (`client`, `reading_server`: a server each), the file's tests for one
editor. xdist's own loadgroup reads `xdist_group` marks from test ids it rewrites, which pytest 9
no longer lets it do (every test went out alone), so the groups are read from the ids here.

The scheduler is xdist's `LoadScopeScheduling` with the repairs a crashed worker needs in xdist
3.8 (its issues 1323, 1327 and 1378): the crashed worker's finished groups are not sent out again
as empty work (which left the last workers waiting for ever), the test it crashed on is not run
again, and a worker is never left holding a single test it will not start.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

EDITOR_IDS = ("visual-studio-code", "neovim")  # the parameters of the editor-parametrised server fixtures


def group_of(nodeid: str) -> str:
    """The group of a test, from its id (all xdist's scheduler sees)."""
    file, _, test = nodeid.partition("::")
    params = test[test.find("[") + 1:-1] if test.endswith("]") and "[" in test else ""
    editor = next((e for e in EDITOR_IDS if re.search(rf"(^|-){re.escape(e)}($|-)", params)), None)
    return f"{file}-{editor}" if editor else file


class ByGroup(LoadScopeScheduling):  # type: ignore[misc]
    def _split_scope(self, nodeid: str) -> str:
        return group_of(nodeid)

    def remove_node(self, node: Any) -> str | None:
        workload = self.assigned_work.pop(node)
        pending = [nodeid for unit in workload.values() for nodeid, done in unit.items() if not done]
        if not pending:
            return None
        crashed = pending[0]  # a worker runs its tests in order: it died on its first unfinished one
        for unit in workload.values():
            if crashed in unit:
                unit[crashed] = True  # xdist reports it failed; running it again would crash again
        self.workqueue.update((scope, unit) for scope, unit in workload.items() if not all(unit.values()))
        for other in list(self.assigned_work):
            self._reschedule(other)
        return crashed

    def _reschedule(self, node: Any) -> None:
        super()._reschedule(node)
        # A worker starts a test only once it holds the next one or has been told to stop.
        if node.shutting_down or node not in self.assigned_work:
            return
        if self._pending_of(self.assigned_work[node]) == 1:
            if self.workqueue:
                self._assign_work_unit(node)
            else:
                node.shutdown()


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: without it (`-p no:xdist`) pytest ignores it
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    return ByGroup(config, log) if config.getvalue("dist") == "loadgroup" else None
