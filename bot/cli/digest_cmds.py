"""Commands: digest_cmds (placeholder until its module lands)."""
