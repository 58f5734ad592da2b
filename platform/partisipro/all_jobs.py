"""Imports every domain's jobs module so the worker knows all jobs, loops and schedules."""
