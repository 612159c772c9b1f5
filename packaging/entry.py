"""The frozen app's entry point: the same `main()` as `adaptive-learning` and `python -m desktop_app`.

With no command it starts the GUI; `--smoke-test` and the headless commands work too, so the
one executable can be checked after a build (packaging/build.py, tests/packaging).
"""
import sys

from desktop_app.cli import main

if __name__ == "__main__":
    sys.exit(main())
