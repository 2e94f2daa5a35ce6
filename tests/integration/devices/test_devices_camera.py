"""Camera driver on real photos (scikit-image's public-domain astronaut and CC0 coffee, see
tests/fixtures/devices/PHOTOS.md): one face accepted, every bad frame rejected with its reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from devices.drivers.opencv_camera import OpenCvCamera, OpenCvCameraConfig
from devices.errors import (
    DeviceNotFound,
    FaceBlurred,
    FaceRejected,
    FaceTooSmall,
    FrameTooDark,
    MultipleFaces,
    NoFace,
    NoFrame,
)

pytestmark = pytest.mark.integration

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "devices"
FACE = cv2.imread(str(FIX / "astronaut.jpg"))
COFFEE = cv2.imread(str(FIX / "coffee.jpg"))


def _small(img: np.ndarray) -> np.ndarray:
    canvas = np.full((960, 1280, 3), 128, np.uint8)
    canvas[300:684, 400:784] = cv2.resize(img, (384, 384))  # the patient stands far away
    return canvas


def _camera(tmp_path: Path, frame: np.ndarray, name: str = "frame.png") -> OpenCvCamera:
    path = tmp_path / name
    cv2.imwrite(str(path), frame)
    return OpenCvCamera("camera", OpenCvCameraConfig(source=str(path)))


def test_one_face_is_accepted(tmp_path: Path) -> None:
    with _camera(tmp_path, FACE) as cam:
        cap = cam.capture_face()
        assert cam.check().startswith("画面正常")
    assert (cap.width, cap.height) == (512, 512)
    x, y, w, h = cap.face_box
    assert 150 < x < 200 and 50 < y < 90 and 80 < w < 120
    decoded = cv2.imdecode(np.frombuffer(cap.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == FACE.shape  # a real JPEG of the accepted frame


REJECTS: list[tuple[str, Callable[[np.ndarray], np.ndarray], type[FaceRejected], str]] = [
    ("no_face", lambda f: COFFEE, NoFace, "E6411"),
    ("multiple_faces", lambda f: np.hstack([f, cv2.flip(f, 1)]), MultipleFaces, "E6412"),
    ("too_small", _small, FaceTooSmall, "E6413"),
    ("blurred", lambda f: cv2.GaussianBlur(f, (15, 15), 0), FaceBlurred, "E6414"),
    ("dark", lambda f: (f * 0.3).astype(np.uint8), FrameTooDark, "E6415"),
]


@pytest.mark.parametrize(("reason", "make", "error", "code"), REJECTS, ids=[r[0] for r in REJECTS])
def test_bad_frames_are_rejected_with_their_reason(
    tmp_path: Path, reason: str, make: Callable[[np.ndarray], np.ndarray], error: type[FaceRejected], code: str
) -> None:
    with _camera(tmp_path, make(FACE)) as cam, pytest.raises(FaceRejected) as err:
        cam.capture_face()
    assert type(err.value) is error
    assert err.value.reason == reason and err.value.code == code
    assert err.value.message.startswith("摄像头：")


def test_video_stream_picks_the_good_frame(tmp_path: Path) -> None:
    # A capture through VideoCapture (image sequence): blurred, dark, sharp, no face.
    frames = [cv2.GaussianBlur(FACE, (15, 15), 0), (FACE * 0.3).astype(np.uint8), FACE, COFFEE[:512, :512]]
    for i, f in enumerate(frames):
        cv2.imwrite(str(tmp_path / f"f_{i:03d}.png"), cv2.resize(f, (512, 512)))
    cam = OpenCvCamera("camera", OpenCvCameraConfig(source=str(tmp_path / "f_%03d.png")))
    with cam:
        cap = cam.capture_face(max_frames=10)
        assert cap.sharpness > 60
        with pytest.raises(NoFrame):  # the sequence is exhausted: the camera went away
            cam.capture_face()


def test_missing_camera_not_found(tmp_path: Path) -> None:
    with pytest.raises(DeviceNotFound):
        OpenCvCamera("camera", OpenCvCameraConfig(source=str(tmp_path / "nope_%03d.png"))).open()
