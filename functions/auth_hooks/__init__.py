"""Profiles, Identity Platform blocking functions and account deletion."""
