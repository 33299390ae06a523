"""The ``vidseek`` command line: the top of the house, built on ``vidseek``, ``indexer`` and ``search_api``.

``cli.main`` holds the click group (the console script's entry point); each command group has a
module of its own, and what they share (settings, errors, the library, tables) is in ``cli.shared``.
"""
