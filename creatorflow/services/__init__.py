"""Use cases: the only API the command line, the dashboard and the daemon call."""
