#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    try:
        from django.core.management import execute_from_command_line
    except ImportError:
        # Run by an interpreter without the project's packages (a plain `python3` in a script
        # such as ../shared/eval/extract_score.py): hand over to the project's virtualenv.
        venv_python = Path(__file__).resolve().parent / ".venv" / "bin" / "python"
        if venv_python.exists() and not os.environ.get("TRACKER_VENV_HANDOVER"):
            os.environ["TRACKER_VENV_HANDOVER"] = "1"  # once: never loop between the two
            os.execv(str(venv_python), [str(venv_python), __file__, *sys.argv[1:]])  # noqa: S606
        raise

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
