"""Locustfiles that ship with the harness; ``harness load`` hands them to Locust by path."""
