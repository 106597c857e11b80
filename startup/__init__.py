"""Start-up: create and migrate the database, record its mode, the first admin (bootstrap); the demo data set (demo)."""
