"""Protecting personal data: encrypted contact addresses and keyed hashes for look-up."""
