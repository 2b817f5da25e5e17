"""Commands: service_cmds (placeholder until its module lands)."""
