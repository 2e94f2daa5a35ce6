"""The platform's code lists (spec §11) and the per-hospital HIS -> platform code mapping.

Two different things live here:

* **Code lists** with their Chinese names: the values the platform itself defines
  (``payerType``, ``state``, ``isScarlet``, ``dataType`` ...). Flags with a fixed meaning are
  checked against these lists by request validation (billing_core.bills).
* **The code mapping** (spec §2, 附录8): ``busType``, ``placeCode``, ``cardType``,
  ``payChannelCode``, ``chargeCode``, ``billCode`` and ``pBillBatchCode`` are *HIS-internal*
  codes that the platform translates through per-hospital tables. The appendix lists below are
  only the platform defaults; a hospital's translation lives in a TOML file loaded with
  :meth:`CodeMapping.load` (format: billing_core/data/code_mapping.example.toml), never in
  constants.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from billing_core.errors import BillingError, ValidationError, ValidationIssue


@dataclass(frozen=True, slots=True)
class CodeList:
    """One code list: its field name, Chinese title and ``code -> Chinese name`` entries."""

    name: str
    title: str
    entries: Mapping[str, str]

    def __contains__(self, code: object) -> bool:
        return code in self.entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def label(self, code: str) -> str:
        """The Chinese name of ``code``, or the code itself when it is not in the list."""
        return self.entries.get(code, code)

    def codes(self) -> tuple[str, ...]:
        """All codes of the list, in spec order."""
        return tuple(self.entries)


def _list(name: str, title: str, **entries: str) -> CodeList:
    return CodeList(name, title, {k.lstrip("_"): v for k, v in entries.items()})


# 附录5 busType (spec §11). Mapped per hospital: HIS may send other values (see CodeMapping).
BUS_TYPE = _list(
    "busType", "业务标识",
    _01="住院", _02="门诊", _03="急诊", _04="门特", _05="体检中心", _06="挂号",
    _07="住院预交金", _08="体检预交金", _09="往来票", _10="捐赠票", _11="非税通用票", _12="门诊预交金",
)
# 附录4 payChannelCode: the appendix list plus the extra codes real clients send (spec §11).
PAY_CHANNEL = _list(
    "payChannelCode", "交费渠道",
    _01="POS", _02="现金", _03="转账", _04="支付宝", _05="微信", _06="支票",
    _07="卡", _08="银联", _09="自助机", _11="医保", YBK="医保个人账户", YBTCJJ="医保统筹基金",
    HBWC="舍入误差", _99="其他",
)
# 附录3 cardType.
CARD_TYPE = _list(
    "cardType", "卡类型",
    _1101="居民身份证", _1102="社会保障卡", _3101="医院就诊卡", _4101="户口簿", _5101="京通卡",
)
PAYER_TYPE = _list("payerType", "交款人类型", _1="个人", _2="单位")
# 附录6 noticeType.
NOTICE_TYPE = _list("noticeType", "通知类型", _1201="手机短信", _1202="电子邮箱")
# 附录7 reimbursement types (otherMedicalList infoName).
REIMBURSEMENT_TYPE = _list(
    "reimbursementType", "报销类型", _01="公务员补助", _02="基本医疗保险", _03="补充医疗保险", _04="其他",
)
# state: 1/2 in status queries, 3 (冲红) in reconciliation lists (spec §5, §10).
STATE = _list("state", "票据状态", _1="正常", _2="作废", _3="已冲红")
IS_SCARLET = _list("isScarlet", "是否冲红", _0="未冲红", _1="已冲红")
IS_PRT_PAPER = _list("isPrtPaper", "是否换开纸质票据", _0="未换开", _1="已换开")
# isArrears: 0 = not circulable (e.g. arrears), 1 = circulable (spec §3.2).
IS_ARREARS = _list("isArrears", "是否可流通", _0="不可流通", _1="可流通")
DATA_TYPE = _list(
    "dataType", "数据类型",
    _1="正常电子票据", _2="电子红票", _3="换开纸质票据", _4="纸质红票", _5="空白作废纸质票据",
)
CHANNEL_MODE = _list("channelMode", "展示渠道", _1="默认", _2="支付宝", _3="微信", _4="App")
BATCH_STATUS = _list("status", "批量开票状态", _0="未生成", _1="已生成", _2="生成失败")
ACCOUNT_STATE = _list("accountState", "入账状态", _0="未入账", _1="已入账")
LIST_FLAG = _list("listFlag", "是否有清单", _0="无清单", _1="有清单")
# listDetail.medicalCareType (spec §3.3 A-2).
MEDICAL_CARE_TYPE = _list("medicalCareType", "医保类别", _1="甲类", _2="乙类", _3="丙类")
IS_RETURN_PIC = _list("isReturnPic", "是否返回告知单图片", _0="不返回", _1="返回")
IS_RETURN_LIST = _list("isReturnList", "是否返回号段列表", _0="不返回", _1="返回")
# getBillStockOutList billType (spec §8).
STOCK_BILL_TYPE = _list("billType", "票据介质", _1="电子", _2="机打纸质", _3="手工纸质")
# sex since V3.1.0 (spec §2).
SEX = _list("sex", "性别", 男="男", 女="女")

CODE_LISTS: dict[str, CodeList] = {
    c.name: c
    for c in (
        BUS_TYPE, PAY_CHANNEL, CARD_TYPE, PAYER_TYPE, NOTICE_TYPE, REIMBURSEMENT_TYPE, STATE, IS_SCARLET,
        IS_PRT_PAPER, IS_ARREARS, DATA_TYPE, CHANNEL_MODE, BATCH_STATUS, ACCOUNT_STATE, LIST_FLAG,
        MEDICAL_CARE_TYPE, IS_RETURN_PIC, IS_RETURN_LIST, STOCK_BILL_TYPE, SEX,
    )
}

# The platform busTypes each issuing method may carry: billing_core.methods.BUS_TYPES.

# ---------------------------------------------------------------------------------------------
# Per-hospital mapping (spec §2, 附录8)

#: The code kinds the platform translates per hospital.
MAPPED_KINDS = ("busType", "placeCode", "cardType", "payChannelCode", "chargeCode", "billCode",
                "pBillBatchCode")


class CodeMappingError(BillingError):
    """A HIS code has no platform code in a strict mapping."""

    code = "E1030"
    default_message = "代码未配置对照关系"


class CodeMappingFileError(BillingError):
    """The code mapping file is missing, not TOML, or has an unknown kind or a non-text code."""

    code = "E1031"
    default_message = "代码对照配置文件无效"


@dataclass
class CodeMapping:
    """A hospital's HIS -> platform code translation, per code kind.

    Unmapped codes pass through unchanged (the hospital may already use platform codes),
    except for the kinds named in ``strict``, where an unmapped code is an error (E1030).
    """

    hospital: str = ""
    tables: dict[str, dict[str, str]] = field(default_factory=dict)
    strict: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: str | Path) -> CodeMapping:
        """Read a mapping file (format: the header of billing_core/data/code_mapping.example.toml)."""
        p = Path(path)
        try:
            raw = tomllib.loads(p.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CodeMappingFileError(f"无法读取代码对照配置文件{p}：{exc.strerror}") from None
        except (tomllib.TOMLDecodeError, UnicodeError) as exc:
            raise CodeMappingFileError(f"代码对照配置文件{p}不是有效的TOML：{exc}") from None
        return cls.from_dict(raw, source=str(p))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, source: str = "代码对照配置") -> CodeMapping:
        """Build a mapping from the parsed TOML document."""
        meta = raw.get("hospital", {})
        if not isinstance(meta, dict):
            raise CodeMappingFileError(f"{source}：[hospital]必须是表")
        strict = meta.get("strict", [])
        if not isinstance(strict, list) or any(k not in MAPPED_KINDS for k in strict):
            raise CodeMappingFileError(f"{source}：strict只能列出这些代码类型：{'、'.join(MAPPED_KINDS)}")
        tables: dict[str, dict[str, str]] = {}
        for kind, table in raw.items():
            if kind == "hospital":
                continue
            if kind not in MAPPED_KINDS:
                raise CodeMappingFileError(f"{source}：未知的代码类型[{kind}]，可用：{'、'.join(MAPPED_KINDS)}")
            if not isinstance(table, dict) or not all(
                isinstance(v, str) and v for v in table.values()
            ):
                raise CodeMappingFileError(f"{source}：[{kind}]中每个平台代码必须是非空文本")
            tables[kind] = {str(k): v for k, v in table.items()}
        return cls(str(meta.get("name", "")), tables, frozenset(strict))

    def to_platform(self, kind: str, his_code: str) -> str:
        """The platform code for ``his_code`` of ``kind``.

        :raises CodeMappingError: the kind is strict and the code has no entry.
        """
        if kind not in MAPPED_KINDS:
            raise ValueError(f"not a mapped code kind: {kind}")
        table = self.tables.get(kind, {})
        if his_code in table:
            return table[his_code]
        if kind in self.strict:
            raise CodeMappingError(f"{kind}代码“{his_code}”未配置对照关系")
        return his_code

    def to_his(self, kind: str, platform_code: str) -> str:
        """The HIS code for a platform code (first entry wins when several map to it)."""
        for his, plat in self.tables.get(kind, {}).items():
            if plat == platform_code:
                return his
        return platform_code

    def apply(self, method: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of request ``data`` of ``method`` with every code field mapped to platform codes.

        Walks the whole request, so nested objects are covered: ``chargeDetail[].chargeCode``,
        ``listDetail[].chargeCode``, ``payChannelDetail[].payChannelCode``, the bills of batch
        ``eBillList`` and of an emergency upload's ``bill``, stock ``billNoList[].billCode``.

        :raises ValidationError: with one E1030 issue per unmapped code of a strict kind.
        """
        out, issues = self.map_request(method, data)
        if issues:
            raise ValidationError(issues=issues)
        return out

    def map_request(self, method: str, data: Mapping[str, Any]) -> tuple[dict[str, Any], list[ValidationIssue]]:
        """Like :meth:`apply` but returns (mapped copy, E1030 issues) instead of raising;
        unmapped codes of strict kinds are left as they were."""
        out = copy.deepcopy(dict(data))
        issues: list[ValidationIssue] = []
        self._walk(out, "", issues, method)
        return out, issues

    def _walk(self, node: Any, path: str, issues: list[ValidationIssue], method: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                sub = f"{path}.{key}" if path else key
                if key in MAPPED_KINDS and isinstance(value, str | int) and not isinstance(value, bool):
                    try:
                        node[key] = self.to_platform(key, str(value))
                    except CodeMappingError as exc:
                        issues.append(ValidationIssue(exc.code, sub, f"{exc.message}（{method}）"))
                else:
                    self._walk(value, sub, issues, method)
        elif isinstance(node, list):
            for i, item in enumerate(node):
                self._walk(item, f"{path}[{i}]", issues, method)
