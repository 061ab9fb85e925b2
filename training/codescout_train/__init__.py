"""Training pipeline of Code Scout's embedded code-embedding model (see training/README.md)."""
