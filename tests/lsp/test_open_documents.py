"""An open note is read from the editor's buffer, whatever its name: pygls keys documents by the
unquoted URI, while clients send `Morning%20walks.md`."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pygls.workspace import Workspace

from penna.lsp.app import create_server


def test_an_open_note_with_a_space_in_its_name_is_read_from_the_buffer(tmp_path: Path) -> None:
    (tmp_path / "Morning walks.md").write_text("on disk\n", encoding="utf-8")
    server = create_server()
    server.protocol._workspace = Workspace(tmp_path.as_uri())  # what initialize sets up
    uri = (tmp_path / "Morning walks.md").as_uri()
    assert "%20" in uri
    server.workspace.put_text_document(types.TextDocumentItem(uri=uri, language_id="markdown", version=1,
                                                              text="in the buffer\n"))
    assert server.is_open(uri)
    assert server.document(uri).source == "in the buffer\n"
