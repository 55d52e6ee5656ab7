"""Metrics: the port (`ports.py`), naming and label rules (`core.py`), adapters (`shell/`)."""
