"""Card-reader roles: the social security card (SSSE) reader and the resident ID card reader.

Both return domain values (:class:`SocialSecurityCard`, :class:`IdCard`); the field model is the
same whether the driver talks APDUs itself (``devices.drivers.pcsc_reader``) or a vendor library
(the national ``iReadCardBas`` interface returns the same fields, specs/devices.md §1).
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field

from devices.base import Device


@dataclass(frozen=True, slots=True)
class SocialSecurityCard:
    """The fields of a 3rd-generation social security card (EF05 + EF06, specs/devices.md §1)."""

    card_no: str  # 卡号, 9 ASCII
    name: str  # 姓名, decoded from GBK
    id_no: str  # 社会保障号码 (= resident ID number)
    region: str  # issuing region: first 6 hex digits of the card identification code
    spec_version: str  # 规范版本, e.g. "3.00"
    card_id_code: str = ""  # 卡识别码, 32 hex digits
    card_type: str = ""  # 卡类别
    issue_date: str = ""  # yyyyMMdd
    expiry_date: str = ""  # yyyyMMdd
    sex: str = ""  # '1' male, '2' female, '' when the card did not allow reading it


@dataclass(frozen=True, slots=True)
class IdCard:
    """The text fields of a 2nd-generation resident ID card plus the raw WLT photo.

    ``photo_wlt`` stays the 1024 vendor-compressed bytes: decoding it to a BMP needs the
    reader vendor's licensed library (docs/DEVICES.md).
    """

    name: str
    sex: str  # '1' male, '2' female
    ethnicity: str  # two-digit code, '01' = 汉
    birth_date: str  # yyyyMMdd
    address: str
    id_no: str
    authority: str  # 签发机关
    valid_from: str  # yyyyMMdd
    valid_to: str  # yyyyMMdd or "长期"
    photo_wlt: bytes = field(default=b"", repr=False)

    @property
    def sex_label(self) -> str:
        """男 / 女 for display."""
        return {"1": "男", "2": "女"}.get(self.sex, "未知")


class SocialSecurityCardReader(Device):
    """Role: reads a social security card."""

    role = "ssc_reader"
    label = "社保卡读卡器"

    @abstractmethod
    def card_present(self) -> bool:
        """True when a card is in the reader right now."""

    @abstractmethod
    def wait_for_card(self, timeout: float) -> None:
        """Block until a card is inserted; raises NoCard after ``timeout`` seconds."""

    @abstractmethod
    def wait_for_removal(self, timeout: float) -> bool:
        """Block until the card is taken out; returns False on timeout."""

    @abstractmethod
    def read_card(self) -> SocialSecurityCard:
        """Read the card in the reader (NoCard, UnsupportedCard, CardRemoved, PinRequired ...)."""


class IdCardReader(Device):
    """Role: reads a resident ID card."""

    role = "id_reader"
    label = "身份证读卡器"

    @abstractmethod
    def read_card(self) -> IdCard:
        """Find, select and read the card on the reader (NoCard, ChecksumError, DeviceTimeout ...)."""
