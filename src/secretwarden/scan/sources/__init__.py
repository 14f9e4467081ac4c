"""Where scanned bytes come from: a directory tree, git history, the index, stdin."""
