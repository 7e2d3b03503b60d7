"""`python -m tools.audit`: see cli.py."""

import sys

from .cli import main

sys.exit(main())
