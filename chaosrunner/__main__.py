import sys

from chaosrunner.cli import main

sys.exit(main())
