"""The protocol's own stdout.

The language server speaks LSP on file descriptor 1, but it hosts native code that also uses it:
llama.cpp and ggml may print there, and llama-cpp-python's `suppress_stdout_stderr` (active while
a model loads with verbose=False) dup2s /dev/null over fds 1 and 2 for the whole load. Any
response written meanwhile, from the event loop, went to /dev/null: a request answered while the
model loaded was lost, and its client waited forever.

So the protocol gets a private duplicate of fd 1, and fd 1 itself is pointed at stderr (the log),
where stray native prints do no harm.
"""

from __future__ import annotations

import os
import sys
from typing import BinaryIO

STDOUT, STDERR = 1, 2


def protocol_stdout() -> BinaryIO:
    """A private writer for LSP messages; from now on fd 1 and `sys.stdout` lead to stderr."""
    sys.stdout.flush()
    private = os.dup(STDOUT)
    os.dup2(STDERR, STDOUT)
    sys.stdout = sys.stderr
    return os.fdopen(private, "wb")
