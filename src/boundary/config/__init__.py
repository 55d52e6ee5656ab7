"""Configuration: ``load_config`` (shell) → validated, frozen ``Settings`` (model).

``boundary.config.core`` holds the pure rules; this package re-exports what callers use.
"""

from boundary.config.model import Settings
from boundary.config.shell import ConfigError, LoadedConfig, load_config, show_lines

__all__ = ["ConfigError", "LoadedConfig", "Settings", "load_config", "show_lines"]
