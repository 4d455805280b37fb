#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanbufu.settings")
    # A checkout with neither SECRET_KEY nor DEBUG set is a developer's: development mode.
    # Every deployment sets SECRET_KEY, and so keeps DEBUG off.
    if not os.environ.get("SECRET_KEY") and not os.environ.get("DEBUG"):
        os.environ["DEBUG"] = "1"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
