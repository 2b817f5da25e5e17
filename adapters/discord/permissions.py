"""Who may change a Discord channel's subscription: members with Manage Channels (or
Administrator) in that channel, checked on our side whatever the server configured for
the commands (`default_member_permissions` can be changed by a server's admins)."""

from __future__ import annotations

MANAGE_CHANNELS = 1 << 4  # Discord's permission bits
ADMINISTRATOR = 1 << 3
DENIED = ("Changing this channel's daily Hot Papers needs the Manage Channels permission in "
          "this channel; ask someone who has it, or type /subscriptions to see what it gets.")


def may_manage(permissions: int) -> bool:
    """Whether a member's permission bits (as Discord sends them) allow the change."""
    return bool(permissions & (MANAGE_CHANNELS | ADMINISTRATOR))
