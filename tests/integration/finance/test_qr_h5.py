"""QR codes decode (OpenCV) to the payload the verification endpoint accepts; the notice PNG
carries the same QR; the H5 page renders in headless Chromium with every field."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
import requests

from billing_core.money import to_chinese_upper
from billing_core.qr_payload import parse
from sync_server.connectors.finance import FinanceClient
from tests.integration.finance.conftest import now17
from tests.rigs.qr import decode_qr

pytestmark = pytest.mark.integration


def decode_png(png: bytes) -> str:
    return decode_qr(cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE))


def verify(sim, **params: str) -> dict:
    resp = requests.get(f"{sim.url}/medical-web/verify", params=params, timeout=5)
    return resp.json()


def test_bill_qr_decodes_to_a_payload_the_verifier_accepts(sim, client: FinanceClient, issue) -> None:
    bill, answer = issue(amt="128.50")
    text = decode_png(base64.b64decode(answer["billQRCode"]))
    qr = parse(text)
    assert (qr.bill_batch_code, qr.bill_no, qr.random, str(qr.total_amt), qr.issue_date) == (
        answer["billBatchCode"], answer["billNo"], answer["random"], "128.50", answer["createTime"][:8])
    assert verify(sim, qr=text)["genuine"] is True
    posted = requests.post(f"{sim.url}/medical-web/verify", data=text.encode(), timeout=5).json()
    assert posted["genuine"] is True and posted["state"] == "正常"
    assert verify(sim, billBatchCode=qr.bill_batch_code, billNo=qr.bill_no, random=qr.random)["genuine"] is True
    forged = text.replace(",128.50,", ",12.50,")
    assert verify(sim, qr=forged)["genuine"] is False
    assert verify(sim, billBatchCode=qr.bill_batch_code, billNo=qr.bill_no, random="000000")["genuine"] is False
    assert requests.get(f"{sim.url}/medical-web/verify", params={"qr": "hello"}, timeout=5).status_code == 400
    red = client.write_off_ebill({"billBatchCode": answer["billBatchCode"], "billNo": answer["billNo"],
                                  "reason": "退费", "operator": "x", "busDateTime": now17(), "placeCode": "001"})
    assert verify(sim, qr=text)["state"] == "已冲红"
    red_text = decode_png(base64.b64decode(red["billQRCode"]))
    assert verify(sim, qr=red_text) | {"state": "红字票据"} == verify(sim, qr=red_text)


def test_notice_png_carries_the_qr(sim, client: FinanceClient, issue) -> None:
    _, answer = issue(amt="66.00")
    pic = client.get_ebill_notify_pic(answer["billBatchCode"], answer["billNo"], "1")
    text = decode_png(base64.b64decode(pic["pictureData"]))
    assert text == decode_png(base64.b64decode(pic["billQRCode"]))
    assert verify(sim, qr=text)["genuine"] is True and parse(text).bill_no == answer["billNo"]


def chromium(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("chromium")
    assert exe, "chromium is in deploy/apt-packages.txt"
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90)


def test_h5_page_in_headless_chromium(sim, client: FinanceClient, issue, tmp_path: Path) -> None:
    bill, answer = issue(amt="128.50")
    url = answer["pictureUrl"]
    dom = chromium("--dump-dom", url, tmp=tmp_path).stdout
    for text in (answer["billBatchCode"], answer["billNo"], answer["random"], bill["payer"], bill["busNo"],
                 "128.50", to_chinese_upper(parse(f"01,x,y,z,128.50,{answer['createTime'][:8]}").total_amt),
                 "西药费", "门诊收费处", bill["payee"], "data:image/png;base64,"):
        assert text in dom, text
    shot = tmp_path / "h5.png"
    chromium("--window-size=720,1100", f"--screenshot={shot}", url, tmp=tmp_path)
    img = cv2.imread(str(shot), cv2.IMREAD_GRAYSCALE)
    assert img is not None and img.shape[0] >= 1000
    assert decode_png(shot.read_bytes()) == decode_png(base64.b64decode(answer["billQRCode"]))
    assert requests.get(url.replace(answer["random"], "000000"), timeout=5).status_code == 404
