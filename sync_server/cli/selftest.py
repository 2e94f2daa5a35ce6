"""``python -m sync_server self-test`` (also ``--self-test``): is this installation whole?

Run by hospital IT after installing a bundle or the .deb, and by the packaging tests on the
built bundle: a frozen bundle that lost a module, a migration file, a C extension or its CA file
fails here with the piece named, not at the first patient's bill. Checks, each printed on its own
line (``通过`` / ``失败``):

1. SM3 known answer (GB/T 32905 "abc"), SM4 known answer (GB/T 32907 example), SM2 sign/verify
   and encrypt/decrypt with a fresh key on the configured backend;
2. the platform envelope signs and verifies;
3. a fresh SQLite database in a temporary directory migrates to the newest schema revision;
4. the app factory builds a server on it, ``/health`` answers 200 and the management web's login
   page renders (every blueprint and its templates came along);
5. the optional parts a deployment may use load: waitress, psycopg (PostgreSQL), argon2.

Exit 0 when every check passed, 1 otherwise. Touches nothing outside its temporary directory.
"""

from __future__ import annotations

import importlib
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

SM3_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
SM4_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
SM4_FIRST_BLOCK = "681edf34d206965e86b3e94f536e4246"


def _crypto() -> str:
    from billing_core.crypto import (
        SM2PrivateKey,
        get_backend,
        sm2_decrypt,
        sm2_encrypt,
        sm2_sign,
        sm2_verify,
        sm3_hex,
        sm4_encrypt_ecb,
    )

    if sm3_hex(b"abc") != SM3_ABC:
        raise AssertionError("SM3 摘要与国标示例不符")
    if sm4_encrypt_ecb(SM4_KEY, SM4_KEY)[:16].hex() != SM4_FIRST_BLOCK:
        raise AssertionError("SM4 密文与国标示例不符")
    backend = get_backend()
    private = SM2PrivateKey.generate()
    public = private.public_key
    data = "医疗收费电子票据".encode()
    if not sm2_verify(public, data, sm2_sign(private, data)):
        raise AssertionError("SM2 签名未通过验签")
    if sm2_decrypt(private, sm2_encrypt(public, data)) != data:
        raise AssertionError("SM2 解密结果不符")
    return f"后端 {backend.name}"


def _envelope() -> str:
    from billing_core import envelope

    req = envelope.encode_request("SELFTEST", "0" * 32, {"busNo": "自检"}, noise="selftest")
    decoded = envelope.decode_request(envelope.dumps(req), lambda _appid: "0" * 32)
    if decoded.data.get("busNo") != "自检":
        raise AssertionError("报文签名往返后内容不符")
    return "MD5 签名往返"


def _server(work: Path) -> str:
    from sync_server.app import create_app
    from sync_server.store.db import ping

    app = create_app({"data_dir": str(work / "data"), "worker": "none", "seed_demo": False,
                      "database_url": ""})
    ctx = app.extensions["sync_server"]
    try:
        if not ping(ctx.engine):
            raise AssertionError("数据库不可用")
        with ctx.engine.connect() as conn:
            revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
        client = app.test_client()
        answer = client.get("/health")
        if answer.status_code != 200:
            raise AssertionError(f"/health 返回 {answer.status_code}")
        page = client.get("/admin/login")  # the management web's templates came along
        if page.status_code != 200 or "登录" not in page.get_data(as_text=True):
            raise AssertionError(f"管理网页 /admin/login 返回 {page.status_code}")
        return f"数据库版本 {revision}，/health 200，/admin/login 200"
    finally:
        ctx.close()


def _optional() -> str:
    loaded = []
    for name in ("waitress", "psycopg", "argon2"):
        importlib.import_module(name)
        loaded.append(name)
    return "、".join(loaded)


def run() -> int:
    """Run every check, print one line each; 0 when all passed."""
    failed = 0
    with tempfile.TemporaryDirectory(prefix="sync-selftest-") as tmp:
        checks: list[tuple[str, Callable[[], str]]] = [
            ("国密算法 SM2/SM3/SM4", _crypto),
            ("平台报文签名", _envelope),
            ("数据库迁移与服务启动", lambda: _server(Path(tmp))),
            ("部署组件", _optional),
        ]
        for title, check in checks:
            try:
                detail = check()
            except Exception as exc:  # noqa: BLE001 - each failure is reported, then the next check runs
                failed += 1
                print(f"失败  {title}：{type(exc).__name__}: {exc}")
                traceback.print_exc(limit=3)
            else:
                print(f"通过  {title}（{detail}）")
    print("自检通过" if not failed else f"自检失败：{failed} 项")
    return 1 if failed else 0


def main(args: list[str]) -> int:
    """``self-test`` takes no arguments."""
    if args and args != ["--self-test"]:
        print("用法：python -m sync_server self-test")
        return 2
    return run()
