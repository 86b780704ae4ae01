"""Reproduce and restore: from an artifact back to its code, data, environment and kernel state.

- :mod:`.restore`: put a run's variables back into a namespace at their recorded versions;
- :mod:`.envexport`: a run's recorded environment as ``requirements.txt`` / ``environment.yml``;
- :mod:`.replay`: the minimal notebook that makes a version again, and running it to compare.

Above the codecs and the store; nbformat and nbclient are imported only by replay.
"""
