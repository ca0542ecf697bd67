"""aixbook: the OWASP AI Exchange's Hugo tree → release PDF, EPUB 3 and one-page HTML.

Public API (imported lazily, so ``import aixbook`` stays cheap):

- ``load_book(site_dir, config_path=None, **overrides) -> Book``: read and resolve
- ``check(site_dir, config_path=None) -> Book``: the same; its ``.diagnostics`` say what is wrong
- ``build(site_dir, formats, output_dir, ...) -> BuildResult``: write PDF / EPUB / HTML
- ``preview(site_dir, query, output_dir, fmt="pdf") -> Path``: one chapter or section
"""

__version__ = "0.1.0"
__all__ = ["__version__", "build", "check", "load_book", "preview"]


def __getattr__(name):
    if name == "load_book" or name == "check":
        from .book import load_book

        return load_book
    if name == "build":
        from .build import build

        return build
    if name == "preview":
        from .preview import render_preview

        def preview(site_dir, query, output_dir="output", fmt="pdf", **kw):
            """Write one chapter or section (see ``aixbook preview --help``); return its path."""
            return render_preview(site_dir, query, output_dir, fmt=fmt, **kw)[0]

        return preview
    raise AttributeError(name)
