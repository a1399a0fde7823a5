"""One module per feature area, each with `setup(server)`."""
