"""Stage 5: the language server. Thin: each feature translates LSP to calls on the engine."""
