"""Virtual camera: always "captures" a bundled portrait (no OpenCV, no detection)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from devices.camera import Camera, FaceCapture
from devices.errors import DeviceNotFound
from devices.io_thread import runs_in_device_thread

#: A crop of scikit-image's astronaut (Eileen Collins, NASA, public domain).
BUNDLED = Path(__file__).with_name("assets") / "face.jpg"


@dataclass(frozen=True, slots=True)
class VirtualCameraConfig:
    """``[devices.camera]`` with ``driver = "virtual"``; ``image`` replaces the bundled portrait."""

    image: str = ""


class VirtualCamera(Camera):
    """Plays one image."""

    driver = "virtual"

    def __init__(self, name: str, config: VirtualCameraConfig | None = None, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.config = config or VirtualCameraConfig()
        self._jpeg = b""
        self._size = (0, 0)

    def address(self) -> str:
        """The image played."""
        return f"file:{self.config.image or BUNDLED.name}"

    def _open_device(self) -> None:
        path = Path(self.config.image) if self.config.image else BUNDLED
        try:
            img = Image.open(path)
            img.load()
        except OSError as exc:
            raise DeviceNotFound(self.label, str(path)) from exc
        buf = io.BytesIO()
        img.convert("RGB").save(buf, "JPEG", quality=90)
        self._jpeg, self._size = buf.getvalue(), img.size

    def _close_device(self) -> None:
        self._jpeg = b""

    @runs_in_device_thread
    def capture_face(self, max_frames: int = 10) -> FaceCapture:
        """The bundled image, reported as one centred face."""
        self._require_open()
        w, h = self._size
        return FaceCapture(self._jpeg, w, h, (w // 4, h // 4, w // 2, h // 2), sharpness=100.0, brightness=128.0)
