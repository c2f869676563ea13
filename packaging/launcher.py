"""PyInstaller entry point: the packaged ``loginguard`` runs ``python -m desktop_app``.

Same flags, same exit status (the automation flags included).
"""

import sys

from desktop_app.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
