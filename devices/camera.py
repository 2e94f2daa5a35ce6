"""Camera role: capture a face photo good enough for the face-verification service.

Quality rules (all configurable): exactly one face, large enough, sharp enough, bright enough.
A rejected frame raises a :class:`~devices.errors.FaceRejected` subclass whose ``reason`` and
Chinese message tell the patient what to change.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass

from devices.base import Device


@dataclass(frozen=True, slots=True)
class FaceQualityRules:
    """Thresholds of the face-quality check.

    :param min_face_fraction: face width / frame width below this is "too small".
    :param min_sharpness: variance of the Laplacian over the face below this is "blurred".
    :param min_brightness: mean grey level (0-255) of the face below this is "dark".
    """

    min_face_fraction: float = 0.12
    min_sharpness: float = 60.0
    min_brightness: float = 60.0


@dataclass(frozen=True, slots=True)
class FaceCapture:
    """The accepted frame as JPEG plus what the check measured."""

    jpeg: bytes
    width: int
    height: int
    face_box: tuple[int, int, int, int]  # x, y, w, h in pixels
    sharpness: float
    brightness: float


class Camera(Device):
    """Role: a face-capture camera."""

    role = "camera"
    label = "摄像头"

    @abstractmethod
    def capture_face(self, max_frames: int = 10) -> FaceCapture:
        """Read up to ``max_frames`` frames and return the best accepted one.

        Raises the rejection of the last frame when none passes, NoFrame when the camera
        delivers nothing.
        """
