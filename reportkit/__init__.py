"""reportkit: alternative reports to UN treaty bodies, from Markdown to DOCX and PDF."""

__version__ = "0.1.0"
