"""Reporting: PDF and Excel reports for plant managers."""
