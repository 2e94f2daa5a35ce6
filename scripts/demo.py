"""Run the whole system on this machine (the README's run command calls this).

Starts the finance-platform simulator, the sync server on SQLite wired to it and to the insurance simulator, the HIS and payment simulators, and
the app ``--app`` names with virtual devices: ``cashier`` (default; logged in as the demo cashier), ``kiosk`` (the
patient kiosk), ``ward`` (the cashier app, whose ward workspace opens for the demo ward nurse), ``all`` (cashier
and kiosk together). Prints URLs (the terminal-management web ``/admin/`` too) and demo credentials and
keeps running until Ctrl-C, then stops everything it started. With no display it starts Xvfb
(or falls back to Qt's offscreen platform) and saves a screenshot of the main window.

Usage: python scripts/demo.py [--app cashier|kiosk|ward|all] [--data-dir var/demo] [--finance-port 18080] [--server-port 18000] [--his-port 18090]
       [--no-app] [--screenshot PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def wait_port(host: str, port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Wait until ``host:port`` accepts connections or the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"process exited early with code {proc.returncode}: {proc.args}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{host}:{port} did not open within {timeout:.0f} s")


def start_display(env: dict[str, str], procs: list[subprocess.Popen[bytes]]) -> None:
    """Give Qt a display: the user's, else a virtual Xvfb one, else the offscreen platform."""
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("QT_QPA_PLATFORM"):
        return
    xvfb = shutil.which("Xvfb")
    if xvfb:
        display = ":97"
        procs.append(subprocess.Popen([xvfb, display, "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(1.0)
        if procs[-1].poll() is None:
            env["DISPLAY"] = display
            print(f"没有显示器：已启动虚拟显示 Xvfb {display}")
            return
    env["QT_QPA_PLATFORM"] = "offscreen"
    print("没有显示器：Qt 以 offscreen 方式运行")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(ROOT / "var" / "demo"))
    parser.add_argument("--finance-port", type=int, default=18080)
    parser.add_argument("--server-port", type=int, default=18000)
    parser.add_argument("--his-port", type=int, default=18090)
    parser.add_argument("--payment-port", type=int, default=18091)
    parser.add_argument("--insurance-port", type=int, default=18092)
    parser.add_argument("--app", choices=("cashier", "kiosk", "ward", "all"), default="cashier",
                        help="which app to start (kiosk: the patient self-service kiosk, 1080x1920; ward: the "
                             "cashier app's ward workspace; all: cashier and kiosk)")
    parser.add_argument("--no-app", action="store_true", help="start only the simulator and the server")
    parser.add_argument("--screenshot", default=str(ROOT / "var" / "demo" / "cashier_main_window.png"))
    args = parser.parse_args()

    data = Path(args.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    py = sys.executable
    host = "127.0.0.1"
    procs: list[subprocess.Popen[bytes]] = []

    def stop(*_: object) -> None:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
    try:
        finance_dir = data / "finance"
        procs.append(subprocess.Popen([py, "-m", "simulators.finance", "--host", host, "--port",
                                       str(args.finance_port), "--data-dir", str(finance_dir)], env=env))
        wait_port(host, args.finance_port, procs[-1])
        finance_url = f"http://{host}:{args.finance_port}/medical-web/api/medical"

        # the national medical-insurance platform (docs/INSURANCE.md): insured settlements at the
        # cashier's 医保结算, the kiosk and the ward; the server speaks it as the simulator's demo hospital
        procs.append(subprocess.Popen([py, "-m", "simulators.insurance", "--host", host, "--port",
                                       str(args.insurance_port), "--data-dir", str(data / "insurance")], env=env))
        wait_port(host, args.insurance_port, procs[-1])
        insurance_url = f"http://{host}:{args.insurance_port}"
        hospital = json.loads((data / "insurance" / "demo.json").read_text(encoding="utf-8"))["institutions"][0]
        server_env = dict(env, SYNC_INSURANCE_URL=insurance_url, SYNC_INSURANCE_PAASID=hospital["paasid"],
                          SYNC_INSURANCE_PASS_TOKEN=hospital["pass_token"],
                          SYNC_INSURANCE_FIXMEDINS_CODE=hospital["fixmedins_code"])

        server_dir = data / "server"
        procs.append(subprocess.Popen([py, "-m", "sync_server", "--host", host, "--port", str(args.server_port),
                                       "--data-dir", str(server_dir), "--finance-url", finance_url, "--demo"],
                                      env=server_env))
        wait_port(host, args.server_port, procs[-1])
        server_url = f"http://{host}:{args.server_port}"

        demo = json.loads((server_dir / "demo.json").read_text(encoding="utf-8"))

        # the hospital HIS (docs/HIS_ADAPTER.md), issuing its own bills as the demo caller of the
        # self-service point when a settlement asks for issuer "his"
        his_dir = data / "his"
        procs.append(subprocess.Popen([py, "-m", "simulators.his", "--host", host, "--port", str(args.his_port),
                                       "--data-dir", str(his_dir)], env=env))
        wait_port(host, args.his_port, procs[-1])
        his_url = f"http://{host}:{args.his_port}"
        kiosk_his = next((c for c in demo.get("callers", []) if c["appid"] == "HIS02"), None)
        if kiosk_his is not None:
            sync = {"syncUrl": f"{server_url}/medical-web/api/medical", "syncAppid": kiosk_his["appid"],
                    "syncKey": kiosk_his["key"], "placeCode": kiosk_his["placeCodes"][0]}
            req = urllib.request.Request(f"{his_url}/_sim/config", data=json.dumps(sync).encode("utf-8"),
                                         headers={"Content-Type": "application/json"}, method="POST")
            urllib.request.urlopen(req, timeout=10).close()  # noqa: S310 (our own simulator on 127.0.0.1)
        his_demo = json.loads((his_dir / "demo.json").read_text(encoding="utf-8"))

        # the unified payment platform (docs/PAYMENT.md): the kiosk's QR and payment-code payments
        procs.append(subprocess.Popen([py, "-m", "simulators.payment", "--host", host, "--port",
                                       str(args.payment_port), "--data-dir", str(data / "payment")], env=env))
        wait_port(host, args.payment_port, procs[-1])
        payment_url = f"http://{host}:{args.payment_port}"

        print("\n==== 系统已启动 ====")
        print(f"财政电子票据平台（模拟）: {finance_url}")
        print(f"院内同步服务器:           {server_url}/medical-web/api/medical/<method>")
        for caller in demo.get("callers", []):
            print(f"  调用方 {caller.get('name', '')}: appid={caller['appid']} key={caller['key']}")
        for user in demo.get("users", []):
            print(f"  用户 {user.get('role', '')}: {user['username']} / {user['password']}")
        print(f"  开票点: {', '.join(demo.get('placeCodes', []))}")
        print(f"医院HIS（模拟）:           {his_url}/his/api/<操作>（docs/HIS_ADAPTER.md）")
        for caller in his_demo["callers"]:
            print(f"  调用方 {caller['name']}: appid={caller['appid']} key={caller['key']}")

        print(f"统一支付平台（模拟）:       {payment_url}/pay/<operation>（docs/PAYMENT.md）")
        print(f"国家医保信息平台（模拟）:   {insurance_url}（docs/INSURANCE.md；演示参保人见 {data / 'insurance' / 'demo.json'}）")
        print(f"终端管理平台（浏览器）:   {server_url}/admin/（以上方 admin 角色的用户登录）")
        apps = {"all": ("cashier", "kiosk")}.get(args.app, (args.app,)) if not args.no_app else ()
        if apps:
            start_display(env, procs)
        if "kiosk" in apps:
            shot = str(Path(args.screenshot).with_name("kiosk_attract.png"))
            procs.append(subprocess.Popen(
                [py, "-m", "kiosk_app", "--demo", "--windowed", "--data-dir", str(data / "kiosk"), "--stack-dir",
                 str(data), "--server-url", server_url, "--his-url", his_url, "--payment-url", payment_url,
                 "--screenshot", shot], env=env))
            print(f"自助机已启动（虚拟设备，F5插社保卡 F7放身份证 F8扫医保码 F9扫付款码 F10模拟扫码支付）；截图 {shot}")
        if "cashier" in apps or "ward" in apps:
            shot = args.screenshot if "cashier" in apps else str(Path(args.screenshot).with_name("ward_main_window.png"))
            app_cmd = [py, "-m", "cashier_app", "--demo", "--server-url", server_url,
                       "--server-data-dir", str(server_dir), "--data-dir", str(data / "cashier"),
                       "--screenshot", shot]
            procs.append(subprocess.Popen(app_cmd, env=env))
            print(f"收费员客户端已启动（虚拟设备）；主窗口截图保存到 {shot}")
            if "ward" in apps:
                nurses = [u for u in demo.get("users", []) if u.get("role") == "ward_nurse"]
                who = f"{nurses[0]['username']} / {nurses[0]['password']}" if nurses else "护士账号"
                print(f"病区工作站：在收费员客户端中以病区护士登录（{who}）")
        print("按 Ctrl-C 停止全部服务。\n")
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        dead = [p for p in procs if p.poll() is not None]
        print(f"进程退出: {[p.args for p in dead]}")
        return 1
    except KeyboardInterrupt:
        print("\n正在停止…")
        return 0
    finally:
        stop()


if __name__ == "__main__":
    raise SystemExit(main())
