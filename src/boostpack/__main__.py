import sys

from boostpack.cli import main

sys.exit(main())
