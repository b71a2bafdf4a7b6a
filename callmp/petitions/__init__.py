"""Petitions: signing, confirmation, counts by riding and MP, deliveries, the action ladder."""
