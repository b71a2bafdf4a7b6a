"""Supporters as people the organization may write to: consent, privacy, the list."""
