"""aixbook: the OWASP AI Exchange's Hugo tree → release PDF, EPUB 3 and one-page HTML."""
__version__ = "0.1.0"
