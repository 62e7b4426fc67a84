"""Translations: catalogs, extraction, content translations, locale formats."""
