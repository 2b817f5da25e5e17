"""Commands: post_cmds (placeholder until its module lands)."""
