"""Files: upload and download (9101/9102), catalogue downloads by version (1301-1319), the
dictionary query (1901).

Catalogue files belong to the platform: their file_qury_no starts ``fsi/plc/`` and 9102 is asked
with ``fixmedins_code`` "plc" (spec §5 9102); other files belong to the institution that made them.
"""

from __future__ import annotations

import base64
import binascii
import io
import secrets
import zipfile
from datetime import timedelta
from typing import Any

from simulators.insurance.context import Ctx, FileAnswer, Handler, Output
from simulators.insurance.dicts import DICTS
from simulators.insurance.envelope import node, opt, req
from simulators.insurance.errors import InsFailure

PLATFORM_OWNER = "plc"
#: Days a file may be downloaded.
KEEP_DAYS = 3
MAX_FILE = 20 * 1024 * 1024
CATALOGUES = {f"13{n:02d}" for n in range(1, 20)}
CATALOGUE_COLUMNS = ("code", "name", "lv", "selfpay_prop", "pric_uplmt", "spec", "vali_flag", "ver")


def zip_one(name: str, text: str) -> bytes:
    """A ZIP holding one UTF-8 text file."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, text.encode("utf-8"))
    return buf.getvalue()


def unzip_one(content: bytes) -> str:
    """The first file of a ZIP as UTF-8 text; InsFailure when it is not one."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            names = [n for n in z.namelist() if not n.endswith("/")]
            if not names:
                raise InsFailure("上传的ZIP文件为空")
            return z.read(names[0]).decode("utf-8-sig")
    except (zipfile.BadZipFile, UnicodeDecodeError):
        raise InsFailure("文件不是有效的ZIP压缩包（内含UTF-8文本）") from None


def save_file(ctx: Ctx, owner: str, filename: str, content: bytes, area: str) -> dict[str, Any]:
    """Store a file; the ``{file_qury_no, filename, dld_endtime}`` that names it."""
    file_qury_no = f"fsi/{area}/{ctx.now:%Y%m%d}/{secrets.token_hex(12)}"
    end = (ctx.now + timedelta(days=KEEP_DAYS)).strftime("%Y-%m-%d %H:%M:%S")
    ctx.db.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?)", (file_qury_no, owner, filename, content, ctx.stamp, end))
    return {"file_qury_no": file_qury_no, "filename": filename, "dld_endtime": end}


def load_file(ctx: Ctx, file_qury_no: str) -> bytes:
    """An uploaded file of this institution (3202 reads its statement file)."""
    row = ctx.db.execute("SELECT * FROM files WHERE file_qury_no = ? AND fixmedins_code = ?",
                         (file_qury_no, ctx.code)).fetchone()
    if row is None:
        raise InsFailure(f"文件查询号file_qury_no（{file_qury_no}）不存在")
    return bytes(row["content"])


def upload(ctx: Ctx) -> Output:
    """9101: ``fsUploadIn.in`` as Base64 (or a JSON array of byte values); answer at the root."""
    data = node(ctx.env.input, "fsUploadIn")
    filename = req(data, "filename", "fsUploadIn.")
    if req(data, "fixmedins_code", "fsUploadIn.") != ctx.code:
        raise InsFailure("fsUploadIn.fixmedins_code与报文的定点医药机构编号不符")
    raw = data.get("in")
    if isinstance(raw, list):
        try:
            content = bytes(int(b) & 0xFF if int(b) < 0 else int(b) for b in raw)
        except (TypeError, ValueError):
            raise InsFailure("fsUploadIn.in不是有效的字节数组") from None
    elif isinstance(raw, str) and raw:
        try:
            content = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise InsFailure("fsUploadIn.in不是有效的Base64") from None
    else:
        raise InsFailure("字段fsUploadIn.in不能为空")
    if len(content) > MAX_FILE:
        raise InsFailure("上传文件超过20MB")
    return save_file(ctx, ctx.code, filename, content, "upld")


def download(ctx: Ctx) -> Output:
    """9102: the file's bytes (not an envelope)."""
    data = node(ctx.env.input, "fsDownloadIn")
    no = req(data, "file_qury_no", "fsDownloadIn.")
    owner = req(data, "fixmedins_code", "fsDownloadIn.")
    row = ctx.db.execute("SELECT * FROM files WHERE file_qury_no = ?", (no,)).fetchone()
    # a file is the platform's ("plc": catalogues) or the caller's own; never another institution's
    if row is None or row["fixmedins_code"] != owner or owner not in (ctx.code, PLATFORM_OWNER):
        raise InsFailure(f"文件查询号file_qury_no（{no}）不存在")
    if row["dld_endtime"] < ctx.stamp:
        raise InsFailure("文件已超过下载截止时间")
    return FileAnswer(bytes(row["content"]), opt(data, "filename") or row["filename"])


def catalogue_download(ctx: Ctx) -> Output:
    """1301-1319: the rows of versions newer than ``data.ver`` as a file (then 9102 with "plc")."""
    data = node(ctx.env.input, "data")
    ver = req(data, "ver", "data.")
    list_type = ctx.env.infno
    found = list(ctx.db.execute("SELECT * FROM catalogue WHERE list_type = ? AND ver > ? ORDER BY ver, code",
                                (list_type, ver if ver != "0" else "")))
    lines = ["\t".join("" if r[c] is None else str(r[c]) for c in CATALOGUE_COLUMNS) for r in found]
    name = f"{list_type}_{ver}.txt"
    return save_file(ctx, PLATFORM_OWNER, name + ".zip", zip_one(name, "\n".join(lines)), "plc")


def dictionary(ctx: Ctx) -> Output:
    """1901: one code table of spec §6 (``list``)."""
    data = node(ctx.env.input, "data")
    kind = req(data, "type", "data.")
    table = DICTS.get(kind)
    if table is None:
        raise InsFailure(f"字典类型type（{kind}）不存在")
    return {"list": [{"type": kind, "label": label, "value": value, "parent_value": opt(data, "parentValue") or None,
                      "sort": i, "vali_flag": "1", "createDate": None} for i, (value, label) in enumerate(table, 1)]}


REGISTRY: dict[str, Handler] = {
    "9101": upload, "9102": download, "1901": dictionary, **{n: catalogue_download for n in sorted(CATALOGUES)},
}
