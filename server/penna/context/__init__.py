"""Stage 3: context. The four Ps fitted to the token budget, in a cache-friendly order, and
rendered for the model and for the author to inspect."""
