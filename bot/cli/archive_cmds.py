"""Commands: archive_cmds (placeholder until its module lands)."""
