"""Face-capture camera driver: OpenCV capture, Haar face detection and a quality check.

Needs ``opencv-python-headless`` 4.x: 5.x no longer ships ``CascadeClassifier`` nor the Haar XML
files (specs/devices.md §5). The headless build also keeps a second Qt out of the process.

``source`` in config is a device index (``0``), a video file or stream URL, an image sequence
(``frames/%03d.png``), or a single still image (``.jpg``/``.png``, read on every frame: tests,
demo kiosks). The check, in order (each failure names what the patient should change):

1. frame mean grey level below ``min_brightness`` → :class:`FrameTooDark`;
2. no face → :class:`NoFace`; more than one → :class:`MultipleFaces`;
3. face width below ``min_face_fraction`` of the frame width → :class:`FaceTooSmall`;
4. variance of the Laplacian over the face (resized to 128 px, so it does not depend on the
   camera's resolution) below ``min_sharpness`` → :class:`FaceBlurred`.

The best accepted frame (sharpest) is returned as JPEG for the face-verification service.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from devices.camera import Camera, FaceCapture, FaceQualityRules
from devices.errors import (
    DeviceNotFound,
    DeviceNotUsable,
    FaceBlurred,
    FaceRejected,
    FaceTooSmall,
    FrameTooDark,
    MultipleFaces,
    NoFace,
    NoFrame,
)
from devices.io_thread import assert_in_device_thread, runs_in_device_thread

try:
    import cv2
    import numpy as np
except ImportError:  # pragma: no cover - the terminal's camera extra
    cv2 = None
    np = None

STILL_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
CASCADE = "haarcascade_frontalface_default.xml"
DETECT_WIDTH = 640
LABEL = Camera.label


@dataclass(frozen=True, slots=True)
class OpenCvCameraConfig:
    """``[devices.camera]`` with ``driver = "opencv"``."""

    source: int | str = 0
    width: int = 0  # requested capture size (0 = camera default)
    height: int = 0
    jpeg_quality: int = 90
    rules: FaceQualityRules = field(default_factory=FaceQualityRules)


class FaceChecker:
    """The quality check on one BGR frame (usable without a camera)."""

    def __init__(self, rules: FaceQualityRules) -> None:
        if cv2 is None:
            raise DeviceNotUsable(LABEL, "未安装 OpenCV")
        path = os.path.join(getattr(cv2.data, "haarcascades", ""), CASCADE)
        if not hasattr(cv2, "CascadeClassifier") or not os.path.exists(path):
            raise DeviceNotUsable(LABEL, "OpenCV 缺少人脸检测模型（需 4.x 版本）")
        self.rules = rules
        self._cascade = cv2.CascadeClassifier(path)

    def assess(self, frame: Any, jpeg_quality: int = 90) -> FaceCapture:
        """Return the frame as a :class:`FaceCapture` or raise its :class:`FaceRejected` reason."""
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
        height, width = gray.shape[:2]
        brightness = float(gray.mean())
        if brightness < self.rules.min_brightness:
            raise FrameTooDark(LABEL, f"亮度{brightness:.0f}")
        # Detect on a copy at most DETECT_WIDTH wide: the cascade's cost grows with the pixel count
        # and a face big enough to pass the size rule is still > 70 px there.
        scale = min(1.0, DETECT_WIDTH / width)
        small = gray if scale == 1.0 else cv2.resize(gray, (int(width * scale), int(height * scale)),
                                                      interpolation=cv2.INTER_AREA)
        faces = self._cascade.detectMultiScale(small, scaleFactor=1.1, minNeighbors=5, minSize=(24, 24))
        if len(faces) == 0:
            raise NoFace(LABEL)
        if len(faces) > 1:
            raise MultipleFaces(LABEL, f"{len(faces)}张")
        x, y, w, h = (int(v / scale) for v in faces[0])
        if w < self.rules.min_face_fraction * width:
            raise FaceTooSmall(LABEL)
        roi = cv2.resize(gray[y:y + h, x:x + w], (128, 128), interpolation=cv2.INTER_AREA)
        sharpness = float(cv2.Laplacian(roi, cv2.CV_64F).var())
        if sharpness < self.rules.min_sharpness:
            raise FaceBlurred(LABEL, f"清晰度{sharpness:.0f}")
        ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
        if not ok:  # pragma: no cover - imencode of a valid frame does not fail
            raise NoFrame(LABEL, "JPEG编码失败")
        return FaceCapture(jpeg.tobytes(), width, height, (x, y, w, h), sharpness, brightness)


class OpenCvCamera(Camera):
    """The OpenCV camera driver."""

    driver = "opencv"

    def __init__(self, name: str, config: OpenCvCameraConfig, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.config = config
        self._cap: Any = None
        self._still: Any = None
        self._checker: FaceChecker | None = None

    @classmethod
    def is_usable(cls) -> bool:
        """OpenCV 4.x with the Haar cascades is importable."""
        return (cv2 is not None and hasattr(cv2, "CascadeClassifier")
                and os.path.exists(os.path.join(getattr(cv2.data, "haarcascades", ""), CASCADE)))

    def address(self) -> str:
        """The capture source."""
        return f"camera:{self.config.source}"

    def _is_still(self) -> bool:
        src = self.config.source
        return isinstance(src, str) and src.lower().endswith(STILL_SUFFIXES) and "%" not in src

    def _open_device(self) -> None:
        assert_in_device_thread(self)
        self._checker = FaceChecker(self.config.rules)
        src = self.config.source
        if self._is_still():
            self._still = cv2.imread(str(src))
            if self._still is None:
                raise DeviceNotFound(self.label, str(src))
            return
        if isinstance(src, str) and "%" in src:
            cap = cv2.VideoCapture(src, cv2.CAP_IMAGES)
        else:
            cap = cv2.VideoCapture(src)
        if not cap.isOpened():
            cap.release()
            raise DeviceNotFound(self.label, str(src))
        if self.config.width and self.config.height:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.config.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.config.height)
        self._cap = cap

    def _close_device(self) -> None:
        cap, self._cap, self._still = self._cap, None, None
        if cap is not None:
            cap.release()

    def _frame(self) -> Any:
        if self._still is not None:
            return self._still.copy()
        ok, frame = self._cap.read()
        return frame if ok else None

    @runs_in_device_thread
    def read_frame(self) -> Any:
        """One raw BGR frame (numpy array), for a live preview; NoFrame when none comes."""
        self._require_open()
        frame = self._frame()
        if frame is None:
            raise NoFrame(self.label)
        return frame

    @runs_in_device_thread
    def capture_face(self, max_frames: int = 10) -> FaceCapture:
        """Check up to ``max_frames`` frames; return the sharpest accepted one."""
        self._require_open()
        assert self._checker is not None
        best: FaceCapture | None = None
        last_reject: FaceRejected | None = None
        got = 0
        for _ in range(max(1, max_frames)):
            frame = self._frame()
            if frame is None:
                break
            got += 1
            try:
                cap = self._checker.assess(frame, self.config.jpeg_quality)
            except FaceRejected as exc:
                last_reject = exc
                cap = None
            if cap is not None and (best is None or cap.sharpness > best.sharpness):
                best = cap
            if self._still is not None:
                break  # a still image gives the same answer every time
        if best is not None:
            return best
        if last_reject is not None:
            raise last_reject
        raise NoFrame(self.label, "未读取到任何画面" if got == 0 else None)

    @runs_in_device_thread
    def check(self) -> str:
        """Doctor probe: a frame can be read."""
        self._require_open()
        frame = self._frame()
        if frame is None:
            raise NoFrame(self.label)
        return f"画面正常（{frame.shape[1]}×{frame.shape[0]}）"
