"""penna: turns a writer's bullets into prose in their own voice, from their notes vault.

The package is a pipeline, one folder per stage; lower stages never import higher ones:

    vault (reading notes) → knowledge (the four Ps, the index) → context (budgeted prompt)
    → writing (model, tasks) → lsp (editor features)

`penna.engine.Engine` ties the stages together for the CLI, the language server and the benchmarks.
"""

__version__ = "0.1.0"
