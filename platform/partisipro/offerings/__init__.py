"""Offerings, investments, portfolio and stats."""
