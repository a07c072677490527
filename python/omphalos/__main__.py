"""`python -m omphalos` runs the `omphalos` command line."""

import sys

from omphalos.cli.app import main

sys.exit(main())
