"""Evaluations of what penna writes. `penna eval voice` measures "sounds like me" (see docs/voice.md)."""
