"""The `peyvand` command: a thin front over Django management commands.

`peyvand X ...` runs the management command that implements X, so everything the CLI
does is also reachable as `peyvand manage <command>` and testable with `call_command`.
"""

from __future__ import annotations

import os
import sys

# CLI verb -> management command (where the names differ: `import` is a Python keyword).
COMMANDS = {
    "demo": "demo",
    "serve": "serve",
    "worker": "worker",
    "migrate": "migrate",
    "seed": "seed",
    "token": "token",
    "import": "import_data",
    "export": "export_data",
    "audit": "audit",
    "backup": "backup",
    "restore": "restore",
    "bench": "bench",
    "analytics": "analytics",
}

USAGE = """usage: peyvand <command> [options]

commands:
  demo [--host H] [--port P]   migrate, load the demo company and serve with a worker
  serve [--host H] [--port P]  serve HTTP and WebSocket
  worker                       run the background worker
  migrate                      apply database migrations
  seed --customers N ...       generate realistic data at scale
  token create USERNAME        print a new API token
  import customers FILE        import customers from CSV or XLSX
  import leads FILE            import leads from CSV or XLSX (captured like any lead)
  export customers             export customers as CSV or XLSX
  audit verify                 check the change-log chain
  backup DEST / restore SRC    consistent backup and restore
  analytics clv|churn|recommend  fit and evaluate the analytics models on files (JSON out)
  manage <django command>      any Django management command

run `peyvand <command> --help` for the options of one command."""


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.config.settings")
    if not args or args[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return
    verb, rest = args[0], args[1:]
    if verb == "manage":
        command = rest
    elif verb in COMMANDS:
        command = [COMMANDS[verb], *rest]
    else:
        print(f"peyvand: unknown command {verb!r}\n\n{USAGE}", file=sys.stderr)
        sys.exit(2)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["peyvand", *command])


if __name__ == "__main__":
    main()
