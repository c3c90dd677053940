"""``python -m negosim.app [SCENARIO] [--port N]``."""

import sys

from negosim.app import main

sys.exit(main())
