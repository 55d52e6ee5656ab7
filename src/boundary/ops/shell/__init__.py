"""Ops shell: lifecycle, health monitor, the ops listener and the process runner."""
