"""Where the tests find the project and its bundled data."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_POST = ROOT / "bot" / "data" / "2021-08-06---Hot-Papers.md"
