"""The kiosk's settings with what the management web pushed over them (issue 19 §1).

Pure: the kiosk's own ``[kiosk]`` settings + the pushed configuration -> the settings in force.
The idle timeout and the survey are replaced when pushed (the countdown warning never longer
than the timeout); the functions offered are the kiosk's own that the scene also allows (the web
can withdraw a function, never enable one the site left out or the devices cannot serve).
"""

from __future__ import annotations

import dataclasses

from workflows.kiosk.settings import KioskSettings, SurveyQuestion
from workflows.pushed_config import PushedConfig


def merged_settings(own: KioskSettings, pushed: PushedConfig) -> KioskSettings:
    """``own`` with the pushed idle timeout, survey and allowed functions applied."""
    if pushed.current is None:
        return own
    idle = pushed.idle_seconds(own.idle_seconds)
    params = pushed.params
    survey = own.survey
    if params.get("survey"):
        survey = tuple(SurveyQuestion(q["key"], q["text"], tuple(q["options"])) for q in params["survey"])
    allowed = pushed.functions
    functions = own.functions if allowed is None else tuple(f for f in own.functions if f in allowed)
    return dataclasses.replace(own, idle_seconds=idle, warning_seconds=min(own.warning_seconds, idle),
                               survey=survey, functions=functions)
