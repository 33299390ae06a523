"""``python -m cli``: the ``vidseek`` command."""

from cli.main import main

main()
