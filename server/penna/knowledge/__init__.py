"""Stage 2: knowledge. The index of the vault and the four Ps drawn from it.

- index/ (schema, store, reads, writes) / indexer.py: SQLite + FTS5, kept in step with the vault.
- propositional.py: knowing *that* (retrieval, links, backlinks).
- procedural.py: knowing *how* (style profile, exemplars), from written material only.
- perspectival.py: knowing from *here* (salience, recency, the current note).
- participatory.py: knowing by *being* (profile note, stances, audience).
"""
