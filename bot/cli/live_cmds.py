"""Commands: live_cmds (placeholder until its module lands)."""
