"""Printing errors (range E7001-E7999, docs/ERRORS.md "printing")."""

from __future__ import annotations

from billing_core.errors import BillingError


class PrintTemplateError(BillingError):
    """Root of print_templates errors."""

    code = "E7999"
    default_message = "打印模板内部错误"


class UnknownDocumentError(PrintTemplateError):
    """The document name is not one of :data:`print_templates.registry.DOCUMENTS`."""

    code = "E7001"
    default_message = "未知的打印单据类型"


class MissingFieldError(PrintTemplateError):
    """A value a document needs is missing or empty in its input."""

    code = "E7002"
    default_message = "打印数据缺少必填项"

    def __init__(self, field: str, document: str) -> None:
        super().__init__(f"打印“{document}”缺少必填项：{field}")
        self.field = field


class FormDefinitionError(PrintTemplateError):
    """A paper bill form-definition file is missing, malformed or places a field off the form."""

    code = "E7003"
    default_message = "纸质票据版式定义错误"


class FontUnavailableError(PrintTemplateError):
    """The pinned CJK font is not installed or Qt substituted another family."""

    code = "E7004"
    default_message = "打印字体不可用"


class PaperWidthError(PrintTemplateError):
    """A thermal document was asked for a roll width other than 58 or 80 mm."""

    code = "E7005"
    default_message = "不支持的打印纸宽度"


class RenderError(PrintTemplateError):
    """Writing the rendered PDF or PNG failed."""

    code = "E7006"
    default_message = "打印预览文件生成失败"


class BadValueError(PrintTemplateError):
    """A value in the input has the wrong form (amount, time, inconsistent totals)."""

    code = "E7007"
    default_message = "打印数据格式错误"
