from hf_train_mcp.cli import main

raise SystemExit(main())
