from amprealize_tui.cli import main

raise SystemExit(main())
