"""The command line: one entry point (`main`), a module per subcommand, the exit codes."""
