"""``python -m mlopsgen``."""

from __future__ import annotations

import sys

from mlopsgen.cli import main

sys.exit(main())
