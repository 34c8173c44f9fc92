"""A definition file that exits."""

import sys

sys.exit(3)
