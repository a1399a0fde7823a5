"""Learning from rewrites: follow each inserted draft through the author's edits, and when the
note is saved, remember what they made of it (knowledge/rewrites.py stores it in the index).
The tracker itself is `server.rewrites` (lsp/tracking.py), so the actions can hand it drafts.
"""

from __future__ import annotations

from penna.lsp.server import PennaServer


def setup(server: PennaServer) -> None:
    def on_document(uri: str, event: str) -> None:
        if event == "close":
            server.rewrites.closed(uri)
            return
        try:
            text = server.document(uri).source
        except Exception:  # noqa: BLE001 - not open any more
            return
        server.rewrites.changed(uri, text)
        if event == "save":
            server.rewrites.saved(uri, text)

    server.document_listeners.append(on_document)
