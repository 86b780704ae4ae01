"""jupyter-artifacts."""
