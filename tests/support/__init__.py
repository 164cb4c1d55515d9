"""Helpers shared by the tests: each is written once, here."""
