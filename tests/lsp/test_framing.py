"""The stdin reader (lsp/framing.py) against arbitrary bytes, without a server: it never raises,
never reads past the end, and finds a well-framed message after any garbage. The real-server
fuzzer is tests/e2e/test_lsp_attacks.py::test_fuzzed_frames_and_shapes_never_stop_the_server."""

from __future__ import annotations

import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from penna.lsp.framing import FrameReader, Rejected, check_shape

GOOD = {"jsonrpc": "2.0", "id": 7, "method": "penna/ping", "params": {}}


def frame(message: object, delta: int = 0) -> bytes:
    body = json.dumps(message).encode()
    return f"Content-Length: {len(body) + delta}\r\n\r\n".encode() + body


def read_all(data: bytes, max_bytes: int = 1 << 20) -> list[dict | Rejected]:
    reader = FrameReader(io.BufferedReader(io.BytesIO(data)), max_bytes=max_bytes, on_problem=lambda _m: None)
    found = []
    for _ in range(10_000):  # every read consumes input, so a finite stream ends
        item = reader.read()
        if item is None:
            return found
        found.append(item)
    raise AssertionError("the reader did not reach the end of a finite stream")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_end_without_an_exception(data: bytes) -> None:
    read_all(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200).filter(lambda b: b"Content-Length" not in b.replace(b"-", b"")
                                      and b"content-length" not in b.lower()))
def test_a_good_frame_after_garbage_is_found(garbage: bytes) -> None:
    found = read_all(garbage + b"\r\n" + frame(GOOD))
    assert GOOD in found


@settings(max_examples=200, deadline=None)
@given(st.integers(-6, 6))
def test_a_wrong_length_costs_at_most_the_next_message(delta: int) -> None:
    messages = [{**GOOD, "id": n} for n in range(4)]
    data = frame(messages[0], delta) + b"".join(frame(m) for m in messages[1:])
    found = [m for m in read_all(data) if isinstance(m, dict)]
    assert messages[2] in found and messages[3] in found


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                        st.sampled_from(["jsonrpc", "id", "method", "params", "result", "error", "x"]), inner,
                        max_size=5), max_leaves=10))
def test_every_shape_is_accepted_or_rejected_never_raises(value: object) -> None:
    problem = check_shape(value)
    if problem is None:  # what passes is a message pygls can dispatch
        assert isinstance(value, dict) and value.get("jsonrpc") == "2.0"
        assert isinstance(value.get("method"), str) or "id" in value


def test_an_oversized_body_is_skipped_and_the_next_message_read() -> None:
    found = read_all(b"Content-Length: 5000\r\n\r\n" + b"x" * 5000 + frame(GOOD), max_bytes=1000)
    assert isinstance(found[0], Rejected) and "too large" in found[0].message
    assert found[1] == GOOD
