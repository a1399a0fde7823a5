"""Stage 1: reading the vault. Files, Markdown structure, and read-versus-written.

Nothing here knows about the index, the model or the editor.
"""
