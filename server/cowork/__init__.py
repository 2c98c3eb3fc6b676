"""cowork: a language server for asynchronous AI pair programming."""

__version__ = "0.1.0"
