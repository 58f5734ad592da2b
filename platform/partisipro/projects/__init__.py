"""Organisations (KYB) and projects."""
