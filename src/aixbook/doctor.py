"""What this machine gives aixbook: versions, system libraries and fonts (``aixbook doctor``),
and one clear line instead of a traceback when a system library is missing."""

from __future__ import annotations

import contextlib
import io
import logging
import platform
import sys
from types import ModuleType

from . import __version__
from .errors import BuildError
from .resources import FONTS_DIR

#: What to install for the libraries WeasyPrint needs, per platform.
INSTALL = {
    "Debian/Ubuntu": "sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig",
    "Fedora": "sudo dnf install pango harfbuzz fontconfig",
    "macOS": "brew install pango harfbuzz",
}


def weasyprint() -> ModuleType:
    """WeasyPrint, imported; a missing system library is one BuildError line naming what to install."""
    if "weasyprint" in sys.modules:
        return sys.modules["weasyprint"]
    # The one module that knows WeasyPrint's private code (imported here, not at the top:
    # the PDF renderer's package imports this module).
    from .render.pdf.internals import one_library_listing

    noise = io.StringIO()
    try:
        # WeasyPrint prints a banner before it raises
        with contextlib.redirect_stdout(noise), one_library_listing():
            import weasyprint as wp
    except OSError as exc:
        lib = str(exc).split("'")[1] if str(exc).count("'") >= 2 else str(exc)
        raise BuildError(
            f"the PDF needs the system library {lib} (Pango), which is missing; install it: "
            + "; ".join(f"{where}: {cmd}" for where, cmd in INSTALL.items())
        ) from None
    return wp


def harfbuzz_subset_available() -> bool:
    """Whether WeasyPrint subsets fonts with HarfBuzz (fast) rather than fontTools (slow)."""
    weasyprint()
    from weasyprint.text import ffi

    return getattr(ffi, "harfbuzz_subset", None) is not None


#: The Debian/Ubuntu package that gives WeasyPrint fast font subsetting.
SUBSET_PACKAGE = "libharfbuzz-subset0"
SLOW_SUBSETTING = (
    f"fonts are subset in pure Python (fontTools), which makes a PDF about twice as slow; "
    f"install HarfBuzz's subsetter: sudo apt-get install {SUBSET_PACKAGE} (Debian/Ubuntu)"
)
_warned_subsetting = False


def warn_slow_subsetting() -> None:
    """Say once per process, in one line, that fonts are subset the slow way and which
    package fixes it (WeasyPrint itself says so once per font, in three lines)."""
    global _warned_subsetting
    if not _warned_subsetting:
        _warned_subsetting = True
        logging.getLogger(__name__).warning(SLOW_SUBSETTING)


def warn_if_subsetting_is_slow() -> None:
    if not harfbuzz_subset_available():
        warn_slow_subsetting()


_warned_internals = False


def internals_problems() -> list[str]:
    """Why features of render/pdf/internals.py are not used here, and what each loses: one
    sentence per reason (a version outside the series is one reason for all of them)."""
    from .render.pdf import internals

    by_reason: dict[str, list[str]] = {}
    for feature, why in internals.problems().items():
        by_reason.setdefault("; ".join(why), []).append(feature)
    return [
        f"{reason}: " + ", ".join(f"{feature} ({internals.FEATURES[feature]})" for feature in features)
        for reason, features in by_reason.items()
    ]


def warn_if_internals_differ() -> None:
    """Say once per process, in one line, which of aixbook's uses of WeasyPrint's and
    pydyf's private code do not fit the installed versions, and what that costs."""
    global _warned_internals
    if _warned_internals:
        return
    _warned_internals = True
    found = internals_problems()
    if found:
        from .render.pdf.internals import versions

        logging.getLogger(__name__).warning(
            "WeasyPrint internals not applied (%s): %s; see aixbook doctor", versions(), " | ".join(found)
        )


def _internals_lines() -> list[tuple[str, str]]:
    from .render.pdf import internals

    lines = [("WeasyPrint internals", f"written for {', '.join(map(internals.requirement, internals.SUPPORTED))}")]
    for feature, lost in internals.FEATURES.items():
        why = internals.why_not(feature)
        lines.append((f"  {feature}", "applied" if not why else f"not applied ({'; '.join(why)}): {lost}"))
    return lines


def _pango_version() -> str:
    from weasyprint.text.ffi import pango

    v = int(pango.pango_version())
    return f"{v // 10000}.{v // 100 % 100}.{v % 100}"


def _harfbuzz_version() -> str:
    import cffi

    ffi = cffi.FFI()
    ffi.cdef("const char *hb_version_string (void);")
    for name in ("libharfbuzz.so.0", "libharfbuzz.0.dylib", "libharfbuzz-0.dll", "harfbuzz"):
        with contextlib.suppress(OSError):
            return str(ffi.string(ffi.dlopen(name).hb_version_string()).decode())
    return "not found"


def _fonts() -> list[str]:
    from fontTools.ttLib import TTFont

    names = []
    for font in sorted(FONTS_DIR.glob("*.[ot]tf")):
        with TTFont(font, lazy=True, fontNumber=0) as tt:
            family = tt["name"].getDebugName(4) or font.stem
        names.append(f"{family} ({font.name})")
    return names


def report() -> tuple[list[tuple[str, str]], bool]:
    """(label, value) lines describing this machine, and whether a PDF can be made here."""
    lines = [
        ("aixbook", __version__),
        ("Python", f"{platform.python_version()} ({sys.executable})"),
        ("platform", platform.platform()),
    ]
    ok = True
    try:
        wp = weasyprint()
        lines += [
            ("WeasyPrint", wp.__version__),
            ("Pango", _pango_version()),
            ("HarfBuzz", _harfbuzz_version()),
            (
                "HarfBuzz subsetting",
                "available"
                if harfbuzz_subset_available()
                else f"missing: fonts are subset in pure Python, about twice as slow; install {SUBSET_PACKAGE}"
                " (Debian/Ubuntu)",
            ),
            *_internals_lines(),
        ]
    except BuildError as exc:
        ok = False
        lines.append(("WeasyPrint", f"unusable: {exc}"))
    from importlib.metadata import PackageNotFoundError, version

    for dist in ("pydyf", "EbookLib", "lxml", "markdown-it-py", "mdit-py-plugins", "Pillow"):
        try:
            lines.append((dist, version(dist)))
        except PackageNotFoundError:
            lines.append((dist, "missing"))
    lines += [("fonts", f) for f in _fonts()]
    lines.append(("fontconfig file", str(FONTS_DIR / "fonts.conf")))
    return lines, ok
