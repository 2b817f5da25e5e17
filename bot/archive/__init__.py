"""The Hot Papers blog archive: parse posts into digests, import files into the store,
and the bundled sample digest that a fresh store starts with."""

from bot.archive.parse import ArchiveFormatError, parse_post

__all__ = ["ArchiveFormatError", "parse_post"]
