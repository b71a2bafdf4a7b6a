"""Supporters: consent, withdrawal, the list, privacy requests and retention."""
