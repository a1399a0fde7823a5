"""Specification of the test editor itself: it applies a server's positions in the encoding the
server chose (Neovim offers utf-8 first, so a non-ASCII character shifts byte positions)."""

from __future__ import annotations

from lsp_harness import apply_text_edits, offset
from lsprotocol import types

LINE = "proof — all are important."


def test_positions_count_the_units_of_the_chosen_encoding() -> None:
    text = f"# Essay\n\n{LINE}\n\n- first point"
    end_of_line = types.Position(2, len(LINE.encode("utf-8")))  # as a utf-8 server counts: "—" is 3 bytes
    assert text[offset(text, end_of_line, "utf-8"):].startswith("\n\n- first")
    assert text[offset(text, types.Position(2, len(LINE)), "utf-16"):].startswith("\n\n- first")
    assert text[offset(text, types.Position(2, 8), "utf-8"):].startswith(" all")  # after "proof — "
    edit = types.TextEdit(types.Range(types.Position(2, 0), end_of_line), "Rewritten.")
    assert apply_text_edits(text, [edit], "utf-8") == "# Essay\n\nRewritten.\n\n- first point"
