"""Cookiecutter hooks; importable so that tests exercise the rules they apply."""
