"""Content translations: admin-edited translations of form and workflow text, layered over the catalogs."""
