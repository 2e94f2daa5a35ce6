"""The DeviceError tree: every failure of a peripheral, with a stable code and a Chinese message.

Codes live in the devices range ``E6001``–``E6999`` (docs/ERRORS.md, section "devices"). The
message always names the device (``"社保卡读卡器：未检测到卡片"``) so that a cashier or the IT
doctor report says *which* peripheral is at fault. Drivers map library and OS exceptions
(pyscard, pyserial, socket, OpenCV, Qt) onto these classes; nothing above ``devices`` ever sees a
library exception.
"""

from __future__ import annotations

from billing_core.errors import BillingError


class DeviceError(BillingError):
    """Root of all device failures.

    :param device: the device's Chinese label, e.g. ``"收据打印机"``; prefixed to the message.
    :param detail: optional extra Chinese text appended to the default message.
    """

    code = "E6001"
    default_message = "设备故障"

    def __init__(self, device: str = "设备", detail: str | None = None, *, message: str | None = None) -> None:
        self.device = device
        text = message or self.default_message
        if detail:
            text = f"{text}（{detail}）"
        super().__init__(f"{device}：{text}")


class DeviceNotUsable(DeviceError):
    """The driver's library or system component is missing on this machine (``is_usable()`` False)."""

    code = "E6002"
    default_message = "驱动不可用，缺少所需的软件组件"


class DeviceConfigError(DeviceError):
    """The terminal's device configuration is wrong (unknown driver, missing key, bad value)."""

    code = "E6003"
    default_message = "设备配置错误"


class DeviceNotFound(DeviceError):
    """The device is not connected or cannot be reached (no reader, port missing, host refuses)."""

    code = "E6004"
    default_message = "未找到设备，请检查连接"


class DeviceTimeout(DeviceError):
    """The device did not answer in time."""

    code = "E6005"
    default_message = "设备响应超时"


class DeviceDisconnected(DeviceError):
    """The device went away in the middle of an operation; the next ``open()`` may succeed."""

    code = "E6006"
    default_message = "设备连接已断开"


class DeviceNotOpen(DeviceError):
    """An operation was called before ``open()`` or after ``close()``."""

    code = "E6007"
    default_message = "设备未打开"


class OperationCancelled(DeviceError):
    """The person at the terminal cancelled (e.g. declined to enter the PIN)."""

    code = "E6008"
    default_message = "操作已取消"


class ProtocolError(DeviceError):
    """The device answered with bytes that do not follow its protocol."""

    code = "E6009"
    default_message = "设备通信数据错误"


# --- card readers (social security card, ID card) -------------------------------------------


class NoCard(DeviceError):
    """No card in (or on) the reader."""

    code = "E6101"
    default_message = "未检测到卡片，请插入或放置卡片"


class CardRemoved(DeviceError):
    """The card was pulled out while it was being read."""

    code = "E6102"
    default_message = "读卡过程中卡片被移出，请重新插卡"


class UnsupportedCard(DeviceError):
    """The card is not a social security card (the SSSE application is missing)."""

    code = "E6103"
    default_message = "不支持的卡片，请插入社会保障卡"


class PinRequired(DeviceError):
    """The card answered 69 82 (security status not satisfied) and no PIN was given."""

    code = "E6104"
    default_message = "需要输入卡片密码"


class PinRejected(DeviceError):
    """The card refused the PIN (63 Cx / 69 83)."""

    code = "E6105"
    default_message = "卡片密码错误"


class CardReadError(DeviceError):
    """The card answered a command with an error status word."""

    code = "E6106"
    default_message = "读卡失败"


class ChecksumError(DeviceError):
    """A frame from the ID card reader failed its XOR check, or the reader reported one (SW3 10)."""

    code = "E6107"
    default_message = "数据校验错误"


# --- scanner ----------------------------------------------------------------------------------


class UnknownScanPayload(DeviceError):
    """The scanned code is neither an insurance e-voucher nor an e-bill QR code."""

    code = "E6201"
    default_message = "无法识别的二维码或条码"


# --- printers ---------------------------------------------------------------------------------


class PaperOut(DeviceError):
    """The printer reports no paper (DLE EOT 4, paper-end sensor)."""

    code = "E6301"
    default_message = "打印机缺纸，请装纸"


class CoverOpen(DeviceError):
    """The printer reports its cover open (DLE EOT 2)."""

    code = "E6302"
    default_message = "打印机上盖未关闭"


class PrinterOffline(DeviceError):
    """The printer reports itself offline or in error (DLE EOT 1 / 3)."""

    code = "E6303"
    default_message = "打印机处于脱机或故障状态"


class PrintFailed(DeviceError):
    """The job could not be rendered or spooled (bad image, CUPS refused the job ...)."""

    code = "E6304"
    default_message = "打印失败"


# --- camera -----------------------------------------------------------------------------------


class NoFrame(DeviceError):
    """The camera delivered no frame."""

    code = "E6401"
    default_message = "摄像头未获取到画面"


class FaceRejected(DeviceError):
    """Base of the face-quality rejections; ``reason`` is a short machine word (e.g. ``"dark"``)."""

    code = "E6410"
    default_message = "人脸照片不合格"
    reason = "rejected"


class NoFace(FaceRejected):
    """No face found in the frame."""

    code = "E6411"
    default_message = "未检测到人脸，请正对摄像头"
    reason = "no_face"


class MultipleFaces(FaceRejected):
    """More than one face in the frame."""

    code = "E6412"
    default_message = "检测到多张人脸，请仅一人正对摄像头"
    reason = "multiple_faces"


class FaceTooSmall(FaceRejected):
    """The face is too small (too far from the camera)."""

    code = "E6413"
    default_message = "人脸太小，请靠近摄像头"
    reason = "too_small"


class FaceBlurred(FaceRejected):
    """The face is not sharp enough (motion or focus blur)."""

    code = "E6414"
    default_message = "画面模糊，请保持静止"
    reason = "blurred"


class FrameTooDark(FaceRejected):
    """The frame (or face) is too dark."""

    code = "E6415"
    default_message = "光线太暗，请调整光线"
    reason = "dark"
