"""`python -m omphalos.cli.app` runs the `omphalos` command line."""

import sys

from omphalos.cli.app import main

sys.exit(main())
