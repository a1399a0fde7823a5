"""Which of the editor's messages make the model leave a core free (writing/cpu_share.py): the
writer's typing and every request the editor shows the answer of, not the request for the
model's writing itself, nor notifications, nor the client's answers to the server's requests."""

from __future__ import annotations

from lsprotocol import types

from penna.lsp.server import waits_for_an_answer


def _command(name: str) -> types.ExecuteCommandRequest:
    return types.ExecuteCommandRequest(id=1, params=types.ExecuteCommandParams(command=name, arguments=[]))


def test_typing_and_the_editor_s_requests_wait_for_an_answer() -> None:
    assert waits_for_an_answer(types.TEXT_DOCUMENT_DID_CHANGE, None, None)
    assert waits_for_an_answer(types.TEXT_DOCUMENT_HOVER, 3, None)
    assert waits_for_an_answer(types.TEXT_DOCUMENT_COMPLETION, 4, None)
    assert waits_for_an_answer(types.TEXT_DOCUMENT_CODE_ACTION, 5, None)
    status = _command("penna.status")
    assert waits_for_an_answer(status.method, status.id, status)


def test_the_model_s_own_work_and_notifications_do_not() -> None:
    for action in ("penna.expand", "penna.rephrase", "penna.continue", "penna.variants"):
        request = _command(action)
        assert not waits_for_an_answer(request.method, request.id, request)
    assert not waits_for_an_answer(types.CODE_ACTION_RESOLVE, 6, None)  # resolving a penna action writes it
    assert not waits_for_an_answer(types.TEXT_DOCUMENT_DID_OPEN, None, None)  # its warm-up is the model's
    assert not waits_for_an_answer(types.CANCEL_REQUEST, None, None)
    assert not waits_for_an_answer(None, 7, None)  # the client's answer to a server request
