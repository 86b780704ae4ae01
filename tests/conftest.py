"""Plugins for the whole suite (pytest reads ``pytest_plugins`` only in the top conftest)."""

pytest_plugins = ["pytest_jupyter.jupyter_server"]
