"""Where the tool's own data lives (found from an installed package too)."""

from __future__ import annotations

from pathlib import Path

STYLES_DIR = Path(__file__).resolve().parent / "styles"
FONTS_DIR = STYLES_DIR / "fonts"
