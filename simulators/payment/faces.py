"""Face verification (刷脸核身): enrolled patients by phone number, a captured frame compared with
the enrolled face.

The comparison is honest but simple, good enough for a stand-in of the channels' face service:
each image becomes a 64x64 grayscale patch (EXIF orientation applied, histogram equalised so that
lighting matters less), centred and scaled to unit length; two faces are the same person when the
cosine of their patches (their pixel correlation) reaches :data:`THRESHOLD`. A re-encoded or
re-lit frame of the same face scores above 0.95, the same frame shifted by a few percent about
0.85; a mirrored or another image scores below 0.2.
"""

from __future__ import annotations

import io
import re
import sqlite3
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from simulators.payment import errors, params
from simulators.payment.errors import PayError
from simulators.payment.platform import Platform

SIZE = 64
THRESHOLD = 0.80
#: Largest image accepted (bytes): a kiosk's best frame is a JPEG of a few hundred kB.
MAX_IMAGE = 8 * 1024 * 1024
_PHONE = re.compile(r"^1\d{10}$")


def embed(data: bytes, field: str = "face_image") -> np.ndarray[Any, np.dtype[np.float32]]:
    """The unit-length feature vector of a face image; E3750 for no usable image."""
    if not data:
        raise PayError(errors.FACE_IMAGE, f"缺少人脸图像{field}")
    if len(data) > MAX_IMAGE:
        raise PayError(errors.FACE_IMAGE, f"人脸图像{field}超过{MAX_IMAGE // 1024 // 1024}MB")
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            gray = ImageOps.exif_transpose(img).convert("L")
    except (UnidentifiedImageError, OSError, ValueError):
        raise PayError(errors.FACE_IMAGE, f"人脸图像{field}无法解码（应为JPEG或PNG）") from None
    if min(gray.size) < 32:
        raise PayError(errors.FACE_IMAGE, f"人脸图像{field}太小（至少32×32像素）")
    patch = ImageOps.equalize(gray.resize((SIZE, SIZE), Image.Resampling.BOX))
    vec = np.asarray(patch, dtype=np.float32).ravel()
    vec -= vec.mean()
    norm = float(np.linalg.norm(vec))
    # a blank frame (covered lens, wall) equalises to a flat patch: nothing to compare
    if norm < 1e-3 * SIZE * SIZE or float(np.asarray(gray, dtype=np.float32).std()) < 4.0:
        raise PayError(errors.FACE_IMAGE, "未检测到清晰的人脸，请正对摄像头后重试")
    out: np.ndarray[Any, np.dtype[np.float32]] = (vec / norm).astype(np.float32)
    return out


def similarity(a: np.ndarray[Any, np.dtype[np.float32]], b: np.ndarray[Any, np.dtype[np.float32]]) -> float:
    """Cosine of two feature vectors (1.0 = identical)."""
    return float(np.dot(a, b))


def _phone(value: str) -> str:
    if not _PHONE.match(value):
        raise PayError(errors.PARAM, "手机号phone必须是以1开头的11位数字")
    return value


def enrol(p: Platform, db: sqlite3.Connection, req: dict[str, Any], image: bytes) -> dict[str, Any]:
    """Enrol (or replace) the face of a patient under a phone number (control endpoint)."""
    phone = _phone(params.text(req, "phone", 11))
    name = params.text(req, "name", 50)
    id_card_no = params.text(req, "id_card_no", 18)
    if not re.match(r"^\d{17}[\dXx]$", id_card_no):
        raise PayError(errors.PARAM, "身份证号id_card_no必须是18位（最后一位可为X）")
    patient_id = params.text(req, "patient_id", 32, required=False)
    vec = embed(image)
    db.execute("INSERT INTO faces VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (phone) DO UPDATE SET name = excluded.name,"
               " id_card_no = excluded.id_card_no, patient_id = excluded.patient_id, embedding = excluded.embedding,"
               " enrolled_at = excluded.enrolled_at", (phone, name, id_card_no.upper(), patient_id, vec.tobytes(), p.now()))
    return {"phone": phone, "name": name, "enrolled": True}


def verify(p: Platform, db: sqlite3.Connection, req: dict[str, Any], image: bytes) -> dict[str, Any]:
    """Compare a frame with the face enrolled under ``phone``: the identity, or E3751 / E3752."""
    phone = _phone(params.text(req, "phone", 11))
    probe = embed(image)
    row = db.execute("SELECT * FROM faces WHERE phone = ?", (phone,)).fetchone()
    if row is None:
        raise PayError(errors.FACE_NOT_ENROLLED, "该手机号没有登记人脸信息，请核对手机号或到人工窗口办理")
    score = similarity(probe, np.frombuffer(row["embedding"], dtype=np.float32))
    if score < THRESHOLD:
        raise PayError(errors.FACE_NO_MATCH, "人脸与该手机号登记的人员不一致，核身未通过")
    return {"matched": True, "phone": phone, "name": row["name"], "id_card_no": row["id_card_no"],
            "patient_id": row["patient_id"], "score": f"{score:.4f}"}
