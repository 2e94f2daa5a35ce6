"""The ``[his]`` / ``[kiosk]`` settings (defined in :mod:`workflows.kiosk_config`, re-exported
here for the kiosk's own modules and the GUI)."""

from __future__ import annotations

from workflows.kiosk_config import (
    DEFAULT_SURVEY,
    HisSettings,
    KioskConfigError,
    KioskSettings,
    SurveyQuestion,
    his_settings,
    kiosk_settings,
)

__all__ = ["DEFAULT_SURVEY", "HisSettings", "KioskConfigError", "KioskSettings", "SurveyQuestion", "his_settings",
           "kiosk_settings"]
