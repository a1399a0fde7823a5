"""Stage 4: writing. The model (local GGUF or a llama.cpp server), the tasks, and output cleanup."""
