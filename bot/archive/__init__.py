"""The Hot Papers blog archive: parse posts into digests, import files into the store,
and the bundled sample digest that a fresh store starts with."""

from bot.archive.parse import parse_post
from bot.errors import ArchiveFormatError

__all__ = ["ArchiveFormatError", "parse_post"]
