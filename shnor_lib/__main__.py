from shnor_lib.cli import main

raise SystemExit(main())
