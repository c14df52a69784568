"""Configuration as code for Ory Network projects."""

__version__ = "0.1.0"
