"""The command line's exit codes, one place for the entry point and every subcommand."""

EXIT_OK = 0
EXIT_API = 1  # an API or network error (status, code and message are printed)
EXIT_INPUT = 2  # invalid input (the message names the field and what is allowed)
EXIT_INTERRUPTED = 130  # Ctrl+C
EXIT_BROKEN_PIPE = 128 + 13  # stdout's reader went away: what a shell reports after SIGPIPE
