"""`make test`'s scheduling (tests/xdist_scheduling.py): a group goes to one worker, and a worker
that crashes fails its test without stopping the run. The crash case runs real pytest-xdist on
a throwaway suite in a subprocess: under xdist 3.8's own scheduler it never ended."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from xdist_scheduling import group_of

TESTS = Path(__file__).parent


def test_a_file_is_a_group_and_an_editor_parametrised_file_one_per_editor() -> None:
    assert group_of("tests/test_a.py::test_x") == group_of("tests/test_a.py::test_y") == "tests/test_a.py"
    assert group_of("tests/e2e/test_lsp_server.py::test_x[neovim]") == "tests/e2e/test_lsp_server.py-neovim"
    assert group_of("tests/e2e/test_lsp_server.py::test_y[visual-studio-code-3]") == \
        "tests/e2e/test_lsp_server.py-visual-studio-code"
    assert group_of("tests/test_a.py::test_x[neovimish]") == "tests/test_a.py"  # a whole parameter only


@pytest.mark.slow
def test_a_worker_that_crashes_fails_its_test_and_the_run_goes_on_to_the_end(tmp_path: Path) -> None:
    (tmp_path / "test_first.py").write_text("".join(f"def test_{n}():\n    pass\n" for n in range(3)))
    (tmp_path / "test_crash.py").write_text("import os\n\ndef test_crash():\n    os._exit(1)\n\n"
                                            "def test_after_the_crash():\n    pass\n")
    (tmp_path / "test_last.py").write_text("".join(f"def test_{n}():\n    pass\n" for n in range(3)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "xdist_scheduling", "-n", "2", "--dist", "loadgroup",
                          "-p", "no:cacheprovider", "-q", str(tmp_path)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    summary = run.stdout.strip().splitlines()[-1]
    assert "1 failed, 7 passed" in summary, run.stdout[-2000:]
    assert "test_crash" in run.stdout and "worker 'gw" in run.stdout  # the crash is the failure reported
