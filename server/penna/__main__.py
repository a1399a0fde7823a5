"""`python -m penna …` is the same as the `penna` console script."""

from penna.cli import main

raise SystemExit(main())
