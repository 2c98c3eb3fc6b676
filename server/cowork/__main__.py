from cowork.cli import main

raise SystemExit(main())
